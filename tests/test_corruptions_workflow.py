"""The corruption rules: config/rtda.yaml dry-runs without data, no section means no jobs, and the smoke study's
benchmark files, evaluations, side-by-side table, figure and claim."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from .workflow_utils import job_counts, run_snakemake, smoke_config, workflow_copy

RULES = ("corruption_benchmark", "corruption_evaluate", "corruption_tables", "corruption_figure", "rtda_claims")



@pytest.mark.slow
def test_rtda_config_dry_runs_the_paper_scale_grid(tmp_path):
    work = workflow_copy(tmp_path)
    proc = run_snakemake(work, work / "config" / "rtda.yaml", "-n", "--quiet", "rules")
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = job_counts(proc.stdout + proc.stderr)
    runs = 2 * 8 * 3  # 2 CNNs x (6 baselines + 2 RTDA) x 3 seeds
    assert counts["medical_train"] == counts["medical_evaluate"] == counts["corruption_evaluate"] == runs
    assert counts["corruption_benchmark"] == 13  # MedMNIST-C's PneumoniaMNIST corruptions, one file each
    assert counts["corruption_tables"] == counts["corruption_figure"] == counts["rtda_claims"] == 1
    assert not {r for r in counts if r.startswith("medical_ablation")}


@pytest.mark.slow
def test_without_a_corruptions_section_there_are_no_corruption_jobs(tmp_path):
    work = workflow_copy(tmp_path)
    config = smoke_config()
    del config["medical"]["corruptions"], config["corruptions"]
    proc = run_snakemake(work, config, "-n", "--quiet", "rules")
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = job_counts(proc.stdout + proc.stderr)
    assert counts["medical_tables"] == 1 and not set(RULES) & set(counts)
    assert not [r for r in counts if r.startswith("study_corruption_")]


@pytest.mark.slow
def test_smoke_corruption_benchmarks_evaluations_tables_figure_and_claim(smoke_study):
    from perturbstudy.artifacts import sha256_tensors
    from perturbstudy.corruptions.benchmark import load_corruption_benchmark
    from perturbstudy.data import load_splits
    from perturbstudy.robust_training.methods import METHOD_LABELS as labels

    work, config = smoke_study, smoke_config()
    med, corr = config["medical"], config["medical"]["corruptions"]
    out = work / "results" / config["study"] / "medical"
    test = load_splits(out / "data" / "splits.pt").test
    n_test = len(test.labels)
    for name in corr["corruptions"]:  # one seeded, hashed file per corruption, with its provenance record
        summary = json.loads((out / "corruptions" / "benchmarks" / f"{name}.json").read_text())
        assert (summary["corruptions"], summary["severities"], summary["n"]) == ([name], corr["severities"], n_test)
        bench = load_corruption_benchmark(out / "corruptions" / "benchmarks" / f"{name}.pt",
                                          sha256_tensors(test.images, test.labels))
        assert bench.sha256() == summary["content_sha256"]
        record = work / "results" / config["study"] / "provenance" / "corruption_benchmark" / f"corruption={name}.json"
        assert json.loads(record.read_text())["rule"] == "corruption_benchmark"
    cells = len(corr["corruptions"]) * len(corr["severities"])
    for method in med["methods"]:
        acc = pd.read_csv(out / "corruptions" / "eval" / "lenet5" / method / "seed0" / "accuracy.csv")
        assert len(acc) == cells and acc.accuracy.between(0, 1).all() and (acc.n == n_test).all()
        preds = pd.read_csv(out / "corruptions" / "eval" / "lenet5" / method / "seed0" / "predictions.csv")
        assert len(preds) == cells * n_test
        right = (preds.pred == preds.label).groupby(preds.testset).mean()
        assert right.to_dict() == pytest.approx({f"{c}/{s}": a for c, s, a in
                                                 zip(acc.corruption, acc.severity, acc.accuracy, strict=True)})
    shift = pd.read_csv(out / "tables" / "shift.csv")
    names = [a["name"] for a in med["attacks"]]
    assert shift.method.tolist() == [labels[m] for m in med["methods"]]
    assert list(shift.columns[:2 + len(names) + 4]) == ["architecture", "method", "GAcc", *names, "mCA", "mCE",
                                                        "relative_mCE"]
    table1 = pd.read_csv(out / "tables" / "table1.csv")
    assert shift.GAcc.tolist() == pytest.approx(table1.GAcc.tolist())  # the same clean accuracy as Table I
    std = shift.set_index("method").loc["STD"]
    assert std.mCE == pytest.approx(100.0) and shift.mCA.between(0, 100).all()
    assert len(pd.read_csv(out / "tables" / "corruption_accuracy.csv")) == cells * len(med["methods"])
    assert (out / "figures" / "corruption_severity.png").read_bytes()[:4] == b"\x89PNG"
    claims = pd.read_csv(out / "findings" / "rtda_claims.csv")  # RTDA-AugMix vs each other method, 3 test sets
    assert set(claims.part) == {"clean", "attacks", "shift"} and set(claims.method) == {"RTDA-AugMix"}
    assert len(claims) == 3 * (len(med["methods"]) - 1)
    assert (claims[claims.part == "shift"].n_pairs == cells * n_test).all()
    text = (out / "findings" / "rtda_claims.md").read_text()
    assert "**RTDA-AugMix** (lenet5): the claim as a whole is" in text and "One seed" in text


@pytest.mark.slow
def test_smoke_study_models_under_mnistc(smoke_study):
    """Every model of the MNIST study on the top-level `corruptions`: one file per corruption, one evaluation per
    seed with a row per (model, corruption, severity), the table per training set and the level figure."""
    from perturbstudy.data import load_splits
    from perturbstudy.perturbation.grid import training_sets

    work, config = smoke_study, smoke_config()
    corr, out = config["corruptions"], work / "results" / config["study"]
    n_test = len(load_splits(out / "data" / "splits.pt").test.labels)
    for name in corr["corruptions"]:
        summary = json.loads((out / "corruptions" / "benchmarks" / f"{name}.json").read_text())
        assert (summary["corruptions"], summary["severities"], summary["n"]) == ([name], corr["severities"], n_test)
    acc = pd.read_csv(out / "corruptions" / "eval" / "seed0.csv", dtype={"set": str})
    sets = training_sets(list(config["architectures"]), config["series"])
    cells = len(corr["corruptions"]) * len(corr["severities"])
    assert len(acc) == len(sets) * cells and (acc.n == n_test).all()
    for ts in sets:  # the same clean test accuracy as the main evaluation
        frame = pd.read_csv(out / "eval" / ts.arch / ts.series / ts.setid / "seed0.csv")
        clean = frame.loc[frame.testset == "test", "accuracy"].iloc[0]
        assert acc[acc.series == ts.series].clean_accuracy.iloc[0] == pytest.approx(clean)
    table = pd.read_csv(out / "corruptions" / "tables" / "shift.csv", dtype={"set": str})
    assert table.series.tolist() == [ts.series for ts in sets]
    base = table.set_index("series").loc["clean"]
    assert base.mCE == pytest.approx(100.0) and base.relative_mCE == pytest.approx(100.0)
    assert table.mCA.between(0, 100).all() and (table.n_seeds == 1).all()
    assert (out / "corruptions" / "figures" / "levels.png").read_bytes()[:4] == b"\x89PNG"
