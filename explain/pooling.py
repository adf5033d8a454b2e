"""Pooling explained with the real feature maps and gradients of a trace.

Forward, for a k×k window with stride s (no padding), output cell (i, j) of one channel:

    max pooling:      y[i, j] = max_{u,v < k} x[i·s + u, j·s + v]
    average pooling:  y[i, j] = (1/k²) Σ_{u,v < k} x[i·s + u, j·s + v]

and each side shrinks to ⌊(n − k)/s⌋ + 1 (28 → 14 for k = s = 2).

Backward, with g = dL/dy from the trace:

    max pooling:      dL/dx[a, b] = Σ_{(i,j): (a,b) is the argmax of window (i,j)} g[i, j]
    average pooling:  dL/dx[a, b] = Σ_{(i,j): (a,b) in window (i,j)} g[i, j] / k²

so max pooling sends each gradient value only to the one input that won (the first one in row-major
order on ties, as PyTorch does), average pooling spreads it evenly.

Small-shift invariance: for a shift δ of the input, the relative change ‖f(x_δ) − f(x)‖ / ‖f(x)‖ is
measured for the map before the pooling layer and after it, and for the prediction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explain.hooks import capture, model_lock
from explain.trace import LayerRecord, Trace

PoolKind = Literal["max", "avg"]
POOL_KINDS = ("MaxPool2d", "AvgPool2d")


class PoolError(ValueError):
    """A request the pooling views cannot answer; ``code`` names a catalog message (``pool.error.<code>``)."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(message)


def _int(v: Any) -> int:
    return int(v[0]) if isinstance(v, (tuple, list)) else int(v)


def pool_layers(trace: Trace) -> list[LayerRecord]:
    """The pooling calls of a trace, in execution order."""
    return trace.of_kind(*POOL_KINDS)


def pool_kind(rec: LayerRecord) -> PoolKind:
    return "max" if rec.kind == "MaxPool2d" else "avg"


def pool_params(rec: LayerRecord) -> tuple[int, int]:
    """(k, s) of a pooling record; PoolError for set-ups this page does not draw (padding, dilation, ceil)."""
    cfg = rec.config
    k = _int(cfg.get("kernel_size", 2))
    s = _int(cfg.get("stride") or k)
    if _int(cfg.get("padding", 0)) != 0 or _int(cfg.get("dilation", 1)) != 1 or cfg.get("ceil_mode"):
        raise PoolError("config", "only pooling without padding, dilation or ceil_mode is drawn", layer=rec.key)
    return k, s


def channels_by_activity(rec: LayerRecord) -> list[int]:
    """Channel indices of the layer's input, largest max |x| first (the most active channels)."""
    assert rec.input is not None
    strength = rec.input[0].abs().flatten(1).max(dim=1).values
    return [int(i) for i in torch.argsort(strength, descending=True, stable=True)]


