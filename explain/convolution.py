"""Convolution layers explained with the real numbers of a trace.

A 2-D convolution layer (as ``torch.nn.Conv2d`` and ``F.conv2d`` compute it; in deep learning this is
really *cross-correlation*: the kernel is not flipped) gives for output channel o at position (i, j)

    z[o, i, j] = b[o] + Σ_c Σ_u Σ_v  w[o, c, u, v] · x_pad[c, i·s + u·d, j·s + v·d]

where x_pad is the input with p zeros added on every side, s the stride and d the dilation.
Each output side has  out = ⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1  cells, i.e. ⌊(n + 2p − k)/s⌋ + 1 for d = 1.

With ``groups`` = g the C_in input channels and C_out output channels are split into g groups, and output
channel o only reads the C_in/g input channels of its own group (the sum over c above runs over them).
g = C_in = C_out is a *depthwise* convolution: one k×k kernel per channel, no mixing of channels; a 1×1
(*pointwise*) convolution mixes channels at each position without looking at neighbours. The layer holds

    C_out · (C_in/g) · k_h · k_w  weights  (+ C_out biases).

Receptive field (how many input pixels one cell of a layer depends on), layer by layer:
    r_out = r_in + (k − 1)·d·j_in,    j_out = j_in·s,    starting from r = 1, j = 1 at the input,
where j ("jump") is the distance in input pixels between two neighbouring cells of the layer. The chain
follows the recorded data flow: each layer continues from the layer whose output it reads. Where branches
join (a residual addition, a squeeze-and-excitation scaling, a channel concatenation) no single layer produced
the input; the chain then continues from the map of that size with the largest receptive field (the widest
branch). The global average of a squeeze-and-excitation branch is left out of that local field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from explain import kinds, window
from explain.channels import channel_scores
from explain.trace import LayerRecord, Trace

CONV_KINDS = kinds.of_family("conv")  # the layers this page explains (Conv2d)
ACTIVATION_KINDS = kinds.ELEMENTWISE_KINDS  # what may follow a conv: every activation and the identity
NORM_KINDS = kinds.of_family("norm")
SPATIAL_KINDS = kinds.with_shape_rule("conv", "pool")  # kinds with a sliding window
MAP_ROW_KINDS = kinds.of_family("conv", "pool")  # the rows of the receptive-field table of a large network
ADAPTIVE_KINDS = kinds.with_shape_rule("adaptive")


class ConvError(ValueError):
    """A request the convolution views cannot answer; ``code`` names a catalog message (``conv.error.<code>``)."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(message)


def conv_layers(trace: Trace) -> list[LayerRecord]:
    """The Conv2d calls of a trace, in execution order."""
    return trace.of_kind(*CONV_KINDS)


def padding_of(config: Mapping[str, Any]) -> tuple[int, int]:
    """Leading (top, left) zero padding of a conv config; "valid" is 0, "same" pads ⌊d·(k − 1)/2⌋ first."""
    return window.leading_padding(config.get("padding", 0), config.get("kernel_size", 1), config.get("dilation", 1))


def activation_after(trace: Trace, rec: LayerRecord) -> LayerRecord | None:
    """The activation call that takes ``rec``'s output as its input (the next call), if there is one."""
    return _follows(trace, rec, ACTIVATION_KINDS)


def apply_activation(rec: LayerRecord, value: float, channel: int) -> float:
    """f(value) for the activation layer ``rec`` at ``channel`` (PReLU uses that channel's learned slope), in
    float64, by the forward of ``rec.kind`` in :data:`explain.kinds.TABLE` with the layer's own constants."""
    if rec.kind not in ACTIVATION_KINDS:
        raise ConvError("activation", f"unsupported activation {rec.kind}", kind=rec.kind)
    params: dict[str, torch.Tensor] = {}
    if "weight" in rec.params:
        w = rec.params["weight"].double().reshape(-1)
        params["weight"] = w[channel] if w.numel() > 1 else w[0]
    z = torch.tensor(float(value), dtype=torch.float64)
    return float(kinds.forward(rec.kind, z, rec.config, params))


