"""Loaders on tiny files in the real formats, splits, and the mnist5k dataset."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from perturbstudy.data import (
    DERMAMNIST_CLASSES,
    load_dataset,
    make_splits,
    read_idx,
    select_classes,
    write_idx,
)
from perturbstudy.errors import DataError


def _write_fashion(tmp_path, n_train=40, n_test=20, gz=True):
    rng = np.random.default_rng(0)
    ext = ".gz" if gz else ""
    imgs = rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8)
    labels = np.arange(n_train, dtype=np.uint8) % 10
    write_idx(tmp_path / f"train-images-idx3-ubyte{ext}", imgs)
    write_idx(tmp_path / f"train-labels-idx1-ubyte{ext}", labels)
    write_idx(tmp_path / f"t10k-images-idx3-ubyte{ext}", imgs[:n_test])
    write_idx(tmp_path / f"t10k-labels-idx1-ubyte{ext}", labels[:n_test])
    return imgs, labels


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_mnist_idx_roundtrip(tmp_path, gz):
    imgs, labels = _write_fashion(tmp_path, gz=gz)
    raw = load_dataset("fashion-mnist", str(tmp_path))
    train = raw.pools["train"]
    assert train.images.shape == (40, 1, 28, 28) and train.images.dtype == torch.float32
    assert torch.equal(train.labels, torch.from_numpy(labels.astype(np.int64)))
    assert torch.allclose(train.images[3, 0], torch.from_numpy(imgs[3] / 255.0).float())
    assert float(train.images.max()) <= 1.0 and float(train.images.min()) >= 0.0
    assert raw.class_names[9] == "Ankle boot"


def test_mnist_reads_torchvision_layout(tmp_path):
    raw_dir = tmp_path / "MNIST" / "raw"
    raw_dir.mkdir(parents=True)
    _write_fashion(raw_dir, gz=False)
    raw = load_dataset("mnist", str(tmp_path))
    assert len(raw.pools["train"]) == 40 and len(raw.pools["test"]) == 20


def test_idx_truncated_is_a_clear_error(tmp_path):
    _write_fashion(tmp_path, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DataError, match="truncated"):
        read_idx(path)


def test_idx_bad_magic(tmp_path):
    path = tmp_path / "x.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"\x01\x02\x03\x04garbage")
    with pytest.raises(DataError, match="magic"):
        read_idx(path)


def test_missing_dataset_says_how_to_get_it(tmp_path):
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        load_dataset("fashion-mnist", str(tmp_path))
    with pytest.raises(DataError, match="download"):
        load_dataset("dermamnist", str(tmp_path))


def _write_dermamnist(path, n=30, size=28, labels_max=7):
    rng = np.random.default_rng(1)
    arrays = {}
    for split in ("train", "val", "test"):
        arrays[f"{split}_images"] = rng.integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)
        arrays[f"{split}_labels"] = (np.arange(n) % labels_max).reshape(-1, 1).astype(np.uint8)
    np.savez(path, **arrays)


def test_dermamnist_npz_and_class_subset(tmp_path):
    _write_dermamnist(tmp_path / "dermamnist.npz")
    raw = load_dataset("dermamnist", str(tmp_path))
    assert raw.pools["train"].images.shape == (30, 3, 28, 28)
    assert raw.class_names == DERMAMNIST_CLASSES
    sub = select_classes(raw, [4, 2, 5])
    assert sub.class_names == ("melanoma", "benign keratosis-like lesions", "melanocytic nevi")
    assert set(sub.pools["test"].labels.tolist()) == {0, 1, 2}
    # 30 samples per split, labels cycle 0..6: 4 or 5 of each class per split
    splits = make_splits(sub, seed=0, val_fraction=0.2, test_fraction=0.2, test_per_class=3,
                         pool_all=True)
    assert torch.bincount(splits.test.labels).tolist() == [3, 3, 3]


def test_dermamnist_wrong_keys(tmp_path):
    np.savez(tmp_path / "dermamnist.npz", images=np.zeros((2, 28, 28, 3), np.uint8))
    with pytest.raises(DataError, match="missing keys"):
        load_dataset("dermamnist", str(tmp_path))


def test_labels_out_of_range(tmp_path):
    _write_dermamnist(tmp_path / "dermamnist.npz", labels_max=9)
    with pytest.raises(DataError, match="out of range"):
        load_dataset("dermamnist", str(tmp_path))


def test_mnist5k_is_real_and_balanced():
    raw = load_dataset("mnist5k")
    pool = raw.pools["all"]
    assert pool.images.shape == (5000, 1, 28, 28)
    assert torch.bincount(pool.labels).tolist() == [500] * 10
    assert 0.0 <= float(pool.images.min()) and float(pool.images.max()) == 1.0


def test_splits_are_deterministic_stratified_and_disjoint():
    raw = load_dataset("mnist5k")
    a = make_splits(raw, seed=3, val_fraction=0.1, test_fraction=0.2)
    b = make_splits(raw, seed=3, val_fraction=0.1, test_fraction=0.2)
    c = make_splits(raw, seed=4, val_fraction=0.1, test_fraction=0.2)
    assert a.hashes() == b.hashes()
    assert a.hashes()["test"] != c.hashes()["test"]
    assert torch.bincount(a.test.labels).tolist() == [100] * 10
    assert torch.bincount(a.val.labels).tolist() == [40] * 10
    assert torch.bincount(a.train.labels).tolist() == [360] * 10
    # disjoint: no test image appears in train (compare flattened rows)
    train_rows = {bytes(r.numpy().tobytes()) for r in a.train.images.flatten(1)}
    assert not any(bytes(r.numpy().tobytes()) in train_rows for r in a.test.images.flatten(1))
