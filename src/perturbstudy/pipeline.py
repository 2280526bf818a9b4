"""The study's steps as plain functions of paths and config; the rules' scripts call these.

Rules know paths; these functions know which science to call. Each writes its outputs
atomically, so an interrupted job leaves nothing that looks done.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from .artifacts import load_tensors, save_tensors, sha256_file, sha256_tensors, write_csv, write_json
from .checkpoints import load_model, save_model
from .checks import ensure_writable, verify_recorded_sha256
from .data import Pool, Splits, load_dataset, make_splits, select_classes
from .errors import DataError
from .models import build_model
from .runtime import configure, derive_seed
from .train import TrainSettings, train_model

SPLITS_FORMAT = "perturbstudy.splits/1"


# --------------------------------------------------------------------------- data


def build_splits(dataset_cfg: dict[str, Any], data_seed: int) -> Splits:
    """Load the configured dataset and draw the deterministic stratified splits."""
    extra = {"size": dataset_cfg["size"]} if dataset_cfg["name"] == "dermamnist" else {}
    raw = load_dataset(dataset_cfg["name"], dataset_cfg.get("root"), dataset_cfg.get("download", False), **extra)
    if dataset_cfg.get("classes") is not None:
        raw = select_classes(raw, dataset_cfg["classes"])
    return make_splits(raw, data_seed, dataset_cfg["val_fraction"], dataset_cfg["test_fraction"],
                       dataset_cfg.get("train_per_class"), dataset_cfg.get("test_per_class"),
                       dataset_cfg.get("pool_all", False), dataset_cfg.get("val_per_class"))


def prepare_data(config: dict[str, Any], out_splits: str | Path, out_summary: str | Path) -> None:
    """Write the splits (tensors) and a JSON summary with per-split counts and sha256."""
    splits = build_splits(config["dataset"], config.get("data_seed", 0))
    payload: dict[str, Any] = {"format": SPLITS_FORMAT, "class_names": list(splits.class_names)}
    for name, pool in splits.items():
        payload[f"{name}_images"] = pool.images
        payload[f"{name}_labels"] = pool.labels
    save_tensors(out_splits, payload)
    summary = {
        "dataset": config["dataset"]["name"],
        "class_names": list(splits.class_names),
        "shape": list(splits.train.images.shape[1:]),
        "counts": {name: torch.bincount(p.labels, minlength=len(splits.class_names)).tolist()
                   for name, p in splits.items()},
        "sha256": splits.hashes(),
        "file_sha256": sha256_file(out_splits),
    }
    write_json(out_summary, summary)


def load_splits(path: str | Path) -> Splits:
    """Read splits written by `prepare_data`, checked against the sha256 its `splits.json` recorded."""
    payload = load_tensors(path)
    if payload.get("format") != SPLITS_FORMAT:
        raise DataError(f"{path}: not a perturbstudy splits file; re-run the prepare_data rule.")
    pools = {name: Pool(payload[f"{name}_images"], payload[f"{name}_labels"]) for name in ("train", "val", "test")}
    splits = Splits(pools["train"], pools["val"], pools["test"], tuple(payload["class_names"]))
    verify_recorded_sha256(path, splits.hashes())
    return splits


# --------------------------------------------------------------------------- training


def training_pool(splits: Splits, trainset_path: str | Path | None) -> Pool:
    """The training images of a set: the clean train split, or a stored perturbed set."""
    if trainset_path is None:
        return splits.train
    from .trainsets import materialize  # the perturbed-set format lives with its builders

    return materialize(trainset_path, splits)


def train(config: dict[str, Any], arch: str, seed: int, splits_path: str | Path,
          out_model: str | Path, out_history: str | Path, trainset_path: str | Path | None = None,
          threads: int | None = None, resume_path: str | Path | None = None, tag: str = "") -> None:
    """Train one model of `arch` on a training set with the architecture's fixed settings."""
    ensure_writable(out_model, out_history)  # before hours of training, not after
    device = configure(threads)
    splits = load_splits(splits_path)
    pool = training_pool(splits, trainset_path)
    arch_cfg = config["architectures"][arch]
    settings = TrainSettings.from_dict(arch_cfg["train"])
    model_kwargs = dict(arch_cfg.get("model") or {})
    torch.manual_seed(derive_seed("init", arch, seed))
    c, h = pool.images.shape[1], pool.images.shape[2]
    model = build_model(arch, c, len(splits.class_names), h, **model_kwargs)
    start = time.perf_counter()
    result = train_model(model, pool, splits.val, settings, seed=derive_seed("shuffle", arch, seed),
                         device=device, resume_path=resume_path, desc=f"{arch} {tag} seed{seed}".strip())
    model.load_state_dict(result.state_dict)
    print(f"{arch} {tag} seed {seed}: {result.epochs_run} epochs, best epoch {result.best_epoch}, "
          f"val acc {result.best_val_acc:.4f}, {time.perf_counter() - start:.1f} s", flush=True)
    write_csv(out_history, pd.DataFrame(result.history))
    save_model(out_model, model.cpu(), arch, c, len(splits.class_names), h, model_kwargs,
               extra={"best_epoch": result.best_epoch, "epochs_run": result.epochs_run,
                      "best_val_acc": result.best_val_acc, "seed": seed,
                      "train_size": len(pool)})
    if resume_path is not None and Path(resume_path).exists():
        Path(resume_path).unlink()


