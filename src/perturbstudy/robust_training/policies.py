"""Augmentation policies for RTDA and augmentation-alone training: torchvision's AugMix and RandAugment, MedMNIST-C's.

A policy is ``policy(images, generator) -> images``: a batch [N, C, H, W] in [0, 1] and a torch.Generator, each image
augmented on its own (its own random operations), the same generator state giving the same images.

- augmix, randaugment: torchvision.transforms.v2.AugMix / RandAugment, applied image by image to uint8 images
  (x * 255 rounded, as the policies were designed for 8-bit images; lossless for images read from the datasets'
  8-bit files), then back to [0, 1]. torchvision draws from torch's global RNG: each batch runs inside
  `torch.random.fork_rng` seeded by one draw of the policy's generator, so the caller's global RNG state is
  untouched and the result depends only on the generator.
- medmnistc: MedMNIST-C's training augmentation (AugMedMNISTC of the dataset's corruptions; optional package,
  224x224 images; `perturbstudy.corruptions.medmnistc.augment_medmnistc`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from ..errors import ConfigError

POLICIES = ("augmix", "randaugment", "medmnistc")
POLICY_LABELS = {"augmix": "AugMix", "randaugment": "RandAugment", "medmnistc": "MedMNIST-C"}
#: policy(images [N, C, H, W] in [0, 1], generator) -> augmented images, same shape, in [0, 1]
Policy = Callable[[torch.Tensor, torch.Generator], torch.Tensor]
#: the keyword arguments of each torchvision policy that the config may set (torchvision's defaults otherwise)
TORCHVISION_KEYS = {"augmix": ("severity", "mixture_width", "chain_depth", "alpha", "all_ops"),
                    "randaugment": ("num_ops", "magnitude", "num_magnitude_bins")}


def _seed(generator: torch.Generator) -> int:
    return int(torch.randint(0, 2**62, (1,), generator=generator, dtype=torch.int64))


def torchvision_policy(transform: Callable[[torch.Tensor], torch.Tensor]) -> Policy:
    """A torchvision v2 transform on uint8 [C, H, W] images as a seeded per-image policy on [0, 1] batches."""
    def run(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if images.ndim != 4:
            raise ConfigError(f"augmentation policy: a batch [N, C, H, W] expected, got shape {tuple(images.shape)}")
        u8 = (images.detach().clamp(0, 1) * 255).round().to(torch.uint8)
        devices = []  # torchvision may draw on the batch's device too: its RNG is forked and seeded as well
        if images.is_cuda:
            devices = [images.device.index if images.device.index is not None else torch.cuda.current_device()]
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(_seed(generator))
            out = torch.stack([transform(img) for img in u8]) if len(u8) else u8
        return out.to(images.dtype) / 255.0
    return run


def make_policy(name: str, settings: Mapping[str, Any] | None = None, dataset: str | None = None) -> Policy:
    """The policy `name` (augmix, randaugment, medmnistc) with its config settings; medmnistc needs the dataset."""
    settings = dict(settings or {})
    if name in TORCHVISION_KEYS:
        unknown = sorted(set(settings) - set(TORCHVISION_KEYS[name]))
        if unknown:
            raise ConfigError(f"medical.training.rtda.{name}: unknown keys {unknown}; allowed: "
                              f"{list(TORCHVISION_KEYS[name])}")
        from torchvision.transforms import v2

        transform = v2.AugMix(**settings) if name == "augmix" else v2.RandAugment(**settings)
        return torchvision_policy(transform)
    if name == "medmnistc":
        if settings:
            raise ConfigError(f"medical.training.rtda.medmnistc takes no settings, got {sorted(settings)}")
        if not dataset:
            raise ConfigError("the medmnistc augmentation needs the MedMNIST dataset whose corruptions it draws "
                              "(pass dataset=, the medical dataset's name)")
        from ..corruptions.medmnistc import augment_medmnistc, medmnistc_corruptions

        medmnistc_corruptions(dataset)  # fail now, not at the first batch, when the package or dataset is missing

        def run(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
            return augment_medmnistc(images, dataset, generator)
        return run
    raise ConfigError(f"unknown augmentation policy {name!r}; choose from {list(POLICIES)}")
