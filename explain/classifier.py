"""The classifier head: flatten, the fully connected layer, softmax and the loss.

* Flatten (row-major, as ``torch.flatten``): element (c, h, w) of a [C, H, W] tensor goes to
  i = c·H·W + h·W + w; back: c = i // (H·W), h = (i mod H·W) // W, w = i mod W.
* Fully connected: logit z_k = Σᵢ W[k, i]·xᵢ + b_k, the dot product of the flattened features x
  with class k's weight row (reshaped to [C, H, W] it is a "template" of the class) plus its bias.
* Softmax with temperature T: p_i = e^{z_i/T} / Σ_j e^{z_j/T} (T = 1 is the model's own softmax).
* Cross-entropy for the true class y: L = −log p_y; ∂L/∂z = p − onehot(y).
* MSE on one-hot targets, here on the softmax *probabilities* (mean over the K classes):
  L = (1/K) Σ_k (p_k − y_k)²; ∂L/∂p = (2/K)(p − y) and ∂L/∂z = J·(2/K)(p − y) with the softmax
  Jacobian J = diag(p) − p pᵀ (symmetric).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from torch.nn import functional as F

from explain.trace import LayerRecord, Trace


class NotApplicable(ValueError):
    """The model has no part this view explains; ``code`` names the reason ("no_linear", "no_flatten")."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def flatten_index(shape: tuple[int, int, int], c: int, h: int, w: int) -> int:
    """i = c·H·W + h·W + w for element (c, h, w) of a [C, H, W] tensor."""
    cc, hh, ww = shape
    if not (0 <= c < cc and 0 <= h < hh and 0 <= w < ww):
        raise IndexError(f"({c}, {h}, {w}) is outside a tensor of shape {list(shape)}")
    return c * hh * ww + h * ww + w


def unflatten_index(shape: tuple[int, int, int], i: int) -> tuple[int, int, int]:
    """The inverse: (i // (H·W), (i mod H·W) // W, i mod W)."""
    _, hh, ww = shape
    return i // (hh * ww), (i % (hh * ww)) // ww, i % ww


def linear_layer(trace: Trace) -> LayerRecord:
    """The model's last layer, if it is the Linear classifier."""
    last = trace.layers[-1] if trace.layers else None
    if last is None or last.kind != "Linear" or "weight" not in last.params:
        raise NotApplicable("no_linear", "the model does not end with a fully connected (Linear) layer")
    return last


def flatten_layer(trace: Trace) -> LayerRecord:
    """The last Flatten call whose input is a [N, C, H, W] feature map."""
    for rec in reversed(trace.layers):
        if rec.kind == "Flatten" and rec.input is not None and rec.input.dim() == 4:
            return rec
    raise NotApplicable("no_flatten", "the model has no Flatten layer after a feature map")


@dataclass(frozen=True)
class FlattenView:
    key: str
    in_shape: tuple[int, ...]  # [N, C, H, W]
    out_shape: tuple[int, ...]  # [N, C·H·W]
    c: int
    h: int
    w: int
    index: int  # c·H·W + h·W + w
    value_map: float  # input[0, c, h, w]
    value_vector: float  # output[0, index]
    matches: bool  # the two are the same number


def flatten_view(trace: Trace, c: int, h: int, w: int) -> FlattenView:
    rec = flatten_layer(trace)
    assert rec.input is not None
    shape = tuple(rec.input.shape[1:])
    i = flatten_index(shape, c, h, w)  # type: ignore[arg-type]
    a, b = float(rec.input[0, c, h, w]), float(rec.output[0, i])
    return FlattenView(rec.key, tuple(rec.input.shape), tuple(rec.output.shape), c, h, w, i, a, b, a == b)


def strongest_element(trace: Trace) -> tuple[int, int, int]:
    """(c, h, w) of the largest |value| of the flattened feature map (a good element to start with)."""
    rec = flatten_layer(trace)
    assert rec.input is not None
    x = rec.input[0]
    return unflatten_index(tuple(x.shape), int(x.abs().argmax()))  # type: ignore[arg-type]


def feature_shape(trace: Trace) -> tuple[int, int, int] | None:
    """[C, H, W] of the classifier's input if it is a flattened feature map (so weights can be drawn as maps)."""
    lin = linear_layer(trace)
    try:
        fl = flatten_layer(trace)
    except NotApplicable:
        return None
    if lin.input is None or fl.output.shape != lin.input.shape or not torch.equal(fl.output, lin.input):
        return None
    assert fl.input is not None
    return tuple(int(s) for s in fl.input.shape[1:])  # type: ignore[return-value]


def class_weight_maps(trace: Trace, k: int) -> np.ndarray:
    """Class k's weight row W[k] reshaped to the feature map's [C, H, W] (or [1, 1, D] if not a map)."""
    lin = linear_layer(trace)
    row = lin.params["weight"][k]
    shape = feature_shape(trace) or (1, 1, row.numel())
    return row.reshape(shape).numpy().copy()


