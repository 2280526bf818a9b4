"""The MONAI UNet trains through the one trainer: its loss falls, checkpoints are kept, and it is saved whole."""

from __future__ import annotations

import torch

from perturbstudy.data import Pool
from perturbstudy.segmentation.training import (
    SegmentationTraining,
    build_unet,
    load_unet,
    save_unet,
    validation_iou,
)
from perturbstudy.train import TrainSettings, train_model


def _squares(n=24, side=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    masks = torch.zeros(n, 1, side, side)
    for i in range(n):
        r, c = (int(v) for v in torch.randint(0, side - 6, (2,), generator=g))
        masks[i, :, r:r + 6, c:c + 6] = 1
    return Pool((0.2 + 0.6 * masks + 0.1 * torch.randn(n, 1, side, side, generator=g)).clamp(0, 1), masks)


def test_unet_learns_and_keeps_checkpoints(tmp_path):
    torch.manual_seed(0)
    model = build_unet(1, channels=(4, 8), strides=(2,))
    val = _squares(8, seed=1)
    before = validation_iou(model, val)
    result = train_model(model, _squares(), val, TrainSettings(lr=0.02, batch_size=8, max_epochs=6, patience=6),
                         seed=0, strategy=SegmentationTraining(), score=validation_iou, snapshot_epochs=[2, 6],
                         progress=False)
    assert sorted(result.snapshots) == [2, 6]
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    assert 0 < result.history[-1]["train_acc"] <= 1  # mean pixel accuracy
    model.load_state_dict(result.snapshots[6])
    assert validation_iou(model, val) > max(before, 0.6)
    save_unet(tmp_path / "m.pt", model, 1, {"channels": [4, 8], "strides": [2]}, result.snapshots)
    loaded, checkpoints = load_unet(tmp_path / "m.pt")
    assert validation_iou(loaded, val) == validation_iou(model, val) and sorted(checkpoints) == [2, 6]
