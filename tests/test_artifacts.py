from __future__ import annotations

import hashlib

import pytest
import torch

from perturbstudy.artifacts import sha256_tensors


def _reference(*tensors: torch.Tensor) -> str:
    """The hash as defined: dtype and shape, then the contiguous bytes (numpy's tobytes)."""
    digest = hashlib.sha256()
    for t in tensors:
        t = t.detach().cpu().contiguous()
        digest.update(f"{t.dtype}:{tuple(t.shape)}".encode())
        digest.update(t.numpy().tobytes())
    return digest.hexdigest()


@pytest.mark.parametrize("tensor", [
    torch.rand(3, 4), torch.rand(4, 3).t(), torch.rand(4, 4)[::2], torch.tensor(3.5), torch.zeros(0, 2),
    torch.tensor([True, False]), torch.arange(10), torch.rand(2, 3, dtype=torch.float64),
    torch.zeros(3, dtype=torch.uint8), torch.rand(2, 3, 4, 5).contiguous(memory_format=torch.channels_last),
], ids=lambda t: f"{t.dtype}{tuple(t.shape)}")
def test_sha256_tensors_hashes_dtype_shape_and_bytes(tensor):
    assert sha256_tensors(tensor) == _reference(tensor)


def test_sha256_tensors_separates_order_shape_and_dtype():
    a, b = torch.arange(6.0), torch.ones(2)
    assert sha256_tensors(a, b) == _reference(a, b) != sha256_tensors(b, a)
    assert sha256_tensors(a) != sha256_tensors(a.reshape(2, 3))
    assert sha256_tensors(a) != sha256_tensors(a.double())
