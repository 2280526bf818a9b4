"""RTDA (robust training with data augmentation; 2025, abstract only) and its augmentation baselines as strategies
of the one trainer.

With an augmentation policy A (`robust_training.policies`: augmix, randaugment, medmnistc), L = cross-entropy, PGD
the training adversary (L2 PGD from `perturbstudy.attacks`, medical.training.adversary), three methods per policy:

- ``<policy>``, augmentation alone: STD on augmented inputs, L(f(A(x)), y).
- ``at_<policy>``, AT and augmentation side by side: alpha L(f(PGD(x)), y) + (1 - alpha) L(f(A(x)), y), the
  adversarial example made from the clean image (SAT's form with the augmented image in place of the clean one;
  alpha = medical.training.alpha, 0.5).
- ``rtda_<policy>``, RTDA: adversarial training on augmented inputs. x_a = A(x), x_adv = PGD(x_a) (the ball is
  around the augmented image), loss w L(f(x_adv), y) + (1 - w) L(f(x_a), y) with w = medical.training.rtda.adv_weight.

Decisions on what the abstract leaves open (config/README.md, "RTDA"):
- RTDA's loss: w = 1 by default, Madry's AT on the augmented distribution, so RTDA differs from AT only by the
  augmentation and from at_<policy> only by where the adversarial example is made; w < 1 adds the clean augmented
  term.
- every image of a batch is augmented (AugMix and MedMNIST-C's augmentation include mild/identity draws themselves);
  one policy per method, the policy in the method's name, so a study can run RTDA with several policies side by side;
- the abstract's six baselines: STD, AT, augmentation alone with two policies (augmix, randaugment) and AT with each
  of them (at_augmix, at_randaugment); RTDA is rtda_<policy>. medmnistc (MedMNIST-C's augmentation) is a third
  policy for MedMNIST data at 224x224 (optional package).
- train accuracy (the trainer's train_acc) is measured on the inputs of the first loss term: augmented images for
  augmentation alone, adversarial ones for at_<policy> and rtda_<policy> (as AT).

Determinism: each strategy owns a torch.Generator seeded with the run's seed; the augmentation draws (one per batch)
and PGD's random start (when enabled) come from it, and its state is part of the resume checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import ConfigError
from .policies import POLICIES, POLICY_LABELS, Policy, make_policy

#: attack(model, x, y, eps[B]) -> x_adv (as robust_training.methods.AttackFn)
AttackFn = Callable[[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]

#: method name -> (kind, policy); kind: aug (augmentation alone), at_aug (side by side), rtda
RTDA_METHODS: dict[str, tuple[str, str]] = {
    **{policy: ("aug", policy) for policy in POLICIES},
    **{f"at_{policy}": ("at_aug", policy) for policy in POLICIES},
    **{f"rtda_{policy}": ("rtda", policy) for policy in POLICIES},
}
RTDA_LABELS: dict[str, str] = {
    **{policy: POLICY_LABELS[policy] for policy in POLICIES},
    **{f"at_{policy}": f"AT+{POLICY_LABELS[policy]}" for policy in POLICIES},
    **{f"rtda_{policy}": f"RTDA-{POLICY_LABELS[policy]}" for policy in POLICIES},
}


class Adversary(Protocol):
    """The training adversary (robust_training.methods.AdversarySettings): its radius and its PGD callable."""

    eps: float

    def attack(self, generator: torch.Generator | None = None) -> AttackFn:
        """PGD drawing its random start (if any) from `generator`."""
        ...


def _weight(value: float, key: str) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{key}: {value} is not a weight in [0, 1]")
    return value


class AugmentationTraining:
    """Augmentation alone: STD on the policy's augmented batch, L(f(A(x)), y)."""

    def __init__(self, policy: Policy, seed: int = 0) -> None:
        self.policy = policy
        self.generator = torch.Generator().manual_seed(seed)
        self.epoch_stats: list[dict[str, float]] = []

    def augment(self, x: torch.Tensor) -> torch.Tensor:
        """The batch augmented by the policy (one draw of the strategy's generator)."""
        return self.policy(x, self.generator)

    def batch_loss(self, model, x, y, index):
        logits = model(self.augment(x))
        return F.cross_entropy(logits, y), logits

    def end_epoch(self, epoch: int) -> None:
        """Record the epoch (no per-sample state)."""
        self.epoch_stats.append({"epoch": epoch})

    def state_dict(self) -> dict[str, Any]:
        """The generator (augmentation draws, PGD random start) and the epoch statistics, for resuming."""
        return {"generator": self.generator.get_state(), "epoch_stats": [dict(r) for r in self.epoch_stats]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what `state_dict` saved."""
        self.generator.set_state(state["generator"])
        self.epoch_stats = [dict(r) for r in state["epoch_stats"]]


class _AdversarialAugmentation(AugmentationTraining):
    """Common parts of at_<policy> and rtda_<policy>: the PGD callable on the strategy's generator, a loss weight."""

    def __init__(self, policy: Policy, adversary: Adversary, weight: float, attack: AttackFn | None = None,
                 seed: int = 0) -> None:
        super().__init__(policy, seed)
        self.eps = float(adversary.eps)
        self.attack = attack or adversary.attack(self.generator)
        self.weight = weight

    def _eps(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full((x.shape[0],), self.eps, device=x.device)

    def _loss(self, model: nn.Module, x_adv: torch.Tensor, x_other: torch.Tensor,
              y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """weight L(f(x_adv)) + (1 - weight) L(f(x_other)); a term of weight 0 is not computed."""
        logits_adv = model(x_adv)
        loss = self.weight * F.cross_entropy(logits_adv, y)
        if self.weight < 1.0:
            loss = loss + (1.0 - self.weight) * F.cross_entropy(model(x_other), y)
        return loss, logits_adv


class ATWithAugmentation(_AdversarialAugmentation):
    """at_<policy>: alpha L(f(PGD(x))) + (1 - alpha) L(f(A(x))), the adversarial example made from the clean image."""

    def batch_loss(self, model, x, y, index):
        x_aug = self.augment(x)
        x_adv = self.attack(model, x, y, self._eps(x))
        return self._loss(model, x_adv, x_aug, y)


class RTDATraining(_AdversarialAugmentation):
    """rtda_<policy>: x_a = A(x), x_adv = PGD(x_a); w L(f(x_adv)) + (1 - w) L(f(x_a)) (w = 1: AT on augmented data)."""

    def batch_loss(self, model, x, y, index):
        x_aug = self.augment(x)
        x_adv = self.attack(model, x_aug, y, self._eps(x_aug))
        return self._loss(model, x_adv, x_aug, y)


def build_rtda_strategy(method: str, cfg: Mapping[str, Any], adversary: Adversary, seed: int = 0,
                        attack: AttackFn | None = None, dataset: str | None = None) -> AugmentationTraining:
    """The strategy of an augmentation method (RTDA_METHODS) from the `medical.training` section: the policy's
    settings from `<policy>` (augmix, randaugment), alpha for at_<policy>, rtda.adv_weight for rtda_<policy>;
    `dataset` names the MedMNIST dataset of the medmnistc policy."""
    if method not in RTDA_METHODS:
        raise ConfigError(f"unknown augmentation method {method!r}; choose from {list(RTDA_METHODS)}")
    kind, name = RTDA_METHODS[method]
    policy = make_policy(name, cfg.get(name) if name != "medmnistc" else None, dataset)
    if kind == "aug":
        return AugmentationTraining(policy, seed)
    if kind == "at_aug":
        return ATWithAugmentation(policy, adversary, _weight(cfg.get("alpha", 0.5), "medical.training.alpha"),
                                  attack, seed)
    weight = _weight((cfg.get("rtda") or {}).get("adv_weight", 1.0), "medical.training.rtda.adv_weight")
    return RTDATraining(policy, adversary, weight, attack, seed)
