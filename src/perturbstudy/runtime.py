"""Process set-up for reproducible runs: seeds, deterministic algorithms, threads, device."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def configure(threads: int | None = None, seed: int | None = None) -> torch.device:
    """Seed Python, NumPy and torch, force deterministic algorithms, set threads; return the device.

    CUDA is used when present. On CPU the same inputs give byte-identical results.
    """
    if threads:
        torch.set_num_threads(int(threads))
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=torch.cuda.is_available())
    if seed is not None:
        seed_everything(seed)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    """Seed every global RNG the study touches."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def derive_seed(*parts: object) -> int:
    """A stable 31-bit seed from any tuple of names and numbers (not Python's salted hash)."""
    import hashlib

    text = "/".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:4], "big") & 0x7FFFFFFF
