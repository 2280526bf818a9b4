"""Exact equal-L2 calibration: property tests, foolbox agreement, bisection reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from perturbstudy.equal_l2.calibrate import (
    TOLERANCE,
    CalibrationError,
    apply_scale,
    calibrated,
    calibrated_levels,
    max_reachable_l2,
    perturbation_l2,
    scales_for_levels,
)

torch.set_num_threads(1)


def _images(seed: int, n: int, shape=(1, 6, 6), saturated: float = 0.4, zero_dir: float = 0.3):
    """Images with many exactly-saturated pixels (0 or 1) and directions with exact zeros."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand((n, *shape), generator=gen)
    mask = torch.rand(x.shape, generator=gen) < saturated
    x[mask] = (torch.rand(x.shape, generator=gen)[mask] < 0.5).float()
    d = torch.randn(x.shape, generator=gen)
    d[torch.rand(x.shape, generator=gen) < zero_dir] = 0.0
    return x, d


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 12), sat=st.floats(0, 1), zero=st.floats(0, 0.9),
       sign=st.booleans(), frac=st.lists(st.floats(0, 1), min_size=1, max_size=6))
def test_every_sample_meets_its_level(seed, n, sat, zero, sign, frac):
    x, d = _images(seed, n, saturated=sat, zero_dir=zero)
    if sign:  # FGSM-like directions: signs with zero-gradient pixels
        d = torch.sign(d)
    reach = max_reachable_l2(x, d)
    levels = [f * float(reach.min()) for f in frac]
    t = scales_for_levels(x, d, levels)
    assert t.dtype == torch.float64 and t.shape == (n, len(levels))
    assert not torch.isnan(t).any()
    for j, level in enumerate(levels):
        achieved = perturbation_l2(x, apply_scale(x, d, t[:, j]))  # after the float32 cast
        assert (achieved - level).abs().max() <= TOLERANCE


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_unreachable_levels_are_nan_and_maximum_is_reachable(seed):
    x, d = _images(seed, 5)
    reach = max_reachable_l2(x, d)
    t = scales_for_levels(x, d, torch.stack([reach.max() * 1.01 + 1e-3, reach.max()]).tolist())
    assert torch.isnan(t[:, 0]).all()
    top = torch.argmax(reach)
    achieved = perturbation_l2(x[top:top + 1], apply_scale(x[top:top + 1], d[top:top + 1], t[top:top + 1, 1]))
    assert abs(float(achieved) - float(reach[top])) <= TOLERANCE


def test_level_zero_is_an_unperturbed_copy_and_zero_direction():
    x, d = _images(1, 4)
    d[0] = 0.0
    t = scales_for_levels(x, d, [0.0, 1.0])
    assert (t[:, 0] == 0).all()
    assert torch.equal(apply_scale(x, d, t[:, 0]), x)
    assert math.isnan(float(t[0, 1])) and float(max_reachable_l2(x, d)[0]) == 0.0


def test_calibrated_names_unreachable_samples():
    x, d = _images(2, 3)
    d[1] = 0.0
    with pytest.raises(CalibrationError, match=r"indices \[1\]"):
        calibrated(x, d, 0.5)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), sign=st.booleans())
def test_calibrated_levels_is_calibrated_per_level_with_nan_for_unreachable(seed, sign):
    x, d = _images(seed, 8)
    d = torch.sign(d).to(torch.int8) if sign else d
    reach = max_reachable_l2(x, d)
    levels = sorted({float(reach.min()) * 0.5, float(reach.median()), float(reach.max()) * 0.99})
    t = calibrated_levels(x, d, levels)
    assert torch.equal(torch.isnan(t), torch.isnan(scales_for_levels(x, d, levels)))
    for j, level in enumerate(levels):
        ok = torch.nonzero(~torch.isnan(t[:, j])).flatten()
        scale, achieved = calibrated(x[ok], d[ok], level)
        assert torch.equal(t[ok, j], scale)  # the same numbers as the single-level, raising version
        assert (achieved - level).abs().max() <= TOLERANCE


