"""Label errors: exact per-class error counts, an even error flow, nested across rates."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from perturbstudy.errors import DataError
from perturbstudy.perturbation.labels import corrupt_labels, error_flow

torch.set_num_threads(1)


def _labels(counts):
    return torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))[torch.randperm(sum(counts))]


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
