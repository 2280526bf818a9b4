"""Image/mask folders in the layouts of Kvasir-SEG (JPEG, same names) and ISIC 2018 Task 1 (PNG masks with a
suffix), written here as tiny real files; bad folders give errors that name the file."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from perturbstudy.data import Pool
from perturbstudy.errors import DataError
from perturbstudy.segmentation.data import load_pairs, load_splits, save_splits, split_pool, write_pairs


def _disk(n: int = 3, side: int = 20):
    """RGB images with a bright disk on dark ground, and the disk's mask."""
    yy, xx = np.mgrid[:side, :side]
    images, masks = [], []
    for i in range(n):
        mask = (yy - 8 - i) ** 2 + (xx - 10) ** 2 < 25
        image = np.stack([np.where(mask, 200, 30)] * 3, -1).astype(np.uint8)
        images.append(image)
        masks.append((mask * 255).astype(np.uint8))
    return images, masks


def test_kvasir_layout_jpeg_masks_are_binarised(tmp_path):
    images, masks = _disk()
    for i, (im, m) in enumerate(zip(images, masks, strict=True)):
        (tmp_path / "images").mkdir(exist_ok=True)
        (tmp_path / "masks").mkdir(exist_ok=True)
        Image.fromarray(im).save(tmp_path / "images" / f"cju{i}.jpg", quality=90)
        Image.fromarray(m).save(tmp_path / "masks" / f"cju{i}.jpg", quality=90)  # JPEG: grey edges
    pool = load_pairs(tmp_path / "images", tmp_path / "masks", size=16)
    assert pool.images.shape == (3, 3, 16, 16) and pool.labels.shape == (3, 1, 16, 16)
    assert set(pool.labels.unique().tolist()) == {0.0, 1.0}
    # the mask marks the bright disk
    assert float(pool.images[:, 0][pool.labels[:, 0] == 1].mean()) > 0.6


def test_isic_layout_with_mask_suffix_and_a_round_trip(tmp_path):
    g = torch.Generator().manual_seed(0)
    pool = Pool(torch.rand(4, 3, 8, 8, generator=g), (torch.rand(4, 1, 8, 8, generator=g) > 0.5).float())
    write_pairs(pool, tmp_path / "Input", tmp_path / "GroundTruth", mask_suffix="_segmentation")
    assert (tmp_path / "GroundTruth" / "img0000_segmentation.png").exists()
    loaded = load_pairs(tmp_path / "Input", tmp_path / "GroundTruth", size=8, mask_suffix="_segmentation")
    assert torch.equal(loaded.labels, pool.labels)
    assert torch.allclose(loaded.images, pool.images, atol=1 / 255)
    with pytest.raises(DataError, match="mask_suffix"):
        load_pairs(tmp_path / "Input", tmp_path / "GroundTruth", size=8)  # without the suffix: no masks found


def test_bad_folders_are_named(tmp_path):
    images, masks = _disk(1)
    (tmp_path / "i").mkdir()
    (tmp_path / "m").mkdir()
    (tmp_path / "empty").mkdir()
    Image.fromarray(images[0]).save(tmp_path / "i" / "a.png")
    with pytest.raises(DataError, match="no PNG or JPEG"):
        load_pairs(tmp_path / "empty", tmp_path / "m", 16)
    with pytest.raises(DataError, match="does not exist"):
        load_pairs(tmp_path / "i", tmp_path / "nowhere", 16)
    Image.fromarray(masks[0][:10]).save(tmp_path / "m" / "a.png")  # 20x10 mask for a 20x20 image
    with pytest.raises(DataError, match="same size"):
        load_pairs(tmp_path / "i", tmp_path / "m", 16)
    not_a_mask = (np.arange(400).reshape(20, 20) % 256).astype(np.uint8)
    Image.fromarray(not_a_mask).save(tmp_path / "m" / "a.png")
    with pytest.raises(DataError, match="grey"):
        load_pairs(tmp_path / "i", tmp_path / "m", 16)


def test_split_and_save(tmp_path):
    pool = Pool(torch.rand(20, 1, 8, 8), torch.zeros(20, 1, 8, 8))
    splits = split_pool(pool, val=3, test=5, seed=0)
    assert [len(splits[k]) for k in ("train", "val", "test")] == [12, 3, 5]
    save_splits(tmp_path / "s.pt", splits)
    assert torch.equal(load_splits(tmp_path / "s.pt")["val"].images, splits["val"].images)
    with pytest.raises(DataError, match="cannot give"):
        split_pool(pool, val=10, test=10, seed=0)
