"""Medical-run metrics: mAP against scikit-learn and by hand, precision / recall / F1 / accuracy."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, precision_recall_fscore_support

from perturbstudy.robust_training.metrics import average_precision, classification_metrics, mean_average_precision


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mean_average_precision_matches_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, size=200)
    probs = rng.dirichlet(np.ones(4), size=200)
    probs[np.arange(200), labels] += rng.uniform(0, 0.5, size=200)
    probs = np.round(probs / probs.sum(1, keepdims=True), 2)  # ties, as in real softmax outputs
    onehot = np.eye(4)[labels]
    assert mean_average_precision(probs, labels) == pytest.approx(
        average_precision_score(onehot, probs, average="macro"), abs=1e-12)
    for c in range(4):
        assert average_precision(probs[:, c], labels == c) == pytest.approx(
            average_precision_score(onehot[:, c], probs[:, c]), abs=1e-12)


def test_average_precision_by_hand():
    # ranked scores 0.9 (pos), 0.8 (neg), 0.7 (pos): AP = 0.5 * 1 + 0.5 * 2/3
    assert average_precision(np.array([0.9, 0.8, 0.7]), np.array([1, 0, 1])) == pytest.approx(0.5 + 1 / 3)


def test_classification_metrics_match_scikit_learn():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 3, size=60)
    probs = rng.dirichlet(np.ones(3), size=60)
    m = classification_metrics(probs, labels, 3)
    p, r, f, _ = precision_recall_fscore_support(labels, probs.argmax(1), average="macro", zero_division=0)
    assert (m["precision"], m["recall"], m["f1"]) == pytest.approx((p, r, f))
    assert m["accuracy"] == pytest.approx(float((probs.argmax(1) == labels).mean()))
