"""Upsampling: making a feature map larger again ("上采样是指将特征图的分辨率还原到原始图片的分辨率大小").

Written out by hand (the tests compare each with PyTorch's own operator):

* nearest, scale s: out[i, j] = in[⌊i/s⌋, ⌊j/s⌋];
* bilinear (``align_corners=False``), per axis: the output pixel i looks at the source position
  u = (i + ½)/s − ½ (clamped at 0), i₀ = ⌊u⌋, i₁ = min(i₀ + 1, n − 1), λ = u − i₀ and takes
  (1 − λ)·in[i₀] + λ·in[i₁]; the two axes are done one after the other;
* transposed convolution (stride s, padding p, dilation d, kernel k): every input pixel x[i, j] adds
  x[i, j]·w[a, b] to out[i·s − p + a·d, j·s − p + b·d] (a "stamp" of the kernel), so per axis
  out = (n − 1)·s − 2p + d·(k − 1) + output_padding + 1.

Where stamps of a stride-2 transposed convolution overlap unevenly (k not divisible by s), some output
pixels receive more contributions than their neighbours: the checkerboard pattern.

Pooling is not inverted by upsampling: max pooling (window k, stride k) then nearest ×k gives every pixel of a
window that window's maximum, so only the maxima (and ties) come back exactly; a strided convolution's transposed
convolution restores the shape (with the fitting output_padding), not the values: it is the convolution's adjoint,
⟨conv(x), y⟩ = ⟨x, convT(y)⟩.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn import functional as F

from explain import window
from explain.channels import channel_scores
from explain.tensors import tensor_choices, window_out
from explain.trace import Trace

#: The kernels the page offers for the transposed convolution (catalog suffixes ``up.kernel.<kind>``).
KERNELS = ("bilinear", "ones")


def _as4d(x: torch.Tensor) -> torch.Tensor:
    if x.dim() == 2:
        return x[None, None]
    if x.dim() == 3:
        return x[None]
    if x.dim() != 4:
        raise ValueError("expected a map [H, W], [C, H, W] or [N, C, H, W]")
    return x


def nearest(x: torch.Tensor, scale: int) -> torch.Tensor:
    """out[i, j] = x[⌊i/s⌋, ⌊j/s⌋] over the last two axes (integer scale s ≥ 1)."""
    if scale < 1:
        raise ValueError("scale must be a positive integer")
    return x.repeat_interleave(scale, dim=-2).repeat_interleave(scale, dim=-1)


def _linear_axis(x: torch.Tensor, scale: int, dim: int) -> torch.Tensor:
    n = x.shape[dim]
    i = torch.arange(n * scale, dtype=torch.float64)
    u = ((i + 0.5) / scale - 0.5).clamp_min(0.0)
    i0 = u.floor().long().clamp_max(n - 1)
    i1 = (i0 + 1).clamp_max(n - 1)
    lam = (u - i0.double()).to(x.dtype)
    shape = [1] * x.dim()
    shape[dim] = -1
    lam = lam.reshape(shape)
    return (1 - lam) * x.index_select(dim, i0) + lam * x.index_select(dim, i1)


def bilinear(x: torch.Tensor, scale: int) -> torch.Tensor:
    """Bilinear interpolation (align_corners=False) by an integer ``scale`` over the last two axes."""
    if scale < 1:
        raise ValueError("scale must be a positive integer")
    return _linear_axis(_linear_axis(x, scale, x.dim() - 2), scale, x.dim() - 1)


def transposed_out_size(n: int, k: int, s: int = 1, p: int = 0, output_padding: int = 0, d: int = 1) -> int:
    """out = (n − 1)·s − 2p + d·(k − 1) + output_padding + 1 (:func:`window.transposed_size`; this page's order
    puts output_padding before d, as nn.ConvTranspose2d's arguments do)."""
    return window.transposed_size(n, k, s, p, d, output_padding=output_padding)


def transposed_formula(n: int, k: int, s: int, p: int, output_padding: int = 0, d: int = 1) -> str:
    """The size formula with the numbers filled in, e.g. "(7 − 1)·2 − 2·1 + 1·(4 − 1) + 0 + 1 = 14"."""
    return window.transposed_formula(n, k, s, p, d, output_padding=output_padding)


def check_params(k: int, s: int, p: int, output_padding: int, d: int = 1, *, n: int | None = None) -> str | None:
    """Why nn.ConvTranspose2d would refuse these numbers (a catalog code), or None when they are fine; given the
    input side ``n``, also "too_small" when the output would have no pixel (out < 1)."""
    if k < 1 or s < 1 or d < 1 or p < 0 or output_padding < 0:
        return "positive"
    if output_padding >= max(s, d):
        return "output_padding"
    if n is not None and transposed_out_size(n, k, s, p, output_padding, d) < 1:
        return "too_small"
    return None


def transposed_conv(x: torch.Tensor, weight: torch.Tensor, stride: int = 1, padding: int = 0,
                    output_padding: int = 0, dilation: int = 1) -> torch.Tensor:
    """Transposed convolution by stamping: out[n, o, i·s − p + a·d, j·s − p + b·d] += x[n, c, i, j]·w[c, o, a, b].

    ``weight`` has nn.ConvTranspose2d's layout [C_in, C_out, k, k]; no bias.
    """
    x4 = _as4d(x)
    n, c, h, w = x4.shape
    cin, cout, kh, kw = weight.shape
    if cin != c:
        raise ValueError(f"weight expects {cin} input channels, the map has {c}")
    s, d, p = stride, dilation, padding
    full_h = window.transposed_size(h, kh, s, 0, d, output_padding=output_padding)  # before cropping p a side
    full_w = window.transposed_size(w, kw, s, 0, d, output_padding=output_padding)
    out = torch.zeros(n, cout, full_h, full_w, dtype=torch.promote_types(x4.dtype, weight.dtype))
    for a in range(kh):
        for b in range(kw):
            stamp = torch.einsum("nchw,co->nohw", x4, weight[:, :, a, b])
            out[:, :, a * d:a * d + (h - 1) * s + 1:s, b * d:b * d + (w - 1) * s + 1:s] += stamp
    out = out[:, :, p:full_h - p, p:full_w - p]
    return out if x.dim() == 4 else out.reshape(out.shape[1:]) if x.dim() == 3 else out[0, 0]


def bilinear_kernel(k: int) -> torch.Tensor:
    """The k×k kernel that makes a stride-⌈k/2⌉ transposed convolution interpolate bilinearly (FCN's init).

    f = ⌈k/2⌉, c = (2f − 1 − (f mod 2))/(2f), w[a, b] = (1 − |a/f − c|)·(1 − |b/f − c|).
    """
    f = (k + 1) // 2
    c = (2 * f - 1 - f % 2) / (2 * f)
    og = torch.arange(k, dtype=torch.float64)
    w1 = 1 - (og / f - c).abs()
    return (w1[:, None] * w1[None, :]).float()


def make_kernel(kind: str, k: int) -> torch.Tensor:
    """The page's k×k kernel: "bilinear" (:func:`bilinear_kernel`) or "ones" (every weight 1), float32."""
    if kind == "bilinear":
        return bilinear_kernel(k)
    if kind == "ones":
        return torch.ones(k, k)
    raise ValueError(f"unknown kernel {kind!r}; expected one of {KERNELS}")


def overlap_counts(n: int, k: int, s: int, p: int = 0, output_padding: int = 0) -> torch.Tensor:
    """How many kernel stamps land on each output pixel: the transposed conv of ones with an all-ones kernel."""
    ones = torch.ones(1, 1, n, n)
    return transposed_conv(ones, torch.ones(1, 1, k, k), s, p, output_padding)[0, 0]


@dataclass(frozen=True)
class RoundTrip:
    """Pooling then nearest upsampling, compared with the map before pooling."""

    original: torch.Tensor  # [H, W]
    pooled: torch.Tensor  # [H/k, W/k]
    restored: torch.Tensor  # [H, W] (nearest)
    error: torch.Tensor  # restored − original
    mean_abs_error: float
    max_abs_error: float
    exact_fraction: float  # share of pixels restored exactly (the maxima of their windows, and ties)


def pool_roundtrip(original: torch.Tensor, pooled: torch.Tensor) -> RoundTrip:
    """``pooled`` = max_pool(original) with a k×k window and stride k; bring it back with nearest ×k."""
    if original.dim() != 2 or pooled.dim() != 2:
        raise ValueError("expected two 2-D maps")
    scale = original.shape[-1] // pooled.shape[-1]
    restored = nearest(pooled, scale)
    # a window that does not fit (odd size) was dropped by the pooling: pad with zeros to the original size
    if restored.shape != original.shape:
        fixed = torch.zeros_like(original)
        h, w = min(restored.shape[0], original.shape[0]), min(restored.shape[1], original.shape[1])
        fixed[:h, :w] = restored[:h, :w]
        restored = fixed
    err = restored - original
    return RoundTrip(original, pooled, restored, err, float(err.abs().mean()), float(err.abs().max()),
                     float((err == 0).float().mean()))


@dataclass(frozen=True)
class Upsampled:
    """One feature map made larger by the three methods."""

    source: torch.Tensor  # [h, w]
    scale: int
    nearest: torch.Tensor
    bilinear: torch.Tensor
    transposed: torch.Tensor  # with the given kernel
    kernel: torch.Tensor  # [k, k]
    stride: int
    padding: int
    output_padding: int

    @property
    def transposed_formula(self) -> str:
        return transposed_formula(self.source.shape[-1], self.kernel.shape[-1], self.stride, self.padding,
                                  self.output_padding)


def upsample_all(source: torch.Tensor, scale: int, kernel: torch.Tensor, stride: int, padding: int,
                 output_padding: int) -> Upsampled:
    """Nearest and bilinear by ``scale``, and the transposed convolution with ``kernel`` (one channel)."""
    src = source.detach().float()
    return Upsampled(src, scale, nearest(src, scale), bilinear(src, scale),
                     transposed_conv(src, kernel[None, None].float(), stride, padding, output_padding),
                     kernel, stride, padding, output_padding)


def torch_reference(source: torch.Tensor, scale: int) -> tuple[torch.Tensor, torch.Tensor]:
    """PyTorch's own nearest and bilinear results (for the page's "same as F.interpolate" check)."""
    x = source.detach().float()[None, None]
    return (F.interpolate(x, scale_factor=scale, mode="nearest")[0, 0],
            F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)[0, 0])


