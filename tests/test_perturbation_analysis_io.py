"""Per-level benchmark curves carry the images evaluated (n) and excluded (test images - n) at each level."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from perturbstudy.errors import DataError
from perturbstudy.perturbation.analysis import io
from tests.analysis_synthetic import design, write_eval_csvs

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


T_975 = {1: 12.706204736174707, 2: 4.302652729749464}
"""Student-t 97.5% quantiles (df 1, 2) from tables, so the intervals below are checked without scipy."""


def test_level_curves_give_the_t_interval_across_seeds_per_level(tmp_path: Path) -> None:
    csvs = write(tmp_path, eval_frame(0, (100, 90, 0), (0.8, 0.6, np.nan)),
                 eval_frame(1, (100, 80, 0), (0.7, 0.4, np.nan)))
    fgsm = io.level_curves(io.read_evaluations(csvs)).set_index(["testset", "level"]).loc["fgsm_benchmark"]
    sd = np.array([np.sqrt(2 * 0.05**2), np.sqrt(2 * 0.1**2)])  # two seeds: sd = |a - b| / sqrt(2)
    np.testing.assert_allclose(fgsm["accuracy_sd"].iloc[:2], sd)
    assert fgsm["n_seeds"].tolist() == [2, 2, 0]  # the level without images has no seed's accuracy
    half = T_975[1] * sd / np.sqrt(2)
    np.testing.assert_allclose(fgsm["ci_low"].iloc[:2], [0.75, 0.5] - half)
    np.testing.assert_allclose(fgsm["ci_high"].iloc[:2], [0.75, 0.5] + half)
    assert fgsm.iloc[2][["accuracy_sd", "ci_low", "ci_high"]].isna().all()
    one = io.level_curves(io.read_evaluations(csvs[:1]))
    assert (one.loc[one["n"] > 0, "n_seeds"] == 1).all()
    assert one[["accuracy_sd", "ci_low", "ci_high"]].isna().all().all()  # one seed: no spread, no interval


@pytest.fixture(scope="module")
def three_seeds(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    sets = [s for s in design() if s[1] in ("clean", "rq3_imbalance", "rq2_fgsm")]
    return io.read_evaluations(write_eval_csvs(tmp_path_factory.mktemp("seeds"), seeds=(0, 1, 2), noise=0.02,
                                               sets=sets))


def test_summarize_seeds_has_one_row_per_model_and_seed_and_summarize_is_its_mean(three_seeds) -> None:
    per_seed = io.summarize_seeds(three_seeds)
    raw = three_seeds[three_seeds["benchmark_level"].astype(str) != "mean"]
    expected = raw.groupby(["architecture", "series", "set", "seed", "testset"])["accuracy"].mean().unstack()
    assert len(per_seed) == len(expected) == 3 * three_seeds.groupby(["architecture", "series", "set"]).ngroups
    got = per_seed.set_index(["architecture", "series", "set", "seed"])
    testsets = io.metric_columns(per_seed)
    assert testsets == list(io.TESTSET_ORDER)
    np.testing.assert_allclose(got[testsets].to_numpy(), expected.loc[got.index, testsets].to_numpy())
    assert all(seeds == [0, 1, 2] for seeds in per_seed.groupby(["architecture", "series", "set"])["seed"].apply(list))
    summary = io.summarize(three_seeds)
    assert list(summary.columns) == ["architecture", "series", "set", *io.FACTORS, "n_seeds", *testsets]
    assert (summary["n_seeds"] == 3).all()
    means = per_seed.groupby(["architecture", "series", "set"])[testsets].mean()
    np.testing.assert_allclose(summary.set_index(["architecture", "series", "set"]).loc[means.index, testsets],
                               means, rtol=1e-14)
    pd.testing.assert_frame_equal(io.seed_means(per_seed), summary)


def test_seed_spread_is_the_t_interval_across_a_models_seeds(three_seeds) -> None:
    per_seed = io.summarize_seeds(three_seeds)
    spread = io.seed_spread(per_seed).set_index(["architecture", "series", "set", "testset"])
    model = per_seed[(per_seed["architecture"] == "lenet5") & (per_seed["set"] == "ci0.3")]
    values = model["fgsm_benchmark"].to_numpy()
    row = spread.loc[("lenet5", "rq3_imbalance", "ci0.3", "fgsm_benchmark")]
    mean, sd = values.sum() / 3, np.sqrt(((values - values.sum() / 3) ** 2).sum() / 2)
    assert row["n_seeds"] == 3 and row["mean"] == pytest.approx(mean) and row["sd"] == pytest.approx(sd)
    assert row["ci_low"] == pytest.approx(mean - T_975[2] * sd / np.sqrt(3))
    assert row["ci_high"] == pytest.approx(mean + T_975[2] * sd / np.sqrt(3))
    assert row["imbalance"] == pytest.approx(0.3)
