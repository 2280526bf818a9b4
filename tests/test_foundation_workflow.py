"""End to end: the smoke study runs through Snakemake in a temporary directory."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from perturbstudy.config import validate_config
from perturbstudy.design import model_grid

from .workflow_utils import ROOT, run_snakemake, workflow_copy


@pytest.mark.slow
def test_smoke_study_end_to_end(tmp_path):
    work = workflow_copy(tmp_path)
    config = yaml.safe_load((ROOT / "config" / "smoke.yaml").read_text())
    proc = run_snakemake(work, config)
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = work / "results" / config["study"]
    assert (out / "data" / "splits.json").exists()
    grid = model_grid(validate_config(config))
    assert grid, "the smoke config must train at least one model"
    for key in grid:
        model_dir = out / "models" / key.arch / key.series / key.setid / f"seed{key.seed}"
        assert (model_dir / "model.pt").stat().st_size > 0
        history = pd.read_csv(model_dir / "history.csv")
        assert list(history.columns[:5]) == ["epoch", "train_loss", "train_acc", "val_acc", "seconds"]
        assert (out / "logs" / "train" / key.arch / key.series / key.setid / f"seed{key.seed}.log").exists()
    # no temporary files left behind by the atomic writers
    assert not list(out.rglob("*.tmp"))
