"""Read evaluation CSVs and reduce them to one row per model: accuracy per test set, factor levels.

An evaluation CSV has one row per (test set, benchmark level). The benchmark number the paper
reports (its single MNIST-C / MNIST-A value) is the mean accuracy over the levels, which we
compute here from the per-level rows; any pre-computed mean rows (a non-numeric
benchmark_level such as "mean") are ignored, so the result does not depend on them. A level that
keeps no image (n = 0) has no accuracy (NaN) and is left out of that mean, as the evaluation does.
Seeds are replicates: `summarize_seeds` keeps one row per model and seed, `summarize` is its mean over seeds, and
`seed_spread` / `level_curves` give the spread and t-interval across seeds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ...errors import ConfigError, DataError
from ..series import FACTORS
from . import CLEAN_SERIES, SINGLE_FACTOR_SERIES
from .stats import t_interval

KEY_COLUMNS = ("architecture", "series", "set")
REQUIRED_COLUMNS = ("architecture", "series", "set", "seed", "testset", "benchmark_level", "accuracy", "n",
                    *FACTORS)
# Test sets in the order tables show them; others found in the data follow in sorted order.
TESTSET_ORDER = ("train", "test", "gaussian_benchmark", "fgsm_benchmark", "whitebox_fgsm", "whitebox_pgd_l2")
# Test sets built by the equal-L2 construction: a level keeps only the test images it can reach.
EQUAL_L2_TESTSETS = ("gaussian_benchmark", "fgsm_benchmark", "whitebox_fgsm")
LEVEL_CONFIDENCE = 0.95
"""Confidence of benchmark_levels.csv's interval across seeds (analysis_summary reads no config)."""
TESTSET_LABELS = {
    "train": "Train",
    "test": "Clean test",
    "gaussian_benchmark": "Gaussian benchmark (MNIST-C)",
    "fgsm_benchmark": "FGSM benchmark (MNIST-A)",
    "whitebox_fgsm": "White-box FGSM",
    "whitebox_pgd_l2": "White-box PGD-L2",
}


