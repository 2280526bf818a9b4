"""The six torchvision CNNs at 28 px in the one model registry, their Grad-CAM layers, pretrained weights (a local
file, or torchvision's ImageNet enum without any download here) under a fresh head, and freezing for the warm-up."""

from __future__ import annotations

from urllib.error import URLError

import pytest
import torch
import torchvision

from perturbstudy.errors import CheckpointError, ConfigError
from perturbstudy.models import ARCHITECTURES, build_model
from perturbstudy.models.torchvision_cnns import HEADS, TORCHVISION_CNNS, TORCHVISION_NAMES, imagenet_weights
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


def _imagenet_like(name: str) -> torch.nn.Module:
    """A torchvision network as its ImageNet file holds it: 1000 classes, Inception-v3 with its auxiliary head."""
    torch.manual_seed(7)
    extra = {"aux_logits": True, "init_weights": False} if name == "inceptionv3" else {}
    return torchvision.models.get_model(TORCHVISION_NAMES[name], weights=None, num_classes=1000, **extra)


def _backbone_and_head(model, reference, name):
    head = tuple(f"{h}." for h in HEADS[name])
    own, ref = model.net.state_dict(), reference.state_dict()
    backbone = [k for k in own if not k.startswith(head)]
    return own, ref, backbone, [k for k in own if k.startswith(head)]


@pytest.mark.parametrize("name", list(TORCHVISION_CNNS))
def test_a_local_state_dict_fills_the_backbone_under_a_fresh_head(tmp_path, name):
    reference = _imagenet_like(name)
    torch.save(reference.state_dict(), tmp_path / f"{name}.pth")
    model = build_model(name, 3, 3, 32, weights=str(tmp_path / f"{name}.pth"))
    own, ref, backbone, head = _backbone_and_head(model, reference, name)
    assert backbone and all(torch.equal(own[k], ref[k]) for k in backbone)  # exactly the file's tensors
    assert head and all(own[k].shape[0] == 3 for k in head)  # a head for the 3 classes, not the file's 1000
    assert not any(k.startswith("AuxLogits") for k in own)  # Inception's auxiliary head stays out
    with torch.no_grad():
        assert model.eval()(torch.rand(2, 3, 32, 32)).shape == (2, 3)


def test_densenet_files_with_the_old_layer_names_load():
    reference = _imagenet_like("densenet121")
    old = {k.replace("norm1.", "norm.1.").replace("conv2.", "conv.2."): v for k, v in reference.state_dict().items()
           if not k.endswith("num_batches_tracked")}  # as in torchvision's DenseNet file, older than that buffer
    assert any(".norm.1." in k for k in old)
    model = build_model("densenet121", 3, 3, 32)
    from perturbstudy.models.torchvision_cnns import load_backbone

    load_backbone(model.net, "densenet121", old, "old-style file")
    assert torch.equal(model.net.features.denseblock1.denselayer1.norm1.weight,
                       reference.features.denseblock1.denselayer1.norm1.weight)


def test_a_file_of_another_network_or_format_is_refused_naming_it(tmp_path):
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), tmp_path / "resnet18.pth")
    with pytest.raises(CheckpointError, match=r"resnet18\.pth.*missing.*layer1\.2"):  # resnet34 has 3 blocks there
        build_model("resnet34", 3, 3, 32, weights=str(tmp_path / "resnet18.pth"))
    torch.save([1, 2, 3], tmp_path / "list.pth")
    with pytest.raises(CheckpointError, match=r"list\.pth.*not a state dict"):
        build_model("squeezenet", 3, 3, 32, weights=str(tmp_path / "list.pth"))
    (tmp_path / "junk.pth").write_text("not a torch file")
    with pytest.raises(CheckpointError, match=r"junk\.pth.*weights-only"):
        build_model("squeezenet", 3, 3, 32, weights=str(tmp_path / "junk.pth"))


@pytest.mark.parametrize("name, enum", [("resnet34", "ResNet34_Weights"), ("inceptionv3", "Inception_V3_Weights"),
                                        ("densenet121", "DenseNet121_Weights"), ("mobilenetv2", "MobileNet_V2_Weights"),
                                        ("shufflenetv2", "ShuffleNet_V2_X1_0_Weights"),
                                        ("squeezenet", "SqueezeNet1_1_Weights")])
def test_imagenet_names_torchvisions_weight_enum(name, enum):
    assert imagenet_weights(name) is getattr(torchvision.models, enum).IMAGENET1K_V1


def test_imagenet_weights_come_through_torchs_hub_and_fill_the_backbone(monkeypatch):
    reference = _imagenet_like("squeezenet")
    calls = []

    def fake_download(url, **kwargs):  # torch.hub's cache-or-download, without the network
        calls.append((url, kwargs))
        return reference.state_dict()

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", fake_download)
    model = build_model("squeezenet", 3, 3, 32, weights="imagenet")
    assert [url for url, _ in calls] == [torchvision.models.SqueezeNet1_1_Weights.IMAGENET1K_V1.url]
    assert calls[0][1]["check_hash"] and calls[0][1]["weights_only"]
    own, ref, backbone, _ = _backbone_and_head(model, reference, "squeezenet")
    assert all(torch.equal(own[k], ref[k]) for k in backbone)


def test_imagenet_offline_is_a_config_error_saying_what_to_download_and_where(monkeypatch):
    def offline(url, **kwargs):
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(ConfigError) as info:
        build_model("resnet34", 3, 3, 32, weights="imagenet")
    message = str(info.value)
    assert "model.weights: imagenet" in message and "ResNet34_Weights.IMAGENET1K_V1" in message
    assert torchvision.models.ResNet34_Weights.IMAGENET1K_V1.url in message  # the file to fetch elsewhere
    assert "set model.weights to its path" in message and "resnet34-b627a593.pth" in message
    assert "Temporary failure in name resolution" in message  # the cause


def test_freezing_leaves_only_the_new_layers_trainable_and_the_backbone_in_eval_mode():
    model = build_model("mobilenetv2", 1, 3, 32)  # one channel: the adapter is new too
    model.freeze_pretrained()
    model.train()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"net.classifier.1.weight", "net.classifier.1.bias", "adapter.weight", "adapter.bias"}
    assert not model.net.features.training and model.net.classifier.training and model.training
    model.freeze_pretrained(False)
    assert all(p.requires_grad for p in model.parameters()) and model.net.features.training
