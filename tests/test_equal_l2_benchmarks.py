"""Equal-L2 benchmarks: exact levels, Gaussian resampling, FGSM exclusions, storage with hashes."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from perturbstudy.attacks import input_gradient
from perturbstudy.equal_l2.benchmarks import (
    as_levels,
    check_exact,
    equal_l2_fgsm,
    gaussian_benchmark,
    level_images,
    load_benchmark,
    save_benchmark,
)
from perturbstudy.equal_l2.calibrate import apply_scale, max_reachable_l2, perturbation_l2, scales_for_levels
from perturbstudy.equal_l2.directions import fgsm_directions, gaussian_directions
from perturbstudy.errors import DataError

torch.set_num_threads(1)


def digits(n: int = 24, side: int = 12, seed: int = 0) -> torch.Tensor:
    """MNIST-like images: mostly black, a bright blob, some mid-grey pixels."""
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, 1, side, side)
    x[:, :, 3:9, 4:8] = torch.rand((n, 1, 6, 4), generator=g) * 0.5 + 0.5
    x[:, :, 5, :] = 1.0
    return x


def tiny_model(seed: int = 0, side: int = 12) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * (side - 2) ** 2, 4)).eval()


def _max_error(bench, x) -> float:
    worst = 0.0
    for level, rows, images in level_images(bench, x):
        if rows.numel():
            worst = max(worst, float((perturbation_l2(x[rows], images) - level).abs().max()))
            assert images.dtype == torch.float32 and images.min() >= 0 and images.max() <= 1
    return worst


def test_gaussian_levels_exact_and_resampled():
    x = digits()
    # the largest level is near the reachable maximum (~sqrt(#positive-noise pixels)), so some draws fail
    levels = [0.5, 2.0, 5.0, 8.1]
    bench = gaussian_benchmark(x, levels, seed=3)
    assert not torch.isnan(bench.scales).any()
    assert _max_error(bench, x) <= 1e-4
    assert check_exact(bench, x) <= 1e-4
    assert bench.meta["resampled"] > 0
    again = gaussian_benchmark(x, levels, seed=3)
    assert torch.equal(again.direction, bench.direction) and torch.equal(again.scales, bench.scales)
    other = gaussian_benchmark(x, levels, seed=4)
    assert not torch.equal(other.direction, bench.direction)


def _stream(x: torch.Tensor, seed: int, reach: float) -> tuple[torch.Tensor, int]:
    """The Gaussian stream both callers had before the one builder: a full float32 draw, then fresh draws
    for the samples that cannot reach `reach`, in index order."""
    gen = torch.Generator().manual_seed(seed)
    noise, resampled = torch.randn(x.shape, generator=gen), 0
    while (short := torch.nonzero(max_reachable_l2(x, noise) < reach).flatten()).numel():
        resampled += short.numel()
        noise[short] = torch.randn((short.numel(), *x.shape[1:]), generator=gen)
    return noise, resampled


def test_gaussian_stream_is_the_one_direction_builders():
    x, levels = digits(), [0.5, 2.0, 5.0, 8.1]
    expected, resampled = _stream(x, 3, 8.1)
    bench = gaussian_benchmark(x, levels, seed=3)
    assert resampled > 0 and bench.meta["resampled"] == resampled
    assert bench.direction.dtype == torch.float32 and torch.equal(bench.direction, expected)
    noise, again = gaussian_directions(x, 3, 8.1)  # the training sets' call: same stream, stored as float16
    assert again == resampled and torch.equal(noise, expected.to(torch.float16))


def test_images_are_apply_scale_of_the_closed_form_scales():
    """One materialisation (float64, cast once): within one float32 rounding of the old float32 arithmetic."""
    x = digits()
    bench = gaussian_benchmark(x, [0.5, 2.0, 5.0], seed=0)
    assert torch.equal(bench.scales, scales_for_levels(x, bench.direction, bench.levels))  # no refinement needed
    for j in range(bench.levels.numel()):
        rows, images = bench.images(x, j)
        assert torch.equal(images, apply_scale(x, bench.direction, bench.scales[:, j]))
        float32 = torch.addcmul(x, bench.direction, bench.scales[:, j].float().reshape(-1, 1, 1, 1)).clamp(0, 1)
        assert (images - float32).abs().max() <= 2.0 ** -23


def test_gaussian_unreachable_everywhere_is_a_clear_error():
    x = torch.full((2, 1, 4, 4), 0.5)  # at most 0.5 * 4 = 2.0 reachable
    with pytest.raises(Exception, match="lower the largest benchmark level"):
        gaussian_benchmark(x, [1.0, 2.5], seed=0)


def test_fgsm_levels_exact_one_gradient_and_exclusions():
    x = digits()
    x[:4] = 1.0  # saturated images: the sign direction has little room
    y = torch.arange(x.shape[0]) % 4
    model = tiny_model()
    levels = [0.5, 1.0, 3.0, 6.0]
    bench = equal_l2_fgsm(model, x, y, levels, batch_size=7)
    grad = input_gradient(model, x, y)
    sign = grad.sign()
    assert bench.direction.dtype == torch.int8 and torch.equal(bench.direction, sign.to(torch.int8))  # same bits
    assert torch.equal(bench.direction, fgsm_directions(model, x, y))  # the one direction builder's
    zero = grad.flatten(1) == 0
    assert bench.meta == {"zero_gradient_samples": float(zero.all(1).float().mean()),
                          "zero_gradient_entries": float(zero.float().mean())}
    excluded = bench.excluded_counts()
    assert excluded[0] == 0 and excluded[-1] >= 1  # far levels exclude the saturated samples
    assert excluded == sorted(excluded)  # reachability is monotone in the level
    assert _max_error(bench, x) <= 1e-4
    for j, level in enumerate(levels):  # every image is along the sign direction
        rows, images = bench.images(x, j)
        moved = images - x[rows]
        assert ((moved * sign[rows]) >= 0).all()
        assert (perturbation_l2(x[rows], images) - level).abs().max() <= 1e-4


def test_roundtrip_hash_and_test_split_check(tmp_path):
    x = digits(6)
    bench = gaussian_benchmark(x, [1.0, 2.0], seed=0)
    path = tmp_path / "g.pt"
    summary = save_benchmark(path, bench, "abc", {"note": 1})
    assert summary["excluded_per_level"] == [0, 0] and summary["content_sha256"] == bench.sha256()
    loaded = load_benchmark(path, "abc")
    assert torch.equal(loaded.scales, bench.scales) and loaded.kind == "gaussian"
    with pytest.raises(DataError, match="different test split"):
        load_benchmark(path, "other")
    payload = torch.load(path, weights_only=True)
    payload["scales"][0, 0] += 1.0
    torch.save(payload, path)
    with pytest.raises(DataError, match="hash mismatch"):
        load_benchmark(path)


def test_levels_must_increase():
    with pytest.raises(DataError):
        as_levels([1.0, 0.5])
    with pytest.raises(DataError):
        as_levels([0.0, 1.0])
