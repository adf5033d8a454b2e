"""Shift sensitivity: how a model's prediction changes when the image moves by a few pixels.

Shifting by (dy, dx) moves every pixel: out[i, j] = x[i − dy, j − dx] where that index lies inside the
image, and the background value b elsewhere (the pixels that enter from the border). For an image whose
border of width |dy|, |dx| is already background this equals ``torch.roll(x, (dy, dx), dims=(-2, -1))``.

A convolution is translation *equivariant*: conv(shift(x)) = shift(conv(x)) away from the borders, and
max pooling absorbs shifts smaller than its window; a fully connected layer has one weight per pixel
position, so a shifted object meets different weights. The functions here measure the consequence on the
class probabilities; they run plain forwards under ``torch.no_grad`` and never change the model.

Parameter counts: a fully connected first layer on an image flattened to n = C·H·W values with h hidden
units needs n·h + h parameters (784·h for Fashion-MNIST, 150,528·h for a 224x224 RGB photo); a convolution
needs out·(in/groups)·kh·kw (+ out biases) whatever the image size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from models import data as fmnist

#: The value of a black (0) pixel after normalization: Fashion-MNIST's background.
BACKGROUND = (0.0 - fmnist.MEAN) / fmnist.STD
#: (dy, dx) unit steps of the four directions.
DIRECTIONS: dict[str, tuple[int, int]] = {"right": (0, 1), "left": (0, -1), "down": (1, 0), "up": (-1, 0)}


def shift_image(x: torch.Tensor, dy: int, dx: int, fill: float = BACKGROUND) -> torch.Tensor:
    """``x`` ([..., H, W]) moved down by ``dy`` and right by ``dx`` pixels; uncovered pixels get ``fill``."""
    h, w = x.shape[-2:]
    out = torch.full_like(x, fill)
    if abs(dy) >= h or abs(dx) >= w:
        return out
    src_y = slice(max(0, -dy), h - max(0, dy))
    dst_y = slice(max(0, dy), h - max(0, -dy))
    src_x = slice(max(0, -dx), w - max(0, dx))
    dst_x = slice(max(0, dx), w - max(0, -dx))
    out[..., dst_y, dst_x] = x[..., src_y, src_x]
    return out


@dataclass(frozen=True)
class ShiftResult:
    """One image shifted by 0..max pixels in each direction.

    ``prob[d][s]`` is the probability of the class predicted for the unshifted image after shifting by
    ``shifts[s]`` pixels in direction ``directions[d]``; ``pred[d][s]`` the class predicted then.
    """

    original_class: int
    original_prob: float
    shifts: tuple[int, ...]
    directions: tuple[str, ...]
    prob: tuple[tuple[float, ...], ...]
    pred: tuple[tuple[int, ...], ...]

    @property
    def flipped(self) -> tuple[tuple[bool, ...], ...]:
        """Whether the prediction changed, per direction and shift."""
        return tuple(tuple(p != self.original_class for p in row) for row in self.pred)

    def mean_prob(self) -> tuple[float, ...]:
        """The original class's probability per shift, averaged over the directions."""
        return tuple(sum(row[s] for row in self.prob) / len(self.prob) for s in range(len(self.shifts)))


