"""Window arithmetic: the sizes of sliding windows, adaptive bins, transposed convolutions and eval BatchNorm.

Every function takes its arguments in ONE order, per spatial axis: input side n, kernel k, stride s,
padding p, dilation d, then ceil_mode (or output_padding, keyword-only) where it applies.

Sliding window (Conv2d, MaxPool2d, AvgPool2d): window i reads the cells i·s − p + j·d (j < k) of the
input padded by p on both sides. The last window must end inside the padded input, so

    span = n + 2p − d·(k − 1) − 1                  (how far the first window can slide)
    o    = ⌊span/s⌋ + 1                            (= ⌊(n + 2p − k)/s⌋ + 1 for d = 1)

and with ``ceil_mode`` (pooling only) a last partial window is kept:

    o = ⌈span/s⌉ + 1, minus 1 if that window would start in the right padding ((o − 1)·s ≥ n + p),

which is PyTorch's rule: with ceil_mode the last window must start inside the input or the left padding.

Adaptive pooling of n cells to o outputs: bin i covers the half-open range

    [⌊i·n/o⌋, ⌈(i + 1)·n/o⌉)

so the bins tile the input; they may differ in length by one and overlap by one cell when o does not divide n.
For a receptive field the bins are taken as one sliding window of stride s = ⌊n/o⌋ and side
k = n − (o − 1)·s (exact when o divides n: k = s = n/o).

Transposed convolution (the adjoint of a strided convolution): every input cell stamps the kernel at
i·s − p + a·d, so

    o = (n − 1)·s − 2p + d·(k − 1) + output_padding + 1.

BatchNorm2d in eval mode uses the running statistics of channel c, not the batch's:

    y = (x − μ_c)/√(σ²_c + ε)·γ_c + β_c,      ∂y/∂x = γ_c/√(σ²_c + ε).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch


class WindowError(ValueError):
    """Window numbers that give no output; ``code`` is "arguments" (k, s, d < 1, p < 0, n < 1), "too_small"
    (the window is larger than the padded input) or "norm" (a batch norm without running statistics)."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(message)


def pair(v: Any, default: int | None = None) -> tuple[int, int]:
    """(h, w) of a per-axis setting: an int v gives (v, v), a 1-tuple (v,) gives (v, v), a pair gives itself;
    None gives (default, default) when a default is given."""
    if v is None:
        if default is None:
            raise WindowError("arguments", "a window setting is missing")
        return default, default
    if isinstance(v, (tuple, list)):
        if len(v) not in (1, 2):
            raise WindowError("arguments", f"expected one or two values per axis, got {len(v)}")
        return int(v[0]), int(v[-1])
    return int(v), int(v)


