"""Figures are non-empty PNG and PDF files, and each panel plots the values of the data it is given."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.container import ErrorbarContainer

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
        bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        assert len(bars) == len(io.metric_columns(summary))  # L25 leaves 8 residual df: every mean has a CI
        for bar in bars:
            testset = LABEL_TESTSET[bar.get_label()]
            line, (segments,) = bar.lines[0], bar.lines[2]
            means = runs[runs["architecture"] == arch].groupby(factor)[testset].mean()
            np.testing.assert_allclose(np.asarray(line.get_xdata(), float), means.index.to_numpy(float))
            np.testing.assert_allclose(np.asarray(line.get_ydata(), float), means.to_numpy())
            row = effects[(effects["architecture"] == arch) & (effects["factor"] == factor)
                          & (effects["testset"] == testset)]
            ends = np.array(segments.get_segments())  # one vertical segment per level: [[x, low], [x, high]]
            np.testing.assert_allclose(ends[:, :, 0], np.column_stack([row["level"], row["level"]]))
            np.testing.assert_allclose(ends[:, 0, 1], row["ci_low"])
            np.testing.assert_allclose(ends[:, 1, 1], row["ci_high"])
            assert (ends[:, 1, 1] > ends[:, 0, 1]).all()
    plt.close(fig)


def test_main_effects_without_intervals_are_plain_lines(data) -> None:
    summary, _, _ = data
    effects = tables.main_effects_table(summary, "rq6_four")
    effects.loc[effects["testset"] == "test", ["ci_low", "ci_high"]] = np.nan  # as with no residual df
    fig = figures.plot_main_effects(effects, "t")
    ax = panels(fig)[0]
    labels = {c.get_label() for c in ax.containers if isinstance(c, ErrorbarContainer)}
    assert io.TESTSET_LABELS["test"] not in labels and len(labels) == len(io.metric_columns(summary)) - 1
    assert io.TESTSET_LABELS["test"] in [line.get_label() for line in ax.get_lines()]
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


T_975_DF2 = 4.302652729749464
"""Student-t 97.5% quantile at 2 degrees of freedom (3 seeds), from tables."""


def seed_bars(ax: plt.Axes) -> dict[str, np.ndarray]:
    """The error bars across seeds a panel draws, by line name: per point [[x, low], [x, high]]."""
    return {c.get_label()[len("_ci "):]: np.array(c.lines[2][0].get_segments()) for c in ax.containers
            if c.get_label().startswith("_ci ")}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory):
    """Evaluation rows of the clean and FGSM-series models with three seeds and with one seed."""
    from tests.analysis_synthetic import design

    sets = [s for s in design() if s[1] in ("clean", "rq2_fgsm")]
    return {len(seeds): io.read_evaluations(write_eval_csvs(tmp_path_factory.mktemp("seeded"), seeds=seeds,
                                                            noise=0.02, sets=sets))
            for seeds in ((0, 1, 2), (0,))}


def interval(values: np.ndarray) -> tuple[float, float]:
    """Independent check: the 95% t-interval of three seeds' values."""
    mean, sd = values.sum() / 3, np.sqrt(((values - values.sum() / 3) ** 2).sum() / 2)
    return mean - T_975_DF2 * sd / np.sqrt(3), mean + T_975_DF2 * sd / np.sqrt(3)


def test_series_figure_draws_the_t_interval_across_seeds_as_error_bars(seeded) -> None:
    raw = seeded[3]
    per_seed = io.summarize_seeds(raw)
    rows = io.series_rows(io.seed_means(per_seed), "rq2_fgsm")
    fig = figures.plot_series(rows, "fgsm", "t", io.series_rows(per_seed, "rq2_fgsm"))
    levelled = raw[raw["benchmark_level"].astype(str) != "mean"]
    accuracy = levelled.groupby(["architecture", "series", "set", "testset", "seed"])["accuracy"].mean()
    checked = 0
    for ax, arch in zip(panels(fig), archs(rows), strict=True):
        bars = seed_bars(ax)
        assert sorted(bars) == sorted(io.metric_columns(rows))
        group = rows[rows["architecture"] == arch].sort_values("fgsm")
        for testset, ends in bars.items():
            expected = np.array([interval(accuracy.loc[(arch, series, setid, testset)].to_numpy())
                                 for series, setid in zip(group["series"], group["set"], strict=True)])
            np.testing.assert_allclose(ends[:, 0, 0], group["fgsm"])
            np.testing.assert_allclose(ends[:, :, 1], expected)
            assert (ends[:, 1, 1] > ends[:, 0, 1]).all()
            checked += 1
        labels = ax.get_legend_handles_labels()[1]
        assert not any(lab.startswith("_") for lab in labels)  # the bars stay out of the legend
    assert checked == len(archs(rows)) * len(io.metric_columns(rows))
    assert fig.get_suptitle() == "t\nerror bars: 95% t-interval across seeds (n_seeds = 3)"
    plt.close(fig)


def test_one_seed_draws_no_error_bars_and_says_so(seeded) -> None:
    per_seed = io.summarize_seeds(seeded[1])
    rows = io.series_rows(io.seed_means(per_seed), "rq2_fgsm")
    for fig in (figures.plot_series(rows, "fgsm", "t", io.series_rows(per_seed, "rq2_fgsm")),
                figures.plot_series(rows, "fgsm", "t")):  # without per-seed rows: n_seeds of the summary
        assert fig.get_suptitle() == "t\none seed: no error bars"
        assert all(seed_bars(ax) == {} for ax in panels(fig))
        plt.close(fig)
    curves = io.level_curves(seeded[1]).merge(io.choose_level_models(io.seed_means(per_seed), None))
    fig = figures.plot_level_curves(curves, "t")
    assert fig.get_suptitle() == "t\none seed: no error bars" and all(seed_bars(ax) == {} for ax in panels(fig))
    plt.close(fig)


def test_level_curve_figure_draws_the_t_interval_across_seeds_per_level(seeded) -> None:
    raw = seeded[3]
    picks = io.choose_level_models(io.summarize(raw), None)
    curves = io.level_curves(raw).merge(picks, on=["architecture", "series", "set"])
    fig = figures.plot_level_curves(curves, "t")
    levelled = raw[raw["level"].notna()]
    accuracy = levelled.groupby(["architecture", "series", "set", "testset", "level", "seed"])["accuracy"].mean()
    testsets = ["gaussian_benchmark", "fgsm_benchmark", "whitebox_fgsm", "whitebox_pgd_l2"]
    checked = 0
    for k, ax in enumerate(panels(fig)):
        arch, testset = archs(curves)[k // len(testsets)], testsets[k % len(testsets)]
        bars = seed_bars(ax)
        assert sorted(bars) == sorted(set(picks["model"]))
        for model, ends in bars.items():
            pick = picks[picks["model"] == model].iloc[0]
            per_level = accuracy.loc[(arch, pick["series"], pick["set"], testset)]
            levels = per_level.index.get_level_values("level").unique()
            np.testing.assert_allclose(ends[:, 0, 0], levels)
            np.testing.assert_allclose(ends[:, :, 1], [interval(per_level.loc[lv].to_numpy()) for lv in levels])
            checked += 1
    assert checked == len(panels(fig)) * picks["model"].nunique()
    assert fig.get_suptitle() == "t\nerror bars: 95% t-interval across seeds (n_seeds = 3)"
    plt.close(fig)
