"""Exact equal-L2 scales for additive perturbations clipped to [0, 1], in closed form.

For an image x in [0,1] and a direction d, the displacement of pixel i at scale t >= 0 is
min(t |d_i|, room_i) with room_i = 1 - x_i where d_i > 0 and x_i where d_i < 0. It saturates at the
breakpoint b_i = room_i / |d_i|. Between consecutive sorted breakpoints the squared norm is
S_j + t^2 D_j (S_j: squared rooms of the saturated pixels, D_j: squared directions of the others),
so one `searchsorted` over the breakpoint norms and one square root give t for every level at once
(the idea of foolbox's clipping-aware rescaling, here for many levels and with unreachable levels
reported as NaN). Everything is float64 internally; results are checked after the float32 cast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import torch
from tqdm import tqdm

from ..errors import PerturbstudyError

TOLERANCE = 1e-4  # largest accepted |achieved L2 - target| of a stored float32 sample


class CalibrationError(PerturbstudyError):
    """A sample cannot be brought to its target L2 level."""


def _flat64(t: torch.Tensor) -> torch.Tensor:
    return t.detach().flatten(1).to(torch.float64)


def _levels64(levels: torch.Tensor | Sequence[float], device: torch.device) -> torch.Tensor:
    lv = torch.as_tensor(levels, dtype=torch.float64, device=device).reshape(-1)
    if (lv < 0).any() or not torch.isfinite(lv).all():
        raise CalibrationError(f"L2 levels must be finite and >= 0, got {lv.tolist()}")
    return lv


def _sort_rows(values: torch.Tensor) -> torch.Tensor:
    """Each row sorted ascending (values only; equal values are interchangeable, so the result is unique).

    NumPy's SIMD sort is ~10x faster than torch.sort on CPU; torch.sort serves other devices.
    """
    if values.device.type != "cpu":
        return torch.sort(values, dim=1).values
    return torch.from_numpy(np.sort(values.numpy(), axis=1))


def _argsort_rows(values: torch.Tensor) -> torch.Tensor:
    """Stable ascending order of each row (ties keep pixel order, so sums round identically everywhere)."""
    if values.device.type != "cpu":
        return torch.sort(values, dim=1, stable=True).indices
    return torch.from_numpy(np.argsort(values.numpy(), axis=1, kind="stable"))


def _is_sign_direction(d: torch.Tensor) -> bool:
    """True when every entry is -1, 0 or 1 (FGSM directions): then breakpoints are the rooms themselves."""
    return bool(((d == 0) | (d.abs() == 1)).all())


def _sign_breakpoints(x64: torch.Tensor, d: torch.Tensor):
    """Sorted breakpoints of a sign direction: |d_i| = 1, so breakpoint = room and the unsaturated
    squared directions are a count; one value-only sort and no gathers."""
    b = torch.where(d > 0, 1.0 - x64, x64).clamp_min_(0.0).masked_fill_(d == 0, torch.inf)
    b = _sort_rows(b)
    n_active = (d != 0).sum(1)
    finite = torch.arange(b.shape[1], device=b.device) < n_active.unsqueeze(1)
    b2 = b.square().masked_fill_(~finite, 0.0)
    positions = torch.arange(b.shape[1] + 1, device=b.device)
    dsum = (n_active.unsqueeze(1) - positions).clamp_min_(0).to(torch.float64)
    return b, b2, b2, dsum, n_active, finite


def _general_breakpoints(x64: torch.Tensor, d64: torch.Tensor):
    """Sorted breakpoints room_i / |d_i| with the squared rooms and directions in the same order."""
    room = torch.where(d64 > 0, 1.0 - x64, x64).clamp_min_(0.0)
    mag = d64.abs()
    active = mag > 0
    n_active = active.sum(1)
    b = torch.where(active, room / torch.where(active, mag, 1.0), torch.inf)
    order = _argsort_rows(b)
    b = torch.gather(b, 1, order)
    finite = torch.isfinite(b)
    room2 = torch.gather(room * room * active, 1, order)
    mag2 = torch.gather(mag * mag, 1, order)
    tail = torch.flip(torch.cumsum(torch.flip(mag2, [1]), 1), [1])
    dsum = torch.cat([tail, torch.zeros_like(tail[:, :1])], 1)  # dsum[:, j] = sum of mag^2 of pixels j..
    finite_b = torch.where(finite, b, 0.0)
    return b, room2, finite_b * finite_b, dsum, n_active, finite


def _breakpoints(x: torch.Tensor, d: torch.Tensor):
    """Sorted breakpoints and the prefix / suffix sums of the piecewise norm, per sample."""
    x64 = _flat64(x)
    d_flat = d.detach().reshape(d.shape[0], -1)
    if x64.shape != d_flat.shape:
        raise CalibrationError(f"image shape {tuple(x.shape)} and direction shape {tuple(d.shape)} differ")
    if _is_sign_direction(d_flat):
        b, room2, b2, dsum, n_active, finite = _sign_breakpoints(x64, d_flat)
    else:
        b, room2, b2, dsum, n_active, finite = _general_breakpoints(x64, d_flat.to(torch.float64))
    zeros = torch.zeros(x64.shape[0], 1, dtype=torch.float64, device=x64.device)
    s = torch.cat([zeros, torch.cumsum(room2, 1)], 1)  # s[:, j] = sum of the first j saturated rooms^2
    knots = (s[:, :-1] + b2 * dsum[:, :-1]).masked_fill_(~finite, torch.inf)
    knots = torch.cummax(knots, 1).values  # guard against rounding making the sequence dip
    return b, s, dsum, knots, n_active


def max_reachable_l2(x: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """The largest L2 distance ||clip(x + t d, 0, 1) - x|| any t >= 0 reaches, per sample (float64)."""
    x64, d64 = _flat64(x), _flat64(d)
    room = torch.where(d64 > 0, 1.0 - x64, x64).clamp_min(0.0)
    return torch.sqrt((room * room * (d64 != 0)).sum(1))


def scales_for_levels(x: torch.Tensor, d: torch.Tensor, levels: torch.Tensor | Sequence[float]) -> torch.Tensor:
    """Scales t[N, L] (float64) with ||clip(x + t d, 0, 1) - x||_2 = level; NaN where unreachable."""
    b, s, dsum, knots, n_active = _breakpoints(x, d)
    lv = _levels64(levels, b.device)
    n = b.shape[0]
    target = (lv * lv).unsqueeze(0).expand(n, -1).contiguous()
    j = torch.searchsorted(knots.contiguous(), target, right=True)  # saturated pixels on the level's segment
    s_j = torch.gather(s, 1, j)
    d_j = torch.gather(dsum, 1, j)
    inside = j < n_active.unsqueeze(1)
    t = torch.sqrt(((target - s_j).clamp_min(0.0)) / torch.where(inside, d_j, 1.0))
    # all active pixels saturated: reachable only at exactly the maximum (any t past the last breakpoint)
    last = torch.gather(b, 1, (n_active - 1).clamp_min(0).unsqueeze(1))
    last = torch.where(torch.isfinite(last), last, 0.0)
    total = torch.gather(s, 1, n_active.unsqueeze(1))
    at_max = (~inside) & (target <= total * (1 + 1e-12))  # rounding slack at the maximum
    t = torch.where(inside, t, torch.where(at_max, last.expand_as(t), torch.nan))
    return torch.where(target == 0, torch.zeros_like(t), t)


def apply_scale(x: torch.Tensor, d: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """clip(x + t d, 0, 1) computed in float64, returned as float32 with x's shape."""
    shape = (-1,) + (1,) * (x.ndim - 1)
    t64 = torch.as_tensor(t, dtype=torch.float64, device=x.device).reshape(shape)
    if torch.isnan(t64).any():
        raise CalibrationError("apply_scale got NaN scales (unreachable levels); handle them before applying")
    # t d + x in place on one float64 buffer: the same numbers as x + t * d, without four temporaries
    out = d.to(torch.float64, copy=True).mul_(t64).add_(x.to(torch.float64)).clamp_(0.0, 1.0)
    return out.to(torch.float32)


