"""Table I / Table II analogues, the ablation table and figures, and the confusion-matrix figures.

Table I: RAcc (%) under each attack and GAcc (%) per CNN and method, plus the CNN-group means (GROUPS: the
paper's widely used and lightweight CNNs, over the members present) and the mean over all CNNs.
Table II: mAP (clean), mARP (under `table2_attack`), macro precision / recall / F1 on clean test data
(and the same three under the attack, prefixed `robust_`), with the same rows.

Seeds are replicates: each value is the mean over seeds with the Student-t interval across seeds
(`perturbation.analysis.stats.replicate_interval`; columns `<value>_ci_low` / `<value>_ci_high`, NaN with one
seed: no interval is available). A group row takes, per seed, the mean over the group's CNNs (seeds that every
one of them has), then the mean and interval across seeds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..artifacts import atomic_path, atomic_write, write_csv
from ..perturbation.analysis.stats import replicate_interval
from .methods import METHOD_LABELS

ALL = "all CNNs (mean)"
GROUPS: dict[str, tuple[str, ...]] = {
    "widely used CNNs (mean)": ("resnet34", "inceptionv3", "densenet121"),
    "lightweight CNNs (mean)": ("mobilenetv2", "shufflenetv2", "squeezenet"),
}
"""The paper's CNN groups (Tables I and II): a group row averages the members present in the run; none: no row."""
NA = "\u2014"
"""How a Markdown table shows an interval that is not available (one seed)."""


def _order(frame: pd.DataFrame, archs: list[str], methods: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    frame["_a"] = frame["architecture"].map({a: i for i, a in enumerate([*archs, *GROUPS, ALL])})
    frame["_m"] = frame["method"].map({METHOD_LABELS[m]: i for i, m in enumerate(methods)})
    return frame.sort_values(["_a", "_m"]).drop(columns=["_a", "_m"]).reset_index(drop=True)


def pooled_units(archs: Iterable[str]) -> dict[str, list[str]]:
    """The group rows of the CNNs present: each of GROUPS with at least one member present (its present members),
    and ALL (every CNN) with two or more."""
    archs = list(dict.fromkeys(archs))
    units = {label: [a for a in members if a in archs] for label, members in GROUPS.items()}
    units = {label: present for label, present in units.items() if present}
    if len(archs) >= 2:
        units[ALL] = archs
    return units


def _interval_row(arch: str, method: str, per_seed: pd.DataFrame, values: list[str],
                  confidence: float) -> dict:
    row = {"architecture": arch, "method": method, "n_seeds": len(per_seed)}
    for v in values:
        _, row[v], _, row[f"{v}_ci_low"], row[f"{v}_ci_high"] = replicate_interval(
            per_seed[v].to_numpy(float), confidence)
    return row


def seed_summary(per_seed: pd.DataFrame, values: list[str], confidence: float = 0.95) -> pd.DataFrame:
    """Mean over seeds and the t-interval across seeds of each value, per (CNN, method) and per group row
    (`pooled_units`: per seed the mean over the group's CNNs, seeds that all of them have), from one row per
    (architecture, method, seed). Columns: architecture, method, the values, n_seeds, then each value's
    `_ci_low` / `_ci_high` (NaN with one seed)."""
    rows = [_interval_row(arch, method, g, values, confidence)
            for (arch, method), g in per_seed.groupby(["architecture", "method"], sort=False)]
    for label, members in pooled_units(per_seed["architecture"]).items():
        sub = per_seed[per_seed["architecture"].isin(members)]
        for method, g in sub.groupby("method", sort=False):
            counts = g.groupby("seed")["architecture"].nunique()
            complete = g[g["seed"].isin(counts.index[counts == len(members)])]
            rows.append(_interval_row(label, method, complete.groupby("seed")[values].mean(), values, confidence))
    cis = [f"{v}_{end}" for v in values for end in ("ci_low", "ci_high")]
    return pd.DataFrame(rows, columns=["architecture", "method", *values, "n_seeds", *cis])


def interval_markdown(frame: pd.DataFrame, values: list[str], digits: int,
                      keys: Sequence[str] = ("architecture", "method", "n_seeds")) -> pd.DataFrame:
    """A display copy of a `seed_summary` table (its `keys` columns, then each value as 'mean [low, high]', or
    'mean [—]' where the interval is not available: one seed); the CI columns folded in."""
    out = frame[list(keys)].copy()
    for v in values:
        def cell(row, v=v):
            mean, lo, hi = row[v], row[f"{v}_ci_low"], row[f"{v}_ci_high"]
            if pd.isna(mean):
                return "nan"
            band = f"[{NA}]" if pd.isna(lo) or pd.isna(hi) else f"[{lo:.{digits}f}, {hi:.{digits}f}]"
            return f"{mean:.{digits}f} {band}"
        out[v] = frame.apply(cell, axis=1) if len(frame) else []
    return out


def _interval_note(confidence: float) -> str:
    groups = "; ".join(f"{label} = {', '.join(members)}" for label, members in GROUPS.items())
    return (f"Cells: mean over seeds [{confidence:.0%} t-interval across seeds]; [{NA}] = not available (one seed). "
            f"Group rows: {groups}, over the members present (per seed the mean over them, then across seeds). "
            "Paired tests of DPAAT against each baseline: comparisons.md.")


def markdown(frame: pd.DataFrame, digits: int = 2) -> str:
    """A GitHub Markdown table (no extra dependency)."""
    def cell(v):
        return f"{v:.{digits}f}" if isinstance(v, float | np.floating) else str(v)
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def _write_md(path: str | Path, title: str, frame: pd.DataFrame, digits: int) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(f"{title}\n\n{markdown(frame, digits)}"))