def _follows(trace: Trace, rec: LayerRecord, kinds: Sequence[str]) -> LayerRecord | None:
    """The next call if it is one of ``kinds`` and reads exactly ``rec``'s output."""
    layers, i = trace.layers, rec.index + 1
    nxt = layers[i] if i < len(layers) and layers[i].index == i else next((r for r in layers if r.index == i), None)
    if nxt is None or nxt.kind not in kinds or nxt.input is None:
        return None
    if nxt.input is rec.output:  # the trace records one tensor once: the same object when nothing came between
        return nxt
    if nxt.input.shape != rec.output.shape or not torch.equal(nxt.input, rec.output):
        return None
    return nxt


def norm_after(trace: Trace, rec: LayerRecord) -> LayerRecord | None:
    """The BatchNorm2d call that directly normalizes ``rec``'s output (conv → BN → activation blocks)."""
    return _follows(trace, rec, NORM_KINDS)


def post_activation_record(trace: Trace, rec: LayerRecord) -> tuple[LayerRecord | None, LayerRecord | None]:
    """(BatchNorm, activation) that follow a conv: (None, act) for conv → act, (bn, act or None) with a BN."""
    act = activation_after(trace, rec)
    if act is not None:
        return None, act
    bn = norm_after(trace, rec)
    if bn is None:
        return None, None
    return bn, activation_after(trace, bn)


def batch_norm_value(bn: LayerRecord, value: float, channel: int
                     ) -> tuple[float, tuple[float, float, float, float, float]]:
    """y = γ_c·(z − μ_c)/√(σ²_c + ε) + β_c with the running statistics (eval mode, :class:`window.NormStats`);
    returns (y, (μ, σ², ε, γ, β)).

    μ and σ² are the BatchNorm record's ``buffers`` as the traced forward used them (a trace runs in eval
    mode), γ and β its ``params``, ε its ``config``; ConvError("norm") without running statistics.
    """
    try:
        stats = window.norm_stats_from(bn.buffers, bn.params, bn.config.get("eps"), bn.kind)
    except window.WindowError as e:
        raise ConvError(e.code, str(e), **e.params) from e
    return stats.value(value, channel), stats.channel(channel)


@dataclass(frozen=True)
class ConvStep:
    """One output value of a conv layer worked out by hand from the recorded input and weights."""

    layer: str
    channel: int  # output channel o
    row: int
    col: int
    in_channels: tuple[int, ...]  # the input channels this output channel reads (its group: C_in/groups of them)
    patch: np.ndarray  # [C_in/g, kh, kw] receptive patch of the input, zeros where it falls on padding
    is_pad: np.ndarray  # [kh, kw] bool: True where the patch cell is a padding zero
    origin: tuple[int, int]  # input (row, col) of the patch's top-left cell (may be negative: padding)
    kernel: np.ndarray  # [C_in/g, kh, kw] = w[o]
    products: np.ndarray  # [C_in/g, kh, kw] = patch · kernel (element-wise)
    channel_sums: np.ndarray  # [C_in/g] Σ_{u,v} products per input channel (the partial sums)
    total: float  # Σ products
    bias: float
    pre_activation: float  # total + bias
    recorded: float  # the traced conv output z[o, row, col]
    activation: str | None  # kind of the following activation layer, if any
    post_activation: float | None  # f(total + bias), or f(BN(total + bias)) after a batch norm
    recorded_post: float | None  # the traced activation output at the same place
    has_bias: bool = True
    groups: int = 1
    dilation: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    norm: str | None = None  # "BatchNorm2d" when a batch norm sits between the conv and the activation
    norm_stats: tuple[float, float, float, float, float] | None = None  # (μ, σ², ε, γ, β) of this channel
    normalized: float | None = None  # BN(total + bias) by hand
    recorded_norm: float | None = None  # the traced batch-norm output

    @property
    def error(self) -> float:
        """|hand-computed − recorded| for the conv output (and the batch norm / activation, when there are)."""
        e = abs(self.pre_activation - self.recorded)
        if self.normalized is not None and self.recorded_norm is not None:
            e = max(e, abs(self.normalized - self.recorded_norm) / max(1.0, abs(self.recorded_norm)))
        if self.post_activation is not None and self.recorded_post is not None:
            e = max(e, abs(self.post_activation - self.recorded_post) / max(1.0, abs(self.recorded_post)))
        return e

    @property
    def matches(self) -> bool:
        tol = 1e-4 * max(1.0, abs(self.recorded))
        return self.error <= tol

    @property
    def depthwise(self) -> bool:
        return self.groups > 1 and len(self.in_channels) == 1

    def ranked_inputs(self, n: int | None = None) -> list[int]:
        """Positions (into ``in_channels``) of the input channels with the largest |partial sum|, largest first."""
        order = np.argsort(-np.abs(self.channel_sums), kind="stable")
        return [int(i) for i in order[:n]]

    def running_sums(self, n: int) -> list[tuple[int, float, float]]:
        """(input channel, partial sum, running total) of the ``n`` largest |partial sums|, largest first: the
        running total of all of them is the Σ before the bias."""
        out, running = [], 0.0
        for i in self.ranked_inputs(n):
            running += float(self.channel_sums[i])
            out.append((self.in_channels[i], float(self.channel_sums[i]), running))
        return out

    def top_share(self, n: int) -> float:
        """Σ|partial sums| of the ``n`` largest over Σ|all partial sums| (how much the top channels carry)."""
        a = np.abs(self.channel_sums)
        tot = float(a.sum())
        return float(np.sort(a)[::-1][:n].sum() / tot) if tot > 0 else 1.0


