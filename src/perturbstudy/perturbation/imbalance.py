"""Class imbalance CI = 1 - n_minor / n_major with exact counts and nested subsets across levels."""

from __future__ import annotations

import torch

from ..errors import DataError


def majority_class(labels: torch.Tensor, num_classes: int, fixed: int | None = None) -> int:
    """The configured majority class, or the largest class (lowest index on ties)."""
    if fixed is not None:
        if not 0 <= fixed < num_classes:
            raise DataError(f"majority_class {fixed} is not a class index (0..{num_classes - 1})")
        return int(fixed)
    return int(torch.argmax(torch.bincount(labels, minlength=num_classes)))


def measured_imbalance(labels: torch.Tensor, num_classes: int) -> float:
    """CI = 1 - n_minor / n_major of a labelled set as it is (MNIST's own training set: about 0.2)."""
    counts = torch.bincount(labels, minlength=num_classes)
    if int(counts.max()) == 0:
        raise DataError("class imbalance of an empty training set is undefined")
    return 1.0 - int(counts.min()) / int(counts.max())


def minority_count(ci: float, n_major: int) -> int:
    """Count of every non-majority class at imbalance CI: round((1 - CI) n_major)."""
    if not 0.0 <= ci < 1.0:
        raise DataError(f"class imbalance CI must lie in [0, 1), got {ci}")
    return int(round((1.0 - ci) * n_major))


def nested_keep(labels: torch.Tensor, counts: dict[int, int], seed: int) -> torch.Tensor:
    """Sorted indices keeping counts[c] samples of each class c, a prefix of a fixed per-class order.

    The order depends only on `seed` and the class, so a smaller count keeps a subset of a larger one.
    """
    keep = []
    for c, m in sorted(counts.items()):
        idx = torch.nonzero(labels == c).flatten()
        if m > idx.numel():
            raise DataError(
                f"class {c} has {idx.numel()} training images but the imbalance level needs {m}; lower the "
                "level, give the majority class fewer images (dataset.train_per_class) or pick another "
                "majority_class.")
        gen = torch.Generator().manual_seed(int(seed) * 1009 + c)
        keep.append(idx[torch.randperm(idx.numel(), generator=gen)[:m]])
    return torch.sort(torch.cat(keep)).values if keep else torch.empty(0, dtype=torch.int64)


def imbalanced_counts(base_counts: torch.Tensor, ci: float, major: int, added_per_class: int = 0,
                      components: int = 0) -> tuple[dict[int, int], int]:
    """Base images to keep per class and added samples per component, so the final set has imbalance CI.

    The majority class keeps its base images and `added_per_class` samples of each component; every other
    class gets round((1-CI) N_major) samples in total (N_major = the majority's final count), of which
    round((1-CI) added_per_class) per component are added samples.
    """
    n_major = int(base_counts[major]) + components * added_per_class
    total = minority_count(ci, n_major)
    added = int(round((1.0 - ci) * added_per_class))
    base = {c: (int(base_counts[c]) if c == major else total - components * added) for c in range(len(base_counts))}
    if total < 1 or min(base.values()) < 0:
        short, result = ((f"{total} samples per class", "those classes would be empty") if total < 1 else
                         (f"{total} samples per class, fewer than its {components * added} added ones",
                          "no base image would be left"))
        raise DataError(
            f"class imbalance CI={ci:g} leaves round((1-CI) x {n_major}) = {short} for every class but the majority "
            f"class {major}: {result}. Lower the level below {1 - 0.5 / n_major:.4g} (1 - 0.5/n_major) or give "
            "the training split more images per class (dataset.train_per_class), then rerun.")
    return base, added
