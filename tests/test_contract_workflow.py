"""The rerun contract on a finished smoke study: a config change schedules exactly its readers and dependents."""

from __future__ import annotations

import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from .contract_utils import documented_table, with_value
from .workflow_utils import ROOT, artifact_hashes, run_snakemake, smoke_config

pytestmark = pytest.mark.slow

# One key of every section (value as in config/smoke.yaml -> a changed one) and its row of the README table.
CASES = {
    "data_seed": (1, "data_seed"),
    "dataset.val_fraction": (0.15, "dataset.*"),
    "architectures.lenet5.train.lr": (0.003, "architectures.<arch>.*"),
    "benchmarks.levels": ([1.0, 3.0, 6.0, 11.0], "benchmarks.levels"),
    "benchmarks.gaussian_seed": (1, "benchmarks.gaussian_seed"),
    "benchmarks.batch_size": (200, "benchmarks.batch_size"),
    "whitebox.pgd_l2.steps": (4, "whitebox.*"),
    "series.seed": (1, "series.seed"),
    "series.rq1_gaussian.per_class": (6, "series.<series>.per_class"),
    "analysis.alpha": (0.01, "analysis.alpha"),
    "analysis.robust_accuracy": (0.7, "analysis.robust_accuracy"),
    "medical.training.adversary.eps": (1.0, "medical.training.*"),
    "medical.ablation.train.max_epochs": (3, "medical.ablation.train.*"),
    "medical.gradcam.per_class": (3, "medical.gradcam.per_class"),
    "medical.corruptions.seed": (1, "medical.corruptions.*"),
    "corruptions.severities": ([1, 4], "corruptions.*"),
}


GROUP_RULE = re.compile(r"^(trainset|train|evaluate)_(?:lenet5|alexnet8)_.*")  # a group job: <step>_<arch>_...


def scheduled(proc, by_step: bool = True) -> dict[str, int]:
    """rule -> job count from a dry run's job stats ({} for nothing to do); with `by_step`, a group job
    (trainset_<group>, train_<group>, evaluate_<group>) counts under its step's name, as the rerun table names it."""
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = proc.stdout + proc.stderr
    if "Nothing to be done" in text:
        return {}
    stats = text.split("Job stats:")[1].split("\n\n")[0]
    counts: dict[str, int] = {}
    for m in re.finditer(r"^(\w+)\s+(\d+)$", stats, flags=re.M):
        if m.group(1) != "total":
            rule = GROUP_RULE.sub(r"\1", m.group(1)) if by_step else m.group(1)
            counts[rule] = counts.get(rule, 0) + int(m.group(2))
    return counts


@pytest.fixture(scope="module")
def study(smoke_study, tmp_path_factory) -> Path:
    """A copy of the finished smoke study (results and Snakemake's metadata, times kept) with its own package copy."""
    work = tmp_path_factory.mktemp("contract")
    shutil.copytree(smoke_study, work, dirs_exist_ok=True, symlinks=True)
    shutil.copytree(ROOT / "src", work / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return work


def dry(work: Path, config: dict, *args: str, by_step: bool = True) -> dict[str, int]:
    env = {**os.environ, "PYTHONPATH": str(work / "src")}  # the study's own package copy (edited by tests below)
    return scheduled(run_snakemake(work, config, "-n", *args, env=env), by_step)


def dry_all(work: Path, runs: list[tuple[dict, tuple[str, ...]]], by_step: bool = True) -> list[dict[str, int]]:
    """`dry` for several (config, args) at once, two at a time (dry runs take no lock; each config its own file)."""
    env = {**os.environ, "PYTHONPATH": str(work / "src")}
    configs = work / "dry_configs"
    configs.mkdir(exist_ok=True)

    def one(i: int) -> dict[str, int]:
        config, args = runs[i]
        path = configs / f"{i}.yaml"
        path.write_text(yaml.safe_dump(config))
        return scheduled(run_snakemake(work, path, "-n", "--nolock", *args, env=env), by_step)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, range(len(runs))))


def test_nothing_to_do_and_resources_rerun_nothing(study):
    assert dry(study, smoke_config()) == {}
    assert dry(study, with_value(smoke_config(), "threads", 2)) == {}


