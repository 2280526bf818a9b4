"""Shared test fixtures: one thread, tiny tensors, the repository root."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)
    yield


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def smoke_study(tmp_path_factory) -> Path:
    """One complete, uninterrupted run of config/smoke.yaml, shared by the workflow tests; returns its workdir.

    Tests must not modify it: copy `results/` first if they need to change anything.
    """
    from .workflow_utils import run_snakemake, smoke_config, workflow_copy

    work = workflow_copy(tmp_path_factory.mktemp("smoke_reference"))
    proc = run_snakemake(work, smoke_config())
    assert proc.returncode == 0, proc.stderr[-4000:]
    return work
