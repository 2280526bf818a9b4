"""Linear 2-class models with known answers: a decision boundary in closed form (attack and AMAT tests) and a
brightness threshold (corruption tests)."""

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


class Brightness(nn.Module):
    """Class 1 when the mean pixel exceeds 0.5, else class 0."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, x):
        m = x.flatten(1).mean(1, keepdim=True)
        return self.scale * torch.cat([0.5 - m, m - 0.5], 1)
