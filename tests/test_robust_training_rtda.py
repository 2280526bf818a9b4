"""RTDA and its augmentation baselines: each loss equals its formula composed by hand, PGD runs where documented,
training through the one trainer is deterministic and resumable, and the method names reach settings and schema.

A linear model (train and eval mode agree), a fixed batch, alpha = 0.3 and adv_weight = 0.6, so that swapping two
weights, dropping a term or attacking the clean instead of the augmented image all change the number. The
augmented batch is the policy applied with a generator seeded like the strategy's (its first draw is the batch's
augmentation).
"""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from perturbstudy.attacks import PGDL2
from perturbstudy.data import Pool
from perturbstudy.errors import ConfigError
from perturbstudy.models import build_model
from perturbstudy.robust_training.methods import METHOD_LABELS, METHODS, build_strategy
from perturbstudy.robust_training.policies import make_policy
from perturbstudy.robust_training.rtda import RTDA_METHODS, AugmentationTraining, RTDATraining
from perturbstudy.train import TrainSettings, train_model

EPS, STEP, STEPS, ALPHA, ADV_WEIGHT, SEED = 0.5, 0.2, 3, 0.3, 0.6, 5
CFG = {"adversary": {"eps": EPS, "step_size": STEP, "steps": STEPS}, "alpha": ALPHA,
       "rtda": {"adv_weight": ADV_WEIGHT}, "augmix": {"severity": 5}, "randaugment": {"num_ops": 3}}


@pytest.fixture()
def problem():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 3))
    x = ((0.5 + 0.2 * torch.randn(8, 1, 8, 8)).clamp(0, 1) * 255).round() / 255
    with torch.no_grad():
        y = model(x).argmax(1)
    y[:2] = (y[:2] + 1) % 3
    return model, x, y


def ce(model, x, y):
    return F.cross_entropy(model(x), y)


def pgd(model, x, y):
    return PGDL2(model, eps=EPS, alpha=STEP, steps=STEPS)(x, y)


def augmented(policy, x, settings=None):
    return make_policy(policy, settings)(x, torch.Generator().manual_seed(SEED))


def expected_loss(method, model, x, y):
    kind, policy = RTDA_METHODS[method]
    x_aug = augmented(policy, x, CFG[policy])
    if kind == "aug":
        return ce(model, x_aug, y)
    if kind == "at_aug":  # PGD on the clean image, augmentation beside it
        return ALPHA * ce(model, pgd(model, x, y), y) + (1 - ALPHA) * ce(model, x_aug, y)
    return ADV_WEIGHT * ce(model, pgd(model, x_aug, y), y) + (1 - ADV_WEIGHT) * ce(model, x_aug, y)  # RTDA


@pytest.mark.parametrize("method", ["augmix", "randaugment", "at_augmix", "at_randaugment", "rtda_augmix",
                                    "rtda_randaugment"])
def test_loss_equals_the_formula(problem, method):
    model, x, y = problem
    strategy = build_strategy(method, CFG, len(x), seed=SEED)
    loss, logits = strategy.batch_loss(model, x, y, torch.arange(len(x)))
    assert loss.requires_grad and logits.shape == (8, 3)
    assert torch.allclose(loss, expected_loss(method, model, x, y), atol=1e-6)


def test_rtda_by_default_is_at_on_augmented_inputs(problem):
    model, x, y = problem
    cfg = {k: v for k, v in CFG.items() if k != "rtda"}
    loss, logits = build_strategy("rtda_augmix", cfg, len(x), seed=SEED).batch_loss(model, x, y, torch.arange(8))
    x_adv = pgd(model, augmented("augmix", x, CFG["augmix"]), y)
    assert torch.allclose(loss, ce(model, x_adv, y), atol=1e-6)
    assert torch.allclose(logits, model(x_adv), atol=1e-6)  # train accuracy on the adversarial inputs, as AT


class _RecordingAttack:
    def __init__(self):
        self.inputs = []

    def __call__(self, model, x, y, eps):
        self.inputs.append(x.clone())
        return PGDL2(model, eps=eps, alpha=STEP, steps=STEPS)(x, y)


@pytest.mark.parametrize("method,attacked", [("rtda_augmix", "augmented"), ("at_augmix", "clean")])
def test_where_the_adversarial_example_is_made(problem, method, attacked):
    model, x, y = problem
    attack = _RecordingAttack()
    build_strategy(method, CFG, len(x), seed=SEED, attack=attack).batch_loss(model, x, y, torch.arange(8))
    assert len(attack.inputs) == 1
    x_aug = augmented("augmix", x, CFG["augmix"])
    assert not torch.equal(x_aug, x)  # the two cases differ
    assert torch.equal(attack.inputs[0], x_aug if attacked == "augmented" else x)


