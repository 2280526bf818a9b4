"""The paper's six findings as claims, judged on our data and on the paper's own tables; findings.md.

A finding is a list of claims (CLAIMS). A trend claim reads one statistic (Spearman r of a series or a segment,
a factor's own OLS slope, or the joint R of a multi-factor fit); the trend claims of a finding form one Holm
family. A level claim compares accuracies with the configured thresholds. Every claim on the FGSM benchmark
(transfer from the clean source model: the paper's protocol) is judged again with the model's own white-box
FGSM, then PGD-L2, accuracy in its place: one family per attack, mirroring the transfer family. RQ2's segments
are split at the paper's peaks (L2 = 8 LeNet-5, 7 AlexNet-8), fixed in advance: a split at our own maximum would
favour 'rises, then falls'. verdicts.py turns statistics into statuses.
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
    model, the series' factor, the level that ends RQ2's segment I, and the thresholds."""

    rows: pd.DataFrame
    clean: pd.Series | None
    factor: str
    split: float
    thresholds: Thresholds

    def clean_accuracy(self, testset: str) -> float:
        """The clean model's accuracy on a test set (NaN if absent)."""
        if self.clean is None or testset not in self.clean or pd.isna(self.clean[testset]):
            return math.nan
        return float(self.clean[testset])

    def peak(self) -> pd.Series | None:
        """The model with the highest FGSM-benchmark accuracy (first in level order); None without any."""
        if TRANSFER not in self.rows or self.rows[TRANSFER].isna().all():
            return None
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
    direction: int | None = vd.ASSOCIATED
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
    if peak is None:
        return math.nan, False, "no FGSM-benchmark accuracy"
    value = float(peak.get(testset, math.nan))
    return value, value >= ctx.thresholds.robust_accuracy, f"{vd.fmt(value)} at the peak (level {peak[ctx.factor]:g})"


def _kept(value: float, ctx: Context, testset: str, what: str) -> tuple[float, bool, str]:
    """Whether `value` stays within the tolerance of the clean model (NaN, so not testable, without one)."""
    clean = ctx.clean_accuracy(testset)
    shown = f"{what} {vd.fmt(value)}, clean {vd.fmt(clean)}"
    return (math.nan if math.isnan(clean) else value), value >= clean - ctx.thresholds.tolerance, shown


def _segment_keeps(ctx: Context, testset: str) -> tuple[float, bool, str]:
    first = ctx.rows[ctx.rows[ctx.factor] <= ctx.split]
    return _kept(float(first[testset].mean()), ctx, testset, f"segment I (levels <= {ctx.split:g}) mean")


def _min_keeps(ctx: Context, testset: str) -> tuple[float, bool, str]:
    return _kept(float(ctx.rows[testset].min()), ctx, testset, "min")


def _mean_keeps(ctx: Context, testset: str) -> tuple[float, bool, str]:
    return _kept(float(ctx.rows[testset].mean()), ctx, testset, "mean")


G, F, T = "gaussian_benchmark", TRANSFER, "test"
UP, DOWN, ANY, NONE = vd.RISES, vd.FALLS, vd.ASSOCIATED, vd.NO_EFFECT


def _linear_claims(count: str) -> list[ClaimSpec]:
    """RQ5/RQ6's shared pair: the joint R of the `count` levels (the paper's statistic) and the FGSM slope."""
    return [ClaimSpec(f"{{acc}} correlates with the {count} levels jointly (R, F-test: the paper's statistic)", F,
                      "joint", ANY),
            ClaimSpec("{acc} rises with the FGSM level (its own OLS coefficient)", F, "slope", UP, factor="fgsm")]


