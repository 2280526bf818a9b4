"""Statistics of the study: Spearman with bootstrap CI, Holm, peak segments, multiple correlation with its
noncentral-F interval, main effects and ANOVA of an orthogonal design (Wang et al. 2024, section 2.4;
DESIGN.md section 4)."""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize
from scipy import stats as sps
from statsmodels.formula.api import ols
from statsmodels.stats.anova import anova_lm

EXACT_MAX_N = 10
"""Spearman's p is exact (all n! pairings enumerated) up to this n, the t-approximation above it."""

MIN_BOOTSTRAP_N = 6
"""Fewest points for a bootstrap interval of r. A resample of n <= 5 points holds <= 2 distinct points with
probability 10% (n = 5) to 34% (n = 4), where r is undefined or +-1 by construction, so the percentile
interval says nothing (2% at n = 6)."""

STRENGTH_BANDS = ((0.95, "very high"), (0.8, "high"), (0.5, "moderate"), (0.3, "low"), (0.0, "weak or none"))
"""Wang et al. (2024) section 2.4: lower bound of |r| (or R) and the band's name; the paper calls the top
band 'significant correlation', renamed here so it is not read as statistical significance."""


class Correlation(NamedTuple):
    """A Spearman correlation: r, two-sided p, n, note (why NaN), smallest attainable p, how p was computed."""

    r: float
    p: float
    n: int
    note: str
    p_min: float = np.nan
    method: str = ""


def _ranks2(values: np.ndarray) -> np.ndarray:
    """Twice the average ranks: integers, so rank products and their sums are exact in float64."""
    return 2.0 * sps.rankdata(values)


