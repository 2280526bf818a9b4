"""Scores of a segmentation model: at its checkpoint epochs (Pervin et al.'s Table 1) and under perturbations
of growing eps (their Table 2): random sign noise x + eps * s, s uniform in {-1, +1} per pixel, and FGSM with
the pixel-wise loss (white-box, the model's own gradient)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from ..attacks import FGSM
from ..data import Pool
from ..runtime import eval_mode
from .augmentation import pixel_loss
from .metrics import binary, per_image_object_iou, segmentation_scores

PERTURBATIONS = ("random", "fgsm")


@torch.no_grad()
def predict_masks(model: nn.Module, images: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """Binary masks [N, 1, H, W] predicted in eval mode (each module's mode restored)."""
    device = next(model.parameters()).device
    with eval_mode(model):
        out = [binary(model(images[i:i + batch_size].to(device))).cpu() for i in range(0, len(images), batch_size)]
    return torch.cat(out)


def random_sign_noise(images: torch.Tensor, eps: float, seed: int) -> torch.Tensor:
    """x + eps * s with s uniform in {-1, +1} per pixel (seeded), clipped to [0, 1]."""
    s = torch.randint(0, 2, images.shape, generator=torch.Generator().manual_seed(seed)).float() * 2 - 1
    return (images + eps * s).clamp(0, 1)


def perturbed(model: nn.Module, test: Pool, kind: str, eps: float, seed: int, batch_size: int = 64) -> torch.Tensor:
    """The test images under `kind` ('random' or 'fgsm') at eps."""
    if kind == "random":
        return random_sign_noise(test.images, eps, seed)
    if kind == "fgsm":
        return FGSM(model, eps=eps, batch_size=batch_size, loss=pixel_loss)(test.images, test.labels)
    raise ValueError(f"unknown perturbation {kind!r}; choose from {list(PERTURBATIONS)}")


def robustness_rows(model: nn.Module, test: Pool, eps_values: Sequence[float], seed: int,
                    batch_size: int = 64) -> list[dict[str, Any]]:
    """Scores under each perturbation at each eps (eps 0: the clean test set, once per perturbation)."""
    rows = []
    for kind in PERTURBATIONS:
        for eps in eps_values:
            images = perturbed(model, test, kind, eps, seed, batch_size) if eps > 0 else test.images
            scores = segmentation_scores(predict_masks(model, images, batch_size), test.labels)
            rows.append({"perturbation": kind, "eps": float(eps), **scores})
    return rows


def epoch_rows(model: nn.Module, checkpoints: dict[int, dict[str, torch.Tensor]], test: Pool,
               batch_size: int = 64) -> list[dict[str, Any]]:
    """Clean test scores of the model's weights at each checkpoint epoch (the model ends at the last)."""
    rows = []
    for epoch in sorted(checkpoints):
        model.load_state_dict(checkpoints[epoch])
        rows.append({"epoch": int(epoch), **segmentation_scores(predict_masks(model, test.images, batch_size),
                                                               test.labels)})
    return rows


def image_rows(model: nn.Module, test: Pool, batch_size: int = 64) -> list[dict[str, Any]]:
    """Each clean test image's object IoU under the model's current weights (index = position in the split)."""
    iou = per_image_object_iou(predict_masks(model, test.images, batch_size), test.labels)
    return [{"index": i, "object_iou": float(v)} for i, v in enumerate(iou)]