def conv_step(trace: Trace, key: str, channel: int, row: int, col: int) -> ConvStep:
    """z[o, i, j] = b[o] + Σ_{c in group(o)} Σ_{u,v} w[o, c, u, v]·x_pad[c, i·s + u·d, j·s + v·d], checked.

    The input channels are those of output channel o's group: g = o // (C_out/groups) reads channels
    g·C_in/groups … (g + 1)·C_in/groups − 1 (just channel o for a depthwise conv). When a BatchNorm2d
    follows, its eval-mode value γ(z − μ)/√(σ² + ε) + β is worked out too, from the statistics and parameters
    its record holds, then the activation after it.
    """
    rec = trace[key]
    if rec.kind not in CONV_KINDS or rec.input is None:
        raise ConvError("not_conv", f"{key} is not a Conv2d layer", layer=key)
    cfg = rec.config
    if cfg.get("padding_mode", "zeros") != "zeros":
        raise ConvError("padding_mode", "only zero padding is shown", mode=cfg.get("padding_mode"))
    x = rec.input[0].double()  # [C, H, W]
    w = rec.params["weight"].double()  # [O, C/g, kh, kw]
    out_c, cin_g, kh, kw = w.shape
    oh, ow = rec.output.shape[-2:]
    if not (0 <= channel < out_c and 0 <= row < oh and 0 <= col < ow):
        raise ConvError("position", "position outside the feature map", channel=channel, row=row, col=col)
    sh, sw = window.pair(cfg.get("stride", 1))
    dh, dw = window.pair(cfg.get("dilation", 1))
    ph, pw = padding_of(cfg)
    groups = int(cfg.get("groups", 1))
    g = channel // (out_c // groups)
    ins = tuple(range(g * cin_g, (g + 1) * cin_g))
    h, wd = x.shape[-2:]
    rows = torch.tensor(window.window_cells(row, kh, sh, ph, dh))
    cols = torch.tensor(window.window_cells(col, kw, sw, pw, dw))
    top, left = int(rows[0]), int(cols[0])
    inside = ((rows >= 0) & (rows < h))[:, None] & ((cols >= 0) & (cols < wd))[None, :]
    patch = x[g * cin_g:(g + 1) * cin_g][:, rows.clamp(0, h - 1)][:, :, cols.clamp(0, wd - 1)] * inside
    kernel = w[channel]
    products = patch * kernel
    total = float(products.sum())
    b = rec.params.get("bias")
    bias = float(b[channel]) if b is not None else 0.0
    pre = total + bias
    bn, act = post_activation_record(trace, rec)
    normalized = rec_norm = stats = None
    value = pre
    if bn is not None:
        normalized, stats = batch_norm_value(bn, pre, channel)
        rec_norm = float(bn.output[0, channel, row, col])
        value = normalized
    post = rec_post = None
    if act is not None:
        post = apply_activation(act, value, channel)
        rec_post = float(act.output[0, channel, row, col])
    return ConvStep(
        layer=key, channel=channel, row=row, col=col, in_channels=ins, patch=patch.numpy(),
        is_pad=~inside.numpy(), origin=(top, left), kernel=kernel.numpy(), products=products.numpy(),
        channel_sums=products.sum(dim=(1, 2)).numpy(), total=total, bias=bias, pre_activation=pre,
        recorded=float(rec.output[0, channel, row, col]), activation=None if act is None else act.kind,
        post_activation=post, recorded_post=rec_post, has_bias=b is not None, groups=groups,
        dilation=(dh, dw), stride=(sh, sw), norm=None if bn is None else bn.kind, norm_stats=stats,
        normalized=normalized, recorded_norm=rec_norm,
    )