def _valid_pairs(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """x and y as floats without the pairs where either is NaN, and how many pairs were dropped."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = ~(np.isnan(x) | np.isnan(y))
    return x[ok], y[ok], int(len(x) - ok.sum())


def attainable_p(x: np.ndarray, y: np.ndarray) -> float:
    """Smallest two-sided p any pairing of these x and y values can give under the exact permutation null.

    2 * (pairings reaching the most extreme rank sum) / n!, capped at 1: 2 / n! without ties. The most
    extreme pairings are the similarly (or oppositely) ordered ones (rearrangement inequality); counted per
    tie group: the multiset of x values in each y tie group is fixed, arranged freely within the group.
    Pairs with a NaN are dropped first (n = the valid pairs).
    """
    x, y, _ = _valid_pairs(x, y)
    n = len(x)
    if n < 2:
        return np.nan
    _, x_mult = np.unique(x, return_counts=True)
    _, y_mult = np.unique(y, return_counts=True)
    ways = [math.prod(math.factorial(int(c)) for c in x_mult)] * 2
    for k, xs in enumerate((np.sort(x), np.sort(x)[::-1])):
        start = 0
        for size in y_mult:
            _, inside = np.unique(xs[start:start + size], return_counts=True)
            ways[k] *= math.factorial(int(size)) // math.prod(math.factorial(int(c)) for c in inside)
            start += size
    return min(1.0, 2.0 * min(ways) / math.factorial(n))


@functools.lru_cache(maxsize=32)
def _null_rank_sums(x_ranks: tuple[int, ...], y_ranks: tuple[int, ...]) -> np.ndarray:
    """counts[s]: how many of the n! permutations give the rank sum sum(x_ranks[perm] * y_ranks) = s.

    The ranks are doubled average ranks, integers, so the sum is an integer and the whole null distribution
    follows from a dynamic programme over the subsets of x already paired with the first y ranks (2^n states,
    n 2^(n-1) shifted adds), in exact integer counts. It depends only on the two rank multisets, so it is
    cached. At n = 10 it takes about 0.03 s and 13 MB (2^10 x 1541 int64 counts); scipy's enumeration
    (permutation_test, n_resamples=inf) took 7 s and 1.64 GB peak RSS, 0.67 GB even with batch=100_000,
    because itertools.product holds all n! permutation tuples.
    """
    n = len(x_ranks)
    size = int(np.dot(sorted(x_ranks), sorted(y_ranks))) + 1  # largest sum: both sorted alike
    counts = np.zeros((1 << n, size), dtype=np.int64)  # counts[mask]: x ranks in mask paired with y[:popcount]
    counts[0, 0] = 1
    for mask in range(1 << n):  # every subset precedes its supersets in this order
        row = counts[mask]
        i = mask.bit_count()
        if i == n or not row.any():
            continue
        for j in range(n):
            if not mask >> j & 1:
                step = x_ranks[j] * y_ranks[i]
                counts[mask | 1 << j, step:] += row[:size - step]
    return counts[-1].copy()  # not a view: the cache keeps only the full set's row


def exact_spearman_p(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sided exact permutation p of Spearman's r: 2 min(P(S >= s), P(S <= s)) over all pairings, <= 1.
    Pairs with a NaN are dropped first."""
    x, y, _ = _valid_pairs(x, y)
    rx, ry = (np.rint(_ranks2(v)).astype(int) for v in (x, y))
    counts = _null_rank_sums(tuple(sorted(rx.tolist())), tuple(sorted(ry.tolist())))
    s = int((rx * ry).sum())
    upper, lower = int(counts[s:].sum()), int(counts[:s + 1].sum())
    return min(1.0, 2.0 * min(upper, lower) / math.factorial(len(x)))


def spearman(x: np.ndarray, y: np.ndarray) -> Correlation:
    """Spearman r with a two-sided p that is never 0, and the smallest p attainable at this n (and ties).

    p is exact for n <= EXACT_MAX_N; above, scipy's t-approximation floored at the attainable minimum
    (the approximation reaches 0 at |r| = 1, which no permutation test can). Pairs with a NaN (a model
    without accuracy) are dropped first: n counts the valid pairs and the note says how many were dropped.
    NaN with a note when r is undefined (n < 3, constant input).
    """
    x, y, dropped = _valid_pairs(x, y)
    n = len(x)
    notes = [f"{dropped} point(s) without accuracy dropped"] if dropped else []
    if n < 3:
        return Correlation(np.nan, np.nan, n, "; ".join([f"only {n} point(s): too few for a correlation", *notes]))
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        which = "perturbation level" if np.ptp(x) == 0 else "accuracy"
        return Correlation(np.nan, np.nan, n, "; ".join([f"constant {which}: correlation undefined", *notes]))
    r = float(sps.spearmanr(x, y).statistic)
    p_min = attainable_p(x, y)
    note = "; ".join(notes)
    if n <= EXACT_MAX_N:
        return Correlation(r, exact_spearman_p(x, y), n, note, p_min, "exact")
    return Correlation(r, max(float(sps.spearmanr(x, y).pvalue), p_min), n, note, p_min, "asymptotic")


def strength(r: float) -> str:
    """The paper's name for the strength of |r| (STRENGTH_BANDS); '' for NaN."""
    if r is None or np.isnan(r):
        return ""
    return next(name for bound, name in STRENGTH_BANDS if abs(r) >= bound)


def bootstrap_spearman_ci(x: np.ndarray, y: np.ndarray, n_resamples: int, seed: int,
                          confidence: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap CI of Spearman r over resampled (x, y) pairs, seeded; NaN if not estimable.

    Pairs with a NaN are dropped first. NaN below MIN_BOOTSTRAP_N (valid) points and when r is undefined.
    Resamples where r is undefined (a constant resampled variable) are dropped; if more than half are, the
    interval is reported as NaN.
    """
    x, y, _ = _valid_pairs(x, y)
    n = len(x)
    if n < MIN_BOOTSTRAP_N or np.ptp(x) == 0 or np.ptp(y) == 0 or n_resamples < 1:
        return (np.nan, np.nan)
    idx = np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))
    return _percentile_interval(_spearman_rows(x[idx], y[idx]), confidence)


def _spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman r of each row pair of two (resamples, n) arrays (average ranks); NaN where a row is constant."""
    rx = sps.rankdata(x, axis=1)
    ry = sps.rankdata(y, axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    denom = np.sqrt((rx**2).sum(axis=1) * (ry**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (rx * ry).sum(axis=1) / denom, np.nan)


def _percentile_interval(r: np.ndarray, confidence: float) -> tuple[float, float]:
    """Percentile interval of resampled r, undefined resamples dropped; NaN if more than half are undefined."""
    if np.isnan(r).mean() > 0.5:
        return (np.nan, np.nan)
    tail = 50.0 * (1.0 - confidence)
    lo, hi = np.nanpercentile(r, [tail, 100.0 - tail])
    return (float(lo), float(hi))


def seed_noise_spearman_ci(levels: np.ndarray, per_seed_accuracy_groups: Sequence[np.ndarray],
                           n_resamples: int, seed: int, confidence: float = 0.95) -> tuple[float, float]:
    """Percentile interval of Spearman r (levels vs mean accuracy) from a parametric bootstrap of the seed noise.

    The seeds are the replicates. Their noise is pooled over the levels, s^2 = sum_l (k_l - 1) s_l^2 /
    sum_l (k_l - 1) on df = sum_l (k_l - 1) degrees of freedom; each resample draws every level's mean as
    m_l + s / sqrt(k_l) T_df (Student t, seeded) and recomputes r; the levels stay fixed, so any n >= 3 has an
    interval. Resampling a level's k seeds with replacement instead shrinks their variance by (k - 1) / k and
    sees only k^k outcomes: at k = 2-3 it covered r of the true level means in about half the runs. NaN when r
    of the observed means is undefined or a level has fewer than 2 seeds (NaN accuracies dropped); undefined
    resamples as in `bootstrap_spearman_ci`.
    """
    x = np.asarray(levels, float)
    groups = [np.asarray(g, float)[~np.isnan(np.asarray(g, float))] for g in per_seed_accuracy_groups]
    if len(groups) != len(x):
        raise ValueError(f"{len(x)} levels but {len(groups)} groups of per-seed accuracies")
    means = np.array([g.mean() if len(g) else np.nan for g in groups])
    if (len(x) < 3 or n_resamples < 1 or min(map(len, groups)) < 2 or np.ptp(x) == 0
            or np.isnan(means).any() or np.ptp(means) == 0):
        return (np.nan, np.nan)
    k = np.array([len(g) for g in groups], float)
    df = float((k - 1).sum())
    pooled_sd = math.sqrt(sum(((g - g.mean()) ** 2).sum() for g in groups) / df)
    noise = np.random.default_rng(seed).standard_t(df, size=(n_resamples, len(x)))
    resampled = means + pooled_sd / np.sqrt(k) * noise
    return _percentile_interval(_spearman_rows(np.broadcast_to(x, resampled.shape), resampled), confidence)


def t_interval(mean: np.ndarray | float, sd: np.ndarray | float, n: np.ndarray | float,
               confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Student-t interval mean -+ t((1 + confidence) / 2, n - 1) sd / sqrt(n) of a mean over n replicates
    (seeds), elementwise; NaN where n < 2 (one seed has no spread)."""
    mean, sd, n = (np.asarray(v, float) for v in (mean, sd, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        df = np.where(n >= 2, n - 1.0, np.nan)
        half = sps.t.ppf(0.5 + confidence / 2.0, df) * sd / np.sqrt(n)
    return mean - half, mean + half


def replicate_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[int, float, float, float, float]:
    """(n, mean, sd, ci_low, ci_high) of replicate values (NaN dropped): the t-interval across seeds; sd and
    the interval NaN for fewer than 2 values."""
    v = np.asarray(values, float)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return (0, np.nan, np.nan, np.nan, np.nan)
    sd = float(v.std(ddof=1)) if len(v) > 1 else np.nan
    lo, hi = t_interval(v.mean(), sd, len(v), confidence)
    return (len(v), float(v.mean()), sd, float(lo), float(hi))


def mean_variance(y: np.ndarray) -> tuple[float, float]:
    """Mean and sample variance (ddof=1) of accuracies; variance NaN for a single value."""
    y = np.asarray(y, float)
    if len(y) == 0:
        return (np.nan, np.nan)
    return (float(y.mean()), float(y.var(ddof=1)) if len(y) > 1 else np.nan)


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values over the non-NaN entries; NaN stays NaN; never below the raw p.

    The step-down in numpy (equal to statsmodels' multipletests, tested): multipletests runs gc.collect() on
    every call, 67 ms each in the findings, which judge hundreds of families.
    """
    p = np.asarray(pvalues, float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if len(ok):
        order = ok[np.argsort(p[ok], kind="stable")]
        stepped = np.maximum.accumulate(p[order] * np.arange(len(order), 0, -1))
        out[order] = np.minimum(stepped, 1.0)
    return out


def holm_attainable(pvalues: np.ndarray, p_min: np.ndarray) -> np.ndarray:
    """Per entry, the smallest Holm p it can reach: its own p at its attainable minimum, the others as given.

    Holm is monotone in each p, so above alpha no data of that entry can make it significant in this family.
    NaN where p or p_min is NaN.
    """
    p, p_min = np.asarray(pvalues, float), np.asarray(p_min, float)
    out = np.full_like(p, np.nan)
    for i in np.flatnonzero(~np.isnan(p) & ~np.isnan(p_min)):
        best = p.copy()
        best[i] = p_min[i]
        out[i] = holm(best)[i]
    return out


def peak_split(levels: np.ndarray, accuracy: np.ndarray) -> tuple[float, np.ndarray]:
    """The level of peak accuracy (first maximum in level order) and a mask of segment I (levels <= peak).

    Segment II is the complement: the levels after the peak (the paper's Table 3 split).
    """
    levels, accuracy = np.asarray(levels, float), np.asarray(accuracy, float)
    if np.isnan(accuracy).all():  # no accuracy anywhere: no peak, every level in segment I
        return float("nan"), np.ones(len(levels), bool)
    order = np.argsort(levels, kind="stable")
    peak = float(levels[order][int(np.nanargmax(accuracy[order]))])
    return peak, levels <= peak


P_FLOOR = float(np.nextafter(0.0, 1.0))
"""Smallest positive double: a p that underflows to 0 in floating point is reported as this, never as 0."""


def _floor_p(p: float) -> float:
    """p floored at P_FLOOR (NaN stays NaN): an underflowed tail probability is tiny, not impossible."""
    return p if np.isnan(p) else max(float(p), P_FLOOR)


class Coefficient(NamedTuple):
    """One factor's OLS coefficient: slope, standard error, t, two-sided p, confidence interval."""

    slope: float
    se: float
    t: float
    p: float
    ci_low: float
    ci_high: float


NAN_COEFFICIENT = Coefficient(np.nan, np.nan, np.nan, np.nan, np.nan, np.nan)


class MultipleCorrelation(NamedTuple):
    """OLS of accuracy on factor levels: R = corr(y, y_hat), R^2, F-test, slopes, per-factor tests, note."""

    r: float
    r2: float
    f: float
    p: float
    n: int
    df_model: int
    df_resid: int
    note: str
    tests: dict[str, Coefficient]

    @property
    def coefficients(self) -> dict[str, float]:
        """Each factor's slope (from `tests`)."""
        return {c: t.slope for c, t in self.tests.items()}


def _coefficient_tests(fit, columns: list[str], confidence: float, exact: bool) -> dict[str, Coefficient]:
    """Per-column t-test and interval of an OLS fit (constant excluded); NaN but the slope for an exact fit."""
    params = np.asarray(fit.params)[1:]
    if exact:
        return {c: NAN_COEFFICIENT._replace(slope=float(b)) for c, b in zip(columns, params, strict=True)}
    se, t = np.asarray(fit.bse)[1:], np.asarray(fit.tvalues)[1:]
    p, ci = np.asarray(fit.pvalues)[1:], np.asarray(fit.conf_int(alpha=1.0 - confidence))[1:]
    return {c: Coefficient(*map(float, (params[i], se[i], t[i])), _floor_p(float(p[i])), *map(float, ci[i]))
            for i, c in enumerate(columns)}


def multiple_correlation(x: pd.DataFrame, y: np.ndarray, confidence: float = 0.95) -> MultipleCorrelation:
    """Multiple correlation R of an OLS fit (statsmodels) of y on the columns of x, its F-test p, and each
    factor's own coefficient t-test and `confidence` interval (`tests`), all from the one fit.

    Constant columns are dropped (they carry no information); a dropped factor has no entry. An exact fit
    (no residual variance) has R = 1 but F, p and the coefficient tests NaN: the F-test is undefined, not
    infinitely significant. A p that underflows to 0 is floored at P_FLOOR, so no p is ever 0.
    """
    y = np.asarray(y, float)
    x = x.loc[:, x.nunique() > 1].astype(float)
    n, k = len(y), x.shape[1]
    nan = MultipleCorrelation(np.nan, np.nan, np.nan, np.nan, n, k, n - k - 1, "", {})
    if k == 0:
        return nan._replace(note="no factor varies")
    if n <= k + 1:
        return nan._replace(note=f"{n} runs for {k} factors: no residual degrees of freedom")
    if np.ptp(y) == 0:
        return nan._replace(note="constant accuracy: correlation undefined")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = sm.OLS(y, sm.add_constant(x.to_numpy(), has_constant="add"), hasconst=True).fit()
        fitted = np.asarray(fit.fittedvalues)
        r = float(np.corrcoef(y, fitted)[0, 1]) if np.ptp(fitted) > 0 else 0.0
        exact = float(fit.ssr) <= 1e-12 * float(((y - y.mean()) ** 2).sum())
        f, p = (np.nan, np.nan) if exact else (float(fit.fvalue), _floor_p(float(fit.f_pvalue)))
        tests = _coefficient_tests(fit, list(x.columns), confidence, exact)
    note = "exact fit (no residual variance): F-test undefined" if exact else ""
    return MultipleCorrelation(min(r, 1.0), float(fit.rsquared), f, p, n, int(fit.df_model), int(fit.df_resid),
                               note, tests)


LAMBDA_MAX = 1e9
"""Largest noncentrality the interval of R searches: scipy's noncentral F cdf turns NaN near 1e10. Beyond it R^2
is within n / 1e9 of 1 (F of a near-exact fit, about 1e8 or more) and the interval is reported as NaN."""


def _noncentrality(f: float, df1: int, df2: int, target: float) -> float:
    """The lambda with ncf.cdf(f, df1, df2, lambda) = target (the cdf falls as lambda grows); 0 when even
    lambda = 0 gives a cdf <= target; NaN past LAMBDA_MAX."""
    def gap(lam: float) -> float:
        return float(sps.ncf.cdf(f, df1, df2, lam)) - target

    if gap(0.0) <= 0:
        return 0.0
    hi = min(max(1.0, f * df1), LAMBDA_MAX)  # f df1: about the lambda that centres the distribution on f
    while (g := gap(hi)) > 0:
        if hi >= LAMBDA_MAX:
            return np.nan
        hi = min(2.0 * hi, LAMBDA_MAX)
    if np.isnan(g):
        return np.nan
    return float(optimize.brentq(gap, 0.0, hi, xtol=1e-10, rtol=1e-12))


def multiple_correlation_ci(f: float, df_model: int, df_resid: int, n: int,
                            confidence: float = 0.95) -> tuple[float, float]:
    """Interval of the population multiple correlation R of a fixed-regressor OLS fit, from its F statistic.

    Steiger & Fouladi (1997), as R's MBESS ci.R2 for fixed regressors: invert the noncentral F,
    ncf.cdf(f, df_model, df_resid, lambda_lo) = 1 - a/2 and ncf.cdf(f, ..., lambda_hi) = a/2 with
    a = 1 - confidence (brentq; a limit is 0 when even lambda = 0 leaves f below that quantile), convert
    each to R^2 = lambda / (lambda + n) and report the square roots. Exact, not resampled; the interval is of
    the population R, so it can lie below the sample R (which is biased upward: under pure noise it is about
    sqrt(df_model / (n - 1)), while the interval reaches down to 0 in 1 - a/2 of such draws). NaN when F is
    undefined (NaN: an exact fit, no residual degrees of freedom, constant y) or beyond LAMBDA_MAX.
    """
    if not (np.isfinite(f) and df_model > 0 and df_resid > 0 and 0 < confidence < 1):
        return (np.nan, np.nan)
    tail = (1.0 - confidence) / 2.0
    lams = np.array([_noncentrality(float(f), int(df_model), int(df_resid), q) for q in (1.0 - tail, tail)])
    if np.isnan(lams).any():
        return (np.nan, np.nan)
    lo, hi = np.sqrt(lams / (lams + n))
    return (float(lo), float(hi))


def _additive_fit(frame: pd.DataFrame, factors: list[str], response: str):
    """The additive OLS model response ~ C(f1) + ... + C(fk) (statsmodels) over the factors that vary."""
    data = frame[[*factors, response]].rename(columns={response: "y"})
    terms = [f"C({f})" for f in factors if data[f].nunique() > 1] or ["1"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ols("y ~ " + " + ".join(terms), data=data).fit()


def main_effects(frame: pd.DataFrame, factors: list[str], response: str, confidence: float = 0.95) -> pd.DataFrame:
    """Main effect of each factor: mean response at each of its levels with a `confidence` interval.

    Columns factor, level, mean, n, se, ci_low, ci_high, note. se = sqrt(MSE / n) with MSE and its degrees of
    freedom from the additive model y ~ C(f1) + ... + C(fk): the textbook interval of an orthogonal array's
    level mean with pooled error. NaN with a note when the model leaves no residual degrees of freedom.
    """
    fit = _additive_fit(frame, factors, response)
    df_resid = int(round(fit.df_resid))
    mse = float(fit.ssr) / df_resid if df_resid > 0 else np.nan
    t = float(sps.t.ppf(0.5 + confidence / 2.0, df_resid)) if df_resid > 0 else np.nan
    note = "" if df_resid > 0 else "no residual degrees of freedom"
    parts = []
    for factor in factors:
        grouped = frame.groupby(factor)[response].agg(["mean", "count"]).reset_index()
        se = np.sqrt(mse / grouped["count"].to_numpy(float))
        parts.append(pd.DataFrame({"factor": factor, "level": grouped[factor].astype(float),
                                   "mean": grouped["mean"], "n": grouped["count"], "se": se,
                                   "ci_low": grouped["mean"] - t * se, "ci_high": grouped["mean"] + t * se,
                                   "note": note}))
    return pd.concat(parts, ignore_index=True)


def effect_ranges(effects: pd.DataFrame) -> pd.DataFrame:
    """Range (max - min of level means) per factor and its rank (1 = largest effect)."""
    ranges = effects.groupby("factor", sort=False)["mean"].agg(lambda s: s.max() - s.min()).rename("range")
    out = ranges.reset_index()
    out["rank"] = out["range"].rank(ascending=False, method="min").astype(int)
    return out


def anova(frame: pd.DataFrame, factors: list[str], response: str) -> pd.DataFrame:
    """Type-II ANOVA of response on the factors as categorical main effects (no interactions).

    Columns: term, df, sum_sq, mean_sq, F, p. F and p are NaN without residual degrees of freedom.
    """
    fit = _additive_fit(frame, factors, response)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = anova_lm(fit, typ=2)
    table = table.rename(columns={"PR(>F)": "p", "sum_sq": "sum_sq", "df": "df"})
    table.index = [i[2:-1] if i.startswith("C(") else i for i in table.index]
    table["mean_sq"] = table["sum_sq"] / table["df"]
    out = table.reset_index().rename(columns={"index": "term"})
    out["df"] = out["df"].astype(float)
    return out[["term", "df", "sum_sq", "mean_sq", "F", "p"]]
