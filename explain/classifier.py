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
* A convolutional head (SqueezeNet) has no Linear layer: a 1x1 conv gives one class map
  s_k[h, w] = Σ_c W[k, c]·x[c, h, w] + b_k, a ReLU and a global average pool give the logit
  z_k = (1/HW) Σ_{h,w} max(0, s_k[h, w]). With A = {(h, w): s_k[h, w] > 0} this is still one dot product,
  z_k = Σ_c W[k, c]·x̄_c + b_k·|A|/HW with x̄_c = (1/HW) Σ_{(h,w)∈A} x[c, h, w].
* The weight gradient of class k's row needs no stored gradient tensor: ∂L/∂W[k, i] = ∂L/∂z_k · xᵢ
  (for the conv head, with the x̄ above).
* Which channels vote most for class k: the channel sums v_c = Σ_{h,w} W[k, c, h, w]·x[c, h, w] (Σ_c v_c = z_k − b_k),
  ranked by |v_c|.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from torch.nn import functional as F

from explain import kinds
from explain.trace import FlattenStep, LayerRecord, Trace

_PROBE = torch.linspace(-3.0, 3.0, 13)


def _rectifiers() -> tuple[str, ...]:
    """The activation kinds of the table that act as max(0, z) on the probe z ∈ [−3, 3] (ReLU, ReLU6): those for
    which the conv head's mask 1[s_k > 0] below holds."""
    return tuple(k for k in kinds.of_family("activation") if kinds.KINDS[k].elementwise
                 and torch.equal(kinds.forward(k, _PROBE), F.relu(_PROBE)))


#: The activations a convolutional head may have between its 1x1 conv and the pool (read from ``explain.kinds``).
RECTIFIERS: tuple[str, ...] = _rectifiers()


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


def classifier_head(trace: Trace) -> LayerRecord | ConvHead:
    """What turns the features into the K logits: the Linear layer, else a convolutional head (SqueezeNet)."""
    try:
        return linear_layer(trace)
    except NotApplicable:
        return conv_head(trace)


def linear_layer(trace: Trace) -> LayerRecord:
    """The model's last layer, if it is the Linear classifier."""
    last = trace.layers[-1] if trace.layers else None
    if last is None or last.kind != "Linear" or "weight" not in last.params:
        raise NotApplicable("no_linear", "the model does not end with a fully connected (Linear) layer")
    return last


def flatten_layer(trace: Trace) -> LayerRecord:
    """The last Flatten call whose input is a [N, C, H, W] feature map (found by :attr:`Trace.flatten`)."""
    step = trace.flatten
    if step is None or not step.module:
        raise NotApplicable("no_flatten", "the model has no Flatten layer after a feature map")
    return trace[step.key]


def flatten_step(trace: Trace) -> FlattenStep:
    """The last flatten of a feature map, as a layer or as a function call between two recorded layers
    (:attr:`Trace.flatten`; raises :class:`NotApplicable` when there is none)."""
    step = trace.flatten
    if step is None:
        raise NotApplicable("no_flatten", "the model never turns a feature map into a vector")
    return step


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
    rec = flatten_step(trace)
    shape = tuple(rec.input.shape[1:])
    i = flatten_index(shape, c, h, w)  # type: ignore[arg-type]
    a, b = float(rec.input[0, c, h, w]), float(rec.output[0, i])
    return FlattenView(rec.key, tuple(rec.input.shape), tuple(rec.output.shape), c, h, w, i, a, b, a == b)


def strongest_element(trace: Trace) -> tuple[int, int, int]:
    """(c, h, w) of the largest |value| of the flattened feature map (a good element to start with)."""
    x = flatten_step(trace).input[0]
    return unflatten_index(tuple(x.shape), int(x.abs().argmax()))  # type: ignore[arg-type]


