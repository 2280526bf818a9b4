"""Tables from evaluation CSVs equal an independent recomputation; the loader is strict and tolerant."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from perturbstudy.errors import DataError
from perturbstudy.perturbation.analysis import io, tables
from perturbstudy.perturbation.analysis import stats as st
from perturbstudy.runtime import derive_seed
from tests.analysis_synthetic import ARCHS, design, write_eval_csvs

SETTINGS = tables.Settings(bootstrap_resamples=200, seed=0)


@pytest.fixture(scope="module")
def csvs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_eval_csvs(tmp_path_factory.mktemp("evals"), seeds=(0, 1))


@pytest.fixture(scope="module")
def summary(csvs: list[Path]) -> pd.DataFrame:
    return io.summarize(io.read_evaluations(csvs))


def raw_accuracy(csvs: list[Path]) -> pd.DataFrame:
    """Independent recomputation: mean over numeric levels (or the single row), then over seeds."""
    data = pd.concat(pd.read_csv(p) for p in csvs)
    data = data[data["benchmark_level"].astype(str) != "mean"]
    per_seed = data.groupby(["architecture", "series", "set", "seed", "testset"])["accuracy"].mean()
    return per_seed.groupby(["architecture", "series", "set", "testset"]).mean().unstack("testset").reset_index()


def exact_p(x: pd.Series, y: pd.Series) -> float:
    """Independent check: two-sided p of Spearman r over every pairing of x with y (scipy's r per pairing)."""
    x, y = x.to_numpy(float), y.to_numpy(float)
    r0 = sps.spearmanr(x, y).statistic
    null = np.array([sps.spearmanr(x[list(p)], y).statistic for p in itertools.permutations(range(len(x)))])
    return min(1.0, 2 * min((null >= r0 - 1e-9).mean(), (null <= r0 + 1e-9).mean()))


def test_summary_ignores_mean_rows_and_averages_levels_then_seeds(csvs: list[Path], summary: pd.DataFrame) -> None:
    expected = raw_accuracy(csvs)
    merged = summary.merge(expected, on=["architecture", "series", "set"], suffixes=("", "_raw"))
    assert len(merged) == len(summary) == len(expected)
    for testset in ("train", "test", "gaussian_benchmark", "fgsm_benchmark", "whitebox_pgd_l2"):
        np.testing.assert_allclose(merged[testset], merged[testset + "_raw"])
    assert (summary["n_seeds"] == 2).all()


def test_loader_names_the_missing_column_and_file(tmp_path: Path, csvs: list[Path]) -> None:
    frame = pd.read_csv(csvs[0]).drop(columns=["label_error"])
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    with pytest.raises(DataError, match=r"bad.csv: missing column\(s\) \['label_error'\]"):
        io.read_evaluations([bad])
    with pytest.raises(DataError, match="nowhere.csv: evaluation CSV not found"):
        io.read_evaluations([tmp_path / "nowhere.csv"])


def test_spearman_table_equals_scipy_on_the_raw_csvs(csvs: list[Path], summary: pd.DataFrame) -> None:
    raw = raw_accuracy(csvs)
    factors = pd.concat(pd.read_csv(p) for p in csvs).groupby(["architecture", "series", "set"])[
        ["imbalance"]].first().reset_index()
    raw = raw.merge(factors, on=["architecture", "series", "set"])
    table = tables.spearman_table(summary, "rq3_imbalance", SETTINGS)
    assert len(table) == 2 * 6
    for arch in ARCHS:
        rows = raw[(raw["architecture"] == arch) & raw["series"].isin(["rq3_imbalance", "clean"])]
        assert len(rows) == 6  # 5 levels + the clean model at CI 0
        for testset in ("test", "gaussian_benchmark", "fgsm_benchmark"):
            r = sps.spearmanr(rows["imbalance"], rows[testset]).statistic
            got = table[(table["architecture"] == arch) & (table["testset"] == testset)].iloc[0]
            assert got["r"] == pytest.approx(r) and got["p_method"] == "exact"  # n = 6
            assert got["p"] == pytest.approx(exact_p(rows["imbalance"], rows[testset]))
            assert got["mean"] == pytest.approx(rows[testset].mean())
            assert got["variance_ddof1"] == pytest.approx(rows[testset].var(ddof=1))
            assert got["ci_low"] <= got["r"] + 1e-12 and got["r"] - 1e-12 <= got["ci_high"]
    # Holm over the whole table, monotone in the raw p
    order = np.argsort(table["p"].to_numpy())
    assert np.all(np.diff(table["p_holm"].to_numpy()[order]) >= -1e-15)
    assert (table["p_holm"] >= table["p"] - 1e-15).all()
    assert (table["p"] >= table["p_min"]).all() and (table["p"] > 0).all()
    assert (table["p_holm_min"] <= table["p_holm"] + 1e-15).all()
    assert tables.spearman_table(summary, "rq3_imbalance", SETTINGS).equals(table)  # seeded bootstrap


def test_segments_split_at_the_fgsm_benchmark_peak(summary: pd.DataFrame) -> None:
    seg = tables.segments_table(summary, "rq2_fgsm", SETTINGS)
    peaks = seg.groupby("architecture")["peak_level"].first().to_dict()
    assert peaks == {"lenet5": 8.0, "alexnet8": 7.0}  # the synthetic truth (the paper's peaks)
    fg = seg[seg["testset"] == "fgsm_benchmark"].set_index(["architecture", "segment"])
    assert fg.loc[("lenet5", "I"), "n"] == 9 and fg.loc[("lenet5", "II"), "n"] == 4
    assert fg.loc[("lenet5", "I"), "r"] == pytest.approx(1.0) and fg.loc[("lenet5", "II"), "r"] == pytest.approx(-1.0)


def test_four_point_segment_is_not_testable_with_its_exact_p(summary: pd.DataFrame) -> None:
    seg = tables.segments_table(summary, "rq2_fgsm", SETTINGS)
    row = seg[(seg["architecture"] == "lenet5") & (seg["segment"] == "II") & (seg["testset"] == "fgsm_benchmark")]
    row = row.iloc[0]
    assert row["n"] == 4 and row["r"] == pytest.approx(-1.0) and row["strength"] == "very high"
    assert row["p"] == pytest.approx(1 / 12) and row["p_min"] == pytest.approx(1 / 12) and row["p_method"] == "exact"
    assert row["p_holm"] >= row["p_holm_min"] >= row["p"]
    assert row["status"] == (f"not testable (n=4, attainable p >= 0.083, Holm p >= {row['p_holm_min']:.2g} "
                             "at alpha = 0.05)")
    assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])
    assert "bootstrap interval not estimable at n < 6" in row["note"]
    first = seg[(seg["architecture"] == "lenet5") & (seg["segment"] == "I") & (seg["testset"] == "fgsm_benchmark")]
    assert first.iloc[0]["status"] == "significant"  # n = 9: p = 2/9! and Holm over 20 rows stays below 0.05
    assert (seg["p"].dropna() > 0).all() and (seg["p_holm"].dropna() > 0).all()


