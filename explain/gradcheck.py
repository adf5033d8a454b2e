"""A finite-difference check of one weight of the real model against torch.autograd.

* Derivative = rate of change: f'(w) = lim_{h→0} (f(w+h) − f(w)) / h; the central difference
  (L(w + h) − L(w − h)) / 2h has a truncation error of order h², and rounding adds about ε·|L|/h.
* The loss is the one the tracer differentiates (:func:`loss_of`): the mean class score z_t or the mean
  cross-entropy −log softmax(z)_y.

Everything runs on a float64 deep copy of the model: the caller's model is never changed (no hooks, no
``.grad``, no train/eval switch, no weight edit).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explain.hooks import model_lock
from explain.trace import LossKind, Trace

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

IMAGENET_HS: tuple[float, ...] = (1e-2, 1e-4, 1e-6)  # 6 extra float64 forwards of a large model


def check_traced_weight(model: nn.Module, trace: Trace, layer: str, param: str, index: tuple[int, ...],
                        hs: Sequence[float] = DEFAULT_HS) -> FDCheck:
    """:func:`finite_difference` of ``layer.param[index]`` for what ``trace`` differentiated (its input,
    targets, loss and labels)."""
    return finite_difference(model, trace.input, layer=layer, param=param, index=index, target=trace.target,
                             loss=trace.loss_kind, label=trace.label, hs=hs)


def largest_grad_index(grad: torch.Tensor) -> tuple[int, ...]:
    """The index of the entry with the largest |∂L/∂w| (a weight the loss clearly depends on)."""
    flat = int(grad.detach().abs().reshape(-1).argmax())
    return tuple(int(i) for i in np.unravel_index(flat, tuple(grad.shape)))
