"""The study's CNNs for 28x28 digits: LeNet-5 (pads 28 to 32) and AlexNet-8 adapted to 28x28."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al. 1998): the 28x28 input is zero-padded to 32x32 as in the paper.

    C1 6@5x5, S2, C3 16@5x5, S4, C5 120, F6 84, output. ReLU and max pooling (the modern
    reading of the architecture; see config/README.md).
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, input_size: int = 28) -> None:
        super().__init__()
        self.pad = max(0, (32 - input_size) // 2)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        )
        side = ((input_size + 2 * self.pad - 4) // 2 - 4) // 2
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * side * side, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad:
            x = F.pad(x, (self.pad,) * 4)
        return self.classifier(self.features(x))


class AlexNet8(nn.Module):
    """AlexNet with 5 conv + 3 FC layers and torchvision's conv widths 64-192-384-256-256, for 28x28.

    Like AlexNet, the first convolution downsamples (5x5, stride 2: 28 -> 14) and max-pools
    follow conv1 and conv2 (14 -> 7 -> 3); conv3-5 are 3x3 at 3x3. Dropout 0.5 before the
    first two FC layers as in AlexNet; the FC width is configurable (default 1024).
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, input_size: int = 28,
                 fc_width: int = 1024) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 64, 5, stride=2, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(64, 192, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(inplace=True),
        )
        side = ((input_size + 1) // 2) // 4
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.5), nn.Linear(256 * side * side, fc_width), nn.ReLU(inplace=True),
            nn.Dropout(0.5), nn.Linear(fc_width, fc_width), nn.ReLU(inplace=True),
            nn.Linear(fc_width, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
