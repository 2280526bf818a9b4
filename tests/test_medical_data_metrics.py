"""DermaMNIST loading and the paper's 3-class subset on a synthetic MedMNIST npz; mAP against scikit-learn."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from perturbstudy.steps._pipeline_old import load_splits
from sklearn.metrics import average_precision_score, precision_recall_fscore_support

from perturbstudy.config import validate_config
from perturbstudy.data import DERMAMNIST_CLASSES
from perturbstudy.errors import ConfigError
from perturbstudy.robust_training.metrics import average_precision, classification_metrics, mean_average_precision
from perturbstudy.steps.medical import prepare_medical_data

PAPER_CLASSES = [4, 2, 5]


def _write_dermamnist(path, per_class=(3, 4, 30, 2, 25, 40, 3)):
    """A MedMNIST-format npz: {train,val,test}_{images,labels}, uint8 HWC images, (N, 1) labels."""
    rng = np.random.default_rng(0)
    labels = np.concatenate([np.full(n, c) for c, n in enumerate(per_class)])
    rng.shuffle(labels)
    images = rng.integers(0, 256, size=(labels.size, 28, 28, 3), dtype=np.uint8)
    images[..., 0] = labels[:, None, None] * 30  # the red channel encodes the label (checks pairing)
    cut = np.array_split(np.arange(labels.size), [labels.size * 7 // 10, labels.size * 8 // 10])
    arrays = {}
    for split, idx in zip(("train", "val", "test"), cut, strict=True):
        arrays[f"{split}_images"] = images[idx]
        arrays[f"{split}_labels"] = labels[idx].reshape(-1, 1).astype(np.uint8)
    np.savez(path, **arrays)
    return per_class


def _medical_config(npz):
    return {"study": "t", "seeds": [0], "dataset": {"name": "mnist5k"},
            "architectures": {"lenet5": {"train": {}}},
            "medical": {"dataset": {"name": "dermamnist", "root": str(npz), "classes": PAPER_CLASSES,
                                    "pool_all": True, "train_per_class": 12, "test_per_class": 8,
                                    "val_per_class": 3},
                        "architectures": {"squeezenet": {"train": {}}}}}


def test_paper_subset_from_a_synthetic_dermamnist_npz(tmp_path):
    npz = tmp_path / "dermamnist.npz"
    per_class = _write_dermamnist(npz)
    config = validate_config(_medical_config(npz))
    prepare_medical_data(config, tmp_path / "splits.pt", tmp_path / "splits.json")
    splits = load_splits(tmp_path / "splits.pt")
    assert splits.class_names == tuple(DERMAMNIST_CLASSES[c] for c in PAPER_CLASSES)
    assert splits.class_names == ("melanoma", "benign keratosis-like lesions", "melanocytic nevi")
    # test first (8 per class from all splits), then a balanced validation split (3), then train capped at 12
    assert torch.bincount(splits.test.labels).tolist() == [8, 8, 8]
    assert torch.bincount(splits.val.labels).tolist() == [3, 3, 3]
    expected_train = [min(12, per_class[c] - 8 - 3) for c in PAPER_CLASSES]
    assert torch.bincount(splits.train.labels).tolist() == expected_train
    for pool in (splits.train, splits.val, splits.test):
        assert pool.images.shape[1:] == (3, 28, 28) and pool.images.dtype == torch.float32
        original = torch.tensor(PAPER_CLASSES)[pool.labels]
        assert torch.allclose(pool.images[:, 0, 0, 0] * 255, original.float() * 30)
    summary = json.loads((tmp_path / "splits.json").read_text())
    assert summary["counts"]["test"] == [8, 8, 8]


def test_missing_dermamnist_is_a_config_error_naming_the_medical_key(tmp_path):
    config = _medical_config(tmp_path / "nowhere.npz")
    with pytest.raises(ConfigError, match="medical.dataset.root"):
        validate_config(config)


def test_inconsistent_medical_settings_are_rejected(tmp_path):
    npz = tmp_path / "dermamnist.npz"
    _write_dermamnist(npz)
    config = _medical_config(npz)
    config["medical"]["table2_attack"] = "99-PGD"
    with pytest.raises(ConfigError, match="table2_attack"):
        validate_config(config)


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
