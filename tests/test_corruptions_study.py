"""The MNIST study's models under corruptions: rows per model, scores against the clean model computed by hand,
intervals across seeds, the level curves and the figure."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import torch

from perturbstudy.corruptions.benchmark import CorruptionBenchmark
from perturbstudy.corruptions.study import (
    ACCURACY_COLUMNS,
    level_curves,
    level_figure,
    load_accuracies,
    model_accuracies,
    per_seed_scores,
    shift_table,
    write_shift_table,
)
from perturbstudy.errors import DataError
from perturbstudy.perturbation.series import FACTORS

from .linear_models import Brightness


def test_model_accuracies_rows_carry_labels_clean_accuracy_and_each_cell():
    labels = torch.tensor([0, 0, 1, 1])
    dark, bright = torch.full((1, 4, 4), 50, dtype=torch.uint8), torch.full((1, 4, 4), 200, dtype=torch.uint8)
    clean = torch.stack([dark, bright, bright, bright]).float() / 255  # 3 of 4 right
    bench = CorruptionBenchmark("mnistc", None, 0, {("fog", 1): torch.stack([dark, dark, bright, bright]),
                                                    ("fog", 2): torch.stack([bright, bright, dark, dark])})
    tag = {"architecture": "lenet5", "series": "rq1_gaussian", "set": "L2", "seed": 0, **dict.fromkeys(FACTORS, 0.0)}
    rows = model_accuracies(Brightness(), tag, (clean, labels), [bench], batch_size=3)
    assert [(r["corruption"], r["severity"], r["accuracy"], r["clean_accuracy"]) for r in rows] == [
        ("fog", 1, 1.0, 0.75), ("fog", 2, 0.0, 0.75)]
    assert set(rows[0]) == set(ACCURACY_COLUMNS) and rows[0]["series"] == "rq1_gaussian"


def _rows(series, setid, seed, clean, cells, **factors):
    base = {"architecture": "lenet5", "series": series, "set": setid, "seed": seed,
            **{f: factors.get(f, 0.0) for f in FACTORS}, "suite": "mnistc", "n": 100, "clean_accuracy": clean}
    return [{**base, "corruption": c, "severity": s, "accuracy": a} for (c, s), a in cells.items()]


REF = {("fog", 1): 0.8, ("fog", 2): 0.5, ("rotate", 1): 0.85, ("rotate", 2): 0.75}
NOISY = {("fog", 1): 0.9, ("fog", 2): 0.7, ("rotate", 1): 0.8, ("rotate", 2): 0.6}


def _frame(seeds=(0,)):
    rows = []
    for seed in seeds:
        rows += _rows("clean", "base", seed, 0.9, REF)
        rows += _rows("rq1_gaussian", "L2", seed, 0.95 - 0.01 * seed, NOISY, gaussian=2.0)
    return pd.DataFrame(rows, columns=ACCURACY_COLUMNS)


def test_scores_against_the_clean_model_by_hand():
    scores = per_seed_scores(_frame()).set_index("series")
    assert scores.loc["clean", ["mCE", "relative_mCE"]].tolist() == pytest.approx([100.0, 100.0])
    noisy = scores.loc["rq1_gaussian"]
    assert noisy["mCA"] == pytest.approx(75.0) and noisy["clean_accuracy"] == pytest.approx(95.0)
    assert noisy["mCE"] == pytest.approx(100 * ((0.4 / 0.7) + (0.6 / 0.4)) / 2)
    assert noisy["relative_mCE"] == pytest.approx(100 * ((0.30 / 0.50) + (0.50 / 0.20)) / 2)
    assert noisy["gaussian"] == 2.0


def test_without_the_clean_model_the_errors_are_nan():
    frame = _frame()
    scores = per_seed_scores(frame[frame["series"] != "clean"])
    assert math.isnan(scores["mCE"].iloc[0]) and scores["mCA"].iloc[0] == pytest.approx(75.0)


def test_table_gives_seed_means_and_t_intervals():
    table = shift_table(per_seed_scores(_frame(seeds=(0, 1))), 0.95).set_index("series")
    row = table.loc["rq1_gaussian"]
    assert row["n_seeds"] == 2 and row["clean_accuracy"] == pytest.approx(94.5)
    assert row["clean_accuracy_ci_low"] < 94.0 < 95.0 < row["clean_accuracy_ci_high"]
    one = shift_table(per_seed_scores(_frame()), 0.95)
    assert one["mCA_ci_low"].isna().all()


def test_repeated_cell_is_refused(tmp_path):
    path = tmp_path / "seed0.csv"
    pd.concat([_frame(), _frame().iloc[:1]]).to_csv(path, index=False)
    with pytest.raises(DataError, match="appears twice"):
        load_accuracies([path])
    _frame().drop(columns=["clean_accuracy"]).to_csv(path, index=False)
    with pytest.raises(DataError, match="lacks columns"):
        load_accuracies([path])


def test_written_table_level_curves_and_figure(tmp_path):
    rows = _frame(seeds=(0, 1)).to_dict("records")
    for seed in (0, 1):
        rows += _rows("rq3_imbalance", "CI0.4", seed, 0.85, NOISY, imbalance=0.4)
        rows += _rows("rq1_gaussian", "L4", seed, 0.9, REF, gaussian=4.0)
    (tmp_path / "seed.csv").write_text(pd.DataFrame(rows, columns=ACCURACY_COLUMNS).to_csv(index=False))
    table = write_shift_table([tmp_path / "seed.csv"], tmp_path / "t.csv", tmp_path / "t.md")
    assert "MNIST-C corruptions (fog, rotate) at severities 1, 2" in (tmp_path / "t.md").read_text()
    curves = level_curves(table)
    gauss = curves[curves["series"] == "rq1_gaussian"]
    assert gauss["level"].tolist() == [0.0, 2.0, 4.0]  # the clean model at level 0
    assert gauss["mCA"].tolist() == pytest.approx([72.5, 75.0, 72.5])
    assert curves[curves["series"] == "rq3_imbalance"]["level"].tolist() == [0.4]  # no clean point for imbalance
    plotted = level_figure(tmp_path / "t.csv", tmp_path / "f.png")
    assert len(plotted) == len(curves) and (tmp_path / "f.png").stat().st_size > 1000