def _tiny_pool(n=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    return Pool(((torch.rand(n, 1, 28, 28, generator=g) * 255).round() / 255), torch.arange(n) % 3)


def _train(method, seed=1):
    torch.manual_seed(0)
    model = build_model("lenet5", 1, 3, 28)
    strategy = build_strategy(method, CFG, 24, seed=seed)
    result = train_model(model, _tiny_pool(), _tiny_pool(9, 1), TrainSettings(batch_size=8, max_epochs=1), seed=0,
                         strategy=strategy, progress=False)
    return result, strategy


@pytest.mark.parametrize("method", ["augmix", "at_randaugment", "rtda_augmix"])
def test_one_tiny_epoch_through_the_trainer_is_deterministic(method):
    first, strategy = _train(method)
    second, _ = _train(method)
    assert first.epochs_run == 1 and strategy.epoch_stats == [{"epoch": 1}]
    assert first.history == second.history
    assert all(torch.equal(first.state_dict[k], second.state_dict[k]) for k in first.state_dict)
    other, _ = _train(method, seed=2)  # another run seed: other augmentations
    assert any(not torch.equal(first.state_dict[k], other.state_dict[k]) for k in first.state_dict)


def test_state_dict_resumes_the_augmentation_stream(problem):
    model, x, y = problem
    a = build_strategy("rtda_randaugment", CFG, 8, seed=SEED)
    a.batch_loss(model, x, y, torch.arange(8))
    state = a.state_dict()
    b = build_strategy("rtda_randaugment", CFG, 8, seed=0)
    b.load_state_dict(state)
    assert torch.equal(a.batch_loss(model, x, y, torch.arange(8))[0], b.batch_loss(model, x, y, torch.arange(8))[0])


def test_the_global_rng_is_left_alone(problem):
    model, x, y = problem
    torch.manual_seed(3)
    state = torch.get_rng_state()
    build_strategy("augmix", CFG, 8, seed=SEED).batch_loss(model, x, y, torch.arange(8))
    assert torch.equal(torch.get_rng_state(), state)


def test_names_labels_settings_and_schema():
    from perturbstudy.config import load_schema
    from perturbstudy.robust_training.settings import METHOD_SETTINGS

    enum = load_schema()["properties"]["medical"]["properties"]["methods"]["items"]["enum"]
    for method in RTDA_METHODS:
        assert method in METHODS and method in METHOD_LABELS and method in METHOD_SETTINGS and method in enum
    assert METHOD_LABELS["rtda_augmix"] == "RTDA-AugMix" and METHOD_LABELS["at_randaugment"] == "AT+RandAugment"
    training = load_schema()["properties"]["medical"]["properties"]["training"]["properties"]
    for method, keys in METHOD_SETTINGS.items():
        assert all(k in training for k in keys), (method, keys)
    assert isinstance(build_strategy("randaugment", CFG, 8), AugmentationTraining)
    assert isinstance(build_strategy("rtda_randaugment", CFG, 8), RTDATraining)


def test_bad_weights_and_missing_dataset_are_clear_errors():
    with pytest.raises(ConfigError, match=r"rtda.adv_weight: 1.5 is not a weight in \[0, 1\]"):
        build_strategy("rtda_augmix", {**CFG, "rtda": {"adv_weight": 1.5}}, 8)
    with pytest.raises(ConfigError, match="needs the MedMNIST dataset"):
        build_strategy("at_medmnistc", CFG, 8)


def test_medmnistc_methods_run_on_224_images():
    from perturbstudy.corruptions.medmnistc import medmnistc_unavailable

    reason = medmnistc_unavailable()
    if reason:
        pytest.skip(f"MedMNIST-C unavailable: {reason}")
    torch.manual_seed(0)
    model = nn.Sequential(nn.AvgPool2d(28), nn.Flatten(), nn.Linear(64, 2))
    x, y = torch.full((3, 1, 224, 224), 0.4), torch.tensor([0, 1, 0])
    for method in ("medmnistc", "at_medmnistc", "rtda_medmnistc"):
        strategy = build_strategy(method, CFG, 3, seed=SEED, dataset="breastmnist")
        loss, _ = strategy.batch_loss(model, x, y, torch.arange(3))
        assert torch.isfinite(loss) and loss.requires_grad
