"""Activation functions: curves, derivatives (by autograd) and their effect on real pre-activations.

An activation f is applied element-wise to the pre-activation z (the output of the conv or linear
layer that feeds it): a = f(z). The functions shown:

* sigmoid σ(z) = 1 / (1 + e^{−z}),            σ'(z) = σ(z)(1 − σ(z)) ≤ 1/4
* tanh(z) = (e^{z} − e^{−z}) / (e^{z} + e^{−z}), tanh'(z) = 1 − tanh²(z)
* ReLU(z) = max(0, z),                          ReLU'(z) = 1 for z > 0, 0 for z < 0 (autograd: 0 at 0)
* ELU(z) = z for z > 0, α(e^{z} − 1) otherwise (α = 1)
* PReLU(z) = max(0, z) + a·min(0, z), one learned slope a per channel
* LeakyReLU(z) = max(0, z) + 0.01·min(0, z)
* GELU(z) = z·Φ(z), Φ the standard normal CDF
* SiLU(z) = z·σ(z) (also called swish; EfficientNet),   SiLU'(z) = σ(z)(1 + z(1 − σ(z)))
* ReLU6(z) = min(max(0, z), 6) (MobileNet): ReLU capped at 6
* Hardswish(z) = z·ReLU6(z + 3)/6 (MobileNetV3): 0 for z ≤ −3, z for z ≥ 3, z(z + 3)/6 between;
  a cheap piecewise approximation of SiLU
* Hardsigmoid(z) = ReLU6(z + 3)/6 (MobileNetV3's squeeze-and-excitation gates): 0 for z ≤ −3, 1 for z ≥ 3,
  z/6 + 1/2 between; a cheap approximation of σ

In torchvision's ImageNet models the activations are modules, often ``ReLU(inplace=True)``: the trace
records a clone of each layer's input before the module overwrites it, so ``pre`` is the real
pre-activation (e.g. the output of the batch-norm layer before it).

Derivatives are taken with ``torch.autograd.grad`` of Σ f(zᵢ) (each output depends only on its own
input, so this gives f'(zᵢ) element-wise). A unit is *saturated* when |f'(z)| < 0.01 (sigmoid/tanh far
from 0: the gradient almost vanishes there); an output is *dead* for ReLU when it is exactly 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from explain import kinds
from explain.trace import LayerRecord, Trace

#: Every function the page can draw, in the course's order, then the extra ones (the table's activations that the
#: Activations page explains).
FUNCTIONS: tuple[str, ...] = tuple(n for n, k in kinds.ACTIVATIONS.items() if k.page == kinds.ACTIVATIONS_PAGE)
#: The module class of each function (as recorded in a trace's ``kind``).
KIND_TO_NAME: dict[str, str] = {kinds.ACTIVATIONS[n].kind: n for n in FUNCTIONS}
#: The module classes of KIND_TO_NAME, to find a model's own activations without running it.
_MODULES: dict[type[nn.Module], str] = {getattr(nn, kind): n for kind, n in KIND_TO_NAME.items()}
DEFAULT_PRELU_SLOPE = kinds.DEFAULT_PRELU_SLOPE  # torch's initial value, used when no trained PReLU model is committed
SATURATION = 0.01  # |f'(z)| below this counts as saturated


class ActivationError(ValueError):
    """A request that does not fit the model (e.g. no activation layer)."""


def function(name: str, slope: float | torch.Tensor = DEFAULT_PRELU_SLOPE) -> Callable[[torch.Tensor], torch.Tensor]:
    """The torch function ``name``; ``slope`` is PReLU's a (a number, or one per channel = dim 1)."""
    spec = kinds.ACTIVATIONS.get(name)
    if spec is None or spec.forward is None:
        raise ActivationError(f"unknown activation {name!r}; choose one of {', '.join(FUNCTIONS)}")
    forward = spec.forward
    params = {"weight": torch.as_tensor(slope, dtype=torch.float32)}  # read by PReLU only
    return lambda z: forward(z, {}, params)


