"""DPAAT's adaptive radius (eq. 15), the synchronisation loss (eq. 11) and AMAT's margins (reference and eq. 5)."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from perturbstudy.errors import ConfigError
from perturbstudy.robust_training.methods import (
    AdversarySettings,
    AMATTraining,
    amat_margin_update,
    dpaat_epsilon,
    synchronisation_loss,
)

from .linear_models import linear_problem


def test_dpaat_epsilon_both_branches_and_clamp():
    # dL = [1, 2, 3, 6] -> mean 3; gamma = 0.3 |dL - 3| / 3 = [0.2, 0.1, 0, 0.3]
    delta_loss = torch.tensor([1.0, 2.0, 3.0, 6.0])
    norms = torch.full((4,), 0.3)
    radius, adapted = dpaat_epsilon(delta_loss, norms, eps=0.3, eps_min=0.0, eps_max=10.0)
    assert adapted
    # fragile (dL > mean): 0.3 - 0.3; the rest (dL <= mean, including dL == mean): 0.3 + gamma
    assert torch.allclose(radius, torch.tensor([0.5, 0.4, 0.3, 0.0]), atol=1e-6)
    clamped, _ = dpaat_epsilon(delta_loss, norms, eps=0.3, eps_min=0.05, eps_max=0.45)
    assert torch.allclose(clamped, torch.tensor([0.45, 0.4, 0.3, 0.05]), atol=1e-6)


def test_dpaat_epsilon_uses_the_actual_perturbation_norms():
    delta_loss = torch.tensor([0.0, 4.0])  # mean 2, gamma = 0.3 * 2 / 2 = 0.3 each
    norms = torch.tensor([0.25, 0.2])
    radius, _ = dpaat_epsilon(delta_loss, norms, eps=0.3, eps_min=0.0, eps_max=1.0)
    assert torch.allclose(radius, torch.tensor([0.55, 0.0]), atol=1e-6)


@pytest.mark.parametrize("delta_loss", [[-1.0, 0.5, 0.2], [1.0, -1.0], [0.0, 0.0]])
def test_dpaat_epsilon_guard_for_nonpositive_mean(delta_loss):
    norms = torch.tensor([0.3, 0.29, 0.7])[: len(delta_loss)]
    radius, adapted = dpaat_epsilon(torch.tensor(delta_loss), norms, eps=0.3, eps_min=0.0, eps_max=0.6)
    assert not adapted
    assert torch.equal(radius, norms.clamp(0.0, 0.6))


def _eq11_by_hand(p, q):
    terms = (pi * math.log(pi / (pi + qi)) + qi * math.log(qi / (pi + qi)) for pi, qi in zip(p, q, strict=True))
    return -0.5 * sum(terms)


def test_synchronisation_loss_matches_hand_computation():
    p, q = (0.8, 0.2), (0.4, 0.6)
    logits_p, logits_q = torch.log(torch.tensor([p])), torch.log(torch.tensor([q]))
    eq11 = _eq11_by_hand(p, q)
    assert synchronisation_loss(logits_p, logits_q, "literal").item() == pytest.approx(eq11, rel=1e-6)
    assert synchronisation_loss(logits_p, logits_q, "js").item() == pytest.approx(math.log(2) - eq11, rel=1e-6)
    # batch mean of two rows
    both = synchronisation_loss(torch.cat([logits_p, logits_p]), torch.cat([logits_q, logits_p]), "js")
    assert both.item() == pytest.approx((math.log(2) - eq11) / 2, rel=1e-6)


def test_synchronisation_loss_js_is_zero_iff_outputs_agree_and_eq11_is_reversed():
    logits = torch.tensor([[2.0, -1.0, 0.5]])
    far = torch.tensor([[-5.0, 5.0, -5.0]])
    assert synchronisation_loss(logits, logits, "js").item() == pytest.approx(0.0, abs=1e-7)
    assert synchronisation_loss(logits, far, "js").item() > 0.3
    # eq. 11 as printed is largest (log 2) when outputs agree: minimising it would push them apart
    assert synchronisation_loss(logits, logits, "literal").item() == pytest.approx(math.log(2), rel=1e-6)
    assert synchronisation_loss(logits, far, "literal").item() < math.log(2) - 0.3
    with pytest.raises(ConfigError):
        synchronisation_loss(logits, far, "kl")


class _MeanModel(nn.Module):
    """logits = (10 * mean(x), 0): the loss at label 0 is small for bright images, log 2 for dark ones."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(()))

    def forward(self, x):
        s = 10 * self.w * x.flatten(1).mean(1)
        return torch.stack([s, torch.zeros_like(s)], 1)


