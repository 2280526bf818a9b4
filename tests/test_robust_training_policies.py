"""Augmentation policies: torchvision's AugMix and RandAugment per image, seeded by the caller's generator only."""

from __future__ import annotations

import pytest
import torch

from perturbstudy.errors import ConfigError
from perturbstudy.robust_training.policies import POLICIES, make_policy, torchvision_policy


def _batch(n=8, channels=1, size=28, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, channels, size, size)
    x[:, :, 6:22, 9:19] = torch.rand(n, channels, 16, 10, generator=g)
    return (x * 255).round() / 255


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("name", ["augmix", "randaugment"])
@pytest.mark.parametrize("channels", [1, 3])
def test_torchvision_policies_are_seeded_and_leave_the_global_rng(name, channels):
    policy, x = make_policy(name), _batch(channels=channels)
    torch.manual_seed(1)
    state = torch.get_rng_state()
    a = policy(x, _gen(4))
    assert torch.equal(torch.get_rng_state(), state)  # torchvision ran on a forked, seeded RNG
    torch.manual_seed(2)
    assert torch.equal(a, policy(x, _gen(4)))
    assert not torch.equal(a, policy(x, _gen(5)))
    assert a.shape == x.shape and a.dtype == x.dtype and 0 <= float(a.min()) and float(a.max()) <= 1
    assert torch.equal((a * 255).round() / 255, a)  # 8-bit images, as the policies are defined


def test_each_image_draws_its_own_operations():
    x = _batch(1).repeat(8, 1, 1, 1)  # eight copies of one image
    out = make_policy("randaugment")(x, _gen())
    assert len({bytes(o.numpy().tobytes()) for o in out}) > 1


def test_the_generator_advances_from_batch_to_batch():
    policy, x, g = make_policy("augmix"), _batch(), _gen()
    assert not torch.equal(policy(x, g), policy(x, g))


def test_uint8_round_trip_is_lossless_for_dataset_images():
    x = _batch(4, 3)
    assert torch.equal(torchvision_policy(lambda img: img)(x, _gen()), x)


def test_settings_reach_torchvision():
    x = _batch(4)
    nothing = make_policy("randaugment", {"num_ops": 0})  # no operation: the images come back unchanged
    assert torch.equal(nothing(x, _gen()), x)
    assert not torch.equal(make_policy("augmix", {"severity": 10})(x, _gen()), make_policy("augmix")(x, _gen()))


def test_bad_requests_are_clear_errors():
    assert POLICIES == ("augmix", "randaugment", "medmnistc")
    with pytest.raises(ConfigError, match=r"rtda.augmix: unknown keys \['magnitude'\]"):
        make_policy("augmix", {"magnitude": 3})
    with pytest.raises(ConfigError, match="unknown augmentation policy 'cutmix'"):
        make_policy("cutmix")
    with pytest.raises(ConfigError, match="needs the MedMNIST dataset"):
        make_policy("medmnistc")
    with pytest.raises(ConfigError, match=r"\[N, C, H, W\]"):
        make_policy("augmix")(torch.zeros(1, 28, 28), _gen())
