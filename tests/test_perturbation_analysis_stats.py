"""Statistics of the analysis on data with known answers."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from perturbstudy.perturbation.analysis import stats as st
from tests.analysis_synthetic import l25


def test_monotone_series_gives_r_one_and_degenerate_ci() -> None:
    x = np.arange(10.0)
    y = np.log1p(x) * 0.1 + 0.5  # monotone, not linear
    assert st.spearman(x, y).r == pytest.approx(1.0)
    assert st.spearman(x, -y).r == pytest.approx(-1.0)
    assert st.bootstrap_spearman_ci(x, y, 300, seed=1) == pytest.approx((1.0, 1.0))


def test_bootstrap_ci_is_seeded_and_brackets_r() -> None:
    rng = np.random.default_rng(0)
    x = np.arange(20.0)
    y = x + rng.normal(0, 6, size=20)
    r = st.spearman(x, y).r
    a, b = st.bootstrap_spearman_ci(x, y, 500, seed=3), st.bootstrap_spearman_ci(x, y, 500, seed=3)
    assert a == b
    assert a != st.bootstrap_spearman_ci(x, y, 500, seed=4)
    assert a[0] < r < a[1] and -1 <= a[0] and a[1] <= 1


def brute_force_p(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Independent check: Spearman r of every pairing (scipy); the two-sided exact p and the smallest one."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    r0 = sps.spearmanr(x, y).statistic
    null = np.array([sps.spearmanr(x[list(perm)], y).statistic for perm in itertools.permutations(range(len(x)))])
    tol = 1e-9
    p = min(1.0, 2 * min((null >= r0 - tol).mean(), (null <= r0 + tol).mean()))
    p_min = min(1.0, 2 * min((null >= null.max() - tol).mean(), (null <= null.min() + tol).mean()))
    return p, p_min


@pytest.mark.parametrize(("n", "expected"), [(3, 1 / 3), (4, 1 / 12), (5, 1 / 60)])
def test_perfectly_monotone_small_n_gets_the_exact_p_never_zero(n: int, expected: float) -> None:
    x = np.arange(float(n))
    for y in (np.exp(x), -np.exp(x)):  # monotone up and down: scipy's t-approximation says p = 0 here
        corr = st.spearman(x, y)
        assert abs(corr.r) == pytest.approx(1.0) and corr.method == "exact"
        assert corr.p == pytest.approx(expected) and corr.p_min == pytest.approx(2 / math.factorial(n))
        assert sps.spearmanr(x, y).pvalue < 1e-6  # what the table used to report


def test_exact_p_and_attainable_minimum_match_full_enumeration_with_ties() -> None:
    rng = np.random.default_rng(5)
    cases = [(np.array([0, 1, 1, 2, 3, 4, 4.0]), np.array([0.1, 0.3, 0.2, 0.2, 0.5, 0.4, 0.6])),
             (np.array([0, 0, 1, 1, 2, 2.0]), np.array([1, 2, 2, 3, 3, 3.0])),
             (np.arange(7.0), rng.permutation(7).astype(float))]
    for x, y in cases:
        corr = st.spearman(x, y)
        p, p_min = brute_force_p(x, y)
        assert corr.method == "exact"
        assert corr.p == pytest.approx(p) and corr.p_min == pytest.approx(p_min)
        assert st.attainable_p(x, y) == pytest.approx(p_min)
        assert corr.p >= corr.p_min > 0
    assert st.attainable_p(np.array([0, 0, 1, 1, 2, 2.0]), np.array([1, 2, 2, 3, 3, 3.0])) == pytest.approx(2 / 15)


def test_above_ten_points_p_is_asymptotic_and_floored_at_the_attainable_minimum() -> None:
    x = np.arange(12.0)
    y = x + np.random.default_rng(6).normal(0, 4, 12)
    corr = st.spearman(x, y)
    assert corr.method == "asymptotic" and corr.p == pytest.approx(sps.spearmanr(x, y).pvalue)
    perfect = st.spearman(x, np.exp(x))
    assert sps.spearmanr(x, np.exp(x)).pvalue == 0.0  # the t-approximation at |r| = 1
    assert perfect.p == pytest.approx(2 / math.factorial(12)) and perfect.p > 0
    assert st.spearman(np.arange(10.0), np.exp(np.arange(10.0))).method == "exact"


def test_bootstrap_interval_is_not_estimable_below_six_points() -> None:
    x = np.arange(5.0)
    y = np.array([0.1, 0.3, 0.2, 0.5, 0.4])
    assert all(np.isnan(st.bootstrap_spearman_ci(x, y, 200, seed=0)))
    x6, y6 = np.arange(6.0), np.array([0.1, 0.3, 0.2, 0.5, 0.4, 0.6])
    lo, hi = st.bootstrap_spearman_ci(x6, y6, 200, seed=0)
    assert -1 <= lo < hi <= 1


@pytest.mark.parametrize(("r", "band"), [(0.96, "very high"), (-0.95, "very high"), (0.949, "high"), (-0.8, "high"),
                                         (0.79, "moderate"), (0.5, "moderate"), (0.3, "low"), (-0.29, "weak or none"),
                                         (0.0, "weak or none"), (np.nan, "")])
def test_strength_uses_the_papers_bands(r: float, band: str) -> None:
    assert st.strength(r) == band


def test_undefined_correlations_are_nan_with_a_note() -> None:
    assert np.isnan(st.spearman([1.0, 2.0], [0.1, 0.2]).r)
    constant = st.spearman([1.0, 2.0, 3.0], [0.5, 0.5, 0.5])
    assert np.isnan(constant.r) and "constant accuracy" in constant.note
    assert np.isnan(st.bootstrap_spearman_ci([1.0, 2.0, 3.0], [0.5, 0.5, 0.5], 100, 0)[0])


def test_mean_and_sample_variance_use_ddof_one() -> None:
    mean, var = st.mean_variance([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5 and var == pytest.approx(5.0 / 3.0)


def test_holm_matches_a_hand_computed_case() -> None:
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> monotone max -> 0.06
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan])
    np.testing.assert_allclose(st.holm(p), [0.03, 0.06, 0.06, 0.02, np.nan])


def test_holm_never_lowers_a_p_and_attainable_holm_is_its_best_case() -> None:
    p = np.array([1e-300, 0.5, 0.9])
    assert (st.holm(p) >= p).all() and (st.holm(p) > 0).all()
    # three n = 4 rows (p_min 1/12) and one n = 5 row (p_min 1/60): the n = 5 row at its minimum ranks first,
    # 4 * 1/60 = 0.067; an n = 4 row at 1/12 ranks second behind 0.02: max(0.08, 3/12) = 0.25
    observed = np.array([1 / 12, 0.5, 0.7, 0.02])
    p_min = np.array([1 / 12, 1 / 12, 1 / 12, 1 / 60])
    best = st.holm_attainable(observed, p_min)
    np.testing.assert_allclose(best, [0.25, 0.25, 0.25, 4 / 60])
    assert (best <= st.holm(observed) + 1e-15).all()
    assert np.isnan(st.holm_attainable(np.array([np.nan, 0.1]), np.array([0.1, np.nan]))).all()


def test_peaked_series_splits_at_its_peak() -> None:
    levels = np.array([3.0, 0.0, 1.0, 2.0, 4.0, 5.0, 6.0])  # unsorted on purpose
    acc = np.array([0.9, 0.1, 0.4, 0.6, 0.8, 0.5, 0.3])
    peak, first = st.peak_split(levels, acc)
    assert peak == 3.0
    assert set(levels[first]) == {0.0, 1.0, 2.0, 3.0} and set(levels[~first]) == {4.0, 5.0, 6.0}


def test_exact_linear_response_gives_r_one_and_tiny_p() -> None:
    rng = np.random.default_rng(1)
    x = pd.DataFrame({"a": rng.uniform(0, 1, 20), "b": rng.uniform(0, 1, 20)})
    y = 0.3 + 0.2 * x["a"] - 0.1 * x["b"]
    fit = st.multiple_correlation(x, y.to_numpy())
    assert fit.r == pytest.approx(1.0) and fit.p < 1e-10
    assert fit.coefficients["a"] == pytest.approx(0.2) and fit.coefficients["b"] == pytest.approx(-0.1)


def test_multiple_correlation_matches_numpy_least_squares() -> None:
    rng = np.random.default_rng(2)
    x = pd.DataFrame({"a": rng.uniform(0, 1, 30), "b": rng.uniform(0, 1, 30), "c": np.ones(30)})
    y = x["a"] + rng.normal(0, 0.5, 30)
    fit = st.multiple_correlation(x, y.to_numpy())
    design = np.column_stack([np.ones(30), x[["a", "b"]]])  # the constant column carries nothing
    fitted = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    assert fit.r == pytest.approx(np.corrcoef(y, fitted)[0, 1])
    assert fit.df_model == 2 and fit.df_resid == 27 and 0 < fit.p < 1


def test_main_effects_and_anova_recover_an_additive_l25_design() -> None:
    effect = {"a": [0, 1, 2, 3, 4], "b": [0, 0, 0, 0, 0.5], "c": [0, 0.1, 0, 0.1, 0], "d": [0, 0, 0, 0, 0]}
    runs = pd.DataFrame(l25(), columns=list("abcd"))
    rng = np.random.default_rng(3)
    runs["y"] = sum(np.take(effect[f], runs[f]) for f in "abcd") + rng.normal(0, 0.01, len(runs))
    effects = st.main_effects(runs, list("abcd"), "y")
    ranges = st.effect_ranges(effects).set_index("factor")
    for f in "abcd":  # orthogonality: each level mean = its effect + the mean of the others
        assert ranges.loc[f, "range"] == pytest.approx(np.ptp(effect[f]), abs=0.03)
    assert ranges.loc["a", "rank"] == 1 and ranges.loc["b", "rank"] == 2
    table = st.anova(runs, list("abcd"), "y").set_index("term")
    assert table.loc["Residual", "df"] == 8 and table.loc["a", "df"] == 4
    assert table.loc["a", "p"] < 1e-6 and table.loc["d", "p"] > 0.01
