"""Pervin et al.'s FGSM / inverse-FGSM augmentation as a training strategy of the one trainer (classifiers).

A fixed share of the training images (a seeded choice) gets one extra copy, x + eps sign(grad) (FGSM) or
x - eps sign(grad) (inverse FGSM), made with the source model (the same architecture trained on the original
data, STD) and `perturbstudy.attacks`. Copies are made once, on first use, and trained on next to their
originals: the batch loss is the cross-entropy over the batch and the copies of its chosen images, which is
training on the augmented set with each copy in its original's batch.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ..attacks import FGSM, InverseFGSM


class SignAugmentation:
    """Train on the batch plus the FGSM (or inverse-FGSM) copies of its chosen images."""

    def __init__(self, source: nn.Module, num_samples: int, eps: float, share: float, inverse: bool,
                 seed: int = 0) -> None:
        self.source, self.eps, self.inverse = source, float(eps), inverse
        count = round(share * num_samples)
        chosen = torch.randperm(num_samples, generator=torch.Generator().manual_seed(seed))[:count]
        self.chosen = torch.zeros(num_samples, dtype=torch.bool)
        self.chosen[chosen] = True
        self.copies: torch.Tensor | None = None  # [num_samples, ...], filled for chosen samples on first use
        self.made = torch.zeros(num_samples, dtype=torch.bool)
        self.epoch_stats: list[dict[str, float]] = []

    def _copies(self, x: torch.Tensor, y: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        """The copies of the chosen samples of this batch (made with the source model when first seen)."""
        index = index.cpu()
        pick = self.chosen[index]
        if self.copies is None:
            self.copies = torch.zeros((len(self.chosen), *x.shape[1:]), dtype=x.dtype)
        new = pick & ~self.made[index]
        if bool(new.any()):
            attack = (InverseFGSM if self.inverse else FGSM)(self.source.to(x.device), eps=self.eps)
            self.copies[index[new]] = attack(x[new.to(x.device)], y[new.to(x.device)]).cpu()
            self.made[index[new]] = True
        return self.copies[index[pick]].to(x.device), pick.to(x.device)

    def batch_loss(self, model, x, y, index):
        extra, pick = self._copies(x, y, index)
        logits = model(torch.cat([x, extra]))
        loss = F.cross_entropy(logits, torch.cat([y, y[pick]]))
        return loss, logits[:x.shape[0]]

    def end_epoch(self, epoch: int) -> None:
        """Record how many copies exist (the augmented set's size minus the original's)."""
        self.epoch_stats.append({"epoch": epoch, "copies": float(self.made.sum())})

    def state_dict(self) -> dict[str, Any]:
        """The copies made so far (a resumed run reuses them) and the epoch statistics."""
        return {"made": self.made.clone(), "copies": self.copies, "epoch_stats": [dict(r) for r in self.epoch_stats]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what `state_dict` saved."""
        self.made, self.copies = state["made"].clone(), state["copies"]
        self.epoch_stats = [dict(r) for r in state["epoch_stats"]]
