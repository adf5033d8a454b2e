"""The chain rule on a tiny network with real numbers, and why ``backward()`` needs a scalar.

* Chain rule: for x → z₁ = w₁x + b₁ → h = σ(z₁) → y = w₂h + b₂ → L = (y − t)²,
  ∂L/∂w₁ = ∂L/∂y · ∂y/∂h · ∂h/∂z₁ · ∂z₁/∂w₁ = 2(y − t) · w₂ · σ(z₁)(1 − σ(z₁)) · x.
  Each gradient is the upstream gradient times the local one; torch.autograd gives the same numbers.
* ``backward()`` starts from ∂L/∂L = 1, so L must be a scalar. For a vector y either reduce it first
  (L = Σᵢ yᵢ) or pass the vector v = ∂L/∂y to start from: the result is the vector–Jacobian product vᵀ·J,
  the gradient of the scalar v·y.

Every function here works on its own tensors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch


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