def leading_padding(padding: Any, k: Any, d: Any = 1) -> tuple[int, int]:
    """(top, left) zero padding of a Conv2d ``padding``: numbers as they are, "valid" is 0, "same" pads
    ⌊d·(k − 1)/2⌋ before the map (the rest, if d·(k − 1) is odd, goes after it)."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0
        if padding != "same":
            raise WindowError("arguments", f"unknown padding {padding!r}")
        (kh, kw), (dh, dw) = pair(k), pair(d)
        return dh * (kh - 1) // 2, dw * (kw - 1) // 2
    return pair(padding)


def span(n: int, k: int, p: int = 0, d: int = 1) -> int:
    """n + 2p − d·(k − 1) − 1: how many cells the first window can slide before it leaves the padded input."""
    return n + 2 * p - d * (k - 1) - 1


def window_cells(i: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> range:
    """The input cells window i reads, i·s − p + j·d for j = 0 … k − 1; a cell < 0 or ≥ n falls on the padding."""
    start = i * s - p
    return range(start, start + d * (k - 1) + 1, d)


def output_size(n: int, k: int, s: int = 1, p: int = 0, d: int = 1, ceil_mode: bool = False) -> int:
    """o = ⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1; with ``ceil_mode`` ⌈…⌉ + 1, minus 1 when the last window would
    start in the right padding ((o − 1)·s ≥ n + p), as PyTorch computes it.

    WindowError("arguments") for n, k, s, d < 1 or p < 0; WindowError("too_small") when o < 1: without
    ceil_mode that is a window larger than the padded input (n + 2p < d·(k − 1) + 1); with ceil_mode one
    partial window that starts at cell 0 still counts (PyTorch pools 1×1 with k = 2 in ceil mode to 1×1).
    """
    if n < 1 or k < 1 or s < 1 or d < 1 or p < 0:
        raise WindowError("arguments", "n, k, s, d must be ≥ 1 and p ≥ 0", n=n, k=k, s=s, p=p, d=d)
    num = span(n, k, p, d)
    if not ceil_mode:
        out = num // s + 1
    else:
        out = -(-num // s) + 1
        if (out - 1) * s >= n + p:  # the last window must start inside the input or the left padding
            out -= 1
    if out < 1:
        raise WindowError("too_small", "the window is larger than the padded input", n=n, k=k, s=s, p=p, d=d)
    return out


def size_formula(n: int, k: int, s: int = 1, p: int = 0, d: int = 1, ceil_mode: bool = False,
                 general: bool = False) -> str:
    """The output-size rule with the numbers filled in, e.g. "⌊(28 + 2·1 − 3)/1⌋ + 1 = 28"; with d ≠ 1 (or
    ``general``) the kernel term is written out, "⌊(10 + 2·1 − 2·(3 − 1) − 1)/2⌋ + 1 = 4"; ⌈…⌉ with ceil_mode."""
    kk = str(k) if d == 1 and not general else f"{d}·({k} − 1) − 1"
    lo, hi = ("⌈", "⌉") if ceil_mode else ("⌊", "⌋")
    return f"{lo}({n} + 2·{p} − {kk})/{s}{hi} + 1 = {output_size(n, k, s, p, d, ceil_mode)}"


def adaptive_bin(i: int, n: int, o: int) -> tuple[int, int]:
    """Bin i of adaptive pooling from n cells to o: the half-open range [⌊i·n/o⌋, ⌈(i + 1)·n/o⌉)."""
    if o < 1 or n < 1 or not 0 <= i < o:
        raise WindowError("arguments", "adaptive pooling needs 0 ≤ i < o and n, o ≥ 1", i=i, n=n, o=o)
    return (i * n) // o, -((-(i + 1) * n) // o)


def adaptive_bins(n: int, o: int) -> list[tuple[int, int]]:
    """All o bins of adaptive pooling from n cells (see :func:`adaptive_bin`)."""
    return [adaptive_bin(i, n, o) for i in range(o)]


def adaptive_size(output_size: Any, hw: tuple[int, int]) -> tuple[int, int]:
    """(oh, ow) of an adaptive pooling's ``output_size`` on an input of size ``hw``: an int is both sides, a pair
    gives each, and None on a side keeps the input's size there (as ``nn.AdaptiveAvgPool2d((None, 7))``)."""
    oh, ow = (output_size, output_size) if not isinstance(output_size, (tuple, list)) else tuple(output_size[:2])
    return (hw[0] if oh is None else int(oh)), (hw[1] if ow is None else int(ow))


