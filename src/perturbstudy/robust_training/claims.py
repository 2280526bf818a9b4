"""The RTDA abstract's claim checked with paired tests: "more robust to attacks and shift while keeping high clean
accuracy".

Per RTDA method of the runs (rtda_<policy>) and comparison unit (each CNN and the CNN-group rows, as
`comparisons.comparisons`), the paired exact McNemar tests of `comparisons` (pairs = the same test image in the same
seed, pooled across seeds) against each baseline (every method of the runs that is not an RTDA method) on three test
sets: the clean test split, the `table2_attack` test set, and the corrupted test images with every (corruption,
severity) cell pooled (SHIFT: a pair is one corrupted image of one cell in one seed). Holm over every comparison of the
table (all RTDA methods, units, test sets and baselines), judged at alpha.

The claim's three parts, judged on the decisive unit (all CNNs pooled with two or more CNNs, else the one CNN):
- robust to attacks / to shift: SUPPORTED when RTDA is significantly better than every baseline on that test set and,
  with two or more seeds, every interval across seeds of the difference lies above 0; IMAGES_ONLY when it is
  significantly better than every baseline but with one seed or an interval covering 0; CONTRADICTED when it is
  significantly worse than some baseline; NOT_ESTABLISHED otherwise (no significant difference, too few discordant
  pairs); NOT_TESTABLE without a baseline.
- keeps high clean accuracy: KEPT when RTDA is not significantly worse than STD on the clean test split (not a proof
  of equivalence: the difference and its interval are given), NOT_KEPT when it is; NOT_TESTABLE without an STD run.
Overall: contradicted when a part is; supported when all three are (SUPPORTED, KEPT); supported on these test images
only when all three hold but some only on these images; not testable when a part cannot be tested; else not
established. Scope as in `comparisons`: p covers these test images and trained models; training-run variability is
the interval across seeds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..artifacts import atomic_write, write_csv
from ..perturbation.analysis import stats as st
from . import comparisons as cmp
from .methods import METHOD_LABELS
from .rtda import RTDA_METHODS
from .shift import SUITE_LABELS
from .tables import ALL, markdown

SHIFT = "corruptions (pooled)"
CLEAN = cmp.CLEAN
STD = METHOD_LABELS["std"]
RTDA_KEYS = tuple(m for m, (kind, _) in RTDA_METHODS.items() if kind == "rtda")
RTDA_LABELS = tuple(METHOD_LABELS[m] for m in RTDA_KEYS)
SUPPORTED = "supported"
IMAGES_ONLY = "supported on these test images only"
CONTRADICTED = "contradicted"
NOT_ESTABLISHED = "not established"
NOT_TESTABLE = "not testable"
KEPT = "kept"
NOT_KEPT = "not kept"
COLUMNS = ["architecture", "part", "testset", "method", "baseline", "n_seeds", "n_pairs", "acc_method",
           "acc_baseline", "diff", "diff_ci_low", "diff_ci_high", "b_method_only", "c_baseline_only", "p", "p_min",
           "p_holm", "outcome", "note"]
OUTCOMES = {cmp.BETTER: "better (significant)", cmp.WORSE: "worse (significant)",
            cmp.NO_DIFFERENCE: cmp.NO_DIFFERENCE, cmp.NOT_TESTABLE: cmp.NOT_TESTABLE}
BETTER, WORSE = OUTCOMES[cmp.BETTER], OUTCOMES[cmp.WORSE]
VERDICT_COLUMNS = ["method", "unit", "part", "verdict", "detail"]


def pool_corruption_predictions(preds: pd.DataFrame) -> pd.DataFrame:
    """Corruption predictions (one test set per (corruption, severity) cell) as one test set, SHIFT: the image
    `index` of cell k (cells in sorted order) becomes k * n + index, n = the test split's size."""
    if not len(preds):
        return preds.assign(testset=SHIFT)
    cells = {c: i for i, c in enumerate(sorted(preds["testset"].unique()))}
    n = int(preds["index"].max()) + 1
    return preds.assign(index=preds["testset"].map(cells).to_numpy(np.int64) * n + preds["index"].to_numpy(np.int64),
                        testset=SHIFT)


def decisive_unit(units: Iterable[str]) -> str | None:
    """The unit the claim is judged on: all CNNs pooled when present, else the only CNN; None without units."""
    units = list(units)
    if ALL in units:
        return ALL
    return units[0] if len(units) == 1 else (units[-1] if units else None)


