"""Tables from evaluation CSVs equal an independent recomputation; the loader is strict and tolerant."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from perturbstudy.errors import DataError
from perturbstudy.perturbation.analysis import findings, io, tables
from tests.analysis_synthetic import ARCHS, write_eval_csvs

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
    table = tables.multiple_correlation_table(summary, "rq6_four")
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
    strict = tables.multiple_correlation_table(summary, "rq6_four", alpha=1e-300)
    assert set(strict["status"]) <= {"not significant", "significant"} and "significant" not in set(
        strict.loc[strict["p_holm"] >= 1e-300, "status"])
    effects = tables.main_effects_table(summary, "rq6_four")
    assert set(effects["n"]) == {5}  # every level of every factor appears 5 times in L25


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


def test_findings_report_all_six_with_verdicts_and_errata(summary: pd.DataFrame) -> None:
    found = findings.evaluate_findings(summary, SETTINGS, findings.Thresholds(robust_accuracy=0.75))
    assert [f.number for f in found] == [1, 2, 3, 4, 5, 6]
    # The synthetic truth: Gaussian training raises Gaussian-benchmark accuracy (clean model at 0.80 >= 0.75),
    # and no Gaussian-trained model reaches FGSM-benchmark accuracy 0.75; the FGSM peak does (0.77, 0.84).
    assert found[0].verdict == "supported"
    # Finding 2's "falls beyond the peak" rests on segments II of 4 (lenet5) and 5 (alexnet8) points: exact p >= 1/12
    # and 1/60, too large for Holm over the table's 20 rows, so the synthetic truth cannot be shown there
    assert found[1].verdict == "inconclusive"
    beyond = [c for c in found[1].claims if "segment II" in c.text]
    assert [c.status for c in beyond] == [findings.NOT_SHOWN, findings.NOT_SHOWN]
    strict = findings.evaluate_findings(summary, SETTINGS, findings.Thresholds(robust_accuracy=0.9))
    assert strict[1].verdict == "not supported"  # no FGSM-trained model reaches 0.9
    assert any(c.status == findings.FAILS and "FGSM-benchmark accuracy >= 0.9" in c.text for c in strict[1].claims)
    text = findings.findings_markdown(found, SETTINGS, findings.Thresholds(0.75), "synth")
    assert not re.search(r"Holm p = 0(?![.\d])", text)  # a p is never 0, so neither is its Holm p
    assert "p = 3.347 is not a probability" in text and "## Finding #6" in text
    missing = findings.evaluate_findings(summary[summary["series"] != "rq5_dual"], SETTINGS, findings.Thresholds())
    assert missing[4].verdict.startswith("inconclusive") and not missing[4].claims


def test_exclusion_notes_state_each_excluding_level_per_architecture() -> None:
    curves = pd.DataFrame({
        "architecture": ["lenet5"] * 4 + ["alexnet8"] * 2, "testset": ["fgsm_benchmark"] * 6,
        "level": [1.0, 2.0, 2.0, 3.0, 1.0, 2.0], "excluded": [0.0, 12.0, 15.0, 40.0, 0.0, 0.0],
        "n_test": [100.0] * 6})
    notes = tables.exclusion_notes(curves)
    assert len(notes) == 1 and notes[0].startswith("FGSM benchmark (MNIST-A), lenet5:")
    assert "L2 = 2: 12-15 of 100; L2 = 3: 40 of 100" in notes[0] and "L2 = 1" not in notes[0]
    assert tables.exclusion_notes(curves[curves["architecture"] == "alexnet8"]) == []
