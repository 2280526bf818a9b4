"""MNIST-C corruptions: pure, seeded, in range, stronger with severity, and hand-checked where a definition allows."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from perturbstudy.corruptions.mnistc import (
    MNISTC,
    MNISTC_FAMILIES,
    apply_mnistc,
    mnistc_corruptions,
    plasma_fractal,
)
from perturbstudy.data import load_dataset
from perturbstudy.errors import ConfigError, DataError

#: deterministic by definition (MNIST-C draws nothing for them)
NO_RANDOMNESS = ("scale", "brightness")
#: MNIST-C's own parameters are not monotone in pixel change for these (config/README.md, "Distribution shift"):
#: fog's severities 3 and 4 share the strength 2.5; spatter's severities 4-5 change the mask blur (ImageNet-C's
#: water/mud switch, always mud in MNIST-C); motion blur's kernels at severities 4-5 outgrow a 28x28 digit (its
#: spread is checked on a dot instead, below)
NOT_MONOTONE = ("fog", "spatter", "motion_blur")


@pytest.fixture(scope="module")
def digits():
    return load_dataset("mnist5k").pools["all"].images[::100][:48]  # 48 real digits of every class


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_eleven_of_mnistc_fifteen_in_families():
    assert mnistc_corruptions() == ("shot_noise", "impulse_noise", "glass_blur", "motion_blur", "shear", "scale",
                                    "rotate", "brightness", "translate", "fog", "spatter")
    assert sorted(n for members in MNISTC_FAMILIES.values() for n in members) == sorted(MNISTC)


@pytest.mark.parametrize("name", list(MNISTC))
def test_pure_seeded_same_shape_in_range(name, digits):
    torch.manual_seed(123)
    np.random.seed(7)
    a = apply_mnistc(digits, name, 3, _gen(5))
    torch.manual_seed(999)  # the global RNGs play no part
    np.random.seed(8)
    b = apply_mnistc(digits, name, 3, _gen(5))
    assert torch.equal(a, b)
    assert a.shape == digits.shape and a.dtype == torch.float32
    assert float(a.min()) >= 0.0 and float(a.max()) <= 1.0
    assert not torch.equal(a, digits)
    if name not in NO_RANDOMNESS:
        assert not torch.equal(a, apply_mnistc(digits, name, 3, _gen(6)))
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()[1].copy()
    apply_mnistc(digits, name, 3, _gen(7))
    assert torch.equal(torch.get_rng_state(), torch_state) and np.array_equal(np.random.get_state()[1], numpy_state)


@pytest.mark.parametrize("name", list(MNISTC))
def test_higher_severity_changes_the_image_more(name, digits):
    change = [float((apply_mnistc(digits, name, s, _gen(0)) - digits).abs().mean()) for s in range(1, 6)]
    if name in NOT_MONOTONE:
        assert change[4] > change[0] > 0
    else:
        assert all(a < b for a, b in zip(change, change[1:], strict=False)), change


def test_inputs_are_checked(digits):
    with pytest.raises(DataError, match="grey images"):
        apply_mnistc(digits.repeat(1, 3, 1, 1), "fog", 1, _gen())
    with pytest.raises(ConfigError, match="severity"):
        apply_mnistc(digits, "fog", 6, _gen())
    with pytest.raises(ConfigError, match="unknown MNIST-C corruption 'stripe'"):
        apply_mnistc(digits, "stripe", 1, _gen())


def test_brightness_is_the_grey_hsv_round_trip():
    x = torch.linspace(0, 1, 16).reshape(1, 1, 4, 4)
    assert torch.allclose(apply_mnistc(x, "brightness", 3, _gen()), (x + 0.3).clamp(0, 1))


def test_translate_shifts_by_whole_pixels():
    x = torch.zeros(1, 1, 28, 28)
    x[0, 0, 10:14, 12:15] = torch.rand(4, 3, generator=_gen(1))
    out = apply_mnistc(x, "translate", 2, _gen(3))
    # skimage warp with inverse map (col + dx, row + dy): the image moves by (-dx, -dy), dx, dy in {-2, 2}
    shifted = [torch.roll(x, (-dy, -dx), dims=(2, 3)) for dx in (-2, 2) for dy in (-2, 2)]
    assert sum(torch.allclose(out, s, atol=1e-6) for s in shifted) == 1


def test_scale_shrinks_towards_the_centre():
    x = torch.zeros(1, 1, 28, 28)
    x[0, 0, 4:24, 4:24] = 1.0
    out = apply_mnistc(x, "scale", 5, _gen())  # to half the size about (13.5, 13.5)
    assert torch.allclose(out[0, 0, 9:19, 9:19], torch.ones(10, 10))
    assert float(out[0, 0, :8].abs().max()) == 0 and float(out[0, 0, :, 20:].abs().max()) == 0


def test_impulse_noise_flips_its_share_to_black_and_white():
    x = torch.full((20, 1, 28, 28), 0.5)
    out = apply_mnistc(x, "impulse_noise", 5, _gen())
    changed = out != 0.5
    assert abs(float(changed.float().mean()) - 0.27) < 0.01
    assert set(out[changed].unique().tolist()) == {0.0, 1.0}
    assert abs(float((out[changed] == 1).float().mean()) - 0.5) < 0.03


def test_motion_blur_is_one_sided_along_the_angle():
    x = torch.zeros(8, 1, 28, 28)
    x[:, 0, 14, 14] = 1.0
    out = apply_mnistc(x, "motion_blur", 1, _gen())
    # out(r, c) = sum_i k_i x(r + drow_i, c + dcol_i) with dcol_i >= 0 (angle in [-45, 45]): only columns <= 14 light
    assert float(out[..., 15:].abs().max()) == 0
    assert bool((out[:, 0, 14, 14] > 0).all())  # tap 0 reads the dot itself
    assert torch.allclose(out.sum(dim=(1, 2, 3)), torch.ones(8))  # taps past the border weigh < 1e-5
    assert float(out[..., :14].sum()) > 0


def test_motion_blur_spreads_further_with_severity():
    x = torch.zeros(4, 1, 28, 28)
    x[:, 0, 14, 14] = 1.0
    spread = []
    for severity in range(1, 6):  # same generator: the same angles, only the kernel (radius, sigma) changes
        out = apply_mnistc(x, "motion_blur", severity, _gen(2))[:, 0]
        weights = out / out.sum(dim=(1, 2), keepdim=True)
        rows, cols = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
        spread.append(float(((rows - 14) ** 2 + (cols - 14) ** 2).mul(weights).sum(dim=(1, 2)).mean()))
    assert all(a < b for a, b in zip(spread, spread[1:], strict=False)), spread


def test_plasma_fractal_is_a_normalised_map():
    maps = plasma_fractal(3, np.random.default_rng(0), mapsize=64)
    assert maps.shape == (3, 64, 64)
    assert np.allclose(maps.min(axis=(1, 2)), 0) and np.allclose(maps.max(axis=(1, 2)), 1)
    assert not np.allclose(maps[0], maps[1])
    with pytest.raises(ConfigError, match="power of two"):
        plasma_fractal(1, np.random.default_rng(0), mapsize=48)
