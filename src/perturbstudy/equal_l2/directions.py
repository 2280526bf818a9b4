"""Additive perturbation directions: seeded Gaussian noise, FGSM sign and inverse-FGSM sign.

A direction is stored exactly as it is used: Gaussian noise as float16, FGSM signs as int8, so the
calibrated scale of the stored direction reproduces the sample bit for bit. One input gradient per
image serves every level of a series.
"""

from __future__ import annotations

import torch
from torch import nn

from .calibrate import CalibrationError, max_reachable_l2

GAUSSIAN_DTYPE = torch.float16
SIGN_DTYPE = torch.int8


def gaussian_directions(x: torch.Tensor, seed: int, reach: float, max_rounds: int = 50) -> tuple[torch.Tensor, int]:
    """Seeded N(0,1) noise per sample (float16) able to reach L2 `reach`; returns (noise, resampled count).

    A sample whose noise cannot reach `reach` after clipping draws new noise from the same generator.
    """
    gen = torch.Generator().manual_seed(int(seed))
    noise = torch.randn(x.shape, generator=gen, dtype=torch.float32).to(GAUSSIAN_DTYPE)
    resampled = 0
    for _ in range(max_rounds):
        short = torch.nonzero(max_reachable_l2(x, noise) < reach).flatten()
        if short.numel() == 0:
            return noise, resampled
        resampled += short.numel()
        noise[short] = torch.randn((short.numel(), *x.shape[1:]), generator=gen).to(GAUSSIAN_DTYPE)
    raise CalibrationError(
        f"{short.numel()} images cannot reach L2 {reach} with any Gaussian noise after {max_rounds} draws "
        f"(indices {short[:20].tolist()}): the level exceeds what clipping to [0,1] allows; lower the level.")


def fgsm_directions(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512,
                    inverse: bool = False) -> torch.Tensor:
    """sign of the cross-entropy input gradient at the true label (int8); minus it for inverse FGSM."""
    from ..attacks import input_gradient

    sign = torch.sign(input_gradient(model, x, y, batch_size=batch_size)).to(SIGN_DTYPE)
    return -sign if inverse else sign


def require_reachable(x: torch.Tensor, d: torch.Tensor, reach: float, what: str,
                      index: torch.Tensor | None = None) -> None:
    """Raise CalibrationError listing the samples whose direction cannot reach L2 `reach`."""
    short = torch.nonzero(max_reachable_l2(x, d) < reach).flatten()
    if short.numel():
        ids = (index[short] if index is not None else short)[:20].tolist()
        raise CalibrationError(
            f"{what}: {short.numel()} images cannot reach L2 {reach} along their direction (training-split "
            f"indices {ids}{'...' if short.numel() > 20 else ''}); a zero input gradient or saturated pixels "
            "limit them. Lower the largest level of the series, or change series.seed to pick other images.")