def claim_comparisons(preds: pd.DataFrame, attack: str, archs: Sequence[str], methods: Sequence[str],
                      confidence: float = 0.95, alpha: float = 0.05) -> pd.DataFrame:
    """Every RTDA method of `methods` (labels) against every other non-RTDA method of `methods` present, per unit,
    on the clean test split (part clean), `attack` (part attacks) and SHIFT (part shift), Holm over all rows:
    COLUMNS. `preds` holds the clean and attack predictions and the pooled corruption ones (SHIFT)."""
    have = set(preds["method"])
    rtda = [m for m in methods if m in RTDA_LABELS and m in have]
    baselines = [m for m in methods if m not in RTDA_LABELS and m in have]
    parts = {CLEAN: "clean", attack: "attacks", SHIFT: "shift"}
    by_testset = {t: preds[preds["testset"] == t] for t in parts}
    rows = []
    for unit, members in cmp.comparison_units(preds, archs).items():
        for method in rtda:
            for testset, part in parts.items():
                for baseline in baselines:
                    counts = cmp.paired_counts(by_testset[testset], members, testset, method, baseline)
                    if len(counts):
                        rows.append({"architecture": unit, "part": part, "testset": testset, "method": method,
                                     "baseline": baseline, **cmp._comparison(counts, confidence)})
    table = pd.DataFrame(rows, columns=COLUMNS)
    if len(table):
        p = table["p"].to_numpy(float)
        table["p_holm"] = st.holm(p)
        holm_min = st.holm_attainable(p, table["p_min"].to_numpy(float))
        table["outcome"] = [OUTCOMES[cmp.verdict(b, c, ph, hm, alpha)] for b, c, ph, hm in
                            zip(table["b_method_only"], table["c_baseline_only"], table["p_holm"], holm_min,
                                strict=True)]
    return table


def _above_zero(rows: pd.DataFrame) -> bool:
    return bool((rows["n_seeds"] >= 2).all() and (rows["diff_ci_low"] > 0).all())


def _robust_part(rows: pd.DataFrame) -> str:
    if not len(rows):
        return NOT_TESTABLE
    if (rows["outcome"] == WORSE).any():
        return CONTRADICTED
    if (rows["outcome"] == BETTER).all():
        return SUPPORTED if _above_zero(rows) else IMAGES_ONLY
    return NOT_ESTABLISHED


def _clean_part(rows: pd.DataFrame) -> str:
    rows = rows[rows["baseline"] == STD]
    if not len(rows):
        return NOT_TESTABLE
    return NOT_KEPT if (rows["outcome"] == WORSE).any() else KEPT


def _overall(parts: dict[str, str]) -> str:
    values = set(parts.values())
    if values & {CONTRADICTED, NOT_KEPT}:
        return CONTRADICTED
    if NOT_TESTABLE in values:
        return NOT_TESTABLE
    if values <= {SUPPORTED, KEPT}:
        return SUPPORTED
    if values <= {SUPPORTED, IMAGES_ONLY, KEPT}:
        return IMAGES_ONLY
    return NOT_ESTABLISHED


def _interval(row: pd.Series, confidence: float) -> str:
    if pd.isna(row["diff_ci_low"]):
        return "one seed, no interval"
    return f"{confidence:.0%} interval across seeds [{row['diff_ci_low']:+.2f}, {row['diff_ci_high']:+.2f}]"


def _detail(rows: pd.DataFrame, confidence: float) -> str:
    return "; ".join(f"vs {r['baseline']} {r['acc_method']:.2f}% vs {r['acc_baseline']:.2f}% ({r['diff']:+.2f} pp, "
                     f"{_interval(r, confidence)}; Holm p = {r['p_holm']:.3g}): {r['outcome']}"
                     for _, r in rows.iterrows())


def claim_verdicts(table: pd.DataFrame, methods: Sequence[str], confidence: float = 0.95) -> pd.DataFrame:
    """One row per RTDA method and part (attacks, shift, clean, overall) on the decisive unit: VERDICT_COLUMNS."""
    rows = []
    unit = decisive_unit(dict.fromkeys(table["architecture"])) if len(table) else None
    for method in [m for m in methods if m in RTDA_LABELS and m in set(table["method"])]:
        mine = table[(table["method"] == method) & (table["architecture"] == unit)]
        parts = {"attacks": _robust_part(mine[mine["part"] == "attacks"]),
                 "shift": _robust_part(mine[mine["part"] == "shift"]),
                 "clean": _clean_part(mine[mine["part"] == "clean"])}
        for part, verdict in parts.items():
            shown = mine[mine["part"] == part]
            if part == "clean":
                shown = shown[shown["baseline"] == STD]
            detail = _detail(shown, confidence) if len(shown) else (
                "no STD run to compare with" if part == "clean" else "no baseline run to compare with")
            rows.append({"method": method, "unit": unit, "part": part, "verdict": verdict, "detail": detail})
        rows.append({"method": method, "unit": unit, "part": "overall", "verdict": _overall(parts), "detail": ""})
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


PART_TEXT = {"attacks": "more robust to attacks ({attack})", "shift": "more robust to distribution shift ({shift})",
             "clean": "keeps high clean accuracy (against STD)", "overall": "the claim as a whole"}


