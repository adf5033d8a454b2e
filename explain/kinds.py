"""The layer kinds the course knows, in one table: what each computes, how it changes the shape, which textbook
backward the Backpropagation page checks for it, and which page explains it.

A kind is the module's class name as a trace records it (``LayerRecord.kind``, e.g. ``"ReLU"``). An elementwise
kind has a forward f and a derivative f′, both functions of (z, config, params): ``config`` holds the module's
constants (ELU's α, LeakyReLU's negative slope, GELU's ``approximate``; see ``explain.trace.module_config``) and
``params`` its parameters (PReLU's learned slope a, one per channel = dim 1). Missing entries take torch's defaults.

* sigmoid σ(z) = 1/(1 + e^{−z}),             σ′ = σ(1 − σ)
* tanh(z),                                     tanh′ = 1 − tanh²
* ReLU(z) = max(0, z),                         ReLU′ = 1[z > 0] (autograd's choice: 0 at 0)
* ELU(z) = z for z > 0, α(e^{z} − 1) otherwise, ELU′ = 1 for z > 0, α·e^{z} for z ≤ 0
* PReLU(z) = max(0, z) + a_c·min(0, z),        PReLU′ = 1 for z > 0, a_c for z ≤ 0; ∂f/∂a_c = min(0, z)
* LeakyReLU(z) = max(0, z) + s·min(0, z),      LeakyReLU′ = 1 for z > 0, s for z ≤ 0 (s = 0.01)
* GELU(z) = z·Φ(z),                            GELU′ = Φ(z) + z·φ(z) (Φ, φ the standard normal CDF and density)
* SiLU(z) = z·σ(z),                            SiLU′ = σ(1 + z(1 − σ))
* ReLU6(z) = min(max(0, z), 6),                ReLU6′ = 1[0 < z < 6]
* Hardswish(z) = z·ReLU6(z + 3)/6,             Hardswish′ = 0 for z ≤ −3, (2z + 3)/6 between, 1 for z ≥ 3
* Hardsigmoid(z) = ReLU6(z + 3)/6,             Hardsigmoid′ = 1/6 on (−3, 3), 0 outside
* Mish(z) = z·tanh(softplus(z)),               Mish′ = tanh(sp) + z(1 − tanh²(sp))σ(z), sp = softplus(z)
* SELU(z) = λ·(max(0, z) + min(0, α(e^{z} − 1))), SELU′ = λ for z > 0, λα·e^{z} for z ≤ 0 (λ ≈ 1.0507, α ≈ 1.6733)
* Hardtanh(z) = min(max(z, lo), hi),           Hardtanh′ = 1[lo < z < hi] (lo = −1, hi = 1)
* Softplus(z) = log(1 + e^{βz})/β,             Softplus′ = σ(βz), and z itself (f′ = 1) where βz > threshold

A new activation or pooling kind is one :class:`LayerKind` entry below: the Activations page, the convolution step,
the shape rules, the page links, the network picture's columns, the Pooling page's layer list and the
Backpropagation page's hand check all read this table (through :func:`of_family`, :func:`with_shape_rule`,
:func:`with_backward` and :func:`on_page`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch.nn import functional as F

Family = Literal["activation", "conv", "pool", "linear", "norm", "flatten", "identity", "output"]
#: How the output shape follows from the input shape (see ``explain.tensors.shape_step``).
ShapeRule = Literal["conv", "pool", "adaptive", "flatten", "linear", "same"]
#: The textbook backward the Backpropagation page writes out and checks against autograd; "" for none.
Backward = Literal["elementwise", "identity", "conv", "linear", "bn", "maxpool", "avgpool", ""]
Elementwise = Callable[[torch.Tensor, Mapping[str, Any], Mapping[str, torch.Tensor]], torch.Tensor]
ParamGrads = Callable[[torch.Tensor, torch.Tensor, Mapping[str, Any], Mapping[str, torch.Tensor]],
                      dict[str, torch.Tensor]]

ACTIVATIONS_PAGE = "pages/activations.py"
CONVOLUTION_PAGE = "pages/convolution.py"
POOLING_PAGE = "pages/pooling.py"
CLASSIFIER_PAGE = "pages/classifier.py"

DEFAULT_PRELU_SLOPE = 0.25  # torch's initial value, used when no slope is given
SELU_SCALE = 1.0507009873554804934193349852946  # λ and α of SELU, as torch fixes them
SELU_ALPHA = 1.6732632423543772848170429916717


@dataclass(frozen=True)
class LayerKind:
    """One layer kind of the course."""

    kind: str  # the module class as a trace records it, e.g. "ReLU"
    family: Family
    shape_rule: ShapeRule
    page: str | None  # the page that explains it (a path as in ui.nav.PAGES); None where no page does yet
    backward: Backward = ""
    name: str = ""  # an activation's short name on the Activations page, e.g. "relu"; "" otherwise
    forward: Elementwise | None = None  # f(z), elementwise; None for a kind that is not elementwise
    derivative: Elementwise | None = None  # f′(z), elementwise, by the textbook formula (not autograd)
    param_grads: ParamGrads | None = None  # (z, ∂L/∂out) → {param: ∂L/∂param} of a parametric elementwise kind
    reduce: str = ""  # what a pooling window computes: "max", "avg" or "lp" (p-norm); "" for other kinds

    @property
    def elementwise(self) -> bool:
        return self.forward is not None


def _cfg(config: Mapping[str, Any], key: str, default: Any) -> Any:
    v = config.get(key)
    return default if v is None else v


def _slope(z: torch.Tensor, params: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """PReLU's a shaped to broadcast over z: one per channel (dim 1), or one for all."""
    w = params.get("weight")
    w = torch.as_tensor(DEFAULT_PRELU_SLOPE if w is None else w).detach().to(z.dtype).reshape(-1)
    if w.numel() == 1 or z.dim() < 2:
        return w[0]
    return w.reshape(1, -1, *([1] * (z.dim() - 2)))


