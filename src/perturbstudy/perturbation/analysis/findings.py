"""The paper's six findings checked on our data: claims, evidence, verdicts, and findings.md.

Each finding is broken into claims, each checked per architecture with a stated rule:
- trend claim: Spearman r (or an OLS slope with the model's F-test) in the claimed direction with
  Holm-adjusted p < alpha -> holds; significant in the opposite direction -> fails; otherwise not shown.
- level claim: a plain comparison of accuracies (thresholds from the config) -> holds or fails.
Verdict of a finding: supported when every claim holds; not supported when any claim fails;
inconclusive otherwise (a claim not shown, or data missing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import MULTI_FACTOR_SERIES, SINGLE_FACTOR_SERIES
from . import paper as pp
from . import tables as tb
from .io import series_rows
from .tables import Settings, format_value

HOLDS, FAILS, NOT_SHOWN = "holds", "fails", "not shown"


@dataclass
class Claim:
    """One checkable part of a finding, for one architecture."""

    text: str
    architecture: str
    status: str
    evidence: str


@dataclass
class Finding:
    """A finding of the paper with our claims, verdict and the comparison rows."""

    number: int
    series: str
    statement: str
    claims: list[Claim] = field(default_factory=list)
    comparison: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """supported / not supported / inconclusive from the claims (rule in the module docstring)."""
        if not self.claims:
            return "inconclusive (series not in this study)"
        statuses = {c.status for c in self.claims}
        if FAILS in statuses:
            return "not supported"
        return "supported" if statuses == {HOLDS} else "inconclusive"


@dataclass(frozen=True)
class Thresholds:
    """Accuracy thresholds of the level claims."""

    robust_accuracy: float = 0.8
    tolerance: float = 0.05


STATEMENTS = {
    1: "Gaussian-noise training raises robustness, but only a little: the clean model is already robust to "
       "random noise and Gaussian training does not make it adversarially robust.",
    2: "FGSM training strongly raises adversarial robustness while keeping clean accuracy and random robustness; "
       "too large a perturbation (beyond about L2 = 8) lowers adversarial robustness again.",
    3: "Class imbalance does not change clean performance, does not make models adversarially robust, and may "
       "lower random robustness.",
    4: "Label errors lower clean performance and random robustness; adversarial robustness rises, but not enough "
       "to make the model adversarially robust.",
    5: "Gaussian + FGSM training together have a significant positive effect on adversarial robustness and do "
       "not severely degrade clean performance; the effect on random robustness depends on the architecture.",
    6: "Training with all four perturbations correlates linearly and positively with adversarial robustness, "
       "without lowering random robustness.",
}
SERIES_OF = {1: "rq1_gaussian", 2: "rq2_fgsm", 3: "rq3_imbalance", 4: "rq4_label_error", 5: "rq5_dual",
             6: "rq6_four"}


def _trend(row: pd.Series | None, direction: int, alpha: float, text: str, arch: str, p_col: str = "p_holm",
           stat: str = "r") -> Claim:
    if row is None or np.isnan(row[stat]) or np.isnan(row[p_col]):
        note = "" if row is None else str(row.get("note", ""))
        return Claim(text, arch, NOT_SHOWN, f"statistic undefined {note}".strip())
    evidence = f"{stat} = {format_value(row[stat])}, Holm p = {format_value(row[p_col])}"
    if row[p_col] < alpha:
        return Claim(text, arch, HOLDS if np.sign(row[stat]) == direction else FAILS, evidence)
    return Claim(text, arch, NOT_SHOWN, evidence + f" (not significant at {alpha})")


def _level(value: float, ok: bool, text: str, arch: str, evidence: str) -> Claim:
    if value is None or np.isnan(value):
        return Claim(text, arch, NOT_SHOWN, "no data")
    return Claim(text, arch, HOLDS if ok else FAILS, evidence)


def _row(table: pd.DataFrame, arch: str, testset: str, **extra: str) -> pd.Series | None:
    mask = (table["architecture"] == arch) & (table["testset"] == testset)
    for key, value in extra.items():
        mask &= table[key] == value
    return table[mask].iloc[0] if mask.any() else None


def _clean(summary: pd.DataFrame, arch: str, testset: str) -> float:
    rows = summary[(summary["series"] == "clean") & (summary["architecture"] == arch)]
    return float(rows[testset].iloc[0]) if len(rows) and testset in rows else np.nan


def _comparison(ours: pd.DataFrame, table: str, stat: str) -> pd.DataFrame:
    pub = pp.published()
    pub = pub[pub["table"] == table]
    keys = ["architecture", "testset"] + (["segment"] if table == "Table 3" else [])
    left = pub[[*keys, "paper_testset", "r", "p"]].rename(columns={"r": "paper_r", "p": "paper_p"})
    cols = {stat: "our_" + stat, "p": "our_p", "p_holm": "our_p_holm", "n": "our_n"}
    extra = [c for c in ("ci_low", "ci_high") if c in ours]
    right = ours[[*keys, *cols, *extra]].rename(columns=cols)
    return left.merge(right, on=keys, how="left")


def evaluate_findings(summary: pd.DataFrame, settings: Settings, thresholds: Thresholds) -> list[Finding]:
    """Check the six findings on a per-model summary (series absent from it are reported as inconclusive)."""
    present = set(summary["series"])
    alpha, robust, tol = settings.alpha, thresholds.robust_accuracy, thresholds.tolerance
    archs = list(dict.fromkeys(summary["architecture"]))
    out = []
    for number, series in SERIES_OF.items():
        finding = Finding(number, series, STATEMENTS[number])
        out.append(finding)
        if series not in present:
            continue
        data = series_rows(summary, series)
        if series in SINGLE_FACTOR_SERIES:
            table = tb.spearman_table(summary, series, settings)
        else:
            table = tb.multiple_correlation_table(summary, series)
        for arch in archs:
            d = data[data["architecture"] == arch]
            if d.empty:
                continue
            fg = d.get("fgsm_benchmark", pd.Series(dtype=float))
            if number == 1:
                finding.claims += [
                    _trend(_row(table, arch, "gaussian_benchmark"), 1, alpha,
                           "Gaussian-benchmark accuracy rises with training noise", arch),
                    _level(fg.max(), fg.max() < robust, f"no model reaches FGSM-benchmark accuracy {robust}",
                           arch, f"max FGSM-benchmark accuracy {format_value(fg.max())}"),
                    _level(_clean(summary, arch, "gaussian_benchmark"),
                           _clean(summary, arch, "gaussian_benchmark") >= robust,
                           f"the clean model already has Gaussian-benchmark accuracy >= {robust}", arch,
                           f"clean model {format_value(_clean(summary, arch, 'gaussian_benchmark'))}"),
                ]
            elif number == 2:
                seg = tb.segments_table(summary, series, settings)
                finding.comparison_segments = seg  # type: ignore[attr-defined]
                s1 = d[d["fgsm"] <= seg[seg["architecture"] == arch]["peak_level"].iloc[0]]
                peak = float(seg[seg["architecture"] == arch]["peak_level"].iloc[0])
                at_peak = d[d["fgsm"] == peak].iloc[0]
                finding.claims += [
                    _trend(_row(seg, arch, "fgsm_benchmark", segment="I"), 1, alpha,
                           "FGSM-benchmark accuracy rises with the FGSM level up to the peak (segment I)", arch),
                    _level(at_peak["fgsm_benchmark"], at_peak["fgsm_benchmark"] >= robust,
                           f"the best model reaches FGSM-benchmark accuracy >= {robust}", arch,
                           f"peak {format_value(at_peak['fgsm_benchmark'])} at L2 = {peak:g} "
                           f"(paper: peak at {pp.FGSM_PEAK.get(arch, float('nan')):g})"),
                    _level(at_peak.get("gaussian_benchmark", np.nan),
                           at_peak.get("gaussian_benchmark", np.nan) >= robust,
                           f"the best model keeps Gaussian-benchmark accuracy >= {robust}", arch,
                           f"{format_value(at_peak.get('gaussian_benchmark', np.nan))} at the peak"),
                    _level(s1["test"].mean(), s1["test"].mean() >= _clean(summary, arch, "test") - tol,
                           f"segment I keeps clean test accuracy (mean >= clean - {tol})", arch,
                           f"segment I mean {format_value(s1['test'].mean())}, clean "
                           f"{format_value(_clean(summary, arch, 'test'))}"),
                    _trend(_row(seg, arch, "fgsm_benchmark", segment="II"), -1, alpha,
                           "beyond the peak FGSM-benchmark accuracy falls (segment II)", arch),
                ]
            elif number == 3:
                clean_test = _clean(summary, arch, "test")
                finding.claims += [
                    _level(d["test"].min(), d["test"].min() >= clean_test - tol,
                           f"clean test accuracy stays within {tol} of the clean model", arch,
                           f"min {format_value(d['test'].min())}, clean {format_value(clean_test)}"),
                    _level(fg.max(), fg.max() < robust, f"no model reaches FGSM-benchmark accuracy {robust}", arch,
                           f"max FGSM-benchmark accuracy {format_value(fg.max())}"),
                    _trend(_row(table, arch, "gaussian_benchmark"), -1, alpha,
                           "Gaussian-benchmark accuracy falls with class imbalance", arch),
                ]
            elif number == 4:
                finding.claims += [
                    _trend(_row(table, arch, "test"), -1, alpha, "clean test accuracy falls with label errors", arch),
                    _trend(_row(table, arch, "gaussian_benchmark"), -1, alpha,
                           "Gaussian-benchmark accuracy falls with label errors", arch),
                    _trend(_row(table, arch, "fgsm_benchmark"), 1, alpha,
                           "FGSM-benchmark accuracy rises with label errors", arch),
                    _level(fg.max(), fg.max() < robust, f"no model reaches FGSM-benchmark accuracy {robust}", arch,
                           f"max FGSM-benchmark accuracy {format_value(fg.max())}"),
                ]
            else:
                slopes = tb.coefficient_table(summary, series)
                row = _row(table, arch, "fgsm_benchmark")
                slope = _row(slopes, arch, "fgsm_benchmark", factor="fgsm")
                signed = None
                if row is not None and slope is not None:
                    signed = row.copy()
                    signed["R"] = np.sign(slope["slope"]) * row["R"]
                claims = [_trend(signed, 1, alpha, "FGSM-benchmark accuracy rises linearly with the perturbations "
                                 "(OLS F-test, sign of the FGSM slope)", arch, stat="R")]
                if number == 5:
                    clean_test = _clean(summary, arch, "test")
                    claims.append(_level(d["test"].mean(), d["test"].mean() >= clean_test - tol,
                                         f"mean clean test accuracy over the grid within {tol} of the clean model",
                                         arch, f"grid mean {format_value(d['test'].mean())}, "
                                         f"clean {format_value(clean_test)}"))
                else:
                    clean_g = _clean(summary, arch, "gaussian_benchmark")
                    mean_g = d["gaussian_benchmark"].mean() if "gaussian_benchmark" in d else np.nan
                    claims.append(_level(mean_g, mean_g >= clean_g - tol,
                                         f"mean Gaussian-benchmark accuracy within {tol} of the clean model", arch,
                                         f"mean {format_value(mean_g)}, clean {format_value(clean_g)}"))
                finding.claims += claims
        tname = next(t for t, (s, _) in pp.TABLES.items() if s == series)
        stat = "R" if series in MULTI_FACTOR_SERIES else "r"
        source = getattr(finding, "comparison_segments", table)
        finding.comparison = _comparison(source, tname, stat)
        finding.notes += [f"{tname}: {e}" for e in pp.consistency().query("table == @tname")["erratum"] if e]
        finding.notes += [f"{tname}: {e}" for e in pp.TEXT_ERRATA.get(tname, [])]
    return out


def findings_markdown(findings: list[Finding], settings: Settings, thresholds: Thresholds, study: str) -> str:
    """findings.md: per finding the paper's statement, our claims with evidence, verdict, and paper vs ours."""
    lines = [f"# Findings of Wang et al. (2024) on study `{study}`", "",
             "Verdict rule: a finding is **supported** when every claim holds for every architecture, **not "
             "supported** when any claim fails, and **inconclusive** otherwise. A trend claim holds when the "
             f"statistic has the claimed sign with Holm-adjusted p < {settings.alpha} (Holm within the "
             "finding's table), fails when it is significant with the opposite sign, and is *not shown* when "
             "not significant. A level claim compares accuracies with thresholds: robust = accuracy >= "
             f"{thresholds.robust_accuracy}; 'kept' = within {thresholds.tolerance} of the clean model.", "",
             "Benchmark accuracy = mean over benchmark levels (the paper's single MNIST-C / MNIST-A number); "
             "the FGSM benchmark measures transfer robustness from the clean source model (the paper's "
             "protocol).", ""]
    lines += ["| Finding | Series | Verdict |", "|---|---|---|"]
    lines += [f"| #{f.number} | {f.series} | {f.verdict} |" for f in findings]
    for f in findings:
        lines += ["", f"## Finding #{f.number} ({f.series}): {f.verdict}", "", f"Paper: {f.statement}", ""]
        if not f.claims:
            lines.append("The config of this study does not include this series.")
            continue
        lines += ["| Architecture | Claim | Status | Evidence |", "|---|---|---|---|"]
        lines += [f"| {c.architecture} | {c.text} | {c.status} | {c.evidence} |" for c in f.claims]
        if f.comparison is not None and len(f.comparison):
            lines += ["", "Paper's numbers next to ours:", "",
                      tb._formatted(f.comparison).to_markdown(index=False, disable_numparse=True)]
        if f.notes:
            lines += ["", "Errata in the paper touching these numbers:", ""] + [f"- {n}" for n in f.notes]
    return "\n".join(lines) + "\n"