def feature_shape(trace: Trace) -> tuple[int, int, int] | None:
    """[C, H, W] of the classifier's input if it is a flattened feature map (so weights can be drawn as maps)."""
    lin = linear_layer(trace)
    try:
        fl = flatten_step(trace)
    except NotApplicable:
        return None
    if lin.input is None or fl.output.shape != lin.input.shape or not torch.equal(fl.output, lin.input):
        return None
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

    @property
    def top_sum(self) -> float:
        """Σ of the terms listed in ``top`` (the rest of ``dot`` is what the other terms add)."""
        return float(sum(self.terms[i] for i in self.top))

    def maps(self, what: str) -> np.ndarray:
        """"weights" W[k], "features" x or "terms" W[k]⊙x reshaped to the feature map's [C, H, W]."""
        if self.shape is None:
            raise ValueError("the classifier's input is not a flattened feature map")
        return {"weights": self.weights, "features": self.features, "terms": self.terms}[what].reshape(self.shape)


def voting_channels(bd: LogitBreakdown, limit: int = 32, n: int = 16) -> list[int]:
    """The channels to draw: all of them up to ``limit`` channels (or without channel sums), else the ``n`` whose
    sums v_c vote most (largest |v_c| first, ties in channel order)."""
    if bd.shape is None:
        return []
    channels = list(range(bd.shape[0]))
    if bd.shape[0] <= limit or bd.channel_sums is None:
        return channels
    sums = bd.channel_sums
    return sorted(channels, key=lambda c: -abs(float(sums[c])))[:n]


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

    def rest(self, classes: list[int]) -> tuple[float, float]:
        """The probability outside ``classes``: 1 − Σ p at T = 1, and 1 − Σ p at the view's T."""
        return 1 - float(self.probs_model[classes].sum()), 1 - float(self.probs[classes].sum())


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
    """dL/dz recorded by a cross-entropy trace (the last layer's output gradient, first image): the Linear
    classifier's, or the global pool's [K, 1, 1] of a convolutional head."""
    last = trace.layers[-1] if trace.layers else None
    k = trace.logits.shape[1]
    if trace.loss_kind != "cross_entropy" or last is None or last.grad is None or last.grad[0].numel() != k:
        raise ValueError("needs a trace with loss='cross_entropy'")
    return last.grad[0].reshape(-1).double().numpy()


# --------------------------------------------------------------------------------------------------
# Models without a Linear classifier (SqueezeNet), top-N views for 1000 classes, one weight row's gradient
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConvHead:
    """A 1x1 conv to K class maps, an optional ReLU, and a global average pool to the K logits."""

    conv: LayerRecord
    relu: LayerRecord | None
    pool: LayerRecord


POOLS = kinds.pooling_by("avg")  # a global average pool before the classifier: its output is each map's mean


def conv_head(trace: Trace) -> ConvHead:
    """The convolutional classifier head that replaces the fully connected layer (SqueezeNet)."""
    k = trace.logits.shape[1]
    layers = [r for r in trace.layers if r.kind != "Dropout"]
    if len(layers) >= 2 and layers[-1].kind in POOLS and layers[-1].output[0].numel() == k:
        pool = layers[-1]
        relu = layers[-2] if layers[-2].kind in RECTIFIERS else None
        conv = layers[-3] if relu is not None and len(layers) >= 3 else layers[-2]
        w = conv.params.get("weight")
        if conv.kind == "Conv2d" and w is not None and w.shape[0] == k and tuple(w.shape[2:]) == (1, 1) \
                and conv.config.get("groups", 1) == 1 and conv.input is not None:
            return ConvHead(conv, relu, pool)
    raise NotApplicable("no_linear", "the model ends with neither a Linear layer nor a 1x1 conv + average pool")


@dataclass(frozen=True)
class ConvHeadBreakdown:
    """z_k of a convolutional head as one dot product over channels (module docstring), with its class map."""

    head: ConvHead
    breakdown: LogitBreakdown  # features = x̄ (masked channel means), weights = W[k, :, 0, 0]
    class_map: np.ndarray  # s_k[h, w], before the ReLU
    active: float  # |A| / HW, the fraction of positions the ReLU lets through


