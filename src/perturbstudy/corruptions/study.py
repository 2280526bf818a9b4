"""The MNIST study's models under common corruptions (top-level `corruptions`): each model's accuracy per corruption
and severity, then per training set the mean corruption accuracy (mCA) and the (relative) corruption error against the
clean model of the same architecture and seed (`corruptions.metrics`), as seed means with t-intervals across seeds.

Does training on perturbed data (noise, FGSM, imbalance, label errors at each level) change robustness to shifts the
training never saw? The table answers it per training set; the figure shows mCA against each single factor's level.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd
import torch
from torch import nn

from ..artifacts import atomic_path, atomic_write, read_csvs, write_csv
from ..errors import DataError
from ..perturbation.analysis.stats import replicate_interval
from ..perturbation.series import CLEAN_SERIES, FACTORS, SPECS
from ..train import predict
from .benchmark import CorruptionBenchmark
from .metrics import corruption_summary, evaluate_corruptions

MODEL_KEYS = ["architecture", "series", "set", "seed"]
SET_KEYS = ["architecture", "series", "set"]
ACCURACY_COLUMNS = [*MODEL_KEYS, *FACTORS, "suite", "corruption", "severity", "n", "accuracy", "clean_accuracy"]
SCORES = ["clean_accuracy", "mCA", "mCE", "relative_mCE"]
REFERENCE = (CLEAN_SERIES, "base")


def model_accuracies(model: nn.Module, labels: Mapping[str, object], clean: tuple[torch.Tensor, torch.Tensor],
                     benches: Sequence[CorruptionBenchmark], batch_size: int,
                     device: torch.device | None = None) -> list[dict[str, object]]:
    """One model's rows of ACCURACY_COLUMNS: its accuracy on every (corruption, severity) of `benches`, each row
    with its clean test accuracy beside it. `labels`: architecture, series, set, seed and the factor levels."""
    images, targets = clean
    clean_acc = float((predict(model, images, batch_size, device) == targets.cpu()).float().mean())
    return [{**labels, "suite": bench.suite, **row, "clean_accuracy": clean_acc}
            for bench in benches for row in evaluate_corruptions(model, bench, targets, batch_size, device)]


def load_accuracies(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Concatenate per-seed accuracy CSVs; DataError when one lacks a column or repeats a cell."""
    acc = read_csvs(paths, ACCURACY_COLUMNS, "corruption accuracy", "study_corruption_evaluate",
                    {"architecture": str, "series": str, "set": str, "corruption": str})
    cell = [*MODEL_KEYS, "corruption", "severity"]
    if acc.duplicated(cell).any():
        row = acc[acc.duplicated(cell)].iloc[0]
        raise DataError(f"corruption accuracy: ({row['corruption']}, severity {row['severity']}) appears twice for "
                        f"{row['architecture']}/{row['series']}/{row['set']} seed {row['seed']}")
    return acc


def per_seed_scores(acc: pd.DataFrame) -> pd.DataFrame:
    """One row per model: its factor levels, clean accuracy, mCA, mCE and relative mCE, in percent, the last two
    against the clean model of the same architecture and seed (which scores 100; NaN without it)."""
    grids = {key: g for key, g in acc.groupby(MODEL_KEYS, sort=False)}
    rows = []
    for (arch, series, setid, seed), g in grids.items():
        grid = {(str(c), int(s)): float(a) for c, s, a in zip(g["corruption"], g["severity"], g["accuracy"],
                                                             strict=True)}
        clean = float(g["clean_accuracy"].iloc[0])
        row = {"architecture": arch, "series": series, "set": setid, "seed": int(seed),
               **{f: float(g[f].iloc[0]) for f in FACTORS}, "clean_accuracy": 100.0 * clean}
        ref = grids.get((arch, *REFERENCE, seed))
        if ref is None:
            row.update({"mCA": 100.0 * sum(grid.values()) / len(grid), "mCE": math.nan, "relative_mCE": math.nan})
        else:
            ref_grid = {(str(c), int(s)): float(a) for c, s, a in zip(ref["corruption"], ref["severity"],
                                                                     ref["accuracy"], strict=True)}
            s = corruption_summary(grid, clean, ref_grid, float(ref["clean_accuracy"].iloc[0]))
            row.update({"mCA": 100.0 * s["mCA"], "mCE": 100.0 * s["mCE"] + 0.0,
                        "relative_mCE": 100.0 * s["relative_mCE"] + 0.0})
        rows.append(row)
    return pd.DataFrame(rows, columns=[*MODEL_KEYS, *FACTORS, *SCORES])


