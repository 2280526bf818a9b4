"""Workflow test: the analysis rules and `snakemake --report` build on synthetic evaluation CSVs.

The CSVs are written for exactly the models `training_sets(architectures, series)` lists for a config with every series;
only the analysis rules are allowed to run (--allowed-rules), so no model is trained.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from perturbstudy.config import validate_config
from perturbstudy.perturbation.grid import training_sets
from tests.analysis_synthetic import write_eval_csvs

REPO = Path(__file__).resolve().parents[1]
ANALYSIS_RULES = ["analysis", "analysis_summary", "analysis_single_factor", "analysis_segments", "analysis_dual",
                  "analysis_orthogonal", "analysis_level_figure", "analysis_findings"]


def study_config(study: str) -> dict:
    """The smoke config with each kind of series (single factor, segmented, dual, L25), both architectures."""
    config = yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())
    config["study"] = study
    config["architectures"]["alexnet8"] = {"train": {"max_epochs": 1}}
    five = [0.0, 2.0, 4.0, 6.0, 8.0]
    config["series"] = {
        "rq1_gaussian": {"levels": [2.0, 4.0, 6.0, 8.0], "per_class": 5},
        "rq2_fgsm": {"levels": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0], "per_class": 5},
        "rq5_dual": {"gaussian_levels": [0.0, 2.0, 4.0], "fgsm_levels": [0.0, 2.0, 4.0], "per_class": 5},
        "rq6_four": {"gaussian_levels": five, "fgsm_levels": five, "imbalance_levels": [0.2, 0.25, 0.3, 0.35, 0.4],
                     "label_error_levels": [0.0, 0.05, 0.1, 0.15, 0.2], "per_class": 5},
    }
    config["analysis"] = {"bootstrap_resamples": 200}
    return config


def snakemake(workdir: Path, configfile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir), "--configfile",
           str(configfile), "--cores", "1", "--allowed-rules", *ANALYSIS_RULES, *args, "--", "analysis"]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.slow
def test_analysis_rules_and_report_build(tmp_path: Path) -> None:
    config = study_config("synth_wf")
    valid = validate_config(dict(config))
    sets = [(ts.arch, ts.series, ts.setid, ts.params)
            for ts in training_sets(list(valid["architectures"]), valid["series"])]
    write_eval_csvs(tmp_path, study="synth_wf", sets=sets)
    configfile = tmp_path / "config.yaml"
    configfile.write_text(yaml.safe_dump(config))
    run = snakemake(tmp_path, configfile)
    assert run.returncode == 0, run.stderr[-4000:]
    out = tmp_path / "results" / "synth_wf" / "analysis"
    for stem in ("rq1_gaussian_spearman", "rq1_gaussian_levels", "rq2_fgsm_segments", "rq5_dual_multiple_correlation",
                 "rq6_four_anova", "rq6_four_main_effects", "paper_consistency"):
        for ext in ("csv", "md", "tex"):
            assert (out / "tables" / f"{stem}.{ext}").stat().st_size > 0, stem
    for stem in ("rq1_gaussian_accuracy", "rq5_dual_heatmaps", "rq6_four_main_effects", "accuracy_vs_benchmark_level"):
        assert (out / "figures" / f"{stem}.png").stat().st_size > 5000
        assert (out / "figures" / f"{stem}.pdf").read_bytes()[:4] == b"%PDF"
    per_seed = pd.read_csv(out / "summary_seeds.csv")  # one seed: one row per model, the summary's accuracies
    summary = pd.read_csv(out / "summary.csv")
    assert len(per_seed) == len(summary) and (per_seed["seed"] == 0).all() and (summary["n_seeds"] == 1).all()
    for stem in ("rq1_gaussian_spearman", "rq1_gaussian_levels", "rq2_fgsm_segments"):
        assert "one seed: no interval across seeds" in (out / "tables" / f"{stem}.md").read_text(), stem
    assert set(pd.read_csv(out / "tables" / "rq1_gaussian_spearman.csv")["ci_method"]) == {"levels (one seed)"}
    findings = (out / "findings.md").read_text()
    assert all(f"## Finding #{i}" in findings for i in range(1, 7))
    report = tmp_path / "report.html"
    run = snakemake(tmp_path, configfile, "--report", str(report))
    assert run.returncode == 0, run.stderr[-4000:]
    html = report.read_text(errors="replace")
    for name in ("rq1_gaussian_spearman.csv", "rq6_four_anova.csv", "rq5_dual_heatmaps.png", "findings.md",
                 "accuracy_vs_benchmark_level.png"):
        assert name in html, name