def _half_radius_attack(model, x, y, eps):
    """A zero-mean perturbation of L2 norm eps / 2 (so the loss of _MeanModel does not change)."""
    u = torch.ones_like(x[0]).flatten()
    u[1::2] = -1
    u = (u / u.norm()).reshape(x[0].shape)
    return x + 0.5 * eps.view(-1, 1, 1, 1) * u


def test_amat_li2024_radius_update_over_two_epochs():
    """Li's eq. 5 as printed (rule li2024), with a stand-in attack of norm eps / 2."""
    x = torch.cat([torch.ones(2, 1, 4, 4), torch.zeros(2, 1, 4, 4)])  # bright: L ~ 0; dark: L = log 2
    y = torch.zeros(4, dtype=torch.int64)
    strategy = AMATTraining(AdversarySettings(eps=0.3), num_samples=6, delta_eps=0.1, eps_min=0.0, eps_max=0.45,
                            rule="li2024", xi=0.5, attack=_half_radius_attack)
    model = _MeanModel()
    index = torch.tensor([0, 1, 4, 5])
    expected = {1: [0.4, 0.4, 0.225, 0.225], 2: [0.45, 0.45, 0.16875, 0.16875]}  # grow (clamped) / (r + r/2) / 2
    for epoch in (1, 2):
        loss, logits = strategy.batch_loss(model, x, y, index)
        assert loss.requires_grad and logits.shape == (4, 2)
        strategy.end_epoch(epoch)
        assert torch.allclose(strategy.radius[index], torch.tensor(expected[epoch]), atol=1e-6)
        assert torch.allclose(strategy.radius[[2, 3]], torch.tensor([0.3, 0.3]))  # unseen samples keep eps
    assert strategy.epoch_stats[-1]["epoch"] == 2
    # the resume checkpoint carries the radii
    other = AMATTraining(AdversarySettings(eps=0.3), 6, 0.1, 0.0, 0.45, rule="li2024", attack=_half_radius_attack)
    other.load_state_dict(strategy.state_dict())
    assert torch.equal(other.radius, strategy.radius) and other.epoch_stats == strategy.epoch_stats


def test_amat_margin_update_follows_the_reference():
    margin = torch.tensor([0.3, 0.3, 0.3, 0.3, 0.58])
    correct = torch.tensor([True, True, False, False, True])
    flipped = torch.tensor([False, True, False, True, False])
    distance = torch.tensor([0.3, 0.1, 0.3, 0.0, 0.58])
    new = amat_margin_update(margin, correct, flipped, distance, delta_eps=0.05, eps_min=0.0, eps_max=0.6)
    # grow / move half-way to the flip distance / misclassified keep theirs (both cases) / clamped growth
    assert torch.allclose(new, torch.tensor([0.35, 0.2, 0.3, 0.3, 0.6]))


def test_amat_margins_converge_to_the_true_boundary_distances_of_a_linear_model():
    model, x, y, distance = linear_problem(64)
    labels = y.clone()
    labels[:4] = 1 - labels[:4]  # misclassified: their margins never move
    eps = float(distance.median())
    adversary = AdversarySettings(eps=eps, step_size=eps / 2, steps=10, relative_step=True)
    strategy = AMATTraining(adversary, num_samples=64, delta_eps=eps / 4, eps_min=0.0, eps_max=4 * eps,
                            refine_steps=25)
    index = torch.arange(64)
    for epoch in range(1, 41):  # the model stays fixed: only the margins move
        strategy.batch_loss(model, x, labels, index)
        strategy.end_epoch(epoch)
    assert torch.allclose(strategy.radius[:4], torch.full((4,), eps))
    ok = distance[4:] < 4 * eps - eps / 4  # reachable below the clamp
    assert torch.allclose(strategy.radius[4:][ok], distance[4:][ok], rtol=1e-3, atol=1e-4)
    first = strategy.epoch_stats[0]
    assert first["grows"] > 0 and first["shrinks"] > 0  # some balls held no adversarial example, some did
    # Li's eq. 5 as printed with fixed-radius PGD: ||x_adv - x|| = eps, so no margin shrinks (beyond rounding)
    literal = AMATTraining(adversary, num_samples=64, delta_eps=eps / 4, eps_min=0.0, eps_max=4 * eps,
                           rule="li2024", xi=0.5)
    before = literal.radius.clone()
    for epoch in range(1, 4):
        literal.batch_loss(model, x, labels, index)
        literal.end_epoch(epoch)
        assert bool((literal.radius >= before - 1e-6).all())
        before = literal.radius.clone()


def test_amat_rule_is_checked():
    with pytest.raises(ConfigError, match="rule"):
        AMATTraining(AdversarySettings(), 4, 0.1, 0.0, 0.6, rule="eq5")
