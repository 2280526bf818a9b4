"""The six torchvision CNNs of the DPAAT paper, adapted to any channels, classes and input size.

Every wrapper (`TorchvisionCNN`) takes images in [0, 1] (so attack radii stay in pixel units),
maps 1 or k != 3 channels to 3, upsamples inputs smaller than the network's minimum size
(Inception-v3 75 px, DenseNet121 32 px), normalises with ImageNet statistics, and returns plain
logits. Inception-v3 is built without its auxiliary head (the paper's loss uses the main logits
only) and with `transform_input=True`, the input convention of torchvision's ImageNet weights.

Weights (`model.weights`): null trains from scratch; `imagenet` takes torchvision's ImageNet-1k
weights (the `IMAGENET1K_V1` enum of each CNN, downloaded once into torch's hub cache); a path loads
a local torchvision state-dict file (offline clusters). The pretrained tensors fill the backbone,
every key checked; the classification head (and Inception's auxiliary head in the file) is left out,
so the network keeps a fresh head sized for the classes. `freeze_pretrained()` then trains only the
new layers, the head warm-up of Li et al. (`perturbstudy.train.train_with_head_warmup`).

`gradcam_layer()` names each network's Grad-CAM target layer (the last convolutional block):
resnet34 layer4[-1], inceptionv3 Mixed_7c, densenet121 features.norm5 (after the last dense
block), mobilenetv2 features[-1], shufflenetv2 conv5, squeezenet features[-1] (the last Fire),
lenet5 features[3] (the second convolution).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import torch
import torchvision
from torch import nn
from torch.nn import functional as F

from ..errors import CheckpointError, ConfigError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _resnet34(num_classes: int) -> tuple[nn.Module, Callable[[nn.Module], nn.Module]]:
    return torchvision.models.resnet34(weights=None, num_classes=num_classes), lambda m: m.layer4[-1]


def _inceptionv3(num_classes: int):
    net = torchvision.models.inception_v3(weights=None, num_classes=num_classes, aux_logits=False,
                                          transform_input=True, init_weights=True)
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


#: name -> torchvision's model name (for its weight enums)
TORCHVISION_NAMES = {"resnet34": "resnet34", "inceptionv3": "inception_v3", "densenet121": "densenet121",
                     "mobilenetv2": "mobilenet_v2", "shufflenetv2": "shufflenet_v2_x1_0",
                     "squeezenet": "squeezenet1_1"}
#: name -> attributes of the classification head: new at every build, never loaded, trained by the warm-up
HEADS: dict[str, tuple[str, ...]] = {"resnet34": ("fc",), "inceptionv3": ("dropout", "fc"),
                                     "densenet121": ("classifier",), "mobilenetv2": ("classifier",),
                                     "shufflenetv2": ("fc",), "squeezenet": ("classifier",)}
#: state-dict prefixes in ImageNet files that the adapted networks do not have
_FILE_ONLY = {"inceptionv3": ("AuxLogits.",)}
# DenseNet files keep the old layer names 'norm.1', 'conv.2', ... (torchvision renames them the same way)
_DENSENET_OLD_KEY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|"
                               r"running_var))$")


def imagenet_weights(name: str) -> torchvision.models.WeightsEnum:
    """torchvision's ImageNet-1k weights enum of a CNN: IMAGENET1K_V1, the weights of the paper's time."""
    return torchvision.models.get_model_weights(TORCHVISION_NAMES[name]).IMAGENET1K_V1


def imagenet_state_dict(name: str) -> dict[str, torch.Tensor]:
    """The ImageNet state dict of a CNN from torch's hub cache, downloaded there first when missing.

    Offline without the cached file, a ConfigError says which file to fetch and where to point `weights`.
    """
    weights = imagenet_weights(name)
    cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(weights.url).path).name
    try:
        return torch.hub.load_state_dict_from_url(weights.url, map_location="cpu", progress=False, check_hash=True,
                                                  weights_only=True)
    except Exception as exc:  # no network, a proxy, a truncated or corrupt file
        raise ConfigError(
            f"model.weights: imagenet: cannot get {name}'s ImageNet weights ({type(weights).__name__}."
            f"{weights.name}) from {weights.url} ({type(exc).__name__}: {exc}). Offline? Download that file "
            f"where there is network and set model.weights to its path (a local torchvision state-dict .pth), "
            f"or copy it to torch's cache {cached}.") from exc


def load_state_file(path: str | Path) -> dict[str, torch.Tensor]:
    """A local torchvision state-dict file, loaded weights-only; errors name the file and the fix."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: pretrained weights (model.weights) not found; put the torchvision .pth "
                              "state-dict file there, set model.weights: imagenet to download it, or null to train "
                              "from scratch.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"{path}: cannot be loaded weights-only ({type(exc).__name__}); use a torchvision "
                              "state-dict file (torch.save(model.state_dict(), path)).") from exc
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path}: not a state dict of tensors; save one with torch.save(model.state_dict(), "
                              "path).")
    return state


