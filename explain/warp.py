"""Why non-linearity: one small layer h = f(W·x + b) warps the plane.

The course notes describe a layer as five operations on the input space: 升维/降维 (change the
dimension), 放大/缩小 (scale), 旋转 (rotate), 平移 (shift) and 弯曲 (bend). W·x + b does the first
four; only the activation f bends. Here

* 2-D: W = s·R(θ) with R(θ) = [[cos θ, −sin θ], [sin θ, cos θ]], b = (b₁, b₂);
* lifted to 3-D: the rows of W are s·(cos φₖ, sin φₖ) with φₖ = θ + k·120°, k = 0, 1, 2, b = (b₁, b₂, b₃).

Without f, two stacked layers are one linear map:
W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂).

How well a line (plane) separates two classes is measured with a least-squares linear classifier:
minimise ‖[h, 1]·w − t‖² with targets t = ±1, predict sign([h, 1]·w).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from explain.activations import function

Dataset = Literal["rings", "xor"]


@dataclass(frozen=True)
class Points:
    xy: np.ndarray  # [N, 2]
    label: np.ndarray  # [N] in {0, 1}


def make_points(kind: Dataset = "rings", n: int = 120, seed: int = 0) -> Points:
    """Two classes no line can separate: concentric rings (r = 0.5 and 1.5) or XOR's four clusters."""
    rng = np.random.default_rng(seed)
    if kind == "rings":
        ang = rng.uniform(0, 2 * math.pi, 2 * n)
        r = np.r_[np.full(n, 0.5), np.full(n, 1.5)] + rng.normal(0, 0.08, 2 * n)
        xy = np.c_[r * np.cos(ang), r * np.sin(ang)]
    elif kind == "xor":
        centers = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], dtype=float)
        idx = np.repeat(np.arange(4), math.ceil(2 * n / 4))[: 2 * n]
        xy = centers[idx] * 0.9 + rng.normal(0, 0.25, (2 * n, 2))
        label = (idx >= 2).astype(np.int64)
        return Points(xy.astype(np.float32), label)
    else:
        raise ValueError(f"unknown data set {kind!r}")
    label = np.r_[np.zeros(n), np.ones(n)].astype(np.int64)
    return Points(xy.astype(np.float32), label)


def grid_lines(extent: float = 2.0, n_lines: int = 9, samples: int = 32) -> np.ndarray:
    """Horizontal and vertical lines of a square grid: [2·n_lines, samples, 2]."""
    ticks = np.linspace(-extent, extent, n_lines)
    s = np.linspace(-extent, extent, samples)
    horiz = np.stack([np.stack([s, np.full_like(s, v)], 1) for v in ticks])
    vert = np.stack([np.stack([np.full_like(s, v), s], 1) for v in ticks])
    return np.concatenate([horiz, vert]).astype(np.float32)


def layer_matrix(angle_deg: float, scale: float, lift: bool) -> np.ndarray:
    """W: s·R(θ) (2x2), or three rows s·(cos φₖ, sin φₖ), φₖ = θ + k·120° (3x2)."""
    th = math.radians(angle_deg)
    if not lift:
        return (scale * np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])).astype(np.float32)
    phis = [th + k * 2 * math.pi / 3 for k in range(3)]
    return (scale * np.array([[math.cos(p), math.sin(p)] for p in phis])).astype(np.float32)


