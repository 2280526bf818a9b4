"""Cross-key checks of the segmentation section: each names the key and the fix."""

from __future__ import annotations

import copy

import pytest

from perturbstudy.errors import ConfigError
from perturbstudy.segmentation.settings import check_segmentation

SEG = {"dataset": {"name": "digit_scenes", "size": 32, "scenes": 40, "val": 6, "test": 10},
       "model": {"channels": [4, 8], "strides": [2]}, "checkpoints": [1, 2], "variants": ["none", "flip"]}


@pytest.mark.parametrize("key,value,message", [
    ("variants", ["fgsm", "flip"], "'none' is required"),
    ("model", {"channels": [4, 8, 16], "strides": [2]}, "need 2 strides"),
    ("dataset", {"name": "digit_scenes", "size": 33, "scenes": 40, "val": 6, "test": 10}, "not divisible by 2"),
    ("checkpoints", [2, 1], "increasing order"),
    ("dataset", {"name": "digit_scenes", "size": 32, "scenes": 16, "val": 6, "test": 10}, "exceed val"),
    ("dataset", {"name": "folder", "size": 32, "images": "nowhere/images", "masks": "nowhere/masks"},
     "not a folder"),
    ("dataset", {"name": "folder", "size": 32}, "needs the path"),
])
def test_bad_segmentation_settings_are_named(key, value, message):
    seg = copy.deepcopy(SEG)
    seg[key] = value
    with pytest.raises(ConfigError, match=message):
        check_segmentation(seg)


def test_good_settings_pass(tmp_path):
    check_segmentation(SEG)
    (tmp_path / "i").mkdir()
    (tmp_path / "m").mkdir()
    check_segmentation({**SEG, "dataset": {"name": "folder", "size": 32, "images": str(tmp_path / "i"),
                                           "masks": str(tmp_path / "m")}})
