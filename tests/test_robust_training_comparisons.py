"""Paired comparisons of DPAAT with each baseline: the exact McNemar p by hand, Holm over the table, pairing by test
image, pooling across seeds and CNN groups, the verdicts, and the written table and findings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from perturbstudy.errors import DataError
from perturbstudy.robust_training import comparisons as cmp
from perturbstudy.robust_training.tables import ALL, GROUPS

WIDE, LIGHT = list(GROUPS)


def _runs(spec: dict[tuple[str, str, int], np.ndarray], labels: np.ndarray, testset: str = "clean") -> pd.DataFrame:
    """A predictions frame from {(arch, method, seed): correct mask}: a correct image predicts its label, a wrong
    one the next class (3 classes)."""
    frames = []
    for (arch, method, seed), correct in spec.items():
        pred = np.where(correct, labels, (labels + 1) % 3)
        frames.append(cmp.predictions_frame({"architecture": arch, "method": method, "seed": seed}, labels,
                                            {testset: pred}))
    return pd.concat(frames, ignore_index=True)


def _mask(n: int, true_at: list[int] | range) -> np.ndarray:
    m = np.zeros(n, bool)
    m[list(true_at)] = True
    return m


def test_exact_mcnemar_p_is_the_binomial_tail_by_hand():
    # b = 10, c = 2: two-sided exact p = 2 P(X <= 2), X ~ Bin(12, 1/2) = 2 (1 + 12 + 66) / 4096
    p, p_min = cmp.mcnemar_exact(10, 2)
    assert p == pytest.approx(2 * (1 + 12 + 66) / 4096, rel=1e-12)
    assert p == pytest.approx(0.03857421875, rel=1e-12)
    assert p_min == pytest.approx(2 / 4096)
    assert cmp.mcnemar_exact(2, 10)[0] == pytest.approx(p)  # two-sided: symmetric in b and c
    assert cmp.mcnemar_exact(5, 5)[0] == 1.0
    assert cmp.mcnemar_exact(0, 0) == (1.0, 1.0)  # no discordant pairs: no evidence either way, never p = 0
    assert cmp.mcnemar_exact(3, 0) == (0.25, 0.25)  # the extreme split of 3 pairs: 2 / 2^3
    assert cmp.mcnemar_exact(400, 0)[0] > 0.0
    with pytest.raises(ValueError):
        cmp.mcnemar_exact(-1, 2)


def test_p_is_floored_never_zero():
    from perturbstudy.perturbation.analysis.stats import P_FLOOR

    p, p_min = cmp.mcnemar_exact(1500, 0)  # 2 / 2^1500 underflows in double precision
    assert p == P_FLOOR and p_min == P_FLOOR and p > 0


def test_a_significant_pooled_test_whose_seeds_disagree_says_so():
    n = 100
    labels = np.arange(n) % 3
    preds = _runs({("lenet5", "DPAAT", 0): _mask(n, range(0, 60)), ("lenet5", "AT", 0): _mask(n, range(0, 20)),
                   ("lenet5", "DPAAT", 1): _mask(n, range(0, 20)), ("lenet5", "AT", 1): _mask(n, range(0, 30))},
                  labels)  # seed 0: +40 pp, seed 1: -10 pp
    row = cmp.comparisons(preds, ["clean"], ["lenet5"], ["AT", "DPAAT"]).iloc[0]
    assert (row.b_method_only, row.c_baseline_only) == (40, 10) and row.verdict == cmp.BETTER
    assert row.diff_ci_low < 0 < row.diff_ci_high and cmp.SEEDS_COVER_ZERO in row.note
    assert cmp.SEEDS_COVER_ZERO in cmp.sentence(row, 0.95)


def test_predictions_frame_has_one_row_per_image_and_test_set():
    y = np.array([0, 2, 1, 1])
    frame = cmp.predictions_frame({"architecture": "resnet34", "method": "AT", "seed": 3}, y,
                                  {"clean": np.array([0, 2, 0, 1]), "FGSM": np.array([1, 1, 1, 1])})
    assert list(frame.columns) == cmp.PREDICTION_COLUMNS
    assert len(frame) == 8 and set(frame.testset) == {"clean", "FGSM"}
    clean = frame[frame.testset == "clean"]
    assert clean["index"].tolist() == [0, 1, 2, 3] and clean["label"].tolist() == [0, 2, 1, 1]
    assert (clean["pred"] == clean["label"]).sum() == 3
    assert (frame[["architecture", "method", "seed"]] == ["resnet34", "AT", 3]).all().all()
    with pytest.raises(ValueError, match="predictions for"):
        cmp.predictions_frame({"architecture": "a"}, y, {"clean": np.array([0, 1])})


def test_counts_pair_images_by_index_and_pool_seeds():
    n = 20
    labels = np.arange(n) % 3
    preds = _runs({("resnet34", "DPAAT", 0): _mask(n, range(0, 12)),   # seed 0: DPAAT right on 0-11
                   ("resnet34", "AT", 0): _mask(n, range(8, 16)),      # AT right on 8-15: b = 8, c = 4
                   ("resnet34", "DPAAT", 1): _mask(n, range(0, 5)),
                   ("resnet34", "AT", 1): _mask(n, range(0, 3))}, labels)  # seed 1: b = 2, c = 0
    counts = cmp.paired_counts(preds, ["resnet34"], "clean", "DPAAT", "AT")
    assert counts[["seed", "n", "b", "c", "correct_method", "correct_baseline"]].values.tolist() == \
        [[0, 20, 8, 4, 12, 8], [1, 20, 2, 0, 5, 3]]
    row = cmp.comparisons(preds, ["clean"], ["resnet34"], ["DPAAT", "AT"]).iloc[0]
    assert (row.b_method_only, row.c_baseline_only, row.n_pairs, row.n_seeds) == (10, 4, 40, 2)
    assert row.p == pytest.approx(sps.binomtest(10, 14, 0.5).pvalue)
    assert row.acc_method == pytest.approx(100 * 17 / 40) and row.acc_baseline == pytest.approx(100 * 11 / 40)
    assert row["diff"] == pytest.approx(100 * 6 / 40)
    # the interval across seeds of the per-seed differences 20 and 10 pp: 15 -+ t(0.975, 1) * sd / sqrt(2)
    half = sps.t.ppf(0.975, 1) * np.std([20.0, 10.0], ddof=1) / math.sqrt(2)
    assert (row.diff_ci_low, row.diff_ci_high) == pytest.approx((15 - half, 15 + half))


def test_a_shuffled_predictions_file_gives_the_same_comparisons():
    rng = np.random.default_rng(1)
    n = 60
    labels = rng.integers(0, 3, n)
    spec = {(a, m, s): rng.random(n) < 0.6 for a in ("resnet34", "mobilenetv2") for m in ("DPAAT", "AT", "STD")
            for s in (0, 1)}
    preds = pd.concat([_runs(spec, labels, "clean"), _runs(spec, labels, "FGSM")], ignore_index=True)
    ordered = cmp.comparisons(preds, ["clean", "FGSM"], ["resnet34", "mobilenetv2"], ["STD", "AT", "DPAAT"])
    shuffled = cmp.comparisons(preds.sample(frac=1.0, random_state=3), ["clean", "FGSM"],
                               ["resnet34", "mobilenetv2"], ["STD", "AT", "DPAAT"])
    pd.testing.assert_frame_equal(ordered, shuffled)
    # pairing by row position instead of by image would change b and c: check the pairs are per image
    dp = preds[(preds.method == "DPAAT") & (preds.architecture == "resnet34") & (preds.seed == 0)
               & (preds.testset == "clean")].set_index("index")
    at = preds[(preds.method == "AT") & (preds.architecture == "resnet34") & (preds.seed == 0)
               & (preds.testset == "clean")].set_index("index")
    b0 = int(((dp.pred == dp.label) & (at.pred != at.label)).sum())
    counts = cmp.paired_counts(preds.sample(frac=1.0, random_state=4), ["resnet34"], "clean", "DPAAT", "AT")
    assert int(counts.loc[counts.seed == 0, "b"].iloc[0]) == b0


def test_runs_on_different_test_images_are_refused():
    n = 10
    labels = np.arange(n) % 3
    preds = _runs({("resnet34", "DPAAT", 0): _mask(n, range(5)), ("resnet34", "AT", 0): _mask(n, range(3))}, labels)
    wrong_label = preds.copy()
    wrong_label.loc[(wrong_label.method == "AT") & (wrong_label["index"] == 4), "label"] = 2 if labels[4] != 2 else 0
    with pytest.raises(DataError, match="not the same test images"):
        cmp.paired_counts(wrong_label, ["resnet34"], "clean", "DPAAT", "AT")
    missing = preds.drop(preds[(preds.method == "AT") & (preds["index"] == 7)].index)
    with pytest.raises(DataError, match="only one of"):
        cmp.paired_counts(missing, ["resnet34"], "clean", "DPAAT", "AT")


def test_holm_runs_over_every_comparison_of_the_table_in_p_order():
    n = 40
    labels = np.arange(n) % 3
    dpaat = _mask(n, range(0, 30))
    preds = _runs({("lenet5", "DPAAT", 0): dpaat,
                   ("lenet5", "STD", 0): _mask(n, range(20, 30)),        # b = 20, c = 0
                   ("lenet5", "AT", 0): _mask(n, [*range(0, 22), 30]),   # b = 8, c = 1
                   ("lenet5", "SAT", 0): _mask(n, [*range(0, 24), *range(30, 34)])}, labels)  # b = 6, c = 4
    table = cmp.comparisons(preds, ["clean"], ["lenet5"], ["STD", "AT", "SAT", "DPAAT"], alpha=0.05)
    assert table.baseline.tolist() == ["STD", "AT", "SAT"]
    assert list(zip(table.b_method_only, table.c_baseline_only, strict=True)) == [(20, 0), (8, 1), (6, 4)]
    p = np.array([cmp.mcnemar_exact(b, c)[0] for b, c in [(20, 0), (8, 1), (6, 4)]])
    assert p[0] < p[1] < p[2]
    holm = [3 * p[0], max(3 * p[0], 2 * p[1]), min(1.0, max(3 * p[0], 2 * p[1], p[2]))]
    assert table.p_holm.tolist() == pytest.approx(holm)
    assert table.verdict.tolist() == [cmp.BETTER, cmp.NO_DIFFERENCE, cmp.NO_DIFFERENCE]
    assert 2 * p[1] > 0.05 > p[1]  # AT: significant alone, not after Holm over the table's family


def test_verdicts():
    assert cmp.verdict(10, 2, 0.01, 0.001, 0.05) == cmp.BETTER
    assert cmp.verdict(2, 10, 0.01, 0.001, 0.05) == cmp.WORSE
    assert cmp.verdict(10, 8, 0.6, 0.001, 0.05) == cmp.NO_DIFFERENCE
    assert cmp.verdict(3, 0, 0.25, 0.25, 0.05) == cmp.NOT_TESTABLE  # 3 discordant pairs can never reach 0.05
    assert cmp.verdict(10, 2, 0.05, 0.001, 0.05) == cmp.NO_DIFFERENCE  # alpha itself is not below alpha


def test_worse_and_not_testable_verdicts_end_to_end():
    n = 60
    labels = np.arange(n) % 3
    preds = _runs({("lenet5", "DPAAT", 0): _mask(n, range(0, 10)),
                   ("lenet5", "AT", 0): _mask(n, range(0, 40)),     # b = 0, c = 30: DPAAT worse
                   ("lenet5", "SAT", 0): _mask(n, range(0, 7)),     # b = 3, c = 0: at most p = 0.25
                   ("lenet5", "AMAT", 0): _mask(n, range(0, 10))}, labels)  # identical: no discordant pair
    table = cmp.comparisons(preds, ["clean"], ["lenet5"], ["AT", "SAT", "AMAT", "DPAAT"]).set_index("baseline")
    assert table.loc["AT", "verdict"] == cmp.WORSE and table.loc["AT", "diff"] == pytest.approx(-50.0)
    assert table.loc["SAT", "verdict"] == cmp.NOT_TESTABLE
    assert table.loc["AMAT", "p"] == 1.0 and "no discordant pairs" in table.loc["AMAT", "note"]
    assert (table.p > 0).all()
    assert table.diff_ci_low.isna().all() and table.note.str.contains("one seed").all()


def test_group_rows_pool_their_cnns_and_are_not_repeated():
    n = 30
    labels = np.arange(n) % 3
    spec = {}
    for k, arch in enumerate(("resnet34", "densenet121", "mobilenetv2")):
        for seed in (0, 1):
            spec[(arch, "DPAAT", seed)] = _mask(n, range(0, 20 + k))
            spec[(arch, "AT", seed)] = _mask(n, range(5, 20))
    spec[("resnet34", "AT", 2)] = _mask(n, range(5))  # a seed without DPAAT: no pairs
    preds = _runs(spec, labels)
    table = cmp.comparisons(preds, ["clean"], ["resnet34", "densenet121", "mobilenetv2"], ["AT", "DPAAT"])
    # the lightweight group holds only mobilenetv2: its row would repeat that CNN's test
    assert table.architecture.tolist() == ["resnet34", "densenet121", "mobilenetv2", WIDE, ALL]
    wide = table.set_index("architecture").loc[WIDE]
    assert (wide.n_pairs, wide.n_seeds) == (2 * 2 * n, 2)
    assert (wide.b_method_only, wide.c_baseline_only) == (2 * (5 + 6), 0)
    whole = table.set_index("architecture").loc[ALL]
    assert whole.n_pairs == 3 * 2 * n and whole.b_method_only == 2 * (5 + 6 + 7)


def test_no_dpaat_no_comparisons(tmp_path):
    labels = np.arange(6) % 3
    preds = _runs({("lenet5", "STD", 0): _mask(6, [0]), ("lenet5", "AT", 0): _mask(6, [1])}, labels)
    table = cmp.comparisons(preds, ["clean"], ["lenet5"], ["STD", "AT"])
    assert list(table.columns) == cmp.COLUMNS and len(table) == 0
    text = cmp.comparisons_markdown(table, [0], 0.95, 0.05)
    assert "No comparisons" in text


def test_write_comparisons_gives_the_table_and_sentences(tmp_path):
    n = 50
    labels = np.arange(n) % 3
    spec = {("lenet5", "dpaat", 0): _mask(n, range(0, 45)), ("lenet5", "std", 0): _mask(n, range(0, 10))}
    paths = []
    for (arch, method, seed), correct in spec.items():
        from perturbstudy.robust_training.methods import METHOD_LABELS

        frame = _runs({(arch, METHOD_LABELS[method], seed): correct}, labels)
        frame = pd.concat([frame, frame.assign(testset="FGSM")], ignore_index=True)
        path = tmp_path / f"{method}.csv"
        frame.to_csv(path, index=False)
        paths.append(path)
    table = cmp.write_comparisons(paths, ["FGSM"], ["lenet5"], ["std", "dpaat"], tmp_path / "c.csv",
                                  tmp_path / "c.md", confidence=0.9, alpha=0.01)
    written = pd.read_csv(tmp_path / "c.csv")
    assert list(written.columns) == cmp.COLUMNS and len(written) == 2 == len(table)
    assert written.testset.tolist() == ["clean", "FGSM"]
    assert (written.verdict == cmp.BETTER).all() and (written.b_method_only == 35).all()
    text = (tmp_path / "c.md").read_text()
    assert "Holm correction over the family of all 2 comparisons" in text and "alpha = 0.01" in text
    assert "DPAAT vs STD: significantly better in 2" in text
    assert "lenet5, clean test set (GAcc): DPAAT 90.00% vs STD 20.00% (+70.00 pp, one seed" in text
    assert "p = 0" not in text.replace("p = 0.", "")  # a p is never written as 0