def reference_diffs(up: Upsampled) -> tuple[float, float]:
    """max |F.interpolate(nearest) − ours| and max |F.interpolate(bilinear) − ours| on the same source."""
    ref_near, ref_bil = torch_reference(up.source, up.scale)
    return float((ref_near - up.nearest).abs().max()), float((ref_bil - up.bilinear).abs().max())


def back_to_input(full: torch.Tensor, side: int) -> torch.Tensor | None:
    """A whole [n, n] map bilinearly upsampled to the input's side (×side/n), when side is a multiple of n; else
    None."""
    n = int(full.shape[-1])
    if side % n != 0:
        return None
    return bilinear(full.detach().float(), side // n)


def module_output_size(n: int, k: int, s: int, p: int, output_padding: int = 0) -> int:
    """The side of what a real ``nn.ConvTranspose2d(1, 1, k, s, p, output_padding)`` returns for an n×n input."""
    from torch import nn

    layer = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=output_padding, bias=False)
    with torch.no_grad():
        return int(layer(torch.zeros(1, 1, n, n)).shape[-1])


@dataclass(frozen=True)
class AdjointCheck:
    """⟨conv(x), y⟩ = ⟨x, convT(y)⟩ with the same weights: the transposed convolution is the adjoint of the
    strided convolution (it undoes the shape change, not the values)."""

    x_shape: tuple[int, ...]
    y_shape: tuple[int, ...]  # conv(x)'s shape, also y's
    back_shape: tuple[int, ...]  # convT(y)'s shape = x's shape
    lhs: float  # ⟨conv(x), y⟩
    rhs: float  # ⟨x, convT(y)⟩
    roundtrip_error: float  # mean |convT(conv(x)) − x|: not 0, the values are not restored


