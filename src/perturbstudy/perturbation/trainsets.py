"""Perturbed training sets of the study: builders for every series and their self-describing file format.

A series first gets a *directions* artifact per architecture: the base images that receive perturbed
copies (the same ones at every level) and one direction per image (Gaussian noise as float16, FGSM
signs as int8, computed once). Each training set slices it and calibrates the exact scale of its own
level (closed form, float64), so adding a level builds one set. A set is stored as a recipe that
`materialize` turns back into the exact images: kept base indices, per added sample its base index,
direction and float64 scale, the labels, per-sample achieved L2, the set's factor levels and hashes of the base split
and of the materialized content.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..artifacts import load_tensors, sha256_file, sha256_tensors
from ..data import Pool, Splits
from ..equal_l2.calibrate import TOLERANCE, CalibrationError, apply_scale, calibrated
from ..equal_l2.directions import fgsm_directions, gaussian_directions, require_reachable
from ..errors import DataError
from ..runtime import derive_seed
from .grid import set_factors
from .imbalance import imbalanced_counts, majority_class, nested_keep
from .labels import corrupt_labels
from .series import SeriesSpec

DIRECTIONS_FORMAT = "perturbstudy.directions/1"
SET_FORMAT = "perturbstudy.trainset/1"


@dataclass(frozen=True)
class SeriesSettings:
    """What a series' builders read from its config: images added per class, seed, majority class."""

    per_class: int = 0
    seed: int = 0
    majority_class: int | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> SeriesSettings:
        """From a rule's params (keys absent for series that do not use them)."""
        major = params.get("majority_class")
        return cls(int(params.get("per_class") or 0), int(params.get("seed", 0)),
                   None if major is None else int(major))


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

# Bytes per pixel of one added image while a series is built: the float32 base copy, the float32 noise draw or
# gradient, the stored float16/int8 direction and float64 calibration buffers (two of them).
BYTES_PER_ADDED_PIXEL = 4 + 4 + 2 + 2 * 8


def added_bytes(spec: SeriesSpec, per_class: int, num_classes: int, pixels: int) -> int:
    """Memory a series' directions or one of its sets needs for its added images (for the check before allocating)."""
    return len(spec.image_factors) * per_class * num_classes * pixels * BYTES_PER_ADDED_PIXEL


def build_directions(spec: SeriesSpec, arch: str, splits: Splits, settings: SeriesSettings,
                     gaussian_reach: float = 0.0, source_model: torch.nn.Module | None = None,
                     batch_size: int = 512) -> dict[str, Any]:
    """The base images of every image factor of a series and one direction per image (one gradient each).

    Level-independent, so adding a level to a series rebuilds no other set: each set calibrates its own
    scale. Gaussian noise is redrawn for the samples that cannot reach `gaussian_reach` (the series'
    largest Gaussian level); FGSM directions are checked against each set's level when it is built.
    """
    factors = spec.image_factors
    train = splits.train
    indices = added_base_indices(train.labels, len(splits.class_names), settings.per_class, len(factors),
                                 derive_seed("added", settings.seed))  # shared by every series: paired comparisons
    components: dict[str, Any] = {}
    for factor, index in zip(factors, indices, strict=True):
        x, y = train.images[index], train.labels[index]
        resampled = 0
        if factor == "gaussian":
            d, resampled = gaussian_directions(x, derive_seed("gaussian", settings.seed, spec.name), gaussian_reach)
        else:
            if source_model is None:
                raise DataError(f"series {spec.name} needs the clean source model of {arch} for its FGSM directions")
            d = fgsm_directions(source_model, x, y, batch_size=batch_size, inverse=factor == "inverse_fgsm")
        components[factor] = {"index": index, "labels": y, "direction": d.cpu(), "resampled": int(resampled)}
    return {"format": DIRECTIONS_FORMAT, "arch": arch, "series": spec.name, "per_class": settings.per_class,
            "base_sha256": splits.hashes()["train"], "components": components}


# --------------------------------------------------------------------------- sets


def build_set(spec: SeriesSpec, arch: str, setid: str, levels: Mapping[str, float], splits: Splits,
              settings: SeriesSettings, directions: dict[str, Any] | None = None) -> dict[str, Any]:
    """The stored recipe of one training set at its factor `levels` (see the module docstring)."""
    params = set_factors(levels)  # every factor, 0 where the series does not vary it
    train, num_classes = splits.train, len(splits.class_names)
    base_hash = splits.hashes()["train"]
    comps = spec.image_factors
    k = settings.per_class if comps else 0
    added = dict.fromkeys(range(num_classes), k)
    if "imbalance" in spec.factors:
        major = majority_class(train.labels, num_classes, settings.majority_class)
        base_counts, minor_added = imbalanced_counts(torch.bincount(train.labels, minlength=num_classes),
                                                     params["imbalance"], major, k, len(comps))
        keep = nested_keep(train.labels, base_counts, derive_seed("imbalance", settings.seed, spec.name))
        added = {c: (k if c == major else minor_added) for c in range(num_classes)}
    else:
        keep = torch.arange(len(train))
    components = []
    if comps:
        if directions is None or directions.get("format") != DIRECTIONS_FORMAT:
            raise DataError(f"{arch}/{spec.name}: a directions artifact is needed; run its directions rule")
        if directions["base_sha256"] != base_hash:
            raise DataError(f"{arch}/{spec.name}: the directions artifact was built from other splits; "
                            "re-run its directions rule.")
    for factor in comps:
        comp = directions["components"][factor]
        level = params[factor]
        rows = torch.cat([torch.nonzero(comp["labels"] == c).flatten()[:added[c]] for c in range(num_classes)])
        index, direction = comp["index"][rows], comp["direction"][rows]
        x = train.images[index]
        if factor != "gaussian":
            require_reachable(x, direction, level, f"{arch}/{spec.name}/{setid} ({factor})", index)
        scale, achieved = calibrated(x, direction, level)
        if _max_abs(achieved - level) > TOLERANCE:
            raise CalibrationError(f"{arch}/{spec.name}/{setid}: stored samples miss L2 {level}")
        components.append({"kind": factor, "level": level, "index": index, "direction": direction,
                           "scale": scale, "achieved_l2": achieved})
    true_labels = torch.cat([train.labels[keep], *[train.labels[c["index"]] for c in components]])
    labels = true_labels
    if "label_error" in spec.factors and params["label_error"] > 0:
        labels = corrupt_labels(true_labels, params["label_error"], num_classes,
                                derive_seed("label_error", settings.seed, spec.name))
    payload = {"format": SET_FORMAT, "arch": arch, "series": spec.name, "setid": setid, "params": params,
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


def training_pool(splits: Splits, trainset_path: str | Path | None) -> Pool:
    """The training images of a model: the clean train split, or a stored perturbed set."""
    return splits.train if trainset_path is None else materialize(trainset_path, splits)

