"""Derivative, differential, partial derivatives and gradient descent on a two-variable loss surface.

* Derivative = rate of change (导数表示变化率): f'(w) = lim_{h→0} (f(w+h) − f(w)) / h.
* Differential = amount of change (微分表示变化量): df = f'(w)·dw, and for two variables
  df = ∂f/∂w₁·dw₁ + ∂f/∂w₂·dw₂ ≈ Δf = f(w + dw) − f(w), with an error of order ‖dw‖².
* The gradient ∇f = (∂f/∂w₁, ∂f/∂w₂) holds every partial derivative; it points where the directional
  derivative is largest, so gradient descent steps against it: w ← w − η·∇f(w).
* On a quadratic with curvatures λ, each step multiplies the coordinate along λ by (1 − ηλ): descent
  diverges for η > 2/λ_max.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

SurfaceKey = Literal["bowl", "valley"]
Verdict = Literal["blew_up", "diverged", "crawl", "ok"]


@dataclass(frozen=True)
class Surface:
    """f(w1, w2) on float64 tensors, with the region to draw."""

    key: SurfaceKey
    formula: str
    fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    w1_range: tuple[float, float]
    w2_range: tuple[float, float]
    hessian_eigs: tuple[float, ...] | None = None  # for a quadratic: the curvatures λ


BOWL_LAMBDAS = (1.0, 8.0)


def _bowl(w1: torch.Tensor, w2: torch.Tensor) -> torch.Tensor:
    a, b = BOWL_LAMBDAS
    return 0.5 * (a * w1 ** 2 + b * w2 ** 2)


def _valley(w1: torch.Tensor, w2: torch.Tensor) -> torch.Tensor:
    return (1 - w1) ** 2 + 5 * (w2 - w1 ** 2) ** 2


SURFACES: dict[str, Surface] = {
    "bowl": Surface("bowl", "f(w₁, w₂) = ½(w₁² + 8·w₂²)", _bowl, (-3.0, 3.0), (-3.0, 3.0), BOWL_LAMBDAS),
    "valley": Surface("valley", "f(w₁, w₂) = (1 − w₁)² + 5·(w₂ − w₁²)²", _valley, (-2.0, 2.0), (-1.0, 3.0)),
}


def critical_lr(surface: Surface) -> float | None:
    """2 / λ_max: above it gradient descent diverges on a quadratic (|1 − ηλ| > 1); None if not quadratic."""
    return None if surface.hessian_eigs is None else 2.0 / max(surface.hessian_eigs)


def value_at(surface: Surface, w1: float, w2: float) -> float:
    return float(surface.fn(torch.tensor(w1, dtype=torch.float64), torch.tensor(w2, dtype=torch.float64)))


def gradient_at(surface: Surface, w1: float, w2: float) -> tuple[float, float]:
    """(∂f/∂w1, ∂f/∂w2) at a point, from torch.autograd."""
    a = torch.tensor(w1, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(w2, dtype=torch.float64, requires_grad=True)
    with torch.inference_mode(False), torch.enable_grad():
        g1, g2 = torch.autograd.grad(surface.fn(a, b), [a, b])
    return float(g1), float(g2)


@dataclass(frozen=True)
class SurfaceGrid:
    w1: np.ndarray  # [n]
    w2: np.ndarray  # [m]
    f: np.ndarray  # [m, n]: f[j, i] = f(w1[i], w2[j])


def surface_grid(surface: Surface, n: int = 61) -> SurfaceGrid:
    w1 = np.linspace(*surface.w1_range, n)
    w2 = np.linspace(*surface.w2_range, n)
    g2, g1 = np.meshgrid(w2, w1, indexing="ij")
    with torch.no_grad():
        f = surface.fn(torch.from_numpy(g1), torch.from_numpy(g2)).numpy()
    return SurfaceGrid(w1, w2, f)


@dataclass(frozen=True)
class Differential:
    """At w: the partial derivatives (rates), the differential df (predicted amount) and the real Δf."""

    point: tuple[float, float]
    dw: tuple[float, float]
    value: float
    partials: tuple[float, float]  # ∂f/∂w1, ∂f/∂w2
    df: float  # ∂f/∂w1·dw1 + ∂f/∂w2·dw2
    delta: float  # f(w + dw) − f(w)

    @property
    def gradient_norm(self) -> float:
        """‖∇f‖: the largest directional derivative, reached along ∇f / ‖∇f‖."""
        return math.hypot(*self.partials)


def differential(surface: Surface, point: tuple[float, float], dw: tuple[float, float]) -> Differential:
    """df = ∂f/∂w1·dw1 + ∂f/∂w2·dw2 next to the actual change Δf = f(w + dw) − f(w)."""
    p = gradient_at(surface, *point)
    f0 = value_at(surface, *point)
    f1 = value_at(surface, point[0] + dw[0], point[1] + dw[1])
    return Differential(point, dw, f0, p, p[0] * dw[0] + p[1] * dw[1], f1 - f0)


@dataclass(frozen=True)
class DescentPath:
    """Gradient descent w_{k+1} = w_k − η·∇f(w_k) from a start point."""

    lr: float
    points: np.ndarray  # [k+1, 2], w_0 … w_k (stops early once it has blown up)
    losses: np.ndarray  # [k+1]
    blew_up: bool  # the iterate left every reasonable range (|w| > 1e6 or not finite) and was stopped

    @property
    def diverged(self) -> bool:
        """It blew up, or the loss ended higher than it started."""
        return self.blew_up or bool(self.losses[-1] > self.losses[0])

    @property
    def verdict(self) -> Verdict:
        """What the run did, first match wins: "blew_up" (stopped, see ``blew_up``); "diverged" (f_k > f_0);
        "crawl" (f_0 > 0 and f_k > f_0/2: less than half the loss gone, the learning rate is too small for
        the flat direction); "ok" (at least half of the loss gone)."""
        if self.blew_up:
            return "blew_up"
        if self.diverged:
            return "diverged"
        if self.losses[0] > 0 and self.losses[-1] > 0.5 * self.losses[0]:
            return "crawl"
        return "ok"


DIVERGE_AT = 1e6


def gradient_descent(surface: Surface, start: tuple[float, float], lr: float, steps: int) -> DescentPath:
    """Plain gradient descent with autograd gradients; stops as soon as the iterate blows up."""
    w = np.array(start, dtype=np.float64)
    points = [w.copy()]
    losses = [value_at(surface, *w)]
    blew_up = False
    for _ in range(int(steps)):
        g = np.array(gradient_at(surface, *w))
        w = w - lr * g
        if not np.all(np.isfinite(w)) or np.abs(w).max() > DIVERGE_AT:
            blew_up = True
            break
        points.append(w.copy())
        losses.append(value_at(surface, *w))
    return DescentPath(float(lr), np.array(points), np.array(losses), blew_up)
