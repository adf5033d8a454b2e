"""Backpropagation with real numbers: the chain rule, why ``backward()`` needs a scalar, a finite-difference
check on the real model, and derivatives / gradients / gradient descent on a two-variable loss surface.

* Derivative = rate of change (导数表示变化率): f'(w) = lim_{h→0} (f(w+h) − f(w)) / h.
* Differential = amount of change (微分表示变化量): df = f'(w)·dw, and for two variables
  df = ∂f/∂w₁·dw₁ + ∂f/∂w₂·dw₂ ≈ Δf = f(w + dw) − f(w), with an error of order ‖dw‖².
* The gradient ∇f = (∂f/∂w₁, ∂f/∂w₂) holds every partial derivative; it points where the directional
  derivative is largest, so gradient descent steps against it: w ← w − η·∇f(w).
* Chain rule: for x → z₁ = w₁x + b₁ → h = σ(z₁) → y = w₂h + b₂ → L = (y − t)²,
  ∂L/∂w₁ = ∂L/∂y · ∂y/∂h · ∂h/∂z₁ · ∂z₁/∂w₁ = 2(y − t) · w₂ · σ(z₁)(1 − σ(z₁)) · x.

Every function here works on its own tensors or on a deep copy of a model: the caller's model is never
changed (no hooks, no ``.grad``, no train/eval switch, no weight edit).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explain import kinds, pooling, window
from explain.hooks import model_lock
from explain.trace import LossKind, module_config

# --------------------------------------------------------------------------------------------------
# The chain rule on a tiny network
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TinyNet:
    """The tiny network's input, weights and target: x → w1·x + b1 → sigmoid → w2·h + b2 → (y − t)²."""

    x: float = 1.5
    w1: float = 0.8
    b1: float = -0.5
    w2: float = 2.0
    b2: float = 0.1
    t: float = 1.0


@dataclass(frozen=True)
class ChainStep:
    """One product of the backward pass: ``name = upstream · local``, next to torch.autograd's value."""

    name: str  # "∂L/∂w1"
    upstream: str  # "∂L/∂z1" ("" for the first step)
    upstream_value: float
    local: str  # "∂z1/∂w1 = x"
    local_value: float
    value: float  # upstream_value · local_value, worked out by hand
    autograd: float | None  # the same derivative from torch.autograd (None for intermediate values)


@dataclass(frozen=True)
class ChainRule:
    """Forward values, local derivatives and their products along the chain, plus autograd's results."""

    net: TinyNet
    z1: float
    h: float
    y: float
    loss: float
    steps: tuple[ChainStep, ...]

    @property
    def grads(self) -> dict[str, float]:
        """Hand-computed ∂L/∂(x, w1, b1, w2, b2), keyed by the parameter name."""
        return {s.name.removeprefix("∂L/∂"): s.value for s in self.steps if s.autograd is not None}

    @property
    def autograd(self) -> dict[str, float]:
        return {s.name.removeprefix("∂L/∂"): float(s.autograd) for s in self.steps if s.autograd is not None}

    @property
    def max_abs_diff(self) -> float:
        """max |hand − autograd| over all parameters."""
        return max(abs(s.value - s.autograd) for s in self.steps if s.autograd is not None)


