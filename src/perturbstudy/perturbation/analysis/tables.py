"""The paper's Tables 2-7 analogues from a per-model summary, and their CSV / Markdown / LaTeX files.

Every p-value column has a Holm-adjusted companion (p_holm) computed over all p-values of the
same table (one family per table, as the paper reports one table per research question), and a
`status` that says whether the row is significant, not significant, or not testable here (its
smallest attainable Holm p is above alpha, or the statistic is undefined).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...artifacts import atomic_write, write_csv
from ...runtime import derive_seed
from . import MULTI_FACTOR_SERIES, SINGLE_FACTOR_SERIES
from . import stats as st
from .io import KEY_COLUMNS, TESTSET_LABELS, metric_columns, ordered_testsets, seed_spread, series_rows


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


def seed_matrix(per_seed: pd.DataFrame | None, group: pd.DataFrame, testset: str) -> pd.DataFrame | None:
    """Accuracy on `testset` per model of `group` (rows, in its order) and seed (columns), from a per-seed
    summary (`io.summarize_seeds`); None without one."""
    if per_seed is None or testset not in per_seed:
        return None
    wide = per_seed.set_index([*KEY_COLUMNS, "seed"])[testset].unstack("seed")
    return wide.reindex(pd.MultiIndex.from_frame(group[list(KEY_COLUMNS)]))


def _levels_method(counts: np.ndarray | None) -> str:
    """ci_method of the pairs-of-levels bootstrap: why the seed noise could not be used."""
    if counts is None:
        return "levels"
    return "levels (one seed)" if counts.max(initial=0) <= 1 else "levels (a level has one seed)"


def _r_interval(x: np.ndarray, y: np.ndarray, seeds: pd.DataFrame | None, settings: Settings,
                seed: int) -> tuple[float, float, str]:
    """(ci_low, ci_high, ci_method) of r: a parametric bootstrap of the pooled seed noise when every level has
    >= 2 seeds (`st.seed_noise_spearman_ci`), else (level, accuracy) pairs resampled."""
    counts = None if seeds is None else seeds.notna().sum(axis=1).to_numpy()
    if counts is not None and len(counts) and counts.min() >= 2:
        groups = [row[~np.isnan(row)] for row in seeds.to_numpy(float)]
        lo, hi = st.seed_noise_spearman_ci(x, groups, settings.bootstrap_resamples, seed, settings.confidence)
        return lo, hi, f"seed noise ({_count(pd.Series(counts))} seeds, pooled t)"
    lo, hi = st.bootstrap_spearman_ci(x, y, settings.bootstrap_resamples, seed, settings.confidence)
    return lo, hi, _levels_method(counts)


def _series_mean_interval(seeds: pd.DataFrame | None, confidence: float) -> dict:
    """n_seeds (seeds every model has) and the t-interval across them of the series mean accuracy (per seed:
    the mean over the models); NaN with one seed or without per-seed data."""
    if seeds is None:
        return {"n_seeds": np.nan, "mean_ci_low": np.nan, "mean_ci_high": np.nan}
    n, _, _, lo, hi = st.replicate_interval(seeds.dropna(axis=1, how="any").mean(axis=0).to_numpy(float),
                                            confidence)
    return {"n_seeds": n, "mean_ci_low": lo, "mean_ci_high": hi}


def _correlation_row(x: np.ndarray, y: np.ndarray, settings: Settings, *seed_parts: object,
                     seeds: pd.DataFrame | None = None) -> dict:
    """Spearman r and p, the interval of r (`_r_interval`), mean and variance of y and, with `seeds` (models x
    seeds, rows in x's order), the t-interval across seeds of the series mean."""
    corr = st.spearman(x, y)
    lo, hi, method = _r_interval(x, y, seeds, settings, derive_seed(settings.seed, *seed_parts))
    mean, var = st.mean_variance(y)
    notes = [corr.note] if corr.note else []
    if not np.isnan(corr.r) and corr.n < st.MIN_BOOTSTRAP_N and method.startswith("levels"):
        notes.append(f"bootstrap interval not estimable at n < {st.MIN_BOOTSTRAP_N}")
    elif not np.isnan(lo) and lo == hi:
        notes.append(f"every bootstrap resample gives r = {format_value(lo)}: zero-width interval")
    return {"n": corr.n, "r": corr.r, "strength": st.strength(corr.r), "p": corr.p, "p_method": corr.method,
            "p_min": corr.p_min, "ci_low": lo, "ci_high": hi, "ci_method": method, "mean": mean,
            **_series_mean_interval(seeds, settings.confidence), "variance_ddof1": var, "note": "; ".join(notes)}


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
                    "p_holm_min", "status", "ci_low", "ci_high", "ci_method", "n_seeds", "mean", "mean_ci_low",
                    "mean_ci_high", "variance_ddof1", "note"]


