"""Orthogonal arrays of the four-factor design from pydoe: L25(5^4) (the paper's) and L16(4^4).

The design has as many runs as levels squared; every pair of factor columns holds every pair of
levels exactly once. Fewer levels per factor give a thinner design (the default study uses L16).
"""

from __future__ import annotations

import itertools

import numpy as np

#: pydoe's array for each number of levels per factor; the first four columns are used.
ARRAYS = {4: "L16(4^5)", 5: "L25(5^6)"}


def four_factor_array(levels: int) -> np.ndarray:
    """levels^2 x 4 integer array of level indices 0..levels-1; every pair of columns holds every
    level pair once."""
    import pydoe

    if levels not in ARRAYS:
        raise ValueError(f"no four-factor orthogonal array with {levels} levels; use {sorted(ARRAYS)} levels")
    array = np.asarray(pydoe.get_orthogonal_array(ARRAYS[levels]), dtype=np.int64)[:, :4]
    check_orthogonal(array, levels)
    return array


def l25() -> np.ndarray:
    """The paper's L25(5^4): 25 x 4 level indices 0..4."""
    return four_factor_array(5)


def design_name(levels: int) -> str:
    """The array's name for messages and tables, e.g. "L25(5^4)"."""
    return f"L{levels * levels}({levels}^4)"


def check_orthogonal(array: np.ndarray, levels: int) -> None:
    """Raise ValueError unless every pair of columns holds every pair of levels equally often."""
    runs = array.shape[0]
    for a, b in itertools.combinations(range(array.shape[1]), 2):
        pairs = np.bincount(array[:, a] * levels + array[:, b], minlength=levels * levels)
        if not (pairs == runs // (levels * levels)).all():
            raise ValueError(f"columns {a} and {b} are not orthogonal: pair counts {pairs.tolist()}")
