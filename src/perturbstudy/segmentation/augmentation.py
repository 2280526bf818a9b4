"""Pervin et al.'s augmentation: copies of training images made by FGSM (x + eps sign grad) or inverse FGSM
(x - eps sign grad) with the model trained on the original data, or by a classic transform (their Table 3:
flip, rotation, crop, colour jitter; torchvision v2, which moves image and mask together), added to the set.

The gradient is that of the pixel-wise loss (binary cross-entropy of every pixel against the mask, summed).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..attacks import FGSM, InverseFGSM
from ..data import Pool
from .variants import SIGN_VARIANTS, VARIANTS


def pixel_loss(logits: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of every pixel's logit against its mask value, summed over pixels and images."""
    return F.binary_cross_entropy_with_logits(logits, masks, reduction="sum")


def sign_copies(model: nn.Module, pool: Pool, eps: float, inverse: bool, batch_size: int = 64) -> torch.Tensor:
    """x + eps sign(grad) (FGSM) or x - eps sign(grad) (inverse FGSM) of every image, clipped to [0, 1]."""
    attack = (InverseFGSM if inverse else FGSM)(model, eps=eps, batch_size=batch_size, loss=pixel_loss)
    return attack(pool.images, pool.labels)


def classic_copies(pool: Pool, kind: str, seed: int) -> Pool:
    """One randomly transformed copy of every image and its mask (each image its own draw, seeded)."""
    from torchvision import tv_tensors
    from torchvision.transforms import v2

    size = pool.images.shape[-1]
    transform = {
        "flip": v2.RandomHorizontalFlip(p=1.0),
        "rotate": v2.RandomRotation(degrees=30),
        "crop": v2.RandomResizedCrop(size, scale=(0.6, 1.0), antialias=True),
        "jitter": v2.ColorJitter(brightness=0.4, contrast=0.4),  # changes images only; masks pass through
    }[kind]
    torch.manual_seed(seed)  # v2 transforms draw from the global RNG
    images, masks = [], []
    for x, y in zip(pool.images, pool.labels, strict=True):
        tx, ty = transform(tv_tensors.Image(x), tv_tensors.Mask(y))
        images.append(tx.as_subclass(torch.Tensor).clamp(0, 1))
        masks.append((ty.as_subclass(torch.Tensor) > 0.5).float())
    return Pool(torch.stack(images), torch.stack(masks))


def augmented_pool(train: Pool, variant: str, share: float, eps: float, seed: int,
                   source: nn.Module | None = None) -> Pool:
    """The training set plus round(share x N) copies (seeded choice of images) made by `variant`; FGSM and
    inverse FGSM need `source`, the model trained on the original set."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown augmentation {variant!r}; choose from {list(VARIANTS)}")
    count = round(share * len(train))
    if variant == "none" or count == 0:
        return train
    chosen = train.subset(torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))[:count])
    if variant in SIGN_VARIANTS:
        if source is None:
            raise ValueError(f"{variant} augmentation needs the model trained on the original data")
        extra = Pool(sign_copies(source, chosen, eps, inverse=variant == "inverse_fgsm"), chosen.labels)
    else:
        extra = classic_copies(chosen, variant, seed)
    return Pool(torch.cat([train.images, extra.images]), torch.cat([train.labels, extra.labels]))
