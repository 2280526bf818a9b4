"""Loaders on tiny files in the real formats, splits, and the mnist5k dataset."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from perturbstudy import data as data_module
from perturbstudy.artifacts import sha256_tensors as real_sha256
from perturbstudy.data import (
    DERMAMNIST_CLASSES,
    Pool,
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


def test_split_hashes_follow_changes_to_the_pools(monkeypatch):
    splits = make_splits(load_dataset("mnist5k"), seed=3, val_fraction=0.1, test_fraction=0.2)
    hashed = []
    monkeypatch.setattr(data_module, "sha256_tensors", lambda *t: hashed.append(t) or real_sha256(*t))
    first = splits.hashes()
    assert splits.hashes() == first and len(hashed) == 3  # remembered, not hashed again
    splits.train.images[0, 0, 0, 0] += 0.5  # an in-place change is seen
    changed = splits.hashes()
    assert changed["train"] != first["train"] and changed["test"] == first["test"] and len(hashed) == 4
    splits.test = Pool(splits.test.images.clone(), splits.test.labels.clone())  # a new pool is hashed again
    assert splits.hashes() == changed and len(hashed) == 5
    splits.test = Pool(splits.test.images[1:], splits.test.labels[1:])
    assert splits.hashes()["test"] != changed["test"]


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


def test_dermamnist_download_creates_the_root_and_writes_the_file_whole(tmp_path, monkeypatch):
    """medmnist refuses a root that does not exist (a fresh checkout has no data/): the loader creates it; the file
    is downloaded beside its place and renamed, so no partial file is ever at the path."""
    medmnist = pytest.importorskip("medmnist")
    seen = []

    def fake_download(self):  # medmnist's download, without the network: the npz in medmnist's real format
        seen.append(self.root)
        _write_dermamnist(f"{self.root}/{self.flag}{self.size_flag}.npz")

    monkeypatch.setattr(medmnist.DermaMNIST, "download", fake_download)
    root = tmp_path / "fresh" / "data"
    raw = load_dataset("dermamnist", str(root), download=True)
    assert raw.pools["train"].images.shape == (30, 3, 28, 28)
    assert [p.name for p in root.iterdir()] == ["dermamnist.npz"]  # the temporary folder is gone
    assert seen and seen[0] != str(root)
    load_dataset("dermamnist", str(root), download=True)  # present: no second download
    assert len(seen) == 1


def test_dermamnist_download_offline_names_the_file_and_where_to_get_it(tmp_path, monkeypatch):
    medmnist = pytest.importorskip("medmnist")

    def offline(self):
        raise RuntimeError("\n    Automatic download failed! Please download dermamnist_224.npz manually.")

    monkeypatch.setattr(medmnist.DermaMNIST, "download", offline)
    root = tmp_path / "data"
    with pytest.raises(DataError) as info:
        load_dataset("dermamnist", str(root), download=True, size=224)
    message = str(info.value)
    assert f"{root / 'dermamnist_224.npz'}" in message and "Automatic download failed" in message
    assert "https://zenodo.org/" in message and "dermamnist_224.npz" in message and "dataset.root" in message
    assert list(root.iterdir()) == []  # nothing half-written left behind


# --------------------------------------------------------------------------- every MedMNIST 2D dataset by name


def _write_medmnist(path, name, n=12, size=28):
    """A tiny npz in MedMNIST's real format: uint8 images [N, H, W] (grey) or [N, H, W, 3] (colour); uint8 labels
    [N, 1], or [N, 14] 0/1 findings for ChestMNIST."""
    from perturbstudy.data import MEDMNIST_2D

    info, rng = MEDMNIST_2D[name], np.random.default_rng(2)
    shape = (n, size, size, 3) if info.channels == 3 else (n, size, size)
    arrays = {}
    for split in ("train", "val", "test"):
        arrays[f"{split}_images"] = rng.integers(0, 256, size=shape, dtype=np.uint8)
        if name == "chestmnist":
            findings = np.zeros((n, 14), np.uint8)
            findings[1::2, 2] = 1  # odd rows have one finding (effusion), even rows none
            findings[3, 5] = 1  # a second finding on one row: still "any finding"
            arrays[f"{split}_labels"] = findings
        else:
            arrays[f"{split}_labels"] = (np.arange(n) % len(info.labels)).reshape(-1, 1).astype(np.uint8)
    np.savez(path, **arrays)
    return arrays


@pytest.mark.parametrize("name", ["breastmnist", "pneumoniamnist", "pathmnist", "octmnist", "bloodmnist",
                                  "organamnist", "retinamnist", "tissuemnist"])
def test_medmnist_2d_loads_by_name(tmp_path, name):
    from perturbstudy.data import MEDMNIST_2D, REGISTRY

    arrays = _write_medmnist(tmp_path / f"{name}.npz", name)
    raw = load_dataset(name, str(tmp_path))
    info = MEDMNIST_2D[name]
    test = raw.pools["test"]
    assert test.images.shape == (12, info.channels, 28, 28) and test.images.dtype == torch.float32
    assert raw.class_names == info.labels and raw.num_classes == REGISTRY[name].num_classes
    assert REGISTRY[name].channels == info.channels and REGISTRY[name].sized
    assert torch.equal(test.labels, torch.from_numpy(arrays["test_labels"].reshape(-1).astype(np.int64)))
    first = arrays["test_images"][0]
    expected = first[None] if info.channels == 1 else first.transpose(2, 0, 1)
    assert torch.allclose(test.images[0], torch.from_numpy(expected / 255.0).float())


def test_medmnist_size_is_read_from_the_file_name(tmp_path):
    _write_medmnist(tmp_path / "breastmnist_64.npz", "breastmnist", size=64)
    raw = load_dataset("breastmnist", str(tmp_path), size=64)
    assert raw.pools["train"].images.shape == (12, 1, 64, 64) and raw.extra == {"size": "64"}
    with pytest.raises(DataError, match="breastmnist.npz not found"):
        load_dataset("breastmnist", str(tmp_path))  # size 28 is another file
    with pytest.raises(DataError, match=r"set dataset.size: 64"):
        load_dataset("breastmnist", str(tmp_path / "breastmnist_64.npz"))  # the file itself, at the wrong size


def test_a_colour_file_under_a_grey_name_is_refused(tmp_path):
    _write_medmnist(tmp_path / "pneumoniamnist.npz", "dermamnist")  # RGB images, 7 classes
    with pytest.raises(DataError, match=r"needs \(28, 28\)"):
        load_dataset("pneumoniamnist", str(tmp_path))


def test_chestmnist_becomes_no_finding_vs_any_finding(tmp_path):
    arrays = _write_medmnist(tmp_path / "chestmnist.npz", "chestmnist")
    raw = load_dataset("chestmnist", str(tmp_path))
    assert raw.class_names == ("no finding", "any finding")
    expected = (arrays["val_labels"].sum(1) > 0).astype(np.int64)
    assert torch.equal(raw.pools["val"].labels, torch.from_numpy(expected))
    assert raw.pools["val"].labels.tolist() == [0, 1] * 6  # row 3 has two findings: still 1


def test_chestmnist_labels_must_be_fourteen_findings(tmp_path):
    _write_medmnist(tmp_path / "chestmnist.npz", "breastmnist")  # [N, 1] labels under ChestMNIST's name
    with pytest.raises(DataError, match=r"\[N, 14\]"):
        load_dataset("chestmnist", str(tmp_path))


def test_medmnist_3d_and_unknown_names_are_refused(tmp_path):
    with pytest.raises(DataError, match="unknown dataset 'organmnist3d'"):
        load_dataset("organmnist3d", str(tmp_path))


def test_the_medmnist_table_matches_the_installed_medmnist_info():
    """The copy of medmnist's INFO kept in perturbstudy.data (so loading needs no medmnist) is the package's own."""
    medmnist = pytest.importorskip("medmnist")
    from perturbstudy.data import MEDMNIST_2D

    two_d = {name for name in medmnist.INFO if not name.endswith("3d")}
    assert set(MEDMNIST_2D) == two_d
    for name, info in MEDMNIST_2D.items():
        record = medmnist.INFO[name]
        assert info.channels == record["n_channels"] and info.task == record["task"]
        assert info.labels == tuple(record["label"][str(i)] for i in range(len(record["label"])))
        assert info.python_class == record["python_class"] and hasattr(medmnist, info.python_class)


def test_any_medmnist_download_goes_through_its_medmnist_class(tmp_path, monkeypatch):
    medmnist = pytest.importorskip("medmnist")

    def fake_download(self):  # medmnist's download, without the network: the npz in the real format
        _write_medmnist(f"{self.root}/{self.flag}{self.size_flag}.npz", "breastmnist")

    monkeypatch.setattr(medmnist.BreastMNIST, "download", fake_download)
    root = tmp_path / "fresh"
    raw = load_dataset("breastmnist", str(root), download=True)
    assert raw.pools["train"].images.shape == (12, 1, 28, 28)
    assert [p.name for p in root.iterdir()] == ["breastmnist.npz"]
