"""Corruption metrics against numbers computed by hand: mCA, CE, relative CE (Hendrycks & Dietterich)."""

from __future__ import annotations

import math

import pytest
import torch

from perturbstudy.corruptions.benchmark import CorruptionBenchmark
from perturbstudy.corruptions.metrics import (
    accuracy_grid,
    corruption_errors,
    corruption_summary,
    evaluate_corruptions,
    mean_corruption_accuracy,
    relative_corruption_errors,
)
from perturbstudy.errors import DataError

from .linear_models import Brightness

# model f and reference r (the STD model) on two corruptions at severities 1 and 2
F_ACC = {("fog", 1): 0.9, ("fog", 2): 0.7, ("rotate", 1): 0.8, ("rotate", 2): 0.6}
R_ACC = {("fog", 1): 0.8, ("fog", 2): 0.5, ("rotate", 1): 0.85, ("rotate", 2): 0.75}
F_CLEAN, R_CLEAN = 0.95, 0.9


def test_mean_corruption_accuracy():
    assert mean_corruption_accuracy(F_ACC) == pytest.approx((0.9 + 0.7 + 0.8 + 0.6) / 4)
    assert math.isnan(mean_corruption_accuracy({}))


def test_corruption_error_by_hand():
    ce = corruption_errors(F_ACC, R_ACC)
    assert ce["fog"] == pytest.approx((0.1 + 0.3) / (0.2 + 0.5))  # sum_s E_f / sum_s E_ref
    assert ce["rotate"] == pytest.approx((0.2 + 0.4) / (0.15 + 0.25))


def test_relative_corruption_error_by_hand():
    rce = relative_corruption_errors(F_ACC, F_CLEAN, R_ACC, R_CLEAN)
    # fog: f loses (0.10 - 0.05) + (0.30 - 0.05) = 0.30; ref loses (0.20 - 0.10) + (0.50 - 0.10) = 0.50
    assert rce["fog"] == pytest.approx(0.30 / 0.50)
    # rotate: f (0.20 - 0.05) + (0.40 - 0.05) = 0.50; ref (0.15 - 0.10) + (0.25 - 0.10) = 0.20
    assert rce["rotate"] == pytest.approx(0.50 / 0.20)
    assert relative_corruption_errors(R_ACC, R_CLEAN, R_ACC, R_CLEAN) == {"fog": 1.0, "rotate": 1.0}  # STD: 1


def test_undefined_when_the_reference_is_not_hurt():
    ref = {**R_ACC, ("rotate", 1): 0.95, ("rotate", 2): 0.95}  # better than its clean 0.9: denominator < 0
    summary = corruption_summary(F_ACC, F_CLEAN, ref, R_CLEAN)
    assert math.isnan(summary["relative_CE"]["rotate"]) and summary["undefined_relative_CE"] == ["rotate"]
    assert summary["relative_mCE"] == pytest.approx(0.30 / 0.50)  # the mean of the defined ones
    assert summary["mCE"] == pytest.approx(((0.4 / 0.7) + (0.6 / 0.1)) / 2)
    assert summary["mCA"] == pytest.approx(0.75) and summary["clean_accuracy"] == F_CLEAN


def test_reference_must_cover_every_cell():
    with pytest.raises(DataError, match=r"no accuracy for \[\('fog', 2\)\]"):
        corruption_errors(F_ACC, {k: v for k, v in R_ACC.items() if k != ("fog", 2)})


def test_evaluate_corruptions_counts_correct_predictions():
    labels = torch.tensor([0, 0, 1, 1])
    dark, bright = torch.full((1, 28, 28), 50, dtype=torch.uint8), torch.full((1, 28, 28), 200, dtype=torch.uint8)
    cells = {("fog", 1): torch.stack([dark, dark, bright, bright]),  # all right
             ("fog", 2): torch.stack([dark, bright, bright, dark])}  # half right
    rows = evaluate_corruptions(Brightness(), CorruptionBenchmark("mnistc", None, 0, cells), labels, batch_size=3)
    assert rows == [{"corruption": "fog", "severity": 1, "n": 4, "accuracy": 1.0},
                    {"corruption": "fog", "severity": 2, "n": 4, "accuracy": 0.5}]
    assert accuracy_grid(rows) == {("fog", 1): 1.0, ("fog", 2): 0.5}