def test_each_key_schedules_its_readers_and_their_dependents(study):
    table, base = documented_table(), smoke_config()
    every = dry(study, base, "--forceall", by_step=False)
    rows = sorted({tuple(sorted(table[row])) for _, row in CASES.values()})
    # what forcing each row's readers schedules, then what each key's change schedules: all dry runs at once
    present = {rules: [r for r in every if GROUP_RULE.sub(r"\1", r) in rules] for rules in rows}  # group rules
    forced = [rules for rules in rows if present[rules]]
    runs = [(base, ("--forcerun", *present[rules])) for rules in forced]
    runs += [(with_value(base, key, value), ()) for key, (value, _) in CASES.items()]
    results = dry_all(study, runs)
    expected = {rules: set() for rules in rows}
    expected |= {rules: set(r) for rules, r in zip(forced, results[:len(forced)], strict=True)}
    wrong = {}
    for (key, (_, row)), got in zip(CASES.items(), results[len(forced):], strict=True):
        want = expected[tuple(sorted(table[row]))]
        if set(got) != want:
            wrong[key] = {"extra": sorted(set(got) - want), "missing": sorted(want - set(got))}
    assert not wrong, wrong


def test_the_ablation_settings_rerun_only_the_ablation_runs(study):
    """medical.ablation.train reaches the ablation runs (each one) and what reads them, never a main medical run."""
    got = dry(study, with_value(smoke_config(), "medical.ablation.train.max_epochs", 3))
    ablation = smoke_config()["medical"]["ablation"]
    runs = len(ablation["architectures"]) * len(ablation["methods"]) * len(smoke_config()["seeds"])
    assert got == {"medical_ablation_train": runs, "medical_ablation_evaluate": runs, "medical_ablation_table": 1,
                   "medical_ablation_figure": 1, "provenance_summary": 1, "all": 1}, got


def _real_run(work: Path, config: dict) -> None:
    env = {**os.environ, "PYTHONPATH": str(work / "src")}
    proc = run_snakemake(work, config, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]


ANALYSIS = {"analysis_summary", "analysis_single_factor", "analysis_segments", "analysis_level_figure",
            "analysis_findings", "provenance_summary", "all"}
# a retrained model also reruns its seed's corruption evaluation (every model of the seed), the table and the figure
CORRUPTION = {"study_corruption_evaluate", "study_corruption_tables", "study_corruption_figure"}


def test_adding_and_removing_a_level_rerun_only_what_they_must(study, tmp_path):
    work = tmp_path / "level"
    shutil.copytree(study, work, symlinks=True)
    before = artifact_hashes(work / "results" / "smoke")
    added = with_value(smoke_config(), "series.rq1_gaussian.levels", [2.0, 1.5])
    assert dry(work, added) == {"trainset": 1, "train": 1, "evaluate": 1, **dict.fromkeys(ANALYSIS | CORRUPTION, 1),
                                "analysis_single_factor": 2}
    _real_run(work, added)
    after = artifact_hashes(work / "results" / "smoke")
    # the level's group (the whole series here) is retrained together: only its models and evaluations change
    group = ("models/lenet5/rq1_gaussian/", "eval/lenet5/rq1_gaussian/", "corruptions/eval/", "corruptions/tables/",
             "corruptions/figures/")
    unchanged = [p for p in before if not p.startswith(("analysis/", "report/", *group))]
    assert {p for p in unchanged if after[p] != before[p]} == set(), "adding a level rewrote other artifacts"
    assert "trainsets/lenet5/rq1_gaussian/L1.5.pt" in after
    assert dry(work, added) == {}
    removed = smoke_config()  # back to [2.0]: the L1.5 files stay; the group is redone without it, then the analysis
    assert set(dry(work, removed)) == ANALYSIS | CORRUPTION | {"trainset", "train", "evaluate"}


def test_adding_a_series_or_a_seed_schedules_only_their_jobs(study):
    series = with_value(smoke_config(), "series.rq4_label_error", {"architectures": ["lenet5"], "levels": [0.2]})
    assert dry(study, series) == {"trainset": 1, "train": 1, "evaluate": 1, **dict.fromkeys(ANALYSIS | CORRUPTION, 1),
                                  "analysis_single_factor": 3}
    seeds = with_value(smoke_config(), "seeds", [0, 1])
    got = dry(study, seeds)
    methods = len(smoke_config()["medical"]["methods"])
    assert got["train"] == 3 and got["evaluate"] == 3 and got["medical_train"] == methods, got
    assert got["segmentation_train"] == len(smoke_config()["segmentation"]["variants"]), got  # the new seed's UNets
    assert not {"prepare_data", "trainset", "trainset_directions", "benchmark_fgsm", "benchmark_gaussian"} & set(got)


def test_code_versions_follow_the_modules_a_step_imports(study):
    figures = study / "src" / "perturbstudy" / "perturbation" / "analysis" / "figures.py"
    original = figures.read_text()
    try:
        figures.write_text(original.replace('"""', '"""Edited docstring. ', 1))  # the module docstring
        assert dry(study, smoke_config()) == {}
        figures.write_text(original + "\n\nFIGURE_TEST_CONSTANT = 1\n")  # a body change
        assert set(dry(study, smoke_config())) == {"analysis_single_factor", "analysis_level_figure",
                                                   "provenance_summary", "all"}
    finally:
        figures.write_text(original)
