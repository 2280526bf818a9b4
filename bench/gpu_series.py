"""Stacked vs one-at-a-time training on a GPU, and the paper grid's training time projected from it.

Part 1: wall seconds of one `train_group` epoch of K models of one architecture trained as one stacked network
(all K at once on a GPU), and of one model alone (as a `group_size: 1` job trains it), on MNIST-shaped random
data at the config's batch size and optimiser, for every group size K the config's grid has. Printed as
images/s and the ratio K x t(1) / t(K) (issue goal: >= 20x for 24 LeNet-5s on the GPU).

Part 2: every training group of the config (`perturbation.grid.training_groups`, times its seeds) takes at most
max_epochs x ceil(set size / batch) steps, at the measured seconds per step of its group size. Set sizes are
bounded by MNIST's 60,000 training images less the validation split plus each image factor's added images
(imbalance only removes), and early stopping only shortens training, so the total is an upper bound on training
time (issue goal: <= 1 h for config/paper.yaml on one H100/H200-class GPU). Each measured epoch includes the
per-epoch validation on a pool of the validation split's share. Evaluation jobs are not included.

On a CPU it runs too (--steps 10 --archs lenet5 --threads 1: 11 s on 2 cores): CPU figures, not the goal's.

    .venv/bin/python bench/gpu_series.py [--config config/paper.yaml] [--steps 20] [--archs lenet5 alexnet8]
                                         [--device cuda] [--threads N]
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import yaml

from perturbstudy.data import Pool
from perturbstudy.grouped import train_group
from perturbstudy.models import build_model
from perturbstudy.perturbation.grid import training_groups
from perturbstudy.perturbation.series import CLEAN_SERIES, SPECS
from perturbstudy.runtime import configure
from perturbstudy.train import TrainSettings

ROOT = Path(__file__).resolve().parents[1]
MNIST_TRAIN, MNIST_CLASSES, SIDE = 60_000, 10, 28  # torchvision MNIST's training split


def set_size_bound(series: str, cfg: Mapping[str, Any], base: int) -> int:
    """At most how many images a set of `series` has: the base split plus each image factor's added images."""
    if series == CLEAN_SERIES:
        return base
    return base + len(SPECS[series].image_factors) * int(cfg.get("per_class") or 0) * MNIST_CLASSES


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def epoch_seconds(arch: str, arch_cfg: Mapping[str, Any], k: int, steps: int, val_share: float,
                  device: torch.device) -> float:
    """Wall seconds of one train_group epoch of k models, `steps` batches each, validation included."""
    settings = TrainSettings.from_dict({**arch_cfg.get("train", {}), "max_epochs": 1, "patience": 1})
    n, g = steps * settings.batch_size, torch.Generator().manual_seed(0)

    def pool(size: int) -> Pool:
        return Pool(torch.rand(size, 1, SIDE, SIDE, generator=g), torch.randint(0, MNIST_CLASSES, (size,), generator=g))

    trains, val = [pool(n) for _ in range(k)], pool(max(1, round(n * val_share)))
    models = [build_model(arch, 1, MNIST_CLASSES, SIDE, **(arch_cfg.get("model") or {})) for _ in range(k)]
    _sync(device)
    start = time.perf_counter()
    train_group(models, trains, val, settings, list(range(k)), device=device, progress=False)
    _sync(device)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "paper.yaml")
    parser.add_argument("--steps", type=int, default=20, help="batches per model in each measured epoch")
    parser.add_argument("--archs", nargs="+", help="architectures to measure and project (default: the config's)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, help="CPU threads (default: the config's)")
    args = parser.parse_args()
    cfg = yaml.safe_load(args.config.read_text())
    dataset = cfg["dataset"]
    if dataset.get("name") != "mnist" or any(dataset.get(k) for k in ("train_per_class", "val_per_class")):
        raise SystemExit(f"{args.config}: the projection bounds set sizes by full MNIST with a val_fraction split; "
                         f"this config's dataset is {dataset}. Use a config on full MNIST (config/paper.yaml).")
    configure(args.threads or cfg.get("threads"))
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU (not the GPU goal's figures)"
    archs = args.archs or list(cfg["architectures"])
    groups = [g for g in training_groups(cfg["architectures"], cfg.get("series")) if g.arch in archs]
    val_fraction = float(dataset.get("val_fraction", 0.1))
    base = MNIST_TRAIN - round(val_fraction * MNIST_TRAIN)
    val_share = (MNIST_TRAIN - base) / base  # validation images per training image of the base split
    seeds = len(cfg.get("seeds") or [0])
    print(f"{args.config.name} on {name}, {args.steps} steps per measured epoch")

    seconds: dict[tuple[str, int], float] = {}
    print(f"\n{'arch':<10}{'K':>5}{'epoch s, K stacked':>20}{'epoch s, one':>14}{'img/s stacked':>15}"
          f"{'img/s one':>11}{'ratio':>8}")
    for arch in archs:
        arch_cfg = cfg["architectures"][arch]
        epoch_seconds(arch, arch_cfg, 1, 2, val_share, device)  # warm-up: kernels, allocator, cuDNN
        ks = sorted({1, *(len(g.setids) for g in groups if g.arch == arch)})
        for k in ks:
            seconds[arch, k] = epoch_seconds(arch, arch_cfg, k, args.steps, val_share, device)
        one, images = seconds[arch, 1], args.steps * TrainSettings.from_dict(arch_cfg.get("train", {})).batch_size
        for k in ks:
            print(f"{arch:<10}{k:>5}{seconds[arch, k]:>20.3f}{one:>14.3f}{k * images / seconds[arch, k]:>15.0f}"
                  f"{images / one:>11.0f}{k * one / seconds[arch, k]:>7.1f}x")

    print(f"\nprojection (upper bound: max_epochs, largest set size), {seeds} seed(s)")
    print(f"{'group':<32}{'models':>7}{'set size <=':>12}{'epochs <=':>10}{'stacked h':>11}{'one at a time h':>17}")
    totals = [0.0, 0.0]
    for g in groups:
        arch_cfg, k = cfg["architectures"][g.arch], len(g.setids)
        train = TrainSettings.from_dict(arch_cfg.get("train", {}))
        size = set_size_bound(g.series, (cfg.get("series") or {}).get(g.series) or {}, base)
        steps = train.max_epochs * math.ceil(size / train.batch_size)
        hours = [seeds * steps / args.steps * s / 3600 for s in (seconds[g.arch, k], k * seconds[g.arch, 1])]
        totals = [t + h for t, h in zip(totals, hours, strict=True)]
        print(f"{g.name:<32}{k * seeds:>7}{size:>12}{train.max_epochs:>10}{hours[0]:>11.2f}{hours[1]:>17.2f}")
    models = seeds * sum(len(g.setids) for g in groups)
    print(f"{'total':<32}{models:>7}{'':>22}{totals[0]:>11.2f}{totals[1]:>17.2f}")
    print("goals: >= 20x for 24 stacked LeNet-5s; <= 1 h stacked for config/paper.yaml on one H100/H200-class GPU")


if __name__ == "__main__":
    main()
