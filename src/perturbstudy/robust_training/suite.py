"""The attack suite of the DPAAT evaluation and the metrics of one model on clean and attacked test data.

Attacks come from `perturbstudy.attacks` by kind: `fgsm` (sign step, Linf), `fgsm_l2` (L2-normalised
gradient step), `ifgsm` (Linf, no random start), `pgd_linf`, `pgd_l2`. The paper's suite: FGSM,
10- and 20-step I-FGSM (Linf, as the paper says) and 20- and 50-step PGD (L2, the training norm).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from ..attacks import ATTACKS, Attack
from ..errors import ConfigError
from ..runtime import eval_mode
from .metrics import classification_metrics, confusion

CLEAN = "clean"


def make_attack(model: nn.Module, spec: dict[str, Any], batch_size: int = 256) -> Attack:
    """An attack object from one `medical.attacks` entry."""
    kind = spec["kind"]
    if kind not in ATTACKS:
        raise ConfigError(f"medical.attacks: kind {kind!r} of {spec.get('name')!r} is unknown; use {sorted(ATTACKS)}")
    if kind in ("fgsm", "fgsm_l2"):
        return ATTACKS[kind](model, eps=spec["eps"], batch_size=batch_size)
    kwargs: dict[str, Any] = {"eps": spec["eps"], "alpha": spec.get("step_size"), "steps": spec.get("steps", 10),
                              "batch_size": batch_size}
    if kind != "ifgsm":
        kwargs["random_start"] = bool(spec.get("random_start", False))
        kwargs["generator"] = torch.Generator().manual_seed(int(spec.get("seed", 0)))
    return ATTACKS[kind](model, **kwargs)


@torch.no_grad()
def probabilities(model: nn.Module, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Softmax outputs in eval mode, batched, on the CPU (each module's mode is restored)."""
    device = next(model.parameters()).device
    with eval_mode(model):
        out = [torch.softmax(model(images[i:i + batch_size].to(device)), 1).cpu()
               for i in range(0, images.shape[0], batch_size)]
    return torch.cat(out)


def evaluate_suite(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, specs: Iterable[dict[str, Any]],
                   num_classes: int, batch_size: int = 256,
                   progress: bool = True
                   ) -> tuple[list[dict[str, Any]], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Metrics rows (clean first, then each attack), confusion matrices and each test image's predicted class
    (in test-set order), the last two keyed by test-set name."""
    specs = list(specs)
    rows, matrices, predictions = [], {}, {}
    y = labels.numpy()
    for spec in tqdm([None, *specs], desc="attacks", file=sys.stderr, disable=not progress, ncols=100):
        name = CLEAN if spec is None else spec["name"]
        x = images if spec is None else make_attack(model, spec, batch_size)(images, labels)
        probs = probabilities(model, x, batch_size).double().numpy()
        rows.append({"testset": name, **classification_metrics(probs, y, num_classes), "n": len(y)})
        predictions[name] = probs.argmax(1)
        matrices[name] = confusion(y, predictions[name], num_classes)
    return rows, matrices, predictions