def perturbation_l2(x: torch.Tensor, x_adv: torch.Tensor) -> torch.Tensor:
    """Per-sample L2 distance ||x_adv - x||_2 in float64."""
    diff = x_adv.detach().flatten(1).to(torch.float64, copy=True)
    return torch.linalg.vector_norm(diff.sub_(_flat64(x)), dim=1)


def _refined(x64: torch.Tensor, d64: torch.Tensor, level: float, t: torch.Tensor,
             tol: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(t, achieved L2 after the float32 cast); samples off by more than tol get one proportional step."""
    achieved = perturbation_l2(x64, apply_scale(x64, d64, t))
    off = (achieved - level).abs() > tol
    if off.any():
        rows = torch.nonzero(off).flatten()
        t[rows] = t[rows] * torch.where(achieved[rows] > 0, level / achieved[rows], 1.0)
        achieved[rows] = perturbation_l2(x64[rows], apply_scale(x64[rows], d64[rows], t[rows]))
    return t, achieved


def calibrated(x: torch.Tensor, d: torch.Tensor, level: float,
               t: torch.Tensor | None = None, tol: float = TOLERANCE) -> tuple[torch.Tensor, torch.Tensor]:
    """Scales and achieved L2 (after the float32 cast) for one level; one refinement step if needed.

    Raises CalibrationError naming the samples that cannot reach the level or miss it by more than tol.
    """
    x, d = x.to(torch.float64), d.to(torch.float64)  # once, not in every apply_scale / perturbation_l2
    if t is None:
        t = scales_for_levels(x, d, [level])[:, 0]
    t = t.to(torch.float64).clone()
    bad = torch.nonzero(torch.isnan(t)).flatten()
    if bad.numel():
        raise CalibrationError(f"{bad.numel()} samples cannot reach L2 {level}: indices {bad[:20].tolist()}")
    t, achieved = _refined(x, d, level, t, tol)
    still = torch.nonzero((achieved - level).abs() > tol).flatten()
    if still.numel():
        raise CalibrationError(
            f"{still.numel()} samples miss L2 {level} by more than {tol} after refinement: "
            f"indices {still[:20].tolist()}, errors {(achieved[still] - level)[:5].tolist()}")
    return t, achieved


def calibrated_levels(x: torch.Tensor, d: torch.Tensor, levels: torch.Tensor | Sequence[float],
                      tol: float = TOLERANCE, progress: bool = False, desc: str = "calibrate") -> torch.Tensor:
    """Scales [N, L] (float64) for many levels, checked like `calibrated`; NaN where a sample cannot reach
    a level or still misses it after refinement (the benchmarks exclude those samples instead of failing)."""
    x, d = x.to(torch.float64), d.to(torch.float64)
    lv = _levels64(levels, x.device)
    t = scales_for_levels(x, d, lv)
    bar = tqdm(range(lv.numel()), desc=desc, file=sys.stderr, disable=not progress, mininterval=5.0, ncols=100)
    for j in bar:
        level = float(lv[j])
        rows = torch.nonzero(~torch.isnan(t[:, j])).flatten()
        if rows.numel() == 0:
            continue
        every = rows.numel() == x.shape[0]  # every sample reachable: no gathers of the images
        tj, achieved = _refined(x if every else x[rows], d if every else d[rows], level, t[rows, j], tol)
        t[rows, j] = tj.masked_fill_((achieved - level).abs() > tol, torch.nan)
    return t