@dataclass(frozen=True)
class ConvGeometry:
    """The numbers of one Conv2d layer: sizes, hyper-parameters, the output-size formula and the weight count."""

    key: str
    c_in: int
    c_out: int
    groups: int
    n: tuple[int, int]  # input (H, W)
    k: tuple[int, int]
    s: tuple[int, int]
    p: tuple[int, int]
    d: tuple[int, int]
    out: tuple[int, int]  # ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1 per side
    recorded_out: tuple[int, int]  # the traced output (H, W)
    weights: int  # C_out · (C_in/g) · k_h · k_w
    biases: int  # C_out or 0
    recorded_params: int  # parameters the layer really holds

    @property
    def in_per_group(self) -> int:
        return self.c_in // self.groups

    @property
    def params(self) -> int:
        return self.weights + self.biases

    @property
    def depthwise(self) -> bool:
        """One input channel per kernel: groups = C_in (PyTorch's depthwise convolution)."""
        return self.groups > 1 and self.groups == self.c_in

    @property
    def pointwise(self) -> bool:
        return self.k == (1, 1) and self.groups == 1

    @property
    def on_vector(self) -> bool:
        """A 1×1 conv on a 1×1 map (e.g. inside squeeze-and-excitation): really a fully connected layer."""
        return self.k == (1, 1) and self.n == (1, 1)

    @property
    def kind(self) -> str:
        """"depthwise", "grouped", "pointwise", "vector" (1×1 on 1×1) or "standard"."""
        if self.depthwise:
            return "depthwise"
        if self.groups > 1:
            return "grouped"
        if self.on_vector:
            return "vector"
        return "pointwise" if self.pointwise else "standard"

    @property
    def square(self) -> bool:
        """Both axes have the same n, k, s, p and d: one output-size formula serves both."""
        return all(v[0] == v[1] for v in (self.n, self.k, self.s, self.p, self.d))

    def numerator(self, axis: int = 0) -> int:
        """n + 2p − d(k − 1) − 1 along ``axis`` (0 = height, 1 = width)."""
        return window.span(self.n[axis], self.k[axis], self.p[axis], self.d[axis])

    @property
    def matches(self) -> bool:
        return self.out == self.recorded_out and self.params == self.recorded_params


def geometry(rec: LayerRecord) -> ConvGeometry:
    """Sizes and counts of a traced Conv2d, with out = ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1 computed per side."""
    if rec.kind not in CONV_KINDS or rec.input is None:
        raise ConvError("not_conv", f"{rec.key} is not a Conv2d layer", layer=rec.key)
    cfg = rec.config
    w = rec.params["weight"]
    c_out, cin_g, kh, kw = (int(v) for v in w.shape)
    groups = int(cfg.get("groups", 1))
    n = (int(rec.input.shape[-2]), int(rec.input.shape[-1]))
    s, d, p = window.pair(cfg.get("stride", 1)), window.pair(cfg.get("dilation", 1)), padding_of(cfg)
    out = (window.output_size(n[0], kh, s[0], p[0], d[0]), window.output_size(n[1], kw, s[1], p[1], d[1]))
    b = rec.params.get("bias")
    return ConvGeometry(
        key=rec.key, c_in=int(rec.input.shape[1]), c_out=c_out, groups=groups, n=n, k=(kh, kw), s=s, p=p, d=d,
        out=out, recorded_out=(int(rec.output.shape[-2]), int(rec.output.shape[-1])),
        weights=c_out * cin_g * kh * kw, biases=0 if b is None else int(b.numel()), recorded_params=rec.n_params,
    )