def _sigmoid(z: float) -> float:
    """σ(z) = 1 / (1 + e^{−z}), computed without overflow for large |z|."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def chain_rule(net: TinyNet) -> ChainRule:
    """Work the chain rule through the tiny network by hand (plain floats), then ask torch.autograd.

    Forward: z1 = w1·x + b1, h = σ(z1), y = w2·h + b2, L = (y − t)².
    Local derivatives: ∂L/∂y = 2(y − t), ∂y/∂w2 = h, ∂y/∂b2 = 1, ∂y/∂h = w2, ∂h/∂z1 = σ(z1)(1 − σ(z1)),
    ∂z1/∂w1 = x, ∂z1/∂b1 = 1, ∂z1/∂x = w1. Each gradient is the upstream gradient times the local one.
    """
    x, w1, b1, w2, b2, t = net.x, net.w1, net.b1, net.w2, net.b2, net.t
    z1 = w1 * x + b1
    h = _sigmoid(z1)
    y = w2 * h + b2
    loss = (y - t) ** 2
    d_y = 2.0 * (y - t)
    d_h = d_y * w2
    d_z1 = d_h * h * (1.0 - h)
    hand = {"w2": d_y * h, "b2": d_y * 1.0, "w1": d_z1 * x, "b1": d_z1 * 1.0, "x": d_z1 * w1}

    leaves = {k: torch.tensor(getattr(net, k), dtype=torch.float64, requires_grad=True)
              for k in ("x", "w1", "b1", "w2", "b2")}
    with torch.inference_mode(False), torch.enable_grad():
        z1_t = leaves["w1"] * leaves["x"] + leaves["b1"]
        y_t = leaves["w2"] * torch.sigmoid(z1_t) + leaves["b2"]
        loss_t = (y_t - t) ** 2
        auto = torch.autograd.grad(loss_t, list(leaves.values()))
    ag = {k: float(g) for k, g in zip(leaves, auto, strict=True)}

    steps = (
        ChainStep("∂L/∂y", "", 1.0, "∂L/∂y = 2(y − t)", d_y, d_y, None),
        ChainStep("∂L/∂w2", "∂L/∂y", d_y, "∂y/∂w2 = h", h, hand["w2"], ag["w2"]),
        ChainStep("∂L/∂b2", "∂L/∂y", d_y, "∂y/∂b2 = 1", 1.0, hand["b2"], ag["b2"]),
        ChainStep("∂L/∂h", "∂L/∂y", d_y, "∂y/∂h = w2", w2, d_h, None),
        ChainStep("∂L/∂z1", "∂L/∂h", d_h, "∂h/∂z1 = σ(z1)(1 − σ(z1))", h * (1.0 - h), d_z1, None),
        ChainStep("∂L/∂w1", "∂L/∂z1", d_z1, "∂z1/∂w1 = x", x, hand["w1"], ag["w1"]),
        ChainStep("∂L/∂b1", "∂L/∂z1", d_z1, "∂z1/∂b1 = 1", 1.0, hand["b1"], ag["b1"]),
        ChainStep("∂L/∂x", "∂L/∂z1", d_z1, "∂z1/∂x = w1", w1, hand["x"], ag["x"]),
    )
    return ChainRule(net, z1, h, y, loss, steps)


# --------------------------------------------------------------------------------------------------
# Why backward() needs a scalar
# --------------------------------------------------------------------------------------------------


class VectorInputError(ValueError):
    """A typed vector could not be read; ``code`` names the problem for the page's translated message."""

    def __init__(self, code: str, text: str = "") -> None:
        super().__init__(f"{code}: {text!r}")
        self.code = code
        self.text = text


MAX_VECTOR = 8


def parse_vector(text: str, *, length: int | None = None, min_length: int = 1) -> tuple[float, ...]:
    """"1, 2.5, -3" (commas and/or spaces) → (1.0, 2.5, −3.0); at most ``MAX_VECTOR`` finite numbers."""
    parts = [p for p in text.replace(",", " ").replace(";", " ").split() if p]
    if not parts:
        raise VectorInputError("empty", text)
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise VectorInputError("not_number", text) from None
    if not all(math.isfinite(v) for v in values):
        raise VectorInputError("not_finite", text)
    if len(values) > MAX_VECTOR:
        raise VectorInputError("too_long", text)
    if len(values) < min_length:
        raise VectorInputError("too_short", text)
    if length is not None and len(values) != length:
        raise VectorInputError("length", text)
    return values