def fitting_output_padding(n: int, k: int = 3, s: int = 2, p: int = 1) -> int:
    """The output_padding (0 … s − 1) that brings a stride-s conv's output back to exactly n (odd n: 0)."""
    down = window.output_size(n, k, s, p)
    return int(min(max(n - transposed_out_size(down, k, s, p, 0), 0), s - 1))


def adjoint_check(x: torch.Tensor, k: int = 3, s: int = 2, p: int = 1, output_padding: int | None = None,
                  seed: int = 0) -> AdjointCheck:
    """Strided conv (k, s, p) of a 2-D map ``x`` and the transposed conv with the same seeded weights;
    ``output_padding`` defaults to the one that restores x's size (``fitting_output_padding``)."""
    if output_padding is None:
        output_padding = fitting_output_padding(int(x.shape[-1]), k, s, p)
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(1, 1, k, k, generator=gen, dtype=torch.float64) / k
    x4 = x.detach().double()[None, None]
    y = F.conv2d(x4, w, stride=s, padding=p)
    r = torch.randn(y.shape, generator=gen, dtype=torch.float64)
    back = transposed_conv(r, w, s, p, output_padding)
    round_trip = transposed_conv(y, w, s, p, output_padding)
    lhs = float((y * r).sum())
    rhs = float((x4 * back).sum()) if back.shape == x4.shape else float("nan")
    err = float((round_trip - x4).abs().mean()) if round_trip.shape == x4.shape else float("nan")
    return AdjointCheck(tuple(x4.shape), tuple(y.shape), tuple(back.shape), lhs, rhs, err)


def default_layer(shapes: dict[str, tuple[int, ...]], preferred: str = "block2.pool", min_side: int = 6,
                  exclude: frozenset[str] | set[str] = frozenset()) -> str:
    """The layer the page opens with: ``preferred`` when the model has it (TinyVGG), else the last feature map
    with at least ``min_side`` pixels a side and more than one channel (the last conv stage of an ImageNet
    network, 7x7 or 13x13) that is not in ``exclude`` (e.g. adaptive pools that only copy), else the last key."""
    if preferred in shapes:
        return preferred
    keys = list(shapes)
    for k in reversed(keys):
        s = shapes[k]
        if k not in exclude and len(s) == 4 and s[1] > 1 and min(s[-2:]) >= min_side:
            return k
    return keys[-1]


