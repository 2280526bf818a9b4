"""The paper's Tables 2-7 analogues from a per-model summary, and their CSV / Markdown / LaTeX files.

Every p-value column has a Holm-adjusted companion (p_holm) computed over all p-values of the
same table (one family per table, as the paper reports one table per research question), and a
`status` that says whether the row is significant, not significant, or not testable here (its
smallest attainable Holm p is above alpha, or the statistic is undefined).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...artifacts import atomic_write, write_csv
from ...runtime import derive_seed
from . import MULTI_FACTOR_SERIES, SINGLE_FACTOR_SERIES
from . import stats as st
from .io import TESTSET_LABELS, metric_columns, series_rows


@dataclass(frozen=True)
class Settings:
    """Analysis settings: bootstrap resamples and seed, CI confidence, significance level."""

    bootstrap_resamples: int = 2000
    seed: int = 0
    confidence: float = 0.95
    alpha: float = 0.05

    @classmethod
    def from_params(cls, stats: dict) -> Settings:
        """From a rule's `stats` param (the analysis keys it carries; defaults for the rest)."""
        d = cls()
        return cls(int(stats.get("bootstrap_resamples", d.bootstrap_resamples)), int(stats.get("seed", d.seed)),
                   float(stats.get("confidence", d.confidence)), float(stats.get("alpha", d.alpha)))


def _correlation_row(x: np.ndarray, y: np.ndarray, settings: Settings, *seed_parts: object) -> dict:
    corr = st.spearman(x, y)
    lo, hi = st.bootstrap_spearman_ci(x, y, settings.bootstrap_resamples,
                                      derive_seed(settings.seed, *seed_parts), settings.confidence)
    mean, var = st.mean_variance(y)
    notes = [corr.note] if corr.note else []
    if not np.isnan(corr.r) and corr.n < st.MIN_BOOTSTRAP_N:
        notes.append(f"bootstrap interval not estimable at n < {st.MIN_BOOTSTRAP_N}")
    elif not np.isnan(lo) and lo == hi:
        notes.append(f"every bootstrap resample gives r = {format_value(lo)}: zero-width interval")
    return {"n": corr.n, "r": corr.r, "strength": st.strength(corr.r), "p": corr.p, "p_method": corr.method,
            "p_min": corr.p_min, "ci_low": lo, "ci_high": hi, "mean": mean, "variance_ddof1": var,
            "note": "; ".join(notes)}


def row_status(p_holm: float, alpha: float, n: int, note: str = "", p_min: float = np.nan,
                p_holm_min: float = np.nan) -> str:
    """'significant' / 'not significant' at alpha on the Holm p, or 'not testable (why)' when the statistic
    is undefined or even the attainable minimum p cannot reach alpha after Holm."""
    if np.isnan(p_holm):
        return f"not testable ({note or 'statistic undefined'})"
    if not np.isnan(p_holm_min) and p_holm_min >= alpha:
        return (f"not testable (n={n}, attainable p >= {p_min:.2g}, "
                f"Holm p >= {p_holm_min:.2g} at alpha = {alpha:g})")
    return "significant" if p_holm < alpha else "not significant"


def _with_holm(rows: list[dict], columns: list[str], alpha: float) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    frame["p_holm"] = st.holm(frame["p"].to_numpy(float))
    if "p_min" in frame:
        frame["p_holm_min"] = st.holm_attainable(frame["p"].to_numpy(float), frame["p_min"].to_numpy(float))
    bound = frame["p_holm_min"] if "p_holm_min" in frame else pd.Series(np.nan, index=frame.index)
    p_min = frame["p_min"] if "p_min" in frame else pd.Series(np.nan, index=frame.index)
    frame["status"] = [row_status(float(h), alpha, int(n), str(note), float(m), float(b))
                       for h, n, note, m, b in zip(frame["p_holm"], frame["n"], frame["note"].fillna(""), p_min,
                                                   bound, strict=True)]
    return frame


SPEARMAN_COLUMNS = ["architecture", "testset", "factor", "n", "r", "strength", "p", "p_method", "p_min", "p_holm",
                    "p_holm_min", "status", "ci_low", "ci_high", "mean", "variance_ddof1", "note"]