def shift_table(per_seed: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per training set (in the study's order): its factor levels, n_seeds, and each score's mean over seeds with
    the t-interval across seeds (`<score>_ci_low` / `_ci_high`, NaN with one seed)."""
    rows = []
    for (arch, series, setid), g in per_seed.groupby(SET_KEYS, sort=False):
        row = {"architecture": arch, "series": series, "set": setid, **{f: g[f].iloc[0] for f in FACTORS},
               "n_seeds": len(g)}
        for score in SCORES:
            _, row[score], _, row[f"{score}_ci_low"], row[f"{score}_ci_high"] = replicate_interval(
                g[score].to_numpy(float), confidence)
        rows.append(row)
    cis = [f"{s}_{end}" for s in SCORES for end in ("ci_low", "ci_high")]
    return pd.DataFrame(rows, columns=[*SET_KEYS, *FACTORS, "n_seeds", *SCORES, *cis])


def shift_markdown(table: pd.DataFrame, suite: str, corruptions: Sequence[str], severities: Sequence[int],
                   confidence: float) -> str:
    """shift.md: what the columns are, then one row per training set."""
    from ..robust_training.tables import interval_markdown, markdown

    shown = interval_markdown(table, SCORES, 2, [*SET_KEYS, "n_seeds"])
    note = (f"Every model of the study on {len(corruptions)} MNIST-C corruptions ({', '.join(corruptions)}) at "
            f"severities {', '.join(map(str, severities))}, none of which any training set contains. Cells: mean over "
            f"seeds [{confidence:.0%} t-interval across seeds]; [—] = one seed. clean_accuracy: the clean test split; "
            "mCA: mean accuracy over every corruption and severity; mCE and relative mCE (Hendrycks & Dietterich "
            "2019) against the clean model (clean/base) of the same architecture and seed, which scores 100 (lower = "
            "more robust; relative mCE counts only the accuracy lost from the model's own clean accuracy).")
    return f"Corruption robustness of every training set\n\n{note}\n\n{markdown(shown, 2)}"


def write_shift_table(accuracy_paths: Iterable[str | Path], out_csv: str | Path, out_md: str | Path,
                      confidence: float = 0.95) -> pd.DataFrame:
    """Write the per-training-set table (csv, md) from the per-seed accuracy files; return it."""
    acc = load_accuracies(accuracy_paths)
    if acc.empty:
        raise DataError("no corruption accuracies to tabulate; rerun study_corruption_evaluate")
    table = shift_table(per_seed_scores(acc), confidence)
    write_csv(out_csv, table)
    text = shift_markdown(table, str(acc["suite"].iloc[0]), list(dict.fromkeys(acc["corruption"])),
                          sorted({int(s) for s in acc["severity"]}), confidence)
    atomic_write(out_md, lambda tmp: tmp.write_text(text))
    return table


def level_curves(table: pd.DataFrame) -> pd.DataFrame:
    """The single-factor series' mCA against their factor's level (columns architecture, series, factor, level,
    mCA, mCA_ci_low, mCA_ci_high), each series starting from the clean model at level 0."""
    parts = []
    for (arch, series), g in table.groupby(["architecture", "series"], sort=False):
        spec = SPECS.get(series)
        if spec is None or len(spec.factors) != 1:
            continue
        factor = spec.factors[0]
        clean = table[(table["architecture"] == arch) & (table["series"] == CLEAN_SERIES)]
        # level 0 is the clean model, except for imbalance, where the clean set has its own (unrecorded) imbalance
        points = g if factor == "imbalance" else pd.concat([clean.assign(**{factor: 0.0}), g])
        parts.append(pd.DataFrame({"architecture": arch, "series": series, "factor": factor,
                                   "level": points[factor].to_numpy(float), "mCA": points["mCA"].to_numpy(float),
                                   "mCA_ci_low": points["mCA_ci_low"].to_numpy(float),
                                   "mCA_ci_high": points["mCA_ci_high"].to_numpy(float)}))
    columns = ["architecture", "series", "factor", "level", "mCA", "mCA_ci_low", "mCA_ci_high"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True).sort_values(["architecture", "series", "level"], kind="stable")


def level_figure(table_csv: str | Path, out_png: str | Path) -> pd.DataFrame:
    """mCA vs training-set level: a panel per single factor (columns) and architecture (rows), a line per series,
    t-interval bands across seeds; level 0 is the clean model. Returns the plotted data."""
    from ..robust_training.tables import _figure_module

    plt = _figure_module()
    curves = level_curves(pd.read_csv(table_csv, dtype={"architecture": str, "series": str, "set": str}))
    archs = list(dict.fromkeys(curves["architecture"]))
    factors = list(dict.fromkeys(curves["factor"]))
    fig, axes = plt.subplots(max(len(archs), 1), max(len(factors), 1), squeeze=False,
                             figsize=(3.0 * max(len(factors), 1) + 0.4, 2.6 * max(len(archs), 1) + 0.4))
    for i, arch in enumerate(archs):
        for j, factor in enumerate(factors):
            ax = axes[i, j]
            sub = curves[(curves["architecture"] == arch) & (curves["factor"] == factor)]
            for series, line in sub.groupby("series", sort=False):
                ax.plot(line["level"], line["mCA"], marker="o", markersize=2.5, label=series)
                if line["mCA_ci_low"].notna().all():
                    ax.fill_between(line["level"], line["mCA_ci_low"], line["mCA_ci_high"], alpha=0.2)
            ax.set_title(f"{arch}: {factor}", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.legend(fontsize=6)
            if j == 0:
                ax.set_ylabel("mCA (%)", fontsize=8)
            ax.set_xlabel("training-set level", fontsize=8)
    fig.suptitle("Mean corruption accuracy vs training-set level (seed means, t-interval bands)", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
    return curves.reset_index(drop=True)
