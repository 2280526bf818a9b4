"""The offline segmentation demonstration: one whole digit among fragments of others."""

from __future__ import annotations

import torch

from perturbstudy.data import load_dataset
from perturbstudy.segmentation.scenes import digit_scenes


def test_scenes_are_seeded_and_the_mask_is_the_whole_digit():
    digits = load_dataset("mnist5k").pools["all"].images[:200]
    a = digit_scenes(digits, 20, size=40, clutter=3, noise=0.0, seed=1)
    b = digit_scenes(digits, 20, size=40, clutter=3, noise=0.0, seed=1)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert a.images.shape == (20, 1, 40, 40) and set(a.labels.unique().tolist()) == {0.0, 1.0}
    # object pixels are ink; without noise, clutter is ink outside the mask: brightness alone cannot segment
    assert bool((a.images[a.labels == 1] > 0.5).all())
    assert float((a.images[a.labels == 0] > 0.5).float().mean()) > 0.01
    assert not torch.equal(digit_scenes(digits, 20, size=40, seed=2).labels, a.labels)
