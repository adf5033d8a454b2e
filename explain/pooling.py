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

General set-ups (the ImageNet models), per axis, for an input side n:

    kernel k, stride s, padding p, dilation d:
        o = ⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1          (ceil_mode=False)
        o = ⌈(n + 2p − d·(k − 1) − 1)/s⌉ + 1          (ceil_mode=True), minus 1 if the last window would
                                                      start in the right padding ((o − 1)·s ≥ n + p)
        window i reads the cells i·s − p + j·d (j < k) that lie inside the map; padded cells count as −∞
        for max pooling, and for average pooling the divisor is the window's size clipped to the padded map
        (count_include_pad=True) or the number of real cells (False);
    adaptive pooling to o outputs:
        window i covers ⌊i·n/o⌋ … ⌈(i + 1)·n/o⌉ − 1 (windows may differ in size and overlap by one cell).

Small-shift invariance: for a shift δ of the input, the relative change ‖f(x_δ) − f(x)‖ / ‖f(x)‖ is
measured for the map before the pooling layer and after it, and for the prediction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explain import kinds, window
from explain.hooks import capture, model_lock
from explain.trace import LayerRecord, Trace

PoolKind = Literal["max", "avg"]
MAX_SHIFTS = 15  # shift_study runs 1 + len(shifts) images: at most 16 forwards (bounded for ImageNet models)
POOL_KINDS = kinds.on_page(kinds.POOLING_PAGE)  # the max and average kinds of the table of layer kinds


