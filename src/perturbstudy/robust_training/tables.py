"""Table I / Table II analogues, the ablation table and figures, and the confusion-matrix figures.

Table I: RAcc (%) under each attack and GAcc (%) per CNN and method, plus the mean over CNNs.
Table II: mAP (clean), mARP (under `table2_attack`), macro precision / recall / F1 on clean test data
(and the same three under the attack, prefixed `robust_`). Values are means over seeds.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..artifacts import atomic_path, atomic_write, write_csv
from .methods import METHOD_LABELS

ALL = "all CNNs (mean)"


def _order(frame: pd.DataFrame, archs: list[str], methods: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    frame["_a"] = frame["architecture"].map({a: i for i, a in enumerate([*archs, ALL])})
    frame["_m"] = frame["method"].map({METHOD_LABELS[m]: i for i, m in enumerate(methods)})
    return frame.sort_values(["_a", "_m"]).drop(columns=["_a", "_m"]).reset_index(drop=True)


def _with_mean(frame: pd.DataFrame) -> pd.DataFrame:
    if frame["architecture"].nunique() < 2:
        return frame
    mean = frame.drop(columns="architecture").groupby("method", as_index=False).mean(numeric_only=True)
    mean.insert(0, "architecture", ALL)
    return pd.concat([frame, mean], ignore_index=True)


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


def table1(metrics: pd.DataFrame, attacks: list[str], archs: list[str], methods: list[str]) -> pd.DataFrame:
    """RAcc per attack and GAcc, percent, seed means, one row per (CNN, method) plus the CNN mean."""
    acc = metrics.groupby(["architecture", "method", "testset"], as_index=False)["accuracy"].mean()
    wide = acc.pivot_table(index=["architecture", "method"], columns="testset", values="accuracy").reset_index()
    wide = wide[["architecture", "method", *attacks, "clean"]].rename(columns={"clean": "GAcc"})
    wide[[*attacks, "GAcc"]] *= 100
    return _order(_with_mean(wide), archs, methods)


def table2(metrics: pd.DataFrame, attack: str, archs: list[str], methods: list[str]) -> pd.DataFrame:
    """mAP, mARP (under `attack`), precision, recall, F1 (clean) and their robust counterparts."""
    keys = ["architecture", "method"]
    mean = metrics.groupby([*keys, "testset"], as_index=False).mean(numeric_only=True)
    clean = mean[mean.testset == "clean"].set_index(keys)
    adv = mean[mean.testset == attack].set_index(keys)
    out = pd.DataFrame({"mAP": clean["map"], "mARP": adv["map"], "precision": clean["precision"],
                        "recall": clean["recall"], "f1": clean["f1"], "robust_precision": adv["precision"],
                        "robust_recall": adv["recall"], "robust_f1": adv["f1"]}).reset_index()
    return _order(_with_mean(out), archs, methods)


def write_tables(metric_paths: list[str], attacks: list[str], table2_attack: str, archs: list[str],
                 methods: list[str], out: dict[str, str], ablation_methods: list[str],
                 ablation_archs: list[str]) -> None:
    """Write Table I, Table II and the ablation table (GAcc and RAcc of AT, D-A, D-B, DPAAT) as CSV and Markdown."""
    metrics = load_metrics(metric_paths)
    t1 = table1(metrics, attacks, archs, methods)
    t2 = table2(metrics, table2_attack, archs, methods)
    write_csv(out["table1_csv"], t1)
    _write_md(out["table1_md"], "Table I analogue: RAcc (%) per attack and GAcc (%)", t1, 2)
    write_csv(out["table2_csv"], t2)
    _write_md(out["table2_md"], f"Table II analogue: mAP (clean), mARP and robust_* under {table2_attack}; "
              "precision / recall / F1 macro on clean test data", t2, 4)
    labels = [METHOD_LABELS[m] for m in ablation_methods]
    ablation = t1[t1.method.isin(labels) & t1.architecture.isin(ablation_archs)].copy()
    ablation["_m"] = ablation["method"].map({label: i for i, label in enumerate(labels)})
    ablation = ablation.sort_values(["architecture", "_m"], kind="stable").drop(columns="_m")
    ablation = ablation[["architecture", "method", "GAcc", table2_attack]].rename(
        columns={table2_attack: f"RAcc {table2_attack}"})
    write_csv(out["ablation_csv"], ablation)
    _write_md(out["ablation_md"], f"Ablation: GAcc (%) and RAcc (%) under {table2_attack}", ablation, 2)


def _figure_module():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def ablation_figure(ablation_csv: str | Path, out_png: str | Path) -> None:
    """Fig. 3 analogue: GAcc and RAcc of AT, D-A, D-B and DPAAT per CNN (grouped bars)."""
    plt = _figure_module()
    frame = pd.read_csv(ablation_csv)
    racc = [c for c in frame.columns if c.startswith("RAcc")][0]
    archs = list(dict.fromkeys(frame.architecture))
    fig, axes = plt.subplots(1, len(archs), figsize=(3.2 * len(archs) + 0.5, 3.2), squeeze=False)
    for ax, arch in zip(axes[0], archs, strict=True):
        sub = frame[frame.architecture == arch]
        pos = np.arange(len(sub))
        ax.bar(pos - 0.2, sub["GAcc"], 0.4, label="GAcc")
        ax.bar(pos + 0.2, sub[racc], 0.4, label=racc)
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
