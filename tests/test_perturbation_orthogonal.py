"""The L25 and L16 orthogonal arrays: every pair of columns holds every level pair equally often."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from perturbstudy.perturbation.orthogonal import check_orthogonal, four_factor_array, l25


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
    array = four_factor_array(4)
    assert array.shape == (16, 4) and set(np.unique(array)) == set(range(4))
    for a, b in itertools.combinations(range(4), 2):
        assert {(int(u), int(v)) for u, v in array[:, [a, b]]} == set(itertools.product(range(4), range(4)))
    with pytest.raises(ValueError, match="no four-factor orthogonal array with 3 levels"):
        four_factor_array(3)
