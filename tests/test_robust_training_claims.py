"""The RTDA claim: paired tests of each RTDA method against each baseline on clean, attack and pooled corruptions,
Holm over the table, the verdict per part and overall, and what the findings say when the claim cannot be tested."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from perturbstudy.robust_training import claims as cl
from perturbstudy.robust_training import comparisons as cmp

N = 60
LABELS = np.arange(N) % 3
ATTACK = "5-PGD"
CELLS = ("rotate/1", "rotate/5")
STD, AT, RTDA = "STD", "AT", "RTDA-AugMix"
# correct images (the first k of the test split) per method and test set: RTDA much better under attack and shift,
# as good as the baselines on clean images
GOOD = {STD: {"clean": 55, ATTACK: 5, "cell": 10}, AT: {"clean": 55, ATTACK: 20, "cell": 15},
        RTDA: {"clean": 55, ATTACK: 50, "cell": 45}}


def _frames(spec=GOOD, seeds=(0, 1), arch="lenet5") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(clean + attack predictions, corruption predictions): the first k images right, the others the next class."""
    main, corr = [], []
    for method, counts in spec.items():
        for seed in seeds:
            def pred(k):
                return np.where(np.arange(N) < k, LABELS, (LABELS + 1) % 3)
            labels = {"architecture": arch, "method": method, "seed": seed}
            main.append(cmp.predictions_frame(labels, LABELS, {"clean": pred(counts["clean"]),
                                                               ATTACK: pred(counts[ATTACK])}))
            corr.append(cmp.predictions_frame(labels, LABELS, {c: pred(counts["cell"]) for c in CELLS}))
    return pd.concat(main, ignore_index=True), pd.concat(corr, ignore_index=True)


def _table(spec=GOOD, seeds=(0, 1), methods=(STD, AT, RTDA)):
    main, corr = _frames(spec, seeds)
    preds = pd.concat([main, cl.pool_corruption_predictions(corr)], ignore_index=True)
    return cl.claim_comparisons(preds, ATTACK, ["lenet5"], list(methods))


def test_pooled_corruptions_pair_each_cell_image_once():
    _, corr = _frames()
    pooled = cl.pool_corruption_predictions(corr)
    assert set(pooled.testset) == {cl.SHIFT}
    one = pooled[(pooled.method == RTDA) & (pooled.seed == 0)]
    assert sorted(one["index"]) == list(range(len(CELLS) * N))


def test_rtda_better_everywhere_with_two_seeds_is_supported():
    table = _table()
    assert len(table) == 3 * 2  # 3 test sets x 2 baselines, one CNN
    shift = table[(table.part == "shift") & (table.baseline == STD)].iloc[0]
    assert shift["n_pairs"] == 2 * len(CELLS) * N and shift["b_method_only"] == 2 * len(CELLS) * 35
    assert shift["c_baseline_only"] == 0 and shift["outcome"] == cl.BETTER
    assert table["p_holm"].tolist() == pytest.approx(cmp.st.holm(table["p"].to_numpy(float)).tolist())
    verdicts = cl.claim_verdicts(table, [STD, AT, RTDA]).set_index("part")["verdict"]
    assert verdicts.to_dict() == {"attacks": cl.SUPPORTED, "shift": cl.SUPPORTED, "clean": cl.KEPT,
                                  "overall": cl.SUPPORTED}


def test_one_seed_supports_on_these_test_images_only_and_says_so():
    table = _table(seeds=(0,))
    verdicts = cl.claim_verdicts(table, [STD, AT, RTDA])
    assert verdicts.set_index("part").loc["overall", "verdict"] == cl.IMAGES_ONLY
    text = cl.claims_markdown(table, verdicts, [STD, AT, RTDA], ATTACK, "MNIST-C", [0], 0.95, 0.05)
    assert "One seed" in text and "cannot be tested" in text and f"**{cl.IMAGES_ONLY}**" in text