def read_evaluations(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Concatenate evaluation CSVs, checking each exists and holds every required column."""
    frames = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise DataError(f"{path}: evaluation CSV not found; run the evaluation rule that writes it first.")
        frame = pd.read_csv(path)
        missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
        if missing:
            raise DataError(
                f"{path}: missing column(s) {missing}; an evaluation CSV needs {list(REQUIRED_COLUMNS)} "
                "(factor levels 0 where absent). Re-run the evaluation rule with the current code."
            )
        if frame.empty:
            raise DataError(f"{path}: no rows; delete it and re-run the evaluation rule.")
        frames.append(frame)
    if not frames:
        raise DataError("no evaluation CSVs given; the config selects no models")
    data = pd.concat(frames, ignore_index=True)
    data["set"] = data["set"].astype(str)
    data["level"] = pd.to_numeric(data["benchmark_level"], errors="coerce")
    bad = (data["accuracy"].isna() & (data["n"] != 0)) | (data["accuracy"] < 0) | (data["accuracy"] > 1)
    if bad.any():
        row = data[bad].iloc[0]
        raise DataError(f"accuracy must lie in [0, 1] (NaN only where n = 0); got {row['accuracy']!r} for "
                        f"{row['architecture']}/{row['series']}/{row['set']} seed {row['seed']} ({row['testset']})")
    return data


def _per_level_rows(data: pd.DataFrame) -> pd.DataFrame:
    """Rows to average per test set: the numeric-level rows where a test set has any, else all rows."""
    has_levels = data.groupby("testset")["level"].transform(lambda s: s.notna().any())
    return data[~has_levels | data["level"].notna()]


def ordered_testsets(names: Iterable[str]) -> list[str]:
    """Test-set names in table order: the known ones first, then any others sorted."""
    names = set(names)
    return [t for t in TESTSET_ORDER if t in names] + sorted(names - set(TESTSET_ORDER))


def summarize_seeds(data: pd.DataFrame) -> pd.DataFrame:
    """One row per trained model (training set and seed): factor levels and accuracy per test set (mean over
    levels). Seeds are the replicates the intervals across seeds are computed from."""
    keys = [*KEY_COLUMNS, "seed"]
    rows = _per_level_rows(data)
    per_seed = rows.groupby([*keys, "testset"], sort=False)["accuracy"].mean().unstack("testset")
    factors = data.groupby(keys, sort=False)[list(FACTORS)].first()
    out = factors.join(per_seed[ordered_testsets(per_seed.columns)]).reset_index()
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def seed_means(per_seed: pd.DataFrame) -> pd.DataFrame:
    """The per-model summary from `summarize_seeds`: one row per training set, n_seeds and the mean over seeds."""
    keys = list(KEY_COLUMNS)
    factors = per_seed.groupby(keys, sort=False)[list(FACTORS)].first()
    seeds = per_seed.groupby(keys, sort=False)["seed"].nunique().rename("n_seeds")
    means = per_seed.groupby(keys, sort=False)[metric_columns(per_seed)].mean()
    summary = factors.join(seeds).join(means).reset_index()
    return summary.sort_values(keys, kind="stable").reset_index(drop=True)


def summarize(data: pd.DataFrame) -> pd.DataFrame:
    """One row per training set: factor levels, seed count and accuracy per test set (mean over levels, seeds)."""
    return seed_means(summarize_seeds(data))


def seed_spread(per_seed: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per training set and test set, across its seeds: n_seeds (with an accuracy), mean, sd and the
    t-interval ci_low, ci_high (NaN with one seed). Long format, keyed by the summary's key columns."""
    keys = list(KEY_COLUMNS)
    long = per_seed.melt(id_vars=[*keys, "seed"], value_vars=metric_columns(per_seed), var_name="testset",
                         value_name="accuracy")
    out = long.groupby([*keys, "testset"], sort=False)["accuracy"].agg(n_seeds="count", mean="mean", sd="std")
    out = out.reset_index().join(per_seed.groupby(keys, sort=False)[list(FACTORS)].first(), on=keys)
    out["ci_low"], out["ci_high"] = t_interval(out["mean"], out["sd"], out["n_seeds"], confidence)
    return out


def level_curves(data: pd.DataFrame, confidence: float = LEVEL_CONFIDENCE) -> pd.DataFrame:
    """Per benchmark level, mean over seeds: accuracy, n (images evaluated), n_test and excluded; and the
    spread across seeds: accuracy_sd, n_seeds (seeds with an accuracy there), t-interval ci_low, ci_high.

    excluded = clean test images (the `test` row's n) - n on the equal-L2 test sets, whose levels keep
    only the samples they can reach; white-box PGD runs on a chosen subset, so its excluded is NaN. With one
    seed, accuracy_sd and the interval are NaN.
    """
    keys = [*KEY_COLUMNS, "seed"]
    test = data[data["testset"] == "test"].groupby(keys)["n"].max().rename("n_test")
    rows = data[data["level"].notna() & ~data["testset"].isin(["train", "test"])]
    per_seed = rows.groupby([*keys, "testset", "level"]).agg(accuracy=("accuracy", "mean"), n=("n", "mean"))
    per_seed = per_seed.reset_index().join(test, on=keys)
    if per_seed["n_test"].isna().any():
        row = per_seed[per_seed["n_test"].isna()].iloc[0]
        raise DataError(f"{row['architecture']}/{row['series']}/{row['set']} seed {row['seed']}: no 'test' row, so "
                        "the benchmark exclusions (test images - n) are unknown; re-run its evaluation rule.")
    equal_l2 = per_seed["testset"].isin(EQUAL_L2_TESTSETS)
    per_seed["excluded"] = (per_seed["n_test"] - per_seed["n"]).where(equal_l2)
    columns = {"accuracy": "mean", "n": "mean", "n_test": "mean", "excluded": "mean"}
    grouped = per_seed.groupby([*KEY_COLUMNS, "testset", "level"])
    out = grouped.agg(columns).join(grouped["accuracy"].agg(accuracy_sd="std", n_seeds="count")).reset_index()
    out["ci_low"], out["ci_high"] = t_interval(out["accuracy"], out["accuracy_sd"], out["n_seeds"], confidence)
    return out


def metric_columns(summary: pd.DataFrame) -> list[str]:
    """The accuracy columns of a summary or per-seed summary (its test sets)."""
    skip = {*KEY_COLUMNS, *FACTORS, "n_seeds", "seed"}
    return ordered_testsets(c for c in summary.columns if c not in skip)


def series_rows(summary: pd.DataFrame, series: str) -> pd.DataFrame:
    """A series' models; a single-factor series gains its architecture's clean model at the clean level.

    The clean model joins at its own factor level (0 for added perturbations and label errors, the
    clean set's class imbalance for RQ3) unless the series already has a set at that level.
    """
    rows = summary[summary["series"] == series]
    factor = SINGLE_FACTOR_SERIES.get(series)
    if factor is None:
        return rows.reset_index(drop=True)
    extra = []
    for arch, clean in summary[summary["series"] == CLEAN_SERIES].groupby("architecture"):
        own = rows[rows["architecture"] == arch]
        if len(own) and not (own[factor] == clean[factor].iloc[0]).any():
            extra.append(clean)
    out = pd.concat([rows, *extra], ignore_index=True) if extra else rows
    return out.sort_values(["architecture", factor], kind="stable").reset_index(drop=True)


def choose_level_models(summary: pd.DataFrame, selection: list[Mapping[str, Any]] | None) -> pd.DataFrame:
    """The models of the accuracy-vs-level figure: configured {series, level} items, or clean plus each
    single-factor series' middle and highest level (at most 8 models)."""
    picks: list[tuple[str, float | None]] = []
    if selection:
        picks = [(item["series"], item.get("level")) for item in selection]
    else:
        picks.append(("clean", None))
        for series, factor in SINGLE_FACTOR_SERIES.items():
            levels = sorted(set(summary.loc[summary["series"] == series, factor]))
            if levels:
                picks += [(series, levels[len(levels) // 2]), (series, levels[-1])]
        picks = list(dict.fromkeys(picks))[:8]
    chosen = []
    for series, level in picks:
        rows = summary[summary["series"] == series]
        factor = SINGLE_FACTOR_SERIES.get(series)
        if level is not None and factor is not None:
            rows = rows[(rows[factor] - float(level)).abs() < 1e-9]
        if rows.empty:
            raise ConfigError(f"analysis.level_curve_models: no model of series {series!r}"
                              + (f" at level {level}" if level is not None else "")
                              + "; pick a series and level the config trains")
        label = "clean" if series == "clean" else f"{series} {factor or 'level'}={level:g}" if level is not None \
            else series
        chosen.append(rows.assign(model=label)[["architecture", "series", "set", "model"]])
    return pd.concat(chosen, ignore_index=True).drop_duplicates(["architecture", "series", "set"])


def read_summary(path: str | Path, series: str | None = None) -> pd.DataFrame:
    """The per-model summary CSV (set ids as strings); with `series`, check that it has models."""
    frame = pd.read_csv(path)
    frame["set"] = frame["set"].astype(str)
    if series is not None and not (frame["series"] == series).any():
        raise DataError(f"series {series!r} has no models in the summary; check the config's series and the "
                        "evaluation CSVs")
    return frame


def read_level_curves(path: str | Path) -> pd.DataFrame:
    """The per-level benchmark curves CSV (set ids as strings)."""
    frame = pd.read_csv(path)
    frame["set"] = frame["set"].astype(str)
    return frame