def window_at_max(fmap: np.ndarray, size: int = 4, stride: int = 2) -> tuple[int, int]:
    """(top, left) of a size×size window on the stride grid that contains the map's largest value."""
    h, w = fmap.shape
    r, c = np.unravel_index(int(np.argmax(fmap)), fmap.shape)
    top = min(max(0, (int(r) - size // 2 + 1) // stride * stride), max(0, h - size))
    left = min(max(0, (int(c) - size // 2 + 1) // stride * stride), max(0, w - size))
    return top, left


def pooled_size(n: int, k: int, s: int) -> int:
    """⌊(n − k)/s⌋ + 1; PoolError if the window does not fit."""
    if k < 1 or s < 1 or n < k:
        raise PoolError("too_small", "the window is larger than the map", n=n, k=k)
    return (n - k) // s + 1


@dataclass(frozen=True)
class PoolTable:
    """A window of a real feature map with its max- and average-pooled outputs, computed cell by cell."""

    window: np.ndarray  # [h, w] the values read from the map
    origin: tuple[int, int]  # (row, col) of the window's top-left cell in the map
    k: int
    s: int
    max_out: np.ndarray  # [oh, ow]
    avg_out: np.ndarray  # [oh, ow]
    argmax: np.ndarray  # [oh, ow, 2] (row, col) in the window of each max (first in row-major order on ties)
    is_max: np.ndarray  # [h, w] bool: the cells some max-pooling window picked


def pool_window(fmap: np.ndarray, k: int, s: int) -> PoolTable:
    """Max and average pooling of a small array, written out as loops (no pooling library call)."""
    x = np.asarray(fmap, dtype=np.float64)
    h, w = x.shape
    oh, ow = pooled_size(h, k, s), pooled_size(w, k, s)
    mx = np.empty((oh, ow))
    av = np.empty((oh, ow))
    arg = np.empty((oh, ow, 2), dtype=np.int64)
    is_max = np.zeros((h, w), dtype=bool)
    for i in range(oh):
        for j in range(ow):
            win = x[i * s:i * s + k, j * s:j * s + k]
            flat = int(np.argmax(win))  # first maximum in row-major order, as PyTorch picks
            u, v = divmod(flat, k)
            mx[i, j] = win[u, v]
            av[i, j] = win.sum() / (k * k)
            arg[i, j] = (i * s + u, j * s + v)
            is_max[i * s + u, j * s + v] = True
    return PoolTable(window=x, origin=(0, 0), k=k, s=s, max_out=mx, avg_out=av, argmax=arg, is_max=is_max)


def numeric_view(fmap: np.ndarray, top: int, left: int, k: int = 2, s: int = 2, size: int = 4) -> PoolTable:
    """The ``size``×``size`` window of ``fmap`` at (top, left) (clamped inside the map), pooled with k and s."""
    h, w = fmap.shape
    size = min(size, h, w)
    top = int(np.clip(top, 0, h - size))
    left = int(np.clip(left, 0, w - size))
    table = pool_window(fmap[top:top + size, left:left + size], k, s)
    return PoolTable(**{**table.__dict__, "origin": (top, left)})


def recorded_difference(rec: LayerRecord, table: PoolTable, channel: int) -> float | None:
    """max |table output − the layer's recorded output| where the numeric view lines up with the layer
    (same k and s, window origin on the layer's stride grid); None when it does not line up."""
    k, s = pool_params(rec)
    top, left = table.origin
    if (table.k, table.s) != (k, s) or top % s or left % s:
        return None
    ours = table.max_out if pool_kind(rec) == "max" else table.avg_out
    oh, ow = ours.shape
    recorded = rec.output[0, channel, top // s:top // s + oh, left // s:left // s + ow].double().numpy()
    if recorded.shape != ours.shape:
        return None
    return float(np.abs(recorded - ours).max())


@dataclass(frozen=True)
class PoolBackward:
    """Where dL/dy of a pooling layer goes, for one channel: routed by hand and by autograd."""

    layer: str
    channel: int
    kind: PoolKind
    k: int
    s: int
    grad_out: np.ndarray  # [oh, ow] dL/dy from the trace
    routed: np.ndarray  # [h, w] dL/dx by the rule above (this layer's kind)
    autograd: np.ndarray  # [h, w] dL/dx from torch.autograd on a leaf copy of the recorded input
    other: np.ndarray  # [h, w] the same g routed as the other kind would (max ↔ average), for comparison
    max_abs_diff: float  # max |routed − autograd|
    nonzero_frac: float  # fraction of input cells that receive a non-zero gradient


def route_gradient(x: np.ndarray, g: np.ndarray, kind: PoolKind, k: int, s: int) -> np.ndarray:
    """dL/dx of a pooling of one [h, w] map for dL/dy = g, by the routing rule (loops, no autograd)."""
    x = np.asarray(x, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    out = np.zeros_like(x)
    oh, ow = g.shape
    for i in range(oh):
        for j in range(ow):
            if kind == "max":
                win = x[i * s:i * s + k, j * s:j * s + k]
                u, v = divmod(int(np.argmax(win)), k)
                out[i * s + u, j * s + v] += g[i, j]
            else:
                out[i * s:i * s + k, j * s:j * s + k] += g[i, j] / (k * k)
    return out


def autograd_pool_grad(x: torch.Tensor, grad_out: torch.Tensor, kind: PoolKind, k: int, s: int) -> torch.Tensor:
    """dL/dx from autograd: y = F.max_pool2d / F.avg_pool2d(x_leaf), then y.backward(grad_out)."""
    with torch.inference_mode(False), torch.enable_grad():
        leaf = x.detach().clone().double().requires_grad_(True)
        pool = F.max_pool2d if kind == "max" else F.avg_pool2d
        y = pool(leaf, kernel_size=k, stride=s)
        y.backward(grad_out.detach().clone().double())
    assert leaf.grad is not None
    return leaf.grad.detach()


def pool_backward(trace: Trace, key: str, channel: int) -> PoolBackward:
    """Route the traced dL/dy of pooling layer ``key`` back to its input, by hand and with autograd."""
    rec = trace[key]
    if rec.kind not in POOL_KINDS or rec.input is None:
        raise PoolError("not_pool", f"{key} is not a pooling layer", layer=key)
    if rec.grad is None:
        raise PoolError("no_grad", "the trace has no gradient at this layer", layer=key)
    k, s = pool_params(rec)
    kind = pool_kind(rec)
    x = rec.input[0, channel]
    g = rec.grad[0, channel]
    routed = route_gradient(x.numpy(), g.numpy(), kind, k, s)
    auto = autograd_pool_grad(x[None, None], g[None, None], kind, k, s)[0, 0].numpy()
    other = route_gradient(x.numpy(), g.numpy(), "avg" if kind == "max" else "max", k, s)
    return PoolBackward(
        layer=key, channel=channel, kind=kind, k=k, s=s, grad_out=g.double().numpy(), routed=routed,
        autograd=auto, other=other, max_abs_diff=float(np.abs(routed - auto).max()),
        nonzero_frac=float((routed != 0).mean()),
    )


def shift_image(x: torch.Tensor, dy: int, dx: int, fill: float | None = None) -> torch.Tensor:
    """x [N, C, H, W] moved down by dy and right by dx pixels; the uncovered border gets ``fill``
    (default: the image's minimum, i.e. the black background), nothing wraps around."""
    fill = float(x.min()) if fill is None else fill
    out = torch.full_like(x, fill)
    h, w = x.shape[-2:]
    src = x[..., max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
    out[..., max(0, dy):max(0, dy) + src.shape[-2], max(0, dx):max(0, dx) + src.shape[-1]] = src
    return out


@dataclass(frozen=True)
class ShiftRow:
    shift: int  # pixels
    pre_change: float  # ‖Δ pool input‖ / ‖pool input‖
    post_change: float  # ‖Δ pool output‖ / ‖pool output‖
    prob_of_original: float  # probability of the unshifted image's predicted class
    prediction: int
    prediction_prob: float


@dataclass(frozen=True)
class ShiftStudy:
    layer: str
    direction: tuple[int, int]  # (dy, dx) per step
    original_class: int
    rows: tuple[ShiftRow, ...]  # shift 0 first


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    n = float(torch.linalg.vector_norm(b.double()))
    return float(torch.linalg.vector_norm((a - b).double())) / n if n > 0 else 0.0


def _pool_io(model: nn.Module, x: torch.Tensor, key: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    with model_lock(model), torch.no_grad(), capture(model) as tape:
        logits = model(x)
    for c in tape.calls:
        name = c.name if c.call == 0 else f"{c.name}#{c.call + 1}"
        if name == key and c.input is not None and c.output is not None:
            return c.input.detach(), c.output.detach(), logits.detach()
    raise PoolError("not_pool", f"{key} was not called", layer=key)


def shift_study(model: nn.Module, x: torch.Tensor, key: str, direction: tuple[int, int] = (0, 1),
                shifts: Sequence[int] = (0, 1, 2, 3)) -> ShiftStudy:
    """Relative change of the pool input, the pool output and the prediction for each shift of the input.

    All shifted copies (and the unshifted image) go through the model as ONE batch of a plain forward
    (eval mode, no gradients); the model is not changed.
    """
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if model.training:
        raise PoolError("training", "the model must be in eval mode")
    x = x[:1]
    batch = torch.cat([x] + [shift_image(x, direction[0] * n, direction[1] * n) for n in shifts])
    pin, pout, logits = _pool_io(model, batch, key)
    probs = torch.softmax(logits.double(), 1)
    base_class = int(probs[0].argmax())
    rows = []
    for i, n in enumerate(shifts, start=1):
        p = probs[i]
        rows.append(ShiftRow(
            shift=int(n), pre_change=_rel(pin[i], pin[0]), post_change=_rel(pout[i], pout[0]),
            prob_of_original=float(p[base_class]), prediction=int(p.argmax()), prediction_prob=float(p.max()),
        ))
    return ShiftStudy(layer=key, direction=direction, original_class=base_class, rows=tuple(rows))