def test_a_clean_accuracy_loss_against_std_contradicts_the_claim():
    spec = {**GOOD, RTDA: {**GOOD[RTDA], "clean": 30}}
    verdicts = cl.claim_verdicts(_table(spec), [STD, AT, RTDA]).set_index("part")["verdict"]
    assert verdicts["clean"] == cl.NOT_KEPT and verdicts["overall"] == cl.CONTRADICTED
    assert verdicts["attacks"] == cl.SUPPORTED


def test_no_significant_gain_under_shift_is_not_established():
    spec = {**GOOD, RTDA: {**GOOD[RTDA], "cell": 15}}  # as AT under shift: no discordant pairs against it
    verdicts = cl.claim_verdicts(_table(spec), [STD, AT, RTDA]).set_index("part")["verdict"]
    assert verdicts["shift"] == cl.NOT_ESTABLISHED and verdicts["overall"] == cl.NOT_ESTABLISHED


def test_without_std_the_clean_part_is_not_testable():
    spec = {AT: GOOD[AT], RTDA: GOOD[RTDA]}
    verdicts = cl.claim_verdicts(_table(spec, methods=(AT, RTDA)), [AT, RTDA]).set_index("part")
    assert verdicts.loc["clean", "verdict"] == cl.NOT_TESTABLE and "no STD run" in verdicts.loc["clean", "detail"]
    assert verdicts.loc["overall", "verdict"] == cl.NOT_TESTABLE


def test_without_an_rtda_method_or_a_baseline_the_findings_say_it_cannot_be_tested():
    table = _table({STD: GOOD[STD], AT: GOOD[AT]}, methods=(STD, AT))
    assert not len(table)
    text = cl.claims_markdown(table, cl.claim_verdicts(table, [STD, AT]), [STD, AT], ATTACK, "MNIST-C", [0, 1],
                              0.95, 0.05)
    assert "cannot be tested here: `medical.methods` has no RTDA method" in text
    table = _table({RTDA: GOOD[RTDA]}, methods=(RTDA,))
    text = cl.claims_markdown(table, cl.claim_verdicts(table, [RTDA]), [RTDA], ATTACK, "MNIST-C", [0, 1], 0.95, 0.05)
    assert "no baseline method" in text


def test_group_rows_decide_with_two_cnns():
    main, corr = zip(*(_frames(arch=a) for a in ("resnet34", "mobilenetv2")), strict=True)
    preds = pd.concat([*main, cl.pool_corruption_predictions(pd.concat(corr, ignore_index=True))], ignore_index=True)
    table = cl.claim_comparisons(preds, ATTACK, ["resnet34", "mobilenetv2"], [STD, AT, RTDA])
    # each group holds one of the two CNNs: the same test as that CNN's, not repeated
    assert list(dict.fromkeys(table.architecture)) == ["resnet34", "mobilenetv2", cl.ALL]
    verdicts = cl.claim_verdicts(table, [STD, AT, RTDA])
    assert set(verdicts.unit) == {cl.ALL}


def test_write_claims_from_files(tmp_path):
    main, corr = _frames()
    main_csv, corr_csv = tmp_path / "preds.csv", tmp_path / "corr.csv"
    main.to_csv(main_csv, index=False)
    corr.to_csv(corr_csv, index=False)
    out_csv, out_md = tmp_path / "claims.csv", tmp_path / "claims.md"
    verdicts = cl.write_claims([main_csv], [corr_csv], ATTACK, ["lenet5"], ["std", "at", "rtda_augmix"], "mnistc",
                               out_csv, out_md)
    assert verdicts.set_index("part").loc["overall", "verdict"] == cl.SUPPORTED
    table = pd.read_csv(out_csv)
    assert list(table.columns) == cl.COLUMNS and set(table.part) == {"clean", "attacks", "shift"}
    text = out_md.read_text()
    assert "**RTDA-AugMix** (lenet5): the claim as a whole is **supported**" in text
    assert "MNIST-C, 120 corrupted images per model" in text
