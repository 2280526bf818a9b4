"""Corruption metrics: accuracy per corruption and severity, mean corruption accuracy, (relative) corruption error.

Definitions (Hendrycks & Dietterich 2019, with this project's reference model in place of their AlexNet). For a
model f, E^f_{c,s} = 1 - accuracy of f on corruption c at severity s, and E^f_clean = 1 - its clean accuracy.

- mCA (mean corruption accuracy) = the mean of accuracy_{c,s} over every corruption c and severity s;
- CE^f_c = sum_s E^f_{c,s} / sum_s E^ref_{c,s}; mCE = mean over c;
- relative CE^f_c = sum_s (E^f_{c,s} - E^f_clean) / sum_s (E^ref_{c,s} - E^ref_clean); relative mCE = mean over c:
  how much of its clean accuracy f loses under c, relative to how much the reference loses.

The reference ref is the STD model of the same architecture and seed (so STD itself scores 1). A corruption whose
reference denominator is <= 0 (the reference is not hurt by it) has no defined (relative) CE: it is NaN and left out
of the mean, and the summary lists it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from torch import nn

from ..errors import DataError
from ..train import predict
from .benchmark import CorruptionBenchmark

#: accuracy per (corruption, severity)
Accuracies = Mapping[tuple[str, int], float]


def evaluate_corruptions(model: nn.Module, bench: CorruptionBenchmark, labels: torch.Tensor, batch_size: int = 256,
                         device: torch.device | None = None) -> list[dict[str, object]]:
    """Accuracy of `model` on every (corruption, severity) of a benchmark: rows {corruption, severity, accuracy, n}."""
    rows = []
    for corruption, severity in bench.images:
        pred = predict(model, bench.cell(corruption, severity), batch_size, device)
        rows.append({"corruption": corruption, "severity": severity, "n": int(labels.numel()),
                     "accuracy": float((pred == labels.cpu()).float().mean()) if labels.numel() else float("nan")})
    return rows


def accuracy_grid(rows: list[Mapping[str, object]]) -> dict[tuple[str, int], float]:
    """Rows of `evaluate_corruptions` -> {(corruption, severity): accuracy}."""
    return {(str(r["corruption"]), int(r["severity"])): float(r["accuracy"]) for r in rows}


def mean_corruption_accuracy(acc: Accuracies) -> float:
    """mCA: the mean accuracy over every (corruption, severity) cell."""
    if not acc:
        return float("nan")
    return sum(acc.values()) / len(acc)


def _by_corruption(acc: Accuracies) -> dict[str, dict[int, float]]:
    grouped: dict[str, dict[int, float]] = {}
    for (corruption, severity), value in acc.items():
        grouped.setdefault(corruption, {})[severity] = value
    return grouped


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else float("nan")


def corruption_errors(acc: Accuracies, ref_acc: Accuracies) -> dict[str, float]:
    """CE_c = sum_s E_{c,s} / sum_s E^ref_{c,s} per corruption (NaN where the reference makes no error)."""
    mine, ref = _by_corruption(acc), _by_corruption(ref_acc)
    _check_cells(mine, ref)
    return {c: _ratio(sum(1 - a for a in mine[c].values()), sum(1 - ref[c][s] for s in mine[c])) for c in mine}


def relative_corruption_errors(acc: Accuracies, clean_acc: float, ref_acc: Accuracies,
                               ref_clean_acc: float) -> dict[str, float]:
    """Relative CE_c = sum_s (E_{c,s} - E_clean) / sum_s (E^ref_{c,s} - E^ref_clean) per corruption (NaN where the
    reference's denominator is <= 0)."""
    mine, ref = _by_corruption(acc), _by_corruption(ref_acc)
    _check_cells(mine, ref)
    e_clean, ref_clean = 1 - clean_acc, 1 - ref_clean_acc
    return {c: _ratio(sum((1 - a) - e_clean for a in mine[c].values()),
                      sum((1 - ref[c][s]) - ref_clean for s in mine[c])) for c in mine}


def _check_cells(mine: dict[str, dict[int, float]], ref: dict[str, dict[int, float]]) -> None:
    missing = sorted((c, s) for c, levels in mine.items() for s in levels if s not in ref.get(c, {}))
    if missing:
        raise DataError(f"the reference model has no accuracy for {missing}; evaluate it on the same benchmark")


def _mean_defined(values: Mapping[str, float]) -> float:
    defined = [v for v in values.values() if not math.isnan(v)]
    return sum(defined) / len(defined) if defined else float("nan")


def corruption_summary(acc: Accuracies, clean_acc: float, ref_acc: Accuracies,
                       ref_clean_acc: float) -> dict[str, object]:
    """mCA, mCE and relative mCE of a model against the reference, and the corruptions left out of the means."""
    ce = corruption_errors(acc, ref_acc)
    rce = relative_corruption_errors(acc, clean_acc, ref_acc, ref_clean_acc)
    return {"clean_accuracy": clean_acc, "mCA": mean_corruption_accuracy(acc), "mCE": _mean_defined(ce),
            "relative_mCE": _mean_defined(rce), "CE": ce, "relative_CE": rce,
            "undefined_CE": sorted(c for c, v in ce.items() if math.isnan(v)),
            "undefined_relative_CE": sorted(c for c, v in rce.items() if math.isnan(v))}
