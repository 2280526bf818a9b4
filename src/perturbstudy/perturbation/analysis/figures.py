"""Figures 2-6 analogues (matplotlib Agg + seaborn), each saved as PNG and PDF.

Sized for a paper page (7 in wide), 8-pt text, labelled axes and legends. Each `plot_*` function returns
the unsaved Figure (so a test can read back the values it plots); its writer saves and closes it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from ...artifacts import atomic_path  # noqa: E402
from .io import KEY_COLUMNS, LEVEL_CONFIDENCE, TESTSET_LABELS, metric_columns, ordered_testsets, seed_spread  # noqa: E402

FACTOR_LABELS = {
    "gaussian": "Gaussian noise in training set (L2)",
    "fgsm": "FGSM perturbation in training set (L2)",
    "inverse_fgsm": "Inverse-FGSM perturbation in training set (L2)",
    "imbalance": "Class imbalance CI of training set",
    "label_error": "Label error rate LD of training set",
}
ARCH_LABELS = {"lenet5": "LeNet-5", "alexnet8": "AlexNet-8"}
WIDTH = 7.0
STYLE = {"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 7,
         "xtick.labelsize": 7, "ytick.labelsize": 7}


def _label(testset: str) -> str:
    return TESTSET_LABELS.get(testset, testset)


def save_figure(fig: plt.Figure, stem: str | Path) -> list[Path]:
    """Save `fig` as stem.png (200 dpi) and stem.pdf atomically, close it, return the paths."""
    paths = []
    for fmt in ("png", "pdf"):
        path = Path(stem).with_suffix(f".{fmt}")
        with atomic_path(path) as tmp:
            metadata = {"CreationDate": None} if fmt == "pdf" else {"Software": None}
            fig.savefig(tmp, format=fmt, dpi=200, bbox_inches="tight", metadata=metadata)
        paths.append(path)
    plt.close(fig)
    return paths


def _line_style(testset: str) -> dict:
    return {"linestyle": "--" if testset.startswith("whitebox") else "-", "marker": "o", "markersize": 2.5,
            "linewidth": 1.0}


def series_figure(data: pd.DataFrame, factor: str, stem: str | Path, title: str,
                  per_seed: pd.DataFrame | None = None, confidence: float = 0.95) -> list[Path]:
    """Figures 2-5 (`plot_series`) saved as stem.png and stem.pdf."""
    with plt.rc_context(STYLE):
        return save_figure(plot_series(data, factor, title, per_seed, confidence), stem)


def _error_bars(ax: plt.Axes, x: pd.Series, y: pd.Series, low: pd.Series, high: pd.Series, color: str,
                name: str) -> bool:
    """Vertical bars from low to high at the points (x, y) where both ends are known, labelled '_ci <name>'
    (kept out of the legend); False when there is none to draw."""
    ok = (low.notna() & high.notna()).to_numpy()
    if not ok.any():
        return False
    y, low, high = (np.asarray(v, float)[ok] for v in (y, low, high))
    yerr = np.clip(np.vstack([y - low, high - y]), 0.0, None)  # the bars' centre is the plotted mean
    ax.errorbar(np.asarray(x, float)[ok], y, yerr=yerr, fmt="none", ecolor=color, elinewidth=0.7, capsize=0,
                label=f"_ci {name}")
    return True


def seed_note(drawn: bool, n_seeds: pd.Series | None, confidence: float) -> str:
    """What a figure's error bars are: the t-interval across seeds, or 'one seed: no error bars'."""
    counts = None if n_seeds is None else pd.to_numeric(n_seeds, errors="coerce").dropna()
    counts = None if counts is None else counts[counts > 0]  # a level without images has no seed's accuracy
    if drawn:
        return f"error bars: {confidence:.0%} t-interval across seeds (n_seeds = {_span(counts)})"
    if counts is not None and len(counts) and counts.max() <= 1:
        return "one seed: no error bars"
    return ""


def _span(counts: pd.Series | None) -> str:
    if counts is None or counts.empty:
        return "?"
    lo, hi = int(counts.min()), int(counts.max())
    return str(lo) if lo == hi else f"{lo}-{hi}"


def _titled(title: str, note: str) -> str:
    return f"{title}\n{note}" if note else title


