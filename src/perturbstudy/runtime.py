"""Process set-up for reproducible runs: seeds, deterministic algorithms, threads, device; and eval mode."""

from __future__ import annotations

import ctypes
import hashlib
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # imported inside the functions that use it: derive_seed must stay torch-free
    import torch
    from torch import nn


def configure(threads: int | None = None, seed: int | None = None) -> torch.device:
    """Seed Python, NumPy and torch, force deterministic algorithms, set threads; return the device.

    CUDA is used when present. On CPU the same inputs give byte-identical results.
    """
    import torch

    keep_heap()
    if threads:
        torch.set_num_threads(int(threads))
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    _use_deterministic_algorithms(torch, warn_only=torch.cuda.is_available())
    if seed is not None:
        seed_everything(seed)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def keep_heap() -> None:
    """Keep freed memory in glibc's heap (no trimming; blocks up to 32 MB from the heap, not fresh mmaps).

    A training or evaluation step frees and reallocates the same activation buffers every batch; by default glibc
    hands large ones back to the kernel and the next batch faults them in again (a grouped LeNet-5 step: ~670
    page faults, 6% system time, 11% of its wall time). A no-op off glibc.
    """
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_TRIM_THRESHOLD, 1 << 30)
    mallopt(_M_MMAP_THRESHOLD, 32 << 20)  # glibc's maximum on 64-bit


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)


def _use_deterministic_algorithms(torch, warn_only: bool) -> None:
    """torch.use_deterministic_algorithms(True) without its import of torch._inductor (sympy and ~900
    modules, 2 s of every job's start-up on 2 cores) just to set inductor's flag: we never compile."""
    setter = getattr(torch._C, "_set_deterministic_algorithms", None)
    if setter is None:  # a torch without the private entry point: take the public one
        torch.use_deterministic_algorithms(True, warn_only=warn_only)
    else:
        setter(True, warn_only=warn_only)


def seed_everything(seed: int) -> None:
    """Seed every global RNG the study touches."""
    import torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def derive_seed(*parts: object) -> int:
    """A stable 31-bit seed from any tuple of names and numbers (not Python's salted hash)."""
    text = "/".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:4], "big") & 0x7FFFFFFF


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Every module of `model` in eval mode inside the block; afterwards each module gets its own mode back
    (not the top module's), so an attack or a prediction mid-epoch leaves the trainer's modes as they were."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for module, training in modes:
            module.training = training
