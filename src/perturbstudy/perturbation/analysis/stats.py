"""Statistics of the study: Spearman with bootstrap CI, Holm, peak segments, multiple correlation,
main effects and ANOVA of an orthogonal design (Wang et al. 2024, section 2.4; DESIGN.md section 4)."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as sps
from statsmodels.formula.api import ols
from statsmodels.stats.anova import anova_lm
from statsmodels.stats.multitest import multipletests


class Correlation(NamedTuple):
    """A Spearman correlation: coefficient, two-sided p, number of points, note (why NaN)."""

    r: float
    p: float
    n: int
    note: str


def spearman(x: np.ndarray, y: np.ndarray) -> Correlation:
    """Spearman r and two-sided p (scipy); NaN with a note when undefined (n < 3, constant input)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = len(x)
    if n < 3:
        return Correlation(np.nan, np.nan, n, f"only {n} point(s): too few for a correlation")
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        which = "perturbation level" if np.ptp(x) == 0 else "accuracy"
        return Correlation(np.nan, np.nan, n, f"constant {which}: correlation undefined")
    result = sps.spearmanr(x, y)
    return Correlation(float(result.statistic), float(result.pvalue), n, "")


def bootstrap_spearman_ci(x: np.ndarray, y: np.ndarray, n_resamples: int, seed: int,
                          confidence: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap CI of Spearman r over resampled (x, y) pairs, seeded; NaN if undefined.

    Resamples where r is undefined (a constant resampled variable) are dropped; if more than half
    are, the interval is reported as NaN.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = len(x)
    if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0 or n_resamples < 1:
        return (np.nan, np.nan)
    idx = np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))
    rx = sps.rankdata(x[idx], axis=1)
    ry = sps.rankdata(y[idx], axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    denom = np.sqrt((rx**2).sum(axis=1) * (ry**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(denom > 0, (rx * ry).sum(axis=1) / denom, np.nan)
    if np.isnan(r).mean() > 0.5:
        return (np.nan, np.nan)
    tail = 50.0 * (1.0 - confidence)
    lo, hi = np.nanpercentile(r, [tail, 100.0 - tail])
    return (float(lo), float(hi))


def mean_variance(y: np.ndarray) -> tuple[float, float]:
    """Mean and sample variance (ddof=1) of accuracies; variance NaN for a single value."""
    y = np.asarray(y, float)
    if len(y) == 0:
        return (np.nan, np.nan)
    return (float(y.mean()), float(y.var(ddof=1)) if len(y) > 1 else np.nan)


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values (statsmodels) over the non-NaN entries; NaN stays NaN."""
    p = np.asarray(pvalues, float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="holm")[1]
    return out


def peak_split(levels: np.ndarray, accuracy: np.ndarray) -> tuple[float, np.ndarray]:
    """The level of peak accuracy (first maximum in level order) and a mask of segment I (levels <= peak).

    Segment II is the complement: the levels after the peak (the paper's Table 3 split).
    """
    levels, accuracy = np.asarray(levels, float), np.asarray(accuracy, float)
    order = np.argsort(levels, kind="stable")
    peak = float(levels[order][int(np.nanargmax(accuracy[order]))])
    return peak, levels <= peak


class MultipleCorrelation(NamedTuple):
    """OLS of accuracy on factor levels: R = corr(y, y_hat), R^2, F-test, coefficients, note."""

    r: float
    r2: float
    f: float
    p: float
    n: int
    df_model: int
    df_resid: int
    coefficients: dict[str, float]
    note: str


def multiple_correlation(x: pd.DataFrame, y: np.ndarray) -> MultipleCorrelation:
    """Multiple correlation R of an OLS fit (statsmodels) of y on the columns of x, with its F-test p.

    Constant columns are dropped (they carry no information). An exact fit gives F = inf, p = 0.
    """
    y = np.asarray(y, float)
    x = x.loc[:, x.nunique() > 1].astype(float)
    n, k = len(y), x.shape[1]
    nan = MultipleCorrelation(np.nan, np.nan, np.nan, np.nan, n, k, n - k - 1, {}, "")
    if k == 0:
        return nan._replace(note="no factor varies")
    if n <= k + 1:
        return nan._replace(note=f"{n} runs for {k} factors: no residual degrees of freedom")
    if np.ptp(y) == 0:
        return nan._replace(note="constant accuracy: correlation undefined")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = sm.OLS(y, sm.add_constant(x.to_numpy()), hasconst=True).fit()
    fitted = np.asarray(fit.fittedvalues)
    r = float(np.corrcoef(y, fitted)[0, 1]) if np.ptp(fitted) > 0 else 0.0
    ssr, centered = float(fit.ssr), float(((y - y.mean()) ** 2).sum())
    if ssr <= 1e-12 * centered:
        f, p = np.inf, 0.0
    else:
        f, p = float(fit.fvalue), float(fit.f_pvalue)
    coefficients = dict(zip(x.columns, map(float, np.asarray(fit.params)[1:]), strict=True))
    return MultipleCorrelation(r, float(fit.rsquared), f, p, n, int(fit.df_model), int(fit.df_resid),
                               coefficients, "")


def main_effects(frame: pd.DataFrame, factors: list[str], response: str) -> pd.DataFrame:
    """Main effect of each factor: mean response at each of its levels (columns factor, level, mean, n)."""
    parts = []
    for factor in factors:
        grouped = frame.groupby(factor)[response].agg(["mean", "count"]).reset_index()
        parts.append(pd.DataFrame({"factor": factor, "level": grouped[factor].astype(float),
                                   "mean": grouped["mean"], "n": grouped["count"]}))
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
    data = frame[[*factors, response]].rename(columns={response: "y"})
    formula = "y ~ " + " + ".join(f"C({f})" for f in factors if data[f].nunique() > 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = anova_lm(ols(formula, data=data).fit(), typ=2)
    table = table.rename(columns={"PR(>F)": "p", "sum_sq": "sum_sq", "df": "df"})
    table.index = [i[2:-1] if i.startswith("C(") else i for i in table.index]
    table["mean_sq"] = table["sum_sq"] / table["df"]
    out = table.reset_index().rename(columns={"index": "term"})
    out["df"] = out["df"].astype(float)
    return out[["term", "df", "sum_sq", "mean_sq", "F", "p"]]