def value_and_derivative(name: str, z: torch.Tensor, slope: float | torch.Tensor = DEFAULT_PRELU_SLOPE
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    """(f(z), f'(z)) element-wise; f' from autograd of Σ f(z)."""
    f = function(name, slope)
    with torch.inference_mode(False), torch.enable_grad():
        zz = z.detach().float().clone().requires_grad_(True)
        y = f(zz)
        (dy,) = torch.autograd.grad(y.sum(), zz)
    return y.detach(), dy.detach()


@dataclass(frozen=True)
class Curve:
    """One function sampled on a grid: x, f(x) and f'(x)."""

    name: str
    x: np.ndarray
    y: np.ndarray
    dy: np.ndarray


def curve(name: str, x: np.ndarray | torch.Tensor, slope: float = DEFAULT_PRELU_SLOPE) -> Curve:
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
    y, dy = value_and_derivative(name, xt, slope)
    return Curve(name, xt.numpy().copy(), y.numpy(), dy.numpy())


def curves(names: Sequence[str], lo: float = -5.0, hi: float = 5.0, n: int = 401,
           slope: float = DEFAULT_PRELU_SLOPE) -> list[Curve]:
    xs = np.linspace(lo, hi, n, dtype=np.float32)
    return [curve(nm, xs, slope) for nm in names]


def prelu_slopes(model: nn.Module) -> dict[str, np.ndarray]:
    """The learned PReLU slopes a (one per channel) of every PReLU module, by module name (read only)."""
    out: dict[str, np.ndarray] = {}
    for name, m in model.named_modules():
        if isinstance(m, nn.PReLU):
            out[name] = m.weight.detach().cpu().numpy().copy()
    return out


def typical_slope(slopes: dict[str, np.ndarray]) -> float:
    """The median learned slope of the first PReLU layer, to 2 decimals: where the page's slope slider starts."""
    first = next(iter(slopes.values()))
    return round(float(np.median(first)), 2)


MATCH_TOLERANCE = 1e-5  # |f(z) − recorded output| up to this is float32 rounding


def recomputed_diff(layer: ActivationLayer, result: ApplyResult) -> float:
    """max |f(z) − a| between the function applied here to the layer's recorded input z and the output a the
    model itself produced: ≤ MATCH_TOLERANCE when our formula is the model's own."""
    return float((result.post - layer.post).abs().max())


def model_functions(model: nn.Module) -> list[str]:
    """The activation functions a model's modules use, in FUNCTIONS order (no forward pass)."""
    found = {name for m in model.modules() for cls, name in _MODULES.items() if type(m) is cls}
    return [f for f in FUNCTIONS if f in found]


@dataclass(frozen=True)
class ActivationLayer:
    """An activation call of a trace with the record that feeds it."""

    key: str  # e.g. "block1.act1"
    kind: str  # module class, e.g. "ReLU"
    function: str  # e.g. "relu"
    source_key: str  # e.g. "block1.conv1": the layer whose output is the pre-activation; "" for a tensor op
    pre: torch.Tensor  # z, the activation's input [N, C, H, W] or [N, D] (as recorded, before any in-place write)
    post: torch.Tensor  # a = f(z) as traced
    slope: torch.Tensor | None  # PReLU's learned slopes, else None
    inplace: bool = False  # the module writes its output over its input (ReLU(inplace=True))


SOURCE_SEARCH = 8  # how many earlier records to compare with an activation's input


def activation_layers(trace: Trace) -> list[ActivationLayer]:
    """Every activation call of the trace, paired with the record feeding it (same tensor as its input).

    The pre-activation is the activation's own recorded input; the feeding layer is only named (an input
    that no module produced, e.g. a residual sum ``out += identity``, has source_key "").
    """
    out: list[ActivationLayer] = []
    recs = list(trace.layers)
    for i, rec in enumerate(recs):
        if rec.kind not in KIND_TO_NAME or rec.input is None:
            continue
        source = _feeding(recs[max(0, i - SOURCE_SEARCH):i], rec)
        out.append(ActivationLayer(
            key=rec.key, kind=rec.kind, function=KIND_TO_NAME[rec.kind],
            source_key=source.key if source is not None else "",
            pre=rec.input, post=rec.output,
            slope=rec.params.get("weight") if rec.kind == "PReLU" else None,
            inplace=bool(rec.config.get("inplace", False)),
        ))
    return out


def _feeding(before: list[LayerRecord], rec: LayerRecord) -> LayerRecord | None:
    assert rec.input is not None
    for prev in reversed(before):
        if prev.output.shape == rec.input.shape and torch.equal(prev.output, rec.input):
            return prev
    return None


@dataclass(frozen=True)
class KindCount:
    """How many calls of one activation kind a trace holds."""

    kind: str  # module class, e.g. "Hardswish"
    function: str  # e.g. "hardswish"
    calls: int
    inplace: int  # of which in-place
    first: str  # key of the first call


def kinds_present(layers: Sequence[ActivationLayer]) -> list[KindCount]:
    """The activation kinds of a trace, in order of first use."""
    seen: dict[str, list[ActivationLayer]] = {}
    for a in layers:
        seen.setdefault(a.kind, []).append(a)
    return [KindCount(k, v[0].function, len(v), sum(a.inplace for a in v), v[0].key) for k, v in seen.items()]


@dataclass(frozen=True)
class Histogram:
    edges: np.ndarray  # bins + 1
    counts: np.ndarray  # bins


def histogram(values: torch.Tensor | np.ndarray, bins: int = 60) -> Histogram:
    v = np.asarray(values.detach().cpu().numpy() if hasattr(values, "detach") else values, dtype=np.float64)
    v = v[np.isfinite(v)].ravel()
    if v.size == 0:
        v = np.zeros(1)
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
    return Histogram(edges, counts)


@dataclass(frozen=True)
class ChannelStats:
    """One row per channel (dim 1) of the layer."""

    mean_in: np.ndarray
    mean_out: np.ndarray
    max_out: np.ndarray
    frac_zero: np.ndarray
    frac_saturated: np.ndarray


@dataclass(frozen=True)
class ApplyResult:
    """f applied to the real pre-activations z of one layer."""

    function: str
    pre: torch.Tensor
    post: torch.Tensor  # f(z)
    derivative: torch.Tensor  # f'(z)
    frac_zero: float  # fraction of outputs exactly 0 (dead units for ReLU)
    frac_saturated: float  # fraction with |f'(z)| < 0.01
    frac_negative_in: float  # fraction of z < 0
    dead_channels: tuple[int, ...]  # channels whose outputs are all exactly 0 on this image
    hist_in: Histogram
    hist_out: Histogram
    channels: ChannelStats


def apply(name: str, pre: torch.Tensor, slope: float | torch.Tensor = DEFAULT_PRELU_SLOPE,
          bins: int = 60) -> ApplyResult:
    """Apply activation ``name`` to ``pre`` ([N, C, …] or [N, D]) and measure what it did."""
    z = pre.detach().float()
    y, dy = value_and_derivative(name, z, slope)
    c = z.shape[1] if z.dim() >= 2 else 1
    per_in = z.transpose(0, 1).reshape(c, -1) if z.dim() >= 2 else z.reshape(1, -1)
    per_out = y.transpose(0, 1).reshape(c, -1) if y.dim() >= 2 else y.reshape(1, -1)
    per_dy = dy.transpose(0, 1).reshape(c, -1) if dy.dim() >= 2 else dy.reshape(1, -1)
    zero = (per_out == 0).float()
    sat = (per_dy.abs() < SATURATION).float()
    return ApplyResult(
        function=name, pre=z, post=y, derivative=dy,
        frac_zero=float((y == 0).float().mean()), frac_saturated=float((dy.abs() < SATURATION).float().mean()),
        frac_negative_in=float((z < 0).float().mean()),
        dead_channels=tuple(int(i) for i in torch.nonzero(zero.mean(1) == 1).flatten()),
        hist_in=histogram(z, bins), hist_out=histogram(y, bins),
        channels=ChannelStats(per_in.mean(1).numpy(), per_out.mean(1).numpy(), per_out.max(1).values.numpy(),
                              zero.mean(1).numpy(), sat.mean(1).numpy()),
    )


@dataclass(frozen=True)
class VariantView:
    """What one trained variant does with the current image at one layer."""

    name: str
    prediction: int
    confidence: float
    maps: np.ndarray | None  # the first channels of the layer's output [k, H, W]; None if not a feature map
    shape: tuple[int, ...] | None  # full output shape of that layer
    test_accuracy: float
    val_curve: tuple[float, ...]


def variant_view(name: str, trace: Trace, layer_key: str, card: dict, channels: int = 8) -> VariantView:
    maps = shape = None
    try:
        out = trace[layer_key].output
    except KeyError:
        out = None
    if out is not None:
        shape = tuple(out.shape)
        if out.dim() == 4:
            maps = out[0, :channels].numpy().copy()
    acc = card.get("accuracy", {})
    return VariantView(
        name=name, prediction=trace.prediction, confidence=float(trace.probs[0, trace.prediction]),
        maps=maps, shape=shape, test_accuracy=float(acc.get("test", acc.get("val", float("nan")))),
        val_curve=tuple(float(v) for v in card.get("curves", {}).get("val_acc", ())),
    )