def load_backbone(net: nn.Module, name: str, state: dict[str, torch.Tensor], source: str) -> None:
    """Load every non-head tensor of `net` from a torchvision ImageNet state dict; the head stays as built.

    The file must hold each backbone tensor with its shape (BatchNorm's `num_batches_tracked` may be absent,
    as in older torchvision files) and nothing else but the head; otherwise a CheckpointError names `source`.
    """
    if name == "densenet121":
        state = {(m.group(1) + m.group(2) if (m := _DENSENET_OLD_KEY.match(k)) else k): v for k, v in state.items()}
    head = tuple(f"{h}." for h in HEADS[name])
    backbone = {k: v for k, v in state.items() if not k.startswith(head + _FILE_ONLY.get(name, ()))}
    own = net.state_dict()
    unexpected = sorted(set(backbone) - set(own))
    missing = sorted(k for k in own if not k.startswith(head) and k not in backbone
                     and not k.endswith("num_batches_tracked"))
    shapes = sorted(f"{k} {tuple(v.shape)} (network {tuple(own[k].shape)})" for k, v in backbone.items()
                    if k in own and v.shape != own[k].shape)
    if unexpected or missing or shapes:
        problems = [f"{label}: {keys[:5]}{' ...' if len(keys) > 5 else ''} ({len(keys)})"
                    for label, keys in (("missing", missing), ("unexpected", unexpected), ("other shape", shapes))
                    if keys]
        raise CheckpointError(f"{source}: not torchvision {TORCHVISION_NAMES[name]} ImageNet weights for {name}; "
                              f"{'; '.join(problems)}. Use the file of {imagenet_weights(name).url} (or "
                              "model.weights: imagenet).")
    net.load_state_dict(backbone, strict=False)


def load_pretrained(net: nn.Module, name: str, weights: str) -> None:
    """Fill a freshly built network's backbone from `weights`: 'imagenet' (torchvision's enum) or a local file."""
    if weights == "imagenet":
        load_backbone(net, name, imagenet_state_dict(name), f"{type(imagenet_weights(name)).__name__}.IMAGENET1K_V1")
    else:
        load_backbone(net, name, load_state_file(weights), str(weights))


class TorchvisionCNN(nn.Module):
    """A torchvision CNN taking [0, 1] images of any channel count and size; returns logits."""

    def __init__(self, name: str, in_channels: int = 3, num_classes: int = 3, input_size: int = 28,
                 weights: str | None = None, min_size: int | None = None) -> None:
        super().__init__()
        factory, default_min = TORCHVISION_CNNS[name]
        self.net, self._layer = factory(num_classes)
        self.head_names = HEADS[name]
        self._frozen = False
        if weights:
            load_pretrained(self.net, name, weights)
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

    def new_layers(self) -> list[nn.Module]:
        """The layers never taken from pretrained weights: the classification head and the channel adapter."""
        return [getattr(self.net, h) for h in self.head_names] + ([self.adapter] if self.adapter is not None else [])

    def freeze_pretrained(self, frozen: bool = True) -> None:
        """Train only the new layers (the head warm-up) or, with frozen=False, every layer again.

        Frozen layers get no gradient and stay in eval mode in training too (BatchNorm statistics and dropout of
        the pretrained backbone untouched), so the backbone is exactly as loaded until it is released.
        """
        new = {id(p) for m in self.new_layers() for p in m.parameters()}
        for param in self.parameters():
            param.requires_grad_(not frozen or id(param) in new)
        self._frozen = frozen
        self.train(self.training)

    def train(self, mode: bool = True) -> TorchvisionCNN:
        """nn.Module.train, keeping the frozen backbone in eval mode during a head warm-up."""
        super().train(mode)
        if mode and self._frozen:
            self.net.eval()
            for module in self.new_layers():
                module.train()
        return self


def torchvision_factory(name: str) -> Callable[..., nn.Module]:
    def build(in_channels: int = 3, num_classes: int = 3, input_size: int = 28, weights: str | None = None,
              min_size: int | None = None) -> nn.Module:
        return TorchvisionCNN(name, in_channels, num_classes, input_size, weights, min_size)
    build.__doc__ = f"torchvision {name} adapted to the data (see TorchvisionCNN)."
    return build