def adaptive_window(n: int, o: int) -> tuple[int, int]:
    """(k, s) of the sliding window that stands for adaptive pooling from n cells to o: s = max(1, ⌊n/o⌋),
    k = max(1, n − (o − 1)·s), so that o windows of side k at stride s span the n cells."""
    if o < 1 or n < 1:
        raise WindowError("arguments", "adaptive pooling needs n, o ≥ 1", n=n, o=o)
    s = max(1, n // o)
    return max(1, n - (o - 1) * s), s


def adaptive_formula(n: int, o: int) -> str:
    """The adaptive rule with the numbers filled in and bin 0 as an example."""
    a, b = adaptive_bin(0, n, o)
    return f"o = {o}; i → ⌊i·{n}/{o}⌋ … ⌈(i+1)·{n}/{o}⌉ − 1 (i = 0: {a} … {b - 1})"


def transposed_size(n: int, k: int, s: int = 1, p: int = 0, d: int = 1, *, output_padding: int = 0) -> int:
    """o = (n − 1)·s − 2p + d·(k − 1) + output_padding + 1 (nn.ConvTranspose2d, per axis); the bare formula,
    which can be 0 or negative when the padding crops more than the stamps cover (callers check o ≥ 1)."""
    return (n - 1) * s - 2 * p + d * (k - 1) + output_padding + 1


def transposed_formula(n: int, k: int, s: int = 1, p: int = 0, d: int = 1, *, output_padding: int = 0) -> str:
    """The transposed size with the numbers filled in, e.g. "(7 − 1)·2 − 2·1 + 1·(4 − 1) + 0 + 1 = 14"."""
    out = transposed_size(n, k, s, p, d, output_padding=output_padding)
    return f"({n} − 1)·{s} − 2·{p} + {d}·({k} − 1) + {output_padding} + 1 = {out}"


# --- BatchNorm2d in eval mode ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NormStats:
    """The per-channel constants of an eval-mode BatchNorm2d, in float64: y = (x − μ)/√(σ² + ε)·γ + β."""

    mean: torch.Tensor  # μ [C], running mean
    var: torch.Tensor  # σ² [C], running variance
    eps: float  # ε
    gamma: torch.Tensor  # γ [C] (ones without a learned weight)
    beta: torch.Tensor  # β [C] (zeros without a learned bias)

    @property
    def inv_std(self) -> torch.Tensor:
        """1/√(σ² + ε) per channel."""
        return 1 / torch.sqrt(self.var + self.eps)

    @property
    def scale(self) -> torch.Tensor:
        """∂y/∂x = γ/√(σ² + ε) per channel."""
        return self.gamma * self.inv_std

    def normalized(self, x: torch.Tensor, channel_axis: int = 1) -> torch.Tensor:
        """x̂ = (x − μ)/√(σ² + ε), the channel on ``channel_axis`` of x."""
        return (x - _along(self.mean, x, channel_axis)) * _along(self.inv_std, x, channel_axis)

    def __call__(self, x: torch.Tensor, channel_axis: int = 1) -> torch.Tensor:
        """y = x̂·γ + β, the channel on ``channel_axis`` of x."""
        return self.normalized(x, channel_axis) * _along(self.gamma, x, channel_axis) \
            + _along(self.beta, x, channel_axis)

    def value(self, x: float, c: int) -> float:
        """y = (x − μ_c)/√(σ²_c + ε)·γ_c + β_c for one number x of channel c (the same formula as for a map)."""
        one = NormStats(self.mean[c:c + 1], self.var[c:c + 1], self.eps, self.gamma[c:c + 1], self.beta[c:c + 1])
        return float(one(torch.tensor([float(x)], dtype=torch.float64), channel_axis=0)[0])

    def channel(self, c: int) -> tuple[float, float, float, float, float]:
        """(μ, σ², ε, γ, β) of channel c as plain numbers."""
        return float(self.mean[c]), float(self.var[c]), self.eps, float(self.gamma[c]), float(self.beta[c])


def _along(v: torch.Tensor, x: torch.Tensor, axis: int) -> torch.Tensor:
    shape = [1] * x.dim()
    shape[axis] = -1
    return v.reshape(shape)


def norm_stats(module: Any) -> NormStats:
    """The eval-mode constants of a BatchNorm module (read, never changed); WindowError("norm") without running
    statistics (``track_running_stats=False``)."""
    buffers = {k: getattr(module, k, None) for k in ("running_mean", "running_var")}
    params = {k: getattr(module, k, None) for k in ("weight", "bias")}
    return norm_stats_from(buffers, params, getattr(module, "eps", 1e-5), type(module).__name__)


def norm_stats_from(buffers: Mapping[str, torch.Tensor | None], params: Mapping[str, torch.Tensor | None],
                    eps: float | None = None, kind: str = "BatchNorm2d") -> NormStats:
    """The eval-mode constants of a BatchNorm from its buffers (``running_mean``, ``running_var``), its
    parameters (``weight`` = γ, ``bias`` = β; absent without ``affine``) and ε, as a trace records them
    (:class:`explain.trace.LayerRecord` ``buffers``, ``params`` and ``config["eps"]``); WindowError("norm")
    without running statistics."""
    mean, var = buffers.get("running_mean"), buffers.get("running_var")
    if mean is None or var is None:
        raise WindowError("norm", "batch norm without running statistics", kind=kind)
    mean, var = mean.detach().double(), var.detach().double()
    w, b = params.get("weight"), params.get("bias")
    gamma = w.detach().double() if w is not None else torch.ones_like(mean)
    beta = b.detach().double() if b is not None else torch.zeros_like(mean)
    return NormStats(mean, var, float(1e-5 if eps is None else eps), gamma, beta)