def load_metrics(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Concatenate the per-model metrics CSVs."""
    return pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)


TABLE2_VALUES = ["mAP", "mARP", "precision", "recall", "f1", "robust_precision", "robust_recall", "robust_f1"]


def table1(metrics: pd.DataFrame, attacks: list[str], archs: list[str], methods: list[str],
           confidence: float = 0.95) -> pd.DataFrame:
    """RAcc per attack and GAcc, percent: seed means and t-intervals across seeds (`seed_summary`), one row per
    (CNN, method) plus the group rows."""
    keys = ["architecture", "method", "seed"]
    wide = metrics.pivot_table(index=keys, columns="testset", values="accuracy").reset_index()
    wide = wide[[*keys, *attacks, "clean"]].rename(columns={"clean": "GAcc"})
    wide[[*attacks, "GAcc"]] *= 100
    return _order(seed_summary(wide, [*attacks, "GAcc"], confidence), archs, methods)


def table2(metrics: pd.DataFrame, attack: str, archs: list[str], methods: list[str],
           confidence: float = 0.95) -> pd.DataFrame:
    """mAP, mARP (under `attack`), precision, recall, F1 (clean) and their robust counterparts: seed means and
    t-intervals across seeds (`seed_summary`)."""
    keys = ["architecture", "method", "seed"]
    mean = metrics.groupby([*keys, "testset"], as_index=False).mean(numeric_only=True)
    clean = mean[mean.testset == "clean"].set_index(keys)
    adv = mean[mean.testset == attack].set_index(keys)
    out = pd.DataFrame({"mAP": clean["map"], "mARP": adv["map"], "precision": clean["precision"],
                        "recall": clean["recall"], "f1": clean["f1"], "robust_precision": adv["precision"],
                        "robust_recall": adv["recall"], "robust_f1": adv["f1"]}).reset_index()
    return _order(seed_summary(out, TABLE2_VALUES, confidence), archs, methods)


def write_tables(metric_paths: list[str], attacks: list[str], table2_attack: str, archs: list[str],
                 methods: list[str], out: dict[str, str], confidence: float = 0.95) -> None:
    """Write Table I and Table II (seed means with `confidence` t-intervals across seeds) as CSV and Markdown."""
    metrics = load_metrics(metric_paths)
    t1 = table1(metrics, attacks, archs, methods, confidence)
    t2 = table2(metrics, table2_attack, archs, methods, confidence)
    note = _interval_note(confidence)
    write_csv(out["table1_csv"], t1)
    _write_md(out["table1_md"], f"Table I analogue: RAcc (%) per attack and GAcc (%)\n\n{note}",
              interval_markdown(t1, [*attacks, "GAcc"], 2), 2)
    write_csv(out["table2_csv"], t2)
    _write_md(out["table2_md"], f"Table II analogue: mAP (clean), mARP and robust_* under {table2_attack}; "
              f"precision / recall / F1 macro on clean test data\n\n{note}", interval_markdown(t2, TABLE2_VALUES, 4),
              4)


def ablation_table(metrics: pd.DataFrame, attack: str, archs: list[str], methods: list[str],
                   confidence: float = 0.95) -> pd.DataFrame:
    """The ablation table (Fig. 3 analogue) from the ablation runs' metrics: GAcc and RAcc under `attack` (%), seed
    means and t-intervals across seeds (`seed_summary`), one row per (CNN, method) in config order, no group rows.
    Columns: architecture, method, n_seeds, GAcc, `RAcc <attack>`, and each value's `_ci_low` / `_ci_high`."""
    t1 = table1(metrics, [attack], archs, methods, confidence)
    t1 = t1[t1.architecture.isin(archs)].reset_index(drop=True)
    racc = f"RAcc {attack}"
    names = {"GAcc": "GAcc", attack: racc}
    columns = {f"{old}{end}": f"{new}{end}" for old, new in names.items() for end in ("", "_ci_low", "_ci_high")}
    return t1[["architecture", "method", "n_seeds", *columns]].rename(columns=columns)


def write_ablation_table(metric_paths: list[str], attack: str, archs: list[str], methods: list[str],
                         out: dict[str, str], confidence: float = 0.95) -> None:
    """Write the ablation table (`ablation_table`) as CSV (`out["csv"]`) and Markdown (`out["md"]`)."""
    table = ablation_table(load_metrics(metric_paths), attack, archs, methods, confidence)
    write_csv(out["csv"], table)
    values = ["GAcc", f"RAcc {attack}"]
    _write_md(out["md"], f"Ablation runs (medical.ablation): GAcc (%) and RAcc (%) under {attack}\n\n"
              f"Cells: mean over seeds [{confidence:.0%} t-interval across seeds]; [{NA}] = not available (one seed).",
              interval_markdown(table, values, 2), 2)


def _figure_module():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _error_bars(frame: pd.DataFrame, value: str) -> np.ndarray | None:
    """Distances from the mean to the ends of its interval (`<value>_ci_low` / `_ci_high`), or None where any is
    missing (one seed)."""
    ends = [f"{value}_ci_low", f"{value}_ci_high"]
    if not set(ends) <= set(frame.columns) or frame[ends].isna().to_numpy().any():
        return None
    return np.vstack([frame[value] - frame[ends[0]], frame[ends[1]] - frame[value]])


def ablation_figure(ablation_csv: str | Path, out_png: str | Path) -> None:
    """Fig. 3 analogue: GAcc and RAcc of the ablation methods (paper: AT, D-A, D-B, DPAAT) per CNN (grouped bars;
    error bars: the t-intervals across seeds, when there are two or more seeds)."""
    plt = _figure_module()
    frame = pd.read_csv(ablation_csv)
    racc = next(c for c in frame.columns if c.startswith("RAcc") and not c.endswith(("_ci_low", "_ci_high")))
    archs = list(dict.fromkeys(frame.architecture))
    fig, axes = plt.subplots(1, len(archs), figsize=(3.2 * len(archs) + 0.5, 3.2), squeeze=False)
    for ax, arch in zip(axes[0], archs, strict=True):
        sub = frame[frame.architecture == arch]
        pos = np.arange(len(sub))
        ax.bar(pos - 0.2, sub["GAcc"], 0.4, label="GAcc", yerr=_error_bars(sub, "GAcc"), capsize=2)
        ax.bar(pos + 0.2, sub[racc], 0.4, label=racc, yerr=_error_bars(sub, racc), capsize=2)
        ax.set_xticks(pos, sub["method"], fontsize=8)
        ax.set_title(arch, fontsize=9)
        ax.set_ylabel("accuracy (%)")
    axes[0, 0].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)