def claims_markdown(table: pd.DataFrame, verdicts: pd.DataFrame, methods: Sequence[str], attack: str,
                    shift_name: str, seeds: Sequence[int], confidence: float, alpha: float,
                    caveats: Sequence[str] = ()) -> str:
    """rtda_claims.md: the claim, how it is tested, a verdict sentence per RTDA method and part, caveats, and the
    table of every comparison."""
    head = ["# The RTDA abstract's claim, checked", "",
            "Claim (RTDA 2025, abstract): RTDA is more robust to attacks and to distribution shift while keeping high "
            "clean accuracy.", "",
            f"Tested per RTDA method of `medical.methods` against every other method of the runs (the baselines): "
            f"exact McNemar tests on the same test images (pairs pooled across the seeds "
            f"{', '.join(map(str, seeds)) or 'none'}) on the clean test split, under the attack {attack} (Table II's) "
            f"and on the corrupted test images ({shift_name}, every corruption and severity pooled); Holm over all "
            f"{len(table)} comparisons, alpha = {alpha:g}. 'More robust': significantly better than every baseline "
            "(supported when, with two or more seeds, every interval across seeds of the difference is above 0 too; "
            "otherwise supported on these test images only). 'Keeps clean accuracy': not significantly worse than STD "
            "(not a proof of equivalence: see the difference and its interval). Judged on all CNNs pooled (one CNN: "
            "that CNN); every CNN's and group's tests are in the table. Accuracy under shift is absolute accuracy on "
            "the corrupted images (the relative drop is relative mCE in tables/shift.md).", ""]
    wanted = [m for m in methods if m in RTDA_LABELS]
    if not wanted:
        body = ["## Verdict", "", "The claim cannot be tested here: `medical.methods` has no RTDA method "
                f"({', '.join(RTDA_KEYS)}).", ""]
        return "\n".join([*head, *body])
    if not len(verdicts):
        body = ["## Verdict", "", "The claim cannot be tested here: there is no baseline method next to "
                f"{', '.join(wanted)} in `medical.methods` (add std, at and augmentation baselines).", ""]
        return "\n".join([*head, *body])
    body = ["## Verdicts", ""]
    for method, rows in verdicts.groupby("method", sort=False):
        overall = rows[rows["part"] == "overall"].iloc[0]
        body.append(f"- **{method}** ({overall['unit']}): the claim as a whole is **{overall['verdict']}**.")
        for _, r in rows[rows["part"] != "overall"].iterrows():
            what = PART_TEXT[r["part"]].format(attack=attack, shift=shift_name)
            body.append(f"  - {what}: **{r['verdict']}** - {r['detail']}.")
    notes = list(caveats)
    if len(seeds) < 2:
        notes.append("One seed: the tests cover these test images for these trained models only; whether the claim "
                     "holds across training runs cannot be tested (no interval across seeds).")
    if notes:
        body += ["", "## Caveats", "", *[f"- {n}" for n in notes]]
    body += ["", "## All comparisons", "", markdown(cmp.display_table(table))]
    return "\n".join([*head, *body])


def write_claims(prediction_paths: Iterable[str | Path], corruption_prediction_paths: Iterable[str | Path],
                 attack: str, archs: Sequence[str], methods: Sequence[str], suite: str, out_csv: str | Path,
                 out_md: str | Path, confidence: float = 0.95, alpha: float = 0.05) -> pd.DataFrame:
    """The claim's comparisons (COLUMNS; `methods` are config keys) as CSV and the verdicts as rtda_claims.md;
    returns the verdicts (VERDICT_COLUMNS)."""
    preds = cmp.load_predictions(prediction_paths)
    preds = preds[preds["testset"].isin([CLEAN, attack])]
    shifted = pool_corruption_predictions(cmp.load_predictions(corruption_prediction_paths))
    labels = [METHOD_LABELS[m] for m in methods]
    table = claim_comparisons(pd.concat([preds, shifted], ignore_index=True), attack, archs, labels, confidence,
                              alpha)
    verdicts = claim_verdicts(table, labels, confidence)
    write_csv(out_csv, table)
    cells = shifted["index"].nunique() if len(shifted) else 0
    shift_name = f"{SUITE_LABELS.get(suite, suite)}, {cells} corrupted images per model"
    caveats = []
    if suite == "medmnistc" and any(m.endswith("medmnistc") for m in methods):
        caveats.append("The medmnistc policy trains on MedMNIST-C's own corruptions: for its methods the "
                       "MedMNIST-C benchmark is not an unseen shift.")
    seeds = sorted(int(s) for s in preds["seed"].unique())
    text = claims_markdown(table, verdicts, labels, attack, shift_name, seeds, confidence, alpha, caveats)
    atomic_write(out_md, lambda tmp: tmp.write_text(text))
    return verdicts
