"""FGSM / inverse-FGSM copies from the pixel-wise loss, classic transforms that move image and mask together."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from perturbstudy.data import Pool
from perturbstudy.segmentation.augmentation import augmented_pool, classic_copies, sign_copies


def _pool(n=6, side=8):
    g = torch.Generator().manual_seed(0)
    masks = torch.zeros(n, 1, side, side)
    masks[:, :, 2:5, 1:4] = 1
    return Pool((0.3 + 0.4 * masks + 0.1 * torch.rand(n, 1, side, side, generator=g)).clamp(0, 1), masks)


def _net():
    torch.manual_seed(0)
    return nn.Conv2d(1, 1, 3, padding=1)


@pytest.mark.parametrize("inverse", [False, True])
def test_sign_copies_follow_the_pixel_loss_gradient(inverse):
    pool, net = _pool(), _net()
    x = pool.images.clone().requires_grad_(True)
    loss = F.binary_cross_entropy_with_logits(net(x), pool.labels, reduction="sum")
    (grad,) = torch.autograd.grad(loss, x)
    step = -0.1 if inverse else 0.1
    expected = (pool.images + step * grad.sign()).clamp(0, 1)
    copies = sign_copies(net, pool, 0.1, inverse)
    assert torch.allclose(copies, expected)
    after = F.binary_cross_entropy_with_logits(net(copies), pool.labels)
    before = F.binary_cross_entropy_with_logits(net(pool.images), pool.labels)
    assert (after < before) if inverse else (after > before)


def test_classic_transforms_move_the_mask_with_the_image():
    pool = _pool()
    flipped = classic_copies(pool, "flip", seed=0)
    assert torch.equal(flipped.images, pool.images.flip(-1)) and torch.equal(flipped.labels, pool.labels.flip(-1))
    jittered = classic_copies(pool, "jitter", seed=0)
    assert torch.equal(jittered.labels, pool.labels) and not torch.equal(jittered.images, pool.images)
    for kind in ("rotate", "crop"):
        moved = classic_copies(pool, kind, seed=0)
        assert set(moved.labels.unique().tolist()) <= {0.0, 1.0}
        # the object stays bright where its mask went
        assert float(moved.images[moved.labels == 1].mean()) > float(moved.images[moved.labels == 0].mean()) + 0.2
    assert torch.equal(classic_copies(pool, "rotate", seed=3).images, classic_copies(pool, "rotate", seed=3).images)


def test_augmented_pool_adds_the_share():
    pool, net = _pool(10), _net()
    assert augmented_pool(pool, "none", 0.5, 0.1, 0) is pool
    aug = augmented_pool(pool, "inverse_fgsm", 0.3, 0.1, 0, source=net)
    assert len(aug) == 13 and torch.equal(aug.images[:10], pool.images)
    with pytest.raises(ValueError, match="trained on the original"):
        augmented_pool(pool, "fgsm", 0.3, 0.1, 0)