def _prelu(z: torch.Tensor, config: Mapping[str, Any], params: Mapping[str, torch.Tensor]) -> torch.Tensor:
    w = params.get("weight")
    w = torch.as_tensor(DEFAULT_PRELU_SLOPE if w is None else w).to(z.dtype).reshape(-1)
    return F.prelu(z, w if z.dim() > 1 or w.numel() == 1 else w[:1])  # a curve (1-d z) uses the first slope


def _prelu_grads(z: torch.Tensor, g: torch.Tensor, config: Mapping[str, Any], params: Mapping[str, torch.Tensor],
                 ) -> dict[str, torch.Tensor]:
    """∂L/∂a_c = Σ ∂L/∂out · min(0, z) over every position of channel c."""
    w = params.get("weight")
    if w is None:
        return {}
    part = g * torch.clamp(z, max=0)
    if w.numel() == 1 or z.dim() < 2:
        return {"weight": part.sum().reshape(w.shape)}
    return {"weight": part.transpose(0, 1).reshape(w.numel(), -1).sum(1).reshape(w.shape)}


def _elu_d(z: torch.Tensor, config: Mapping[str, Any], params: Mapping[str, torch.Tensor]) -> torch.Tensor:
    alpha = float(_cfg(config, "alpha", 1.0))
    return torch.where(z > 0, torch.ones_like(z), alpha * torch.exp(z))


def _gelu_d(z: torch.Tensor, config: Mapping[str, Any], params: Mapping[str, torch.Tensor]) -> torch.Tensor:
    if str(_cfg(config, "approximate", "none")) == "tanh":
        c = math.sqrt(2 / math.pi)
        t = torch.tanh(c * (z + 0.044715 * z ** 3))
        return 0.5 * (1 + t) + 0.5 * z * (1 - t ** 2) * c * (1 + 3 * 0.044715 * z ** 2)
    cdf = 0.5 * (1 + torch.erf(z / math.sqrt(2)))
    pdf = torch.exp(-0.5 * z ** 2) / math.sqrt(2 * math.pi)
    return cdf + z * pdf


def _silu_d(z: torch.Tensor, config: Mapping[str, Any], params: Mapping[str, torch.Tensor]) -> torch.Tensor:
    s = torch.sigmoid(z)
    return s * (1 + z * (1 - s))


def _sigmoid_d(z: torch.Tensor, config: Mapping[str, Any], params: Mapping[str, torch.Tensor]) -> torch.Tensor:
    s = torch.sigmoid(z)
    return s * (1 - s)


def _hardswish_d(z: torch.Tensor, config: Mapping[str, Any], params: Mapping[str, torch.Tensor]) -> torch.Tensor:
    return torch.where(z <= -3, torch.zeros_like(z), torch.where(z >= 3, torch.ones_like(z), (2 * z + 3) / 6))


