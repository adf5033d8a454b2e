"""Convolution layers explained with the real numbers of a trace.

A 2-D convolution layer (as ``torch.nn.Conv2d`` and ``F.conv2d`` compute it; in deep learning this is
really *cross-correlation*: the kernel is not flipped) gives for output channel o at position (i, j)

    z[o, i, j] = b[o] + Σ_c Σ_u Σ_v  w[o, c, u, v] · x_pad[c, i·s + u·d, j·s + v·d]

where x_pad is the input with p zeros added on every side, s the stride and d the dilation.
Each output side has  out = ⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1  cells, i.e. ⌊(n + 2p − k)/s⌋ + 1 for d = 1.

Receptive field (how many input pixels one cell of a layer depends on), layer by layer:
    r_out = r_in + (k − 1)·d·j_in,    j_out = j_in·s,    starting from r = 1, j = 1 at the input,
where j ("jump") is the distance in input pixels between two neighbouring cells of the layer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from explain.trace import LayerRecord, Trace

ACTIVATION_KINDS = ("ReLU", "Sigmoid", "Tanh", "ELU", "PReLU", "LeakyReLU", "GELU", "SiLU", "Identity")
SPATIAL_KINDS = ("Conv2d", "MaxPool2d", "AvgPool2d")


class ConvError(ValueError):
    """A request the convolution views cannot answer; ``code`` names a catalog message (``conv.error.<code>``)."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(message)


def _pair(v: Any) -> tuple[int, int]:
    if isinstance(v, (tuple, list)):
        return int(v[0]), int(v[-1])
    return int(v), int(v)


def conv_layers(trace: Trace) -> list[LayerRecord]:
    """The Conv2d calls of a trace, in execution order."""
    return trace.of_kind("Conv2d")


def padding_of(config: Mapping[str, Any]) -> tuple[int, int]:
    """Leading (top, left) zero padding of a conv config; "valid" is 0, "same" pads ⌊d·(k − 1)/2⌋ first."""
    pad = config.get("padding", 0)
    if isinstance(pad, str):
        if pad == "valid":
            return 0, 0
        kh, kw = _pair(config.get("kernel_size", 1))
        dh, dw = _pair(config.get("dilation", 1))
        return dh * (kh - 1) // 2, dw * (kw - 1) // 2
    return _pair(pad)


def activation_after(trace: Trace, rec: LayerRecord) -> LayerRecord | None:
    """The activation call that takes ``rec``'s output as its input (the next call), if there is one."""
    nxt = next((r for r in trace.layers if r.index == rec.index + 1), None)
    if nxt is None or nxt.kind not in ACTIVATION_KINDS or nxt.input is None:
        return None
    if nxt.input.shape != rec.output.shape or not torch.equal(nxt.input, rec.output):
        return None
    return nxt


def apply_activation(rec: LayerRecord, value: float, channel: int) -> float:
    """f(value) for the activation layer ``rec`` at ``channel`` (PReLU uses that channel's learned slope).

    ReLU max(0, z); Sigmoid 1/(1 + e^{−z}); Tanh; ELU z if z > 0 else α(e^z − 1);
    PReLU max(0, z) + a_c·min(0, z); LeakyReLU with its negative slope; GELU; SiLU z·σ(z).
    """
    z = torch.tensor(float(value), dtype=torch.float64)
    cfg = rec.config
    kind = rec.kind
    if kind == "ReLU":
        out = F.relu(z)
    elif kind == "Sigmoid":
        out = torch.sigmoid(z)
    elif kind == "Tanh":
        out = torch.tanh(z)
    elif kind == "ELU":
        out = F.elu(z, alpha=float(cfg.get("alpha", 1.0)))
    elif kind == "PReLU":
        w = rec.params["weight"].double().reshape(-1)
        a = w[channel] if w.numel() > 1 else w[0]
        out = torch.clamp(z, min=0) + a * torch.clamp(z, max=0)
    elif kind == "LeakyReLU":
        out = F.leaky_relu(z, float(cfg.get("negative_slope", 0.01)))
    elif kind == "GELU":
        out = F.gelu(z, approximate=str(cfg.get("approximate", "none")))
    elif kind == "SiLU":
        out = F.silu(z)
    elif kind == "Identity":
        out = z
    else:
        raise ConvError("activation", f"unsupported activation {kind}", kind=kind)
    return float(out)


@dataclass(frozen=True)
class ConvStep:
    """One output value of a conv layer worked out by hand from the recorded input and weights."""

    layer: str
    channel: int  # output channel o
    row: int
    col: int
    in_channels: tuple[int, ...]  # the input channels this output channel reads (all of them unless groups > 1)
    patch: np.ndarray  # [C_in, kh, kw] receptive patch of the input, zeros where it falls on padding
    is_pad: np.ndarray  # [kh, kw] bool: True where the patch cell is a padding zero
    origin: tuple[int, int]  # input (row, col) of the patch's top-left cell (may be negative: padding)
    kernel: np.ndarray  # [C_in, kh, kw] = w[o]
    products: np.ndarray  # [C_in, kh, kw] = patch · kernel (element-wise)
    channel_sums: np.ndarray  # [C_in] Σ_{u,v} products per input channel
    total: float  # Σ products
    bias: float
    pre_activation: float  # total + bias
    recorded: float  # the traced conv output z[o, row, col]
    activation: str | None  # kind of the following activation layer, if any
    post_activation: float | None  # f(total + bias)
    recorded_post: float | None  # the traced activation output at the same place

    @property
    def error(self) -> float:
        """|hand-computed − recorded| for the conv output (and the activation, when there is one)."""
        e = abs(self.pre_activation - self.recorded)
        if self.post_activation is not None and self.recorded_post is not None:
            e = max(e, abs(self.post_activation - self.recorded_post))
        return e

    @property
    def matches(self) -> bool:
        tol = 1e-4 * max(1.0, abs(self.recorded))
        return self.error <= tol