@dataclass(frozen=True)
class LogitBreakdown:
    """z_k = Σᵢ W[k, i]·xᵢ + b_k, term by term, checked against the traced logit and F.linear."""

    k: int
    features: np.ndarray  # x, [D]
    weights: np.ndarray  # W[k], [D]
    terms: np.ndarray  # W[k, i]·xᵢ
    bias: float
    dot: float  # Σ terms
    total: float  # dot + bias
    positive: float  # Σ of the positive terms
    negative: float  # Σ of the negative terms
    traced: float  # the classifier output recorded in the trace
    functional: float  # F.linear(x, W, b)[k]
    top: tuple[int, ...]  # indices of the largest |terms|, biggest first
    channel_sums: np.ndarray | None  # Σ of the terms per channel c (if the input is a flattened map)
    shape: tuple[int, int, int] | None

    @property
    def matches(self) -> bool:
        return abs(self.total - self.traced) <= 1e-4 * max(1.0, abs(self.traced))


def logit_breakdown(trace: Trace, k: int, top: int = 10) -> LogitBreakdown:
    lin = linear_layer(trace)
    assert lin.input is not None
    x = lin.input[0].reshape(-1).double()
    w = lin.params["weight"].double()
    b = lin.params.get("bias")
    bias = b.double() if b is not None else torch.zeros(w.shape[0], dtype=torch.float64)
    if not 0 <= k < w.shape[0]:
        raise IndexError(f"class {k} is outside 0..{w.shape[0] - 1}")
    terms = w[k] * x
    shape = feature_shape(trace)
    order = torch.argsort(terms.abs(), descending=True)[:top]
    ch = terms.reshape(shape[0], -1).sum(1).numpy() if shape else None
    return LogitBreakdown(
        k=k, features=x.numpy(), weights=w[k].numpy(), terms=terms.numpy(), bias=float(bias[k]),
        dot=float(terms.sum()), total=float(terms.sum() + bias[k]),
        positive=float(terms.clamp(min=0).sum()), negative=float(terms.clamp(max=0).sum()),
        traced=float(lin.output[0, k]),
        functional=float(F.linear(lin.input[0:1].reshape(1, -1), lin.params["weight"], b)[0, k]),
        top=tuple(int(i) for i in order), channel_sums=ch, shape=shape,
    )


def softmax_t(logits: torch.Tensor | np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """p_i = e^{z_i/T} / Σ_j e^{z_j/T}, computed stably (subtract the max first)."""
    if temperature <= 0:
        raise ValueError("the temperature must be positive")
    z = np.asarray(logits, dtype=np.float64).reshape(-1) / temperature
    e = np.exp(z - z.max())
    return e / e.sum()


@dataclass(frozen=True)
class SoftmaxView:
    """The logits, z/T and softmax at T, checked at T = 1 against the model's own probabilities."""

    temperature: float
    logits: np.ndarray
    scaled: np.ndarray  # z / T
    probs: np.ndarray  # softmax(z / T)
    probs_model: np.ndarray  # softmax(z), T = 1
    model_diff: float  # max |softmax(z) − the trace's probabilities|


def softmax_view(trace: Trace, temperature: float) -> SoftmaxView:
    z = trace.logits[0].double().numpy()
    p1 = softmax_t(z, 1.0)
    return SoftmaxView(temperature, z, z / temperature, softmax_t(z, temperature), p1,
                       float(np.abs(p1 - trace.probs[0].double().numpy()).max()))


@dataclass(frozen=True)
class LossView:
    """Cross-entropy and MSE (on softmax probabilities vs one-hot) for the true class y, with ∂L/∂z."""

    label: int
    logits: np.ndarray
    probs: np.ndarray
    onehot: np.ndarray
    cross_entropy: float  # −log p_y
    mse: float  # (1/K) Σ (p − y)²
    grad_ce: np.ndarray  # p − onehot
    grad_mse: np.ndarray  # J (2/K)(p − onehot)
    traced_grad: np.ndarray | None = None  # dL/dz from a cross-entropy trace, if given
    traced_loss: float | None = None

    @property
    def traced_diff(self) -> float | None:
        """max |(p − onehot) − traced dL/dz|."""
        return None if self.traced_grad is None else float(np.abs(self.grad_ce - self.traced_grad).max())


def loss_view(logits: torch.Tensor | np.ndarray, label: int) -> LossView:
    z = np.asarray(logits, dtype=np.float64).reshape(-1)
    k = z.size
    if not 0 <= label < k:
        raise IndexError(f"label {label} is outside 0..{k - 1}")
    p = softmax_t(z)
    y = np.zeros(k)
    y[label] = 1.0
    jac = np.diag(p) - np.outer(p, p)
    return LossView(label, z, p, y, float(-np.log(max(p[label], 1e-300))), float(((p - y) ** 2).mean()),
                    p - y, jac @ (2.0 / k * (p - y)))


def loss_view_traced(trace: Trace) -> LossView:
    """:func:`loss_view` of a cross-entropy trace's first image, with the traced dL/dz and loss attached."""
    if trace.label is None:
        raise ValueError("needs a trace with loss='cross_entropy'")
    lv = loss_view(trace.logits[0].double().numpy(), trace.label[0])
    return replace(lv, traced_grad=traced_logit_grad(trace), traced_loss=trace.loss)


def traced_logit_grad(trace: Trace) -> np.ndarray:
    """dL/dz recorded by a cross-entropy trace (the classifier record's output gradient, first image)."""
    lin = linear_layer(trace)
    if trace.loss_kind != "cross_entropy" or lin.grad is None:
        raise ValueError("needs a trace with loss='cross_entropy'")
    return lin.grad[0].double().numpy()