def confusion_figure(confusion_paths: list[str], attack: str, arch: str, out_png: str | Path) -> None:
    """Fig. 2 analogue for one CNN: row-normalised confusion matrices, clean and under `attack`, per method."""
    plt = _figure_module()
    frame = pd.concat([pd.read_csv(p, dtype={"true": str, "predicted": str}) for p in confusion_paths],
                      ignore_index=True)
    frame = frame[frame.seed == frame.seed.min()]
    methods = list(dict.fromkeys(frame.method))
    classes = list(dict.fromkeys(frame.true))
    fig, axes = plt.subplots(2, len(methods), figsize=(2.4 * len(methods) + 0.6, 5.0), squeeze=False)
    for j, method in enumerate(methods):
        for i, testset in enumerate(["clean", attack]):
            sub = frame[(frame.method == method) & (frame.testset == testset)]
            m = sub.pivot_table(index="true", columns="predicted", values="count", aggfunc="sum")
            m = m.reindex(index=classes, columns=classes).fillna(0).to_numpy(dtype=float)
            m = m / np.maximum(m.sum(1, keepdims=True), 1)
            ax = axes[i, j]
            ax.imshow(m, vmin=0, vmax=1, cmap="Blues")
            for (r, c), v in np.ndenumerate(m):
                ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=6, color="white" if v > 0.5 else "black")
            ax.set_xticks(range(len(classes)), [c[:10] for c in classes], fontsize=6, rotation=45)
            ax.set_yticks(range(len(classes)), [c[:10] for c in classes], fontsize=6)
            ax.set_title(f"{method}, {testset}", fontsize=8)
    fig.suptitle(f"{arch}: confusion matrices (rows: true class, normalised)", fontsize=9)
    fig.tight_layout()
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
