"""Tables I and II of the medical runs: seed means with the t-interval across seeds (none with one seed), the
CNN-group rows over the members present, and their Markdown."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from perturbstudy.robust_training.tables import ALL, GROUPS, NA, interval_markdown, table1, table2, write_tables

WIDE, LIGHT = list(GROUPS)
ATTACKS = ["FGSM", "20-PGD"]


def _metrics(acc: dict[tuple[str, str, int], float]) -> pd.DataFrame:
    """metrics.csv rows: clean accuracy as given, FGSM 0.1 lower, 20-PGD 0.2 lower; the other metrics from it."""
    rows = []
    for (arch, method, seed), a in acc.items():
        for testset, drop in (("clean", 0.0), ("FGSM", 0.1), ("20-PGD", 0.2)):
            v = a - drop
            rows.append({"architecture": arch, "method": method, "seed": seed, "testset": testset, "accuracy": v,
                         "map": v / 2, "precision": v, "recall": v, "f1": v, "n": 100})
    return pd.DataFrame(rows)


def test_table1_gives_the_seed_mean_and_t_interval_by_hand():
    metrics = _metrics({("resnet34", "AT", 0): 0.60, ("resnet34", "AT", 1): 0.70, ("resnet34", "AT", 2): 0.65})
    t1 = table1(metrics, ATTACKS, ["resnet34"], ["at"])
    assert list(t1.columns[:6]) == ["architecture", "method", "FGSM", "20-PGD", "GAcc", "n_seeds"]
    row = t1[t1.architecture == "resnet34"].iloc[0]
    values = np.array([60.0, 70.0, 65.0])
    half = sps.t.ppf(0.975, 2) * values.std(ddof=1) / math.sqrt(3)
    assert row.GAcc == pytest.approx(65.0) and row.n_seeds == 3
    assert (row.GAcc_ci_low, row.GAcc_ci_high) == pytest.approx((65.0 - half, 65.0 + half))
    assert row["20-PGD"] == pytest.approx(45.0)
    assert (row["20-PGD_ci_low"], row["20-PGD_ci_high"]) == pytest.approx((45.0 - half, 45.0 + half))
    narrow = table1(metrics, ATTACKS, ["resnet34"], ["at"], confidence=0.5).iloc[0]
    assert narrow.GAcc_ci_high - narrow.GAcc_ci_low < row.GAcc_ci_high - row.GAcc_ci_low


def test_one_seed_has_no_interval_and_the_markdown_says_so():
    metrics = _metrics({("lenet5", "STD", 0): 0.8, ("lenet5", "DPAAT", 0): 0.7})
    t1 = table1(metrics, ATTACKS, ["lenet5"], ["std", "dpaat"])
    assert t1.method.tolist() == ["STD", "DPAAT"] and (t1.n_seeds == 1).all()
    cis = [c for c in t1.columns if c.endswith(("_ci_low", "_ci_high"))]
    assert len(cis) == 6 and t1[cis].isna().all().all()  # never a zero-width interval
    shown = interval_markdown(t1, [*ATTACKS, "GAcc"], 2)
    assert shown.GAcc.tolist() == [f"80.00 [{NA}]", f"70.00 [{NA}]"]
    assert set(t1.architecture) == {"lenet5"}  # one CNN, in no group: no group or all-CNN rows


def test_group_rows_average_the_members_present_per_seed():
    acc = {}
    for arch, base in (("resnet34", 0.60), ("densenet121", 0.70), ("mobilenetv2", 0.50), ("lenet5", 0.90)):
        for seed, shift in ((0, 0.0), (1, 0.04)):
            acc[(arch, "AT", seed)] = base + shift
    acc[("densenet121", "AT", 2)] = 0.99  # a seed the other member lacks: not in the group row
    t1 = table1(_metrics(acc), ATTACKS, ["resnet34", "densenet121", "mobilenetv2", "lenet5"], ["at"])
    assert t1.architecture.tolist() == ["resnet34", "densenet121", "mobilenetv2", "lenet5", WIDE, LIGHT, ALL]
    rows = t1.set_index("architecture")
    # widely used: resnet34 and densenet121 (inceptionv3 absent); per seed 65 and 69
    assert rows.loc[WIDE, "GAcc"] == pytest.approx(67.0) and rows.loc[WIDE, "n_seeds"] == 2
    half = sps.t.ppf(0.975, 1) * np.std([65.0, 69.0], ddof=1) / math.sqrt(2)
    assert rows.loc[WIDE, "GAcc_ci_low"] == pytest.approx(67.0 - half)
    assert rows.loc[LIGHT, "GAcc"] == pytest.approx(52.0)  # mobilenetv2 alone
    assert rows.loc[ALL, "GAcc"] == pytest.approx((60 + 70 + 50 + 90) / 4 + 2.0)
    assert rows.loc["densenet121", "n_seeds"] == 3  # its own row keeps every seed
    only_light = table1(_metrics({("squeezenet", "AT", 0): 0.5, ("lenet5", "AT", 0): 0.6}), ATTACKS,
                        ["squeezenet", "lenet5"], ["at"])
    assert WIDE not in set(only_light.architecture)  # a group with no member present: no row


def test_table2_has_intervals_and_group_rows(tmp_path):
    acc = {(arch, m, s): 0.6 + 0.05 * s + (0.02 if m == "DPAAT" else 0.0)
           for arch in ("mobilenetv2", "shufflenetv2") for m in ("AT", "DPAAT") for s in (0, 1)}
    metrics = _metrics(acc)
    t2 = table2(metrics, "20-PGD", ["mobilenetv2", "shufflenetv2"], ["at", "dpaat"])
    rows = t2.set_index(["architecture", "method"])
    assert rows.loc[(LIGHT, "DPAAT"), "mAP"] == pytest.approx((0.62 + 0.67) / 4)
    assert rows.loc[(LIGHT, "DPAAT"), "mARP"] == pytest.approx((0.42 + 0.47) / 4)
    assert rows.loc[("mobilenetv2", "AT"), "robust_f1_ci_high"] > rows.loc[("mobilenetv2", "AT"), "robust_f1"]
    paths = []
    for i, (_key, frame) in enumerate(metrics.groupby(["architecture", "method", "seed"])):
        paths.append(tmp_path / f"m{i}.csv")
        frame.to_csv(paths[-1], index=False)
    out = {k: str(tmp_path / f"{k}.{k.rsplit('_', 1)[1]}") for k in ("table1_csv", "table1_md", "table2_csv",
                                                                    "table2_md")}
    write_tables([str(p) for p in paths], ATTACKS, "20-PGD", ["mobilenetv2", "shufflenetv2"], ["at", "dpaat"], out)
    written = pd.read_csv(out["table1_csv"])
    assert {"GAcc", "GAcc_ci_low", "GAcc_ci_high", "n_seeds"} <= set(written.columns)
    text = open(out["table1_md"]).read()
    assert "95% t-interval across seeds" in text and LIGHT in text and "comparisons.md" in text
