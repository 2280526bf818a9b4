"""The one direction builder: seeded Gaussian noise, FGSM sign and inverse-FGSM sign (training sets and
benchmarks alike).

A direction is stored exactly as it is used: FGSM signs as int8, Gaussian noise as float16 in training
sets (float32 in the benchmarks), so the calibrated scale of the stored direction reproduces the sample
bit for bit. One input gradient per image serves every level.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .calibrate import CalibrationError, max_reachable_l2

GAUSSIAN_DTYPE = torch.float16
SIGN_DTYPE = torch.int8
MAX_REDRAWS = 50  # fresh Gaussian draws per sample before a level counts as unreachable

#: usable(rows, noise[rows]) -> bool [len(rows)]: which samples (indices into x) keep their noise
Usable = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def gaussian_directions(x: torch.Tensor, seed: int, reach: float, dtype: torch.dtype = GAUSSIAN_DTYPE,
                        usable: Usable | None = None, max_redraws: int = MAX_REDRAWS,
                        hint: str = "the level exceeds what clipping to [0, 1] allows; lower the level"
                        ) -> tuple[torch.Tensor, int]:
    """Seeded N(0,1) noise per sample (float32 draws stored as `dtype`); returns (noise, resampled count).

    A sample whose noise is not `usable` (default: cannot reach L2 `reach` after clipping) draws new
    noise from the same generator, rejected samples in index order, up to `max_redraws` times; then
    CalibrationError names them and ends with `hint`.
    """
    if usable is None:
        def usable(rows: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
            return max_reachable_l2(x[rows], noise) >= reach
    gen = torch.Generator().manual_seed(int(seed))
    noise = torch.randn(x.shape, generator=gen, dtype=torch.float32).to(dtype)
    todo, resampled = torch.arange(x.shape[0]), 0
    for redraw in range(max_redraws + 1):
        todo = todo[~usable(todo, noise[todo])]
        if todo.numel() == 0:
            return noise, resampled
        if redraw == max_redraws:
            break
        resampled += todo.numel()
        noise[todo] = torch.randn((todo.numel(), *x.shape[1:]), generator=gen, dtype=torch.float32).to(dtype)
    raise CalibrationError(
        f"{todo.numel()} images cannot reach L2 {reach} with any Gaussian noise after {max_redraws} redraws "
        f"(indices {todo[:20].tolist()}): {hint}")


def fgsm_directions(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512,
                    inverse: bool = False) -> torch.Tensor:
    """sign of the cross-entropy input gradient at the true label (int8); minus it for inverse FGSM."""
    from ..attacks import input_gradient

    sign = torch.sign(input_gradient(model, x, y, batch_size=batch_size)).to(SIGN_DTYPE)
    return -sign if inverse else sign


def zero_gradient_fractions(sign: torch.Tensor) -> dict[str, float]:
    """Shares of samples with an all-zero input gradient and of zero gradient entries (gradient-masking check)."""
    zero = sign.flatten(1) == 0
    return {"zero_gradient_samples": float(zero.all(1).float().mean()),
            "zero_gradient_entries": float(zero.float().mean())}


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
