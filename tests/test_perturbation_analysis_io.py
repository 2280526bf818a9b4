"""Per-level benchmark curves carry the images evaluated (n) and excluded (test images - n) at each level."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from perturbstudy.errors import DataError
from perturbstudy.perturbation.analysis import io

FACTORS = {"gaussian": 0.0, "fgsm": 0.0, "inverse_fgsm": 0.0, "imbalance": 0.0, "label_error": 0.0}


def eval_frame(seed: int, fgsm_n: tuple[int, int, int], fgsm_acc: tuple[float, float, float]) -> pd.DataFrame:
    """One model's evaluation CSV rows: 100 test images, the FGSM benchmark keeping fgsm_n images per level."""
    base = {"model": "lenet5/clean/base", "architecture": "lenet5", "series": "clean", "set": "base", "seed": seed,
            **FACTORS}
    rows = [{**base, "testset": "test", "attack": "none", "benchmark_level": "", "accuracy": 0.9, "n": 100}]
    for level, n, acc in zip((1.0, 2.0, 3.0), fgsm_n, fgsm_acc, strict=True):
        rows.append({**base, "testset": "fgsm_benchmark", "attack": "fgsm", "benchmark_level": level,
                     "accuracy": acc, "n": n})
        rows.append({**base, "testset": "whitebox_pgd_l2", "attack": "pgd", "benchmark_level": level,
                     "accuracy": 0.5, "n": 40})
    rows.append({**base, "testset": "fgsm_benchmark", "attack": "fgsm", "benchmark_level": "mean",
                 "accuracy": 0.0, "n": sum(fgsm_n)})
    return pd.DataFrame(rows)


def write(tmp_path: Path, *frames: pd.DataFrame) -> list[Path]:
    paths = []
    for i, frame in enumerate(frames):
        paths.append(tmp_path / f"seed{i}.csv")
        frame.to_csv(paths[-1], index=False)
    return paths


def test_level_curves_carry_n_and_exclusions_per_level(tmp_path: Path) -> None:
    csvs = write(tmp_path, eval_frame(0, (100, 90, 0), (0.8, 0.6, np.nan)),
                 eval_frame(1, (100, 80, 0), (0.7, 0.4, np.nan)))
    data = io.read_evaluations(csvs)
    curves = io.level_curves(data).set_index(["testset", "level"])
    fgsm = curves.loc["fgsm_benchmark"]
    np.testing.assert_allclose(fgsm["n"], [100, 85, 0])  # mean over the two seeds
    np.testing.assert_allclose(fgsm["excluded"], [0, 15, 100])
    np.testing.assert_allclose(fgsm["n_test"], [100, 100, 100])
    np.testing.assert_allclose(fgsm["accuracy"], [0.75, 0.5, np.nan])
    pgd = curves.loc["whitebox_pgd_l2"]
    assert (pgd["n"] == 40).all() and pgd["excluded"].isna().all()  # a chosen subset is no exclusion
    # a level that keeps no image has no accuracy and is left out of the benchmark mean
    assert io.summarize(data)["fgsm_benchmark"].iloc[0] == pytest.approx((0.8 + 0.6 + 0.7 + 0.4) / 4)


def test_level_curves_need_the_test_row_and_nan_only_at_n_0(tmp_path: Path) -> None:
    frame = eval_frame(0, (100, 90, 80), (0.8, 0.6, 0.5))
    data = io.read_evaluations(write(tmp_path, frame[frame["testset"] != "test"]))
    with pytest.raises(DataError, match="no 'test' row"):
        io.level_curves(data)
    bad = frame.copy()
    bad.loc[bad["testset"] == "test", "accuracy"] = np.nan
    with pytest.raises(DataError, match=r"NaN only where n = 0"):
        io.read_evaluations(write(tmp_path, bad))
