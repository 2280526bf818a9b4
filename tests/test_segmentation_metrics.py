"""Mean IoU (two classes, pooled pixels: the paper's) and per-image object Dice / IoU, against hand counts."""

from __future__ import annotations

import pytest
import torch

from perturbstudy.segmentation.metrics import per_image_object_iou, segmentation_scores


def test_scores_against_hand_counts():
    masks = torch.zeros(2, 1, 4, 4)
    masks[0, 0, :2, :2] = 1  # 4 object pixels
    masks[1, 0, 0, :] = 1  # 4 object pixels
    pred = torch.zeros_like(masks)
    pred[0, 0, :2, :3] = 1  # 4 hits, 2 false positives
    pred[1, 0, 0, :2] = 1  # 2 hits, 2 misses
    # pooled: object TP 6, FP 2, FN 2 -> 6/10; background TP 32-10 = 22 of union 26 -> 22/26
    scores = segmentation_scores(pred, masks)
    assert scores["mean_iou"] == pytest.approx((6 / 10 + 22 / 26) / 2, rel=1e-6)
    assert torch.allclose(per_image_object_iou(pred, masks), torch.tensor([4 / 6, 2 / 4]))
    assert scores["object_iou"] == pytest.approx((4 / 6 + 2 / 4) / 2, rel=1e-6)
    assert scores["dice"] == pytest.approx((8 / 10 + 4 / 6) / 2, rel=1e-6)


def test_predicting_no_object_scores_about_half():
    """Why the paper's Table 1 starts near 0.5: background IoU near 1, object IoU 0."""
    masks = torch.zeros(3, 1, 10, 10)
    masks[:, :, 4:6, 4:6] = 1
    assert segmentation_scores(torch.zeros_like(masks), masks)["mean_iou"] == pytest.approx(0.48, abs=1e-6)
