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
from .io import TESTSET_LABELS, metric_columns, ordered_testsets  # noqa: E402

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


def series_figure(data: pd.DataFrame, factor: str, stem: str | Path, title: str) -> list[Path]:
    """Figures 2-5 (`plot_series`) saved as stem.png and stem.pdf."""
    with plt.rc_context(STYLE):
        return save_figure(plot_series(data, factor, title), stem)


def plot_series(data: pd.DataFrame, factor: str, title: str) -> plt.Figure:
    """Figures 2-5: accuracy on every test set against the training perturbation level, one panel per arch."""
    archs = list(dict.fromkeys(data["architecture"]))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(archs), figsize=(WIDTH, 2.6), sharey=True, squeeze=False)
        for ax, arch in zip(axes[0], archs, strict=True):
            group = data[data["architecture"] == arch].sort_values(factor)
            for testset in metric_columns(group.dropna(axis=1, how="all")):
                ax.plot(group[factor], group[testset], label=_label(testset), **_line_style(testset))
            ax.set_title(ARCH_LABELS.get(arch, arch))
            ax.set_xlabel(FACTOR_LABELS.get(factor, factor))
            ax.set_ylim(-0.02, 1.02)
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel("Accuracy")
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=3, bbox_to_anchor=(0.5, -0.12), frameon=False)
        fig.suptitle(title)
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


def plot_main_effects(effects: pd.DataFrame, title: str) -> plt.Figure:
    """Main-effect plots of the orthogonal design: mean accuracy per factor level; rows arch, columns factor."""
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
                    ax.plot(line["level"], line["mean"], label=_label(testset), **_line_style(testset))
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

    `curves` columns: architecture, model (legend label), testset, level, accuracy.
    """
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
        fig.suptitle(title)
        fig.tight_layout()
        return fig
