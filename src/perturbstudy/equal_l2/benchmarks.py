"""Equal-L2 robustness test sets: the Gaussian benchmark ("MNIST-C(G)") and the FGSM benchmark ("MNIST-A").

Wang et al. (section 2.3) perturb every test image at 24 L2 levels (0.5..12.0). We store a
benchmark compactly as one direction per test image plus a scale per (image, level): the image at
level l is ``calibrate.apply_scale(x, d, t[:, l]) = clip(x + t d, 0, 1)`` (float64, cast to float32),
the same definition as the training sets'. The scales come from `calibrate.calibrated_levels`: the
closed form, every image verified after the float32 cast, a sample off by more than the tolerance
refined once and, failing that, treated as unreachable. So every image is within 1e-4 of its level in L2.

Directions come from the one direction builder (`equal_l2.directions`):

- Gaussian benchmark: d ~ N(0, I) (float32) from a seeded generator, independent of any model, built
  once per study. A sample that cannot reach every level with its noise gets fresh noise (same
  generator, so the result is reproducible); after `directions.MAX_REDRAWS` redraws the build fails
  with a clear error.
- FGSM benchmark: d = sign of the input gradient of the cross-entropy at the true label
  (`directions.fgsm_directions`), computed by the clean source model of the architecture in eval mode
  (one gradient per test image serves every level). The *scale* is calibrated to the exact L2 level,
  so this is neither the Linf FGSM step nor the L2-normalised FGM step of `perturbstudy.attacks`, but
  the sign direction at an exact L2 distance. A level a sample cannot reach along its sign direction
  (saturated pixels, or an all-zero gradient) is **excluded** for that sample: its scale is NaN,
  the evaluation reports accuracy over the remaining samples with their count ``n``, and the
  build summary lists the count per level.

White-box FGSM in the evaluation uses the very same `equal_l2_fgsm` on the evaluated model, so on
the source model it reproduces the FGSM benchmark exactly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..artifacts import load_tensors, save_tensors, sha256_tensors
from ..errors import DataError
from .calibrate import TOLERANCE, CalibrationError, apply_scale, calibrated_levels, perturbation_l2
from .directions import fgsm_directions, gaussian_directions, zero_gradient_fractions

FORMAT = "perturbstudy.benchmark/1"
KINDS = ("gaussian", "fgsm")


@dataclass
class EqualL2Set:
    """A test set perturbed at several exact L2 levels: direction per image, scale per (image, level)."""

    kind: str
    levels: torch.Tensor  # float64 [L]
    direction: torch.Tensor  # [N, C, H, W]; int8 signs (fgsm) or float32 noise (gaussian)
    scales: torch.Tensor  # float64 [N, L]; NaN = the sample is excluded at that level
    meta: dict[str, Any] = field(default_factory=dict)

    def reachable(self, level_index: int) -> torch.Tensor:
        """Indices of the samples that have an image at this level."""
        return torch.nonzero(~torch.isnan(self.scales[:, level_index])).flatten()

    def images(self, x: torch.Tensor, level_index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(indices, float32 images) of the reachable samples at one level (`calibrate.apply_scale`)."""
        rows = self.reachable(level_index)
        if rows.numel() == x.shape[0]:  # every sample reachable: no gathers
            return rows, apply_scale(x, self.direction, self.scales[:, level_index])
        return rows, apply_scale(x[rows], self.direction[rows], self.scales[rows, level_index])

    def excluded_counts(self) -> list[int]:
        """Number of excluded samples per level."""
        return torch.isnan(self.scales).sum(0).tolist()

    def sha256(self) -> str:
        """Content hash of the stored tensors."""
        return sha256_tensors(self.levels, self.direction, self.scales)