def spearman_table(summary: pd.DataFrame, series: str, settings: Settings) -> pd.DataFrame:
    """Tables 2, 4, 5 analogue: Spearman r, p, Holm p, bootstrap CI, mean, variance per (arch, test set)."""
    factor = SINGLE_FACTOR_SERIES[series]
    data = series_rows(summary, series)
    rows = []
    for arch, group in data.groupby("architecture", sort=False):
        x = group[factor].to_numpy(float)
        for testset in metric_columns(group.dropna(axis=1, how="all")):
            row = _correlation_row(x, group[testset].to_numpy(float), settings, series, arch, testset)
            rows.append({"architecture": arch, "testset": testset, "factor": factor, **row})
    return _with_holm(rows, SPEARMAN_COLUMNS, settings.alpha)


SEGMENT_COLUMNS = ["architecture", "segment", "level_min", "level_max", "peak_level", "testset",
                   *SPEARMAN_COLUMNS[SPEARMAN_COLUMNS.index("n"):]]


def segments_table(summary: pd.DataFrame, series: str, settings: Settings,
                   split_on: str = "fgsm_benchmark") -> pd.DataFrame:
    """Table 3 analogue: the series split at the peak of `split_on` accuracy per architecture.

    Segment I holds the levels up to and including the peak, segment II those after it; a
    segment too short for a correlation reports NaN with a note.
    """
    factor = SINGLE_FACTOR_SERIES[series]
    data = series_rows(summary, series)
    rows = []
    for arch, group in data.groupby("architecture", sort=False):
        x = group[factor].to_numpy(float)
        peak, first = st.peak_split(x, group[split_on].to_numpy(float))
        for name, mask in (("I", first), ("II", ~first)):
            seg = group[mask]
            levels = seg[factor].to_numpy(float)
            for testset in metric_columns(group.dropna(axis=1, how="all")):
                if len(seg):
                    row = _correlation_row(levels, seg[testset].to_numpy(float), settings,
                                           series, arch, name, testset)
                else:
                    row = {"n": 0, "r": np.nan, "strength": "", "p": np.nan, "p_method": "", "p_min": np.nan,
                           "ci_low": np.nan, "ci_high": np.nan, "mean": np.nan, "variance_ddof1": np.nan,
                           "note": "empty segment: the peak is at the last level"}
                rows.append({"architecture": arch, "segment": name,
                             "level_min": levels.min() if len(levels) else np.nan,
                             "level_max": levels.max() if len(levels) else np.nan,
                             "peak_level": peak, "testset": testset, **row})
    return _with_holm(rows, SEGMENT_COLUMNS, settings.alpha)


MULTI_COLUMNS = ["architecture", "testset", "factors", "n", "R", "strength", "R2", "F", "df_model", "df_resid",
                 "p", "p_holm", "status", "note"]


def multiple_correlation_table(summary: pd.DataFrame, series: str, alpha: float = Settings.alpha) -> pd.DataFrame:
    """Tables 6, 7 analogue: multiple correlation R of OLS accuracy ~ factor levels, with the F-test p.

    `status` compares the Holm p with alpha (pass the analysis settings' alpha).
    """
    factors = list(MULTI_FACTOR_SERIES[series])
    data = series_rows(summary, series)
    rows = []
    for arch, group in data.groupby("architecture", sort=False):
        for testset in metric_columns(group.dropna(axis=1, how="all")):
            fit = st.multiple_correlation(group[factors], group[testset].to_numpy(float))
            rows.append({"architecture": arch, "testset": testset, "factors": "+".join(factors), "n": fit.n,
                         "R": fit.r, "strength": st.strength(fit.r), "R2": fit.r2, "F": fit.f,
                         "df_model": fit.df_model, "df_resid": fit.df_resid,
                         "p": fit.p, "note": fit.note})
    return _with_holm(rows, MULTI_COLUMNS, alpha)


