"""Perturbed training sets of the study: builders for every series and their self-describing file format.

A series first gets a *directions* artifact per architecture: the base images that receive perturbed
copies (the same ones at every level), one direction per image (Gaussian noise as float16, FGSM signs
as int8, computed once) and the exact scale for every level of the series (closed form, float64).
Each training set is then a cheap slice of it, stored as a recipe that `materialize` turns back
into the exact images: kept base indices, per added sample its base index, direction and float64
scale, the labels, per-sample achieved L2, the set's factor levels and hashes of the base split
and of the materialized content.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from .artifacts import load_tensors, save_tensors, sha256_file, sha256_tensors, write_json
from .data import Pool, Splits
from .design import set_parameters
from .errors import DataError
from .perturb.calibrate import TOLERANCE, CalibrationError, apply_scale, calibrated, scales_for_levels
from .perturb.directions import fgsm_directions, gaussian_directions, require_reachable
from .perturb.imbalance import imbalanced_counts, majority_class, nested_keep
from .perturb.labels import corrupt_labels
from .perturb.series import IMAGE_FACTORS, SERIES, factor_levels, series_config
from .runtime import configure, derive_seed

DIRECTIONS_FORMAT = "perturbstudy.directions/1"
SET_FORMAT = "perturbstudy.trainset/1"


def _series_seed(config: dict[str, Any]) -> int:
    return int((config.get("series") or {}).get("seed", 0))


def recipe_sha256(payload: dict[str, Any]) -> str:
    """sha256 of a set's recipe: parameters, indices, directions, scales, labels (not the file bytes)."""
    head = repr(sorted((k, payload[k]) for k in ("arch", "series", "setid", "params", "base_sha256")))
    tensors = [payload["base_index"], payload["labels"], payload["true_labels"]]
    for comp in payload["components"]:
        head += f"|{comp['kind']}:{comp['level']!r}"
        tensors += [comp["index"], comp["direction"], comp["scale"], comp["achieved_l2"]]
    return sha256_tensors(torch.frombuffer(bytearray(head.encode()), dtype=torch.uint8), *tensors)


def _max_abs(t: torch.Tensor) -> float:
    return float(t.abs().max()) if t.numel() else 0.0


def image_factors(series: str) -> list[str]:
    """The perturbed-image components of a series (gaussian, fgsm, inverse_fgsm), in order."""
    return [f for f in SERIES[series] if f in IMAGE_FACTORS]


def added_base_indices(labels: torch.Tensor, num_classes: int, per_class: int, components: int,
                       seed: int) -> list[torch.Tensor]:
    """Base images of each component: per class a seeded order, component j takes positions j*k..(j+1)*k-1.

    Rows are grouped by class in that order, so a prefix per class is a nested subset. Positions wrap
    around (images repeat) only when a class has fewer than components * per_class images.
    """
    out: list[list[torch.Tensor]] = [[] for _ in range(components)]
    for c in range(num_classes):
        idx = torch.nonzero(labels == c).flatten()
        if idx.numel() == 0:
            raise DataError(f"class {c} has no training images to perturb")
        gen = torch.Generator().manual_seed(seed * 1019 + c)
        order = idx[torch.randperm(idx.numel(), generator=gen)]
        for j in range(components):
            out[j].append(order[torch.arange(j * per_class, (j + 1) * per_class) % idx.numel()])
    return [torch.cat(parts) for parts in out]


# --------------------------------------------------------------------------- directions


def build_directions(config: dict[str, Any], arch: str, series: str, splits: Splits,
                     source_model: torch.nn.Module | None = None, batch_size: int = 512) -> dict[str, Any]:
    """Directions and exact scales for every level of one series (one gradient per image)."""
    cfg = series_config(config)[series]
    factors = image_factors(series)
    train = splits.train
    k = int(cfg["per_class"])
    seed = _series_seed(config)
    indices = added_base_indices(train.labels, len(splits.class_names), k, len(factors),
                                 derive_seed("added", seed))  # shared by every series: paired comparisons
    components: dict[str, Any] = {}
    for factor, index in zip(factors, indices, strict=True):
        x, y = train.images[index], train.labels[index]
        levels = factor_levels(cfg, series, factor)
        reach = max(levels)
        resampled = 0
        if factor == "gaussian":
            d, resampled = gaussian_directions(x, derive_seed("gaussian", seed, series), reach)
        else:
            if source_model is None:
                raise DataError(f"series {series} needs the clean source model of {arch} for its FGSM directions")
            d = fgsm_directions(source_model, x, y, batch_size=batch_size, inverse=factor == "inverse_fgsm")
            require_reachable(x, d, reach, f"{arch}/{series} ({factor})", index)
        scales = scales_for_levels(x, d, levels)
        achieved = torch.empty_like(scales)
        x64, d64 = x.to(torch.float64), d.to(torch.float64)  # converted once for every level's check
        for j, level in enumerate(tqdm(levels, desc=f"{series} {factor} levels", leave=False)):
            scales[:, j], achieved[:, j] = calibrated(x64, d64, level, scales[:, j])
        components[factor] = {"index": index, "labels": y, "direction": d.cpu(), "levels": torch.tensor(levels,
                              dtype=torch.float64), "scales": scales, "achieved_l2": achieved,
                              "resampled": int(resampled)}
    return {"format": DIRECTIONS_FORMAT, "arch": arch, "series": series, "per_class": k,
            "base_sha256": splits.hashes()["train"], "components": components}