def affine(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """W·x + b for every row x of ``x`` ([..., in] → [..., out])."""
    return (np.asarray(x, dtype=np.float64) @ np.asarray(w, dtype=np.float64).T + np.asarray(b)).astype(np.float32)


def activate(h: np.ndarray, name: str | None) -> np.ndarray:
    """f(h) element-wise with torch's own function (``None``: no activation, h unchanged)."""
    if name is None:
        return np.asarray(h, dtype=np.float32)
    with torch.no_grad():
        return function(name)(torch.as_tensor(np.asarray(h, dtype=np.float32))).numpy()


def linear_separability(h: np.ndarray, label: np.ndarray) -> float:
    """Accuracy of the least-squares linear classifier sign([h, 1]·w) on (h, label)."""
    a = np.c_[np.asarray(h, dtype=np.float64), np.ones(len(h))]
    t = np.where(label == 1, 1.0, -1.0)
    w, *_ = np.linalg.lstsq(a, t, rcond=None)
    return float(((a @ w > 0) == (label == 1)).mean())


@dataclass(frozen=True)
class Warp:
    """The points and grid through one layer: linear part, then the activation."""

    w: np.ndarray
    b: np.ndarray
    activation: str | None
    points: Points
    lines: np.ndarray  # [L, S, 2] the input grid
    points_linear: np.ndarray  # W·x + b, [N, d]
    points_out: np.ndarray  # f(W·x + b)
    lines_linear: np.ndarray  # [L, S, d]
    lines_out: np.ndarray
    acc_input: float  # linear separability of the raw points
    acc_linear: float
    acc_out: float


def warp(points: Points, w: np.ndarray, b: np.ndarray, activation: str | None,
         lines: np.ndarray | None = None) -> Warp:
    lines = grid_lines() if lines is None else lines
    pl = affine(points.xy, w, b)
    ll = affine(lines, w, b)
    po, lo = activate(pl, activation), activate(ll, activation)
    return Warp(np.asarray(w), np.asarray(b), activation, points, lines, pl, po, ll, lo,
                linear_separability(points.xy, points.label), linear_separability(pl, points.label),
                linear_separability(po, points.label))


@dataclass(frozen=True)
class StackedLinear:
    """Two linear layers computed in two steps and as the one product map."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    w: np.ndarray  # W₂W₁
    b: np.ndarray  # W₂b₁ + b₂
    x: np.ndarray  # [N, in]
    two_steps: np.ndarray  # W₂(W₁x + b₁) + b₂
    one_step: np.ndarray  # (W₂W₁)x + (W₂b₁ + b₂)
    max_diff: float
    fit_residual_linear: float  # RMS error of the best affine fit to the two-step output (≈ 0)
    fit_residual_activated: float  # the same with f between the layers (> 0: no single linear map)


def second_layer(dims: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed second layer of the stacking demo: W₂ [2, dims], b₂ [2]."""
    w2 = np.array([[0.5, -1.0, 0.3], [0.8, 0.2, -0.6]], dtype=np.float32)[:, :dims]
    return w2, np.array([0.1, -0.2], dtype=np.float32)


def stacked_linear(w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray, x: np.ndarray,
                   activation: str | None = "relu") -> StackedLinear:
    w1, b1, w2, b2, x = (np.asarray(a, dtype=np.float64) for a in (w1, b1, w2, b2, x))
    two = (x @ w1.T + b1) @ w2.T + b2
    w, b = w2 @ w1, w2 @ b1 + b2
    one = x @ w.T + b
    with_act = activate(x @ w1.T + b1, activation).astype(np.float64) @ w2.T + b2
    return StackedLinear(w1, b1, w2, b2, w, b, x, two, one, float(np.abs(two - one).max()),
                         _affine_fit_rms(x, two), _affine_fit_rms(x, with_act))


def _affine_fit_rms(x: np.ndarray, y: np.ndarray) -> float:
    a = np.c_[x, np.ones(len(x))]
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    return float(np.sqrt(((a @ coef - y) ** 2).mean()))


@dataclass(frozen=True)
class ScaledSigmoid:
    """The notes' example: y = a·x (linear) and y' = sigmoid(a·x)."""

    a: float
    x: np.ndarray
    linear: np.ndarray
    activated: np.ndarray
    x0: float  # the marked point
    linear_at: float  # a·x0
    activated_at: float  # sigmoid(a·x0)


def scaled_sigmoid(a: float = 2.0, x0: float = 1.0, lo: float = -4.0, hi: float = 4.0, n: int = 161
                   ) -> ScaledSigmoid:
    x = np.linspace(lo, hi, n, dtype=np.float32)
    at = activate(np.array([a * x0], dtype=np.float32), "sigmoid")
    return ScaledSigmoid(a, x, (a * x).astype(np.float32), activate(a * x, "sigmoid"), float(x0), float(a * x0),
                         float(at[0]))
