"""End to end: the smoke study runs through Snakemake in a temporary directory (the shared `smoke_study`)."""

from __future__ import annotations

import pandas as pd
import pytest

from perturbstudy.config import validate_config
from perturbstudy.perturbation.grid import model_grid

from .workflow_utils import smoke_config


@pytest.mark.slow
def test_smoke_study_end_to_end(smoke_study):
    config = smoke_config()
    out = smoke_study / "results" / config["study"]
    assert (out / "data" / "splits.json").exists()
    valid = validate_config(config)
    grid = model_grid(list(valid["architectures"]), valid["series"], valid["seeds"])
    assert grid, "the smoke config must train at least one model"
    for key in grid:
        model_dir = out / "models" / key.arch / key.series / key.setid / f"seed{key.seed}"
        assert (model_dir / "model.pt").stat().st_size > 0
        history = pd.read_csv(model_dir / "history.csv")
        # deterministic columns only: wall times per epoch are in the training log, never in the history
        assert list(history.columns) == ["epoch", "train_loss", "train_acc", "val_acc"]
        assert history["epoch"].tolist() == list(range(1, len(history) + 1))
        log = out / "logs" / "train" / key.arch / key.series / "g0" / f"seed{key.seed}.log"
        assert f"{key.series}/{key.setid} seed {key.seed}: {len(history)} epochs" in log.read_text()
    # no temporary files left behind by the atomic writers, and no resume checkpoint of a finished training
    assert not list(out.rglob("*.tmp"))
    assert not list((out / "resume").rglob("*.pt"))