def as_levels(levels: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """Levels as a float64 tensor, checked: finite, positive, strictly increasing."""
    lv = torch.as_tensor(levels, dtype=torch.float64).reshape(-1)
    if lv.numel() == 0 or not torch.isfinite(lv).all() or (lv <= 0).any() or (lv.diff() <= 0).any():
        raise DataError(f"benchmark levels must be positive and strictly increasing, got {lv.tolist()}")
    return lv


def gaussian_benchmark(x: torch.Tensor, levels: Sequence[float] | torch.Tensor, seed: int,
                       progress: bool = False) -> EqualL2Set:
    """The Gaussian-noise benchmark: seeded N(0, I) directions, redrawn where a level is unreachable."""
    lv = as_levels(levels)
    t = torch.empty(x.shape[0], lv.numel(), dtype=torch.float64)

    def usable(rows: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Calibrate the drawn noise (scales kept in t); usable where every level is reached."""
        bar = progress and rows.numel() == x.shape[0]  # a progress bar for the first, full calibration only
        t[rows] = calibrated_levels(x[rows], noise, lv, progress=bar, desc="gaussian benchmark")
        return ~torch.isnan(t[rows]).any(1)

    d, resampled = gaussian_directions(x, seed, float(lv.max()), torch.float32, usable,
                                       hint="lower the largest benchmark level in benchmarks.levels.")
    return EqualL2Set("gaussian", lv, d, t, {"seed": int(seed), "resampled": resampled})


def equal_l2_fgsm(model: nn.Module, x: torch.Tensor, y: torch.Tensor, levels: Sequence[float] | torch.Tensor,
                  batch_size: int = 512, progress: bool = False) -> EqualL2Set:
    """FGSM sign directions of `model` scaled to exact L2 levels (benchmark and white-box FGSM alike)."""
    lv = as_levels(levels)
    d = fgsm_directions(model, x, y, batch_size)
    t = calibrated_levels(x, d, lv, progress=progress, desc="fgsm levels")
    return EqualL2Set("fgsm", lv, d, t, zero_gradient_fractions(d))


def save_benchmark(path: str | Path, bench: EqualL2Set, test_sha256: str, extra: dict[str, Any]) -> dict[str, Any]:
    """Write a benchmark atomically; return its summary (levels, exclusions, hashes) for the JSON record."""
    summary = {
        "kind": bench.kind,
        "levels": bench.levels.tolist(),
        "n": int(bench.scales.shape[0]),
        "excluded_per_level": bench.excluded_counts(),
        "test_sha256": test_sha256,
        "content_sha256": bench.sha256(),
        "tolerance": TOLERANCE,  # every stored image verified within it at build time
        **bench.meta,
        **extra,
    }
    save_tensors(path, {"format": FORMAT, "kind": bench.kind, "levels": bench.levels,
                        "direction": bench.direction, "scales": bench.scales, "test_sha256": test_sha256,
                        "content_sha256": summary["content_sha256"]})
    return summary


def load_benchmark(path: str | Path, test_sha256: str | None = None) -> EqualL2Set:
    """Read a benchmark, checking its format, content hash and (optionally) the test split it was built on."""
    payload = load_tensors(path)
    if payload.get("format") != FORMAT or payload.get("kind") not in KINDS:
        raise DataError(f"{path}: not a perturbstudy benchmark; re-run the benchmark rule that writes it.")
    bench = EqualL2Set(payload["kind"], payload["levels"], payload["direction"], payload["scales"])
    if bench.sha256() != payload["content_sha256"]:
        raise DataError(f"{path}: content hash mismatch (corrupted); delete it and re-run the benchmark rule.")
    if test_sha256 is not None and payload["test_sha256"] != test_sha256:
        raise DataError(f"{path}: built on a different test split than the current splits file; delete it and "
                        "re-run the benchmark rule.")
    return bench


def level_images(bench: EqualL2Set, x: torch.Tensor) -> Iterator[tuple[float, torch.Tensor, torch.Tensor]]:
    """(level, sample indices, images) for every level, materialised one level at a time."""
    x64 = x.to(torch.float64)  # converted once, not at every level (apply_scale's arithmetic is float64)
    for j, level in enumerate(bench.levels.tolist()):
        rows, images = bench.images(x64, j)
        yield level, rows, images


def check_exact(bench: EqualL2Set, x: torch.Tensor, tol: float = TOLERANCE) -> float:
    """Largest |L2 - level| over every stored image in float64 (raises if above tol): an independent audit."""
    worst = 0.0
    for level, _rows, images in level_images(bench, x):
        if images.shape[0] == 0:
            continue
        err = float((perturbation_l2(x[_rows], images) - level).abs().max())
        worst = max(worst, err)
    if worst > tol:
        raise CalibrationError(f"{bench.kind} benchmark: an image misses its L2 level by {worst:.2e} > {tol}")
    return worst