@dataclass(frozen=True)
class Crop:
    """A size×size piece of a larger map, placed around its largest value."""

    values: torch.Tensor  # [size, size]
    top: int
    left: int
    cropped: bool  # False: the map was small enough and is returned whole


def crop_around_max(m: torch.Tensor, size: int = 28, align: int = 1, limit: tuple[int, int] | None = None) -> Crop:
    """The size×size window of a 2-D map centred on its maximum; its corner on a multiple of ``align`` and
    inside ``limit`` (rows, cols; default the map) so that it can be matched with a pooled map. Maps no
    larger than ``size`` come back whole."""
    h, w = m.shape[-2:]
    if h <= size and w <= size:
        return Crop(m, 0, 0, False)
    lh, lw = limit if limit is not None else (h, w)
    r, c = divmod(int(m.argmax()), w)

    def corner(center: int, n: int) -> int:
        v = max(0, min(center - size // 2, n - size))
        return v // align * align

    top, left = corner(r, lh), corner(c, lw)
    return Crop(m[top:top + size, left:left + size], top, left, True)


@dataclass(frozen=True)
class MapLayers:
    """The layers whose output is a [N, C, H, W] map, for the page's layer picker."""

    maps: dict[str, torch.Tensor]  # key → recorded output (and "input")
    keys: tuple[str, ...]  # the layers offered: every map but the input; ("input",) when there is none
    default: str  # :func:`default_layer`, adaptive pools (which only copy) excluded
    has_maps: bool  # False: no layer outputs a map, only the input is offered


def map_layers(trace: Trace) -> MapLayers:
    """The traced layers with 4-D outputs, and the one to open with."""
    maps = {k: v for k, v in tensor_choices(trace).items() if v.dim() == 4}
    layers = tuple(k for k in maps if k != "input")
    keys = layers or ("input",)
    default = default_layer({k: tuple(maps[k].shape) for k in keys},
                            exclude={r.key for r in trace.layers if r.kind.startswith("Adaptive")})
    return MapLayers(maps, keys, default, bool(layers))


@dataclass(frozen=True)
class PoolInverse:
    """A max pooling undone by nearest upsampling on its own strongest channel, and a strided convolution undone
    (in shape only) by its transposed convolution."""

    pool: str
    channel: int  # the pool's input channel with the largest value
    side_in: int  # the pool's input side
    side_out: int  # its output side
    factor: int  # side_in // side_out
    before: Crop  # the channel before pooling (a piece of it when it is larger than the crop)
    roundtrip: RoundTrip  # pooled then nearest ×factor, against ``before``
    kernel_size: object  # the pool's configuration (int or pair), as recorded
    stride: object
    padding: object
    down: int  # side after a (k = 3, s = 2, p = 1) convolution of side_in
    output_padding: int  # the output_padding that brings it back to side_in
    back: int  # the transposed convolution's side with it
    adjoint: AdjointCheck

    @property
    def overlapping(self) -> bool:
        """The pool's windows overlap or are padded: nearest ×factor is then not its exact layout."""
        return (self.kernel_size, self.padding) != (self.stride, 0)


def pool_inverse(trace: Trace, pool: str, crop: int = 28) -> PoolInverse:
    """The round trip of pooling ``pool`` (a MaxPool2d of the trace) on its strongest channel (largest maximum),
    cut to a ``crop``×``crop`` piece around the maximum (aligned to the pooling factor) for large maps, and the
    strided convolution's adjoint check on the whole channel."""
    rec = trace[pool]
    if rec.input is None:
        raise ValueError(f"{pool}'s input was not recorded")
    c = int(channel_scores(rec.input[0], "max").argmax())
    h_in, h_out = int(rec.input.shape[-1]), int(rec.output.shape[-1])
    factor = h_in // max(h_out, 1)
    before = crop_around_max(rec.input[0, c], crop, align=factor, limit=(h_out * factor, h_out * factor))
    after = rec.output[0, c]
    if before.cropped:
        b0, a0 = before.top // factor, before.left // factor
        after = after[b0:b0 + crop // factor, a0:a0 + crop // factor]
    cfg = rec.config
    down = window_out(h_in, 3, 2, 1)
    op = fitting_output_padding(h_in)
    return PoolInverse(pool, c, h_in, h_out, factor, before, pool_roundtrip(before.values, after),
                       cfg.get("kernel_size", factor), cfg.get("stride", factor), cfg.get("padding", 0),
                       down, op, transposed_out_size(down, 3, 2, 1, op),
                       adjoint_check(rec.input[0, c], output_padding=op))
