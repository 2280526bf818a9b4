"""Paired comparisons of DPAAT with each baseline on the same test images (exact McNemar, Holm).

Every method and seed of the medical runs is evaluated on the same test images (one split for all runs), and
the runs of one CNN and seed start from the same initial weights, so DPAAT's and a baseline's predictions of
one test image in one seed form a pair. Per comparison (a CNN, or a CNN group pooled; a test set; a baseline):

- pairs: the (image, seed) pairs of the seeds both methods have, pooled across seeds; a group row pools the
  (image, seed, CNN) pairs of its CNNs (`tables.pooled_units`; seeds that every one of them has), and is
  skipped when it holds the same CNNs as a row already tested (a one-CNN group repeats that CNN's test);
- b = pairs DPAAT classifies correctly and the baseline does not, c = the reverse;
- p: the exact McNemar test, a two-sided binomial test of b successes in b + c trials at 1/2
  (`scipy.stats.binomtest`); p = 1 without discordant pairs. p_min = min(1, 2 / 2^(b + c)), the smallest p
  b + c discordant pairs can give;
- Holm over the family = every row of the comparisons table (every CNN and group, test set and baseline);
- verdict: Holm p < alpha: DPAAT better or worse (significant) by the sign of b - c; else not testable here
  when even the most extreme split of these discordant pairs could not reach alpha after Holm
  (`stats.holm_attainable`), else no significant difference;
- diff: accuracy of DPAAT minus the baseline's (percentage points) over the pooled pairs, = (b - c) / pairs,
  with the t-interval across seeds of the per-seed differences (NaN with one seed).

Scope: the pooled test treats the pairs as independent, but one image recurs in every seed (and CNN), so it
tests the difference on these test images for these trained models; the variability between training runs
is in the interval across seeds, not in p.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from ..artifacts import atomic_write, read_csvs, write_csv
from ..errors import DataError
from ..perturbation.analysis import stats as st
from .methods import METHOD_LABELS
from .tables import ALL, GROUPS, markdown, pooled_units

DPAAT = METHOD_LABELS["dpaat"]
CLEAN = "clean"
PREDICTION_COLUMNS = ["architecture", "method", "seed", "testset", "index", "label", "pred"]
BETTER = f"{DPAAT} better (significant)"
WORSE = f"{DPAAT} worse (significant)"
NO_DIFFERENCE = "no significant difference"
NOT_TESTABLE = "not testable here (too few discordant pairs)"
SEEDS_COVER_ZERO = "the interval across seeds covers 0: across training runs the difference is not established"
COLUMNS = ["architecture", "testset", "method", "baseline", "n_seeds", "n_pairs", "acc_method", "acc_baseline",
           "diff", "diff_ci_low", "diff_ci_high", "b_method_only", "c_baseline_only", "p", "p_min", "p_holm",
           "verdict", "note"]


def predictions_frame(labels: Mapping[str, object], y: np.ndarray,
                      predictions: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """One row per test set and test image of one model: its labels (architecture, method, seed), the test set,
    the image's position in the test split (`index`), its true class (`label`) and the predicted class (`pred`)."""
    y = np.asarray(y)
    parts = []
    for testset, pred in predictions.items():
        pred = np.asarray(pred)
        if pred.shape != y.shape:
            raise ValueError(f"{testset}: {pred.shape[0]} predictions for {y.shape[0]} test images")
        parts.append(pd.DataFrame({**{k: [v] * len(y) for k, v in labels.items()}, "testset": testset,
                                   "index": np.arange(len(y)), "label": y, "pred": pred}))
    return pd.concat(parts, ignore_index=True)[PREDICTION_COLUMNS]


