"""Pervin et al.'s tables from per-model scores: seed means and intervals, the paired test against none."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from perturbstudy.segmentation.tables import against_none, iou_by_epoch, write_tables

VARIANTS = ["none", "fgsm", "inverse_fgsm"]


def _frames(seeds=(0, 1, 2), better=0.05, n_images=40):
    rng = np.random.default_rng(0)
    epochs, images, robust = [], [], []
    bases = {s: rng.uniform(0.3, 0.7, n_images) for s in seeds}  # the same test images for every variant
    for v in VARIANTS:
        gain = better if v == "inverse_fgsm" else 0.0
        for s in seeds:
            for e in (5, 10):
                epochs.append({"variant": v, "seed": s, "epoch": e, "mean_iou": 0.6 + 0.01 * e + gain + 0.001 * s,
                               "dice": 0.7 + gain, "object_iou": 0.5 + gain})
            for k, eps in enumerate((0.0, 0.1)):
                robust.append({"variant": v, "seed": s, "perturbation": "random", "eps": eps,
                               "mean_iou": 0.7 - 0.1 * k + gain, "dice": 0.7, "object_iou": 0.5})
            base = bases[s]
            for i in range(n_images):
                images.append({"variant": v, "seed": s, "index": i,
                               "object_iou": base[i] + gain + (0.01 * rng.standard_normal() if v != "none" else 0)})
    return pd.DataFrame(epochs), pd.DataFrame(robust), pd.DataFrame(images)


def test_epoch_table_means_and_intervals_across_seeds():
    epochs, _, _ = _frames()
    numbers, shown = iou_by_epoch(epochs, VARIANTS, 0.95)
    row = numbers.set_index("variant").loc["inverse_fgsm"]
    values = np.array([0.6 + 0.1 + 0.05 + 0.001 * s for s in (0, 1, 2)])
    assert row["10"] == pytest.approx(values.mean())
    half = stats.t.ppf(0.975, 2) * values.std(ddof=1) / np.sqrt(3)
    assert row["10_ci_high"] - row["10"] == pytest.approx(half)
    assert list(shown["variant"]) == ["U-Net", "U-Net + FGSM", "U-Net + InvFGSM"]
    one, shown_one = iou_by_epoch(epochs[epochs["seed"] == 0], VARIANTS, 0.95)
    assert one["10_ci_low"].isna().all() and "\u2014" in shown_one.iloc[0]["epoch 10"]


def test_against_none_pairs_images_and_corrects_with_holm():
    epochs, _, images = _frames()
    table = against_none(epochs, images, VARIANTS, 0.95, 0.05).set_index("variant")
    assert table.loc["inverse_fgsm", "verdict"] == "better than no augmentation"
    assert table.loc["fgsm", "verdict"] == "no significant difference"
    assert table.loc["inverse_fgsm", "n_pairs"] == 120
    assert table.loc["inverse_fgsm", "diff_mean_iou"] == pytest.approx(0.05)
    assert table.loc["inverse_fgsm", "p_holm"] >= table.loc["inverse_fgsm", "p"] > 0
    # pairing is by (seed, image): shuffling the rows changes nothing
    shuffled = against_none(epochs, images.sample(frac=1, random_state=1), VARIANTS, 0.95, 0.05)
    assert np.allclose(shuffled.set_index("variant")["p"].dropna(), table["p"].dropna())


def test_write_tables(tmp_path):
    epochs, robust, images = _frames(seeds=(0,))
    paths = {}
    for name, frame in (("e", epochs), ("r", robust), ("i", images)):
        paths[name] = tmp_path / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    out = {k: tmp_path / f"{k}.out" for k in ("epochs_csv", "epochs_md", "eps_csv", "eps_md", "augmentations_csv",
                                              "augmentations_md")}
    write_tables([paths["e"]], [paths["r"]], [paths["i"]], VARIANTS, out)
    assert "U-Net + InvFGSM" in out["augmentations_md"].read_text()
    assert set(pd.read_csv(out["eps_csv"])["perturbation"]) == {"random"}
