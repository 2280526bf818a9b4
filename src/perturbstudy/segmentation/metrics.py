"""Segmentation metrics from MONAI: the paper's mean IoU (background and object, pooled over the test set, as
Keras' MeanIoU that Pervin et al.'s Table 1 reports: about 0.5 for a model that predicts no object) and the
per-image object Dice and IoU."""

from __future__ import annotations

import torch
from monai.metrics import compute_dice, compute_iou


def binary(logits: torch.Tensor) -> torch.Tensor:
    """Object where the logit is positive (probability > 0.5), as float {0, 1}."""
    return (logits > 0).float()


def _two_class(x: torch.Tensor) -> torch.Tensor:
    """{0, 1} maps [N, 1, H, W] as one image of two one-hot channels (background, object): pooled pixels."""
    flat = x.permute(1, 0, 2, 3).reshape(1, 1, -1, x.shape[-1])
    return torch.cat([1 - flat, flat], dim=1)


def mean_iou(prediction: torch.Tensor, masks: torch.Tensor) -> float:
    """Mean over (background, object) of the IoU of all test pixels pooled (Keras MeanIoU, num_classes=2)."""
    iou = compute_iou(_two_class(prediction), _two_class(masks), include_background=True, ignore_empty=False)
    return float(iou.mean())


def object_scores(prediction: torch.Tensor, masks: torch.Tensor) -> dict[str, float]:
    """Per-image object Dice and IoU (MONAI), averaged over images with an object."""
    dice = compute_dice(prediction, masks, include_background=True, ignore_empty=True)
    iou = compute_iou(prediction, masks, include_background=True, ignore_empty=True)
    return {"dice": float(torch.nanmean(dice)), "object_iou": float(torch.nanmean(iou))}


def segmentation_scores(prediction: torch.Tensor, masks: torch.Tensor) -> dict[str, float]:
    """mean IoU (the paper's), object Dice and object IoU of binary predictions [N, 1, H, W]."""
    return {"mean_iou": mean_iou(prediction, masks), **object_scores(prediction, masks)}


def per_image_object_iou(prediction: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Each image's object IoU [N] (NaN for an image without object), for paired comparisons."""
    return compute_iou(prediction, masks, include_background=True, ignore_empty=True).reshape(-1)