# --------------------------------------------------------------------------- benchmarks, evaluation


def _benchmark_settings(config: dict[str, Any]) -> dict[str, Any]:
    bench = config.get("benchmarks") or {}
    return {"levels": bench.get("levels", [0.5 * k for k in range(1, 25)]),
            "gaussian_seed": int(bench.get("gaussian_seed", 0)), "batch_size": int(bench.get("batch_size", 500))}


def build_gaussian_benchmark(config: dict[str, Any], splits_path: str | Path, out_bench: str | Path,
                             out_summary: str | Path, threads: int | None = None) -> None:
    """The Gaussian-noise benchmark of the test split (model-independent), with a JSON summary."""
    from .benchmarks import gaussian_benchmark, save_benchmark

    configure(threads)
    cfg, test = _benchmark_settings(config), load_splits(splits_path).test
    start = time.perf_counter()
    bench = gaussian_benchmark(test.images, cfg["levels"], cfg["gaussian_seed"], progress=True)
    print(f"Gaussian benchmark built in {time.perf_counter() - start:.1f} s", flush=True)  # times: log only
    summary = save_benchmark(out_bench, bench, sha256_tensors(test.images, test.labels), {})
    write_json(out_summary, {**summary, "file_sha256": sha256_file(out_bench)})


def build_fgsm_benchmark(config: dict[str, Any], arch: str, source_model: str | Path, splits_path: str | Path,
                         out_bench: str | Path, out_summary: str | Path, threads: int | None = None) -> None:
    """The equal-L2 FGSM benchmark of the test split against the architecture's clean source model."""
    from .benchmarks import equal_l2_fgsm, save_benchmark

    device = configure(threads)
    cfg, test = _benchmark_settings(config), load_splits(splits_path).test
    model = load_model(source_model, arch, device)
    start = time.perf_counter()
    bench = equal_l2_fgsm(model, test.images, test.labels, cfg["levels"], cfg["batch_size"], progress=True)
    print(f"FGSM benchmark {arch} built in {time.perf_counter() - start:.1f} s", flush=True)
    excluded = bench.excluded_counts()
    if any(excluded):
        print(f"FGSM benchmark {arch}: samples excluded per level (unreachable along the sign direction): "
              f"{excluded}", flush=True)
    summary = save_benchmark(out_bench, bench, sha256_tensors(test.images, test.labels),
                             {"architecture": arch, "source_model": str(source_model),
                              "source_model_sha256": sha256_file(source_model)})
    write_json(out_summary, {**summary, "file_sha256": sha256_file(out_bench)})


def evaluate(config: dict[str, Any], arch: str, series: str, setid: str, seed: int, model_path: str | Path,
             splits_path: str | Path, gaussian_path: str | Path, fgsm_path: str | Path, out_csv: str | Path,
             out_flags: str | Path, trainset_path: str | Path | None = None, threads: int | None = None) -> None:
    """Every accuracy of one model (train, clean test, both benchmarks, white-box) and its sanity flags."""
    from .benchmarks import load_benchmark
    from .design import set_parameters
    from .evaluation import EvalSettings, evaluate_model, sanity_flags

    device = configure(threads)
    settings = EvalSettings.from_config(config)
    factors = set_parameters(config, arch, series, setid)
    splits = load_splits(splits_path)
    test_hash = sha256_tensors(splits.test.images, splits.test.labels)
    gaussian, fgsm = load_benchmark(gaussian_path, test_hash), load_benchmark(fgsm_path, test_hash)
    model = load_model(model_path, arch, device)
    train_pool = training_pool(splits, trainset_path)
    start = time.perf_counter()
    frame, grad_stats = evaluate_model(model, train_pool, splits.test, gaussian, fgsm, settings, progress=True)
    labels = {"model": f"{arch}/{series}/{setid}/seed{seed}", "architecture": arch, "series": series,
              "set": setid, "seed": int(seed)}
    frame = pd.concat([pd.DataFrame([labels] * len(frame)), frame], axis=1)
    for factor, value in factors.items():
        frame[factor] = value
    flags = sanity_flags(frame, grad_stats, series == "clean", settings)
    flags.update(labels)
    print(f"{labels['model']}: evaluated in {time.perf_counter() - start:.1f} s; "
          f"{len(flags['warnings'])} sanity warning(s)", flush=True)
    for warning in flags["warnings"]:
        print(f"WARNING: {warning}", flush=True)
    write_csv(out_csv, frame)
    write_json(out_flags, flags)


def summarize_json(path: str | Path) -> dict[str, Any]:
    """Read a JSON artifact."""
    return json.loads(Path(path).read_text())
