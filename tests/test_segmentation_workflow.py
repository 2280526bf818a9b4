"""The segmentation rules: the paper's config dry-runs, and the smoke study gives the tables and the figure."""

from __future__ import annotations

import pandas as pd
import pytest

from .workflow_utils import job_counts, run_snakemake, smoke_config, workflow_copy


@pytest.mark.slow
def test_paper_config_dry_runs(tmp_path):
    work = workflow_copy(tmp_path)
    for folder in ("images", "masks"):  # the user's image/mask pairs (Kvasir-SEG layout); a dry run reads none
        (work / "data" / "kvasir-seg" / folder).mkdir(parents=True)
    proc = run_snakemake(work, work / "config" / "segmentation.yaml", "-n", "--quiet", "rules")
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = job_counts(proc.stdout + proc.stderr)
    assert counts["segmentation_train"] == 7 * 3 and counts["segmentation_evaluate"] == 7 * 3  # variants x seeds
    assert counts["segmentation_tables"] == 1 and counts["segmentation_figure"] == 1


@pytest.mark.slow
def test_missing_image_folders_stop_before_any_job(tmp_path):
    work = workflow_copy(tmp_path)
    proc = run_snakemake(work, work / "config" / "segmentation.yaml", "-n")
    assert proc.returncode != 0
    assert "segmentation.dataset.images: data/kvasir-seg/images is not a folder" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_smoke_segmentation_tables_and_figure(smoke_study):
    work, config = smoke_study, smoke_config()
    seg = config["segmentation"]
    out = work / "results" / config["study"] / "segmentation"
    epochs = pd.read_csv(out / "tables" / "iou_by_epoch.csv")
    assert list(epochs["variant"]) == seg["variants"]
    assert [c for c in epochs.columns if c.isdigit()] == [str(e) for e in seg["checkpoints"]]
    assert epochs[[str(e) for e in seg["checkpoints"]]].apply(lambda c: c.between(0, 1)).all().all()
    eps = pd.read_csv(out / "tables" / "iou_by_eps.csv")
    assert set(eps["perturbation"]) == {"random", "fgsm"} and len(eps) == 2 * len(seg["variants"])
    table = pd.read_csv(out / "tables" / "augmentations.csv").set_index("variant")
    assert table.loc["none", "verdict"] == "baseline" and (table["p_holm"].dropna() > 0).all()
    history = pd.read_csv(out / "models" / "inverse_fgsm" / "seed0" / "history.csv")
    assert list(history["epoch"]) == [1, 2] and "val_mean_iou" in history
    assert (out / "figures" / "augmentation_examples.png").stat().st_size > 1000
