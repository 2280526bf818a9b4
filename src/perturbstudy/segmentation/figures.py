"""Pervin et al.'s Figs. 3-4: input, ground-truth mask, the inverse-FGSM image made for augmentation, and the
mask predicted by the model trained with that augmentation."""

from __future__ import annotations

from pathlib import Path

import torch

from ..artifacts import atomic_path


def augmentation_figure(images: torch.Tensor, masks: torch.Tensor, augmented: torch.Tensor,
                        predicted: torch.Tensor, path: str | Path, augmented_title: str = "InvFGSM image",
                        predicted_title: str = "predicted (U-Net + InvFGSM)") -> None:
    """One row per image: (a) input, (b) ground truth, (c) augmentation image, (d) predicted mask."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    titles = ["(a) input", "(b) ground truth", f"(c) {augmented_title}", f"(d) {predicted_title}"]
    n = images.shape[0]
    fig, axes = plt.subplots(n, 4, figsize=(8, 2 * n), squeeze=False)
    for i in range(n):
        for j, t in enumerate((images[i], masks[i], augmented[i], predicted[i])):
            ax = axes[i, j]
            picture = t.permute(1, 2, 0).squeeze(-1).numpy()
            ax.imshow(picture, cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(titles[j], fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
