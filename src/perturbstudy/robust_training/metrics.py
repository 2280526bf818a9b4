"""Classification metrics of the DPAAT paper: accuracy (GAcc/RAcc), mAP / mARP (eq. 18), macro P/R/F1.

mAP is the macro mean over classes of one-vs-rest average precision on the softmax score of that
class, AP = sum_k (R_k - R_{k-1}) P_k over the distinct score thresholds (eq. 18's precision-weighted
recall increments; identical to scikit-learn's `average_precision_score`, which the tests check).
mARP is the same on the attacked test set with the true labels.

Eq. 18 as printed also divides the inner sum by N2, the number of test images of the class. The recall
increments already sum to 1, so sum_k P_k (R_k - R_{k-1}) is the class's AP, a number in [0, 1]; the
extra 1/N2 would give AP / N2 (about 0.003 for 299 images per class), while the paper's Table II reports
mAP of 0.5-0.8. We read 1/N2 as a typo and drop it.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support


def average_precision(scores: np.ndarray, positive: np.ndarray) -> float:
    """AP of one class: sum over distinct thresholds of precision x recall increment (NaN without positives)."""
    scores = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(positive, dtype=bool)
    n_pos = int(positive.sum())
    if n_pos == 0:
        return float("nan")
    order = np.argsort(-scores, kind="mergesort")
    s, p = scores[order], positive[order]
    last = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]  # last index of each tie group
    tp = np.cumsum(p)[last]
    precision = tp / (last + 1)
    recall = tp / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def mean_average_precision(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Macro mean over classes of the one-vs-rest AP (eq. 18); classes without test samples are skipped."""
    probabilities = np.asarray(probabilities)
    labels = np.asarray(labels)
    aps = [average_precision(probabilities[:, c], labels == c) for c in range(probabilities.shape[1])]
    aps = [a for a in aps if not np.isnan(a)]
    return float(np.mean(aps)) if aps else float("nan")


def classification_metrics(probabilities: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray,
                           num_classes: int) -> dict[str, float]:
    """Accuracy, mAP, macro precision / recall / F1 (scikit-learn, zero_division=0) of one prediction set."""
    probs = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(labels)
    pred = probs.argmax(1)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y, pred, labels=list(range(num_classes)), average="macro", zero_division=0)
    return {"accuracy": float((pred == y).mean()), "map": mean_average_precision(probs, y),
            "precision": float(precision), "recall": float(recall), "f1": float(f1)}


def confusion(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """Confusion matrix, rows = true class, columns = predicted class (counts)."""
    return confusion_matrix(np.asarray(labels), np.asarray(predictions), labels=list(range(num_classes)))
