"""Model checkpoints: self-describing, written atomically, loaded weights-only and checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .artifacts import load_tensors, save_tensors
from .errors import CheckpointError
from .models import build_model

FORMAT = "perturbstudy.model/1"


def save_model(path: str | Path, model: nn.Module, architecture: str, in_channels: int,
               num_classes: int, input_size: int, model_kwargs: dict[str, Any],
               extra: dict[str, Any] | None = None) -> None:
    """Write the weights with everything needed to rebuild the model."""
    save_tensors(path, {
        "format": FORMAT,
        "architecture": architecture,
        "in_channels": in_channels,
        "num_classes": num_classes,
        "input_size": input_size,
        "model_kwargs": json.dumps(model_kwargs, sort_keys=True),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "extra": json.dumps(extra or {}, sort_keys=True),
    })


def load_model(path: str | Path, architecture: str | None = None,
               device: torch.device | None = None) -> nn.Module:
    """Rebuild a model from a checkpoint, in eval mode; errors name the file and the fix."""
    payload = load_tensors(path)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise CheckpointError(
            f"{path}: not a perturbstudy model checkpoint (format {found!r}); "
            "re-run the training rule that produces it."
        )
    if architecture is not None and payload["architecture"] != architecture:
        raise CheckpointError(
            f"{path}: checkpoint holds a {payload['architecture']} model, but {architecture} was "
            "expected; the file was copied from another run, delete it and re-run training."
        )
    model = build_model(payload["architecture"], payload["in_channels"], payload["num_classes"],
                        payload["input_size"], **json.loads(payload["model_kwargs"]))
    try:
        model.load_state_dict(payload["state_dict"], strict=True)
    except RuntimeError as exc:
        raise CheckpointError(
            f"{path}: weights do not fit {payload['architecture']} ({exc}); re-run training."
        ) from exc
    model.eval()
    return model.to(device or torch.device("cpu"))
