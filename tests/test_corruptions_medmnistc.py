"""MedMNIST-C through the optional `medmnistc` package: seeded, global RNGs untouched, 224x224 only, clear errors.

The tests that run the package skip, naming the reason, where medmnistc or ImageMagick's MagickWand is missing
(perturbstudy[corruptions]; apt-get install libmagickwand-6.q16-6). The missing-dependency error is tested always.
"""

from __future__ import annotations

import os
import random
import sys

import numpy as np
import pytest
import torch

from perturbstudy.corruptions import medmnistc as mc
from perturbstudy.errors import ConfigError, DataError, DependencyError

REASON = mc.medmnistc_unavailable()
needs_medmnistc = pytest.mark.skipif(REASON is not None, reason=f"MedMNIST-C unavailable: {REASON}")


def _images(n=2, channels=3, size=224, seed=0):
    """Smooth random images (a lesion-like blob on skin-like background), multiples of 1/255."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    blob = torch.exp(-(xx**2 + yy**2) * 4)
    base = 0.3 + 0.4 * torch.rand(n, channels, 1, 1, generator=g)
    x = (base + 0.3 * blob - 0.05 * torch.rand(n, channels, size, size, generator=g)).clamp(0, 1)
    return (x * 255).round() / 255


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_a_missing_package_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "medmnistc.corruptions.registry", None)  # import fails as if not installed
    mc._corruptors.cache_clear()
    try:
        message = mc.medmnistc_unavailable()
        assert message and "perturbstudy[corruptions]" in message and "libmagickwand" in message
        with pytest.raises(DependencyError, match="conda install -c conda-forge imagemagick"):
            mc.medmnistc_corruptions("dermamnist")
    finally:
        mc._corruptors.cache_clear()


@needs_medmnistc
def test_the_corruptions_are_the_packages():
    from medmnistc.corruptions.registry import CORRUPTIONS_DS

    assert mc.medmnistc_corruptions("dermamnist") == tuple(CORRUPTIONS_DS["dermamnist"])
    assert "breastmnist" in mc.medmnistc_datasets() and "chestmnist" in mc.medmnistc_datasets()
    with pytest.raises(ConfigError, match="no corruptions for 'mnist'"):
        mc.medmnistc_corruptions("mnist")


@needs_medmnistc
@pytest.mark.parametrize("corruption", ["gaussian_noise", "impulse_noise", "motion_blur", "characters"])
def test_seeded_in_range_and_global_rngs_untouched(corruption):
    x = _images()
    np_state, py_state, torch_state = np.random.get_state()[1].copy(), random.getstate(), torch.get_rng_state()
    a = mc.apply_medmnistc(x, "dermamnist", corruption, 3, _gen(1))
    assert np.array_equal(np.random.get_state()[1], np_state) and random.getstate() == py_state
    assert torch.equal(torch.get_rng_state(), torch_state)
    np.random.seed(5)
    random.seed(5)
    b = mc.apply_medmnistc(x, "dermamnist", corruption, 3, _gen(1))
    assert torch.equal(a, b)
    assert a.shape == x.shape and a.dtype == torch.float32 and 0 <= float(a.min()) and float(a.max()) <= 1
    assert not torch.equal(a, x)
    assert not torch.equal(a, mc.apply_medmnistc(x, "dermamnist", corruption, 3, _gen(2)))


@needs_medmnistc
@pytest.mark.parametrize("corruption", ["gaussian_noise", "pixelate", "contrast_down"])
def test_higher_severity_changes_the_image_more(corruption):
    x = _images(3)
    change = [float((mc.apply_medmnistc(x, "dermamnist", corruption, s, _gen()) - x).abs().mean()) for s in range(1, 6)]
    assert all(a < b for a, b in zip(change, change[1:], strict=False)), change


@needs_medmnistc
def test_grey_datasets_stay_grey():
    x = _images(2, channels=1)
    out = mc.apply_medmnistc(x, "breastmnist", "speckle_noise", 2, _gen())
    assert out.shape == (2, 1, 224, 224)
    brighter = mc.apply_medmnistc(x, "breastmnist", "brightness_up", 5, _gen())  # PIL brightness x 2.0
    assert torch.allclose(brighter, (x * 2.0).clamp(0, 1), atol=1.5 / 255)


@needs_medmnistc
def test_medmnistc_is_defined_at_224_and_checks_its_arguments():
    with pytest.raises(DataError, match="dataset.size: 224"):
        mc.apply_medmnistc(_images(1, size=28), "dermamnist", "pixelate", 1, _gen())
    with pytest.raises(ConfigError, match="no corruption 'fog'"):
        mc.apply_medmnistc(_images(1), "dermamnist", "fog", 1, _gen())
    with pytest.raises(ConfigError, match="severity"):
        mc.apply_medmnistc(_images(1), "dermamnist", "pixelate", 0, _gen())


@needs_medmnistc
def test_training_augmentation_is_seeded_per_image():
    x = _images(6)
    a = mc.augment_medmnistc(x, "dermamnist", _gen(3))
    assert torch.equal(a, mc.augment_medmnistc(x, "dermamnist", _gen(3)))
    assert a.shape == x.shape and 0 <= float(a.min()) and float(a.max()) <= 1
    changed = [(a[i] != x[i]).any().item() for i in range(6)]
    assert any(changed)


@needs_medmnistc
def test_the_benchmark_builds_the_medmnistc_suite():
    from perturbstudy.corruptions.benchmark import build_corruption_benchmark, suite_families

    x = _images(2, channels=1)
    one = build_corruption_benchmark(x, "medmnistc", ["pixelate", "gamma_corr_up"], [1, 5], seed=0,
                                     dataset="chestmnist")
    two = build_corruption_benchmark(x, "medmnistc", ["pixelate", "gamma_corr_up"], [1, 5], seed=0,
                                     dataset="chestmnist")
    assert one.sha256() == two.sha256() and one.images[("pixelate", 5)].shape == (2, 1, 224, 224)
    families = suite_families("medmnistc", "chestmnist")
    assert "pixelate" in families["digital"] and "gamma_corr_up" in families["task-specific"]


def test_imagemagick_in_the_env_prefix_is_found(tmp_path, monkeypatch):
    """conda-forge's imagemagick puts libMagickWand under sys.prefix/lib, where Wand looks only via MAGICK_HOME."""
    (tmp_path / "lib").mkdir()
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    monkeypatch.setenv("MAGICK_HOME", "unset below")  # recorded, so the variable is restored after the test
    monkeypatch.delenv("MAGICK_HOME")
    mc._conda_magick_home()
    assert "MAGICK_HOME" not in os.environ  # no library there: nothing set
    (tmp_path / "lib" / "libMagickWand-7.Q16HDRI.so.10").touch()
    mc._conda_magick_home()
    assert os.environ["MAGICK_HOME"] == str(tmp_path)
    monkeypatch.setenv("MAGICK_HOME", "/opt/magick")
    mc._conda_magick_home()
    assert os.environ["MAGICK_HOME"] == "/opt/magick"  # the user's setting is kept