def conv_step(trace: Trace, key: str, channel: int, row: int, col: int) -> ConvStep:
    """z[o, i, j] = b[o] + Σ w[o]·x_pad-patch, from the traced input and weights, checked against the trace."""
    rec = trace[key]
    if rec.kind != "Conv2d" or rec.input is None:
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
    sh, sw = _pair(cfg.get("stride", 1))
    dh, dw = _pair(cfg.get("dilation", 1))
    ph, pw = padding_of(cfg)
    groups = int(cfg.get("groups", 1))
    g = channel // (out_c // groups)
    ins = tuple(range(g * cin_g, (g + 1) * cin_g))
    h, wd = x.shape[-2:]
    top, left = row * sh - ph, col * sw - pw
    rows = [top + u * dh for u in range(kh)]
    cols = [left + v * dw for v in range(kw)]
    patch = torch.zeros(cin_g, kh, kw, dtype=torch.float64)
    is_pad = np.ones((kh, kw), dtype=bool)
    for u, r in enumerate(rows):
        for v, c in enumerate(cols):
            if 0 <= r < h and 0 <= c < wd:
                patch[:, u, v] = x[list(ins), r, c]
                is_pad[u, v] = False
    kernel = w[channel]
    products = patch * kernel
    total = float(products.sum())
    b = rec.params.get("bias")
    bias = float(b[channel]) if b is not None else 0.0
    pre = total + bias
    act = activation_after(trace, rec)
    post = rec_post = None
    if act is not None:
        post = apply_activation(act, pre, channel)
        rec_post = float(act.output[0, channel, row, col])
    return ConvStep(
        layer=key, channel=channel, row=row, col=col, in_channels=ins, patch=patch.numpy(), is_pad=is_pad,
        origin=(top, left), kernel=kernel.numpy(), products=products.numpy(),
        channel_sums=products.sum(dim=(1, 2)).numpy(), total=total, bias=bias, pre_activation=pre,
        recorded=float(rec.output[0, channel, row, col]), activation=None if act is None else act.kind,
        post_activation=post, recorded_post=rec_post,
    )


def strongest_position(rec: LayerRecord, channel: int) -> tuple[int, int]:
    """(row, col) of the largest output value of ``channel``: a place where the kernel responds."""
    fmap = rec.output[0, channel]
    flat = int(torch.argmax(fmap))
    return divmod(flat, int(fmap.shape[-1]))


def output_size(n: int, k: int, p: int = 0, s: int = 1, d: int = 1) -> int:
    """out = ⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1 (= ⌊(n + 2p − k)/s⌋ + 1 for d = 1); ConvError if < 1."""
    if n < 1 or k < 1 or p < 0 or s < 1 or d < 1:
        raise ConvError("arguments", "n, k, s, d must be ≥ 1 and p ≥ 0", n=n, k=k, p=p, s=s)
    span = n + 2 * p - d * (k - 1) - 1
    if span < 0:
        raise ConvError("too_small", "the kernel is larger than the padded input", n=n, k=k, p=p)
    return span // s + 1


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
    num = n + 2 * p - k
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


def receptive_field_chain(specs: Sequence[tuple[int, int, int]], r0: int = 1, j0: int = 1) -> list[tuple[int, int]]:
    """(r, j) after each (k, s, d): r_out = r_in + (k − 1)·d·j_in, j_out = j_in·s."""
    r, j = r0, j0
    out = []
    for k, s, d in specs:
        r = r + (k - 1) * d * j
        j = j * s
        out.append((r, j))
    return out


def receptive_fields(trace: Trace) -> list[LayerField]:
    """Channels, spatial size and receptive field of every layer, from the traced shapes and configs.

    Layers without a spatial kernel (activations) keep r and j; after a flatten or a linear layer
    every unit depends on the whole input (receptive_field None).
    """
    r, j = 1, 1
    whole = False
    rows = []
    for rec in trace.layers:
        shape = tuple(rec.output.shape)
        k = s = 1
        if rec.kind in SPATIAL_KINDS and not whole:
            k = _pair(rec.config.get("kernel_size", 1))[0]
            s = _pair(rec.config.get("stride") or (1 if rec.kind == "Conv2d" else k))[0]
            d = _pair(rec.config.get("dilation", 1))[0]
            r, j = receptive_field_chain([(k, s, d)], r, j)[0]
        if len(shape) != 4:
            whole = True
        rows.append(LayerField(
            key=rec.key, kind=rec.kind,
            channels=shape[1] if len(shape) == 4 else (shape[1] if len(shape) == 2 else None),
            height=shape[2] if len(shape) == 4 else None, width=shape[3] if len(shape) == 4 else None,
            kernel=k, stride=s, jump=j, receptive_field=None if whole else r,
        ))
    return rows


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
