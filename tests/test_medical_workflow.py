"""The medical rules: the paper grid dry-runs without data, and the smoke medical runs give the tables."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from .workflow_utils import run_snakemake, smoke_config, workflow_copy


def _job_counts(text: str) -> dict[str, int]:
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", text, re.M)}


@pytest.mark.slow
def test_paper_config_dry_runs_the_full_grid(tmp_path):
    work = workflow_copy(tmp_path)
    proc = run_snakemake(work, work / "config" / "medical.yaml", "-n", "--quiet", "rules")
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = _job_counts(proc.stdout + proc.stderr)
    assert counts["medical_train"] == 6 * 7 and counts["medical_evaluate"] == 6 * 7
    assert counts["medical_gradcam"] == 6 and counts["medical_confusion_figure"] == 6
    assert counts["medical_tables"] == 1 and counts["medical_ablation_figure"] == 1


@pytest.mark.slow
def test_smoke_medical_runs_produce_tables_and_figures(smoke_study):
    work, config = smoke_study, smoke_config()
    out = f"results/{config['study']}/medical"
    targets = [f"{out}/tables/table1.csv", f"{out}/tables/table2.csv", f"{out}/figures/confusion_lenet5.png",
               f"{out}/figures/gradcam_lenet5.png"]
    table1 = pd.read_csv(work / out / "tables" / "table1.csv")
    labels = {"std": "STD", "dpaat": "DPAAT", "at": "AT", "sat": "SAT", "amat": "AMAT", "da": "D-A", "db": "D-B"}
    assert set(table1.method) == {labels[m] for m in config["medical"]["methods"]}
    names = [a["name"] for a in config["medical"]["attacks"]]
    assert list(table1.columns) == ["architecture", "method", *names, "GAcc"]
    assert table1[[*names, "GAcc"]].apply(lambda c: c.between(0, 100)).all().all()
    table2 = pd.read_csv(work / out / "tables" / "table2.csv")
    assert table2[["mAP", "mARP", "precision", "recall", "f1"]].apply(lambda c: c.between(0, 1)).all().all()
    history = pd.read_csv(work / out / "models" / "lenet5" / "dpaat" / "seed0" / "history.csv")
    assert {"eps_mean", "guarded_batches"} <= set(history.columns) and "seconds" not in history.columns
    for target in targets:
        assert (work / target).stat().st_size > 0
