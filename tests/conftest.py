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
