"""Pervin et al.'s tables from the per-model scores: mean IoU by epoch (Table 1), by perturbation eps
(Table 2), and each augmentation against none (Table 3) with seeds as replicates and a paired test.

Cells are means over seeds with the t-interval across seeds (NaN with one seed). Table 3's test: Wilcoxon's
signed-rank test (scipy, two-sided) of each variant's per-image object IoU against no augmentation's on the
same test images, image-seed pairs pooled, Holm-corrected over the variants (statsmodels); its p covers these
test images and trained models, the interval across seeds the training runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from ..artifacts import atomic_write, write_csv
from ..perturbation.analysis.stats import replicate_interval
from ..robust_training.tables import markdown

LABELS = {"none": "U-Net", "fgsm": "U-Net + FGSM", "inverse_fgsm": "U-Net + InvFGSM", "flip": "U-Net + Flipping",
          "rotate": "U-Net + Rotating", "crop": "U-Net + Cropping", "jitter": "U-Net + Color jitter"}
NA = "\u2014"


def _cell(values: np.ndarray, confidence: float) -> tuple[float, float, float]:
    _, mean, _, lo, hi = replicate_interval(values, confidence)
    return mean, lo, hi


def _show(mean: float, lo: float, hi: float) -> str:
    return f"{mean:.4f} [{NA}]" if np.isnan(lo) else f"{mean:.4f} [{lo:.4f}, {hi:.4f}]"


def _wide(frame: pd.DataFrame, index: list[str], column: str, value: str, variants: list[str],
          confidence: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(numbers, display) tables: one row per index, one column per `column` value, mean over seeds [interval]."""
    rows, shown = [], []
    for key, group in frame.groupby(index, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        row, show = dict(zip(index, key, strict=True)), dict(zip(index, key, strict=True))
        row["n_seeds"] = show["n_seeds"] = int(group["seed"].nunique())
        for c, g in group.groupby(column, sort=True):
            mean, lo, hi = _cell(g[value].to_numpy(float), confidence)
            row[f"{c}"], row[f"{c}_ci_low"], row[f"{c}_ci_high"] = mean, lo, hi
            show[f"{column} {c}"] = _show(mean, lo, hi)
        rows.append(row)
        shown.append(show)
    order = {v: i for i, v in enumerate(variants)}
    numbers = pd.DataFrame(rows).sort_values("variant", key=lambda s: s.map(order), kind="stable")
    display = pd.DataFrame(shown).loc[numbers.index]
    display["variant"] = display["variant"].map(LABELS)
    return numbers.reset_index(drop=True), display.reset_index(drop=True)


def iou_by_epoch(epochs: pd.DataFrame, variants: list[str], confidence: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 1: mean IoU of each variant at each checkpoint epoch."""
    return _wide(epochs, ["variant"], "epoch", "mean_iou", variants, confidence)


def iou_by_eps(robustness: pd.DataFrame, variants: list[str],
               confidence: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 2: mean IoU of each variant's final model under each perturbation at each eps."""
    return _wide(robustness, ["variant", "perturbation"], "eps", "mean_iou", variants, confidence)


def against_none(epochs: pd.DataFrame, images: pd.DataFrame, variants: list[str], confidence: float,
                 alpha: float) -> pd.DataFrame:
    """Table 3: final mean IoU and Dice of each variant, its difference to no augmentation (interval across
    seeds) and the Holm-corrected Wilcoxon test of per-image object IoU against no augmentation's."""
    last = epochs[epochs["epoch"] == epochs["epoch"].max()]
    base = last[last["variant"] == "none"].set_index("seed")
    rows = []
    for variant in variants:
        mine = last[last["variant"] == variant].set_index("seed")
        row = {"variant": variant, "n_seeds": len(mine)}
        for value in ("mean_iou", "dice"):
            row[value], row[f"{value}_ci_low"], row[f"{value}_ci_high"] = _cell(mine[value].to_numpy(float),
                                                                                confidence)
        if variant != "none":
            seeds = mine.index.intersection(base.index)
            diff = (mine.loc[seeds, "mean_iou"] - base.loc[seeds, "mean_iou"]).to_numpy(float)
            row["diff_mean_iou"], row["diff_ci_low"], row["diff_ci_high"] = _cell(diff, confidence)
            a = images[images["variant"] == variant].set_index(["seed", "index"])["object_iou"]
            b = images[images["variant"] == "none"].set_index(["seed", "index"])["object_iou"]
            pairs = pd.concat([a, b], axis=1, keys=["v", "none"], join="inner").dropna()
            row["n_pairs"] = len(pairs)
            nonzero = (pairs["v"] - pairs["none"]).abs() > 0
            row["p"] = float(stats.wilcoxon(pairs["v"], pairs["none"]).pvalue) if int(nonzero.sum()) else 1.0
        rows.append(row)
    table = pd.DataFrame(rows)
    tested = table["variant"] != "none"
    table["p_holm"] = np.nan
    if tested.any():
        table.loc[tested, "p_holm"] = multipletests(table.loc[tested, "p"], method="holm")[1]
    table["verdict"] = [_verdict(r, alpha) for r in table.itertuples()]
    return table


def _verdict(row, alpha: float) -> str:
    if row.variant == "none":
        return "baseline"
    if row.p_holm < alpha:
        return "better than no augmentation" if row.diff_mean_iou > 0 else "worse than no augmentation"
    return "no significant difference"


def write_tables(epoch_paths: Iterable[str | Path], robustness_paths: Iterable[str | Path],
                 image_paths: Iterable[str | Path], variants: list[str], out: dict[str, str | Path],
                 confidence: float = 0.95, alpha: float = 0.05) -> None:
    """Write the three tables as CSV (numbers and intervals) and Markdown (mean [interval])."""
    epochs = pd.concat([pd.read_csv(p) for p in epoch_paths], ignore_index=True)
    robustness = pd.concat([pd.read_csv(p) for p in robustness_paths], ignore_index=True)
    images = pd.concat([pd.read_csv(p) for p in image_paths], ignore_index=True)
    note = (f"Cells: mean over seeds [{confidence:.0%} t-interval across seeds]; [{NA}] = one seed, not available.")
    numbers, shown = iou_by_epoch(epochs, variants, confidence)
    write_csv(out["epochs_csv"], numbers)
    _write_md(out["epochs_md"], "Table 1 analogue: mean IoU of the test set at each checkpoint epoch\n\n" + note,
              shown)
    numbers, shown = iou_by_eps(robustness, variants, confidence)
    write_csv(out["eps_csv"], numbers)
    _write_md(out["eps_md"], "Table 2 analogue: mean IoU of the final model under random sign noise and FGSM "
              "(pixel-wise loss) of size eps\n\n" + note, shown)
    table = against_none(epochs, images, variants, confidence, alpha)
    write_csv(out["augmentations_csv"], table)
    shown = pd.DataFrame({
        "augmentation": table["variant"].map(LABELS), "n_seeds": table["n_seeds"],
        "mean IoU": [_show(r.mean_iou, r.mean_iou_ci_low, r.mean_iou_ci_high) for r in table.itertuples()],
        "Dice": [_show(r.dice, r.dice_ci_low, r.dice_ci_high) for r in table.itertuples()],
        "vs none": ["" if r.variant == "none" else f"{_show(r.diff_mean_iou, r.diff_ci_low, r.diff_ci_high)}; "
                    f"p_holm = {r.p_holm:.3g}" for r in table.itertuples()],
        "verdict": table["verdict"]})
    _write_md(out["augmentations_md"], "Table 3 analogue: each augmentation against none (final epoch)\n\n" + note
              + f" Test: Wilcoxon signed-rank of per-image object IoU against U-Net's on the same test images "
              f"(image-seed pairs), Holm over the augmentations, alpha = {alpha}.", shown)


def _write_md(path: str | Path, title: str, frame: pd.DataFrame) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(f"{title}\n\n{markdown(frame, 4)}"))