@dataclass(frozen=True)
class ScalarDemo:
    """y = x² element-wise (a vector). backward() on y fails; on Σy, or with gradient=v, it works."""

    x: tuple[float, ...]
    y: tuple[float, ...]
    error: str  # the real RuntimeError message of y.backward()
    grad_sum: tuple[float, ...]  # x.grad after y.sum().backward():  ∂(Σ yᵢ)/∂xⱼ = 2xⱼ
    v: tuple[float, ...]
    grad_weighted: tuple[float, ...]  # torch.autograd.grad(y, x, grad_outputs=v):  vⱼ·2xⱼ = ∂(v·y)/∂xⱼ


def scalar_backward_demo(x: Sequence[float], v: Sequence[float] | None = None) -> ScalarDemo:
    """Call ``backward()`` on a vector for real, catch the error, then show the two fixes.

    1. Reduce to a scalar first: L = Σᵢ yᵢ, so ∂L/∂xⱼ = 2xⱼ.
    2. Pass the vector v = ∂L/∂y that backward should start from (``gradient=`` / ``grad_outputs=``):
       the result is the vector-Jacobian product vᵀ·J = (vⱼ·2xⱼ)ⱼ, i.e. the gradient of the scalar v·y.
    """
    v = tuple(float(a) for a in (v if v is not None else [1.0] * len(x)))
    if len(v) != len(x):
        raise VectorInputError("length", str(v))
    with torch.inference_mode(False), torch.enable_grad():
        xt = torch.tensor(list(x), dtype=torch.float64, requires_grad=True)
        y = xt ** 2
        try:
            y.backward()
        except RuntimeError as e:
            error = str(e)
        else:  # a single element is a scalar for autograd's purposes
            error = ""
        xt.grad = None
        y = xt ** 2
        y.sum().backward()
        assert xt.grad is not None
        grad_sum = tuple(float(g) for g in xt.grad)
        y = xt ** 2
        (gw,) = torch.autograd.grad(y, xt, grad_outputs=torch.tensor(v, dtype=torch.float64))
    return ScalarDemo(tuple(float(a) for a in x), tuple(float(a) for a in y.detach()), error, grad_sum, v,
                      tuple(float(g) for g in gw))


# --------------------------------------------------------------------------------------------------
# Finite-difference check on one weight of the real model
# --------------------------------------------------------------------------------------------------

DEFAULT_HS: tuple[float, ...] = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8, 1e-10)


@dataclass(frozen=True)
class FDRow:
    """One step size h: L(w ± h), the central difference and its relative error against autograd (float64)."""

    h: float
    loss_plus: float
    loss_minus: float
    fd: float  # (L(w + h) − L(w − h)) / 2h
    rel_error: float


@dataclass(frozen=True)
class FDCheck:
    """Finite differences versus autograd for one weight of a model, computed on a float64 copy."""

    layer: str
    param: str
    index: tuple[int, ...]
    weight: float  # the weight's value w
    loss: float  # L(w) in float64
    autograd: float  # ∂L/∂w from torch.autograd on the float64 copy
    rows: tuple[FDRow, ...]

    def row(self, h: float) -> FDRow:
        return min(self.rows, key=lambda r: abs(math.log10(r.h) - math.log10(h)))


def relative_error(a: float, b: float, floor: float = 1e-12) -> float:
    """|a − b| / max(|a|, |b|, floor): 0 when both are 0 (a weight the loss does not depend on here)."""
    return abs(a - b) / max(abs(a), abs(b), floor)


def loss_of(logits: torch.Tensor, target: Sequence[int], loss: LossKind, label: Sequence[int] | None) -> torch.Tensor:
    """The scalar the tracer differentiates: mean class score z_t, or mean cross-entropy −log softmax(z)_y."""
    t = torch.as_tensor(list(target), dtype=torch.long, device=logits.device)
    if loss == "logit":
        return logits.gather(1, t[:, None]).mean()
    y = t if label is None else torch.as_tensor(list(label), dtype=torch.long, device=logits.device)
    return F.cross_entropy(logits, y)