def plot_series(data: pd.DataFrame, factor: str, title: str, per_seed: pd.DataFrame | None = None,
                confidence: float = 0.95) -> plt.Figure:
    """Figures 2-5: accuracy on every test set against the training perturbation level, one panel per arch.

    With `per_seed` (`io.summarize_seeds` rows of these models) each point with >= 2 seeds gets an error bar,
    the t-interval across seeds; the title says what the bars are, or 'one seed: no error bars'.
    """
    archs = list(dict.fromkeys(data["architecture"]))
    spread = None if per_seed is None else seed_spread(per_seed, confidence)
    drawn = False
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(archs), figsize=(WIDTH, 2.6), sharey=True, squeeze=False)
        for ax, arch in zip(axes[0], archs, strict=True):
            group = data[data["architecture"] == arch].sort_values(factor)
            for testset in metric_columns(group.dropna(axis=1, how="all")):
                (line,) = ax.plot(group[factor], group[testset], label=_label(testset), **_line_style(testset))
                if spread is not None:
                    bars = group[list(KEY_COLUMNS)].merge(spread[spread["testset"] == testset], how="left",
                                                          on=list(KEY_COLUMNS))
                    drawn |= _error_bars(ax, group[factor], group[testset], bars["ci_low"], bars["ci_high"],
                                         line.get_color(), testset)
            ax.set_title(ARCH_LABELS.get(arch, arch))
            ax.set_xlabel(FACTOR_LABELS.get(factor, factor))
            ax.set_ylim(-0.02, 1.02)
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel("Accuracy")
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=3, bbox_to_anchor=(0.5, -0.12), frameon=False)
        counts = spread["n_seeds"] if spread is not None else data.get("n_seeds")
        fig.suptitle(_titled(title, seed_note(drawn, counts, confidence)))
        fig.tight_layout()
        return fig


def dual_heatmaps(data: pd.DataFrame, stem: str | Path, title: str) -> list[Path]:
    """Figure 6 (`plot_dual_heatmaps`) saved as stem.png and stem.pdf."""
    with plt.rc_context(STYLE):
        return save_figure(plot_dual_heatmaps(data, title), stem)


def plot_dual_heatmaps(data: pd.DataFrame, title: str) -> plt.Figure:
    """Figure 6: accuracy heatmaps over the (FGSM level, Gaussian level) grid; rows arch, columns test set."""
    archs = list(dict.fromkeys(data["architecture"]))
    testsets = metric_columns(data.dropna(axis=1, how="all"))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(archs), len(testsets), figsize=(WIDTH * max(1.0, len(testsets) / 4), 1.9 *
                                 len(archs) + 0.4), squeeze=False)
        for i, arch in enumerate(archs):
            group = data[data["architecture"] == arch]
            for j, testset in enumerate(testsets):
                ax = axes[i][j]
                grid = group.pivot_table(index="gaussian", columns="fgsm", values=testset, aggfunc="mean")
                grid = grid.sort_index(ascending=False)
                sns.heatmap(grid, ax=ax, vmin=0, vmax=1, cmap="viridis", annot=grid.shape[1] <= 8, fmt=".2f",
                            annot_kws={"fontsize": 5}, cbar=j == len(testsets) - 1, square=False)
                ax.set_title(f"{ARCH_LABELS.get(arch, arch)}\n{_label(testset)}", fontsize=6)
                ax.set_xlabel("FGSM level (L2)")
                ax.set_ylabel("Gaussian level (L2)" if j == 0 else "")
        fig.suptitle(title)
        fig.tight_layout()
        return fig


def main_effects_figure(effects: pd.DataFrame, stem: str | Path, title: str) -> list[Path]:
    """The main-effect plots (`plot_main_effects`) saved as stem.png and stem.pdf."""
    with plt.rc_context(STYLE):
        return save_figure(plot_main_effects(effects, title), stem)


def _plot_effect(ax: plt.Axes, line: pd.DataFrame, label: str, style: dict) -> None:
    """One test set's level means; error bars from its ci_low / ci_high where present and not NaN."""
    if {"ci_low", "ci_high"} <= set(line) and line[["ci_low", "ci_high"]].notna().all().all():
        yerr = np.vstack([line["mean"] - line["ci_low"], line["ci_high"] - line["mean"]])
        ax.errorbar(line["level"], line["mean"], yerr=yerr, label=label, capsize=1.5, elinewidth=0.6, **style)
    else:
        ax.plot(line["level"], line["mean"], label=label, **style)


