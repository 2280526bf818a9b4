"""Every method trains through the one trainer; AT is more robust than STD on a toy problem."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from perturbstudy.attacks import PGDL2
from perturbstudy.data import Pool, load_dataset, make_splits, select_classes
from perturbstudy.models import build_model
from perturbstudy.robust_training.methods import (
    METHODS,
    SOURCE_METHODS,
    AdversarySettings,
    DPAATTraining,
    build_strategy,
)
from perturbstudy.train import StandardTraining, TrainSettings, train_model

CFG = {"adversary": {"eps": 1.0, "step_size": 0.5, "steps": 2}, "alpha": 0.5, "beta": 1.0,
       "amat": {"xi": 0.5, "delta_eps": 0.1, "eps_min": 0.0, "eps_max": 2.0},
       "dpaat": {"eps_min": 0.0, "eps_max": 2.0}}


def _tiny_pool(n=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    return Pool(torch.rand(n, 1, 28, 28, generator=g), torch.arange(n) % 3)


@pytest.mark.parametrize("method", [m for m in METHODS if not m.endswith("medmnistc")])  # 224x224, optional
def test_each_method_trains_one_tiny_epoch(method):  # package: tests/test_robust_training_rtda.py
    pool = _tiny_pool()
    torch.manual_seed(0)
    model = build_model("lenet5", 1, 3, 28)
    before = [p.detach().clone() for p in model.parameters()]
    source = build_model("lenet5", 1, 3, 28) if method in SOURCE_METHODS else None  # Pervin's augmentation
    strategy = build_strategy(method, CFG, len(pool), seed=1, source=source)
    result = train_model(model, pool, _tiny_pool(9, 1), TrainSettings(batch_size=8, max_epochs=1), seed=0,
                         strategy=strategy, progress=False)
    assert result.epochs_run == 1 and torch.isfinite(torch.tensor(result.history[0]["train_loss"]))
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert isinstance(strategy, StandardTraining) == (method == "std")
    if method != "std":
        assert len(strategy.epoch_stats) == 1


class _CountingAttack:
    def __init__(self):
        self.radii = []

    def __call__(self, model, x, y, eps):
        self.radii.append(eps.clone())
        return PGDL2(model, eps=eps, alpha=0.5, steps=2)(x, y)


@pytest.mark.parametrize("method,calls", [("dpaat", 2), ("da", 2), ("db", 1)])
def test_dpaat_regenerates_examples_with_the_adaptive_radius(method, calls):
    pool = _tiny_pool(12)
    torch.manual_seed(0)
    model = build_model("lenet5", 1, 3, 28)
    attack = _CountingAttack()
    strategy = build_strategy(method, CFG, len(pool), attack=attack)
    index = torch.arange(12)
    loss, _ = strategy.batch_loss(model, pool.images, pool.labels, index)
    assert loss.requires_grad
    assert len(attack.radii) == calls
    assert torch.allclose(attack.radii[0], torch.full((12,), 1.0))
    if calls == 2:  # the second pass uses eq. 15's per-sample radii, and they are recorded per sample
        assert attack.radii[1].std() > 0
        assert torch.equal(strategy.last_eps[index], attack.radii[1])


def test_dpaat_guarded_batch_keeps_the_fixed_radius_examples():
    class _Identity:  # x_adv = x: every loss change is 0, so the batch mean is 0 (guard)
        calls = 0

        def __call__(self, model, x, y, eps):
            self.calls += 1
            return x.clone()

    attack = _Identity()
    strategy = DPAATTraining(AdversarySettings(eps=0.3), 6, attack=attack)
    pool = _tiny_pool(6)
    model = build_model("lenet5", 1, 3, 28)
    strategy.batch_loss(model, pool.images, pool.labels, torch.arange(6))
    strategy.end_epoch(1)
    assert attack.calls == 1 and strategy.epoch_stats[-1]["guarded_batches"] == 1.0
    assert torch.allclose(strategy.last_eps, torch.full((6,), 0.3))


@pytest.mark.slow
def test_at_is_more_robust_than_std_on_a_toy_problem():
    """A linear classifier of digits 3 vs 8 (mnist5k): AT at L2 radius 2 beats STD under 20-step PGD."""
    raw = select_classes(load_dataset("mnist5k"), [3, 8])
    splits = make_splits(raw, 0, 0.1, 0.2, train_per_class=150, test_per_class=100, pool_all=True, val_per_class=30)
    adversary = {"adversary": {"eps": 2.0, "step_size": 1.0, "steps": 5}}
    robust, clean = {}, {}
    for method in ("std", "at"):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 2))
        result = train_model(model, splits.train, splits.val, TrainSettings(lr=0.01, batch_size=32, max_epochs=10,
                             patience=10), seed=0, strategy=build_strategy(method, adversary, len(splits.train)),
                             progress=False)
        model.load_state_dict(result.state_dict)
        test = splits.test
        x_adv = PGDL2(model, eps=2.0, alpha=0.25, steps=20)(test.images, test.labels)
        robust[method] = (model(x_adv).argmax(1) == test.labels).float().mean().item()
        clean[method] = (model(test.images).argmax(1) == test.labels).float().mean().item()
    assert min(clean.values()) > 0.85, clean
    assert robust["at"] > robust["std"] + 0.15, robust


@pytest.mark.parametrize("method", ["amat", "dpaat"])
def test_resumed_adversarial_training_equals_an_uninterrupted_run(tmp_path, method):
    pool, val = _tiny_pool(16), _tiny_pool(6, 1)
    torch.manual_seed(0)
    init = build_model("lenet5", 1, 3, 28).state_dict()

    def run(max_epochs, resume, strategy):
        model = build_model("lenet5", 1, 3, 28)
        model.load_state_dict(init)
        return train_model(model, pool, val, TrainSettings(batch_size=8, max_epochs=max_epochs, patience=5), seed=0,
                           strategy=strategy, resume_path=resume, progress=False), model

    whole_strategy = build_strategy(method, CFG, len(pool), seed=3)
    whole_result, whole = run(2, None, whole_strategy)
    resumed_strategy = build_strategy(method, CFG, len(pool), seed=3)
    run(1, tmp_path / "resume.pt", build_strategy(method, CFG, len(pool), seed=3))
    resumed_result, resumed = run(2, tmp_path / "resume.pt", resumed_strategy)
    assert resumed_result.resumed_epochs == 1 and list(resumed_result.epoch_seconds) == [2]
    assert resumed_result.history == whole_result.history
    # per-sample radii and per-epoch statistics carry over
    state = {"amat": "radius", "dpaat": "last_eps"}[method]
    assert torch.equal(getattr(resumed_strategy, state), getattr(whole_strategy, state))
    assert not torch.equal(getattr(whole_strategy, state), torch.full((16,), 1.0))
    assert resumed_strategy.epoch_stats == whole_strategy.epoch_stats
    for a, b in zip(whole.state_dict().values(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_amat_margins_both_grow_and_shrink_on_a_trained_model():
    """On a trained LeNet-5 some training digits hold no adversarial example within their margin (it grows)
    and some do (it shrinks towards the flip distance); Li's eq. 5 read literally only ever grew them."""
    raw = select_classes(load_dataset("mnist5k"), [3, 5, 8])
    splits = make_splits(raw, 0, 0.1, 0.2, train_per_class=100, test_per_class=10, pool_all=True, val_per_class=10)
    torch.manual_seed(0)
    model = build_model("lenet5", 1, 3, 28)
    result = train_model(model, splits.train, splits.val, TrainSettings(batch_size=32, max_epochs=3, patience=3),
                         seed=0, progress=False)
    model.load_state_dict(result.state_dict)
    cfg = {"adversary": {"eps": 1.5, "step_size": 0.5, "steps": 7}, "amat": {"delta_eps": 0.15}}
    strategy = build_strategy("amat", cfg, len(splits.train), seed=0)
    train_model(model, splits.train, splits.val, TrainSettings(batch_size=32, max_epochs=1), seed=0,
                strategy=strategy, progress=False)
    stats = strategy.epoch_stats[0]
    assert stats["grows"] > 10 and stats["shrinks"] > 10, stats
    assert stats["grows"] + stats["shrinks"] <= len(splits.train)
    assert float(strategy.radius.max()) <= 3.0  # eps_max null: 2 x eps
