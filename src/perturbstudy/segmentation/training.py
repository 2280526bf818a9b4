"""A MONAI UNet and what the one trainer (`train.train_model`) needs to train it: the pixel-wise loss as a
strategy and the validation mean IoU as its score."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ..artifacts import load_tensors, save_tensors
from ..data import Pool
from ..errors import CheckpointError
from .evaluation import predict_masks
from .metrics import mean_iou


def build_unet(in_channels: int, channels: Sequence[int] = (8, 16, 32), strides: Sequence[int] = (2, 2),
               num_res_units: int = 0) -> nn.Module:
    """MONAI's 2-D UNet with one output channel (the object's logit); len(strides) = len(channels) - 1, and
    the image side must be divisible by the product of the strides."""
    from monai.networks.nets import UNet

    return UNet(spatial_dims=2, in_channels=in_channels, out_channels=1, channels=tuple(channels),
                strides=tuple(strides), num_res_units=num_res_units)


class SegmentationTraining:
    """Binary cross-entropy of every pixel against the mask (the paper's cross-entropy, two classes)."""

    def batch_loss(self, model, x, y, index):
        logits = model(x)
        return F.binary_cross_entropy_with_logits(logits, y), logits

    @staticmethod
    def batch_hits(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Per-image pixel accuracy summed over the batch (train_acc: the mean pixel accuracy)."""
        return ((logits > 0).float() == y).float().flatten(1).mean(1).sum()


def validation_iou(model: nn.Module, pool: Pool) -> float:
    """The trainer's validation score: the paper's mean IoU on `pool`."""
    return mean_iou(predict_masks(model, pool.images), pool.labels) if len(pool) else float("nan")


FORMAT = "perturbstudy-unet-1"


def save_unet(path: str | Path, model: nn.Module, in_channels: int, model_kwargs: dict[str, Any],
              checkpoints: dict[int, dict[str, torch.Tensor]], extra: dict[str, Any] | None = None) -> None:
    """The final weights, the weights at each checkpoint epoch and what rebuilds the network, in one file."""
    save_tensors(path, {"format": FORMAT, "in_channels": in_channels, "model_kwargs": dict(model_kwargs),
                        "state_dict": model.state_dict(), "checkpoints": {str(k): v for k, v in checkpoints.items()},
                        "extra": extra or {}})


def load_unet(path: str | Path, device: torch.device | None = None) -> tuple[nn.Module, dict[int, dict]]:
    """The network of a `save_unet` file (final weights, eval mode) and its checkpoint weights by epoch."""
    payload = load_tensors(path)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a segmentation model written by perturbstudy ({FORMAT}); "
                              "rerun the segmentation_train rule that makes it")
    model = build_unet(payload["in_channels"], **payload["model_kwargs"])
    model.load_state_dict(payload["state_dict"])
    model.to(device or torch.device("cpu")).eval()
    return model, {int(k): v for k, v in payload["checkpoints"].items()}