CLAIMS: dict[int, tuple[str, str, list[ClaimSpec]]] = {
    1: ("rq1_gaussian",
        "Gaussian-noise training raises robustness, but only a little: the clean model is already robust to random "
        "noise and Gaussian training does not make it adversarially robust.",
        [ClaimSpec("{acc} rises with training noise", G, "spearman", UP),
         ClaimSpec("{acc} rises (slightly) with training noise", F, "spearman", UP),
         ClaimSpec("no model reaches {acc} {robust}", F, "level", check=_none_robust),
         ClaimSpec("the clean model already has {acc} >= {robust}", G, "level", check=_clean_robust)]),
    2: ("rq2_fgsm",
        "FGSM training strongly raises adversarial robustness while keeping clean accuracy and random robustness; "
        "too large a perturbation (beyond about L2 = 8) lowers adversarial robustness again.",
        [ClaimSpec("{acc} rises with the FGSM level up to the paper's peak (segment I)", F, "segment", UP, "I"),
         ClaimSpec("beyond the paper's peak {acc} falls (segment II)", F, "segment", DOWN, "II"),
         ClaimSpec("the best model reaches {acc} >= {robust}", F, "level", check=_best_robust),
         ClaimSpec("the model at the FGSM-benchmark peak keeps {acc} >= {robust}", G, "level", check=_peak_keeps),
         ClaimSpec("segment I keeps {acc} (mean >= clean - {tol})", T, "level", check=_segment_keeps)]),
    3: ("rq3_imbalance",
        "Class imbalance does not change clean performance, does not make models adversarially robust, and may "
        "lower random robustness.",
        [ClaimSpec("{acc} does not change with class imbalance", T, "spearman", NONE),
         ClaimSpec("{acc} stays within {tol} of the clean model", T, "level", check=_min_keeps),
         ClaimSpec("no model reaches {acc} {robust}", F, "level", check=_none_robust),
         ClaimSpec("{acc} falls with class imbalance", G, "spearman", DOWN)]),
    4: ("rq4_label_error",
        "Label errors lower clean performance and random robustness; adversarial robustness rises, but not enough "
        "to make the model adversarially robust.",
        [ClaimSpec("{acc} falls with label errors", T, "spearman", DOWN),
         ClaimSpec("{acc} falls with label errors", G, "spearman", DOWN),
         ClaimSpec("{acc} rises with label errors", F, "spearman", UP),
         ClaimSpec("no model reaches {acc} {robust}", F, "level", check=_none_robust)]),
    5: ("rq5_dual",
        "Gaussian + FGSM training together have a significant positive effect on adversarial robustness and do "
        "not severely degrade clean performance; the effect on random robustness depends on the architecture.",
        [*_linear_claims("two"),
         ClaimSpec("{acc} does not change with the Gaussian level (its own OLS coefficient)", F, "slope", NONE,
                   factor="gaussian"),
         ClaimSpec("mean {acc} over the grid within {tol} of the clean model", T, "level", check=_mean_keeps)]),
    6: ("rq6_four",
        "Training with all four perturbations correlates linearly and positively with adversarial robustness, "
        "without lowering random robustness.",
        [*_linear_claims("four"),
         ClaimSpec("mean {acc} within {tol} of the clean model", G, "level", check=_mean_keeps)]),
}
PAPER_TABLE = {series: table for table, (series, _) in pp.TABLES.items()}