def conv_head_breakdown(trace: Trace, k: int, top: int = 10) -> ConvHeadBreakdown:
    """Class k's logit through the conv head; checked against the trace and F.conv2d → relu → avg_pool."""
    head = conv_head(trace)
    if not 0 <= k < trace.logits.shape[1]:
        raise IndexError(f"class {k} is outside 0..{trace.logits.shape[1] - 1}")
    assert head.conv.input is not None
    x = head.conv.input[0].double()  # [C, H, W]
    w = head.conv.params["weight"][k, :, 0, 0].double()  # [C]
    b_t = head.conv.params.get("bias")
    b = float(b_t[k]) if b_t is not None else 0.0
    s = torch.einsum("c,chw->hw", w, x) + b
    mask = (s > 0).double() if head.relu is not None else torch.ones_like(s)
    hw = s.numel()
    xbar = (x * mask).sum((1, 2)) / hw
    terms = w * xbar
    bias = b * float(mask.sum()) / hw
    conv_out = F.conv2d(head.conv.input[0:1].float(), head.conv.params["weight"][k:k + 1],
                        None if b_t is None else b_t[k:k + 1])
    if head.relu is not None:
        conv_out = F.relu(conv_out)
    functional = float(F.adaptive_avg_pool2d(conv_out, 1).reshape(-1)[0])
    order = torch.argsort(terms.abs(), descending=True)[:top]
    bd = LogitBreakdown(
        k=k, features=xbar.numpy(), weights=w.numpy(), terms=terms.numpy(), bias=bias, dot=float(terms.sum()),
        total=float(terms.sum()) + bias, positive=float(terms.clamp(min=0).sum()),
        negative=float(terms.clamp(max=0).sum()), traced=float(trace.logits[0, k]), functional=functional,
        top=tuple(int(i) for i in order), channel_sums=None, shape=None)
    return ConvHeadBreakdown(head, bd, s.numpy(), float(mask.mean()))


def class_breakdown(trace: Trace, k: int, top: int = 10) -> LogitBreakdown:
    """:func:`logit_breakdown` for a Linear classifier, else the conv head's channel dot product."""
    try:
        linear_layer(trace)
    except NotApplicable:
        return conv_head_breakdown(trace, k, top).breakdown
    return logit_breakdown(trace, k, top)


def top_classes(probs: np.ndarray, n: int = 10, *, include: int | None = None) -> list[int]:
    """The n most probable classes, most probable first (plus ``include`` at the end if it is not among them)."""
    p = np.asarray(probs, dtype=np.float64).reshape(-1)
    order = [int(i) for i in np.argsort(-p, kind="stable")[:n]]
    if include is not None and include not in order:
        order.append(int(include))
    return order


@dataclass(frozen=True)
class RowGrad:
    """∂L/∂W[k, :] = ∂L/∂z_k · x for class k's weight row, next to the trace's stored gradient (if any)."""

    k: int
    dz: float  # ∂L/∂z_k
    row: np.ndarray  # ∂L/∂z_k · x, [D]
    traced: np.ndarray | None  # the trace's param_grads["weight"][k], None when not stored (tensor > limit)

    @property
    def max_diff(self) -> float | None:
        return None if self.traced is None else float(np.abs(self.row - self.traced).max())

    @property
    def norm(self) -> float:
        """‖∂L/∂W[k, :]‖₂ = |∂L/∂z_k|·‖x‖₂."""
        return float(np.linalg.norm(self.row))


def weight_row_grad(trace: Trace, k: int) -> RowGrad:
    """Class k's weight-row gradient from the logit gradient and the features alone (no D x K tensor needed).

    For z = W x + b: ∂L/∂W[k, i] = ∂L/∂z_k · xᵢ. For the conv head, ∂L/∂W[k, c] = Σ_{h,w} ∂L/∂s_k[h, w]·x[c, h, w]
    with ∂L/∂s_k = ∂L/∂z_k · 1[s_k > 0] / HW, i.e. ∂L/∂z_k · x̄_c.
    """
    g = traced_logit_grad(trace)
    bd = class_breakdown(trace, k, top=1)
    try:
        rec = linear_layer(trace)
    except NotApplicable:
        rec = conv_head(trace).conv
    stored = rec.param_grads.get("weight")
    traced = None if stored is None else stored[k].reshape(-1).double().numpy()
    return RowGrad(k, float(g[k]), float(g[k]) * bd.features, traced)
