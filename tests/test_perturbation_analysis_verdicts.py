"""Verdicts of claims from statistics: the four statuses, Holm within the family, never significance from n alone."""

from __future__ import annotations

import math

import pytest

from perturbstudy.perturbation.analysis import verdicts as vd


def ev(value: float, p: float, n: int = 25, p_min: float = 1e-20, ci: tuple[float, float] = (math.nan, math.nan),
       stat: str = "r") -> vd.Evidence:
    return vd.Evidence(stat, value, p, n, p_min, *ci)


def test_each_status_from_sign_and_holm_p() -> None:
    family = [ev(0.9, 0.001), ev(-0.9, 0.001), ev(0.2, 0.3, ci=(-0.2, 0.6)), ev(0.95, 0.02), ev(-0.5, 0.03)]
    got = vd.judge_trends(family, [+1, +1, +1, +1, -1], alpha=0.05)
    # Holm over 5: 0.001 x 5, 0.001 x 4 (kept at 0.005), 0.02 x 3 = 0.06, 0.03 x 2 = 0.06, 0.3
    assert [j.p_holm for j in got] == pytest.approx([0.005, 0.005, 0.3, 0.06, 0.06])
    assert [j.status for j in got] == [vd.SUPPORTED, vd.CONTRADICTED, vd.NO_EVIDENCE, vd.NO_EVIDENCE, vd.NO_EVIDENCE]
    assert "interval [-0.2, 0.6]" in got[2].reason and "not significant" in got[2].reason


def test_holm_decides_significance_within_the_family() -> None:
    alone = vd.judge_trends([ev(0.6, 0.03)], [+1], 0.05)[0]
    crowded = vd.judge_trends([ev(0.6, 0.03), ev(0.1, 0.5), ev(0.1, 0.6)], [+1, +1, +1], 0.05)[0]
    assert alone.status == vd.SUPPORTED and crowded.status == vd.NO_EVIDENCE
    assert crowded.p_holm == pytest.approx(0.09)


def test_small_n_is_not_testable_with_its_reason() -> None:
    # n = 4 points: exact p >= 2/4! = 0.083, so even r = 1 can never be significant at 0.05.
    got = vd.judge_trends([ev(1.0, 1 / 12, n=4, p_min=1 / 12)], [+1], 0.05)[0]
    assert got.status == vd.NOT_TESTABLE
    assert "n = 4 cannot reach alpha = 0.05" in got.reason and "attainable p >= 0.0833" in got.reason
    # n = 5 alone can (2/5! = 0.017), but not in a family of 4 where Holm multiplies it by 4
    five = ev(1.0, 1 / 60, n=5, p_min=1 / 60)
    assert vd.judge_trends([five], [+1], 0.05)[0].status == vd.SUPPORTED
    assert vd.judge_trends([five] + [ev(0.1, 0.5)] * 3, [+1] * 4, 0.05)[0].status == vd.NOT_TESTABLE


def test_undefined_and_missing_statistics_are_not_testable() -> None:
    got = vd.judge_trends([None, vd.Evidence("r", math.nan, math.nan, 2, note="only 2 point(s)")], [+1, -1], 0.05)
    assert [j.status for j in got] == [vd.NOT_TESTABLE] * 2
    assert got[0].reason == "no data" and got[1].reason == "only 2 point(s)"


def test_direction_zero_claims_an_association_that_cannot_be_contradicted() -> None:
    got = vd.judge_trends([ev(0.8, 1e-4, stat="R", p_min=math.nan), ev(0.3, 0.4, stat="R", p_min=math.nan)], [0, 0],
                          0.05)
    assert [j.status for j in got] == [vd.SUPPORTED, vd.NO_EVIDENCE]


def test_level_claims_and_summaries() -> None:
    assert vd.judge_level(0.7, True, "max 0.7").status == vd.SUPPORTED
    assert vd.judge_level(0.9, False, "max 0.9").status == vd.CONTRADICTED
    assert vd.judge_level(math.nan, True, "").status == vd.NOT_TESTABLE
    s, c, n, t = vd.SUPPORTED, vd.CONTRADICTED, vd.NO_EVIDENCE, vd.NOT_TESTABLE
    assert vd.summarize([s, s]) == "supported (2 supported)"
    assert vd.summarize([s, n, t]) == "partly supported (1 supported, 1 no evidence, 1 not testable here)"
    assert vd.summarize([s, c]).startswith("contradicted")
    assert vd.summarize([n, t]).startswith("no evidence")
    assert vd.summarize([t, t]).startswith("not testable here")
    assert vd.summarize([]) == "not in this study"


def test_a_claim_of_no_effect_is_contradicted_by_a_significant_trend_of_either_sign() -> None:
    got = vd.judge_trends([ev(-0.8, 0.001), ev(0.8, 0.001), ev(0.1, 0.6, ci=(-0.4, 0.5))], [vd.NO_EFFECT] * 3, 0.05)
    assert [j.status for j in got] == [vd.CONTRADICTED, vd.CONTRADICTED, vd.NO_EVIDENCE]
    assert "consistent with no effect, not a proof of it" in got[2].reason and "[-0.4, 0.5]" in got[2].reason
