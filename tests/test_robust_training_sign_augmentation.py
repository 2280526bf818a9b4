"""Pervin et al.'s FGSM / inverse-FGSM augmentation as a classifier training strategy."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from perturbstudy.attacks import input_gradient
from perturbstudy.errors import ConfigError
from perturbstudy.robust_training.methods import build_strategy

CFG = {"sign_augmentation": {"eps": 0.1, "share": 0.5}}


def _problem():
    torch.manual_seed(0)
    source = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    x = (0.5 + 0.2 * torch.randn(10, 1, 4, 4)).clamp(0, 1)
    y = torch.arange(10) % 3
    return source, model, x, y


@pytest.mark.parametrize("method,sign", [("fgsm_aug", 1.0), ("invfgsm_aug", -1.0)])
def test_loss_is_cross_entropy_over_the_batch_and_its_copies(method, sign):
    source, model, x, y = _problem()
    strategy = build_strategy(method, CFG, num_samples=10, seed=0, source=source)
    index = torch.arange(10)
    loss, logits = strategy.batch_loss(model, x, y, index)
    chosen = strategy.chosen
    assert int(chosen.sum()) == 5 and logits.shape == (10, 3)
    # eq. 1 / eq. 3 of Pervin et al. with the source model's input gradient
    copies = (x[chosen] + sign * 0.1 * input_gradient(source, x[chosen], y[chosen]).sign()).clamp(0, 1)
    assert torch.allclose(strategy.copies[chosen], copies)
    expected = F.cross_entropy(model(torch.cat([x, copies])), torch.cat([y, y[chosen]]))
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    # FGSM copies raise the source model's loss, inverse-FGSM copies lower it
    before = F.cross_entropy(source(x[chosen]), y[chosen])
    after = F.cross_entropy(source(copies), y[chosen])
    assert (after > before) if sign > 0 else (after < before)


def test_copies_are_made_once_and_survive_a_resume():
    source, model, x, y = _problem()
    strategy = build_strategy("fgsm_aug", CFG, num_samples=10, seed=0, source=source)
    strategy.batch_loss(model, x[:5], y[:5], torch.arange(5))
    made = strategy.made.clone()
    with torch.no_grad():
        source[1].weight.add_(1.0)  # a changed source would change new copies, not the ones already made
    strategy.batch_loss(model, x[:5], y[:5], torch.arange(5))
    other = build_strategy("fgsm_aug", CFG, num_samples=10, seed=0, source=source)
    other.load_state_dict(strategy.state_dict())
    assert torch.equal(other.made, made) and torch.equal(other.copies, strategy.copies)


def test_augmentation_needs_the_source_model():
    with pytest.raises(ConfigError, match="STD model"):
        build_strategy("invfgsm_aug", CFG, num_samples=10)
