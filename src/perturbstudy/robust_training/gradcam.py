"""Grad-CAM (Selvaraju et al., eqs. 19-20) with the `grad-cam` package, and the figure grid of the paper's Fig. 4."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..models.mnist_cnns import LeNet5
from ..runtime import eval_mode


def gradcam_layer(model: nn.Module) -> nn.Module:
    """The documented Grad-CAM target layer of a registered model."""
    if hasattr(model, "gradcam_layer"):
        return model.gradcam_layer()
    if isinstance(model, LeNet5):
        return model.features[3]
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError(f"{type(model).__name__} has no convolution for Grad-CAM")
    return convs[-1]


def gradcam_maps(model: nn.Module, images: torch.Tensor, targets: torch.Tensor, batch_size: int = 64) -> np.ndarray:
    """Grad-CAM heat maps in [0, 1] at input resolution, [N, H, W], for class `targets` (eval mode)."""
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    device = next(model.parameters()).device
    out = []
    with eval_mode(model), GradCAM(model=model, target_layers=[gradcam_layer(model)]) as cam:
        for i in range(0, images.shape[0], batch_size):
            xb = images[i:i + batch_size].to(device)
            tb = [ClassifierOutputTarget(int(t)) for t in targets[i:i + batch_size]]
            out.append(cam(input_tensor=xb, targets=tb))
    return np.concatenate(out) if out else np.zeros((0, *images.shape[-2:]))


def pick_images(labels: torch.Tensor, correct: torch.Tensor, per_class: int, num_classes: int) -> torch.Tensor:
    """The first `per_class` indices of each class among `correct` (a boolean mask), class by class."""
    chosen = []
    for c in range(num_classes):
        idx = torch.nonzero((labels == c) & correct).flatten()[:per_class]
        chosen.append(idx)
    return torch.cat(chosen)


def gradcam_figure(images: torch.Tensor, labels: torch.Tensor, maps: dict[str, np.ndarray],
                   class_names: tuple[str, ...], title: str):
    """Grid: first row the images, then one row of Grad-CAM overlays per method (matplotlib Figure)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = images.shape[0]
    rows = 1 + len(maps)
    fig, axes = plt.subplots(rows, max(n, 1), figsize=(1.4 * max(n, 1) + 1.2, 1.5 * rows + 0.6), squeeze=False)
    pics = images.permute(0, 2, 3, 1).numpy()
    if pics.shape[-1] == 1:
        pics = np.repeat(pics, 3, axis=-1)
    for j in range(n):
        axes[0, j].imshow(pics[j])
        axes[0, j].set_title(class_names[int(labels[j])][:14], fontsize=7)
        for r, m in enumerate(maps.values(), start=1):
            axes[r, j].imshow(pics[j])
            axes[r, j].imshow(m[j], cmap="jet", alpha=0.5, vmin=0, vmax=1)
    for r, method in enumerate(["image", *maps]):
        axes[r, 0].set_ylabel(method, fontsize=9)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
