"""Figures are non-empty PNG and PDF files, and each panel plots the values of the data it is given."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from perturbstudy.perturbation.analysis import figures, io, tables
from tests.analysis_synthetic import write_eval_csvs

LABEL_TESTSET = {label: testset for testset, label in io.TESTSET_LABELS.items()}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory):
    csvs = write_eval_csvs(tmp_path_factory.mktemp("figs"), seeds=(0, 1))
    raw = io.read_evaluations(csvs)
    return io.summarize(raw), io.level_curves(raw), raw


def assert_figure(paths: list[Path]) -> None:
    png, pdf = paths
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert pdf.read_bytes()[:4] == b"%PDF" and pdf.stat().st_size > 5_000


def archs(frame) -> list[str]:
    """Architectures in the order the figure functions lay them out (first appearance)."""
    return list(dict.fromkeys(frame["architecture"]))


def panels(fig: plt.Figure) -> list[plt.Axes]:
    """The data panels of a figure (titled), without colour bars."""
    return [ax for ax in fig.axes if ax.get_title()]


def test_every_figure_is_written(tmp_path: Path, data) -> None:
    summary, curves, _ = data
    assert_figure(figures.series_figure(io.series_rows(summary, "rq2_fgsm"), "fgsm", tmp_path / "s", "t"))
    assert_figure(figures.dual_heatmaps(io.series_rows(summary, "rq5_dual"), tmp_path / "h", "t"))
    assert_figure(figures.main_effects_figure(tables.main_effects_table(summary, "rq6_four"), tmp_path / "m", "t"))
    picks = io.choose_level_models(summary, None)
    assert "clean" in set(picks["model"]) and picks["model"].nunique() <= 8
    assert_figure(figures.level_curve_figure(curves.merge(picks, on=["architecture", "series", "set"]),
                                             tmp_path / "l", "t"))


def test_series_figure_plots_each_test_sets_accuracy_against_the_level(data) -> None:
    summary, _, _ = data
    rows = io.series_rows(summary, "rq2_fgsm")
    fig = figures.plot_series(rows, "fgsm", "t")
    axes = panels(fig)
    assert [ax.get_title() for ax in axes] == [figures.ARCH_LABELS[a] for a in archs(rows)]
    for ax, arch in zip(axes, archs(rows), strict=True):
        expected = rows[rows["architecture"] == arch].sort_values("fgsm")
        lines = ax.get_lines()
        assert [LABEL_TESTSET[line.get_label()] for line in lines] == io.metric_columns(summary)
        for line in lines:
            np.testing.assert_allclose(line.get_xdata(), expected["fgsm"])
            np.testing.assert_allclose(line.get_ydata(), expected[LABEL_TESTSET[line.get_label()]])
    plt.close(fig)


def test_heatmaps_show_the_accuracy_of_each_grid_cell(data) -> None:
    summary, _, _ = data
    rows = io.series_rows(summary, "rq5_dual")
    fig = figures.plot_dual_heatmaps(rows, "t")
    axes = panels(fig)
    assert len(axes) == len(archs(rows)) * len(io.metric_columns(summary))
    for ax in axes:
        arch_label, testset_label = ax.get_title().split("\n")
        arch = next(a for a, lab in figures.ARCH_LABELS.items() if lab == arch_label)
        part = rows[rows["architecture"] == arch]
        # rows of the picture: Gaussian level from high to low; columns: FGSM level from low to high
        expected = [part.loc[(part["gaussian"] == g) & (part["fgsm"] == f), LABEL_TESTSET[testset_label]].item()
                    for g in sorted(set(part["gaussian"]), reverse=True) for f in sorted(set(part["fgsm"]))]
        np.testing.assert_allclose(np.ma.getdata(ax.collections[0].get_array()).ravel(), expected)
    plt.close(fig)


def test_main_effects_figure_plots_the_mean_accuracy_per_factor_level(data) -> None:
    summary, _, _ = data
    runs = summary[summary["series"] == "rq6_four"]
    factors = ["gaussian", "fgsm", "imbalance", "label_error"]
    effects = tables.main_effects_table(summary, "rq6_four")
    fig = figures.plot_main_effects(effects, "t")
    axes = panels(fig)
    assert len(axes) == len(archs(effects)) * len(factors)
    for k, ax in enumerate(axes):
        arch, factor = archs(effects)[k // len(factors)], factors[k % len(factors)]
        assert ax.get_title() == figures.ARCH_LABELS[arch] and ax.get_xlabel() == figures.FACTOR_LABELS[factor]
        lines = ax.get_lines()
        assert len(lines) == len(io.metric_columns(summary))
        for line in lines:
            means = runs[runs["architecture"] == arch].groupby(factor)[LABEL_TESTSET[line.get_label()]].mean()
            np.testing.assert_allclose(line.get_xdata(), means.index.to_numpy(float))
            np.testing.assert_allclose(line.get_ydata(), means.to_numpy())
    plt.close(fig)


def test_level_curve_figure_plots_each_models_accuracy_per_benchmark_level(data) -> None:
    summary, curves, raw = data
    picks = io.choose_level_models(summary, None)
    chosen = curves.merge(picks, on=["architecture", "series", "set"])
    fig = figures.plot_level_curves(chosen, "t")
    testsets = ["gaussian_benchmark", "fgsm_benchmark", "whitebox_fgsm", "whitebox_pgd_l2"]
    levelled = raw[raw["level"].notna()]
    # independent of level_curves: mean over seeds of the raw per-level rows
    expected = levelled.groupby(["architecture", "series", "set", "testset", "level"])["accuracy"].mean()
    axes = panels(fig)
    assert len(axes) == len(archs(chosen)) * len(testsets)
    checked = 0
    for k, ax in enumerate(axes):
        arch, testset = archs(chosen)[k // len(testsets)], testsets[k % len(testsets)]
        assert ax.get_title() == f"{figures.ARCH_LABELS[arch]}\n{io.TESTSET_LABELS[testset]}"
        lines = ax.get_lines()
        assert sorted(line.get_label() for line in lines) == sorted(set(picks["model"]))
        for line in lines:
            pick = picks[(picks["model"] == line.get_label())].iloc[0]
            want = expected.loc[(arch, pick["series"], pick["set"], testset)]
            np.testing.assert_allclose(line.get_xdata(), want.index.to_numpy(float))
            np.testing.assert_allclose(line.get_ydata(), want.to_numpy())
            checked += 1
    assert checked == len(axes) * picks["model"].nunique()
    plt.close(fig)


def test_level_model_selection_names_a_missing_model(data) -> None:
    summary, _, _ = data
    picks = io.choose_level_models(summary, [{"series": "clean"}, {"series": "rq2_fgsm", "level": 7.0}])
    assert set(picks["model"]) == {"clean", "rq2_fgsm fgsm=7"}
    with pytest.raises(Exception, match="no model of series 'rq2_fgsm' at level 99"):
        io.choose_level_models(summary, [{"series": "rq2_fgsm", "level": 99.0}])


def test_a_wrong_column_would_fail(data) -> None:
    """The value checks above can fail: the FGSM line differs from the Gaussian benchmark's accuracies."""
    summary, _, _ = data
    rows = io.series_rows(summary, "rq2_fgsm")
    fig = figures.plot_series(rows, "fgsm", "t")
    fgsm = next(ln for ln in fig.axes[0].get_lines() if ln.get_label() == io.TESTSET_LABELS["fgsm_benchmark"])
    other = rows[rows["architecture"] == archs(rows)[0]].sort_values("fgsm")["gaussian_benchmark"]
    assert not np.allclose(fgsm.get_ydata(), other)
    plt.close(fig)