@dataclass(frozen=True)
class Separable:
    """A depthwise k×k conv and the 1×1 pointwise conv after it, against one standard conv doing both jobs."""

    depthwise: str
    pointwise: str | None
    channels: int  # C (depthwise in = out)
    out_channels: int  # C' (pointwise out)
    k: tuple[int, int]
    depthwise_weights: int  # k_h·k_w·C
    pointwise_weights: int  # C·C'
    standard_weights: int  # k_h·k_w·C·C'

    @property
    def ratio(self) -> float:
        return self.standard_weights / max(1, self.depthwise_weights + self.pointwise_weights)


def separable_pair(trace: Trace, rec: LayerRecord) -> Separable | None:
    """For a depthwise conv: the next pointwise 1×1 conv on maps of the same size (skipping squeeze-and-excitation
    1×1 convs on 1×1 maps), and the weight counts k²·C + C·C' versus a standard conv's k²·C·C'."""
    geo = geometry(rec)
    if not geo.depthwise:
        return None
    c = geo.c_out
    kk = geo.k[0] * geo.k[1]
    nxt = None
    for r in conv_layers(trace):
        if r.index <= rec.index or r.input is None:
            continue
        g = geometry(r)
        if g.on_vector:
            continue
        if g.pointwise and g.n == geo.recorded_out and g.c_in == c:
            nxt = g
        break
    c2 = nxt.c_out if nxt is not None else c
    return Separable(depthwise=rec.key, pointwise=None if nxt is None else nxt.key, channels=c, out_channels=c2,
                     k=geo.k, depthwise_weights=kk * c, pointwise_weights=c * c2 if nxt is not None else 0,
                     standard_weights=kk * c * c2)


def kernel_inputs(rec: LayerRecord, out_channels: Sequence[int], limit: int = 16) -> tuple[int, ...]:
    """Which kernel slices w[o, c] to draw for the shown output channels: all C_in/g of them up to ``limit``,
    else the ``limit`` slice indices c with the largest Σ_o Σ_{u,v} |w[o, c, u, v]| over the shown outputs
    (in index order). Indices are positions within the group (the weight's second axis)."""
    w = rec.params["weight"]
    cin_g = int(w.shape[1])
    if cin_g <= limit:
        return tuple(range(cin_g))
    strength = w[list(out_channels)].abs().sum(dim=(0, 2, 3))
    top = torch.argsort(strength, descending=True, stable=True)[:limit]
    return tuple(sorted(int(i) for i in top))


def most_active_channel(rec: LayerRecord) -> int:
    """The output channel with the largest mean value (:func:`explain.channels.channel_scores`, "mean")."""
    return int(torch.argmax(channel_scores(rec.output[0], "mean")))


def strongest_position(rec: LayerRecord, channel: int) -> tuple[int, int]:
    """(row, col) of the largest output value of ``channel``: a place where the kernel responds."""
    fmap = rec.output[0, channel]
    flat = int(torch.argmax(fmap))
    return divmod(flat, int(fmap.shape[-1]))


def output_size(n: int, k: int, p: int = 0, s: int = 1, d: int = 1) -> int:
    """out = ⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1 (= ⌊(n + 2p − k)/s⌋ + 1 for d = 1) by :func:`window.output_size`,
    here in the explorer's order (n, k, p, s, d); ConvError("arguments" / "too_small") when there is no output."""
    try:
        return window.output_size(n, k, s, p, d)
    except window.WindowError as e:
        raise ConvError(e.code, str(e), **e.params) from e


