"""Label errors at rate LD: exactly round(LD n_c) wrong labels per class, class label counts unchanged."""

from __future__ import annotations

import numpy as np
import torch
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_flow

from ..errors import DataError


def error_flow(wrong: list[int] | np.ndarray) -> np.ndarray:
    """Integer K x K flow F (F[c, d]: true class c relabelled d) with zero diagonal, row and column sums = wrong.

    Spread as evenly as possible: the real-valued solution by iterative proportional fitting of the
    off-diagonal ones, rounded to floor/ceil entries that keep every row and column sum (bipartite max flow).
    """
    r = np.asarray(wrong, dtype=np.int64)
    k = r.size
    total = int(r.sum())
    if total == 0:
        return np.zeros((k, k), dtype=np.int64)
    if k < 2 or (2 * r > total).any():
        raise DataError(f"label errors per class {r.tolist()} cannot be moved between classes while every class "
                        "keeps its label count (one class needs more than all others together); lower the rate.")
    real = 1.0 - np.eye(k)
    for _ in range(10000):
        rows = real.sum(1)
        real *= np.divide(r, rows, out=np.zeros(k), where=rows > 0)[:, None]
        cols = real.sum(0)
        real *= np.divide(r, cols, out=np.zeros(k), where=cols > 0)[None, :]
        if np.abs(real.sum(1) - r).max() < 1e-9:
            break
    base = np.floor(real + 1e-9).astype(np.int64)
    frac = real - base
    need_row, need_col = r - base.sum(1), r - base.sum(0)
    # node 0 source, 1..k rows, k+1..2k columns, 2k+1 sink
    n = 2 * k + 2
    cap = np.zeros((n, n), dtype=np.int32)
    cap[0, 1:k + 1] = need_row
    cap[k + 1:2 * k + 1, n - 1] = need_col
    cap[1:k + 1, k + 1:2 * k + 1] = (frac > 1e-9).astype(np.int32)
    flow = maximum_flow(csr_matrix(cap), 0, n - 1).flow.toarray()
    if flow[0].sum() != need_row.sum():
        raise DataError(f"no integer label-error flow for per-class counts {r.tolist()}")
    out = base + np.clip(flow[1:k + 1, k + 1:2 * k + 1], 0, None)
    assert (out.sum(1) == r).all() and (out.sum(0) == r).all() and (np.diag(out) == 0).all()
    return out


def corrupt_labels(labels: torch.Tensor, rate: float, num_classes: int, seed: int) -> torch.Tensor:
    """New labels: in class c exactly round(rate n_c) samples (a nested seeded choice) get a wrong label."""
    if not 0.0 <= rate <= 1.0:
        raise DataError(f"label error rate must lie in [0, 1], got {rate}")
    counts = torch.bincount(labels, minlength=num_classes)
    wrong = [int(round(rate * int(n))) for n in counts]
    flow = error_flow(wrong)
    out = labels.clone()
    for c in range(num_classes):
        if wrong[c] == 0:
            continue
        idx = torch.nonzero(labels == c).flatten()
        gen = torch.Generator().manual_seed(int(seed) * 1013 + c)
        chosen = idx[torch.randperm(idx.numel(), generator=gen)[:wrong[c]]]
        out[chosen] = torch.repeat_interleave(torch.arange(num_classes), torch.from_numpy(flow[c]))
    return out