def plot_main_effects(effects: pd.DataFrame, title: str) -> plt.Figure:
    """Main-effect plots of the orthogonal design: mean accuracy per factor level with its interval as error
    bars (when the table has them); rows arch, columns factor."""
    archs = list(dict.fromkeys(effects["architecture"]))
    factors = list(dict.fromkeys(effects["factor"]))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(archs), len(factors), figsize=(WIDTH, 2.0 * len(archs) + 0.4), sharey=True,
                                 squeeze=False)
        for i, arch in enumerate(archs):
            for j, factor in enumerate(factors):
                ax = axes[i][j]
                part = effects[(effects["architecture"] == arch) & (effects["factor"] == factor)]
                for testset, line in part.groupby("testset", sort=False):
                    _plot_effect(ax, line, _label(testset), _line_style(testset))
                ax.set_title(ARCH_LABELS.get(arch, arch), fontsize=7)
                ax.set_xlabel(FACTOR_LABELS.get(factor, factor), fontsize=6)
                ax.set_ylim(-0.02, 1.02)
                ax.grid(alpha=0.3)
            axes[i][0].set_ylabel("Mean accuracy")
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=3, bbox_to_anchor=(0.5, -0.1), frameon=False)
        fig.suptitle(title)
        fig.tight_layout()
        return fig


def level_curve_figure(curves: pd.DataFrame, stem: str | Path, title: str) -> list[Path]:
    """The accuracy-vs-benchmark-level figure (`plot_level_curves`) saved as stem.png and stem.pdf."""
    with plt.rc_context(STYLE):
        return save_figure(plot_level_curves(curves, title), stem)


def plot_level_curves(curves: pd.DataFrame, title: str) -> plt.Figure:
    """Accuracy against benchmark level for chosen models; rows arch, columns benchmark; one line per model.

    `curves` columns: architecture, model (legend label), testset, level, accuracy; with `io.level_curves`'
    ci_low, ci_high, n_seeds, each level with >= 2 seeds gets an error bar (the t-interval across seeds) and
    the title says so, or 'one seed: no error bars'.
    """
    drawn = False
    archs = list(dict.fromkeys(curves["architecture"]))
    testsets = [t for t in ordered_testsets(curves["testset"].unique()) if t not in ("train", "test")]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(archs), len(testsets), figsize=(WIDTH, 2.1 * len(archs) + 0.5), sharey=True,
                                 squeeze=False)
        palette = dict(zip(dict.fromkeys(curves["model"]), sns.color_palette("tab10", curves["model"].nunique()),
                           strict=False))
        for i, arch in enumerate(archs):
            for j, testset in enumerate(testsets):
                ax = axes[i][j]
                part = curves[(curves["architecture"] == arch) & (curves["testset"] == testset)]
                for model, line in part.groupby("model", sort=False):
                    line = line.sort_values("level")
                    ax.plot(line["level"], line["accuracy"], label=model, color=palette[model], marker="o",
                            markersize=2, linewidth=1.0)
                    if {"ci_low", "ci_high"} <= set(line):
                        drawn |= _error_bars(ax, line["level"], line["accuracy"], line["ci_low"], line["ci_high"],
                                             palette[model], model)
                ax.set_title(f"{ARCH_LABELS.get(arch, arch)}\n{_label(testset)}", fontsize=7)
                ax.set_xlabel("Benchmark level (L2)")
                ax.set_ylim(-0.02, 1.02)
                ax.grid(alpha=0.3)
            axes[i][0].set_ylabel("Accuracy")
        handles, labels = [], []
        for ax in np.ravel(axes):
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
        fig.legend(handles, labels, loc="lower center", ncol=4, bbox_to_anchor=(0.5, -0.12), frameon=False)
        fig.suptitle(_titled(title, seed_note(drawn, curves.get("n_seeds"), LEVEL_CONFIDENCE)))
        fig.tight_layout()
        return fig
