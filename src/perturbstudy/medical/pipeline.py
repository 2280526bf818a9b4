"""The DPAAT medical runs as plain functions of paths and config (the `medical_*` rules call these)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from ..artifacts import write_csv
from ..checkpoints import load_model, save_model
from ..checks import ensure_writable
from ..defenses import METHOD_LABELS, build_strategy
from ..models import build_model
from ..pipeline import load_splits, prepare_data
from ..runtime import configure, derive_seed
from ..train import TrainSettings, train_model
from . import models as _models  # noqa: F401  (registers the torchvision CNNs)
from .evaluate import evaluate_suite, probabilities
from .gradcam import gradcam_figure, gradcam_maps, pick_images


def prepare_medical_data(config: dict[str, Any], out_splits: str | Path, out_summary: str | Path) -> None:
    """The medical runs' own splits from `medical.dataset` (e.g. 3 DermaMNIST classes, 800 / 299 per class)."""
    prepare_data({"dataset": config["medical"]["dataset"], "data_seed": config.get("data_seed", 0)},
                 out_splits, out_summary)


def train_medical(config: dict[str, Any], arch: str, method: str, seed: int, splits_path: str | Path,
                  out_model: str | Path, out_history: str | Path, threads: int | None = None,
                  resume_path: str | Path | None = None) -> None:
    """Train one CNN with one method (STD, AT, SAT, AMAT, DPAAT, D-A, D-B) and one seed."""
    med = config["medical"]
    ensure_writable(out_model, out_history)  # before training, not after
    device = configure(threads)
    splits = load_splits(splits_path)
    arch_cfg = med["architectures"][arch]
    settings = TrainSettings.from_dict(arch_cfg["train"])
    model_kwargs = dict(arch_cfg.get("model") or {})
    torch.manual_seed(derive_seed("init", arch, seed))  # same initial weights for every method
    c, h = splits.train.images.shape[1], splits.train.images.shape[2]
    model = build_model(arch, c, len(splits.class_names), h, **model_kwargs)
    strategy = build_strategy(method, med["training"], len(splits.train), seed=derive_seed("adversary", arch, seed))
    start = time.perf_counter()
    result = train_model(model, splits.train, splits.val, settings, seed=derive_seed("shuffle", arch, seed),
                         device=device, strategy=strategy, resume_path=resume_path,
                         desc=f"{arch} {METHOD_LABELS[method]} seed{seed}")
    model.load_state_dict(result.state_dict)
    print(f"{arch} {METHOD_LABELS[method]} seed {seed}: {result.epochs_run} epochs, best epoch {result.best_epoch}, "
          f"val acc {result.best_val_acc:.4f}, {time.perf_counter() - start:.1f} s", flush=True)
    history = pd.DataFrame(result.history)
    stats = getattr(strategy, "epoch_stats", [])
    if stats:
        history = history.merge(pd.DataFrame(stats), on="epoch", how="left")
    write_csv(out_history, history)
    save_model(out_model, model.cpu(), arch, c, len(splits.class_names), h, model_kwargs,
               extra={"method": method, "best_epoch": result.best_epoch, "epochs_run": result.epochs_run,
                      "best_val_acc": result.best_val_acc, "seed": seed, "train_size": len(splits.train)})
    if resume_path is not None and Path(resume_path).exists():
        Path(resume_path).unlink()


def evaluate_medical(config: dict[str, Any], arch: str, method: str, seed: int, model_path: str | Path,
                     splits_path: str | Path, out_metrics: str | Path, out_confusion: str | Path,
                     threads: int | None = None) -> None:
    """Clean and attacked test metrics (GAcc/RAcc, mAP/mARP, P/R/F1) and confusion matrices of one model."""
    med = config["medical"]
    device = configure(threads)
    model = load_model(model_path, arch, device)
    splits = load_splits(splits_path)
    k = len(splits.class_names)
    rows, matrices = evaluate_suite(model, splits.test.images, splits.test.labels, med["attacks"], k,
                                    med["eval_batch_size"])
    labels = {"architecture": arch, "method": METHOD_LABELS[method], "seed": seed}
    write_csv(out_metrics, pd.DataFrame([{**labels, **r} for r in rows]))
    tidy = [{**labels, "testset": name, "true": splits.class_names[i], "predicted": splits.class_names[j],
             "count": int(m[i, j])} for name, m in matrices.items() for i in range(k) for j in range(k)]
    write_csv(out_confusion, pd.DataFrame(tidy))


def medical_gradcam(config: dict[str, Any], arch: str, model_paths: dict[str, str], splits_path: str | Path,
                    out_png: str | Path, threads: int | None = None) -> None:
    """Fig. 4 analogue: Grad-CAM of each method's model on test images every one of them predicts correctly."""
    from ..artifacts import atomic_path

    med = config["medical"]
    device = configure(threads)
    splits = load_splits(splits_path)
    x, y = splits.test.images, splits.test.labels
    models = {METHOD_LABELS[m]: load_model(p, arch, device) for m, p in model_paths.items()}
    correct = torch.ones_like(y, dtype=torch.bool)
    for model in models.values():
        correct &= probabilities(model, x, med["eval_batch_size"]).argmax(1) == y
    chosen = pick_images(y, correct, med["gradcam"]["per_class"], len(splits.class_names))
    maps = {name: gradcam_maps(model, x[chosen], y[chosen]) for name, model in models.items()}
    fig = gradcam_figure(x[chosen], y[chosen], maps, splits.class_names,
                         f"Grad-CAM, {arch}: {int(correct.sum())} test images correct for all of {', '.join(models)}")
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
