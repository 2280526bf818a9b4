"""Training-set steps: the memory check stops a job before it allocates, naming the key to lower."""

from __future__ import annotations

import pytest

from perturbstudy.data import Pool, Splits, save_splits
from perturbstudy.errors import ResourceError
from perturbstudy.smk import Files, Job
from perturbstudy.steps.trainsets import trainset_directions


def test_directions_refuse_a_per_class_that_does_not_fit_mem_mb(tmp_path):
    import torch

    pool = Pool(torch.rand(20, 1, 28, 28), torch.arange(20) % 2)
    save_splits(Splits(pool, pool, pool, ("a", "b")), tmp_path / "splits.pt", tmp_path / "splits.json", "tiny")
    params = {"arch": "lenet5", "series": "rq1_gaussian", "per_class": 100_000, "seed": 0, "gaussian_reach": 2.0}
    job = Job(params, Files({"splits": str(tmp_path / "splits.pt"), "model": []}),
              Files({"directions": str(tmp_path / "d.pt")}, [str(tmp_path / "d.pt")]), 1, mem_mb=100)
    with pytest.raises(ResourceError, match=r"series\.rq1_gaussian\.per_class"):
        trainset_directions(job)
    assert not (tmp_path / "d.pt").exists()
    job.mem_mb = None  # unknown memory: no check; a small per_class runs
    job.params = {**params, "per_class": 2}
    trainset_directions(job)
    assert (tmp_path / "d.pt").exists()
