"""Model architectures of the CNN Lens family.

TinyVGG (after CNN Explainer): two blocks of conv3x3 → act → conv3x3 → act → maxpool2x2, then
flatten and one linear layer to the classes. With padding 1 a 3x3 conv keeps the size,
out = ⌊(n + 2p − k)/s⌋ + 1 = ⌊(28 + 2 − 3)/1⌋ + 1 = 28, and each 2x2 max pool halves it: 28 → 14 → 7.
No batch norm, so the activation function's own effect (vanishing gradients with sigmoid) stays visible.

MLP: the "traditional network" of the course notes: every pixel is one input, treated alike.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

ACTIVATIONS: tuple[str, ...] = ("relu", "sigmoid", "tanh", "elu", "prelu")


def make_activation(name: str, channels: int) -> nn.Module:
    """A fresh activation module; PReLU learns one slope a per channel: f(x) = max(0, x) + a·min(0, x)."""
    if name == "relu":
        return nn.ReLU()
    if name == "sigmoid":
        return nn.Sigmoid()
    if name == "tanh":
        return nn.Tanh()
    if name == "elu":
        return nn.ELU()
    if name == "prelu":
        return nn.PReLU(num_parameters=channels, init=0.25)
    raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")


class TinyVGG(nn.Module):
    """Two conv blocks and a linear classifier for 1x28x28 images.

    Layer names read well in the UI: ``block1.conv1``, ``block1.act1``, …, ``block2.pool``,
    ``flatten``, ``classifier``.
    """

    def __init__(
        self,
        activation: str = "relu",
        channels: tuple[int, int] = (16, 32),
        num_classes: int = 10,
        in_channels: int = 1,
        image_size: int = 28,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.activation = activation
        c1, c2 = channels
        self.block1 = _block(in_channels, c1, activation)
        self.block2 = _block(c1, c2, activation)
        self.flatten = nn.Flatten()
        # Registered only when used, so the trained family has no do-nothing layer in its table.
        self.dropout: nn.Module | None = nn.Dropout(dropout) if dropout > 0 else None
        side = image_size // 4
        self.classifier = nn.Linear(c2 * side * side, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.flatten(self.block2(self.block1(x)))
        if self.dropout is not None:
            h = self.dropout(h)
        return self.classifier(h)


def _block(cin: int, cout: int, activation: str) -> nn.Sequential:
    layers: dict[str, nn.Module] = {
        "conv1": nn.Conv2d(cin, cout, kernel_size=3, padding=1),
        "act1": make_activation(activation, cout),
        "conv2": nn.Conv2d(cout, cout, kernel_size=3, padding=1),
        "act2": make_activation(activation, cout),
        "pool": nn.MaxPool2d(kernel_size=2, stride=2),
    }
    return nn.Sequential(OrderedDict(layers))


class MLP(nn.Module):
    """Fully connected baseline: flatten 784 pixels → hidden → act → hidden → act → 10 classes."""

    def __init__(self, hidden: tuple[int, int] = (256, 128), num_classes: int = 10,
                 activation: str = "relu", image_size: int = 28) -> None:
        super().__init__()
        self.activation = activation
        h1, h2 = hidden
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(image_size * image_size, h1)
        self.act1 = make_activation(activation, h1)
        self.fc2 = nn.Linear(h1, h2)
        self.act2 = make_activation(activation, h2)
        self.classifier = nn.Linear(h2, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.act2(self.fc2(self.act1(self.fc1(self.flatten(x))))))
