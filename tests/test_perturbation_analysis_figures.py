"""Figures exist, are non-empty PNG and PDF files, and show the data they are given."""

from __future__ import annotations

from pathlib import Path

import pytest

from perturbstudy.perturbation.analysis import figures, io, tables
from tests.analysis_synthetic import write_eval_csvs


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory):
    csvs = write_eval_csvs(tmp_path_factory.mktemp("figs"))
    raw = io.read_evaluations(csvs)
    return io.summarize(raw), io.level_curves(raw)


def assert_figure(paths: list[Path]) -> None:
    png, pdf = paths
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert pdf.read_bytes()[:4] == b"%PDF" and pdf.stat().st_size > 5_000


def test_every_figure_is_written(tmp_path: Path, data) -> None:
    summary, curves = data
    assert_figure(figures.series_figure(io.series_rows(summary, "rq2_fgsm"), "fgsm", tmp_path / "s", "t"))
    assert_figure(figures.dual_heatmaps(io.series_rows(summary, "rq5_dual"), tmp_path / "h", "t"))
    assert_figure(figures.main_effects_figure(tables.main_effects_table(summary, "rq6_four"), tmp_path / "m", "t"))
    picks = io.choose_level_models(summary, None)
    assert "clean" in set(picks["model"]) and picks["model"].nunique() <= 8
    assert_figure(figures.level_curve_figure(curves.merge(picks, on=["architecture", "series", "set"]),
                                             tmp_path / "l", "t"))


def test_level_model_selection_names_a_missing_model(data) -> None:
    summary, _ = data
    picks = io.choose_level_models(summary, [{"series": "clean"}, {"series": "rq2_fgsm", "level": 7.0}])
    assert set(picks["model"]) == {"clean", "rq2_fgsm fgsm=7"}
    with pytest.raises(Exception, match="no model of series 'rq2_fgsm' at level 99"):
        io.choose_level_models(summary, [{"series": "rq2_fgsm", "level": 99.0}])