def _probs(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return torch.softmax(model(x), dim=1)


def shift_sensitivity(model: nn.Module, x: torch.Tensor, max_shift: int = 4,
                      directions: tuple[str, ...] = tuple(DIRECTIONS)) -> ShiftResult:
    """Shift one image ``x`` ([1, 1, H, W] or [1, H, W]) by 0..``max_shift`` pixels in each direction.

    All shifted copies go through the model as one batch.
    """
    if x.dim() == 3:
        x = x.unsqueeze(0)
    shifts = tuple(range(max_shift + 1))
    batch = torch.cat([shift_image(x, DIRECTIONS[d][0] * s, DIRECTIONS[d][1] * s)
                       for d in directions for s in shifts])
    p = _probs(model, batch).reshape(len(directions), len(shifts), -1)
    c = int(p[0, 0].argmax())
    return ShiftResult(
        original_class=c, original_prob=float(p[0, 0, c]), shifts=shifts, directions=tuple(directions),
        prob=tuple(tuple(float(v) for v in row[:, c]) for row in p),
        pred=tuple(tuple(int(v) for v in row.argmax(-1)) for row in p),
    )


@dataclass(frozen=True)
class ShiftAccuracy:
    """Accuracy over a labelled batch per shift (averaged over the directions), and how many flip."""

    shifts: tuple[int, ...]
    accuracy: tuple[float, ...]
    flip_rate: tuple[float, ...]  # fraction of images whose prediction differs from the unshifted one
    n_images: int


def accuracy_vs_shift(model: nn.Module, x: torch.Tensor, y: torch.Tensor, max_shift: int = 4,
                      directions: tuple[str, ...] = ("right", "down")) -> ShiftAccuracy:
    """acc(s) = mean over images and directions of [argmax f(shift(x, s·d)) = y]."""
    base = _probs(model, x).argmax(1)
    acc, flips = [float((base == y).float().mean())], [0.0]
    for s in range(1, max_shift + 1):
        a = f = 0.0
        for d in directions:
            dy, dx = DIRECTIONS[d]
            pred = _probs(model, shift_image(x, dy * s, dx * s)).argmax(1)
            a += float((pred == y).float().mean())
            f += float((pred != base).float().mean())
        acc.append(a / len(directions))
        flips.append(f / len(directions))
    return ShiftAccuracy(tuple(range(max_shift + 1)), tuple(acc), tuple(flips), len(y))


def first_layer_weights(model: nn.Module) -> tuple[str, torch.Tensor]:
    """(name, weights) of the first layer with weights: a conv's kernels [C, kh, kw] (first input channel)
    or a linear layer's rows reshaped to the image, [units, 28, 28] (one template per hidden unit)."""
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            return name, m.weight.detach()[:, 0].clone()
        if isinstance(m, nn.Linear):
            w = m.weight.detach()
            side = int(round(w.shape[1] ** 0.5))
            if side * side != w.shape[1]:
                raise ValueError(f"{name} takes {w.shape[1]} inputs, not a square image")
            return name, w.reshape(-1, side, side).clone()
    raise ValueError("the model has no convolution or linear layer")


@dataclass(frozen=True)
class ParamComparison:
    """How many weights a fully connected first layer would need on an input, next to a CNN's real counts."""

    input_shape: tuple[int, ...]  # [C, H, W] of one image
    inputs: int  # C·H·W: the length of the flattened image
    hidden: int  # units of the plain network's first layer
    mlp_first: int  # inputs·hidden + hidden (weights + biases)
    conv_name: str  # the CNN's first convolution
    conv_weight_shape: tuple[int, ...]  # [out, in/groups, kh, kw]
    conv_first: int  # its weights + biases
    total: int  # every parameter of the CNN

    @property
    def ratio(self) -> float:
        """mlp_first / total: how many whole CNNs fit in the plain network's first layer alone."""
        return self.mlp_first / self.total if self.total else float("inf")


def param_comparison(model: nn.Module, input_shape: tuple[int, ...], hidden: int) -> ParamComparison:
    """A plain network's first layer on a flattened ``input_shape`` image ((C·H·W)·hidden + hidden parameters)
    against ``model``'s first Conv2d and its total parameter count (counted from the model, not a card)."""
    inputs = math.prod(int(v) for v in input_shape)
    conv = next(((n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)), None)
    if conv is None:
        raise ValueError("the model has no convolution")
    name, m = conv
    first = sum(p.numel() for p in m.parameters(recurse=False))
    total = sum(p.numel() for p in model.parameters())
    return ParamComparison(tuple(int(v) for v in input_shape), inputs, int(hidden), inputs * hidden + hidden, name,
                           tuple(m.weight.shape), first, total)
