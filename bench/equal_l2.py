"""Equal-L2 FGSM training samples: our closed form vs the paper's grid search, on 10,000 images x 24 levels.

Ours: one input gradient per image (perturbstudy.attacks.input_gradient via fgsm_directions), the exact
scale for all 24 levels at once (scales_for_levels) and the 24 float32 image batches.
Theirs (Wang et al. 2.2.1, done the way a user would with plain torch): FGSM x + eps sign(grad) clipped,
one attack call per eps of a grid, and per image and level the candidate whose L2 is closest.

    .venv/bin/python bench/equal_l2.py [--images 10000] [--grid 100] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.nn import functional as F

from perturbstudy.data import load_dataset
from perturbstudy.equal_l2.calibrate import apply_scale, perturbation_l2, scales_for_levels
from perturbstudy.equal_l2.directions import fgsm_directions
from perturbstudy.models import build_model


def paper_fgsm(model, x, y, eps):
    """Plain-torch FGSM as a user writes it: gradient, sign step, clip."""
    x = x.clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), y)
    (grad,) = torch.autograd.grad(loss, x)
    return (x + eps * grad.sign()).clamp(0, 1).detach()


def theirs(model, x, y, levels, grid, batch):
    best = torch.full((x.shape[0], levels.numel()), float("inf"), dtype=torch.float64)
    for eps in torch.linspace(1.0 / grid, 1.0, grid).tolist():
        for i in range(0, x.shape[0], batch):
            xb = x[i:i + batch]
            l2 = perturbation_l2(xb, paper_fgsm(model, xb, y[i:i + batch], eps))
            err = (l2[:, None] - levels[None, :]).abs()
            cur = best[i:i + batch]
            best[i:i + batch] = torch.where(err.abs() < cur.abs(), err, cur)
    return best.abs().max().item()


def ours(model, x, y, levels):
    d = fgsm_directions(model, x, y, batch_size=1000)
    t = scales_for_levels(x, d, levels)
    x64, d64 = x.double(), d.double()  # converted once for the 24 levels, as the training-set builder does
    worst = 0.0
    for j in range(levels.numel()):
        worst = max(worst, (perturbation_l2(x64, apply_scale(x64, d64, t[:, j])) - levels[j]).abs().max().item())
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--grid", type=int, default=100, help="eps values of the paper's grid search")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    raw = load_dataset("mnist5k").pools["all"]  # 5,000 real digits, tiled to the requested count
    reps = -(-args.images // len(raw))
    x = raw.images.repeat(reps, 1, 1, 1)[:args.images]
    y = raw.labels.repeat(reps)[:args.images]
    torch.manual_seed(0)
    model = build_model("lenet5", 1, 10, 28).eval()
    levels = torch.arange(1, 25, dtype=torch.float64) * 0.5
    start = time.perf_counter()
    err_ours = ours(model, x, y, levels)
    t_ours = time.perf_counter() - start
    start = time.perf_counter()
    err_theirs = theirs(model, x, y, levels, args.grid, 1000)
    t_theirs = time.perf_counter() - start
    print(f"{args.images} images x {levels.numel()} levels, {args.threads} threads")
    print(f"ours   (closed form): {t_ours:8.2f} s   max |L2 - level| = {err_ours:.2e}")
    print(f"theirs (FGSM grid of {args.grid} eps): {t_theirs:8.2f} s   max |L2 - level| = {err_theirs:.3f}")
    print(f"speed-up: {t_theirs / t_ours:.1f}x")


if __name__ == "__main__":
    main()