class PoolError(ValueError):
    """A request the pooling views cannot answer; ``code`` names a catalog message (``pool.error.<code>``)."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(message)


def pool_layers(trace: Trace) -> list[LayerRecord]:
    """The pooling calls of a trace, in execution order."""
    return trace.of_kind(*POOL_KINDS)


def pool_kind(rec: LayerRecord) -> PoolKind:
    return _max_or_avg(rec.kind)


def _max_or_avg(kind: str) -> PoolKind:
    return "max" if "Max" in kind else "avg"


def pool_params(rec: LayerRecord) -> tuple[int, int]:
    """(k, s) of a pooling record; PoolError for set-ups this page does not draw (padding, dilation, ceil)."""
    if kinds.shape_rule(rec.kind) == "adaptive":
        raise PoolError("config", "adaptive pooling has no fixed window", layer=rec.key)
    spec = spec_of(rec.kind, rec.config)
    if spec.p[0] != 0 or spec.d[0] != 1 or spec.ceil_mode:
        raise PoolError("config", "only pooling without padding, dilation or ceil_mode is drawn", layer=rec.key)
    return spec.k[0], spec.s[0]


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
    oh, ow = output_size(h, k, s), output_size(w, k, s)
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
    """dL/dx of a k×k, stride-s pooling of one [h, w] map for dL/dy = g, by the routing rule (:func:`route`)."""
    return route(x, g, PoolSpec(kind=kind, adaptive=False, k=(k, k), s=(s, s)))


# --- any set-up: padding, dilation, ceil_mode, adaptive windows --------------------------------------------


@dataclass(frozen=True)
class PoolSpec:
    """What one pooling layer does, per axis (rows, cols)."""

    kind: PoolKind
    adaptive: bool
    k: tuple[int, int] = (1, 1)
    s: tuple[int, int] = (1, 1)
    p: tuple[int, int] = (0, 0)
    d: tuple[int, int] = (1, 1)
    ceil_mode: bool = False
    count_include_pad: bool = True
    divisor_override: int | None = None

    @property
    def simple(self) -> bool:
        """No padding, dilation, ceil_mode or adaptive windows, square: the set-up the 4×4 view draws."""
        return (not self.adaptive and self.p == (0, 0) and self.d == (1, 1) and not self.ceil_mode
                and self.k[0] == self.k[1] and self.s[0] == self.s[1])

    @property
    def functional(self) -> str:
        """The torch.nn.functional call that computes this pooling, e.g. "max_pool2d", "adaptive_avg_pool2d"."""
        return ("adaptive_" if self.adaptive else "") + f"{self.kind}_pool2d"

    def floor_size(self, n: int, axis: int = 0) -> int:
        """The output side along ``axis`` without ceil_mode, ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1: what ceil_mode
        changes (not for adaptive pooling)."""
        return output_size(n, self.k[axis], self.s[axis], self.p[axis], self.d[axis], False)


def pool_spec(rec: LayerRecord) -> PoolSpec:
    """The PoolSpec of a pooling record (from the module's constants)."""
    if rec.kind not in POOL_KINDS:
        raise PoolError("not_pool", f"{rec.key} is not a pooling layer", layer=rec.key)
    return spec_of(rec.kind, rec.config)


def spec_of(kind: str, cfg: Mapping[str, Any]) -> PoolSpec:
    """The PoolSpec of a pooling layer of ``kind`` ("MaxPool2d", …) with constants ``cfg`` (``module_config``)."""
    pk = _max_or_avg(kind)
    if kinds.shape_rule(kind) == "adaptive":
        return PoolSpec(kind=pk, adaptive=True)
    k = window.pair(cfg.get("kernel_size"), 2)
    return PoolSpec(kind=pk, adaptive=False, k=k, s=window.pair(cfg.get("stride") or k, 1),
                    p=window.pair(cfg.get("padding"), 0), d=window.pair(cfg.get("dilation"), 1),
                    ceil_mode=bool(cfg.get("ceil_mode", False)),
                    count_include_pad=bool(cfg.get("count_include_pad", True)),
                    divisor_override=cfg.get("divisor_override"))


def output_size(n: int, k: int, s: int, p: int = 0, d: int = 1, ceil_mode: bool = False) -> int:
    """o = ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1, or with ⌈…⌉ for ceil_mode (then minus 1 when the last window
    would start in the right padding, (o − 1)·s ≥ n + p), as PyTorch computes it (:func:`window.output_size`);
    PoolError("too_small") when the window does not fit."""
    try:
        return window.output_size(n, k, s, p, d, ceil_mode)
    except window.WindowError as e:
        raise PoolError("too_small", "the window is larger than the map", n=n, k=k) from e


#: Adaptive pooling of n cells to o: window i covers the half-open range [⌊i·n/o⌋, ⌈(i + 1)·n/o⌉).
adaptive_range = window.adaptive_bin


@dataclass(frozen=True)
class AxisWindows:
    """The windows of one axis: the real cells each output index reads, and its average-pool divisor part."""

    cells: tuple[np.ndarray, ...]  # per output index, the input indices read (inside the map)
    sizes: tuple[int, ...]  # the window length used by count_include_pad (clipped to the padded map)
    padded: tuple[int, ...]  # how many of the window's k positions fall in the padding or past the map


def axis_windows(n: int, spec: PoolSpec, axis: int, o: int | None = None) -> AxisWindows:
    """Windows along one axis (0 rows, 1 cols) for an input side n (adaptive: to ``o`` outputs)."""
    cells, sizes, padded = [], [], []
    if spec.adaptive:
        if o is None or o < 1:
            raise PoolError("config", "adaptive pooling needs the output size")
        for i in range(o):
            a, b = adaptive_range(i, n, o)
            cells.append(np.arange(a, b))
            sizes.append(b - a)
            padded.append(0)
    else:
        k, s, p, d = spec.k[axis], spec.s[axis], spec.p[axis], spec.d[axis]
        o = output_size(n, k, s, p, d, spec.ceil_mode)
        for i in range(o):
            idx = np.array(window.window_cells(i, k, s, p, d))
            start = int(idx[0])
            inside = idx[(idx >= 0) & (idx < n)]
            cells.append(inside)
            sizes.append(min(start + k, n + p) - start)  # avg_pool2d's pool_size before clipping to the map
            padded.append(k - len(inside))
    return AxisWindows(tuple(cells), tuple(sizes), tuple(padded))


@dataclass(frozen=True)
class ChannelPool:
    """One channel pooled cell by cell with the layer's own windows (loops, no pooling library call)."""

    spec: PoolSpec
    out: np.ndarray  # [oh, ow]
    argmax: np.ndarray  # [oh, ow] flat input index of each maximum (row-major first on ties); −1 for avg
    divisor: np.ndarray  # [oh, ow] what each average divides by (1 for max)
    rows: AxisWindows
    cols: AxisWindows


def _index_grid(windows: AxisWindows) -> tuple[np.ndarray, np.ndarray]:
    """Windows of one axis as an index matrix [o, kmax] (padded with 0) and its validity mask."""
    kmax = max(len(c) for c in windows.cells)
    idx = np.zeros((len(windows.cells), kmax), dtype=np.int64)
    ok = np.zeros((len(windows.cells), kmax), dtype=bool)
    for i, c in enumerate(windows.cells):
        idx[i, :len(c)] = c
        ok[i, :len(c)] = True
    return idx, ok


def pool_channel(x: np.ndarray, spec: PoolSpec, out_shape: tuple[int, int] | None = None) -> ChannelPool:
    """Pool one map [h, w] (or a stack [..., h, w], every map with the same windows) as the layer does, from
    the windows above (no pooling library call); ``out_shape`` is needed for adaptive pooling. Every window is
    gathered into [..., oh, ow, kh, kw]; cells outside a window (padding, past the edge, shorter adaptive
    windows) are masked out."""
    x = np.asarray(x, dtype=np.float64)
    h, w = x.shape[-2:]
    oh, ow = out_shape if out_shape is not None else (None, None)
    rows, cols = axis_windows(h, spec, 0, oh), axis_windows(w, spec, 1, ow)
    ri, rok = _index_grid(rows)
    ci, cok = _index_grid(cols)
    win = np.swapaxes(x[..., ri[:, :, None, None], ci[None, None, :, :]], -3, -2)  # [..., oh, ow, kh, kw]
    ok = (rok[:, None, :, None] & cok[None, :, None, :])
    oh, ow, kh, kw = ok.shape
    if spec.kind == "max":
        flat = np.where(ok, win, -np.inf).reshape(*win.shape[:-2], kh * kw)
        best = np.argmax(flat, axis=-1)  # first maximum in row-major order, as PyTorch picks
        u, v = np.divmod(best, kw)
        out = np.take_along_axis(flat, best[..., None], -1)[..., 0]
        arg = ri[np.arange(oh)[:, None], u] * w + ci[np.arange(ow)[None, :], v]
        div = np.ones((oh, ow))
    else:
        count = ok.sum(axis=(2, 3)).astype(np.float64)
        if spec.divisor_override:
            div = np.full((oh, ow), float(spec.divisor_override))
        elif spec.adaptive or not spec.count_include_pad:
            div = count
        else:
            div = np.outer(np.asarray(rows.sizes, dtype=np.float64), np.asarray(cols.sizes, dtype=np.float64))
        out = np.where(ok, win, 0.0).sum(axis=(-2, -1)) / div
        arg = np.full(out.shape, -1, dtype=np.int64)
    return ChannelPool(spec, out, arg.astype(np.int64), div, rows, cols)


def route(x: np.ndarray, g: np.ndarray, spec: PoolSpec) -> np.ndarray:
    """dL/dx of a pooling of x [..., h, w] for dL/dy = g [..., oh, ow], by the routing rule (no autograd):

        max:      dL/dx[a, b] = Σ_{(i,j): (a,b) is the argmax of window (i,j)} g[i, j]
        average:  dL/dx[a, b] = Σ_{(i,j): (a,b) a real cell of window (i,j)} g[i, j] / divisor[i, j]

    with the windows of :func:`axis_windows` (padding, dilation, ceil_mode and adaptive bins included). This is
    the one routing rule: the pooling page (one channel) and the hand backward of every layer use it."""
    x = np.asarray(x, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    cp = pool_channel(x, spec, g.shape[-2:])
    if cp.out.shape != g.shape:
        raise PoolError("config", f"dL/dy has shape {g.shape}, the pooling gives {cp.out.shape}")
    h, w = x.shape[-2:]
    lead = int(np.prod(x.shape[:-2], dtype=np.int64))
    base = (np.arange(lead, dtype=np.int64) * (h * w))[:, None]  # offset of each map in the flat output
    if spec.kind == "max":
        idx = base + cp.argmax.reshape(lead, -1)
        vals = g.reshape(lead, -1)
    else:
        ri, rok = _index_grid(cp.rows)
        ci, cok = _index_grid(cp.cols)
        flat = ri[:, None, :, None] * w + ci[None, :, None, :]  # [oh, ow, kh, kw]
        ok = rok[:, None, :, None] & cok[None, :, None, :]
        share = np.broadcast_to((g / cp.divisor)[..., None, None], (*g.shape, *ok.shape[-2:]))
        idx = base + flat[ok][None, :]
        vals = share.reshape(lead, *ok.shape)[:, ok]
    # bincount adds the values in order, window by window, as the loops of the rule would
    return np.bincount(idx.ravel(), weights=vals.ravel(), minlength=lead * h * w).reshape(x.shape)


#: dL/dx of one map [h, w] for dL/dy = g (:func:`route`).
route_channel = route


def torch_pool(x: torch.Tensor, spec: PoolSpec, out_shape: tuple[int, int] | None = None) -> torch.Tensor:
    """The same pooling by PyTorch's functional API (F.max_pool2d, F.avg_pool2d, F.adaptive_*_pool2d)."""
    if spec.adaptive:
        assert out_shape is not None
        fn = F.adaptive_max_pool2d if spec.kind == "max" else F.adaptive_avg_pool2d
        return fn(x, out_shape)
    if spec.kind == "max":
        return F.max_pool2d(x, spec.k, spec.s, spec.p, spec.d, ceil_mode=spec.ceil_mode)
    return F.avg_pool2d(x, spec.k, spec.s, spec.p, ceil_mode=spec.ceil_mode,
                        count_include_pad=spec.count_include_pad, divisor_override=spec.divisor_override)


def autograd_channel_grad(x: torch.Tensor, grad_out: torch.Tensor, spec: PoolSpec) -> torch.Tensor:
    """dL/dx from autograd: y = torch_pool(x_leaf), then y.backward(grad_out) (x, grad_out: [h, w] / [oh, ow])."""
    with torch.inference_mode(False), torch.enable_grad():
        leaf = x.detach().clone().double()[None, None].requires_grad_(True)
        y = torch_pool(leaf, spec, tuple(grad_out.shape[-2:]))
        y.backward(grad_out.detach().clone().double().reshape(y.shape))
    assert leaf.grad is not None
    return leaf.grad.detach()[0, 0]


@dataclass(frozen=True)
class WindowCell:
    """The window behind one output cell (i, j) of one channel."""

    channel: int
    cell: tuple[int, int]
    rows: tuple[int, int]  # first and last input row read (inside the map)
    cols: tuple[int, int]
    values: np.ndarray  # the real input cells read [r, c]
    padded: int  # window positions that fall in the padding or past the map (not read)
    argmax: tuple[int, int] | None  # (row, col) in the input of the max (max pooling), else None
    divisor: float
    value: float  # computed here
    recorded: float  # the layer's recorded output at (channel, i, j)


def window_cell(rec: LayerRecord, channel: int, i: int, j: int) -> WindowCell:
    """Which input cells output (channel, i, j) of a pooling record reads, and its value recomputed."""
    assert rec.input is not None
    spec = pool_spec(rec)
    x = rec.input[0, channel].double().numpy()
    oh, ow = rec.output.shape[-2:]
    cp = pool_channel(x, spec, (int(oh), int(ow)))
    i, j = int(np.clip(i, 0, oh - 1)), int(np.clip(j, 0, ow - 1))
    ri, cj = cp.rows.cells[i], cp.cols.cells[j]
    padded = spec.k[0] * spec.k[1] - len(ri) * len(cj) if not spec.adaptive else 0
    arg = None
    if spec.kind == "max":
        arg = divmod(int(cp.argmax[i, j]), x.shape[1])
    return WindowCell(channel=channel, cell=(i, j), rows=(int(ri[0]), int(ri[-1])), cols=(int(cj[0]), int(cj[-1])),
                      values=x[np.ix_(ri, cj)], padded=int(padded), argmax=arg, divisor=float(cp.divisor[i, j]),
                      value=float(cp.out[i, j]), recorded=float(rec.output[0, channel, i, j]))


def strongest_cell(rec: LayerRecord, channel: int) -> tuple[int, int]:
    """(i, j) of the largest output of ``channel`` (the first one, row-major, on ties)."""
    out_map = rec.output[0, channel]
    return divmod(int(out_map.argmax()), int(out_map.shape[-1]))


@dataclass(frozen=True)
class AdaptiveRows:
    """The first row bins of an adaptive pooling from n rows to o (:func:`window.adaptive_bin`)."""

    n: int
    o: int
    bins: tuple[tuple[int, int], ...]  # half-open [a, b) of rows 0 … len(bins) − 1
    more: bool  # o > len(bins): rows left out

    @property
    def identity(self) -> bool:
        """n = o: every bin is one row, the pooling copies its input."""
        return self.n == self.o


def adaptive_rows(n: int, o: int, limit: int = 8) -> AdaptiveRows:
    """The bins of the first ``limit`` output rows of adaptive pooling from n rows to o."""
    return AdaptiveRows(n=n, o=o, bins=tuple(adaptive_range(r, n, o) for r in range(min(o, limit))), more=o > limit)


@dataclass(frozen=True)
class Picks:
    """Where max pooling took its values: how often each input cell was picked."""

    counts: np.ndarray  # [H, W] windows that picked each cell

    @property
    def picked(self) -> float:
        """Fraction of the input cells some window picked (the rest never reach the output)."""
        return float((self.counts > 0).mean())

    @property
    def most(self) -> int:
        """The most windows one cell was picked by (> 1 only where windows overlap)."""
        return int(self.counts.max())


def picks(rec: LayerRecord, channel: int) -> Picks:
    """The pick counts of max-pooling record ``rec`` on ``channel`` (its own windows, any set-up)."""
    assert rec.input is not None
    oh, ow = (int(v) for v in rec.output.shape[-2:])
    h, w = (int(v) for v in rec.input.shape[-2:])
    cp = pool_channel(rec.input[0, channel].double().numpy(), pool_spec(rec), (oh, ow))
    return Picks(pick_counts(cp, (h, w)))


def pick_counts(cp: ChannelPool, shape: tuple[int, int]) -> np.ndarray:
    """How many max-pooling windows picked each input cell (0 for cells no window chose; overlapping
    windows can pick one cell several times)."""
    if cp.spec.kind != "max":
        raise PoolError("not_max", "only max pooling picks cells")
    return np.bincount(cp.argmax.ravel(), minlength=shape[0] * shape[1]).reshape(shape)


def size_formula(n: int, o: int, spec: PoolSpec, axis: int = 0) -> str:
    """The output-size rule with the numbers filled in (:func:`window.size_formula`, the dilation written out;
    :func:`window.adaptive_formula` for adaptive pooling to o)."""
    if spec.adaptive:
        return window.adaptive_formula(n, o)
    return window.size_formula(n, spec.k[axis], spec.s[axis], spec.p[axis], spec.d[axis], spec.ceil_mode,
                               general=True)


def pool_backward(trace: Trace, key: str, channel: int) -> PoolBackward:
    """Route the traced dL/dy of pooling layer ``key`` back to its input, by hand and with autograd."""
    rec = trace[key]
    if rec.kind not in POOL_KINDS or rec.input is None:
        raise PoolError("not_pool", f"{key} is not a pooling layer", layer=key)
    if rec.grad is None:
        raise PoolError("no_grad", "the trace has no gradient at this layer", layer=key)
    spec = pool_spec(rec)
    kind = spec.kind
    x = rec.input[0, channel]
    g = rec.grad[0, channel]
    routed = route_channel(x.numpy(), g.numpy(), spec)
    auto = autograd_channel_grad(x, g, spec).numpy()
    other_spec = replace(spec, kind="avg" if kind == "max" else "max")
    other = route_channel(x.numpy(), g.numpy(), other_spec)
    return PoolBackward(
        layer=key, channel=channel, kind=kind, k=0 if spec.adaptive else spec.k[0],
        s=0 if spec.adaptive else spec.s[0], grad_out=g.double().numpy(), routed=routed,
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
                shifts: Sequence[int] = (0, 1, 2, 3), fill: float | None = None) -> ShiftStudy:
    """Relative change of the pool input, the pool output and the prediction for each shift of the input.

    All shifted copies (and the unshifted image) go through the model as ONE batch of a plain forward
    (eval mode, no gradients); the model is not changed.
    """
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if model.training:
        raise PoolError("training", "the model must be in eval mode")
    x = x[:1]
    if len(shifts) > MAX_SHIFTS:
        raise PoolError("too_many", f"at most {MAX_SHIFTS} shifted copies", n=len(shifts))
    batch = torch.cat([x] + [shift_image(x, direction[0] * n, direction[1] * n, fill) for n in shifts])
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
