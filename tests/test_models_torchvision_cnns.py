"""The six torchvision CNNs at 28 px in the one model registry, their Grad-CAM layers, local ImageNet weights."""

from __future__ import annotations

import pytest
import torch
import torchvision

from perturbstudy.errors import CheckpointError
from perturbstudy.models import ARCHITECTURES, build_model
from perturbstudy.models.torchvision_cnns import TORCHVISION_CNNS
from perturbstudy.robust_training.gradcam import gradcam_layer


def test_the_registry_lists_all_eight_cnns():
    assert set(TORCHVISION_CNNS) == {"resnet34", "inceptionv3", "densenet121", "mobilenetv2", "shufflenetv2",
                                     "squeezenet"}
    assert set(ARCHITECTURES) == {"lenet5", "alexnet8", *TORCHVISION_CNNS}


@pytest.mark.parametrize("name", list(TORCHVISION_CNNS))
def test_each_cnn_builds_and_gives_logits_at_28px(name):
    torch.manual_seed(0)
    model = build_model(name, 3, 3, 28).eval()
    with torch.no_grad():
        out = model(torch.rand(2, 3, 28, 28))
    assert out.shape == (2, 3) and torch.isfinite(out).all()
    layer = gradcam_layer(model)
    assert any(layer is m for m in model.modules())


def test_one_channel_input_and_train_mode_of_inception():
    model = build_model("inceptionv3", 1, 2, 28)
    model.train()
    out = model(torch.rand(2, 1, 28, 28))  # no aux head: plain logits even in train mode
    assert isinstance(out, torch.Tensor) and out.shape == (2, 2)
    out.sum().backward()


def test_local_imagenet_weights_load_except_the_classifier(tmp_path):
    torch.manual_seed(1)
    reference = torchvision.models.squeezenet1_1(weights=None, num_classes=1000)
    torch.save(reference.state_dict(), tmp_path / "squeezenet.pth")
    model = build_model("squeezenet", 3, 3, 28, weights=str(tmp_path / "squeezenet.pth"))
    assert torch.equal(model.net.features[0].weight, reference.features[0].weight)
    assert model.net.classifier[1].weight.shape[0] == 3
    with pytest.raises(CheckpointError, match="not found"):
        build_model("squeezenet", 3, 3, 28, weights=str(tmp_path / "missing.pth"))
