"""Folders of image/mask pairs (the layout of Kvasir-SEG or ISIC 2018 Task 1) as segmentation sets, and splits.

Layout: `images_dir` holds the images (PNG/JPEG), `masks_dir` one mask per image with the same stem plus
`mask_suffix` (Kvasir-SEG: `images/x.jpg` + `masks/x.jpg`, suffix ""; ISIC 2018 Task 1:
`..._Input/ISIC_0000000.jpg` + `..._GroundTruth/ISIC_0000000_segmentation.png`, suffix "_segmentation").
Masks are binarised at 128; a mask with many grey pixels is refused (it is not a mask).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from ..data import Pool
from ..errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
GREY_BAND = (32, 223)  # mask pixels strictly inside this band are neither black nor white
MAX_GREY_SHARE = 0.05  # JPEG masks have grey edges; more than this is not a binary mask


def _read(path: Path, mode: str) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert(mode))
    except OSError as exc:
        raise DataError(f"{path}: cannot be read as an image ({exc}); replace or remove the file") from exc


def _files(folder: Path, what: str) -> list[Path]:
    if not folder.is_dir():
        raise DataError(f"{what} folder {folder} does not exist; set the segmentation dataset's paths in the config")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(f"{what} folder {folder} holds no PNG or JPEG files; check the path")
    return files


def binarise_mask(mask: np.ndarray, where: str) -> np.ndarray:
    """A 0..255 greyscale mask as {0, 1}; DataError if too many pixels are grey (not a mask)."""
    grey = float(((mask > GREY_BAND[0]) & (mask < GREY_BAND[1])).mean())
    if grey > MAX_GREY_SHARE:
        raise DataError(f"{where}: {grey:.0%} of the mask's pixels are grey ({GREY_BAND[0] + 1}-{GREY_BAND[1] - 1}); "
                        "a mask must be black (background) and white (object). Is an image in the masks folder?")
    return (mask >= 128).astype(np.float32)


def _resize(x: torch.Tensor, size: int, mode: str) -> torch.Tensor:
    if x.shape[-2:] == (size, size):
        return x
    if mode == "nearest":
        return F.interpolate(x[None], size=(size, size), mode="nearest")[0]
    return F.interpolate(x[None], size=(size, size), mode="bilinear", antialias=True, align_corners=False)[0]


def load_pairs(images_dir: str | Path, masks_dir: str | Path, size: int, mask_suffix: str = "",
               channels: int = 3) -> Pool:
    """Every image of `images_dir` with its mask, resized to size x size: images [N, channels, size, size] in
    [0, 1], masks [N, 1, size, size] in {0, 1}. Errors name the file and what to do."""
    images_dir, masks_dir = Path(images_dir), Path(masks_dir)
    masks = {p.stem: p for p in _files(masks_dir, "masks")}
    xs, ys = [], []
    for path in _files(images_dir, "images"):
        mask_path = masks.get(path.stem + mask_suffix)
        if mask_path is None:
            raise DataError(f"{path}: no mask {path.stem + mask_suffix}.png/.jpg in {masks_dir}; every image needs "
                            "one (check `mask_suffix`, e.g. '_segmentation' for ISIC 2018)")
        image = _read(path, "RGB" if channels == 3 else "L")
        mask = _read(mask_path, "L")
        if image.shape[:2] != mask.shape[:2]:
            raise DataError(f"{path} is {image.shape[1]}x{image.shape[0]} but its mask {mask_path} is "
                            f"{mask.shape[1]}x{mask.shape[0]}; an image and its mask must have the same size")
        x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32) / 255.0)
        x = x.permute(2, 0, 1) if x.ndim == 3 else x[None]
        y = torch.from_numpy(binarise_mask(mask, str(mask_path)))[None]
        xs.append(_resize(x, size, "bilinear").clamp(0, 1))
        ys.append(_resize(y, size, "nearest"))
    return Pool(torch.stack(xs), torch.stack(ys))


def split_pool(pool: Pool, val: int, test: int, seed: int) -> dict[str, Pool]:
    """A seeded split into train / val / test (val and test: image counts)."""
    if val + test >= len(pool):
        raise DataError(f"{len(pool)} images cannot give {val} validation and {test} test images and a training "
                        "set; lower val/test or add images")
    order = torch.randperm(len(pool), generator=torch.Generator().manual_seed(seed))
    return {"test": pool.subset(order[:test]), "val": pool.subset(order[test:test + val]),
            "train": pool.subset(order[test + val:])}


def write_pairs(pool: Pool, images_dir: str | Path, masks_dir: str | Path, mask_suffix: str = "",
                image_format: str = "png") -> None:
    """Write a pool as image/mask files (masks 0/255 PNG), the layout `load_pairs` reads."""
    from PIL import Image

    images_dir, masks_dir = Path(images_dir), Path(masks_dir)
    images_dir.mkdir(parents=True, exist_ok=True)
    masks_dir.mkdir(parents=True, exist_ok=True)
    for i, (x, y) in enumerate(zip(pool.images, pool.labels, strict=True)):
        pixels = (x.permute(1, 2, 0).squeeze(-1).numpy() * 255).round().astype(np.uint8)
        Image.fromarray(pixels).save(images_dir / f"img{i:04d}.{image_format}")
        Image.fromarray((y[0].numpy() * 255).astype(np.uint8)).save(masks_dir / f"img{i:04d}{mask_suffix}.png")


SPLITS = ("train", "val", "test")


def save_splits(path: str | Path, splits: dict[str, Pool]) -> None:
    """The train / val / test sets of images and masks in one file."""
    from ..artifacts import save_tensors

    save_tensors(path, {f"{name}_{part}": getattr(splits[name], attr) for name in SPLITS
                        for part, attr in (("images", "images"), ("masks", "labels"))})


def load_splits(path: str | Path) -> dict[str, Pool]:
    """What `save_splits` wrote."""
    from ..artifacts import load_tensors

    payload = load_tensors(path)
    missing = [f"{n}_images" for n in SPLITS if f"{n}_images" not in payload]
    if missing:
        raise DataError(f"{path} is not a segmentation split file (no {missing}); rerun segmentation_prepare_data")
    return {n: Pool(payload[f"{n}_images"], payload[f"{n}_masks"]) for n in SPLITS}
