"""Seconds per training epoch of each adversarial-training method on the same data; DPAAT / AT cost ratio.

Goal: DPAAT / AT <= 2.2 (DPAAT runs PGD twice per batch: fixed eps, then the adaptive radii). AMAT / AT
is reported too (AMAT's boundary-stopping PGD bisects flipped samples onto the boundary: extra forwards).
Usage: .venv/bin/python bench/defenses.py [--arch lenet5] [--per-class 300] [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse

import torch

from perturbstudy.data import load_dataset, make_splits, select_classes
from perturbstudy.models import build_model
from perturbstudy.robust_training.methods import METHOD_LABELS, METHODS, build_strategy
from perturbstudy.runtime import configure
from perturbstudy.train import TrainSettings, train_model

GOAL = 2.2
# Li et al.'s Table I methods and ablation; the RTDA and Pervin methods need a policy or a source model
DEFENSES = ("std", "at", "sat", "amat", "dpaat", "da", "db")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="lenet5")
    parser.add_argument("--per-class", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--methods", nargs="+", default=list(DEFENSES), choices=list(METHODS))
    args = parser.parse_args()
    device = configure(args.threads)
    raw = select_classes(load_dataset("mnist5k"), [3, 5, 8])
    splits = make_splits(raw, 0, 0.1, 0.2, train_per_class=args.per_class, test_per_class=20, pool_all=True,
                         val_per_class=20)
    cfg = {"adversary": {"eps": 1.5, "step_size": 0.5, "steps": 7}, "alpha": 0.5, "beta": 1.0,
           "amat": {"rule": "reference", "delta_eps": 0.15, "eps_min": 0.0, "eps_max": 3.0},
           "dpaat": {"eps_min": 0.0, "eps_max": 3.0}}
    settings = TrainSettings(lr=1e-3, batch_size=32, max_epochs=1, patience=1)
    times: dict[str, list[float]] = {m: [] for m in args.methods}
    for _ in range(args.repeats):  # round robin, so load changes on a shared machine hit every method alike
        for method in args.methods:
            torch.manual_seed(0)
            model = build_model(args.arch, 1, 3, 28)
            strategy = build_strategy(method, cfg, len(splits.train), seed=0)
            result = train_model(model, splits.train, splits.val, settings, seed=0, device=device,
                                 strategy=strategy, progress=False)
            times[method].append(result.epoch_seconds[1])
    seconds = {m: min(t) for m, t in times.items()}
    for method, s in seconds.items():
        print(f"{METHOD_LABELS[method]:>6}: {s:8.3f} s/epoch (min of {args.repeats} round-robin epochs, "
              f"{len(splits.train)} images, {args.arch}, {device})", flush=True)
    if "at" in seconds:
        print("cost relative to AT:")
        for method, s in seconds.items():
            print(f"  {METHOD_LABELS[method]:>6} / AT = {s / seconds['at']:.2f}")
    if {"at", "dpaat"} <= set(seconds):
        ratio = seconds["dpaat"] / seconds["at"]
        print(f"DPAAT / AT = {ratio:.2f} (goal <= {GOAL}): {'OK' if ratio <= GOAL else 'ABOVE GOAL'}")


if __name__ == "__main__":
    main()