@dataclass(frozen=True)
class SlidingWindow:
    """The window positions of a k×k kernel sliding over an n×n input padded by p with stride s."""

    n: int
    k: int
    p: int
    s: int
    out: int  # output side
    numerator: int  # n + 2p − k
    unused: int  # padded cells at the right/bottom edge that no window reaches: (n + 2p − k) mod s
    positions: tuple[tuple[int, int], ...]  # (top, left) of each window on the padded grid, row-major
    padded_input: np.ndarray  # [n + 2p, n + 2p] the example input with its padding zeros
    outputs: np.ndarray  # [out, out] window sums: F.conv2d with an all-ones k×k kernel

    @property
    def padded(self) -> int:
        return self.n + 2 * self.p

    @property
    def quotient(self) -> int:
        """⌊(n + 2p − k)/s⌋: how many strides fit after the first window."""
        return self.numerator // self.s

    def step(self, index: int) -> tuple[tuple[int, int], tuple[int, int], float]:
        """Window ``index`` (0-based, row-major): its (top, left) on the padded grid, the output cell (i, j) it
        fills and the window's sum there."""
        oi, oj = divmod(index, self.out)
        return self.positions[index], (oi, oj), float(self.outputs[oi, oj])


def example_input(n: int) -> np.ndarray:
    """A small n×n 0/1 picture for the explorer: a plus sign, so sums vary from window to window."""
    x = np.zeros((n, n), dtype=np.float32)
    c = n // 2
    x[c, 1:n - 1] = 1.0
    x[1:n - 1, c] = 1.0
    return x


def sliding_window(n: int, k: int, p: int, s: int, values: np.ndarray | None = None) -> SlidingWindow:
    """Every window of the padding & stride explorer, with out = ⌊(n + 2p − k)/s⌋ + 1.

    The example output is the sum of each window (an all-ones kernel), computed with ``F.conv2d``.
    """
    out = output_size(n, k, p, s)
    x = example_input(n) if values is None else np.asarray(values, dtype=np.float32)
    pos = tuple((i * s, j * s) for i in range(out) for j in range(out))
    num = window.span(n, k, p)  # n + 2p − k for d = 1
    padded = np.pad(x, p)
    y = F.conv2d(torch.from_numpy(x)[None, None], torch.ones(1, 1, k, k), stride=s, padding=p)[0, 0].numpy()
    return SlidingWindow(n=n, k=k, p=p, s=s, out=out, numerator=num, unused=num % s, positions=pos,
                         padded_input=padded, outputs=y)


@dataclass(frozen=True)
class LayerField:
    """One row of "what deeper layers see": size, channels and receptive field of one layer's output."""

    key: str
    kind: str
    channels: int | None
    height: int | None
    width: int | None
    kernel: int  # 1 for layers that do not look at neighbours
    stride: int
    jump: int  # input pixels between neighbouring cells
    receptive_field: int | None  # side of the input square one cell depends on; None: the whole input
    source: str | None = None  # key of the layer whose output this layer reads ("" = the model input)
    merged: bool = False  # the input is a join of branches (residual add, SE scaling): the largest branch is used


def receptive_field_chain(specs: Sequence[tuple[int, int, int]], r0: int = 1, j0: int = 1) -> list[tuple[int, int]]:
    """(r, j) after each (k, s, d): r_out = r_in + (k − 1)·d·j_in, j_out = j_in·s."""
    r, j = r0, j0
    out = []
    for k, s, d in specs:
        r = r + (k - 1) * d * j
        j = j * s
        out.append((r, j))
    return out