def spearman_table(summary: pd.DataFrame, series: str, settings: Settings,
                   seeds: pd.DataFrame | None = None) -> pd.DataFrame:
    """Tables 2, 4, 5 analogue: Spearman r, p, Holm p, bootstrap CI, mean, variance per (arch, test set).

    With `seeds` (the per-seed summary, `io.summarize_seeds`) the seeds are replicates: the interval of r
    redraws each level's mean from the pooled seed noise and the series mean gets a t-interval across seeds
    (see `_correlation_row`).
    """
    factor = SINGLE_FACTOR_SERIES[series]
    data = series_rows(summary, series)
    rows = []
    for arch, group in data.groupby("architecture", sort=False):
        x = group[factor].to_numpy(float)
        for testset in metric_columns(group.dropna(axis=1, how="all")):
            row = _correlation_row(x, group[testset].to_numpy(float), settings, series, arch, testset,
                                   seeds=seed_matrix(seeds, group, testset))
            rows.append({"architecture": arch, "testset": testset, "factor": factor, **row})
    return _with_holm(rows, SPEARMAN_COLUMNS, settings.alpha)


LEVEL_COLUMNS = ["architecture", "testset", "factor", "level", "n_seeds", "mean", "sd", "ci_low", "ci_high"]


def levels_table(per_seed: pd.DataFrame, series: str, confidence: float = Settings.confidence) -> pd.DataFrame:
    """Per (architecture, test set, level) of a single-factor series (the clean model at its own level): mean
    accuracy over seeds, sd, n_seeds and the t-interval across seeds (NaN with one seed)."""
    factor = SINGLE_FACTOR_SERIES[series]
    rows = series_rows(per_seed, series)
    spread = seed_spread(rows, confidence)
    spread = spread[spread["n_seeds"] > 0].assign(factor=factor, level=spread[factor].astype(float))
    arch_order = {a: i for i, a in enumerate(dict.fromkeys(rows["architecture"]))}
    test_order = {t: i for i, t in enumerate(ordered_testsets(spread["testset"]))}
    keys = pd.DataFrame({"a": spread["architecture"].map(arch_order), "t": spread["testset"].map(test_order),
                         "l": spread["level"]})
    return spread.loc[keys.sort_values(["a", "t", "l"], kind="stable").index, LEVEL_COLUMNS].reset_index(drop=True)


SEGMENT_COLUMNS = ["architecture", "segment", "level_min", "level_max", "peak_level", "testset",
                   *SPEARMAN_COLUMNS[SPEARMAN_COLUMNS.index("n"):]]


