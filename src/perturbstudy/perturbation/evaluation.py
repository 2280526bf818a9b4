"""Evaluation of one trained model: train / clean test accuracy, both benchmarks per level, white-box attacks.

Test sets (the ``testset`` column of the tidy CSV):

- ``train``: the model's own training set (perturbed images and labels as trained on);
- ``test``: the clean test split;
- ``gaussian_benchmark``, ``fgsm_benchmark``: the stored equal-L2 benchmarks (`perturbstudy.equal_l2.benchmarks`);
  the FGSM benchmark comes from the architecture's clean source model, so for every other model it is
  a transfer attack;
- ``whitebox_fgsm``: the same equal-L2 sign-gradient construction at the same levels, with the
  gradient of the evaluated model itself (sign direction, scale calibrated to the exact L2 level);
- ``whitebox_pgd_l2``: L2 PGD (`attacks.PGDL2`) against the model at the configured radii.

Per-level rows carry the numeric level (L2 radius) in ``benchmark_level``; for the two benchmarks and
white-box FGSM one more row per test set has ``benchmark_level = "mean"``: the unweighted mean of
the per-level accuracies (the paper's single MNIST-C / MNIST-A number) with ``n`` = the images
evaluated over all levels. Samples an FGSM level cannot reach are excluded at that level (``n`` is
smaller there).

Sanity flags (after AutoAttack's checks) are computed from the rows: accuracy rising with the
radius, the fraction of zero input gradients, too little attack success at the largest radius on a
clean model, and white-box accuracy above transfer accuracy at a level.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

from ..attacks import PGDL2
from ..data import Pool
from ..equal_l2.benchmarks import EqualL2Set, equal_l2_fgsm
from ..equal_l2.calibrate import apply_scale
from ..equal_l2.directions import zero_gradient_fractions
from ..grouped import CPU_CHUNK, GROUPABLE, StackedModels, images_per_pass
from ..train import predict

ROW_COLUMNS = ("testset", "attack", "benchmark_level", "accuracy", "n")
LEVELLED_WITH_MEAN = ("gaussian_benchmark", "fgsm_benchmark", "whitebox_fgsm")


@dataclass(frozen=True)
class EvalSettings:
    """What the evaluation runs, from the config's `benchmarks` and `whitebox` sections."""

    batch_size: int = 500
    whitebox_fgsm: bool = True
    pgd_radii: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0)
    pgd_steps: int = 10
    pgd_relative_step: float = 0.25
    pgd_random_start: bool = False
    pgd_max_images: int | None = None  # None = the whole test split
    seed: int = 0
    tolerance: float = 0.01
    min_success_clean: float = 0.9

    @classmethod
    def from_params(cls, whitebox: dict[str, Any], batch_size: int | None = None) -> EvalSettings:
        """From the rule's params: the `whitebox` section and the benchmark batch size (defaults for absent keys)."""
        pgd = whitebox.get("pgd_l2") or {}
        sanity = whitebox.get("sanity") or {}
        d = cls()
        return cls(
            batch_size=int(batch_size or d.batch_size),
            whitebox_fgsm=bool(whitebox.get("fgsm", d.whitebox_fgsm)),
            pgd_radii=tuple(float(r) for r in pgd.get("radii", d.pgd_radii)),
            pgd_steps=int(pgd.get("steps", d.pgd_steps)),
            pgd_relative_step=float(pgd.get("relative_step_size", d.pgd_relative_step)),
            pgd_random_start=bool(pgd.get("random_start", d.pgd_random_start)),
            pgd_max_images=pgd.get("max_images", d.pgd_max_images),
            seed=int(whitebox.get("seed", d.seed)),
            tolerance=float(sanity.get("tolerance", d.tolerance)),
            min_success_clean=float(sanity.get("min_success_clean", d.min_success_clean)),
        )


def _row(testset: str, attack: str, level: Any, correct: int, n: int) -> dict[str, Any]:
    return {"testset": testset, "attack": attack, "benchmark_level": level,
            "accuracy": correct / n if n else float("nan"), "n": n}


