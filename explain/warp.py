"""Why non-linearity: one small layer h = f(W·x + b) warps the plane.

The course notes describe a layer as five operations on the input space: 升维/降维 (change the
dimension), 放大/缩小 (scale), 旋转 (rotate), 平移 (shift) and 弯曲 (bend). W·x + b does the first
four; only the activation f bends. Here

* 2-D: W = s·R(θ) with R(θ) = [[cos θ, −sin θ], [sin θ, cos θ]], b = (b₁, b₂);
* lifted to 3-D: the rows of W are s·(cos φₖ, sin φₖ) with φₖ = θ + k·120°, k = 0, 1, 2, b = (b₁, b₂, b₃).

Without f, two stacked layers are one linear map:
W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂).

How well a straight cut separates two classes is the accuracy of the best linear split: the largest share of
points that one line (2-D) or plane (3-D) n·h = c puts on the correct side. It is searched, not fitted: for each
unit normal n of a fine grid (0.25° steps on the half circle, then a finer fan around the 8 best; in 3-D a
Fibonacci half-sphere of 600 normals, then two rounds of finer caps around the 8 best) the points are sorted by
n·h and every threshold c between two different values is tried, in both orientations. A search over a grid is a
lower bound of the true optimum; on 40 random settings of the demo it was within 1 point (of 240) of a search over
40,000 normals, and exact on small 2-D sets (tests/test_explanations.py). The normal of the least-squares
classifier (minimise ‖[h, 1]·w − t‖², t = ±1) is always among the candidates, so the search never reports less
than that fit; the fit alone can report far less (54% where a line reaches 70% on the two rings).
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


def least_squares_split(h: np.ndarray, label: np.ndarray) -> float:
    """Accuracy of the least-squares linear classifier sign([h, 1]·w) on (h, label) (a fit, not the best line)."""
    a = np.c_[np.asarray(h, dtype=np.float64), np.ones(len(h))]
    t = np.where(np.asarray(label) == 1, 1.0, -1.0)
    w, *_ = np.linalg.lstsq(a, t, rcond=None)
    return float(((a @ w > 0) == (np.asarray(label) == 1)).mean())


CIRCLE_STEPS = 720  # 2-D: normals every 0.25° on the half circle (n and −n give the same line) …
CIRCLE_REFINE = 16  # … and 16 more between the neighbours of each of the best few
SPHERE_POINTS = 600  # 3-D: normals on the half sphere, then finer caps around the best few, twice
CAP_POINTS = 60  # normals per cap
REFINE_TOP = 8  # how many of the best normals get a finer neighbourhood


@dataclass(frozen=True)
class LinearSplit:
    """The best straight cut found: points with n·h > threshold are called ``positive`` (the other class below)."""

    accuracy: float  # share of points on their class's side
    normal: np.ndarray  # unit vector n, [d]
    threshold: float
    positive: int  # the class on the side n·h > threshold
    candidates: int  # how many normals were tried


def _half_sphere(n: int) -> np.ndarray:
    """``n`` nearly uniform unit vectors with z > 0 (a Fibonacci lattice), [n, 3]."""
    k = np.arange(n) + 0.5
    z = k / n
    r = np.sqrt(1 - z ** 2)
    phi = k * math.pi * (3 - math.sqrt(5))
    return np.c_[r * np.cos(phi), r * np.sin(phi), z]


def _cap(center: np.ndarray, radius: float, n: int) -> np.ndarray:
    """``n`` unit vectors within ``radius`` radians of ``center`` (a Fibonacci disc bent onto the sphere)."""
    k = np.arange(n) + 0.5
    rho = radius * np.sqrt(k / n)
    phi = k * math.pi * (3 - math.sqrt(5))
    e1 = np.cross(center, np.eye(3)[int(np.argmin(np.abs(center)))])  # any direction ⟂ centre
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(center, e1)
    v = np.cos(rho)[:, None] * center + np.sin(rho)[:, None] * (np.cos(phi)[:, None] * e1 + np.sin(phi)[:, None] * e2)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _sweep(h: np.ndarray, y: np.ndarray, normals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every normal n: the most points one threshold on n·h classifies right (either class above), and after
    how many of the sorted projections that cut falls (0 … N). Cuts fall only between two different values."""
    n = len(y)
    proj = normals @ h.T  # [D, N]
    order = np.argsort(proj, axis=1)
    sorted_proj = np.take_along_axis(proj, order, 1)
    small = np.int16 if n < 2 ** 14 else np.int64
    ones = np.cumsum(y.astype(small)[order], axis=1, dtype=small)  # class-1 points among the lowest k = 1 … N
    up = np.arange(1, n + 1, dtype=small) - 2 * ones + int(y.sum())  # right with class 0 below, class 1 above
    best = np.maximum(up, n - up)
    best[:, :-1][sorted_proj[:, 1:] <= sorted_proj[:, :-1]] = -1  # no cut between equal values
    cut = best.argmax(1)
    score = best[np.arange(len(normals)), cut].astype(np.int64)
    everything = max(int(y.sum()), n - int(y.sum()))  # no cut at all: every point called the larger class
    return np.where(score >= everything, score, everything), np.where(score >= everything, cut + 1, 0)


