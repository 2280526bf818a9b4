"""The six torchvision CNNs of the DPAAT paper, adapted to any channels, classes and input size.

Every wrapper (`TorchvisionCNN`) takes images in [0, 1] (so attack radii stay in pixel units),
maps 1 or k != 3 channels to 3, upsamples inputs smaller than the network's minimum size
(Inception-v3 75 px, DenseNet121 32 px), normalises with ImageNet statistics, and returns plain
logits. Inception-v3 is built without its auxiliary head (the paper's loss uses the main logits
only; `aux_logits` is dropped when ImageNet weights are loaded). Optional ImageNet weights come
from a local file (`weights: path`, loaded weights-only, classifier layers skipped); nothing is
ever downloaded and the default is training from scratch.

`gradcam_layer()` names each network's Grad-CAM target layer (the last convolutional block):
resnet34 layer4[-1], inceptionv3 Mixed_7c, densenet121 features.norm5 (after the last dense
block), mobilenetv2 features[-1], shufflenetv2 conv5, squeezenet features[-1] (the last Fire),
lenet5 features[3] (the second convolution).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import torch
import torchvision
from torch import nn
from torch.nn import functional as F

from ..errors import CheckpointError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _resnet34(num_classes: int) -> tuple[nn.Module, Callable[[nn.Module], nn.Module]]:
    return torchvision.models.resnet34(weights=None, num_classes=num_classes), lambda m: m.layer4[-1]


def _inceptionv3(num_classes: int):
    net = torchvision.models.inception_v3(weights=None, num_classes=num_classes, aux_logits=False,
                                          transform_input=False, init_weights=True)
    return net, lambda m: m.Mixed_7c


def _densenet121(num_classes: int):
    return torchvision.models.densenet121(weights=None, num_classes=num_classes), lambda m: m.features.norm5


def _mobilenetv2(num_classes: int):
    return torchvision.models.mobilenet_v2(weights=None, num_classes=num_classes), lambda m: m.features[-1]


def _shufflenetv2(num_classes: int):
    return torchvision.models.shufflenet_v2_x1_0(weights=None, num_classes=num_classes), lambda m: m.conv5


def _squeezenet(num_classes: int):
    return torchvision.models.squeezenet1_1(weights=None, num_classes=num_classes), lambda m: m.features[-1]


#: name -> (constructor, minimum input side)
TORCHVISION_CNNS: dict[str, tuple[Callable[[int], tuple[nn.Module, Callable]], int]] = {
    "resnet34": (_resnet34, 32),
    "inceptionv3": (_inceptionv3, 75),
    "densenet121": (_densenet121, 32),
    "mobilenetv2": (_mobilenetv2, 32),
    "shufflenetv2": (_shufflenetv2, 32),
    "squeezenet": (_squeezenet, 32),
}


def load_imagenet_weights(net: nn.Module, path: str | Path) -> list[str]:
    """Load a local torchvision state dict (weights-only), skipping layers whose shape differs; return skipped keys."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: ImageNet weights not found; put the torchvision .pth file there "
                              "or set model.weights: null to train from scratch.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"{path}: cannot be loaded weights-only ({type(exc).__name__}); use a torchvision "
                              "state-dict file.") from exc
    own = net.state_dict()
    keep = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    if not keep:
        raise CheckpointError(f"{path}: no tensor matches this network; is it the right architecture's weights?")
    net.load_state_dict(keep, strict=False)
    return sorted(set(own) - set(keep))


class TorchvisionCNN(nn.Module):
    """A torchvision CNN taking [0, 1] images of any channel count and size; returns logits."""

    def __init__(self, name: str, in_channels: int = 3, num_classes: int = 3, input_size: int = 28,
                 weights: str | None = None, min_size: int | None = None) -> None:
        super().__init__()
        factory, default_min = TORCHVISION_CNNS[name]
        self.net, self._layer = factory(num_classes)
        if weights:
            load_imagenet_weights(self.net, weights)
        self.adapter = None if in_channels == 3 else nn.Conv2d(in_channels, 3, 1)
        self.min_size = int(min_size or default_min)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.adapter is not None:
            x = self.adapter(x)
        side = min(x.shape[-2:])
        if side < self.min_size:
            size = [math.ceil(s * self.min_size / side) for s in x.shape[-2:]]
            x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
        return self.net((x - self.mean) / self.std)

    def gradcam_layer(self) -> nn.Module:
        """The Grad-CAM target layer (the last convolutional block)."""
        return self._layer(self.net)


def torchvision_factory(name: str) -> Callable[..., nn.Module]:
    def build(in_channels: int = 3, num_classes: int = 3, input_size: int = 28, weights: str | None = None,
              min_size: int | None = None) -> nn.Module:
        return TorchvisionCNN(name, in_channels, num_classes, input_size, weights, min_size)
    build.__doc__ = f"torchvision {name} adapted to the data (see TorchvisionCNN)."
    return build