def coefficient_table(summary: pd.DataFrame, series: str) -> pd.DataFrame:
    """OLS slopes of accuracy on each factor level (the sign of each factor's linear effect)."""
    factors = list(MULTI_FACTOR_SERIES[series])
    data = series_rows(summary, series)
    rows = []
    for arch, group in data.groupby("architecture", sort=False):
        for testset in metric_columns(group.dropna(axis=1, how="all")):
            fit = st.multiple_correlation(group[factors], group[testset].to_numpy(float))
            for factor in factors:
                rows.append({"architecture": arch, "testset": testset, "factor": factor,
                             "slope": fit.coefficients.get(factor, np.nan)})
    return pd.DataFrame(rows, columns=["architecture", "testset", "factor", "slope"])


def _per_arch_testset(summary: pd.DataFrame, series: str, build) -> pd.DataFrame:
    factors = list(MULTI_FACTOR_SERIES[series])
    data = series_rows(summary, series)
    parts = []
    for arch, group in data.groupby("architecture", sort=False):
        for testset in metric_columns(group.dropna(axis=1, how="all")):
            part = build(group, factors, testset)
            part.insert(0, "testset", testset)
            part.insert(0, "architecture", arch)
            parts.append(part)
    return pd.concat(parts, ignore_index=True)


def main_effects_table(summary: pd.DataFrame, series: str) -> pd.DataFrame:
    """Main effects of the orthogonal design: mean accuracy per factor level, per (arch, test set)."""
    return _per_arch_testset(summary, series, st.main_effects)


def effect_range_table(summary: pd.DataFrame, series: str) -> pd.DataFrame:
    """Range of each factor's level means (the orthogonal-design effect size) and its rank."""
    return _per_arch_testset(summary, series, lambda g, f, t: st.effect_ranges(st.main_effects(g, f, t)))


def anova_table(summary: pd.DataFrame, series: str) -> pd.DataFrame:
    """Type-II ANOVA of accuracy on the factors (categorical main effects), per (arch, test set)."""
    return _per_arch_testset(summary, series, st.anova)


# ---------------------------------------------------------------------------------------- rendering


def format_value(value: object) -> str:
    """A table cell: 4 significant digits, scientific below 1e-3, 'NaN' for missing, text unchanged."""
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "inf"
        if value != 0 and abs(value) < 1e-3:
            return f"{value:.3e}"
        return f"{value:.4g}"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return "" if value is None or (isinstance(value, str) and value == "") else str(value)


def _formatted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(lambda col: col.map(format_value)).astype(str)


def to_markdown(frame: pd.DataFrame, title: str, notes: list[str]) -> str:
    """A Markdown page: heading, pipe table, notes."""
    body = _formatted(frame).to_markdown(index=False, disable_numparse=True)
    return "\n".join([f"# {title}", "", body, "", *[f"- {n}" for n in notes], ""])


def _tex_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"), ("#", r"\#"),
                 ("^", r"\^{}"), ("$", r"\$")):
        text = text.replace(a, b)
    return text


def to_latex(frame: pd.DataFrame, title: str, notes: list[str], label: str) -> str:
    """A LaTeX table (booktabs) with the title and notes as its caption."""
    cells = _formatted(frame)
    header = " & ".join(_tex_escape(c) for c in cells.columns) + r" \\"
    lines = [" & ".join(_tex_escape(v) for v in row) + r" \\" for row in cells.itertuples(index=False)]
    caption = _tex_escape(title + ". " + " ".join(notes))
    return "\n".join([r"\begin{table}[htbp]", r"\centering", r"\scriptsize",
                      rf"\caption{{{caption}}}", rf"\label{{tab:{_tex_escape(label)}}}",
                      r"\begin{tabular}{" + "l" * len(cells.columns) + "}", r"\toprule", header, r"\midrule",
                      *lines, r"\bottomrule", r"\end{tabular}", r"\end{table}", ""])