def segments_table(summary: pd.DataFrame, series: str, settings: Settings,
                   split_on: str = "fgsm_benchmark", seeds: pd.DataFrame | None = None,
                   split_at: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Table 3 analogue: the series split at the peak of `split_on` accuracy per architecture.

    Segment I holds the levels up to and including the peak, segment II those after it; a
    segment too short for a correlation reports NaN with a note. `seeds` as in `spearman_table`.
    `split_at` (architecture -> level) fixes the split in advance instead, e.g. at the paper's peaks: a split
    chosen at the data's own maximum makes 'rises, then falls' more likely than its p says.
    """
    factor = SINGLE_FACTOR_SERIES[series]
    data = series_rows(summary, series)
    rows = []
    for arch, group in data.groupby("architecture", sort=False):
        x = group[factor].to_numpy(float)
        if split_at is not None and arch in split_at:
            peak, first = float(split_at[arch]), x <= float(split_at[arch])
        else:
            peak, first = st.peak_split(x, group[split_on].to_numpy(float))
        for name, mask in (("I", first), ("II", ~first)):
            seg = group[mask]
            levels = seg[factor].to_numpy(float)
            for testset in metric_columns(group.dropna(axis=1, how="all")):
                if len(seg):
                    row = _correlation_row(levels, seg[testset].to_numpy(float), settings,
                                           series, arch, name, testset, seeds=seed_matrix(seeds, seg, testset))
                else:
                    row = {"n": 0, "r": np.nan, "strength": "", "p": np.nan, "p_method": "", "p_min": np.nan,
                           "ci_low": np.nan, "ci_high": np.nan, "ci_method": "", "n_seeds": np.nan, "mean": np.nan,
                           "mean_ci_low": np.nan, "mean_ci_high": np.nan, "variance_ddof1": np.nan,
                           "note": "empty segment: the peak is at the last level"}
                rows.append({"architecture": arch, "segment": name,
                             "level_min": levels.min() if len(levels) else np.nan,
                             "level_max": levels.max() if len(levels) else np.nan,
                             "peak_level": peak, "testset": testset, **row})
    return _with_holm(rows, SEGMENT_COLUMNS, settings.alpha)


MULTI_COLUMNS = ["architecture", "testset", "factors", "n", "R", "strength", "R2", "ci_low", "ci_high", "F",
                 "df_model", "df_resid", "p", "p_holm", "status", "note"]

DEFAULT_SETTINGS = Settings()


def _fits(summary: pd.DataFrame, series: str, settings: Settings):
    """(arch, test set, factors, OLS fit) for every architecture and test set of a multi-factor series."""
    factors = list(MULTI_FACTOR_SERIES[series])
    data = series_rows(summary, series)
    for arch, group in data.groupby("architecture", sort=False):
        for testset in metric_columns(group.dropna(axis=1, how="all")):
            fit = st.multiple_correlation(group[factors], group[testset].to_numpy(float), settings.confidence)
            yield arch, testset, factors, fit


def multiple_correlation_table(summary: pd.DataFrame, series: str, settings: Settings) -> pd.DataFrame:
    """Tables 6, 7 analogue: multiple correlation R of OLS accuracy ~ factor levels, the interval of the
    population R from the noncentral F (`st.multiple_correlation_ci`) and the F-test p (the paper's joint
    statistic; per-factor claims use `coefficient_table`)."""
    rows = []
    for arch, testset, factors, fit in _fits(summary, series, settings):
        lo, hi = st.multiple_correlation_ci(fit.f, fit.df_model, fit.df_resid, fit.n, settings.confidence)
        note = fit.note
        if np.isnan(lo) and np.isfinite(fit.f):
            note = f"F = {format_value(fit.f)}: beyond the noncentral F scipy evaluates, interval of R not computed"
        rows.append({"architecture": arch, "testset": testset, "factors": "+".join(factors), "n": fit.n,
                     "R": fit.r, "strength": st.strength(fit.r), "R2": fit.r2, "ci_low": lo, "ci_high": hi,
                     "F": fit.f, "df_model": fit.df_model, "df_resid": fit.df_resid, "p": fit.p, "note": note})
    return _with_holm(rows, MULTI_COLUMNS, settings.alpha)


COEFFICIENT_COLUMNS = ["architecture", "testset", "factor", "n", "slope", "se", "t", "df_resid", "p", "ci_low",
                       "ci_high", "p_holm", "status", "note"]


def coefficient_table(summary: pd.DataFrame, series: str, settings: Settings = DEFAULT_SETTINGS) -> pd.DataFrame:
    """Each factor's own OLS coefficient (slope per unit level) with its t-test and interval, from the same
    fit as R: the statistic for a claim about one factor. Holm over the whole table."""
    rows = []
    for arch, testset, factors, fit in _fits(summary, series, settings):
        for factor in factors:
            test = fit.tests.get(factor, st.NAN_COEFFICIENT)
            dropped = factor not in fit.tests and not fit.note
            note = "factor constant in these runs" if dropped else fit.note
            rows.append({"architecture": arch, "testset": testset, "factor": factor, "n": fit.n,
                         **test._asdict(), "df_resid": fit.df_resid, "note": note})
    return _with_holm(rows, COEFFICIENT_COLUMNS, settings.alpha)


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


def main_effects_table(summary: pd.DataFrame, series: str, settings: Settings = DEFAULT_SETTINGS) -> pd.DataFrame:
    """Main effects of the orthogonal design: mean accuracy per factor level with its interval (pooled
    residual error of the additive model), per (arch, test set)."""
    return _per_arch_testset(summary, series, lambda g, f, t: st.main_effects(g, f, t, settings.confidence))


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
        f"({settings.bootstrap_resamples} resamples, seed {settings.seed}); ci_method says what is resampled. "
        "'seed noise (k seeds, pooled t)': the seeds are the replicates; their variance is pooled over the "
        "levels (df = sum of k - 1) and each resample draws every level's mean as mean + s / sqrt(k) t(df), the "
        "levels fixed (any n >= 3 has an interval); seed noise comparable to the gaps between level means "
        "pulls r and its interval toward 0. 'levels (one seed)': (level, accuracy) pairs are drawn; NaN "
        f"(not estimable) below n = {st.MIN_BOOTSTRAP_N}, where a resample of n points often holds 2 distinct "
        "points or fewer and the interval collapses to [1, 1] or spans [-1, 1].",
        "mean, variance_ddof1: mean and sample variance (ddof = 1) of accuracy over the models of the series.",
        f"n_seeds: seeds every model of the row has; mean_ci_low, mean_ci_high: {settings.confidence:.0%} "
        "t-interval across seeds of the series mean accuracy (per seed: the mean over the models; then mean "
        "-+ t(n_seeds - 1) sd / sqrt(n_seeds)); NaN with one seed.",
        "NaN: statistic undefined (see note).",
    ]


def _seed_counts(frame: pd.DataFrame) -> pd.Series:
    """The known values of a frame's n_seeds column (empty without one)."""
    return pd.to_numeric(frame["n_seeds"], errors="coerce").dropna() if "n_seeds" in frame else pd.Series()


def seed_notes(table: pd.DataFrame) -> list[str]:
    """'one seed: no interval across seeds' when a row of `table` (its n_seeds) has a single seed, else the
    seed count the intervals rest on; nothing without per-seed data (n_seeds all NaN)."""
    counts = _seed_counts(table)
    if counts.empty:
        return []
    if (counts < 2).any():
        return ["one seed: no interval across seeds (the interval columns across seeds are NaN; the interval of "
                "r, where given, resamples (level, accuracy) pairs)."]
    return [f"{_count(counts)} seeds per model: every interval rests on the spread across seeds."]


def runs_seed_note(data: pd.DataFrame) -> str:
    """How many seeds stand behind each run's accuracy in a multi-factor table (its `n_seeds` column)."""
    counts = _seed_counts(data)
    if counts.empty or (counts < 2).any():
        return "one seed: each run's accuracy is one model; no interval across seeds."
    return (f"{_count(counts)} seeds per run: each run's accuracy is the mean over its seeds, and the fit takes "
            "these means as its observations.")


def levels_notes(settings: Settings, table: pd.DataFrame) -> list[str]:
    """Notes of the per-level table (`levels_table`)."""
    return ["mean: accuracy of the model at this level of the series (a benchmark's accuracy: the mean over its "
            "perturbation levels), averaged over seeds; sd: its standard deviation across seeds (ddof = 1).",
            f"ci_low, ci_high: {settings.confidence:.0%} t-interval across seeds, mean -+ t(n_seeds - 1) "
            "sd / sqrt(n_seeds), not clipped to [0, 1]; NaN with one seed.", *seed_notes(table)]


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
    """Notes of the multiple-correlation table (what each column means)."""
    factors = " + ".join(MULTI_FACTOR_SERIES[series])
    return [f"R = corr(y, y_hat) of the OLS fit (statsmodels) accuracy ~ {factors} (factor levels as numbers); "
            "p: the fit's F-test (the paper's joint statistic; a claim about one factor uses that factor's "
            "coefficient test in the slopes table). A p is never 0 (an underflow is floored at 5e-324).",
            f"ci_low, ci_high: {settings.confidence:.0%} interval of the population R (fixed factor levels) "
            "from inverting the noncentral F of the fit's F statistic (Steiger & Fouladi 1997; MBESS ci.R2): "
            f"R^2 = lambda / (lambda + n) at the noncentralities lambda at which the observed F is the "
            f"{1 - (1 - settings.confidence) / 2:.4g} and {(1 - settings.confidence) / 2:.4g} quantile (0 when "
            "even lambda = 0 puts it lower). Not resampled; it can lie below R, which is biased upward in small "
            "designs (pure noise on 25 runs and 4 factors gives R near 0.4). NaN when the F-test is undefined.",
            "An exact fit (no residual variance) has R = 1 and F, p NaN: the F-test is undefined.",
            f"p_holm: Holm-adjusted over this table; status: significant at alpha = {settings.alpha} or not "
            "(not testable: the fit is undefined, see note).",
            "strength: the paper's band of R (section 2.4: >= 0.95 very high, >= 0.8 high, >= 0.5 moderate, "
            ">= 0.3 low, below weak or none)."]


def coefficient_notes(settings: Settings) -> list[str]:
    """Notes of the per-factor coefficient (slopes) table."""
    return ["slope: accuracy change per unit of the factor's level, from the same OLS fit as R; se, t, p: its "
            f"t-test on df_resid degrees of freedom; ci_low, ci_high: its {settings.confidence:.0%} t interval.",
            f"p_holm: Holm-adjusted over every slope of this table; status: significant at alpha = "
            f"{settings.alpha} or not (not testable: exact or undefined fit, see note)."]


def main_effect_notes(settings: Settings) -> list[str]:
    """Notes of the main-effects table."""
    return ["Mean accuracy over the runs at each level of a factor (orthogonal design: the other factors are "
            "balanced at every level).",
            f"se = sqrt(MSE / n), MSE on df_resid of the additive model accuracy ~ C(factor) + ...; ci_low, "
            f"ci_high: mean -+ t({settings.confidence:.0%}, df_resid) se; NaN without residual degrees of freedom."]
