"""The L25(5^4) orthogonal array of the four-factor design (from pydoe's L25(5^6))."""

from __future__ import annotations

import itertools

import numpy as np


def l25() -> np.ndarray:
    """25 x 4 integer array of level indices 0..4; every pair of columns holds every level pair once."""
    import pydoe

    array = np.asarray(pydoe.get_orthogonal_array("L25(5^6)"), dtype=np.int64)[:, :4]
    check_orthogonal(array, 5)
    return array


def check_orthogonal(array: np.ndarray, levels: int) -> None:
    """Raise ValueError unless every pair of columns holds every pair of levels equally often."""
    runs = array.shape[0]
    for a, b in itertools.combinations(range(array.shape[1]), 2):
        pairs = np.bincount(array[:, a] * levels + array[:, b], minlength=levels * levels)
        if not (pairs == runs // (levels * levels)).all():
            raise ValueError(f"columns {a} and {b} are not orthogonal: pair counts {pairs.tolist()}")