# --------------------------------------------------------------------------- sets


def _level_column(levels: torch.Tensor, level: float, where: str) -> int:
    hits = torch.nonzero((levels - level).abs() < 1e-12).flatten()
    if hits.numel() != 1:
        raise DataError(f"{where}: level {level} is not in the directions artifact (levels {levels.tolist()}); "
                        "re-run its directions rule.")
    return int(hits[0])


def build_set(config: dict[str, Any], arch: str, series: str, setid: str, splits: Splits,
              directions: dict[str, Any] | None = None) -> dict[str, Any]:
    """The stored recipe of one training set (see the module docstring)."""
    params = set_parameters(config, arch, series, setid)
    cfg = series_config(config)[series]
    factors = SERIES[series]
    train, num_classes = splits.train, len(splits.class_names)
    base_hash = splits.hashes()["train"]
    comps = image_factors(series)
    k = int(cfg.get("per_class", 0)) if comps else 0
    seed = _series_seed(config)
    added = dict.fromkeys(range(num_classes), k)
    if "imbalance" in factors:
        major = majority_class(train.labels, num_classes, cfg.get("majority_class"))
        base_counts, minor_added = imbalanced_counts(torch.bincount(train.labels, minlength=num_classes),
                                                     params["imbalance"], major, k, len(comps))
        keep = nested_keep(train.labels, base_counts, derive_seed("imbalance", seed, series))
        added = {c: (k if c == major else minor_added) for c in range(num_classes)}
    else:
        keep = torch.arange(len(train))
    components = []
    if comps:
        if directions is None or directions.get("format") != DIRECTIONS_FORMAT:
            raise DataError(f"{arch}/{series}: a directions artifact is needed; run its directions rule")
        if directions["base_sha256"] != base_hash:
            raise DataError(f"{arch}/{series}: the directions artifact was built from other splits; "
                            "re-run its directions rule.")
    for factor in comps:
        comp = directions["components"][factor]
        col = _level_column(comp["levels"], params[factor], f"{arch}/{series}/{setid}")
        rows = torch.cat([torch.nonzero(comp["labels"] == c).flatten()[:added[c]] for c in range(num_classes)])
        achieved = comp["achieved_l2"][rows, col]
        if _max_abs(achieved - params[factor]) > TOLERANCE:
            raise CalibrationError(f"{arch}/{series}/{setid}: stored samples miss L2 {params[factor]}")
        components.append({"kind": factor, "level": float(params[factor]), "index": comp["index"][rows],
                           "direction": comp["direction"][rows], "scale": comp["scales"][rows, col],
                           "achieved_l2": achieved})
    true_labels = torch.cat([train.labels[keep], *[train.labels[c["index"]] for c in components]])
    labels = true_labels
    if "label_error" in factors and params["label_error"] > 0:
        labels = corrupt_labels(true_labels, params["label_error"], num_classes,
                                derive_seed("label_error", seed, series))
    payload = {"format": SET_FORMAT, "arch": arch, "series": series, "setid": setid, "params": params,
               "base_sha256": base_hash, "num_classes": num_classes, "base_index": keep,
               "components": components, "labels": labels, "true_labels": true_labels}
    payload["content_sha256"] = sha256_tensors(_assemble(train, payload), labels)
    payload["sha256"] = recipe_sha256(payload)
    return payload


