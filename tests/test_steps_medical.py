"""The medical_prepare_data step: DermaMNIST loading and the paper's 3-class subset on a synthetic MedMNIST npz,
and the medical section's input checks."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from perturbstudy.config import validate_config
from perturbstudy.contract import step_params
from perturbstudy.data import DERMAMNIST_CLASSES, load_splits
from perturbstudy.errors import ConfigError
from perturbstudy.smk import Files, Job
from perturbstudy.steps.medical import medical_prepare_data

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
    params = step_params("medical_prepare_data", config, {})
    assert params["dataset"]["name"] == "dermamnist"  # the medical section's dataset, not the study's
    medical_prepare_data(Job(params, output=Files({"splits": str(tmp_path / "splits.pt"),
                                                  "summary": str(tmp_path / "splits.json")})))
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
