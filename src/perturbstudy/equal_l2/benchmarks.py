"""Equal-L2 robustness test sets: the Gaussian benchmark ("MNIST-C(G)") and the FGSM benchmark ("MNIST-A").

Wang et al. (section 2.3) perturb every test image at 24 L2 levels (0.5..12.0). We store a
benchmark compactly as one direction per test image plus a scale per (image, level): the image at
level l is ``materialize(x, d, t[:, l]) = clip(x + t d, 0, 1)`` in float32. The scales come from the
Trainsets calibration (`perturb.calibrate.scales_for_levels`, closed form in float64; no second
calibration here); at build time every stored image is then *verified* in the exact float32
arithmetic the evaluation uses, and a sample off by more than the tolerance is re-calibrated with
`calibrate.calibrated` (one refinement step) or, failing that, treated as unreachable. So every
image is within 1e-4 of its level in L2.

- Gaussian benchmark: d ~ N(0, I) from a seeded generator, independent of any model, built once
  per study. A sample that cannot reach a level with its noise gets fresh noise (same generator,
  so the result is reproducible); after `MAX_RESAMPLES` tries the build fails with a clear error.
- FGSM benchmark: d = sign of the input gradient of the cross-entropy at the true label,
  computed by the clean source model of the architecture in eval mode (one gradient per test
  image serves every level). The *scale* is calibrated to the exact L2 level, so this is neither
  the Linf FGSM step nor the L2-normalised FGM step of `perturbstudy.attacks`, but the sign
  direction at an exact L2 distance. A level a sample cannot reach along its sign direction
  (saturated pixels, or an all-zero gradient) is **excluded** for that sample: its scale is NaN,
  the evaluation reports accuracy over the remaining samples with their count ``n``, and the
  build summary lists the count per level.

White-box FGSM in the evaluation uses the very same `equal_l2_fgsm` on the evaluated model, so on
the source model it reproduces the FGSM benchmark exactly.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm import tqdm

from ..artifacts import load_tensors, save_tensors, sha256_tensors
from ..attacks import input_gradient
from ..errors import DataError
from .calibrate import TOLERANCE, CalibrationError, calibrated, perturbation_l2, scales_for_levels

FORMAT = "perturbstudy.benchmark/1"
KINDS = ("gaussian", "fgsm")
MAX_RESAMPLES = 20
FLOAT32_MARGIN = 1e-5


@dataclass
class EqualL2Set:
    """A test set perturbed at several exact L2 levels: direction per image, scale per (image, level)."""

    kind: str
    levels: torch.Tensor  # float64 [L]
    direction: torch.Tensor  # [N, C, H, W]; int8 signs (fgsm) or float32 noise (gaussian)
    scales: torch.Tensor  # float64 [N, L]; NaN = the sample is excluded at that level
    meta: dict[str, Any] = field(default_factory=dict)
    _d32: torch.Tensor | None = field(default=None, repr=False, compare=False)

    def reachable(self, level_index: int) -> torch.Tensor:
        """Indices of the samples that have an image at this level."""
        return torch.nonzero(~torch.isnan(self.scales[:, level_index])).flatten()

    def images(self, x: torch.Tensor, level_index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(indices, float32 images) of the reachable samples at one level."""
        rows = self.reachable(level_index)
        d = self._direction32()
        if rows.numel() == x.shape[0]:  # every sample reachable: no gathers
            return rows, materialize(x, d, self.scales[:, level_index])
        return rows, materialize(x[rows], d[rows], self.scales[rows, level_index])

    def _direction32(self) -> torch.Tensor:
        """The direction as float32, converted once (int8 signs are stored)."""
        if self._d32 is None or self._d32.shape != self.direction.shape:
            self._d32 = self.direction.to(torch.float32)
        return self._d32

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