def load_predictions(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Concatenate per-model predictions files; DataError when one lacks a column or repeats an image."""
    preds = read_csvs(paths, PREDICTION_COLUMNS, "predictions", "medical_evaluate",
                      {"architecture": str, "method": str, "testset": str})
    keys = ["architecture", "method", "seed", "testset", "index"]
    if preds.duplicated(keys).any():
        dup = preds[preds.duplicated(keys)].iloc[0]
        raise DataError(f"predictions: test image {dup['index']} of {dup['testset']} appears twice for "
                        f"{dup['architecture']} {dup['method']} seed {dup['seed']}")
    return preds


def mcnemar_exact(b: int, c: int) -> tuple[float, float]:
    """Exact McNemar test of b vs c discordant pairs: two-sided binomial p of b in b + c at 1/2, and the smallest p
    that b + c discordant pairs can give, min(1, 2 / 2^(b + c)); (1, 1) without discordant pairs. Both floored at
    `stats.P_FLOOR` (beyond about 1,070 discordant pairs 2 / 2^(b + c) underflows): a p is never 0."""
    b, c = int(b), int(c)
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be >= 0, got b={b}, c={c}")
    n = b + c
    if n == 0:
        return 1.0, 1.0
    p = min(1.0, float(binomtest(b, n, 0.5, alternative="two-sided").pvalue))
    return max(p, st.P_FLOOR), max(min(1.0, 2.0 * 0.5 ** n), st.P_FLOOR)


def paired_counts(preds: pd.DataFrame, archs: list[str], testset: str, method: str,
                  baseline: str) -> pd.DataFrame:
    """Per seed: pairs (the images of every CNN of `archs`), b (only `method` correct), c (only `baseline`
    correct) and each method's correct count, on `testset`. Images pair by (CNN, seed, index); only seeds where
    every CNN of `archs` has both methods count. DataError when paired runs disagree on the test images."""
    keys = ["architecture", "seed", "index"]
    sub = preds[(preds["testset"] == testset) & preds["architecture"].isin(archs)]
    ours = sub[sub["method"] == method][[*keys, "label", "pred"]]
    theirs = sub[sub["method"] == baseline][[*keys, "label", "pred"]]
    runs = (set(map(tuple, ours[["architecture", "seed"]].drop_duplicates().to_numpy()))
            & set(map(tuple, theirs[["architecture", "seed"]].drop_duplicates().to_numpy())))
    seeds = sorted({s for _, s in runs if all((a, s) in runs for a in archs)})
    ours, theirs = (f[f["seed"].isin(seeds)] for f in (ours, theirs))
    pairs = ours.merge(theirs, on=keys, how="outer", suffixes=("_m", "_b"), indicator=True)
    unpaired = pairs[pairs["_merge"] != "both"]
    if len(unpaired):
        row = unpaired.iloc[0]
        raise DataError(f"{testset}: test image {row['index']} of {row['architecture']} seed {row['seed']} is in "
                        f"the predictions of only one of {method} and {baseline}: not the same test images")
    if (pairs["label_m"] != pairs["label_b"]).any():
        row = pairs[pairs["label_m"] != pairs["label_b"]].iloc[0]
        raise DataError(f"{testset}: test image {row['index']} of {row['architecture']} seed {row['seed']} has label "
                        f"{row['label_m']} for {method} but {row['label_b']} for {baseline}: not the same test images")
    ok_m = pairs["pred_m"] == pairs["label_m"]
    ok_b = pairs["pred_b"] == pairs["label_b"]
    counts = pd.DataFrame({"seed": pairs["seed"], "n": 1, "b": ok_m & ~ok_b, "c": ~ok_m & ok_b,
                           "correct_method": ok_m, "correct_baseline": ok_b})
    return counts.groupby("seed", as_index=False).sum().astype(int)


def _comparison(counts: pd.DataFrame, confidence: float) -> dict:
    n, b, c = (int(counts[k].sum()) for k in ("n", "b", "c"))
    p, p_min = mcnemar_exact(b, c)
    _, _, _, lo, hi = st.replicate_interval(100.0 * (counts["b"] - counts["c"]) / counts["n"], confidence)
    notes = []
    if len(counts) == 1:
        notes.append("one seed: no interval across seeds; p covers the test images only")
    if b + c == 0:
        notes.append("no discordant pairs")
    return {"n_seeds": len(counts), "n_pairs": n, "acc_method": 100.0 * counts["correct_method"].sum() / n,
            "acc_baseline": 100.0 * counts["correct_baseline"].sum() / n, "diff": 100.0 * (b - c) / n,
            "diff_ci_low": lo, "diff_ci_high": hi, "b_method_only": b, "c_baseline_only": c, "p": p,
            "p_min": p_min, "note": "; ".join(notes)}


def verdict(b: int, c: int, p_holm: float, p_holm_min: float, alpha: float) -> str:
    """BETTER / WORSE when the Holm p is below alpha (by the sign of b - c), NOT_TESTABLE when even the most
    extreme split of the discordant pairs could not get there, else NO_DIFFERENCE."""
    if p_holm < alpha:
        return BETTER if b > c else WORSE
    if not p_holm_min < alpha:
        return NOT_TESTABLE
    return NO_DIFFERENCE


def comparison_units(preds: pd.DataFrame, archs: Iterable[str]) -> dict[str, list[str]]:
    """Each CNN present (in `archs` order, then any other), then the group rows (`pooled_units`) that hold a set
    of CNNs not tested yet: the units a comparison table has one row per."""
    archs = list(archs)
    present = [a for a in archs if a in set(preds["architecture"])]
    present += sorted(set(preds["architecture"]) - set(present))
    units, seen = {a: [a] for a in present}, {frozenset([a]) for a in present}
    for label, members in pooled_units(present).items():
        if frozenset(members) not in seen:
            units[label] = members
            seen.add(frozenset(members))
    return units


def comparisons(preds: pd.DataFrame, testsets: list[str], archs: list[str], methods: list[str],
                confidence: float = 0.95, alpha: float = 0.05) -> pd.DataFrame:
    """DPAAT against every other method of `methods` (labels, in this order) on each test set, per CNN (in `archs`
    order) and per group row, with Holm over all rows (COLUMNS). Empty without DPAAT predictions."""
    units = comparison_units(preds, archs)
    have = set(preds["method"])
    baselines = [m for m in methods if m != DPAAT and m in have] if DPAAT in have else []
    by_testset = {t: preds[preds["testset"] == t] for t in testsets}
    rows = []
    for unit, members in units.items():
        for testset in testsets:
            for baseline in baselines:
                counts = paired_counts(by_testset[testset], members, testset, DPAAT, baseline)
                if len(counts):
                    rows.append({"architecture": unit, "testset": testset, "method": DPAAT, "baseline": baseline,
                                 **_comparison(counts, confidence)})
    table = pd.DataFrame(rows, columns=COLUMNS)
    if len(table):
        table["p_holm"] = st.holm(table["p"].to_numpy(float))
        holm_min = st.holm_attainable(table["p"].to_numpy(float), table["p_min"].to_numpy(float))
        table["verdict"] = [verdict(b, c, ph, hm, alpha) for b, c, ph, hm in
                            zip(table["b_method_only"], table["c_baseline_only"], table["p_holm"], holm_min,
                                strict=True)]
        split = table["verdict"].isin([BETTER, WORSE]) & (table["diff_ci_low"] <= 0) & (table["diff_ci_high"] >= 0)
        table.loc[split, "note"] = [_join(n, SEEDS_COVER_ZERO) for n in table.loc[split, "note"]]
    return table


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _testset_name(testset: str) -> str:
    return "clean test set (GAcc)" if testset == CLEAN else f"{testset} (RAcc)"


def _interval_text(row: pd.Series, confidence: float) -> str:
    if pd.isna(row["diff_ci_low"]):
        return "one seed, no interval across seeds"
    return f"{confidence:.0%} interval across seeds [{row['diff_ci_low']:+.2f}, {row['diff_ci_high']:+.2f}]"


def sentence(row: pd.Series, confidence: float) -> str:
    """One comparison as a sentence of the findings."""
    return (f"{row['architecture']}, {_testset_name(row['testset'])}: {row['method']} {row['acc_method']:.2f}% vs "
            f"{row['baseline']} {row['acc_baseline']:.2f}% ({row['diff']:+.2f} pp, {_interval_text(row, confidence)}); "
            f"b = {row['b_method_only']}, c = {row['c_baseline_only']} of {row['n_pairs']} pairs; "
            f"p = {row['p']:.3g}, Holm p = {row['p_holm']:.3g}: {row['verdict']}"
            + (f" ({SEEDS_COVER_ZERO})." if SEEDS_COVER_ZERO in str(row["note"]) else "."))


def summary_lines(table: pd.DataFrame) -> list[str]:
    """Per baseline: in how many comparisons DPAAT is significantly better, worse, not different, not testable."""
    lines = []
    for baseline, rows in table.groupby("baseline", sort=False):
        counts = rows["verdict"].value_counts()
        lines.append(f"- {DPAAT} vs {baseline}: significantly better in {counts.get(BETTER, 0)}, significantly "
                     f"worse in {counts.get(WORSE, 0)}, no significant difference in {counts.get(NO_DIFFERENCE, 0)}, "
                     f"not testable in {counts.get(NOT_TESTABLE, 0)} of {len(rows)} comparisons.")
    return lines


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The Markdown copy: percentages with 2 decimals, p-values in 3 significant digits (never shown as 0)."""
    out = table.copy()
    for col in ("acc_method", "acc_baseline", "diff", "diff_ci_low", "diff_ci_high"):
        out[col] = [f"{v:.2f}" if pd.notna(v) else "\u2014" for v in table[col]]
    for col in ("p", "p_min", "p_holm"):
        out[col] = [f"{v:.3g}" for v in table[col]]
    return out


def comparisons_markdown(table: pd.DataFrame, seeds: list[int], confidence: float, alpha: float) -> str:
    """comparisons.md: the method, the family, a summary per baseline, one sentence per pooled (group) row
    (per CNN when there is none) and the whole table."""
    head = [f"# {DPAAT} against each baseline: paired tests on the same test images", "",
            "Exact McNemar test (two-sided binomial test of the discordant pairs, b = only "
            f"{DPAAT} correct, c = only the baseline correct) on the (test image, seed) pairs pooled across the "
            f"seeds both methods have ({', '.join(map(str, seeds)) or 'none'}); a group row pools the pairs of its "
            "CNNs. The pooled test treats the pairs as independent, but each image recurs in every seed: it tests "
            "these test images for these trained models, and the interval across seeds of the difference shows the "
            f"training-run variability. Holm correction over the family of all {len(table)} comparisons of this "
            f"table (every CNN and group, test set and baseline), alpha = {alpha:g}. diff = {DPAAT} accuracy minus "
            "the baseline's, percentage points. 'not testable here': even the most extreme split of the "
            "discordant pairs could not reach alpha after Holm.", ""]
    if not len(table):
        return "\n".join([*head, f"No comparisons: {DPAAT} or a baseline is not among the runs.", ""])
    pooled = table[table["architecture"].isin([*GROUPS, ALL])]
    shown = pooled if len(pooled) else table
    body = ["## Summary", "", *summary_lines(table), "",
            "## " + ("Group and all-CNN comparisons" if len(pooled) else "Comparisons"), "",
            *[f"- {sentence(row, confidence)}" for _, row in shown.iterrows()], "",
            "## All comparisons", "", markdown(display_table(table))]
    return "\n".join([*head, *body])


def write_comparisons(prediction_paths: Iterable[str | Path], attacks: list[str], archs: list[str],
                      methods: list[str], out_csv: str | Path, out_md: str | Path, confidence: float = 0.95,
                      alpha: float = 0.05) -> pd.DataFrame:
    """The comparisons table (COLUMNS; `methods` are config keys) as CSV and comparisons.md; returns the table."""
    preds = load_predictions(prediction_paths)
    labels = [METHOD_LABELS[m] for m in methods]
    table = comparisons(preds, [CLEAN, *attacks], archs, labels, confidence, alpha)
    write_csv(out_csv, table)
    seeds = sorted(int(s) for s in preds["seed"].unique())
    text = comparisons_markdown(table, seeds, confidence, alpha)
    atomic_write(out_md, lambda tmp: tmp.write_text(text))
    return table
