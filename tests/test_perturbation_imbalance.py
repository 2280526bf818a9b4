"""Class imbalance: exact, nested per-class counts, with and without added samples."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from perturbstudy.errors import DataError
from perturbstudy.perturbation.imbalance import (
    imbalanced_counts,
    majority_class,
    measured_imbalance,
    minority_count,
    nested_keep,
)

torch.set_num_threads(1)


def _labels(counts):
    return torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))[torch.randperm(sum(counts))]


@settings(max_examples=40, deadline=None)
@given(counts=st.lists(st.integers(20, 60), min_size=2, max_size=10), ci=st.floats(0.0, 0.6))
def test_imbalance_counts_are_exact_and_nested(counts, ci):
    labels = _labels(counts)
    k = len(counts)
    major = majority_class(labels, k)
    assert counts[major] == max(counts) and major == counts.index(max(counts))
    base, _ = imbalanced_counts(torch.tensor(counts), ci, major)
    m = minority_count(ci, counts[major])
    assert m == round((1 - ci) * counts[major])
    if any(m > counts[c] for c in range(k) if c != major):
        with pytest.raises(DataError, match="class"):
            nested_keep(labels, base, seed=3)
        return
    keep = nested_keep(labels, base, seed=3)
    got = torch.bincount(labels[keep], minlength=k).tolist()
    assert got[major] == counts[major]
    assert all(got[c] == m for c in range(k) if c != major)
    # nested: a higher CI keeps a subset of a lower one
    higher, _ = imbalanced_counts(torch.tensor(counts), min(ci + 0.1, 0.95), major)
    assert set(nested_keep(labels, higher, seed=3).tolist()) <= set(keep.tolist())


def test_imbalance_with_added_samples_gives_exact_final_ci():
    counts = torch.tensor([50] * 10)
    base, added = imbalanced_counts(counts, 0.3, major=2, added_per_class=10, components=2)
    final = [base[c] + 2 * (10 if c == 2 else added) for c in range(10)]
    assert final[2] == 70 and all(f == round(0.7 * 70) for i, f in enumerate(final) if i != 2)


def test_measured_imbalance_is_one_minus_minor_over_major():
    # MNIST's own training set: 5,421 fives vs 6,742 ones gives CI of about 0.2 (DESIGN.md section 4).
    labels = torch.cat([torch.full((6742,), 1), torch.full((5421,), 5), torch.full((6000,), 0)])
    assert measured_imbalance(labels, 10) == 1.0  # classes absent from the set count as 0 images
    assert abs(measured_imbalance(labels, 6) - 1.0) < 1e-12
    three = torch.cat([torch.full((6742,), 0), torch.full((5421,), 1), torch.full((6000,), 2)])
    assert abs(measured_imbalance(three, 3) - (1 - 5421 / 6742)) < 1e-12
    assert measured_imbalance(torch.arange(10).repeat(5), 10) == 0.0
