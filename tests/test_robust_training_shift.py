"""Clean, adversarial and corruption accuracy side by side: mCA, mCE and relative mCE against STD of the same CNN and
seed by hand, intervals across seeds, the per-cell table, family curves and the severity figure."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats as sps

from perturbstudy.errors import DataError
from perturbstudy.robust_training import shift as sh

STD, RTDA = "STD", "RTDA-AugMix"
ATTACKS = ["5-PGD"]
CLEAN = {(STD, 0): 0.9, (STD, 1): 0.8, (RTDA, 0): 0.85, (RTDA, 1): 0.85}
CELLS = {STD: {("noise", 1): 0.8, ("noise", 2): 0.6, ("blur", 1): 0.7, ("blur", 2): 0.5},
         RTDA: {("noise", 1): 0.8, ("noise", 2): 0.7, ("blur", 1): 0.8, ("blur", 2): 0.7}}


def _metrics(clean=CLEAN, arch="lenet5") -> pd.DataFrame:
    """medical_evaluate metrics: the clean accuracy as given; 5-PGD 0.1 for STD, 0.5 for RTDA."""
    rows = []
    for (method, seed), acc in clean.items():
        rows.append({"architecture": arch, "method": method, "seed": seed, "testset": "clean", "accuracy": acc})
        rows.append({"architecture": arch, "method": method, "seed": seed, "testset": "5-PGD",
                     "accuracy": 0.1 if method == STD else 0.5})
    return pd.DataFrame(rows)


def _corruption(cells=CELLS, seeds=(0, 1), arch="lenet5") -> pd.DataFrame:
    frames = [sh.corruption_frame({"architecture": arch, "method": method, "seed": seed}, "mnistc",
                                  [{"corruption": c, "severity": s, "n": 100, "accuracy": a}
                                   for (c, s), a in grid.items()])
              for method, grid in cells.items() for seed in seeds]
    return pd.concat(frames, ignore_index=True)


def test_scores_by_hand_against_std_of_the_same_seed():
    per_seed = sh.per_seed_scores(_metrics(), _corruption(), ATTACKS).set_index(["method", "seed"])
    rtda0, rtda1 = per_seed.loc[(RTDA, 0)], per_seed.loc[(RTDA, 1)]
    assert rtda0["mCA"] == pytest.approx(75.0)
    assert rtda0["mCE"] == pytest.approx(100 * ((0.5 / 0.6) + (0.5 / 0.8)) / 2)
    # relative CE: (E - E_clean) summed over severities, over the same for STD of the same seed
    assert rtda0["relative_mCE"] == pytest.approx(100 * ((0.2 / 0.4) + (0.2 / 0.6)) / 2)
    assert rtda1["relative_mCE"] == pytest.approx(100 * ((0.2 / 0.2) + (0.2 / 0.4)) / 2)  # STD's clean is 0.8 here
    assert per_seed.loc[(STD, 0), "mCE"] == pytest.approx(100) and per_seed.loc[(STD, 1), "relative_mCE"] == 100
    assert rtda0["GAcc"] == pytest.approx(85.0) and rtda0["5-PGD"] == pytest.approx(50.0)


def test_the_table_has_seed_means_and_intervals_in_config_order():
    per_seed = sh.per_seed_scores(_metrics(), _corruption(), ATTACKS)
    table = sh.shift_table(per_seed, ATTACKS, ["lenet5"], ["std", "rtda_augmix"])
    assert table["method"].tolist() == [STD, RTDA]
    assert list(table.columns[:8]) == ["architecture", "method", "GAcc", "5-PGD", "mCA", "mCE", "relative_mCE",
                                       "n_seeds"]
    row = table.set_index("method").loc[RTDA]
    values = [100 * ((0.2 / 0.4) + (0.2 / 0.6)) / 2, 100 * ((0.2 / 0.2) + (0.2 / 0.4)) / 2]
    mean, sd = sum(values) / 2, abs(values[0] - values[1]) / math.sqrt(2)
    half = sps.t.ppf(0.975, 1) * sd / math.sqrt(2)
    assert row["relative_mCE"] == pytest.approx(mean)
    assert (row["relative_mCE_ci_low"], row["relative_mCE_ci_high"]) == pytest.approx((mean - half, mean + half))
    assert row["n_seeds"] == 2


def test_without_an_std_run_mce_is_nan_but_mca_is_given():
    corruption = _corruption({RTDA: CELLS[RTDA]})
    per_seed = sh.per_seed_scores(_metrics(), corruption, ATTACKS)
    assert per_seed["method"].tolist() == [RTDA, RTDA]  # only the models with a corruption evaluation
    assert per_seed["mCE"].isna().all() and per_seed["relative_mCE"].isna().all()
    assert per_seed["mCA"].tolist() == pytest.approx([75.0, 75.0])


def test_missing_clean_accuracy_or_a_repeated_cell_is_refused(tmp_path):
    with pytest.raises(DataError, match="no clean accuracy"):
        sh.per_seed_scores(_metrics({(STD, 0): 0.9, (STD, 1): 0.8}), _corruption(), ATTACKS)
    path = tmp_path / "acc.csv"
    pd.concat([_corruption(seeds=(0,))] * 2).to_csv(path, index=False)
    with pytest.raises(DataError, match="appears twice"):
        sh.load_corruption_accuracy([path])
    pd.DataFrame({"architecture": ["lenet5"]}).to_csv(path, index=False)
    with pytest.raises(DataError, match="lacks columns"):
        sh.load_corruption_accuracy([path])


def test_cells_family_curves_and_figure(tmp_path):
    corruption = _corruption()
    cells = sh.cell_table(corruption, ["lenet5"], ["std", "rtda_augmix"])
    assert list(zip(cells.corruption, cells.severity, cells.method, strict=True))[:4] == [
        ("noise", 1, STD), ("noise", 1, RTDA), ("noise", 2, STD), ("noise", 2, RTDA)]
    assert cells.set_index(["method", "corruption", "severity"]).loc[(RTDA, "blur", 2), "accuracy"] == \
        pytest.approx(70.0)
    per_seed = sh.per_seed_scores(_metrics(), corruption, ATTACKS)
    table = sh.shift_table(per_seed, ATTACKS, ["lenet5"], ["std", "rtda_augmix"])
    families = {"noisy": ("noise", "fog"), "blurry": ("blur",), "weather": ("fog",)}  # fog is not built
    curves = sh.family_curves(cells, table, families)
    assert list(dict.fromkeys(curves.family)) == ["noisy", "blurry"]
    std = curves[(curves.method == STD) & (curves.family == "blurry")].set_index("severity")["accuracy"]
    assert std.to_dict() == pytest.approx({0: 85.0, 1: 70.0, 2: 50.0})  # severity 0 = GAcc (mean of 90 and 80)
    cells_csv, shift_csv, png = tmp_path / "cells.csv", tmp_path / "shift.csv", tmp_path / "fig.png"
    cells.to_csv(cells_csv, index=False)
    table.to_csv(shift_csv, index=False)
    plotted = sh.severity_figure(cells_csv, shift_csv, families, ["std", "rtda_augmix"], png, "mnistc")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and len(plotted) == len(curves)


def test_write_shift_tables_names_corruptions_std_is_not_hurt_by(tmp_path):
    cells = {STD: {**CELLS[STD], ("bright", 1): 0.9, ("bright", 2): 0.9},
             RTDA: {**CELLS[RTDA], ("bright", 1): 0.8, ("bright", 2): 0.8}}
    metrics, corruption = tmp_path / "metrics.csv", tmp_path / "acc.csv"
    _metrics({(STD, 0): 0.9, (RTDA, 0): 0.85}).to_csv(metrics, index=False)
    _corruption(cells, seeds=(0,)).to_csv(corruption, index=False)
    out = {"shift_csv": str(tmp_path / "shift.csv"), "shift_md": str(tmp_path / "shift.md"),
           "cells_csv": str(tmp_path / "cells.csv")}
    table = sh.write_shift_tables([metrics], [corruption], ATTACKS, ["lenet5"], ["std", "rtda_augmix"], "mnistc", out)
    text = (tmp_path / "shift.md").read_text()
    assert "MNIST-C" in text and "bright" in text.split("undefined")[1] and "[\u2014]" in text  # one seed
    row = table.set_index("method").loc[RTDA]
    # bright is left out of the relative mCE (STD loses nothing there), kept in mCA
    assert row["relative_mCE"] == pytest.approx(100 * ((0.2 / 0.4) + (0.2 / 0.6)) / 2)
    assert row["mCA"] == pytest.approx(100 * (0.8 + 0.7 + 0.8 + 0.7 + 0.8 + 0.8) / 6)
    assert len(pd.read_csv(out["cells_csv"])) == 2 * 6