@dataclass
class ClaimResult:
    """One claim for one architecture: our status on the paper's protocol, with each white-box attack in the
    transfer benchmark's place, and the status the paper's own numbers give it (None where its tables hold no
    such number)."""

    architecture: str
    text: str
    judgement: vd.Judgement
    whitebox: dict[str, vd.Judgement] = field(default_factory=dict)
    paper: vd.Judgement | None = None
    robustness: bool = False

    @property
    def status(self) -> str:
        """Our status on the paper's protocol."""
        return self.judgement.status

    @property
    def disagrees(self) -> bool:
        """Whether a white-box status of a robustness claim differs from the transfer one where either is decided."""
        decided = {vd.SUPPORTED, vd.CONTRADICTED}
        return self.robustness and any(j.status != self.status and (j.status in decided or self.status in decided)
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

    def whitebox_verdict(self, attack: str) -> str:
        """The verdict with `attack`'s white-box accuracy in the FGSM benchmark's place ('' without it)."""
        if not any(attack in c.whitebox for c in self.claims):
            return "" if self.claims else vd.summarize([])
        return vd.summarize([c.whitebox[attack].status for c in self.claims if attack in c.whitebox])

    @property
    def paper_verdict(self) -> str:
        """What the paper's own tables imply, over the claims they hold numbers for."""
        return vd.summarize([c.paper.status for c in self.paper_claims if c.paper is not None])


def _text(spec: ClaimSpec, testset: str, thresholds: Thresholds) -> str:
    return spec.text.format(acc=ACCURACY.get(testset, testset), robust=thresholds.robust_accuracy,
                            tol=thresholds.tolerance)


def our_tables(summary: pd.DataFrame, settings: Settings, seeds: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every statistics table the findings read, keyed '<series>' (r or R), 'rq2_fgsm_segments' (split at the
    paper's peaks) and '<series>_slopes'."""
    out = {}
    present = set(summary["series"])
    for series in SINGLE_FACTOR_SERIES:
        if series in present:
            out[series] = tb.spearman_table(summary, series, settings, seeds=seeds)
    if "rq2_fgsm" in present:
        out["rq2_fgsm_segments"] = tb.segments_table(summary, "rq2_fgsm", settings, seeds=seeds,
                                                     split_at=pp.FGSM_PEAK)
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


Item = tuple[ClaimSpec, str, "vd.Evidence | None", "Context | None"]


def _judge(items: list[Item], alpha: float) -> list[vd.Judgement]:
    """Judgements of claims in order: trend claims as one Holm family, level claims one by one."""
    trends = [i for i, (spec, *_) in enumerate(items) if spec.trend]
    judged = vd.judge_trends([items[i][2] for i in trends], [items[i][0].direction for i in trends], alpha)
    out: list[vd.Judgement | None] = [None] * len(items)
    for i, j in zip(trends, judged, strict=True):
        out[i] = j
    for i, (spec, testset, _, ctx) in enumerate(items):
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
    split = pp.FGSM_PEAK.get(arch, math.inf)
    return Context(rows, clean.iloc[0] if len(clean) else None, factor, split, thresholds)


def paper_claims(number: int, alpha: float, thresholds: Thresholds = Thresholds()) -> list[ClaimResult]:
    """A finding's claims judged on the paper's own Tables 2-7, both architectures, as one Holm family.

    Level claims and per-factor slopes have no number in those tables and are left out.
    """
    series, _, specs = CLAIMS[number]
    table = PAPER_TABLE[series]
    items, owners = [], []
    for arch in pp.ARCHS.values():
        for spec in specs:
            if spec.kind in ("spearman", "segment", "joint"):
                items.append((spec, spec.testset, pp.evidence(table, arch, spec.testset, spec.segment), None))
                owners.append(arch)
    return [ClaimResult(arch, _text(spec, testset, thresholds), j, paper=j, robustness=testset == TRANSFER)
            for arch, (spec, testset, _, _), j in zip(owners, items, _judge(items, alpha), strict=True)]


def _paper_notes(number: int, claims: list[ClaimResult]) -> list[str]:
    """Where the paper's numbers do not support the paper's own text."""
    table = PAPER_TABLE[CLAIMS[number][0]]
    return [f"{table}, {c.architecture}: the paper's text claims '{c.text}', but its own numbers give "
            f"{c.paper.status} ({c.paper.reason})." for c in claims if c.paper and c.paper.status != vd.SUPPORTED]


def _items(summary: pd.DataFrame, tables: dict[str, pd.DataFrame], series: str, specs: list[ClaimSpec],
           thresholds: Thresholds, attack: str = TRANSFER) -> tuple[list[Item], list[str]]:
    """The finding's claims per architecture, with `attack`'s accuracy in the FGSM benchmark's place."""
    items, owners = [], []
    for arch in dict.fromkeys(summary.loc[summary["series"] == series, "architecture"]):
        ctx = _context(summary, series, arch, thresholds)
        for spec in specs:
            testset = attack if spec.testset == TRANSFER else spec.testset
            items.append((spec, testset, _our_evidence(spec, tables, series, arch, testset), ctx))
            owners.append(arch)
    return items, owners


def evaluate_findings(summary: pd.DataFrame, settings: Settings, thresholds: Thresholds,
                      tables: dict[str, pd.DataFrame] | None = None) -> list[Finding]:
    """Judge the six findings on a per-model summary (absent series: 'not in this study') and on the paper."""
    tables = our_tables(summary, settings) if tables is None else tables
    present, columns = set(summary["series"]), set(summary.columns)
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
        items, owners = _items(summary, tables, series, specs, thresholds)
        paper = {(c.architecture, c.text): c.paper for c in finding.paper_claims}
        for arch, (spec, testset, _, _), j in zip(owners, items, _judge(items, settings.alpha), strict=True):
            text = _text(spec, testset, thresholds)
            finding.claims.append(ClaimResult(arch, text, j, paper=paper.get((arch, text)),
                                              robustness=testset == TRANSFER))
        for attack in (w for w in WHITEBOX if w in columns):
            attack_items, _ = _items(summary, tables, series, specs, thresholds, attack)
            for claim, j in zip(finding.claims, _judge(attack_items, settings.alpha), strict=True):
                claim.whitebox[attack] = j
    return out


def _cell(j: vd.Judgement | None) -> str:
    return "-" if j is None else f"{j.status}: {j.reason}" if j.reason else j.status


def _pipe(text: str) -> str:
    return text.replace("|", "/")


def findings_markdown(findings: list[Finding], settings: Settings, thresholds: Thresholds, study: str,
                      n_seeds: int = 1, replication: pd.DataFrame | None = None) -> str:
    """findings.md: the verdict table, then per finding its claims with evidence on each protocol, the paper's
    own verdict, transfer/white-box disagreements, the paper's unsupported text and its replication rows."""
    seeds = ("one seed per training set: no interval across seeds; intervals of r resample (level, accuracy) "
             "pairs" if n_seeds < 2 else f"{n_seeds} seeds per training set: intervals of r come from the seed "
                                         "noise (each table's ci_method)")
    attacks = [w for w in WHITEBOX if any(f.whitebox_verdict(w) for f in findings)]
    lines = [f"# Findings of Wang et al. (2024) on study `{study}`", "",
             "Each finding is a set of claims, each judged per architecture as **supported**, **contradicted**, "
             "**no evidence** (tested, not significant: the interval bounds the effect) or **not testable here** "
             "(the statistic is undefined, or its n cannot reach significance: the reason is shown). A trend claim "
             f"reads a statistic with Holm-adjusted p < {settings.alpha} (Holm over the finding's trend claims); a "
             "claim of no effect is contradicted by a significant trend of either sign. A level claim compares "
             f"accuracies: robust = accuracy >= {thresholds.robust_accuracy}, 'kept' = within "
             f"{thresholds.tolerance} of the clean model. A finding is supported when all its claims are, "
             "contradicted when any is, partly supported when some are.", "",
             "Robustness claims are judged on the FGSM benchmark (transfer from the clean source model: the "
             "paper's protocol) and again with each model's own white-box FGSM, then PGD-L2, accuracy in its place "
             "(one Holm family per attack, mirroring the transfer one). RQ2's segments split at the paper's peaks "
             f"(L2 = {pp.FGSM_PEAK['lenet5']:g} LeNet-5, {pp.FGSM_PEAK['alexnet8']:g} AlexNet-8), fixed in advance. "
             "'Paper's numbers' applies the same rules to the paper's Tables 2-7 (level claims and per-factor "
             f"slopes have no number there). Benchmark accuracy = mean over benchmark levels; {seeds}.", "",
             "| Finding | Series | Verdict (transfer: paper's protocol) | "
             + "".join(f"{ACCURACY[w]} in its place | " for w in attacks) + "Paper's numbers imply |",
             "|---|---|---|" + "---|" * len(attacks) + "---|"]
    lines += [f"| #{f.number} | {f.series} | {f.verdict} | " + "".join(f"{f.whitebox_verdict(w)} | " for w in attacks)
              + f"{f.paper_verdict} |" for f in findings]
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
                whitebox = [_cell(c.whitebox.get(w)) if c.robustness else "-" for w in wb]
                cells = [c.architecture, c.text, _cell(c.judgement), *whitebox, _cell(c.paper)]
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
