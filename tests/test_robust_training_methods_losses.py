"""Each method's training loss equals its paper formula computed by hand (Li et al. 2024, eqs. 3-7, 11-16).

A linear model (no dropout or batch norm, so train and eval mode agree) and a fixed batch; alpha = 0.3 and
beta = 0.7 so that swapping the two weights of SAT, dropping DPAAT's beta L_SYN or adding it to D-A all
change the number. The adversarial examples come from the project's attacks (the same code in training and
evaluation); the tests check how each method composes its loss from them, and the project's documented
decisions: L_SYN as the Jensen-Shannon divergence, DPAAT radii clamped to [eps_min, eps_max], AMAT after
Ma & Liang's reference.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from perturbstudy.attacks import PGDL2, BoundaryPGDL2
from perturbstudy.robust_training.methods import build_strategy

EPS, STEP, STEPS, ALPHA, BETA, EPS_MAX = 0.5, 0.2, 3, 0.3, 0.7, 1.0
CFG = {"adversary": {"eps": EPS, "step_size": STEP, "steps": STEPS}, "alpha": ALPHA, "beta": BETA,
       "amat": {"delta_eps": 0.1, "eps_min": 0.0, "eps_max": EPS_MAX},
       "dpaat": {"eps_min": 0.0, "eps_max": EPS_MAX}}


@pytest.fixture()
def problem():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    x = (0.5 + 0.15 * torch.randn(8, 1, 4, 4)).clamp(0, 1)
    with torch.no_grad():
        y = model(x).argmax(1)
    y[:2] = (y[:2] + 1) % 3  # two misclassified samples; of the others, some have the boundary within EPS
    return model, x, y


def ce(model, x, y):
    return F.cross_entropy(model(x), y)


def js(model, x, x_adv):
    """Jensen-Shannon divergence of the softmax outputs, batch mean, by its definition."""
    p, q = F.softmax(model(x), 1), F.softmax(model(x_adv), 1)
    m = 0.5 * (p + q)
    return (0.5 * (p * (p / m).log()).sum(1) + 0.5 * (q * (q / m).log()).sum(1)).mean()


def pgd(model, x, y, eps):
    return PGDL2(model, eps=eps, alpha=STEP, steps=STEPS)(x, y)


def dpaat_radius(model, x, y, x_adv):
    """Eqs. 13-15: dL_i, its batch mean, gamma_i = eps |dL_i - mean| / mean, shrink fragile / grow stable."""
    with torch.no_grad():
        dl = F.cross_entropy(model(x_adv), y, reduction="none") - F.cross_entropy(model(x), y, reduction="none")
        avg = dl.mean()
        assert avg > 0  # the guard (config/README.md) does not apply to this batch
        norms = (x_adv - x).flatten(1).norm(dim=1)
        gamma = EPS * (dl - avg).abs() / avg
        return torch.where(dl > avg, norms - gamma, norms + gamma).clamp(0.0, EPS_MAX)


def expected_loss(method, model, x, y):
    x_fixed = pgd(model, x, y, EPS)
    if method == "std":
        return ce(model, x, y)
    if method == "at":  # eq. 3
        return ce(model, x_fixed, y)
    if method == "sat":  # eq. 4
        return ALPHA * ce(model, x_fixed, y) + (1 - ALPHA) * ce(model, x, y)
    if method == "amat":  # eq. 7 on the boundary-stopped examples at the initial margins (eps)
        x_b = BoundaryPGDL2(model, eps=EPS, alpha=STEP, steps=STEPS)(x, y)
        return 0.5 * (ce(model, x_b, y) + ce(model, x, y))
    x_adv = pgd(model, x, y, dpaat_radius(model, x, y, x_fixed)) if method in ("dpaat", "da") else x_fixed
    loss = ALPHA * ce(model, x_adv, y) + (1 - ALPHA) * ce(model, x, y)  # L_SAT on DPAAT's examples (eq. 12)
    return loss + BETA * js(model, x, x_adv) if method in ("dpaat", "db") else loss


@pytest.mark.parametrize("method", ["std", "at", "sat", "amat", "dpaat", "da", "db"])
def test_training_loss_is_the_papers_formula(problem, method):
    model, x, y = problem
    strategy = build_strategy(method, CFG, num_samples=8, seed=0)
    loss, _ = strategy.batch_loss(model, x, y, torch.arange(8))
    assert loss.requires_grad
    assert loss.item() == pytest.approx(expected_loss(method, model, x, y).item(), rel=1e-5, abs=1e-6)


def test_the_formulas_tell_the_methods_apart(problem):
    """The hand formulas differ pairwise on this batch, so a mixed-up composition cannot pass the test above."""
    model, x, y = problem
    values = {m: expected_loss(m, model, x, y).item() for m in ("std", "at", "sat", "amat", "dpaat", "da", "db")}
    swapped_sat = (1 - ALPHA) * ce(model, pgd(model, x, y, EPS), y) + ALPHA * ce(model, x, y)
    rounded = [round(v, 4) for v in [*values.values(), swapped_sat.item()]]
    assert len(set(rounded)) == len(rounded), values


def test_amat_updates_margins_as_the_reference(problem):
    model, x, y = problem
    strategy = build_strategy("amat", CFG, num_samples=8, seed=0)
    index = torch.arange(8)
    strategy.batch_loss(model, x, y, index)
    search = BoundaryPGDL2(model, eps=EPS, alpha=STEP, steps=STEPS)
    distance = (search(x, y) - x).flatten(1).norm(dim=1)
    correct = model(x).argmax(1) == y
    assert bool((correct & search.flipped).any() and (correct & ~search.flipped).any() and (~correct).any())
    expected = torch.where(search.flipped, 0.5 * (EPS + distance), torch.full_like(distance, EPS + 0.1))
    expected = torch.where(correct, expected, torch.full_like(distance, EPS)).clamp(0.0, EPS_MAX)
    assert torch.allclose(strategy.radius, expected, atol=1e-6)
