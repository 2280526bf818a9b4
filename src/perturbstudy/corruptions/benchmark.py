"""Corruption benchmarks: every (corruption, severity) image set of a clean test split, seeded, hashed, stored.

Stored like the equal-L2 benchmarks (`perturbstudy.equal_l2.benchmarks`): one file written atomically with a format
tag, the sha256 of the test split it was built on and a content hash, both checked on load; the build summary (for
the JSON record next to it) lists suite, corruptions, severities, seed and hashes. Unlike an equal-L2 set a
corruption is not a direction and a scale, so the corrupted images themselves are stored, as uint8 (x * 255,
rounded) - the format of the suites' published datasets (MNIST-C's and MedMNIST-C's files are uint8 images).

Each (corruption, severity) cell has its own generator, seeded with ``derive_seed("corruption", seed, suite,
dataset, corruption, severity)``: a cell's images do not depend on which other corruptions or severities are built,
and the same seed gives the same bytes. So a benchmark may hold any subset of cells, and a workflow can build and
evaluate one file per corruption: at 224x224 the whole suite is large (DermaMNIST-C on 897 test images: 15
corruptions x 5 severities x 897 x 150 KB = 10 GB as uint8; one corruption 670 MB).

Suites: ``mnistc`` (Mu & Gilmer's MNIST-C, `corruptions.mnistc`, grey digits) and ``medmnistc`` (MedMNIST-C of a
MedMNIST 2D dataset, `corruptions.medmnistc`, 224x224 images, optional package).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from ..artifacts import load_tensors, save_tensors, sha256_tensors
from ..errors import ConfigError, DataError
from ..runtime import derive_seed
from .mnistc import MNISTC_FAMILIES, SEVERITIES, apply_mnistc, mnistc_corruptions

FORMAT = "perturbstudy.corruption_benchmark/1"
SUITES = ("mnistc", "medmnistc")


def _check_suite(suite: str, dataset: str | None) -> None:
    if suite not in SUITES:
        raise ConfigError(f"unknown corruption suite {suite!r}; choose from {list(SUITES)}")
    if suite == "medmnistc" and not dataset:
        raise ConfigError("the medmnistc suite needs the MedMNIST dataset whose corruptions to use (e.g. dermamnist)")


def suite_corruptions(suite: str, dataset: str | None = None) -> tuple[str, ...]:
    """Every corruption of a suite: MNIST-C's eleven, or MedMNIST-C's of `dataset`."""
    _check_suite(suite, dataset)
    if suite == "mnistc":
        return mnistc_corruptions()
    from .medmnistc import medmnistc_corruptions

    return medmnistc_corruptions(dataset)


def suite_families(suite: str, dataset: str | None = None) -> dict[str, tuple[str, ...]]:
    """Corruption families (figure panels) of a suite's corruptions: MNIST-C's noise/blur/geometric/weather, or
    MedMNIST-C's own groups (digital, noise, blur, color, task-specific), each kept to the dataset's corruptions."""
    names = suite_corruptions(suite, dataset)
    if suite == "mnistc":
        groups: dict[str, Sequence[str]] = MNISTC_FAMILIES
    else:
        from medmnistc.corruptions.registry import CORRUPTIONS_DS_FOLDS

        groups = CORRUPTIONS_DS_FOLDS
    families = {family: tuple(n for n in members if n in names) for family, members in groups.items()}
    return {family: members for family, members in families.items() if members}


def corrupt(images: torch.Tensor, suite: str, corruption: str, severity: int, generator: torch.Generator,
            dataset: str | None = None) -> torch.Tensor:
    """One corruption of a suite at one severity: images [N, C, H, W] in [0, 1] -> float32 images in [0, 1]."""
    _check_suite(suite, dataset)
    if suite == "mnistc":
        return apply_mnistc(images, corruption, severity, generator)
    from .medmnistc import apply_medmnistc

    return apply_medmnistc(images, dataset, corruption, severity, generator)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """[0, 1] floats -> uint8 (x * 255, rounded): the stored form of a corrupted image."""
    return (images.detach().cpu().clamp(0, 1) * 255).round().to(torch.uint8)


def cell_seed(seed: int, suite: str, dataset: str | None, corruption: str, severity: int) -> int:
    """The seed of one (corruption, severity) cell, independent of the other cells built."""
    return derive_seed("corruption", int(seed), suite, dataset or "", corruption, int(severity))


@dataclass
class CorruptionBenchmark:
    """Corrupted copies of one test split: uint8 images [N, C, H, W] per (corruption, severity)."""

    suite: str
    dataset: str | None
    seed: int
    images: dict[tuple[str, int], torch.Tensor]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def corruptions(self) -> tuple[str, ...]:
        """The corruptions, in build order."""
        return tuple(dict.fromkeys(c for c, _ in self.images))

    @property
    def severities(self) -> tuple[int, ...]:
        """The severities, ascending."""
        return tuple(sorted({s for _, s in self.images}))

    def cell(self, corruption: str, severity: int) -> torch.Tensor:
        """The images of one (corruption, severity) as float32 in [0, 1]."""
        if (corruption, severity) not in self.images:
            raise DataError(f"the {self.suite} benchmark has no ({corruption!r}, severity {severity}); it holds "
                            f"{list(self.corruptions)} at severities {list(self.severities)}")
        return self.images[(corruption, severity)].to(torch.float32) / 255.0

    def sha256(self) -> str:
        """Content hash: the cell names in order and the bytes, dtypes and shapes of their images."""
        keys = list(self.images)
        digest = hashlib.sha256(json.dumps([[c, s] for c, s in keys]).encode())
        digest.update(sha256_tensors(*(self.images[k] for k in keys)).encode() if keys else b"")
        return digest.hexdigest()


def build_corruption_benchmark(images: torch.Tensor, suite: str, corruptions: Sequence[str] | None = None,
                               severities: Sequence[int] = SEVERITIES, seed: int = 0, dataset: str | None = None,
                               progress: bool = False) -> CorruptionBenchmark:
    """Corrupt clean test images with every (corruption, severity) of a suite (all its corruptions by default)."""
    names = tuple(corruptions) if corruptions is not None else suite_corruptions(suite, dataset)
    known = suite_corruptions(suite, dataset)
    unknown = [c for c in names if c not in known]
    if unknown or not names:
        raise ConfigError(f"{suite} corruptions {unknown or '[]'}: choose one or more of {list(known)}")
    levels = tuple(int(s) for s in severities)
    if not levels or any(s not in SEVERITIES for s in levels) or len(set(levels)) != len(levels):
        raise ConfigError(f"corruption severities {list(severities)}: distinct values of {list(SEVERITIES)} expected")
    if len(set(names)) != len(names):
        raise ConfigError(f"{suite} corruptions {list(names)}: a corruption is listed twice")
    cells: dict[tuple[str, int], torch.Tensor] = {}
    bar = tqdm(total=len(names) * len(levels), desc=f"{suite} benchmark", file=sys.stderr, disable=not progress,
               mininterval=5.0, ncols=100)
    for corruption in names:
        for severity in sorted(levels):
            generator = torch.Generator().manual_seed(cell_seed(seed, suite, dataset, corruption, severity))
            cells[(corruption, severity)] = to_uint8(corrupt(images, suite, corruption, severity, generator, dataset))
            bar.update(1)
    bar.close()
    return CorruptionBenchmark(suite, dataset, int(seed), cells)


def save_corruption_benchmark(path: str | Path, bench: CorruptionBenchmark, test_sha256: str,
                              extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write a benchmark atomically; return its summary (suite, cells, seed, hashes) for the JSON record."""
    content = bench.sha256()
    first = next(iter(bench.images.values()))
    summary = {
        "suite": bench.suite,
        "dataset": bench.dataset,
        "corruptions": list(bench.corruptions),
        "severities": list(bench.severities),
        "seed": bench.seed,
        "n": int(first.shape[0]),
        "shape": list(first.shape[1:]),
        "test_sha256": test_sha256,
        "content_sha256": content,
        **bench.meta,
        **(extra or {}),
    }
    save_tensors(path, {
        "format": FORMAT, "suite": bench.suite, "dataset": bench.dataset or "", "seed": bench.seed,
        "cells": [f"{c}/{s}" for c, s in bench.images], "images": list(bench.images.values()),
        "test_sha256": test_sha256, "content_sha256": content,
    })
    return summary


def load_corruption_benchmark(path: str | Path, test_sha256: str | None = None) -> CorruptionBenchmark:
    """Read a benchmark, checking its format, content hash and (optionally) the test split it was built on."""
    payload = load_tensors(path)
    if payload.get("format") != FORMAT:
        raise DataError(f"{path}: not a perturbstudy corruption benchmark; re-run the rule that writes it.")
    cells = {(name.rsplit("/", 1)[0], int(name.rsplit("/", 1)[1])): images
             for name, images in zip(payload["cells"], payload["images"], strict=True)}
    bench = CorruptionBenchmark(payload["suite"], payload["dataset"] or None, int(payload["seed"]), cells)
    if bench.sha256() != payload["content_sha256"]:
        raise DataError(f"{path}: content hash mismatch (corrupted); delete it and re-run the benchmark rule.")
    if test_sha256 is not None and payload["test_sha256"] != test_sha256:
        raise DataError(f"{path}: built on a different test split than the current splits file; delete it and "
                        "re-run the benchmark rule.")
    return bench
