"""The paper's six findings as claims, judged on our data and on the paper's own tables; findings.md.

A finding is a list of claims (CLAIMS). A trend claim reads one statistic (Spearman r of a series or a segment,
a factor's own OLS slope, or the joint R of a multi-factor fit); the trend claims of a finding form one Holm
family per architecture set and per protocol. A level claim compares accuracies with the configured thresholds.
Every claim on the FGSM benchmark (transfer from the clean source model: the paper's protocol) is judged again
on the model's own white-box FGSM and PGD-L2 accuracy. verdicts.py turns statistics into statuses.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from . import MULTI_FACTOR_SERIES, SINGLE_FACTOR_SERIES
from . import paper as pp
from . import tables as tb
from . import verdicts as vd
from .io import series_rows
from .tables import Settings

TRANSFER = "fgsm_benchmark"
WHITEBOX = ("whitebox_fgsm", "whitebox_pgd_l2")
ACCURACY = {"test": "clean test accuracy", "gaussian_benchmark": "Gaussian-benchmark accuracy",
            "fgsm_benchmark": "FGSM-benchmark accuracy", "whitebox_fgsm": "white-box FGSM accuracy",
            "whitebox_pgd_l2": "white-box PGD-L2 accuracy"}


@dataclass(frozen=True)
class Thresholds:
    """Accuracy thresholds of the level claims."""

    robust_accuracy: float = 0.8
    tolerance: float = 0.05


@dataclass(frozen=True)
class Context:
    """What a level claim of one architecture reads: the series' models (the clean one included), the clean
    model, the FGSM-benchmark peak level (RQ2) and the thresholds."""

    rows: pd.DataFrame
    clean: pd.Series | None
    factor: str
    thresholds: Thresholds

    def clean_accuracy(self, testset: str) -> float:
        """The clean model's accuracy on a test set (NaN if absent)."""
        if self.clean is None or testset not in self.clean:
            return math.nan
        return float(self.clean[testset])

    def peak(self) -> pd.Series:
        """The model with the highest FGSM-benchmark accuracy (first in level order)."""
        ordered = self.rows.sort_values(self.factor, kind="stable")
        return ordered.loc[ordered[TRANSFER].idxmax()]


LevelCheck = Callable[[Context, str], tuple[float, bool, str]]


@dataclass(frozen=True)
class ClaimSpec:
    """One claim of a finding. `text` takes {acc} (the test set's accuracy name) and {robust} / {tol}.

    kind: spearman (the series' r), segment (r within segment I or II of the RQ2 split), slope (one factor's
    OLS coefficient), joint (R and F of the multi-factor fit: the paper's statistic), level (a `check`).
    """

    text: str
    testset: str
    kind: str
    direction: int = 0
    segment: str = ""
    factor: str = ""
    check: LevelCheck | None = None

    @property
    def trend(self) -> bool:
        """Whether a statistic (and so Holm) decides the claim."""
        return self.kind != "level"


def _none_robust(ctx: Context, testset: str) -> tuple[float, bool, str]:
    best = float(ctx.rows[testset].max())
    return best, best < ctx.thresholds.robust_accuracy, f"max {vd.fmt(best)} over {len(ctx.rows)} models"


def _best_robust(ctx: Context, testset: str) -> tuple[float, bool, str]:
    best = ctx.rows.loc[ctx.rows[testset].idxmax()]
    value = float(best[testset])
    return value, value >= ctx.thresholds.robust_accuracy, f"max {vd.fmt(value)} at level {best[ctx.factor]:g}"


def _clean_robust(ctx: Context, testset: str) -> tuple[float, bool, str]:
    value = ctx.clean_accuracy(testset)
    return value, value >= ctx.thresholds.robust_accuracy, f"clean model {vd.fmt(value)}"


def _peak_keeps(ctx: Context, testset: str) -> tuple[float, bool, str]:
    peak = ctx.peak()
    value = float(peak.get(testset, math.nan))
    return value, value >= ctx.thresholds.robust_accuracy, f"{vd.fmt(value)} at the peak (level {peak[ctx.factor]:g})"


def _segment_keeps(ctx: Context, testset: str) -> tuple[float, bool, str]:
    first = ctx.rows[ctx.rows[ctx.factor] <= ctx.peak()[ctx.factor]]
    mean, clean = float(first[testset].mean()), ctx.clean_accuracy(testset)
    return mean, mean >= clean - ctx.thresholds.tolerance, f"segment I mean {vd.fmt(mean)}, clean {vd.fmt(clean)}"


