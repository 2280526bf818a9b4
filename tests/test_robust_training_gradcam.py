"""Grad-CAM maps of a model and the choice of correctly classified images per class."""

from __future__ import annotations

import torch

from perturbstudy.models import build_model
from perturbstudy.robust_training.gradcam import gradcam_maps, pick_images


def test_gradcam_maps_and_image_choice():
    torch.manual_seed(0)
    model = build_model("lenet5", 1, 3, 28)
    x = torch.rand(4, 1, 28, 28)
    maps = gradcam_maps(model, x, torch.tensor([0, 1, 2, 0]))
    assert maps.shape == (4, 28, 28) and maps.min() >= 0 and maps.max() <= 1 + 1e-6
    labels = torch.tensor([0, 1, 0, 2, 0, 1])
    correct = torch.tensor([True, True, False, True, True, False])
    assert pick_images(labels, correct, 2, 3).tolist() == [0, 4, 1, 3]
