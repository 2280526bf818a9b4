"""A 2-class linear model whose decision boundary is known in closed form (shared by attack and AMAT tests)."""

from __future__ import annotations

import torch
from torch import nn


def linear_problem(n: int, seed: int = 0):
    """A 2-class linear model on 10x10 images near the box's centre, its predictions and each sample's L2
    distance to the decision boundary, |w.x + b| / ||w|| with w, b the differences of the two rows (no
    clipping reached)."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(100, 2))
    x = 0.5 + 0.05 * torch.randn(n, 1, 10, 10)
    with torch.no_grad():
        y = model(x).argmax(1)
        w, b = model[1].weight[1] - model[1].weight[0], model[1].bias[1] - model[1].bias[0]
        distance = (x.flatten(1) @ w + b).abs() / w.norm()
    return model, x, y, distance