def _min_keeps(ctx: Context, testset: str) -> tuple[float, bool, str]:
    low, clean = float(ctx.rows[testset].min()), ctx.clean_accuracy(testset)
    return low, low >= clean - ctx.thresholds.tolerance, f"min {vd.fmt(low)}, clean {vd.fmt(clean)}"


def _mean_keeps(ctx: Context, testset: str) -> tuple[float, bool, str]:
    mean, clean = float(ctx.rows[testset].mean()), ctx.clean_accuracy(testset)
    return mean, mean >= clean - ctx.thresholds.tolerance, f"mean {vd.fmt(mean)}, clean {vd.fmt(clean)}"


G, F, T = "gaussian_benchmark", TRANSFER, "test"
CLAIMS: dict[int, tuple[str, str, list[ClaimSpec]]] = {
    1: ("rq1_gaussian",
        "Gaussian-noise training raises robustness, but only a little: the clean model is already robust to random "
        "noise and Gaussian training does not make it adversarially robust.",
        [ClaimSpec("{acc} rises with training noise", G, "spearman", +1),
         ClaimSpec("{acc} rises (slightly) with training noise", F, "spearman", +1),
         ClaimSpec("no model reaches {acc} {robust}", F, "level", check=_none_robust),
         ClaimSpec("the clean model already has {acc} >= {robust}", G, "level", check=_clean_robust)]),
    2: ("rq2_fgsm",
        "FGSM training strongly raises adversarial robustness while keeping clean accuracy and random robustness; "
        "too large a perturbation (beyond about L2 = 8) lowers adversarial robustness again.",
        [ClaimSpec("{acc} rises with the FGSM level up to the peak (segment I)", F, "segment", +1, "I"),
         ClaimSpec("beyond the peak {acc} falls (segment II)", F, "segment", -1, "II"),
         ClaimSpec("the best model reaches {acc} >= {robust}", F, "level", check=_best_robust),
         ClaimSpec("the model at the FGSM-benchmark peak keeps {acc} >= {robust}", G, "level", check=_peak_keeps),
         ClaimSpec("segment I keeps {acc} (mean >= clean - {tol})", T, "level", check=_segment_keeps)]),
    3: ("rq3_imbalance",
        "Class imbalance does not change clean performance, does not make models adversarially robust, and may "
        "lower random robustness.",
        [ClaimSpec("{acc} stays within {tol} of the clean model", T, "level", check=_min_keeps),
         ClaimSpec("no model reaches {acc} {robust}", F, "level", check=_none_robust),
         ClaimSpec("{acc} falls with class imbalance", G, "spearman", -1)]),
    4: ("rq4_label_error",
        "Label errors lower clean performance and random robustness; adversarial robustness rises, but not enough "
        "to make the model adversarially robust.",
        [ClaimSpec("{acc} falls with label errors", T, "spearman", -1),
         ClaimSpec("{acc} falls with label errors", G, "spearman", -1),
         ClaimSpec("{acc} rises with label errors", F, "spearman", +1),
         ClaimSpec("no model reaches {acc} {robust}", F, "level", check=_none_robust)]),
    5: ("rq5_dual",
        "Gaussian + FGSM training together have a significant positive effect on adversarial robustness and do "
        "not severely degrade clean performance; the effect on random robustness depends on the architecture.",
        [ClaimSpec("{acc} correlates with the two levels jointly (R, F-test: the paper's statistic)", F, "joint"),
         ClaimSpec("{acc} rises with the FGSM level (its own OLS coefficient)", F, "slope", +1, factor="fgsm"),
         ClaimSpec("mean {acc} over the grid within {tol} of the clean model", T, "level", check=_mean_keeps)]),
    6: ("rq6_four",
        "Training with all four perturbations correlates linearly and positively with adversarial robustness, "
        "without lowering random robustness.",
        [ClaimSpec("{acc} correlates with the four levels jointly (R, F-test: the paper's statistic)", F, "joint"),
         ClaimSpec("{acc} rises with the FGSM level (its own OLS coefficient)", F, "slope", +1, factor="fgsm"),
         ClaimSpec("mean {acc} within {tol} of the clean model", G, "level", check=_mean_keeps)]),
}
PAPER_TABLE = {series: table for table, (series, _) in pp.TABLES.items()}


