"""Cross-key checks of the `segmentation` config section (the schema checks each key alone); torch-free."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..errors import ConfigError


def check_segmentation(seg: dict[str, Any]) -> None:
    """Raise ConfigError naming the key when segmentation settings disagree or point at nothing."""
    variants = seg.get("variants", [])
    if "none" not in variants:
        raise ConfigError("segmentation.variants: 'none' is required: it is the baseline and the model that makes "
                          f"the FGSM / inverse-FGSM copies; got {variants}")
    if len(set(variants)) != len(variants):
        raise ConfigError(f"segmentation.variants: each variant once, got {variants}")
    model, ds = seg.get("model", {}), seg["dataset"]
    channels, strides = model.get("channels", [8, 16, 32]), model.get("strides", [2, 2])
    if len(strides) != len(channels) - 1:
        raise ConfigError(f"segmentation.model: {len(channels)} channel levels need {len(channels) - 1} strides, "
                          f"got {strides}")
    size, factor = ds.get("size", 48), math.prod(strides)
    if size % factor:
        raise ConfigError(f"segmentation.dataset.size {size} is not divisible by {factor}, the product of "
                          f"segmentation.model.strides {strides}; pick a size that is")
    checkpoints = seg.get("checkpoints", [])
    if sorted(set(checkpoints)) != list(checkpoints):
        raise ConfigError(f"segmentation.checkpoints: epochs in increasing order, each once; got {checkpoints}")
    if ds["name"] == "digit_scenes":
        if ds.get("scenes", 450) <= ds.get("val", 50) + ds.get("test", 100):
            raise ConfigError("segmentation.dataset.scenes must exceed val + test (the rest is the training set)")
        return
    for key in ("images", "masks"):
        if not ds.get(key):
            raise ConfigError(f"segmentation.dataset.{key}: a folder dataset needs the path of its {key} folder")
        if not Path(ds[key]).is_dir():
            raise ConfigError(f"segmentation.dataset.{key}: {ds[key]} is not a folder; point it at the {key} of "
                              "the image/mask pairs (README, Segmentation)")