def float64_copy(model: nn.Module) -> nn.Module:
    """A deep float64 copy in eval mode, taken while no capture runs on ``model`` (so no hook is copied)."""
    with model_lock(model):
        twin = copy.deepcopy(model)
    for m in twin.modules():
        m._forward_hooks.clear()
        m._forward_pre_hooks.clear()
    return twin.double().eval()


def finite_difference(
    model: nn.Module,
    x: torch.Tensor,
    *,
    layer: str,
    param: str,
    index: Sequence[int],
    target: Sequence[int],
    loss: LossKind = "logit",
    label: Sequence[int] | None = None,
    hs: Sequence[float] = DEFAULT_HS,
) -> FDCheck:
    """(L(w + h) − L(w − h)) / 2h for the weight ``layer.param[index]`` next to autograd's ∂L/∂w.

    The central difference has a truncation error of order h² (from f'''), while rounding adds about
    ε·|L|/h (ε ≈ 1e-16 in float64): the error is smallest for a middle h. Everything runs on a float64
    deep copy of ``model``; ``model`` itself is not touched.
    """
    twin = float64_copy(model)
    try:
        p = twin.get_submodule(layer).get_parameter(param)
    except AttributeError as e:
        raise KeyError(f"{layer}.{param}") from e
    idx = tuple(int(i) for i in index)
    if len(idx) != p.dim() or any(not 0 <= i < n for i, n in zip(idx, p.shape, strict=True)):
        raise IndexError(f"index {idx} is outside {layer}.{param} of shape {list(p.shape)}")
    x64 = x.detach().to(torch.float64)
    if x64.dim() == 3:
        x64 = x64.unsqueeze(0)
    with torch.inference_mode(False), torch.enable_grad():
        value = loss_of(twin(x64), target, loss, label)
        (g,) = torch.autograd.grad(value, p)
    autograd = float(g[idx])
    w = float(p.detach()[idx])
    rows = []
    with torch.no_grad():
        for h in hs:
            p[idx] = w + h
            lp = float(loss_of(twin(x64), target, loss, label))
            p[idx] = w - h
            lm = float(loss_of(twin(x64), target, loss, label))
            p[idx] = w
            fd = (lp - lm) / (2 * h)
            rows.append(FDRow(float(h), lp, lm, fd, relative_error(fd, autograd)))
    return FDCheck(layer, param, idx, w, float(value.detach()), autograd, tuple(rows))


# --------------------------------------------------------------------------------------------------
# Derivative, differential, partial derivatives and gradient descent on a 2-variable loss surface
# --------------------------------------------------------------------------------------------------

SurfaceKey = Literal["bowl", "valley"]


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


def largest_grad_index(grad: torch.Tensor) -> tuple[int, ...]:
    """The index of the entry with the largest |∂L/∂w| (a weight the loss clearly depends on)."""
    flat = int(grad.detach().abs().reshape(-1).argmax())
    return tuple(int(i) for i in np.unravel_index(flat, tuple(grad.shape)))


# --------------------------------------------------------------------------------------------------
# What generalizes to any model: one layer's local backward, by hand and by torch.autograd.grad
# --------------------------------------------------------------------------------------------------

IMAGENET_HS: tuple[float, ...] = (1e-2, 1e-4, 1e-6)  # 6 extra float64 forwards of a large model
ELEMENTWISE = kinds.with_backward("elementwise")  # ∂L/∂a = g · f′(a), f′ from the table of layer kinds
IDENTITY_KINDS = kinds.with_backward("identity")
HAND_KINDS = tuple(k.kind for k in kinds.TABLE if k.backward)
MAX_HAND_WEIGHT = 5_000_000  # weight gradients of bigger tensors are not formed (VGG/AlexNet FC)