def interleave(x: torch.Tensor, k: int) -> torch.Tensor:
    """Each row repeated k times in place (row i*k + j is model j's copy): the input of `StackedModels` of k."""
    return x.repeat_interleave(k, dim=0) if k > 1 else x


def _counts(net: nn.Module, k: int, images: torch.Tensor, labels: torch.Tensor, batch_size: int,
            counted: torch.Tensor | None = None, shared: bool = False) -> tuple[list[int], list[int]]:
    """Per model of `net` (k interleaved models): correct predictions and images counted. `images`, `labels` and
    the mask `counted` are interleaved rows (row i*k + j is model j's), or with `shared` one row per image that
    all k models see (StackedModels.shared: the first layer runs once for all)."""
    if images.shape[0] == 0:
        return [0] * k, [0] * k
    if shared and k > 1:
        hit = predict(net.shared(), images, batch_size) == interleave(labels, k)
        counted = None if counted is None else interleave(counted, k)
    else:
        hit = predict(net, images, batch_size * k) == labels
    counted = torch.ones_like(hit) if counted is None else counted
    return (hit & counted).view(-1, k).sum(0).tolist(), counted.view(-1, k).sum(0).tolist()


def pool_rows(net: nn.Module, pools: dict[str, Pool], batch_size: int, k: int = 1) -> list[list[dict[str, Any]]]:
    """Per model of `net` (k interleaved models): unperturbed accuracy rows (attack "none") on shared pools."""
    rows: list[list[dict[str, Any]]] = [[] for _ in range(k)]
    for name, p in pools.items():
        correct, n = _counts(net, k, p.images, p.labels, batch_size, shared=True)
        for j in range(k):
            rows[j].append(_row(name, "none", "", correct[j], n[j]))
    return rows


def equal_l2_rows(net: nn.Module, bench: EqualL2Set, test: Pool, testset: str, attack: str, batch_size: int,
                  k: int = 1) -> list[list[dict[str, Any]]]:
    """Per model of `net` (k interleaved models), accuracy at every level of an equal-L2 set: a shared set of
    len(test) samples, or one of k * len(test) interleaved samples (each model's own, as white-box FGSM builds
    it). A sample a level cannot reach is left out at that level."""
    shared = bench.scales.shape[0] == len(test)  # else one set per model: built on the interleaved rows
    copies = 1 if shared else k
    x64, y = interleave(test.images, copies).to(torch.float64), interleave(test.labels, copies)
    rows: list[list[dict[str, Any]]] = [[] for _ in range(k)]
    for j, level in enumerate(bench.levels.tolist()):
        scales = bench.scales[:, j]
        reachable = ~torch.isnan(scales)  # an unreachable sample keeps its place, unperturbed and not counted
        images = apply_scale(x64, bench.direction, scales.nan_to_num(0.0))
        correct, n = _counts(net, k, images, y, batch_size, None if bool(reachable.all()) else reachable, shared)
        for m in range(k):
            rows[m].append(_row(testset, attack, level, correct[m], n[m]))
    return rows


def pgd_rows(net: nn.Module, test: Pool, settings: EvalSettings, progress: bool = False,
             k: int = 1) -> list[list[dict[str, Any]]]:
    """Per model of `net` (k interleaved models), white-box L2 PGD accuracy at every configured radius, each model
    attacking with its own gradient, on at most `pgd_max_images` test images: a fixed subset evenly spaced over
    the split (the split is ordered by class, so it is stratified)."""
    rows: list[list[dict[str, Any]]] = [[] for _ in range(k)]
    if settings.pgd_max_images is not None and settings.pgd_max_images < len(test):
        idx = torch.linspace(0, len(test) - 1, settings.pgd_max_images).round().long()
        test = Pool(test.images[idx], test.labels[idx])
    attack = f"pgd_l2_{settings.pgd_steps}steps"
    x, y = interleave(test.images, k), interleave(test.labels, k)
    for radius in tqdm(settings.pgd_radii, desc="pgd-l2", file=sys.stderr, disable=not progress, ncols=100):
        gen = torch.Generator().manual_seed(settings.seed)
        atk = PGDL2(net, eps=radius, alpha=settings.pgd_relative_step * radius, steps=settings.pgd_steps,
                    random_start=settings.pgd_random_start, generator=gen, batch_size=settings.batch_size * k)
        correct, n = _counts(net, k, atk(x, y), y, settings.batch_size)
        for m in range(k):
            rows[m].append(_row("whitebox_pgd_l2", attack, radius, correct[m], n[m]))
    return rows