@dataclass
class ClaimResult:
    """One claim for one architecture: our status on the paper's protocol, on white-box attacks, and the status
    the paper's own numbers give it (None where its tables hold no such number)."""

    architecture: str
    text: str
    judgement: vd.Judgement
    whitebox: dict[str, vd.Judgement] = field(default_factory=dict)
    paper: vd.Judgement | None = None

    @property
    def status(self) -> str:
        """Our status on the paper's protocol."""
        return self.judgement.status

    @property
    def disagrees(self) -> bool:
        """Whether a white-box status differs from the transfer one where either is decided."""
        decided = {vd.SUPPORTED, vd.CONTRADICTED}
        return any(j.status != self.status and (j.status in decided or self.status in decided)
                   for j in self.whitebox.values())


@dataclass
class Finding:
    """A finding of the paper: our claims, the verdict the paper's own numbers imply, notes."""

    number: int
    series: str
    statement: str
    claims: list[ClaimResult] = field(default_factory=list)
    paper_claims: list[ClaimResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """Our verdict on the paper's protocol (verdicts.summarize)."""
        return vd.summarize([c.status for c in self.claims])

    @property
    def whitebox_verdict(self) -> str:
        """The verdict with every robustness claim judged on white-box attacks instead of transfer."""
        if not any(c.whitebox for c in self.claims):
            return vd.summarize([])
        return vd.summarize([j.status for c in self.claims for j in (c.whitebox.values() or [c.judgement])])

    @property
    def paper_verdict(self) -> str:
        """What the paper's own tables imply, over the claims they hold numbers for."""
        return vd.summarize([c.paper.status for c in self.paper_claims if c.paper is not None])


def _text(spec: ClaimSpec, testset: str, thresholds: Thresholds) -> str:
    return spec.text.format(acc=ACCURACY.get(testset, testset), robust=thresholds.robust_accuracy,
                            tol=thresholds.tolerance)


def our_tables(summary: pd.DataFrame, settings: Settings, seeds: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every statistics table the findings read, keyed '<series>' (r or R), '<series>_segments', '<series>_slopes'."""
    out = {}
    present = set(summary["series"])
    for series in SINGLE_FACTOR_SERIES:
        if series in present:
            out[series] = tb.spearman_table(summary, series, settings, seeds=seeds)
    if "rq2_fgsm" in present:
        out["rq2_fgsm_segments"] = tb.segments_table(summary, "rq2_fgsm", settings, seeds=seeds)
    for series in MULTI_FACTOR_SERIES:
        if series in present:
            out[series] = tb.multiple_correlation_table(summary, series, settings)
            out[series + "_slopes"] = tb.coefficient_table(summary, series, settings)
    return out


def _value(row: pd.Series, column: str) -> float:
    value = row.get(column, math.nan)
    return math.nan if value is None or pd.isna(value) else float(value)


def _our_evidence(spec: ClaimSpec, tables: dict[str, pd.DataFrame], series: str, arch: str,
                  testset: str) -> vd.Evidence | None:
    key = {"segment": series + "_segments", "slope": series + "_slopes"}.get(spec.kind, series)
    table = tables.get(key)
    if table is None:
        return None
    mask = (table["architecture"] == arch) & (table["testset"] == testset)
    if spec.segment:
        mask &= table["segment"] == spec.segment
    if spec.factor:
        mask &= table["factor"] == spec.factor
    if not mask.any():
        return None
    row = table[mask].iloc[0]
    stat = {"joint": "R", "slope": "slope"}.get(spec.kind, "r")
    return vd.Evidence(stat, _value(row, stat), _value(row, "p"), int(row["n"]), _value(row, "p_min"),
                       _value(row, "ci_low"), _value(row, "ci_high"), str(row.get("note", "") or ""))


def _judge(specs: list[tuple[ClaimSpec, str, vd.Evidence | None, Context | None]],
           alpha: float, thresholds: Thresholds) -> list[vd.Judgement]:
    """Judgements of claims in order: trend claims as one Holm family, level claims one by one."""
    trends = [i for i, (spec, *_) in enumerate(specs) if spec.trend]
    judged = vd.judge_trends([specs[i][2] for i in trends], [specs[i][0].direction for i in trends], alpha)
    out: list[vd.Judgement | None] = [None] * len(specs)
    for i, j in zip(trends, judged, strict=True):
        out[i] = j
    for i, (spec, testset, _, ctx) in enumerate(specs):
        if spec.trend:
            continue
        if ctx is None or testset not in ctx.rows or ctx.rows[testset].isna().all():
            out[i] = vd.Judgement(vd.NOT_TESTABLE, math.nan, "no data")
        else:
            out[i] = vd.judge_level(*spec.check(ctx, testset))
    return out  # type: ignore[return-value]


def _context(summary: pd.DataFrame, series: str, arch: str, thresholds: Thresholds) -> Context:
    rows = series_rows(summary, series)
    rows = rows[rows["architecture"] == arch]
    clean = summary[(summary["series"] == "clean") & (summary["architecture"] == arch)]
    factor = SINGLE_FACTOR_SERIES.get(series, "fgsm")
    return Context(rows, clean.iloc[0] if len(clean) else None, factor, thresholds)


def paper_claims(number: int, alpha: float, thresholds: Thresholds = Thresholds()) -> list[ClaimResult]:
    """A finding's claims judged on the paper's own Tables 2-7, both architectures, as one Holm family.

    Level claims and per-factor slopes have no number in those tables; their `paper` is None.
    """
    series, _, specs = CLAIMS[number]
    table = PAPER_TABLE[series]
    items, owners = [], []
    for arch in pp.ARCHS.values():
        for spec in specs:
            if spec.kind in ("spearman", "segment", "joint"):
                items.append((spec, spec.testset, pp.evidence(table, arch, spec.testset, spec.segment), None))
                owners.append(arch)
    judged = _judge(items, alpha, thresholds)
    out = [ClaimResult(arch, _text(spec, testset, thresholds), j, paper=j)
           for arch, (spec, testset, _, _), j in zip(owners, items, judged, strict=True)]
    return out


def _paper_notes(number: int, claims: list[ClaimResult]) -> list[str]:
    """Where the paper's numbers do not support the paper's own text."""
    table = PAPER_TABLE[CLAIMS[number][0]]
    return [f"{table}, {c.architecture}: the paper's text claims '{c.text}', but its own numbers give "
            f"{c.paper.status} ({c.paper.reason})." for c in claims if c.paper and c.paper.status != vd.SUPPORTED]


def evaluate_findings(summary: pd.DataFrame, settings: Settings, thresholds: Thresholds,
                      tables: dict[str, pd.DataFrame] | None = None) -> list[Finding]:
    """Judge the six findings on a per-model summary (absent series: 'not in this study') and on the paper."""
    tables = our_tables(summary, settings) if tables is None else tables
    present = set(summary["series"])
    out = []
    for number, (series, statement, specs) in CLAIMS.items():
        finding = Finding(number, series, statement, paper_claims=paper_claims(number, settings.alpha, thresholds))
        finding.notes = _paper_notes(number, finding.paper_claims)
        table = PAPER_TABLE[series]
        finding.notes += [f"{table}: {e}" for e in pp.consistency().query("table == @table")["erratum"] if e]
        finding.notes += [f"{table}: {e}" for e in pp.TEXT_ERRATA.get(table, [])]
        out.append(finding)
        if series not in present:
            continue
        archs = list(dict.fromkeys(summary.loc[summary["series"] == series, "architecture"]))
        testsets = set(summary.columns)
        transfer, whitebox, owners = [], [], []
        for arch in archs:
            ctx = _context(summary, series, arch, thresholds)
            for spec in specs:
                transfer.append((spec, spec.testset, _our_evidence(spec, tables, series, arch, spec.testset), ctx))
                owners.append(arch)
                if spec.testset == TRANSFER:
                    whitebox += [(len(transfer) - 1, (spec, w, _our_evidence(spec, tables, series, arch, w), ctx))
                                 for w in WHITEBOX if w in testsets]
        judged = _judge(transfer, settings.alpha, thresholds)
        judged_wb = _judge([item for _, item in whitebox], settings.alpha, thresholds)
        paper = {(c.architecture, c.text): c.paper for c in finding.paper_claims}
        for arch, (spec, testset, _, _), j in zip(owners, transfer, judged, strict=True):
            text = _text(spec, testset, thresholds)
            finding.claims.append(ClaimResult(arch, text, j, paper=paper.get((arch, text))))
        for (index, (_, testset, _, _)), j in zip(whitebox, judged_wb, strict=True):
            finding.claims[index].whitebox[testset] = j
    return out


def verdict_table(findings: list[Finding]) -> pd.DataFrame:
    """One row per finding: our verdict (transfer, the paper's protocol), on white-box attacks, and the paper's."""
    return pd.DataFrame([{"finding": f.number, "series": f.series, "verdict": f.verdict,
                          "whitebox_verdict": f.whitebox_verdict, "paper_verdict": f.paper_verdict}
                         for f in findings])


def _cell(j: vd.Judgement | None) -> str:
    return "-" if j is None else f"{j.status}: {j.reason}" if j.reason else j.status


def _pipe(text: str) -> str:
    return text.replace("|", "/")


def findings_markdown(findings: list[Finding], settings: Settings, thresholds: Thresholds, study: str,
                      n_seeds: int = 1, replication: pd.DataFrame | None = None) -> str:
    """findings.md: the verdict table, then per finding its claims with evidence on each protocol, the paper's
    own verdict, transfer/white-box disagreements, the paper's unsupported text and its replication rows."""
    seeds = ("one seed per training set: intervals of r are over levels (pairs bootstrap), not seeds"
             if n_seeds < 2 else f"{n_seeds} seeds per training set: intervals of r resample seeds within levels")
    lines = [f"# Findings of Wang et al. (2024) on study `{study}`", "",
             "Each finding is a set of claims, each judged per architecture as **supported**, **contradicted**, "
             "**no evidence** (tested, not significant: the interval bounds the effect) or **not testable here** "
             "(the statistic is undefined, or its n cannot reach significance: the reason is shown). A trend claim "
             f"reads a statistic with Holm-adjusted p < {settings.alpha} (Holm over the finding's trend claims); a "
             f"level claim compares accuracies: robust = accuracy >= {thresholds.robust_accuracy}, 'kept' = within "
             f"{thresholds.tolerance} of the clean model. A finding is supported when all its claims are, "
             "contradicted when any is, partly supported when some are.", "",
             "Robustness claims are judged on the FGSM benchmark (transfer from the clean source model: the "
             "paper's protocol) and again on each model's own white-box FGSM and PGD-L2 attacks. 'Paper's numbers' "
             "applies the same rules to the paper's Tables 2-7 (level claims and per-factor slopes have no number "
             f"there). Benchmark accuracy = mean over benchmark levels; {seeds}.", "",
             "| Finding | Series | Verdict (transfer: paper's protocol) | White-box | Paper's numbers imply |",
             "|---|---|---|---|---|"]
    lines += [f"| #{f.number} | {f.series} | {f.verdict} | {f.whitebox_verdict} | {f.paper_verdict} |"
              for f in findings]
    for f in findings:
        lines += ["", f"## Finding #{f.number} ({f.series}): {f.verdict}", "", f"Paper: {f.statement}", "",
                  f"The paper's own numbers imply: {f.paper_verdict}.", ""]
        if not f.claims:
            lines.append("The config of this study does not include this series.")
        else:
            wb = [w for w in WHITEBOX if any(w in c.whitebox for c in f.claims)]
            lines += ["| Architecture | Claim | Ours (transfer) | " + " | ".join(ACCURACY[w] for w in wb)
                      + " | Paper's numbers |", "|---|---|---|" + "---|" * len(wb) + "---|"]
            for c in f.claims:
                cells = [c.architecture, c.text, _cell(c.judgement), *[_cell(c.whitebox.get(w)) for w in wb],
                         _cell(c.paper)]
                lines.append("| " + " | ".join(_pipe(x) for x in cells) + " |")
            differ = [c for c in f.claims if c.disagrees]
            if differ:
                lines += ["", "Transfer and white-box disagree:", ""]
                lines += [f"- {c.architecture}: {c.text}: transfer {c.status}; "
                          + "; ".join(f"{ACCURACY[w]} {j.status}" for w, j in c.whitebox.items()) for c in differ]
        if replication is not None and len(replication):
            rows = replication[replication["table"] == PAPER_TABLE[f.series]]
            if len(rows):
                lines += ["", "Replication of the paper's numbers (tables/replication.csv):", "",
                          tb._formatted(rows.drop(columns=["table"])).to_markdown(index=False, disable_numparse=True)]
        if f.notes:
            lines += ["", "The paper's numbers against its text, and its errata:", ""] + [f"- {n}" for n in f.notes]
    return "\n".join(lines) + "\n"


def paper_verdict_rows(alpha: float = 0.05) -> pd.DataFrame:
    """Every claim the paper's tables can test, with the paper's number and the status it implies."""
    rows = []
    for number in CLAIMS:
        for c in paper_claims(number, alpha):
            rows.append({"finding": number, "architecture": c.architecture, "claim": c.text,
                         "status": c.paper.status if c.paper else "", "evidence": c.paper.reason if c.paper else ""})
    return pd.DataFrame(rows)