def test_row_status_names_the_reason() -> None:
    assert tables.row_status(0.01, 0.05, 12) == "significant"
    assert tables.row_status(0.2, 0.05, 12, p_min=1e-9, p_holm_min=1e-8) == "not significant"
    assert tables.row_status(0.9, 0.05, 3, p_min=1 / 3, p_holm_min=1.0) == (
        "not testable (n=3, attainable p >= 0.33, Holm p >= 1 at alpha = 0.05)")
    assert tables.row_status(np.nan, 0.05, 2, "only 2 point(s): too few for a correlation") == (
        "not testable (only 2 point(s): too few for a correlation)")


def test_short_segment_reports_nan_with_a_note(summary: pd.DataFrame) -> None:
    cut = summary[~((summary["series"] == "rq2_fgsm") & (summary["fgsm"] > 9.0))]
    seg = tables.segments_table(cut, "rq2_fgsm", SETTINGS)
    row = seg[(seg["architecture"] == "lenet5") & (seg["segment"] == "II")].iloc[0]
    assert row["n"] == 1 and np.isnan(row["r"]) and "too few" in row["note"]
    assert row["status"] == "not testable (only 1 point(s): too few for a correlation)"


def test_multiple_correlation_table_equals_least_squares(summary: pd.DataFrame) -> None:
    table = tables.multiple_correlation_table(summary, "rq6_four", SETTINGS)
    factors = ["gaussian", "fgsm", "imbalance", "label_error"]
    for arch in ARCHS:
        rows = summary[(summary["architecture"] == arch) & (summary["series"] == "rq6_four")]
        assert len(rows) == 25
        for testset in ("test", "fgsm_benchmark"):
            design = np.column_stack([np.ones(25), rows[factors].to_numpy()])
            y = rows[testset].to_numpy()
            fitted = design @ np.linalg.lstsq(design, y, rcond=None)[0]
            r2 = 1 - ((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum()
            f = (r2 / 4) / ((1 - r2) / 20)
            got = table[(table["architecture"] == arch) & (table["testset"] == testset)].iloc[0]
            assert got["R"] == pytest.approx(np.corrcoef(y, fitted)[0, 1])
            assert got["p"] == pytest.approx(sps.f.sf(f, 4, 20), rel=1e-6)
            bands = [(0.95, "very high"), (0.8, "high"), (0.5, "moderate"), (0.3, "low"), (0, "weak or none")]
            assert got["strength"] == next(name for bound, name in bands if got["R"] >= bound)
            assert got["status"] == ("significant" if got["p_holm"] < 0.05 else "not significant")
            lo, hi = got["ci_low"], got["ci_high"]  # population R: the noncentral F puts f at its tail quantiles
            assert (lo, hi) == pytest.approx(st.multiple_correlation_ci(f, 4, 20, 25)) and 0 <= lo <= hi <= 1
            assert sps.ncf.cdf(f, 4, 20, 25 * hi**2 / (1 - hi**2)) == pytest.approx(0.025, abs=1e-8)
            if lo > 0:
                assert sps.ncf.cdf(f, 4, 20, 25 * lo**2 / (1 - lo**2)) == pytest.approx(0.975, abs=1e-8)
            else:
                assert sps.f.cdf(f, 4, 20) <= 0.975
    strict = tables.multiple_correlation_table(summary, "rq6_four", replace(SETTINGS, alpha=1e-300))
    assert set(strict["status"]) <= {"not significant", "significant"} and "significant" not in set(
        strict.loc[strict["p_holm"] >= 1e-300, "status"])
    effects = tables.main_effects_table(summary, "rq6_four", SETTINGS)
    assert set(effects["n"]) == {5}  # every level of every factor appears 5 times in L25


def test_coefficient_table_equals_hand_t_tests_and_separates_real_from_null_factors(summary: pd.DataFrame) -> None:
    table = tables.coefficient_table(summary, "rq6_four", SETTINGS)
    assert list(table.columns) == ["architecture", "testset", "factor", "n", "slope", "se", "t", "df_resid", "p",
                                   "ci_low", "ci_high", "p_holm", "status", "note"]
    factors = ["gaussian", "fgsm", "imbalance", "label_error"]
    for arch in ARCHS:
        rows = summary[(summary["architecture"] == arch) & (summary["series"] == "rq6_four")]
        design = np.column_stack([np.ones(25), rows[factors].to_numpy()])
        for testset in ("test", "whitebox_pgd_l2"):
            y = rows[testset].to_numpy()
            beta, ssr = np.linalg.lstsq(design, y, rcond=None)[:2]
            se = np.sqrt(ssr[0] / 20 * np.diag(np.linalg.inv(design.T @ design)))
            got = table[(table["architecture"] == arch) & (table["testset"] == testset)].set_index("factor")
            np.testing.assert_allclose(got.loc[factors, "slope"], beta[1:], atol=1e-12)
            np.testing.assert_allclose(got.loc[factors, "se"], se[1:], rtol=1e-8)
            np.testing.assert_allclose(got.loc[factors, "p"], 2 * sps.t.sf(np.abs(beta[1:] / se[1:]), 20), rtol=1e-6)
            half = sps.t.ppf(0.975, 20) * se[1:]
            np.testing.assert_allclose(got.loc[factors, "ci_low"], beta[1:] - half, atol=1e-12)
            np.testing.assert_allclose(got.loc[factors, "ci_high"], beta[1:] + half, atol=1e-12)
            assert (got["df_resid"] == 20).all() and (got["n"] == 25).all()
        # the synthetic truth: white-box accuracy rises with FGSM training only; clean test accuracy falls
        # with label errors and does not depend on FGSM training
        white = table[(table["architecture"] == arch) & (table["testset"] == "whitebox_pgd_l2")].set_index("factor")
        assert white.loc["fgsm", "status"] == "significant" and white.loc["fgsm", "ci_low"] > 0
        assert (white.loc[["imbalance", "label_error"], "status"] == "not significant").all()
        test = table[(table["architecture"] == arch) & (table["testset"] == "test")].set_index("factor")
        assert test.loc["label_error", "status"] == "significant" and test.loc["label_error", "ci_high"] < 0
        assert test.loc["fgsm", "status"] == "not significant"
    np.testing.assert_allclose(table["p_holm"], st.holm(table["p"].to_numpy(float)))
    assert (table["p"] > 0).all()


def test_exact_fit_rows_are_not_testable_never_p_zero(tmp_path: Path) -> None:
    sets = [s for s in design() if s[1] in ("clean", "rq6_four")]
    summary = io.summarize(io.read_evaluations(write_eval_csvs(tmp_path, noise=0.0, sets=sets)))
    corr = tables.multiple_correlation_table(summary, "rq6_four", SETTINGS)
    slopes = tables.coefficient_table(summary, "rq6_four", SETTINGS)
    exact = "exact fit (no residual variance): F-test undefined"
    for table in (corr, slopes):
        linear = table[table["testset"] == "whitebox_pgd_l2"]  # white-box accuracy is linear in the factors
        assert linear["p"].isna().all() and (linear["note"] == exact).all()
        assert (linear["status"] == f"not testable ({exact})").all()
        assert not (table["p"] == 0).any()
    np.testing.assert_allclose(corr.loc[corr["testset"] == "whitebox_pgd_l2", "R"], 1.0)
    np.testing.assert_allclose(slopes.loc[slopes["testset"] == "whitebox_pgd_l2", "slope"],
                               [0.002, 0.03, 0, 0] * len(ARCHS), atol=1e-12)


def test_main_effects_table_intervals_follow_the_confidence(summary: pd.DataFrame) -> None:
    wide = tables.main_effects_table(summary, "rq6_four", SETTINGS)
    narrow = tables.main_effects_table(summary, "rq6_four", replace(SETTINGS, confidence=0.5))
    assert list(wide.columns[:6]) == ["architecture", "testset", "factor", "level", "mean", "n"]
    df_resid = 25 - 1 - 4 * 4
    ratio = (wide["ci_high"] - wide["mean"]) / (narrow["ci_high"] - narrow["mean"])
    np.testing.assert_allclose(ratio, sps.t.ppf(0.975, df_resid) / sps.t.ppf(0.75, df_resid))
    assert (wide["ci_low"] < wide["mean"]).all() and (wide["mean"] < wide["ci_high"]).all()


def test_write_table_gives_csv_markdown_latex(tmp_path: Path, summary: pd.DataFrame) -> None:
    table = tables.spearman_table(summary, "rq1_gaussian", SETTINGS)
    paths = tables.write_table(table, tmp_path / "t", "Title", ["a note"])
    assert [p.suffix for p in paths] == [".csv", ".md", ".tex"]
    text = ["note", "strength", "p_method", "status"]
    pd.testing.assert_frame_equal(pd.read_csv(paths[0]).drop(columns=text), table.drop(columns=text),
                                  check_dtype=False, atol=1e-9)
    md, tex = paths[1].read_text(), paths[2].read_text()
    assert md.startswith("# Title") and "| architecture" in md and "- a note" in md
    assert r"\begin{tabular}" in tex and r"variance\_ddof1" in tex and tex.count(r"\\") == len(table) + 1


def test_exclusion_notes_state_each_excluding_level_per_architecture() -> None:
    curves = pd.DataFrame({
        "architecture": ["lenet5"] * 4 + ["alexnet8"] * 2, "testset": ["fgsm_benchmark"] * 6,
        "level": [1.0, 2.0, 2.0, 3.0, 1.0, 2.0], "excluded": [0.0, 12.0, 15.0, 40.0, 0.0, 0.0],
        "n_test": [100.0] * 6})
    notes = tables.exclusion_notes(curves)
    assert len(notes) == 1 and notes[0].startswith("FGSM benchmark (MNIST-A), lenet5:")
    assert "L2 = 2: 12-15 of 100; L2 = 3: 40 of 100" in notes[0] and "L2 = 1" not in notes[0]
    assert tables.exclusion_notes(curves[curves["architecture"] == "alexnet8"]) == []


T_975_DF2 = 4.302652729749464
"""Student-t 97.5% quantile at 2 degrees of freedom (3 seeds), from tables."""
SEED_SETS = [s for s in design() if s[1] in ("clean", "rq3_imbalance", "rq2_fgsm")]


def raw_per_seed(csvs: list[Path]) -> pd.DataFrame:
    """Independent recomputation: accuracy per (model, seed, test set), the mean over numeric levels."""
    data = pd.concat(pd.read_csv(p) for p in csvs)
    data = data[data["benchmark_level"].astype(str) != "mean"]
    return data.groupby(["architecture", "series", "set", "seed", "testset"])["accuracy"].mean()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory):
    """Three seeds (seed noise 0.02) and one seed of the same models: (csvs, per-seed summary, summary) each."""
    out = {}
    for seeds in ((0, 1, 2), (0,)):
        csvs = write_eval_csvs(tmp_path_factory.mktemp("seeded"), seeds=seeds, noise=0.02, sets=SEED_SETS)
        per_seed = io.summarize_seeds(io.read_evaluations(csvs))
        out[len(seeds)] = (csvs, per_seed, io.seed_means(per_seed))
    return out


def test_spearman_intervals_come_from_the_pooled_seed_noise(seeded) -> None:
    csvs, per_seed, summary = seeded[3]
    raw = raw_per_seed(csvs)
    table = tables.spearman_table(summary, "rq3_imbalance", SETTINGS, per_seed)
    assert set(table["ci_method"]) == {"seed noise (3 seeds, pooled t)"} and set(table["n_seeds"]) == {3}
    assert tables.seed_notes(table) == ["3 seeds per model: every interval rests on the spread across seeds."]
    for arch in ARCHS:
        models = [("clean", "base", 0.0)] + [("rq3_imbalance", f"ci{lv:g}", lv) for lv in (0.25, 0.3, 0.35, 0.4,
                                                                                             0.45)]
        x = np.array([lv for _, _, lv in models])
        for testset in ("test", "gaussian_benchmark", "fgsm_benchmark"):
            groups = [raw.loc[(arch, series, setid)].xs(testset, level="testset").to_numpy()
                      for series, setid, _ in models]
            got = table[(table["architecture"] == arch) & (table["testset"] == testset)].iloc[0]
            lo, hi = st.seed_noise_spearman_ci(x, groups, SETTINGS.bootstrap_resamples,
                                               derive_seed(SETTINGS.seed, "rq3_imbalance", arch, testset))
            assert (got["ci_low"], got["ci_high"]) == pytest.approx((lo, hi))
            assert got["ci_low"] - 1e-12 <= got["r"] <= got["ci_high"] + 1e-12
            assert got["r"] == pytest.approx(sps.spearmanr(x, [g.mean() for g in groups]).statistic)
            series_mean = np.mean(groups, axis=0)  # per seed: the mean over the six models
            half = T_975_DF2 * series_mean.std(ddof=1) / np.sqrt(3)
            assert got["mean"] == pytest.approx(series_mean.mean())
            assert (got["mean_ci_low"], got["mean_ci_high"]) == pytest.approx(
                (series_mean.mean() - half, series_mean.mean() + half))
            assert "not estimable" not in got["note"]


def test_one_seed_keeps_the_pairs_bootstrap_and_says_so(seeded) -> None:
    _, per_seed, summary = seeded[1]
    table = tables.spearman_table(summary, "rq3_imbalance", SETTINGS, per_seed)
    assert set(table["ci_method"]) == {"levels (one seed)"} and set(table["n_seeds"]) == {1}
    assert table[["mean_ci_low", "mean_ci_high"]].isna().all().all()
    assert tables.seed_notes(table)[0].startswith("one seed: no interval across seeds")
    row = table[(table["architecture"] == "lenet5") & (table["testset"] == "fgsm_benchmark")].iloc[0]
    rows = io.series_rows(summary, "rq3_imbalance")
    rows = rows[rows["architecture"] == "lenet5"]
    expected = st.bootstrap_spearman_ci(rows["imbalance"].to_numpy(), rows["fgsm_benchmark"].to_numpy(),
                                        SETTINGS.bootstrap_resamples,
                                        derive_seed(SETTINGS.seed, "rq3_imbalance", "lenet5", "fgsm_benchmark"))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(expected)
    without = tables.spearman_table(summary, "rq3_imbalance", SETTINGS)  # no per-seed data: the old interval
    pd.testing.assert_frame_equal(without[["r", "ci_low", "ci_high"]], table[["r", "ci_low", "ci_high"]])
    assert set(without["ci_method"]) == {"levels"} and tables.seed_notes(without) == []


def test_short_segments_get_an_interval_from_the_seeds(seeded) -> None:
    _, per_seed, summary = seeded[3]
    seg = tables.segments_table(summary, "rq2_fgsm", SETTINGS, seeds=per_seed)
    row = seg[(seg["architecture"] == "lenet5") & (seg["segment"] == "II") & (seg["testset"] == "fgsm_benchmark")]
    row = row.iloc[0]
    assert row["n"] == 4 and row["ci_method"] == "seed noise (3 seeds, pooled t)"
    assert row["ci_low"] - 1e-12 <= row["r"] <= row["ci_high"] + 1e-12 and "not estimable" not in row["note"]
    one = tables.segments_table(seeded[1][2], "rq2_fgsm", SETTINGS, seeds=seeded[1][1])
    row = one[(one["architecture"] == "lenet5") & (one["segment"] == "II") & (one["testset"] == "fgsm_benchmark")]
    assert np.isnan(row.iloc[0]["ci_low"]) and row.iloc[0]["ci_method"] == "levels (one seed)"


def test_levels_table_gives_the_t_interval_across_seeds_per_level(seeded, tmp_path: Path) -> None:
    csvs, per_seed, _ = seeded[3]
    raw = raw_per_seed(csvs)
    table = tables.levels_table(per_seed, "rq3_imbalance")
    assert list(table.columns) == tables.LEVEL_COLUMNS
    assert len(table) == len(ARCHS) * 6 * 6  # architectures x test sets x (5 levels + the clean model)
    row = table[(table["architecture"] == "alexnet8") & (table["testset"] == "gaussian_benchmark")
                & (table["level"] == 0.35)].iloc[0]
    values = raw.loc[("alexnet8", "rq3_imbalance", "ci0.35")].xs("gaussian_benchmark", level="testset").to_numpy()
    mean, sd = values.sum() / 3, np.sqrt(((values - values.sum() / 3) ** 2).sum() / 2)
    assert row["n_seeds"] == 3 and row["mean"] == pytest.approx(mean) and row["sd"] == pytest.approx(sd)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((mean - T_975_DF2 * sd / np.sqrt(3),
                                                             mean + T_975_DF2 * sd / np.sqrt(3)))
    clean = table[(table["level"] == 0.0) & (table["testset"] == "test")]
    assert len(clean) == len(ARCHS)  # the clean model joins at its own level
    one = tables.levels_table(seeded[1][1], "rq3_imbalance")
    assert (one["n_seeds"] == 1).all() and one[["sd", "ci_low", "ci_high"]].isna().all().all()
    notes = tables.levels_notes(SETTINGS, one)
    assert any(n.startswith("one seed: no interval across seeds") for n in notes)
    md = tables.write_table(one, tmp_path / "levels", "Levels", notes)[1].read_text()
    assert "one seed: no interval across seeds" in md


def test_segments_can_split_at_a_level_fixed_in_advance(summary: pd.DataFrame) -> None:
    fixed = tables.segments_table(summary, "rq2_fgsm", SETTINGS, split_at={"lenet5": 5.0})
    lenet, alex = fixed[fixed["architecture"] == "lenet5"], fixed[fixed["architecture"] == "alexnet8"]
    assert set(lenet["peak_level"]) == {5.0}
    assert lenet[lenet["segment"] == "I"]["level_max"].max() == 5.0
    assert lenet[lenet["segment"] == "II"]["level_min"].min() == 6.0
    assert set(alex["peak_level"]) == {7.0}  # not given: split at its own peak
