"""Tables from evaluation CSVs equal an independent recomputation; the loader is strict and tolerant."""

from __future__ import annotations

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
            r, p = sps.spearmanr(rows["imbalance"], rows[testset])
            got = table[(table["architecture"] == arch) & (table["testset"] == testset)].iloc[0]
            assert got["r"] == pytest.approx(r) and got["p"] == pytest.approx(p)
            assert got["mean"] == pytest.approx(rows[testset].mean())
            assert got["variance_ddof1"] == pytest.approx(rows[testset].var(ddof=1))
            assert got["ci_low"] <= got["r"] + 1e-12 and got["r"] - 1e-12 <= got["ci_high"]
    # Holm over the whole table, monotone in the raw p
    order = np.argsort(table["p"].to_numpy())
    assert np.all(np.diff(table["p_holm"].to_numpy()[order]) >= -1e-15)
    assert (table["p_holm"] >= table["p"] - 1e-15).all()
    assert tables.spearman_table(summary, "rq3_imbalance", SETTINGS).equals(table)  # seeded bootstrap


def test_segments_split_at_the_fgsm_benchmark_peak(summary: pd.DataFrame) -> None:
    seg = tables.segments_table(summary, "rq2_fgsm", SETTINGS)
    peaks = seg.groupby("architecture")["peak_level"].first().to_dict()
    assert peaks == {"lenet5": 8.0, "alexnet8": 7.0}  # the synthetic truth (the paper's peaks)
    fg = seg[seg["testset"] == "fgsm_benchmark"].set_index(["architecture", "segment"])
    assert fg.loc[("lenet5", "I"), "n"] == 9 and fg.loc[("lenet5", "II"), "n"] == 4
    assert fg.loc[("lenet5", "I"), "r"] == pytest.approx(1.0) and fg.loc[("lenet5", "II"), "r"] == pytest.approx(-1.0)


def test_short_segment_reports_nan_with_a_note(summary: pd.DataFrame) -> None:
    cut = summary[~((summary["series"] == "rq2_fgsm") & (summary["fgsm"] > 9.0))]
    seg = tables.segments_table(cut, "rq2_fgsm", SETTINGS)
    row = seg[(seg["architecture"] == "lenet5") & (seg["segment"] == "II")].iloc[0]
    assert row["n"] == 1 and np.isnan(row["r"]) and "too few" in row["note"]


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
    effects = tables.main_effects_table(summary, "rq6_four")
    assert set(effects["n"]) == {5}  # every level of every factor appears 5 times in L25


def test_write_table_gives_csv_markdown_latex(tmp_path: Path, summary: pd.DataFrame) -> None:
    table = tables.spearman_table(summary, "rq1_gaussian", SETTINGS)
    paths = tables.write_table(table, tmp_path / "t", "Title", ["a note"])
    assert [p.suffix for p in paths] == [".csv", ".md", ".tex"]
    pd.testing.assert_frame_equal(pd.read_csv(paths[0]).drop(columns="note"), table.drop(columns="note"),
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
    assert found[1].verdict == "supported"
    strict = findings.evaluate_findings(summary, SETTINGS, findings.Thresholds(robust_accuracy=0.9))
    assert strict[1].verdict == "not supported"  # no FGSM-trained model reaches 0.9
    assert any(c.status == findings.FAILS and "FGSM-benchmark accuracy >= 0.9" in c.text for c in strict[1].claims)
    text = findings.findings_markdown(found, SETTINGS, findings.Thresholds(0.75), "synth")
    assert "p = 3.347 is not a probability" in text and "## Finding #6" in text
    missing = findings.evaluate_findings(summary[summary["series"] != "rq5_dual"], SETTINGS, findings.Thresholds())
    assert missing[4].verdict.startswith("inconclusive") and not missing[4].claims