def _selu_d(z: torch.Tensor, config: Mapping[str, Any], params: Mapping[str, torch.Tensor]) -> torch.Tensor:
    return torch.where(z > 0, torch.full_like(z, SELU_SCALE), SELU_SCALE * SELU_ALPHA * torch.exp(z))


def _hardtanh_d(z: torch.Tensor, config: Mapping[str, Any], params: Mapping[str, torch.Tensor]) -> torch.Tensor:
    lo, hi = float(_cfg(config, "min_val", -1.0)), float(_cfg(config, "max_val", 1.0))
    return ((z > lo) & (z < hi)).to(z.dtype)


def _softplus(z: torch.Tensor, config: Mapping[str, Any], params: Mapping[str, torch.Tensor]) -> torch.Tensor:
    return F.softplus(z, float(_cfg(config, "beta", 1.0)), float(_cfg(config, "threshold", 20.0)))


def _softplus_d(z: torch.Tensor, config: Mapping[str, Any], params: Mapping[str, torch.Tensor]) -> torch.Tensor:
    beta, threshold = float(_cfg(config, "beta", 1.0)), float(_cfg(config, "threshold", 20.0))
    return torch.where(z * beta > threshold, torch.ones_like(z), torch.sigmoid(z * beta))


def _mish_d(z: torch.Tensor, config: Mapping[str, Any], params: Mapping[str, torch.Tensor]) -> torch.Tensor:
    t = torch.tanh(F.softplus(z))
    return t + z * (1 - t ** 2) * torch.sigmoid(z)


def _activation(kind: str, name: str, forward: Elementwise, derivative: Elementwise, *,
                page: str | None = ACTIVATIONS_PAGE, backward: Backward = "elementwise",
                param_grads: ParamGrads | None = None) -> LayerKind:
    return LayerKind(kind, "activation", "same", page, backward, name, forward, derivative, param_grads)


def _structural(kind: str, family: Family, shape_rule: ShapeRule, page: str | None, backward: Backward = "",
                reduce: str = "") -> LayerKind:
    return LayerKind(kind, family, shape_rule, page, backward, reduce=reduce)


#: Every layer kind, activations first in the course's order (the Activations page lists them so).
TABLE: tuple[LayerKind, ...] = (
    _activation("Sigmoid", "sigmoid", lambda z, c, p: torch.sigmoid(z), _sigmoid_d),
    _activation("Tanh", "tanh", lambda z, c, p: torch.tanh(z), lambda z, c, p: 1 - torch.tanh(z) ** 2),
    _activation("ReLU", "relu", lambda z, c, p: F.relu(z), lambda z, c, p: (z > 0).to(z.dtype)),
    _activation("ELU", "elu", lambda z, c, p: F.elu(z, alpha=float(_cfg(c, "alpha", 1.0))), _elu_d),
    _activation("PReLU", "prelu", _prelu,
                lambda z, c, p: torch.where(z > 0, torch.ones_like(z), _slope(z, p).expand_as(z)),
                param_grads=_prelu_grads),
    _activation("LeakyReLU", "leaky_relu", lambda z, c, p: F.leaky_relu(z, float(_cfg(c, "negative_slope", 0.01))),
                lambda z, c, p: torch.where(z > 0, torch.ones_like(z),
                                            torch.full_like(z, float(_cfg(c, "negative_slope", 0.01))))),
    # GELU's Φ is an erf: the Backpropagation page leaves it to autograd (backward "")
    _activation("GELU", "gelu", lambda z, c, p: F.gelu(z, approximate=str(_cfg(c, "approximate", "none"))), _gelu_d,
                backward=""),
    _activation("SiLU", "silu", lambda z, c, p: F.silu(z), _silu_d),
    _activation("ReLU6", "relu6", lambda z, c, p: F.relu6(z), lambda z, c, p: ((z > 0) & (z < 6)).to(z.dtype)),
    _activation("Hardswish", "hardswish", lambda z, c, p: F.hardswish(z), _hardswish_d),
    _activation("Hardsigmoid", "hardsigmoid", lambda z, c, p: F.hardsigmoid(z),
                lambda z, c, p: ((z > -3) & (z < 3)).to(z.dtype) / 6),
    _activation("Mish", "mish", lambda z, c, p: F.mish(z), _mish_d),
    _activation("SELU", "selu", lambda z, c, p: F.selu(z), _selu_d),
    _activation("Hardtanh", "hardtanh", lambda z, c, p: F.hardtanh(z, float(_cfg(c, "min_val", -1.0)),
                                                                    float(_cfg(c, "max_val", 1.0))),
                _hardtanh_d),
    _activation("Softplus", "softplus", _softplus, _softplus_d, page=None),
    LayerKind("Identity", "identity", "same", None, "identity", forward=lambda z, c, p: z,
              derivative=lambda z, c, p: torch.ones_like(z)),
    _structural("Dropout", "identity", "same", None, "identity"),  # the identity at inference
    _structural("StochasticDepth", "identity", "same", None),
    _structural("Conv2d", "conv", "conv", CONVOLUTION_PAGE, "conv"),
    _structural("BatchNorm2d", "norm", "same", None, "bn"),
    _structural("MaxPool2d", "pool", "pool", POOLING_PAGE, "maxpool", reduce="max"),
    _structural("AvgPool2d", "pool", "pool", POOLING_PAGE, reduce="avg"),
    _structural("AdaptiveAvgPool2d", "pool", "adaptive", POOLING_PAGE, "avgpool", reduce="avg"),
    _structural("AdaptiveMaxPool2d", "pool", "adaptive", POOLING_PAGE, reduce="max"),
    # a map layer of the network picture and a window of the receptive field; the Pooling page draws max and
    # average windows only
    _structural("LPPool2d", "pool", "pool", None, reduce="lp"),
    _structural("Flatten", "flatten", "flatten", CLASSIFIER_PAGE, "identity"),
    _structural("Linear", "linear", "linear", CLASSIFIER_PAGE, "linear"),
    _structural("Softmax", "output", "same", None),
)