def materialize(x: torch.Tensor, d: torch.Tensor, t: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """The benchmark image clip(x + t d, 0, 1), computed in float32 (the one definition used everywhere).

    `out` (float32, x's shape) receives the images instead of a new tensor (loops over levels reuse it).
    """
    t32 = t.to(torch.float32).reshape(-1, *([1] * (x.ndim - 1)))
    return torch.addcmul(x.to(torch.float32), d.to(torch.float32), t32, out=out).clamp_(0.0, 1.0)


def _l2_errors(x: torch.Tensor, d: torch.Tensor, t: torch.Tensor, level: float) -> torch.Tensor:
    """|L2(materialised image) - level| per sample (float64; NaN where t is NaN)."""
    images = materialize(x, d, torch.nan_to_num(t, nan=0.0))
    err = (perturbation_l2(x, images) - level).abs()
    return torch.where(torch.isnan(t), torch.nan, err)


def _refine(x: torch.Tensor, d: torch.Tensor, level: float, t: torch.Tensor) -> torch.Tensor:
    """Re-calibrate samples that miss their level (calibrate.calibrated); NaN where they still miss."""
    out = torch.full_like(t, torch.nan, dtype=torch.float64)
    for r in torch.nonzero(~torch.isnan(t)).flatten().tolist():  # rare path: a few samples at most
        try:
            out[r] = calibrated(x[r:r + 1], d[r:r + 1], level, t[r:r + 1])[0][0]
        except CalibrationError:
            continue
    out[_l2_errors(x, d, out, level) > TOLERANCE] = torch.nan
    return out


def calibrate_levels(x: torch.Tensor, d: torch.Tensor, levels: torch.Tensor,
                     progress: bool = False, desc: str = "calibrate") -> torch.Tensor:
    """Scales [N, L] float64 putting every sample within 1e-4 of every level; NaN where it cannot.

    The check runs in float32 with a margin (`FLOAT32_MARGIN`, far above float32's pairwise-sum
    error of a 784-pixel norm, ~4e-6 at L2 12); a sample inside the margin is re-checked in float64.
    """
    t = scales_for_levels(x, d, levels)
    x32, d32 = x.to(torch.float32), d.to(torch.float32)
    displacement = torch.empty_like(x32)  # reused for every level: no allocation per level
    bar = tqdm(range(levels.numel()), desc=desc, file=sys.stderr, disable=not progress, mininterval=5.0, ncols=100)
    for j in bar:
        level = float(levels[j])
        materialize(x32, d32, torch.nan_to_num(t[:, j], nan=0.0), out=displacement).sub_(x32)
        err32 = (displacement.flatten(1).norm(dim=1) - level).abs()
        suspect = torch.nonzero((err32 > TOLERANCE - FLOAT32_MARGIN) & ~torch.isnan(t[:, j])).flatten()
        if suspect.numel():
            off = suspect[_l2_errors(x32[suspect], d32[suspect], t[suspect, j], level) > TOLERANCE]
            if off.numel():
                t[off, j] = _refine(x[off], d[off], level, t[off, j])
    return t


def gaussian_benchmark(x: torch.Tensor, levels: Sequence[float] | torch.Tensor, seed: int,
                       progress: bool = False) -> EqualL2Set:
    """The Gaussian-noise benchmark: seeded N(0, I) directions, resampled where a level is unreachable."""
    lv = as_levels(levels)
    gen = torch.Generator().manual_seed(int(seed))
    d = torch.randn(x.shape, generator=gen, dtype=torch.float32)
    t = calibrate_levels(x, d, lv, progress, "gaussian benchmark")
    resampled = 0
    for _ in range(MAX_RESAMPLES):
        bad = torch.nonzero(torch.isnan(t).any(1)).flatten()
        if bad.numel() == 0:
            break
        resampled += bad.numel()
        d[bad] = torch.randn((bad.numel(), *x.shape[1:]), generator=gen, dtype=torch.float32)
        t[bad] = calibrate_levels(x[bad], d[bad], lv)
    bad = torch.nonzero(torch.isnan(t).any(1)).flatten()
    if bad.numel():
        raise CalibrationError(f"Gaussian benchmark: {bad.numel()} test images cannot reach L2 {float(lv.max())} "
                               f"even after {MAX_RESAMPLES} noise draws (indices {bad[:10].tolist()}); lower the "
                               "largest benchmark level in benchmarks.levels.")
    return EqualL2Set("gaussian", lv, d, t, {"seed": int(seed), "resampled": resampled})


def fgsm_direction(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512
                   ) -> tuple[torch.Tensor, dict[str, float]]:
    """Sign of the input gradient (int8), and gradient statistics (zero fractions) for sanity checks."""
    grad = input_gradient(model, x, y, batch_size)
    flat = grad.flatten(1)
    stats = {"zero_gradient_samples": float((flat == 0).all(1).float().mean()),
             "zero_gradient_entries": float((flat == 0).float().mean())}
    return grad.sign().to(torch.int8), stats


def equal_l2_fgsm(model: nn.Module, x: torch.Tensor, y: torch.Tensor, levels: Sequence[float] | torch.Tensor,
                  batch_size: int = 512, progress: bool = False) -> EqualL2Set:
    """FGSM sign directions of `model` scaled to exact L2 levels (benchmark and white-box FGSM alike)."""
    lv = as_levels(levels)
    d, stats = fgsm_direction(model, x, y, batch_size)
    t = calibrate_levels(x, d, lv, progress, "fgsm levels")
    return EqualL2Set("fgsm", lv, d, t, stats)


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
    for j, level in enumerate(bench.levels.tolist()):
        rows, images = bench.images(x, j)
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
