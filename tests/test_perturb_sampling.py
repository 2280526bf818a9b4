"""Class imbalance, label errors and the L25 orthogonal array: exact counts and design properties."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from perturbstudy.errors import DataError
from perturbstudy.perturbation.imbalance import imbalanced_counts, majority_class, minority_count, nested_keep
from perturbstudy.perturbation.labels import corrupt_labels, error_flow
from perturbstudy.perturbation.orthogonal import check_orthogonal, l25

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


@settings(max_examples=40, deadline=None)
@given(counts=st.lists(st.integers(10, 80), min_size=3, max_size=10), rate=st.floats(0.0, 0.5), seed=st.integers(0, 99))
def test_label_errors_exact_per_class_and_counts_kept(counts, rate, seed):
    labels = _labels(counts)
    k = len(counts)
    wrong = [round(rate * n) for n in counts]
    if 2 * max(wrong) > sum(wrong) > 0:
        with pytest.raises(DataError):
            corrupt_labels(labels, rate, k, seed)
        return
    new = corrupt_labels(labels, rate, k, seed)
    assert torch.equal(torch.bincount(new, minlength=k), torch.bincount(labels, minlength=k))
    for c in range(k):
        assert int(((labels == c) & (new != c)).sum()) == wrong[c]
    assert float((new != labels).float().mean()) == pytest.approx(sum(wrong) / sum(counts))


def test_label_flow_is_even_for_equal_classes():
    flow = error_flow([18] * 10)
    assert (np.diag(flow) == 0).all() and (flow.sum(0) == 18).all() and (flow.sum(1) == 18).all()
    off = flow[~np.eye(10, dtype=bool)]
    assert off.max() - off.min() <= 1
    flow = error_flow([30, 10, 10, 10, 12, 10, 10, 10, 10, 10])
    assert (flow.sum(0) == flow.sum(1)).all() and (np.diag(flow) == 0).all()


def test_label_errors_nested_across_rates():
    labels = _labels([40] * 5)
    low, high = corrupt_labels(labels, 0.1, 5, 7), corrupt_labels(labels, 0.3, 5, 7)
    assert set(torch.nonzero(low != labels).flatten().tolist()) <= set(torch.nonzero(high != labels).flatten().tolist())


def test_l25_every_pair_of_columns_holds_every_level_pair_once():
    array = l25()
    assert array.shape == (25, 4) and set(np.unique(array)) == set(range(5))
    for a, b in itertools.combinations(range(4), 2):
        pairs = {(int(u), int(v)) for u, v in array[:, [a, b]]}
        assert pairs == set(itertools.product(range(5), range(5)))
    broken = array.copy()
    broken[0, 1] = (broken[0, 1] + 1) % 5
    with pytest.raises(ValueError, match="not orthogonal"):
        check_orthogonal(broken, 5)


def test_l16_every_pair_of_columns_holds_every_level_pair_once():
    from perturbstudy.perturbation.orthogonal import four_factor_array

    array = four_factor_array(4)
    assert array.shape == (16, 4) and set(np.unique(array)) == set(range(4))
    for a, b in itertools.combinations(range(4), 2):
        assert {(int(u), int(v)) for u, v in array[:, [a, b]]} == set(itertools.product(range(4), range(4)))
    with pytest.raises(ValueError, match="no four-factor orthogonal array with 3 levels"):
        four_factor_array(3)
