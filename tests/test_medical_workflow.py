"""The medical rules: the paper grid dry-runs without data, and the smoke medical runs give the tables."""

from __future__ import annotations

import pandas as pd
import pytest

from .workflow_utils import job_counts, run_snakemake, smoke_config, workflow_copy


@pytest.mark.slow
def test_paper_config_dry_runs_the_full_grid(tmp_path):
    work = workflow_copy(tmp_path)
    proc = run_snakemake(work, work / "config" / "medical.yaml", "-n", "--quiet", "rules")
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = job_counts(proc.stdout + proc.stderr)
    assert counts["medical_train"] == 6 * 5 and counts["medical_evaluate"] == 6 * 5  # Tables I/II: 6 CNNs x 5 methods
    assert counts["medical_ablation_train"] == 2 * 4 and counts["medical_ablation_evaluate"] == 2 * 4  # Fig. 3
    assert counts["medical_gradcam"] == 6 and counts["medical_confusion_figure"] == 6
    assert counts["medical_tables"] == 1 and counts["medical_ablation_table"] == 1
    assert counts["medical_ablation_figure"] == 1


@pytest.mark.slow
def test_without_an_ablation_section_there_are_no_ablation_jobs(tmp_path):
    work = workflow_copy(tmp_path)
    config = smoke_config()
    del config["medical"]["ablation"]
    proc = run_snakemake(work, config, "-n", "--quiet", "rules")
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = job_counts(proc.stdout + proc.stderr)
    assert counts["medical_tables"] == 1 and not {r for r in counts if r.startswith("medical_ablation")}


@pytest.mark.slow
def test_smoke_medical_runs_produce_tables_and_figures(smoke_study):
    work, config = smoke_study, smoke_config()
    out = f"results/{config['study']}/medical"
    targets = [f"{out}/tables/table1.csv", f"{out}/tables/table2.csv", f"{out}/figures/confusion_lenet5.png",
               f"{out}/figures/gradcam_lenet5.png"]
    table1 = pd.read_csv(work / out / "tables" / "table1.csv")
    from perturbstudy.robust_training.methods import METHOD_LABELS as labels
    assert set(table1.method) == {labels[m] for m in config["medical"]["methods"]}
    names = [a["name"] for a in config["medical"]["attacks"]]
    cis = [f"{v}_{end}" for v in [*names, "GAcc"] for end in ("ci_low", "ci_high")]
    assert list(table1.columns) == ["architecture", "method", *names, "GAcc", "n_seeds", *cis]
    assert table1[[*names, "GAcc"]].apply(lambda c: c.between(0, 100)).all().all()
    assert (table1.n_seeds == len(config["seeds"])).all() and table1[cis].isna().all().all()  # one seed: no interval
    comparisons = pd.read_csv(work / out / "tables" / "comparisons.csv")  # DPAAT vs STD, clean and each attack
    baselines = [labels[m] for m in config["medical"]["methods"] if m != "dpaat"]
    assert sorted(comparisons[["testset", "baseline"]].values.tolist()) == sorted(
        [t, b] for t in ["clean", *names] for b in baselines)
    n_test = len(pd.read_csv(work / out / "eval" / "lenet5" / "std" / "seed0" / "predictions.csv")) // (1 + len(names))
    assert (comparisons.n_pairs == n_test).all() and (comparisons.p > 0).all()
    assert comparisons[comparisons.baseline == "STD"].acc_method.tolist() == pytest.approx(  # clean, then attacks
        table1.set_index("method").loc["DPAAT", ["GAcc", *names]].tolist())
    assert "DPAAT vs STD" in (work / out / "tables" / "comparisons.md").read_text()
    table2 = pd.read_csv(work / out / "tables" / "table2.csv")
    assert table2[["mAP", "mARP", "precision", "recall", "f1"]].apply(lambda c: c.between(0, 1)).all().all()
    history = pd.read_csv(work / out / "models" / "lenet5" / "dpaat" / "seed0" / "history.csv")
    assert {"eps_mean", "guarded_batches"} <= set(history.columns) and "seconds" not in history.columns
    # the ablation's own runs, with its own settings (2 epochs; the main runs have 1), give the ablation table
    ablation = config["medical"]["ablation"]
    for arch in ablation["architectures"]:
        for method in ablation["methods"]:
            run = pd.read_csv(work / out / "ablation" / "models" / arch / method / "seed0" / "history.csv")
            assert len(run) == ablation["train"]["max_epochs"] == 2
            assert (work / out / "ablation" / "eval" / arch / method / "seed0" / "metrics.csv").exists()
    assert not (work / out / "models" / "lenet5" / "db").exists()  # D-B is not a main method of the smoke config
    table = pd.read_csv(work / out / "tables" / "ablation.csv")
    assert list(zip(table.architecture, table.method, strict=True)) == \
        [(a, labels[m]) for a in ablation["architectures"] for m in ablation["methods"]]
    racc = f"RAcc {config['medical']['table2_attack']}"
    assert table[["GAcc", racc]].apply(lambda c: c.between(0, 100)).all().all()
    targets.append(f"{out}/figures/ablation.png")
    for target in targets:
        assert (work / target).stat().st_size > 0
