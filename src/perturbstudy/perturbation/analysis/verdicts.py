"""Verdicts of claims: supported / contradicted / no evidence / not testable here, from statistics alone.

The same functions judge our tables and the paper's own (paper.py), so what a verdict means is checked
against the numbers the paper prints (tests/test_perturbation_analysis_verdicts.py).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from . import stats as st

SUPPORTED, CONTRADICTED, NO_EVIDENCE, NOT_TESTABLE = "supported", "contradicted", "no evidence", "not testable here"
STATUSES = (SUPPORTED, CONTRADICTED, NO_EVIDENCE, NOT_TESTABLE)
RISES, FALLS, ASSOCIATED, NO_EFFECT = 1, -1, 0, None
"""What a trend claim says of its statistic: a positive or negative sign, any association (R), or none."""


@dataclass(frozen=True)
class Evidence:
    """The statistic behind a trend claim: its value, two-sided p, smallest attainable p, n and interval.

    `stat` names it (r: Spearman, R: multiple correlation, slope: one factor's OLS coefficient). A NaN
    value or p means the statistic is undefined here; `note` says why.
    """

    stat: str
    value: float
    p: float
    n: int
    p_min: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    note: str = ""

    @property
    def defined(self) -> bool:
        """Whether the statistic and its p exist."""
        return not (math.isnan(self.value) or math.isnan(self.p))


@dataclass(frozen=True)
class Judgement:
    """A claim's status, its Holm-adjusted p within the family (NaN for level claims) and the reason shown."""

    status: str
    p_holm: float
    reason: str


def fmt(value: float) -> str:
    """A number as the findings show it: 3 significant digits, scientific below 1e-3, NaN as 'NaN'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NaN"
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.3g}"


def _interval(e: Evidence) -> str:
    if math.isnan(e.ci_low) or math.isnan(e.ci_high):
        return ""
    return f", interval [{fmt(e.ci_low)}, {fmt(e.ci_high)}]"


def judge_trends(evidence: list[Evidence | None], directions: list[int | None], alpha: float) -> list[Judgement]:
    """Judge a family of trend claims together, Holm-adjusting their p-values within the family.

    RISES / FALLS claim the statistic's sign; ASSOCIATED an association of any sign (R, which has none);
    NO_EFFECT that there is none. Significant (Holm p < alpha) as claimed: supported; otherwise significant:
    contradicted; not significant: no evidence (the interval bounds the effect; for NO_EFFECT consistent with
    the claim, not a proof of it); undefined, or unable to reach alpha after Holm even at its attainable
    minimum p: not testable here, with the reason.
    """
    p = np.array([e.p if e is not None and e.defined else np.nan for e in evidence], float)
    p_min = np.array([e.p_min if e is not None and e.defined else np.nan for e in evidence], float)
    p_holm, p_holm_min = st.holm(p), st.holm_attainable(p, p_min)
    out = []
    for e, direction, h, h_min in zip(evidence, directions, p_holm, p_holm_min, strict=True):
        if e is None:
            out.append(Judgement(NOT_TESTABLE, math.nan, "no data"))
            continue
        if not e.defined:
            out.append(Judgement(NOT_TESTABLE, math.nan, e.note or f"{e.stat} undefined"))
            continue
        shown = f"{e.stat} = {fmt(e.value)}, n = {e.n}, p = {fmt(e.p)}, Holm p = {fmt(h)}"
        if not math.isnan(h_min) and h_min >= alpha:
            out.append(Judgement(NOT_TESTABLE, h, f"{shown}; n = {e.n} cannot reach alpha = {alpha:g}: attainable "
                                                  f"p >= {fmt(e.p_min)}, Holm p >= {fmt(h_min)}"))
        elif h < alpha:
            agrees = direction is not NO_EFFECT and (direction == ASSOCIATED or np.sign(e.value) == direction)
            out.append(Judgement(SUPPORTED if agrees else CONTRADICTED, h, shown + _interval(e)))
        else:
            consistent = "; consistent with no effect, not a proof of it" if direction is NO_EFFECT else ""
            out.append(Judgement(NO_EVIDENCE, h, f"{shown} (not significant at {alpha:g}{consistent})"
                                                 f"{_interval(e)}"))
    return out


def judge_level(value: float, holds: bool, reason: str) -> Judgement:
    """A descriptive claim on accuracies (a threshold or a comparison): supported or contradicted as measured."""
    if value is None or math.isnan(value):
        return Judgement(NOT_TESTABLE, math.nan, "no data")
    return Judgement(SUPPORTED if holds else CONTRADICTED, math.nan, reason)


def summarize(statuses: list[str]) -> str:
    """A finding's verdict from its claims' statuses, with the counts.

    contradicted if any claim is; supported if all are; partly supported if some are; no evidence if none is
    supported but some were tested; not testable here if none could be tested.
    """
    counts = Counter(statuses)
    if not statuses:
        return "not in this study"
    if counts[CONTRADICTED]:
        head = "contradicted"
    elif counts[SUPPORTED] == len(statuses):
        head = "supported"
    elif counts[SUPPORTED]:
        head = "partly supported"
    elif counts[NO_EVIDENCE]:
        head = "no evidence"
    else:
        head = "not testable here"
    tally = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
    return f"{head} ({tally})"