def _assemble(train: Pool, payload: dict[str, Any]) -> torch.Tensor:
    """The images of a set from its recipe: kept base images, then each component's perturbed copies."""
    parts = [train.images[payload["base_index"]]]
    for comp in payload["components"]:
        x = train.images[comp["index"]]
        parts.append(apply_scale(x, comp["direction"], comp["scale"]))
    return torch.cat(parts)


def materialize(path: str | Path, splits: Splits) -> Pool:
    """Rebuild the exact images and labels of a stored training set (checks the base split's hash)."""
    payload = load_tensors(path)
    if payload.get("format") != SET_FORMAT:
        raise DataError(f"{path}: not a perturbstudy training-set file; re-run its trainset rule.")
    if payload["base_sha256"] != splits.hashes()["train"]:
        raise DataError(f"{path}: built from a different training split (base sha256 {payload['base_sha256'][:12]}"
                        f" != {splits.hashes()['train'][:12]}); the dataset or its split changed. Delete the "
                        "training sets (results/<study>/trainsets) and re-run the workflow.")
    if recipe_sha256(payload) != payload.get("sha256"):
        raise DataError(f"{path}: the recipe does not match its sha256; the file is corrupted. Delete it and "
                        "re-run its trainset rule.")
    images = _assemble(splits.train, payload)
    if sha256_tensors(images, payload["labels"]) != payload["content_sha256"]:
        raise DataError(f"{path}: the rebuilt images differ from those the set was made with (content sha256 "
                        "mismatch); delete the file and re-run its trainset rule.")
    return Pool(images, payload["labels"])


def summarize_set(payload: dict[str, Any], path: str | Path) -> dict[str, Any]:
    """JSON summary of a stored set: sizes, class counts, achieved levels, hashes."""
    k = payload["num_classes"]
    wrong = payload["labels"] != payload["true_labels"]
    comps = [{"kind": c["kind"], "level": c["level"], "n": int(c["index"].numel()),
              "max_abs_l2_error": _max_abs(c["achieved_l2"] - c["level"]),
              "direction_dtype": str(c["direction"].dtype)} for c in payload["components"]]
    return {"arch": payload["arch"], "series": payload["series"], "setid": payload["setid"],
            "params": payload["params"], "size": int(payload["labels"].numel()),
            "base_kept": int(payload["base_index"].numel()),
            "label_counts": torch.bincount(payload["labels"], minlength=k).tolist(),
            "true_class_counts": torch.bincount(payload["true_labels"], minlength=k).tolist(),
            "label_error_rate": float(wrong.float().mean()) if wrong.numel() else 0.0,
            "components": comps, "base_sha256": payload["base_sha256"],
            "content_sha256": payload["content_sha256"], "sha256": payload["sha256"], "file_sha256": sha256_file(path),
            "file_bytes": Path(path).stat().st_size, "tolerance": TOLERANCE}


# --------------------------------------------------------------------------- rule entry points


def make_directions(config: dict[str, Any], arch: str, series: str, splits_path: str | Path,
                    out_path: str | Path, model_path: str | Path | None = None, threads: int | None = None) -> None:
    """Rule `trainset_directions`: directions and scales of one series for one architecture."""
    from .checkpoints import load_model
    from .pipeline import load_splits

    device = configure(threads)
    splits = load_splits(splits_path)
    model = load_model(model_path, arch).to(device) if model_path else None
    start = time.perf_counter()
    payload = build_directions(config, arch, series, splits, model)
    save_tensors(out_path, payload)
    for name, comp in payload["components"].items():
        err = (comp["achieved_l2"] - comp["levels"]).abs().max()
        print(f"{arch}/{series} {name}: {comp['index'].numel()} images x {comp['levels'].numel()} levels, "
              f"max |L2 error| {float(err):.2e}, noise resampled {comp['resampled']}", flush=True)
    print(f"done in {time.perf_counter() - start:.1f} s", flush=True)


def make_trainset(config: dict[str, Any], arch: str, series: str, setid: str, splits_path: str | Path,
                  out_set: str | Path, out_summary: str | Path, directions_path: str | Path | None = None) -> None:
    """Rule `trainset`: write one training set and its JSON summary."""
    from .pipeline import load_splits

    splits = load_splits(splits_path)
    directions = load_tensors(directions_path) if directions_path else None
    payload = build_set(config, arch, series, setid, splits, directions)
    save_tensors(out_set, payload)
    summary = summarize_set(payload, out_set)
    write_json(out_summary, summary)
    print(f"{arch}/{series}/{setid}: {summary['size']} samples, {summary['file_bytes']} bytes, "
          f"params {payload['params']}", flush=True)