def hand_backward(kind: str, module: nn.Module, a: torch.Tensor, g: torch.Tensor,
                  ) -> tuple[torch.Tensor, dict[str, torch.Tensor]] | None:
    """(∂L/∂a, {param: ∂L/∂param}) of one layer from its input a and output gradient g, by the textbook formulas
    (float64); None for a kind without one here.

    * Conv2d: ∂L/∂a = conv_transpose2d(g, W) (same stride, padding, groups, dilation);
      ∂L/∂W[o, i, u, v] = Σ_p g[o, p] · patch(a)[i, u, v, p] per group; ∂L/∂b_o = Σ_p g[o, p].
    * Linear: ∂L/∂a = g W, ∂L/∂W = gᵀ a, ∂L/∂b = Σ_n g.
    * BatchNorm2d (eval, :class:`window.NormStats`): ∂L/∂a = g · γ/√(var + ε), ∂L/∂γ = Σ g·(a − μ)/√(var + ε),
      ∂L/∂β = Σ g.
    * MaxPool2d: g goes back to the position of each window's maximum (summed where windows overlap);
      AdaptiveAvgPool2d: each output bin's g is spread evenly over its bin, g/|bin| (both by the pooling
      page's routing rule, :func:`explain.pooling.route`).
    * Elementwise activations: g · f′(a) (:mod:`explain.kinds`; PReLU's ∂L/∂a_c = Σ g · min(0, a) over channel
      c); Dropout (eval), Identity, Flatten: g reshaped.
    """
    a = a.double()
    g = g.double()
    p = {k: v.detach().double() for k, v in module.named_parameters(recurse=False)}
    if kind in ELEMENTWISE:
        spec, config = kinds.KINDS[kind], module_config(module)
        assert spec.derivative is not None
        grads = spec.param_grads(a, g, config, p) if spec.param_grads is not None else {}
        return g * spec.derivative(a, config, p), grads
    if kind in IDENTITY_KINDS:
        return g.reshape(a.shape), {}
    if kind == "Linear":
        w = p["weight"]
        grads = {"weight": g.reshape(-1, w.shape[0]).T @ a.reshape(-1, w.shape[1])} if w.numel() <= MAX_HAND_WEIGHT \
            else {}
        if "bias" in p:
            grads["bias"] = g.reshape(-1, w.shape[0]).sum(0)
        return g @ w, grads
    if kind == "BatchNorm2d":
        stats = window.norm_stats(module)
        grads = {}
        if "weight" in p:
            grads["weight"] = (g * stats.normalized(a)).sum((0, 2, 3))
        if "bias" in p:
            grads["bias"] = g.sum((0, 2, 3))
        return g * stats.scale[None, :, None, None], grads
    if kind in ("MaxPool2d", "AdaptiveAvgPool2d"):
        spec = pooling.spec_of(kind, module_config(module))
        return torch.from_numpy(pooling.route(a.detach().cpu().numpy(), g.detach().cpu().numpy(), spec)), {}
    if kind == "Conv2d":
        assert isinstance(module, nn.Conv2d)
        if module.padding_mode != "zeros" or isinstance(module.padding, str):
            return None
        w = p["weight"]
        s, pad, dil = window.pair(module.stride), window.pair(module.padding), window.pair(module.dilation)
        k = tuple(w.shape[-2:])
        out_pad = tuple(a.shape[2 + d] - window.transposed_size(g.shape[2 + d], k[d], s[d], pad[d], dil[d])
                        for d in range(2))
        da = F.conv_transpose2d(g, w, None, s, pad, out_pad, module.groups, dil)
        grp = module.groups
        n, c_out = g.shape[:2]
        cols = F.unfold(a, k, dilation=dil, padding=pad, stride=s)  # [n, C_in·kh·kw, P]
        cols = cols.reshape(n, grp, -1, cols.shape[-1])
        gg = g.reshape(n, grp, c_out // grp, -1)
        grads = {"weight": torch.einsum("ngop,ngkp->gok", gg, cols).reshape(w.shape)}
        if "bias" in p:
            grads["bias"] = g.sum((0, 2, 3))
        return da, grads
    return None


@dataclass(frozen=True)
class LocalGrad:
    """One layer's local backward for one image: ∂L/∂input and ∂L/∂params from its recorded input and output
    gradient, by hand (:func:`hand_backward`) and by ``torch.autograd.grad`` on the layer alone."""

    key: str
    kind: str
    in_shape: tuple[int, ...]
    out_grad_norm: float  # ‖∂L/∂out‖, recorded by the shared trace
    in_grad_norm: float  # ‖∂L/∂in‖ from autograd
    hand: bool  # a textbook formula exists for this kind
    input_diff: float | None  # max |hand − autograd| of ∂L/∂in
    param_diffs: dict[str, float]  # per parameter, max |hand − autograd|
    trace_diffs: dict[str, float]  # per parameter, max |autograd (this layer) − the trace's stored ∂L/∂param|
    producer: str | None  # the earlier layer whose output is this layer's input
    producer_diff: float | None  # max |∂L/∂in − the producer's recorded ∂L/∂out| (0 unless the value branches)


def local_backward(model: nn.Module, rec_key: str, trace_layers: Sequence, ) -> LocalGrad:
    """Run layer ``rec_key`` of a single-image trace alone, forward and backward, and compare.

    torch.autograd.grad(y, [a, θ], grad_outputs=g) with y = layer(a) gives the vector–Jacobian products
    ∂L/∂a = gᵀ ∂y/∂a and ∂L/∂θ = gᵀ ∂y/∂θ: the chain-rule step this layer contributes to backward(). The
    module runs on a fresh copy of its input (in-place ReLUs are safe) and no ``.grad`` is written.
    """
    recs = list(trace_layers)
    pos = next(i for i, r in enumerate(recs) if r.key == rec_key)
    rec = recs[pos]
    if rec.input is None or rec.grad is None:
        raise ValueError(f"{rec_key} has no recorded input or output gradient")
    module = model.get_submodule(rec.name)
    params = [(n, q) for n, q in module.named_parameters(recurse=False) if q.numel() <= MAX_HAND_WEIGHT]
    with torch.inference_mode(False), torch.enable_grad():
        a = rec.input.detach().clone().requires_grad_(True)
        y = module(a.clone())
        got = torch.autograd.grad(y, [a, *(q for _, q in params)], grad_outputs=rec.grad.to(y.dtype),
                                  allow_unused=True)
    da = got[0].detach().double()
    auto = {n: (gq.detach().double() if gq is not None else torch.zeros_like(q, dtype=torch.float64))
            for (n, q), gq in zip(params, got[1:], strict=True)}
    hand = hand_backward(rec.kind, module, rec.input, rec.grad)
    input_diff = None
    param_diffs: dict[str, float] = {}
    if hand is not None:
        input_diff = float((hand[0] - da).abs().max())
        param_diffs = {n: float((v - auto[n]).abs().max()) for n, v in hand[1].items() if n in auto}
    trace_diffs = {}
    single = sum(1 for r in recs if r.name == rec.name) == 1  # a reused module's stored gradient sums every call
    if single:
        for n, v in auto.items():
            stored = rec.param_grads.get(n)
            if stored is not None:
                trace_diffs[n] = float((stored.double() - v).abs().max())
    producer, producer_diff = None, None
    for r in reversed(recs[:pos]):
        if r.output.shape == rec.input.shape and torch.equal(r.output, rec.input):
            producer = r.key
            if r.grad is not None:
                producer_diff = float((r.grad.double() - da).abs().max())
            break
    return LocalGrad(rec.key, rec.kind, tuple(rec.input.shape), float(rec.grad.double().norm()),
                     float(da.norm()), hand is not None, input_diff, param_diffs, trace_diffs, producer, producer_diff)