KINDS: dict[str, LayerKind] = {k.kind: k for k in TABLE}
#: The activation functions, by short name, in the course's order.
ACTIVATIONS: dict[str, LayerKind] = {k.name: k for k in TABLE if k.family == "activation" and k.elementwise}


def of_family(*families: Family) -> tuple[str, ...]:
    """The kinds of these families, in table order."""
    return tuple(k.kind for k in TABLE if k.family in families)


def with_shape_rule(*rules: ShapeRule) -> tuple[str, ...]:
    """The kinds whose output shape follows one of these rules."""
    return tuple(k.kind for k in TABLE if k.shape_rule in rules)


def pooling_by(*reduces: str) -> tuple[str, ...]:
    """The pooling kinds whose window computes one of these ("max", "avg", "lp")."""
    return tuple(k.kind for k in TABLE if k.reduce and k.reduce in reduces)


def with_backward(*backwards: Backward) -> tuple[str, ...]:
    """The kinds whose textbook backward is one of these."""
    return tuple(k.kind for k in TABLE if k.backward and k.backward in backwards)


def on_page(page: str) -> tuple[str, ...]:
    """The kinds that ``page`` explains (a path as in ui.nav.PAGES), in table order."""
    return tuple(k.kind for k in TABLE if k.page == page)


def shape_rule(kind: str) -> str:
    """The kind's shape rule; "other" for a kind the table does not know."""
    spec = KINDS.get(kind)
    return spec.shape_rule if spec is not None else "other"


#: The kinds with an elementwise forward: every activation and the identity.
ELEMENTWISE_KINDS: tuple[str, ...] = tuple(k.kind for k in TABLE if k.elementwise)


def forward(kind: str, z: torch.Tensor, config: Mapping[str, Any] | None = None,
            params: Mapping[str, torch.Tensor] | None = None) -> torch.Tensor:
    """f(z) of an elementwise kind; KeyError for a kind that is not elementwise."""
    spec = KINDS.get(kind)
    if spec is None or spec.forward is None:
        raise KeyError(kind)
    return spec.forward(z, config or {}, params or {})


def derivative(kind: str, z: torch.Tensor, config: Mapping[str, Any] | None = None,
               params: Mapping[str, torch.Tensor] | None = None) -> torch.Tensor:
    """f′(z) of an elementwise kind, by its textbook formula; KeyError for a kind that is not elementwise."""
    spec = KINDS.get(kind)
    if spec is None or spec.derivative is None:
        raise KeyError(kind)
    return spec.derivative(z, config or {}, params or {})