def with_means(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Append a benchmark_level="mean" row (unweighted mean over levels) for each levelled test set."""
    out = list(rows)
    for testset in LEVELLED_WITH_MEAN:
        sub = [r for r in rows if r["testset"] == testset]
        if sub:
            accs = [r["accuracy"] for r in sub if r["n"]]
            out.append({"testset": testset, "attack": sub[0]["attack"], "benchmark_level": "mean",
                        "accuracy": sum(accs) / len(accs) if accs else float("nan"),
                        "n": sum(r["n"] for r in sub)})
    return out


def _evaluate_stacked(net: nn.Module, k: int, test: Pool, gaussian: EqualL2Set, fgsm: EqualL2Set,
                      settings: EvalSettings, progress: bool) -> tuple[list[list[dict[str, Any]]], list[dict]]:
    """Every test-split row of the k interleaved models of `net`, and each model's white-box gradient statistics."""
    bs = settings.batch_size
    rows = pool_rows(net, {"test": test}, bs, k)
    for extra in (equal_l2_rows(net, gaussian, test, "gaussian_benchmark", "gaussian_noise", bs, k),
                  equal_l2_rows(net, fgsm, test, "fgsm_benchmark", "fgsm_sign_equal_l2_transfer", bs, k)):
        rows = [r + e for r, e in zip(rows, extra, strict=True)]
    stats: list[dict[str, Any]] = [{} for _ in range(k)]
    if settings.whitebox_fgsm:
        own = equal_l2_fgsm(net, interleave(test.images, k), interleave(test.labels, k), fgsm.levels, bs * k)
        for j in range(k):
            stats[j] = {**zero_gradient_fractions(own.direction[j::k]),
                        "excluded_whitebox_fgsm": int(torch.isnan(own.scales[j::k]).sum())}
        extra = equal_l2_rows(net, own, test, "whitebox_fgsm", "fgsm_sign_equal_l2", bs, k)
        rows = [r + e for r, e in zip(rows, extra, strict=True)]
    if settings.pgd_radii:
        rows = [r + e for r, e in zip(rows, pgd_rows(net, test, settings, progress, k), strict=True)]
    return rows, stats


def _passes(settings: EvalSettings, device: torch.device, k: int) -> EvalSettings:
    """`settings` with the images per forward pass of k stacked models on `device` (grouped.images_per_pass)."""
    return replace(settings, batch_size=images_per_pass(settings.batch_size, k, device))


def evaluate_models(models: Sequence[nn.Module], trains: Sequence[Pool], test: Pool, gaussian: EqualL2Set,
                    fgsm: EqualL2Set, settings: EvalSettings, progress: bool = False,
                    chunk: int | None = None) -> list[tuple[pd.DataFrame, dict[str, float]]]:
    """Every accuracy of each model (one architecture) as tidy rows, and the gradient statistics of its white-box
    FGSM. `chunk` models at a time run as one `StackedModels` (default: CPU_CHUNK on CPU, all on a GPU), each
    benchmark batch through all of them at once and each attacking with its own gradient; the numbers are those
    of evaluating each model alone up to float rounding (and PGD's random start, drawn for the chunk's rows)."""
    device = next(models[0].parameters()).device
    chunk = chunk or (CPU_CHUNK.get(type(models[0]), 1) if device.type == "cpu" else len(models))
    if not isinstance(models[0], GROUPABLE):
        chunk = 1
    out = []
    for start in range(0, len(models), chunk):
        group = list(models[start:start + chunk])
        net = group[0] if len(group) == 1 else StackedModels(group)
        rows, stats = _evaluate_stacked(net, len(group), test, gaussian, fgsm, _passes(settings, device, len(group)),
                                        progress)
        for model, train, own_rows, own_stats in zip(group, trains[start:start + chunk], rows, stats, strict=True):
            train_row = pool_rows(model, {"train": train}, _passes(settings, device, 1).batch_size)[0]
            frame = pd.DataFrame(with_means(train_row + own_rows), columns=list(ROW_COLUMNS))
            out.append((frame, own_stats))
    return out


def evaluate_model(model: nn.Module, train: Pool, test: Pool, gaussian: EqualL2Set, fgsm: EqualL2Set,
                   settings: EvalSettings, progress: bool = False) -> tuple[pd.DataFrame, dict[str, float]]:
    """Every accuracy of one model as tidy rows, and the gradient statistics of its white-box FGSM."""
    return evaluate_models([model], [train], test, gaussian, fgsm, settings, progress)[0]


def _levelled(frame: pd.DataFrame, testset: str) -> pd.DataFrame:
    sub = frame[(frame["testset"] == testset) & (frame["benchmark_level"] != "mean")]
    sub = sub[sub["n"] > 0].copy()
    sub["level"] = pd.to_numeric(sub["benchmark_level"])
    return sub.sort_values("level")


def sanity_flags(frame: pd.DataFrame, grad_stats: dict[str, float], clean_model: bool,
                 settings: EvalSettings) -> dict[str, Any]:
    """AutoAttack-style checks of one evaluation; `warnings` lists the ones that fired."""
    tol = settings.tolerance
    flags: dict[str, Any] = {"tolerance": tol, "clean_model": clean_model, **grad_stats}
    warnings: list[str] = []
    rising: dict[str, list[float]] = {}
    for testset in ("gaussian_benchmark", "fgsm_benchmark", "whitebox_fgsm", "whitebox_pgd_l2"):
        sub = _levelled(frame, testset)
        acc, lv = sub["accuracy"].to_numpy(), sub["level"].to_numpy()
        up = [float(lv[i + 1]) for i in range(len(acc) - 1) if acc[i + 1] > acc[i] + tol]
        rising[testset] = up
        if up:
            warnings.append(f"{testset}: accuracy rises with the radius at levels {up}")
    flags["accuracy_rises_with_radius"] = rising
    if grad_stats.get("zero_gradient_samples", 0.0) > 0:
        warnings.append(f"{grad_stats['zero_gradient_samples']:.1%} of test images have an all-zero input gradient "
                        "(gradient masking or saturated softmax)")
    clean_acc = float(frame.loc[frame["testset"] == "test", "accuracy"].iloc[0])
    largest: dict[str, Any] = {}
    for testset in ("whitebox_fgsm", "whitebox_pgd_l2"):
        sub = _levelled(frame, testset)
        if sub.empty:
            continue
        last = sub.iloc[-1]
        success = 1.0 - float(last["accuracy"]) / clean_acc if clean_acc > 0 else float("nan")
        largest[testset] = {"radius": float(last["level"]), "accuracy": float(last["accuracy"]),
                            "success_rate": success}
        if clean_model and success < settings.min_success_clean:
            warnings.append(f"{testset}: attack success {success:.1%} at the largest radius {float(last['level'])} "
                            f"on a clean model (expected >= {settings.min_success_clean:.0%})")
    flags["largest_radius"] = largest
    wb, tr = _levelled(frame, "whitebox_fgsm"), _levelled(frame, "fgsm_benchmark")
    merged = wb.merge(tr, on="level", suffixes=("_wb", "_tr"))
    above = merged.loc[merged["accuracy_wb"] > merged["accuracy_tr"] + tol, "level"].astype(float).tolist()
    flags["whitebox_above_transfer_levels"] = above
    if above:
        warnings.append(f"white-box FGSM accuracy exceeds transfer (benchmark) accuracy at levels {above}")
    flags["warnings"] = warnings
    flags["ok"] = not warnings
    return flags