def test_a_miss_after_refinement_is_nan_in_calibrated_levels_and_an_error_in_calibrated():
    x, d = _images(5, 6)
    tol = 1e-13  # below the float32 cast's error: refinement cannot meet it for most samples
    t = calibrated_levels(x, d, [0.5], tol=tol)
    missed = torch.isnan(t[:, 0])
    assert missed.any()
    kept = torch.nonzero(~missed).flatten()
    assert ((perturbation_l2(x[kept], apply_scale(x[kept], d[kept], t[kept, 0])) - 0.5).abs() <= tol).all()
    with pytest.raises(CalibrationError, match="after refinement"):
        calibrated(x, d, 0.5, tol=tol)


def _bisection(x: torch.Tensor, d: torch.Tensor, level: float) -> float:
    """Slow reference: bisection on the monotone clipped norm in float64."""
    x64, d64 = x.double().flatten(), d.double().flatten()
    lo, hi = 0.0, 1.0
    norm = lambda t: float(torch.linalg.vector_norm((x64 + t * d64).clamp(0, 1) - x64))  # noqa: E731
    while norm(hi) < level:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if norm(mid) < level else (lo, mid)
    return hi


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), frac=st.floats(0.01, 0.99))
def test_closed_form_equals_bisection(seed, frac):
    x, d = _images(seed, 3)
    levels = (frac * max_reachable_l2(x, d)).tolist()
    for i, level in enumerate(levels):
        t = scales_for_levels(x[i:i + 1], d[i:i + 1], [level])[0, 0].item()
        assert t == pytest.approx(_bisection(x[i], d[i], level), rel=1e-9, abs=1e-12)


def test_agrees_with_foolbox_clipping_aware_rescaling():
    fb = pytest.importorskip("foolbox.external.clipping_aware_rescaling")
    x, d = _images(3, 64, shape=(1, 28, 28))
    levels = [0.5, 2.0, 5.0]
    ours = scales_for_levels(x, d, levels)
    for j, level in enumerate(levels):
        ok = ~torch.isnan(ours[:, j])
        theirs = fb.l2_clipping_aware_rescaling(x.double(), d.double(), level).flatten()
        assert ok.sum() > 0
        np.testing.assert_allclose(ours[ok, j].numpy(), theirs[ok].numpy(), rtol=1e-9, atol=1e-12)


def test_batched_over_many_levels_matches_single_level_calls():
    x, d = _images(4, 16, shape=(1, 28, 28))
    levels = torch.arange(0.5, 6.5, 0.5)
    many = scales_for_levels(x, d, levels)
    for j, level in enumerate(levels.tolist()):
        assert torch.equal(many[:, j], scales_for_levels(x, d, [level])[:, 0])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), sat=st.floats(0, 1), zero=st.floats(0, 0.9))
def test_sign_fast_path_equals_general_path(seed, sat, zero):
    """FGSM directions take a sort-only fast path; it must give exactly the general path's scales."""
    from perturbstudy.equal_l2 import calibrate

    x, d = _images(seed, 8, shape=(1, 10, 10), saturated=sat, zero_dir=zero)
    d = torch.sign(d)
    levels = torch.linspace(0.0, 1.1, 12) * float(max_reachable_l2(x, d).max())
    assert calibrate._is_sign_direction(d.reshape(8, -1))
    fast = scales_for_levels(x, d.to(torch.int8), levels)
    original = calibrate._is_sign_direction
    calibrate._is_sign_direction = lambda _d: False
    try:
        general = scales_for_levels(x, d, levels)
    finally:
        calibrate._is_sign_direction = original
    assert torch.equal(torch.isnan(fast), torch.isnan(general))
    assert torch.equal(torch.nan_to_num(fast), torch.nan_to_num(general))
