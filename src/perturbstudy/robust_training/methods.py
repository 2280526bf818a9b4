"""STD, AT, SAT, AMAT, DPAAT, D-A and D-B as training strategies (Li et al. 2024, eqs. 3-7, 11-16).

Each strategy's `batch_loss(model, x, y, index)` builds its adversarial examples with L2 PGD from
`perturbstudy.attacks` (eval mode inside the attack, the trainer's mode restored), then returns
the method's loss. Per-sample state (AMAT radii, DPAAT's last adaptive radius) lives in tensors
indexed by the `index` the trainer passes (positions in the training pool).

Decisions on points the paper leaves open (documented in config/README.md, "Medical"):
- L_SYN (eq. 11) as printed equals log 2 - JS(p, q): it is *largest* when the clean and adversarial
  softmax outputs agree, so minimising it would push them apart, against the paper's own text
  ("smaller difference meant lower L_SYN"). We minimise the Jensen-Shannon divergence JS(p, q) =
  log 2 - eq. 11, which has the stated property; `sync_form: literal` gives eq. 11 as printed.
- eq. 15 divides by the batch mean loss change; when it is <= `guard_tol` the relative length
  gamma has no meaning (its sign flips), so that batch keeps the fixed-eps examples (no adaptation).
- The adaptive radii (DPAAT) and the AMAT radii are clamped to a configured range [eps_min, eps_max]
  (default [0, 2 eps]).
- AMAT follows Ma & Liang's reference code (IMA/AMAT), not Li's eq. 5 read literally: a fixed-radius PGD
  always ends at ||x_adv - x|| = eps, so eq. 5's (eps + ||x_adv - x||) / 2 = eps could never shrink a
  margin. The reference searches with a PGD that stops at the decision boundary (`attacks.BoundaryPGDL2`);
  for a sample whose clean prediction is correct the margin grows by delta when no adversarial example
  lies inside it, else becomes (margin + flip distance) / 2; other samples keep theirs. `rule: li2024`
  keeps eq. 5 as printed (loss threshold xi, fixed-radius PGD). Loss: eq. 7 on the boundary examples.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ..attacks import PGDL2, BoundaryPGDL2
from ..errors import ConfigError
from ..runtime import eval_mode
from .rtda import RTDA_LABELS, RTDA_METHODS
from .settings import SOURCE_METHODS  # Pervin et al.'s augmentation: copies made by the STD model

#: ... then the augmentation methods of robust_training.rtda: <policy>, at_<policy>, rtda_<policy>
METHODS = ("std", "at", "sat", "amat", "dpaat", "da", "db", "fgsm_aug", "invfgsm_aug", *RTDA_METHODS)
METHOD_LABELS = {"std": "STD", "at": "AT", "sat": "SAT", "amat": "AMAT", "dpaat": "DPAAT", "da": "D-A", "db": "D-B",
                 "fgsm_aug": "FGSM-aug", "invfgsm_aug": "InvFGSM-aug", **RTDA_LABELS}

#: attack(model, x, y, eps[B]) -> x_adv; the default is L2 PGD from perturbstudy.attacks.
AttackFn = Callable[[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
#: boundary search(model, x, y, eps[B]) -> (x_adv, flipped[B]); the default is attacks.BoundaryPGDL2.
BoundaryFn = Callable[[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
AMAT_RULES = ("reference", "li2024")


@dataclass(frozen=True)
class AdversarySettings:
    """The training adversary: L2 PGD (paper: 7 steps, eps 0.3, step 0.15, no random start)."""

    eps: float = 0.3
    step_size: float = 0.15
    steps: int = 7
    random_start: bool = False
    relative_step: bool = False

    def _alpha(self, eps: torch.Tensor) -> torch.Tensor | float:
        return eps * (self.step_size / self.eps) if self.relative_step else self.step_size

    def attack(self, generator: torch.Generator | None = None) -> AttackFn:
        """The PGD-L2 callable; with `relative_step` a sample's step is step_size * eps_i / eps."""
        def run(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
            return PGDL2(model, eps=eps, alpha=self._alpha(eps), steps=self.steps, random_start=self.random_start,
                         generator=generator)(x, y)
        return run

    def boundary_search(self, generator: torch.Generator | None = None, refine_steps: int = 10) -> BoundaryFn:
        """The same PGD-L2, stopping each sample at the decision boundary (AMAT's margin search)."""
        def run(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            search = BoundaryPGDL2(model, eps=eps, alpha=self._alpha(eps), steps=self.steps,
                                   random_start=self.random_start, generator=generator, refine_steps=refine_steps)
            return search(x, y), search.flipped
        return run


def _l2_norms(delta: torch.Tensor) -> torch.Tensor:
    return delta.flatten(1).norm(dim=1)


# --------------------------------------------------------------------------- the equations


def synchronisation_loss(logits_clean: torch.Tensor, logits_adv: torch.Tensor, form: str = "js") -> torch.Tensor:
    """Batch mean of L_SYN between softmax outputs (eq. 11); 'js' = log 2 - eq. 11 (see module doc)."""
    logp = F.log_softmax(logits_clean, dim=1)
    logq = F.log_softmax(logits_adv, dim=1)
    logsum = torch.logsumexp(torch.stack([logp, logq]), dim=0)  # log(p + q)
    p, q = logp.exp(), logq.exp()
    eq11 = -0.5 * (p * (logp - logsum) + q * (logq - logsum)).sum(dim=1)
    if form == "literal":
        return eq11.mean()
    if form == "js":
        return (math.log(2.0) - eq11).mean()
    raise ConfigError(f"dpaat sync_form {form!r} is not supported; use 'js' or 'literal'")


def dpaat_epsilon(delta_loss: torch.Tensor, norms: torch.Tensor, eps: float, eps_min: float, eps_max: float,
                  guard_tol: float = 1e-12) -> tuple[torch.Tensor, bool]:
    """Adaptive per-sample radius of eq. 15 and whether the batch was adapted (False: guarded).

    dL_avg = mean(delta_loss) (eq. 14); gamma_i = eps |dL_i - dL_avg| / dL_avg; fragile samples
    (dL_i > dL_avg) get ||x_adv_i - x_i|| - gamma_i, the others ||x_adv_i - x_i|| + gamma_i; the
    result is clamped to [eps_min, eps_max]. If dL_avg <= guard_tol the norms are returned (clamped).
    """
    avg = delta_loss.mean()
    if not bool(avg > guard_tol):
        return norms.clamp(eps_min, eps_max), False
    gamma = eps * (delta_loss - avg).abs() / avg
    radius = torch.where(delta_loss > avg, norms - gamma, norms + gamma)
    return radius.clamp(eps_min, eps_max), True


def amat_radius_update(radius: torch.Tensor, adv_loss: torch.Tensor, norms: torch.Tensor, xi: float,
                       delta_eps: float, eps_min: float, eps_max: float) -> torch.Tensor:
    """Li's eq. 5 as printed: eps_i + d_eps where L(x_adv_i) < xi, else (eps_i + ||x_adv_i - x_i||) / 2."""
    new = torch.where(adv_loss < xi, radius + delta_eps, 0.5 * (radius + norms))
    return new.clamp(eps_min, eps_max)


def amat_margin_update(margin: torch.Tensor, correct: torch.Tensor, flipped: torch.Tensor, distance: torch.Tensor,
                       delta_eps: float, eps_min: float, eps_max: float) -> torch.Tensor:
    """Ma & Liang's margin update (IMA_update_margin): for correctly classified samples, margin + delta where
    no adversarial example was found inside it, else (margin + flip distance) / 2; others keep theirs."""
    new = torch.where(flipped, 0.5 * (margin + distance), margin + delta_eps)
    return torch.where(correct, new, margin).clamp(eps_min, eps_max)


# --------------------------------------------------------------------------- strategies


class _Adversarial:
    """Common parts: the attack callable and a per-epoch statistics record."""

    def __init__(self, adversary: AdversarySettings, attack: AttackFn | None = None, seed: int = 0) -> None:
        self.adversary = adversary
        self.generator = torch.Generator().manual_seed(seed)
        self.attack = attack or adversary.attack(self.generator)
        self.epoch_stats: list[dict[str, float]] = []

    #: names of per-sample state tensors carried by the resume checkpoint
    _state_tensors: tuple[str, ...] = ()

    def state_dict(self) -> dict[str, Any]:
        """Per-sample state, the random-start generator and the epoch statistics (for resuming)."""
        return {"generator": self.generator.get_state(), "epoch_stats": [dict(r) for r in self.epoch_stats],
                **{name: getattr(self, name).cpu() for name in self._state_tensors}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what `state_dict` saved."""
        self.generator.set_state(state["generator"])
        self.epoch_stats = [dict(r) for r in state["epoch_stats"]]
        for name in self._state_tensors:
            setattr(self, name, state[name].clone())

    def _eps(self, x: torch.Tensor, value: float | None = None) -> torch.Tensor:
        return torch.full((x.shape[0],), self.adversary.eps if value is None else value, device=x.device)

    def end_epoch(self, epoch: int) -> None:
        """Close the epoch's statistics (subclasses add their own)."""
        self.epoch_stats.append({"epoch": epoch})


class AdversarialTraining(_Adversarial):
    """AT (Madry et al., eq. 3): cross-entropy on the PGD examples only."""

    def batch_loss(self, model, x, y, index):
        x_adv = self.attack(model, x, y, self._eps(x))
        logits_adv = model(x_adv)
        return F.cross_entropy(logits_adv, y), logits_adv


class SATTraining(_Adversarial):
    """SAT (eq. 4): alpha L(x_adv) + (1 - alpha) L(x) with fixed-eps PGD examples."""

    def __init__(self, adversary: AdversarySettings, alpha: float = 0.5, attack: AttackFn | None = None,
                 seed: int = 0) -> None:
        super().__init__(adversary, attack, seed)
        self.alpha = alpha

    def batch_loss(self, model, x, y, index):
        x_adv = self.attack(model, x, y, self._eps(x))
        logits, logits_adv = model(x), model(x_adv)
        loss = self.alpha * F.cross_entropy(logits_adv, y) + (1 - self.alpha) * F.cross_entropy(logits, y)
        return loss, logits


class AMATTraining(_Adversarial):
    """AMAT (Ma & Liang; Li's eqs. 5-7): per-sample margins adapted after each use, loss (L(x_adv) + L(x)) / 2.

    `rule="reference"` (default): examples from the boundary-stopping PGD at each sample's margin, margins
    by `amat_margin_update` (clean prediction judged in eval mode). `rule="li2024"`: fixed-radius PGD at the
    margin and eq. 5 as printed (`amat_radius_update`, threshold xi). Margins start at the adversary's eps.
    """

    _state_tensors = ("radius",)

    def __init__(self, adversary: AdversarySettings, num_samples: int, delta_eps: float, eps_min: float,
                 eps_max: float, rule: str = "reference", xi: float = 0.5, refine_steps: int = 10,
                 attack: AttackFn | BoundaryFn | None = None, seed: int = 0) -> None:
        if rule not in AMAT_RULES:
            raise ConfigError(f"medical.training.amat.rule {rule!r} is not supported; use one of {list(AMAT_RULES)}")
        super().__init__(adversary, attack, seed)
        self.rule = rule
        if attack is None and rule == "reference":
            self.attack = adversary.boundary_search(self.generator, refine_steps)
        self.radius = torch.full((num_samples,), float(adversary.eps))
        self.xi, self.delta_eps, self.eps_min, self.eps_max = xi, delta_eps, eps_min, eps_max
        self._grows = self._shrinks = 0

    def batch_loss(self, model, x, y, index):
        if self.radius.device != x.device:
            self.radius = self.radius.to(x.device)
        eps = self.radius[index]
        if self.rule == "reference":
            x_adv, flipped = self.attack(model, x, y, eps)
            with torch.no_grad(), eval_mode(model):
                correct = model(x).argmax(1) == y
        else:
            x_adv = self.attack(model, x, y, eps)
        logits, logits_adv = model(x), model(x_adv)
        adv_each = F.cross_entropy(logits_adv, y, reduction="none")
        loss = 0.5 * (adv_each.mean() + F.cross_entropy(logits, y))
        norms = _l2_norms((x_adv - x).detach())
        if self.rule == "reference":
            new = amat_margin_update(eps, correct, flipped.to(x.device), norms, self.delta_eps, self.eps_min,
                                     self.eps_max)
        else:
            new = amat_radius_update(eps, adv_each.detach(), norms, self.xi, self.delta_eps, self.eps_min,
                                     self.eps_max)
        tol = 1e-5 * eps  # a projection's float rounding is no change
        self._grows += int((new > eps + tol).sum())
        self._shrinks += int((new < eps - tol).sum())
        self.radius[index] = new
        return loss, logits

    def end_epoch(self, epoch: int) -> None:
        """Record the margins' mean and spread and how many grew and shrank this epoch."""
        self.epoch_stats.append({"epoch": epoch, "eps_mean": float(self.radius.mean()),
                                 "eps_std": float(self.radius.std()), "grows": float(self._grows),
                                 "shrinks": float(self._shrinks)})
        self._grows = self._shrinks = 0


class DPAATTraining(_Adversarial):
    """DPAAT (Algorithm 1) and its ablations: D-A = adaptive eps only, D-B = synchronisation loss only.

    Per batch: PGD examples at the fixed eps; per-sample loss change dL_i (eq. 13, eval mode, no
    gradient) and its batch mean (eq. 14); adaptive radii (eq. 15); examples regenerated at those
    radii; loss L_SAT + beta L_SYN (eq. 12). Without adaptation (D-B) the fixed-eps examples are used;
    without synchronisation (D-A, or beta = 0) the loss is L_SAT.
    """

    _state_tensors = ("last_eps",)

    def __init__(self, adversary: AdversarySettings, num_samples: int, alpha: float = 0.5, beta: float = 1.0,
                 adaptive: bool = True, sync: bool = True, eps_min: float = 0.0, eps_max: float = 0.6,
                 sync_form: str = "js", guard_tol: float = 1e-12, attack: AttackFn | None = None,
                 seed: int = 0) -> None:
        super().__init__(adversary, attack, seed)
        if sync_form not in ("js", "literal"):
            raise ConfigError(f"dpaat sync_form {sync_form!r} is not supported; use 'js' or 'literal'")
        self.alpha, self.beta = alpha, beta
        self.adaptive, self.sync, self.sync_form = adaptive, sync and beta != 0, sync_form
        self.eps_min, self.eps_max, self.guard_tol = eps_min, eps_max, guard_tol
        self.last_eps = torch.full((num_samples,), float(adversary.eps))
        self._batches = 0
        self._guarded = 0

    def adaptive_radius(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                        x_adv: torch.Tensor) -> tuple[torch.Tensor, bool]:
        """Eqs. 13-15 for one batch: the per-sample adaptive radii and whether they were adapted."""
        with torch.no_grad(), eval_mode(model):
            delta_loss = (F.cross_entropy(model(x_adv), y, reduction="none")
                          - F.cross_entropy(model(x), y, reduction="none"))
        return dpaat_epsilon(delta_loss, _l2_norms(x_adv - x), self.adversary.eps, self.eps_min, self.eps_max,
                             self.guard_tol)

    def batch_loss(self, model, x, y, index):
        eps = self._eps(x)
        x_adv = self.attack(model, x, y, eps)
        if self.adaptive:
            self._batches += 1
            radius, adapted = self.adaptive_radius(model, x, y, x_adv)
            if adapted:
                x_adv = self.attack(model, x, y, radius)
                eps = radius
            else:
                self._guarded += 1
        if self.last_eps.device != x.device:
            self.last_eps = self.last_eps.to(x.device)
        self.last_eps[index] = eps
        logits, logits_adv = model(x), model(x_adv)
        loss = self.alpha * F.cross_entropy(logits_adv, y) + (1 - self.alpha) * F.cross_entropy(logits, y)
        if self.sync:
            loss = loss + self.beta * synchronisation_loss(logits, logits_adv, self.sync_form)
        return loss, logits

    def end_epoch(self, epoch: int) -> None:
        """Record the adaptive radii's mean and spread and the share of guarded batches."""
        self.epoch_stats.append({
            "epoch": epoch, "eps_mean": float(self.last_eps.mean()), "eps_std": float(self.last_eps.std()),
            "guarded_batches": float(self._guarded / self._batches) if self._batches else 0.0,
        })
        self._batches = self._guarded = 0


# --------------------------------------------------------------------------- factory


def _eps_max(section: dict[str, Any], adversary: AdversarySettings) -> float:
    """A radius clamp's upper end: as configured, else (null or absent) twice the adversary's eps."""
    value = section.get("eps_max")
    return 2 * adversary.eps if value is None else float(value)


def build_strategy(method: str, cfg: dict[str, Any], num_samples: int, seed: int = 0,
                   attack: AttackFn | None = None, source: nn.Module | None = None, dataset: str | None = None):
    """The strategy of `method` from the `medical.training` config section (see the schema); the
    augmentation methods (SOURCE_METHODS) take `source`, the STD model of the same CNN and seed; the RTDA
    family (robust_training.rtda: augmix, at_augmix, rtda_augmix, ...) takes `dataset`, the medical dataset's
    name, which the medmnistc policy needs."""
    from ..train import StandardTraining
    from .sign_augmentation import SignAugmentation

    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}; choose from {list(METHODS)}")
    if method == "std":
        return StandardTraining()
    if method in SOURCE_METHODS:
        if source is None:
            raise ConfigError(f"{method} augments with copies made by the STD model of the same CNN and seed; "
                              "pass it as `source` (the workflow trains `std` first)")
        aug = cfg.get("sign_augmentation", {})
        return SignAugmentation(source, num_samples, float(aug.get("eps", 0.1)), float(aug.get("share", 0.5)),
                                inverse=method == "invfgsm_aug", seed=seed)
    adversary = AdversarySettings(**cfg.get("adversary", {}))
    if method in RTDA_METHODS:
        from .rtda import build_rtda_strategy

        return build_rtda_strategy(method, cfg, adversary, seed, attack, dataset)
    alpha = float(cfg.get("alpha", 0.5))
    if method == "at":
        return AdversarialTraining(adversary, attack, seed)
    if method == "sat":
        return SATTraining(adversary, alpha, attack, seed)
    if method == "amat":
        a = cfg.get("amat", {})
        return AMATTraining(adversary, num_samples, float(a.get("delta_eps", 0.03)), float(a.get("eps_min", 0.0)),
                            _eps_max(a, adversary), rule=a.get("rule", "reference"), xi=float(a.get("xi", 0.5)),
                            refine_steps=int(a.get("refine_steps", 10)), attack=attack, seed=seed)
    d = cfg.get("dpaat", {})
    return DPAATTraining(adversary, num_samples, alpha, float(cfg.get("beta", 1.0)),
                         adaptive=method in ("dpaat", "da"), sync=method in ("dpaat", "db"),
                         eps_min=float(d.get("eps_min", 0.0)), eps_max=_eps_max(d, adversary),
                         sync_form=d.get("sync_form", "js"), guard_tol=float(d.get("guard_tol", 1e-12)),
                         attack=attack, seed=seed)
