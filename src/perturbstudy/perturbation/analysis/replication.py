"""The replication table: every number of the paper's Tables 2-7 next to ours, with our interval.

Per number: whether the signs agree (r only: R and accuracies have no sign) and whether the paper's value lies
inside our interval (r: bootstrap; R: noncentral F; mean accuracy: across seeds).
"""

from __future__ import annotations

import math

import pandas as pd

from . import paper as pp

COLUMNS = ["table", "architecture", "segment", "testset", "quantity", "paper", "ours", "ci_low", "ci_high", "n_paper",
           "n_ours", "sign_agrees", "paper_inside"]
# quantity -> (our column, our interval's columns or None)
QUANTITIES = {"r": ("r", ("ci_low", "ci_high")), "R": ("R", ("ci_low", "ci_high")), "p": ("p", None),
              "mean": ("mean", ("mean_ci_low", "mean_ci_high")), "variance": ("variance_ddof1", None)}


def _get(row: pd.Series | None, column: str) -> float:
    if row is None or column not in row or pd.isna(row[column]):
        return math.nan
    return float(row[column])


def _yes_no(test: bool | None) -> str:
    return "" if test is None else "yes" if test else "no"


def _our_row(tables: dict[str, pd.DataFrame], series: str, arch: str, testset: str, segment: str) -> pd.Series | None:
    table = tables.get(series + "_segments" if segment else series)
    if table is None:
        return None
    mask = (table["architecture"] == arch) & (table["testset"] == testset)
    if segment:
        mask &= table["segment"] == segment
    return table[mask].iloc[0] if mask.any() else None


def replication_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per number the paper prints (r or R, p, mean, variance), ours beside it (NaN: not in this study)."""
    rows = []
    for pub in pp.published().itertuples(index=False):
        ours = _our_row(tables, pub.series, pub.architecture, pub.testset, pub.segment)
        coefficient = "r" if pp.TABLES[pub.table][1] == "spearman" else "R"
        for quantity in (coefficient, "p", "mean", "variance"):
            paper = float(getattr(pub, "r" if quantity == coefficient else quantity))
            if math.isnan(paper):
                continue
            column, interval = QUANTITIES[quantity]
            value = _get(ours, column)
            lo, hi = (_get(ours, interval[0]), _get(ours, interval[1])) if interval else (math.nan, math.nan)
            sign = None if quantity != "r" or math.isnan(value) or value == 0 or paper == 0 else (
                (value > 0) == (paper > 0))
            inside = None if math.isnan(lo) or math.isnan(hi) else lo <= paper <= hi
            rows.append({"table": pub.table, "architecture": pub.architecture, "segment": pub.segment,
                         "testset": pub.paper_testset, "quantity": quantity, "paper": paper, "ours": value,
                         "ci_low": lo, "ci_high": hi, "n_paper": pub.n,
                         "n_ours": _get(ours, "n"), "sign_agrees": _yes_no(sign), "paper_inside": _yes_no(inside)})
    return pd.DataFrame(rows, columns=COLUMNS)


def counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many signs agree (of those comparable) and how many paper values lie inside our interval."""
    return {"signs_agree": int((frame["sign_agrees"] == "yes").sum()),
            "signs_compared": int(frame["sign_agrees"].isin(["yes", "no"]).sum()),
            "inside": int((frame["paper_inside"] == "yes").sum()),
            "intervals": int(frame["paper_inside"].isin(["yes", "no"]).sum()),
            "numbers": len(frame), "ours": int(frame["ours"].notna().sum())}


def notes(frame: pd.DataFrame) -> list[str]:
    """The table's notes: what each column means, and the counts."""
    c = counts(frame)
    return [f"{c['ours']} of the paper's {c['numbers']} numbers have a counterpart in this study; signs of r agree "
            f"for {c['signs_agree']} of {c['signs_compared']}; the paper's value lies inside our interval for "
            f"{c['inside']} of {c['intervals']}.",
            "quantity: r (Spearman, Tables 2-5), R (multiple correlation, Tables 6-7), p, mean and variance of "
            "accuracy over the series' models. ci_low, ci_high: our interval of r (bootstrap) or of the "
            "population R (noncentral F; see the series' table) and of the mean (t-interval across seeds; NaN "
            "with one seed). A sample R, the paper's included, runs above the population R when the effect is "
            "weak, so a paper R above our interval is weak evidence of disagreement.",
            "Table 3's segments are split where the paper split them, L2 = 8 (LeNet-5) and 7 (AlexNet-8), as the "
            "findings do (tables/rq2_fgsm_segments splits at our own peak). n_paper: models behind the paper's "
            "number; n_ours: ours.",
            "sign_agrees: r only (R, means and variances have no sign); blank where not comparable."]