def _window(rec: LayerRecord) -> tuple[int, int, int] | None:
    """(k, s, d) of a layer that looks at neighbours; (1, 1, 1) for point-wise layers; None for a global pool."""
    cfg = rec.config
    if rec.kind in SPATIAL_KINDS:
        k = window.pair(cfg.get("kernel_size", 1))[0]
        s = window.pair(cfg.get("stride") or (1 if rec.kind in CONV_KINDS else k))[0]
        d = window.pair(cfg.get("dilation", 1))[0]
        return k, s, d
    if rec.kind in ADAPTIVE_KINDS and rec.input is not None and rec.input.dim() == 4 and rec.output.dim() == 4:
        n, m = int(rec.input.shape[-1]), int(rec.output.shape[-1])
        if m == 1 and n > 1:
            return None
        k, s = window.adaptive_window(n, m)
        return k, s, 1
    return 1, 1, 1


def _source(trace: Trace, rec: LayerRecord, done: Sequence[LayerRecord],
            fields: Mapping[str, tuple[int | None, int]]) -> tuple[str | None, bool]:
    """Which earlier output ``rec`` reads: the latest one equal to its input ("" = the model input), else (a join of
    branches: addition, scaling, channel concatenation) the earlier map of the same height and width with the
    largest receptive field; (None, False) if none fits (e.g. after a flatten)."""
    x = rec.input
    if x is None:
        return None, False
    for prev in reversed(done):
        if prev.output.shape == x.shape and torch.equal(prev.output, x):
            return prev.key, False
    if trace.input.shape[1:] == x.shape[1:] and torch.equal(trace.input[:1], x[:1]):
        return "", False
    same = [p for p in done if p.output.dim() == 4 and x.dim() == 4 and p.output.shape[-2:] == x.shape[-2:]
            and fields[p.key][0] is not None]
    if not same:
        return None, False
    best = max(reversed(same), key=lambda p: fields[p.key][0] or 0)
    return best.key, True


def receptive_fields(trace: Trace) -> list[LayerField]:
    """Channels, spatial size and receptive field of every layer, from the traced shapes, configs and data flow.

    Each layer continues the (r, j) of the layer whose output it reads (see the module docstring for joins of
    branches); point-wise layers keep r and j; a global pooling (to 1×1), a flatten or a linear layer make every
    unit depend on the whole input (receptive_field None).
    """
    fields: dict[str, tuple[int | None, int]] = {"": (1, 1)}
    rows: list[LayerField] = []
    done: list[LayerRecord] = []
    prev_key = ""
    for rec in trace.layers:
        shape = tuple(rec.output.shape)
        src, merged = _source(trace, rec, done, fields)
        if src is None:
            src = prev_key
            r_in, j_in = None, fields[src][1]
        else:
            r_in, j_in = fields[src]
        win = _window(rec)
        k = s = 1
        r: int | None
        if r_in is None or win is None or len(shape) != 4 or rec.input is None or rec.input.dim() != 4:
            r, j = None, j_in
        else:
            k, s, d = win
            r, j = receptive_field_chain([(k, s, d)], r_in, j_in)[0]
        fields[rec.key] = (r, j)
        rows.append(LayerField(
            key=rec.key, kind=rec.kind,
            channels=shape[1] if len(shape) in (2, 4) else None,
            height=shape[2] if len(shape) == 4 else None, width=shape[3] if len(shape) == 4 else None,
            kernel=k, stride=s, jump=j, receptive_field=r, source=src, merged=merged,
        ))
        done.append(rec)
        prev_key = rec.key
    return rows


def spatial_rows(fields: Sequence[LayerField]) -> list[LayerField]:
    """The rows of a convolution or pooling layer (:data:`MAP_ROW_KINDS`): a large network's table without its
    activations and batch norms."""
    return [f for f in fields if f.kind in MAP_ROW_KINDS]


def input_side(trace: Trace) -> int:
    return int(trace.input.shape[-1])


def kernel_grid(rec: LayerRecord) -> tuple[np.ndarray, list[str]]:
    """All kernels of a conv layer as [O·C, kh, kw] (row o of a C-column tiling is output channel o)."""
    w = rec.params["weight"].detach().float().numpy()
    o, c, kh, kw = w.shape
    labels = [f"out {i} · in {q}" for i in range(o) for q in range(c)]
    return w.reshape(o * c, kh, kw), labels


def cols_for(n: int) -> int:
    """A tiling width close to square for n maps."""
    return max(1, math.ceil(math.sqrt(n)))