def write_table(frame: pd.DataFrame, stem: str | Path, title: str, notes: list[str]) -> list[Path]:
    """Write `stem`.csv (full precision), .md and .tex atomically; return the three paths."""
    stem = Path(stem)
    paths = [stem.with_suffix(s) for s in (".csv", ".md", ".tex")]
    write_csv(paths[0], frame)
    atomic_write(paths[1], lambda tmp: tmp.write_text(to_markdown(frame, title, notes)))
    atomic_write(paths[2], lambda tmp: tmp.write_text(to_latex(frame, title, notes, stem.name)))
    return paths


def table_notes(settings: Settings) -> list[str]:
    """Notes shared by the correlation tables (what each column means)."""
    return [
        "Accuracy of a model on a benchmark is the mean over its perturbation levels; with several seeds, "
        "the mean over seeds.",
        "r: Spearman rank correlation (scipy) between the training perturbation level and accuracy; strength: "
        "the paper's band of |r| (section 2.4: >= 0.95 very high (the paper: 'significant'), >= 0.8 high, "
        ">= 0.5 moderate, >= 0.3 low, below weak or none).",
        f"p: two-sided; p_method exact = the permutation distribution over all n! pairings (n <= {st.EXACT_MAX_N}), "
        "asymptotic = scipy's t-approximation (larger n), floored at p_min. A p is never 0.",
        "p_min: the smallest p any data with this n (and these ties) can give: 2/n! without ties "
        "(n = 3: 0.33, n = 4: 0.083, n = 5: 0.017).",
        f"p_holm: Holm-adjusted p over every p-value of this table; significant at alpha = {settings.alpha}. "
        "p_holm_min: the Holm p of the row had its p been p_min (the other rows as observed).",
        "status: significant / not significant on p_holm; 'not testable' when p_holm_min >= alpha (no data of "
        "this n could be significant in this table) or the statistic is undefined.",
        f"ci_low, ci_high: {settings.confidence:.0%} percentile bootstrap interval of r "
        f"({settings.bootstrap_resamples} resamples of (level, accuracy) pairs, seed {settings.seed}); NaN "
        f"(not estimable) below n = {st.MIN_BOOTSTRAP_N}, where a resample of n points often holds 2 distinct "
        "points or fewer and the interval collapses to [1, 1] or spans [-1, 1].",
        "mean, variance_ddof1: mean and sample variance (ddof = 1) of accuracy over the models of the series.",
        "NaN: statistic undefined (see note).",
    ]


def _count(values: pd.Series) -> str:
    lo, hi = float(values.min()), float(values.max())
    return format_value(lo) if lo == hi else f"{format_value(lo)}-{format_value(hi)}"


def exclusion_notes(curves: pd.DataFrame, testset: str = "fgsm_benchmark") -> list[str]:
    """One note per architecture whose `testset` levels exclude samples (from `io.level_curves`): the images
    excluded at each such level; none when every level keeps every image. A range spans the models."""
    notes = []
    part = curves[curves["testset"] == testset]
    for arch, group in part.groupby("architecture", sort=False):
        hit = group[group["excluded"] > 0]
        if hit.empty:
            continue
        levels = "; ".join(f"L2 = {format_value(float(level))}: {_count(rows['excluded'])} of "
                           f"{_count(rows['n_test'])}" for level, rows in hit.groupby("level"))
        notes.append(f"{TESTSET_LABELS.get(testset, testset)}, {arch}: test images a level cannot reach are "
                     f"excluded there ({levels}); each level's accuracy is over the images it keeps, and the "
                     "benchmark accuracy is the unweighted mean over levels (benchmark_levels.csv: n, excluded).")
    return notes


def multi_notes(series: str, settings: Settings) -> list[str]:
    factors = " + ".join(MULTI_FACTOR_SERIES[series])
    return [f"R = corr(y, y_hat) of the OLS fit (statsmodels) accuracy ~ {factors} (factor levels as numbers); "
            "p: the fit's F-test.",
            f"p_holm: Holm-adjusted over this table; status: significant at alpha = {settings.alpha} or not "
            "(not testable: the fit is undefined, see note).",
            "strength: the paper's band of R (section 2.4: >= 0.95 very high, >= 0.8 high, >= 0.5 moderate, "
            ">= 0.3 low, below weak or none)."]