def _around(centers: np.ndarray, radius: float) -> np.ndarray:
    """Finer normals near each of ``centers``: a fan of angles within ±radius in 2-D, a cap in 3-D."""
    if centers.shape[1] == 2:
        fan = np.linspace(-radius, radius, CIRCLE_REFINE + 2)[1:-1]
        ang = (np.arctan2(centers[:, 1], centers[:, 0])[:, None] + fan).ravel()
        return np.c_[np.cos(ang), np.sin(ang)]
    return np.concatenate([_cap(c, radius, CAP_POINTS) for c in centers])


def best_linear_split(h: np.ndarray, label: np.ndarray) -> LinearSplit:
    """The best line (2-D) or plane (3-D) split of two classes found by the deterministic search of the module
    docstring (never worse than the least-squares classifier); 1-D data are cut at the best threshold."""
    h = np.asarray(h, dtype=np.float64)
    y = (np.asarray(label) == 1).astype(np.int64)
    if h.ndim != 2 or len(h) != len(y) or len(y) == 0:
        raise ValueError("best_linear_split needs points [N, d] and one label per point")
    d = h.shape[1]
    if d == 1:
        normals, radii = np.ones((1, 1)), []
    elif d == 2:
        a = np.arange(CIRCLE_STEPS) * (math.pi / CIRCLE_STEPS)
        normals, radii = np.c_[np.cos(a), np.sin(a)], [math.pi / CIRCLE_STEPS]
    elif d == 3:
        spacing = math.sqrt(2 * math.pi / SPHERE_POINTS)
        normals, radii = np.r_[_half_sphere(SPHERE_POINTS), np.eye(3)], [1.5 * spacing, 0.5 * spacing]
    else:
        raise ValueError(f"best_linear_split searches lines and planes (2-D, 3-D), not {d}-D points")
    w, *_ = np.linalg.lstsq(np.c_[h, np.ones(len(h))], np.where(y == 1, 1.0, -1.0), rcond=None)
    if np.linalg.norm(w[:d]) > 0:  # the least-squares classifier's own normal is always a candidate
        normals = np.r_[normals, (w[:d] / np.linalg.norm(w[:d]))[None]]
    score, cut = _sweep(h, y, normals)
    tried = [(normals, score, cut)]
    for radius in radii:  # finer normals around the best ones so far
        normals = _around(normals[np.argsort(-score, kind="stable")[:REFINE_TOP]], radius)
        score, cut = _sweep(h, y, normals)
        tried.append((normals, score, cut))
    normals, score, cut = (np.concatenate(parts) for parts in zip(*tried, strict=True))
    i = int(np.argmax(score))  # the first of the best: deterministic
    proj = h @ normals[i]
    ordered = np.sort(proj)
    k = int(cut[i])
    lo = ordered[k - 1] if k > 0 else ordered[0] - 1.0
    hi = ordered[k] if k < len(ordered) else ordered[-1] + 1.0
    threshold = float((lo + hi) / 2)
    above = proj > threshold
    ones_up = int((y[above] == 1).sum() + (y[~above] == 0).sum())  # right when class 1 is above the cut
    return LinearSplit(float(score[i]) / len(y), normals[i], threshold, int(2 * ones_up >= len(y)), len(normals))


def linear_separability(h: np.ndarray, label: np.ndarray) -> float:
    """Accuracy of the best linear split (:func:`best_linear_split`) of (h, label)."""
    return best_linear_split(h, label).accuracy


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
    acc_input: float  # accuracy of the best linear split of the raw points
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
