"""Gradient flow: how large the gradient is at every layer, for one image or a batch of test images.

For a scalar loss L the tracer records, for each layer ℓ, the gradient at its output g_ℓ = ∂L/∂a_ℓ and at
its parameters ∂L/∂θ_ℓ. Their Euclidean norms ‖g‖₂ = √(Σ gᵢ²), read in forward order on a log scale, show
where the gradient vanishes or explodes. By the chain rule the gradient reaching an early layer is a product of
local derivatives,

    ∂L/∂a₁ = ∂L/∂a_n · ∂a_n/∂a_{n−1} · … · ∂a₂/∂a₁,

and an activation f contributes f′(z) to every factor: σ′(z) = σ(z)(1 − σ(z)) ≤ 1/4 for the sigmoid, while
ReLU′(z) ∈ {0, 1}. TinyVGG has four activations between the loss and its first conv layer (block1.act1,
block1.act2, block2.act1, block2.act2), so with sigmoids the activations alone scale the gradient reaching
block1.conv1 by at most (1/4)⁴ = 1/256 ≈ 0.004 (the weights in between can scale it up or down).

Over a batch of N images with per-image losses ℓᵢ and the batch loss L = (1/N) Σᵢ ℓᵢ there are two summaries:

* ``mean_grad``: the norm of the gradient of the batch loss L, the gradient one SGD step on this batch uses.
  For parameters, shared by all images, ∂L/∂θ = (1/N) Σᵢ ∇_θ ℓᵢ: gradients of different images add up and
  partly cancel. For a layer's output the batch's activations are one tensor a = [a₁, …, a_N] whose slice aᵢ
  belongs to image i alone, so ∂L/∂aᵢ = (1/N) ∂ℓᵢ/∂aᵢ and ‖∂L/∂a‖ = √(Σᵢ ‖∂ℓᵢ/∂aᵢ‖²) / N: nothing cancels
  (adding the maps of different images position by position would mix numbers no training step combines).
* ``mean_norm``: the mean of the per-image norms (1/N) Σᵢ ‖∇ℓᵢ‖ (how strong the signal is for a typical image).
  mean_norm ≥ mean_grad: for parameters by the triangle inequality, for outputs because
  √(Σᵢ ‖gᵢ‖²) ≤ Σᵢ ‖gᵢ‖.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn
from torch.nn import functional as F

from explain.hooks import model_lock
from explain.summary import output_grad_norm, weight_grad_norm
from explain.trace import LayerRecord, Trace, trace

BatchReduction = Literal["mean_norm", "mean_grad"]
BATCH_CHUNK = 64  # images per traced chunk: bounds the memory of one batch trace


@dataclass(frozen=True)
class LayerGrad:
    """Gradient norms of one layer call."""

    key: str  # e.g. "block1.conv1"
    kind: str  # e.g. "Conv2d"
    out_shape: tuple[int, ...]  # output shape of one image, [1, C, H, W]
    grad_norm: float | None  # ‖∂L/∂(output)‖₂
    weight_grad_norm: float | None  # ‖∂L/∂θ‖₂ over all of the layer's parameters; None without parameters


@dataclass(frozen=True)
class GradientFlow:
    """Per-layer gradient norms of one model, in forward order."""

    label: str  # what the user sees as the series name (model name)
    layers: tuple[LayerGrad, ...]
    loss: float  # the loss (or class score) that was differentiated
    n_images: int = 1
    reduction: str = "single"  # "single", "mean_norm" or "mean_grad"

    def keys(self) -> list[str]:
        return [lay.key for lay in self.layers]

    def __getitem__(self, key: str) -> LayerGrad:
        for lay in self.layers:
            if lay.key == key:
                return lay
        raise KeyError(key)

    def weighted(self) -> list[LayerGrad]:
        """The layers that have parameters (conv, linear, PReLU)."""
        return [lay for lay in self.layers if lay.weight_grad_norm is not None]

    def first_weight_norm(self) -> float | None:
        """‖∂L/∂θ‖ of the first layer with parameters (the first conv in TinyVGG)."""
        w = self.weighted()
        return w[0].weight_grad_norm if w else None


@dataclass(frozen=True)
class BatchGradientFlow:
    """Both batch summaries of the same N images (see the module docstring)."""

    mean_norm: GradientFlow
    mean_grad: GradientFlow
    n_images: int
    accuracy: float  # fraction of the N images the model classifies correctly

    def get(self, reduction: BatchReduction) -> GradientFlow:
        return self.mean_norm if reduction == "mean_norm" else self.mean_grad


def flow_from_trace(tr: Trace, label: str = "") -> GradientFlow:
    """Per-layer norms of a single-image trace (``explain.summary`` computes them; a weight gradient the trace
    did not store leaves the norm unknown: no point, rather than the norm of the bias alone)."""
    layers = [LayerGrad(rec.key, rec.kind, (1, *rec.output.shape[1:]), output_grad_norm(rec), weight_grad_norm(rec))
              for rec in tr.layers]
    return GradientFlow(label, tuple(layers), tr.loss, n_images=tr.input.shape[0])


def _per_image_param_sq(rec: LayerRecord, scale: float) -> torch.Tensor | None:
    """Σ over the layer's parameters of (∂ℓᵢ/∂θ)², per image [n], from the record's input a and output gradient.

    ``scale`` turns the recorded gradient of the chunk mean into the per-image one (n_c). Formulas:

    * Linear y = Wa + b: ∂ℓᵢ/∂W = gᵢ aᵢᵀ (an outer product, so ‖·‖² = ‖gᵢ‖²‖aᵢ‖²), ∂ℓᵢ/∂b = gᵢ;
    * Conv2d: ∂ℓᵢ/∂W[o, :] = Σ_p gᵢ[o, p] · patchᵢ[:, p] (the unfolded input patches), ∂ℓᵢ/∂b_o = Σ_p gᵢ[o, p];
    * PReLU f(z) = max(0, z) + a_c min(0, z): ∂ℓᵢ/∂a_c = Σ_p gᵢ[c, p] · min(0, zᵢ[c, p]).

    None for other layer kinds (the caller then uses per-sample autograd).
    """
    if rec.grad is None or rec.input is None:
        return None
    g = rec.grad.double() * scale
    a = rec.input.double()
    n = g.shape[0]
    if rec.kind == "Linear" and g.dim() == 2:
        sq = (g ** 2).sum(1) * (a ** 2).sum(1)
        return sq + ((g ** 2).sum(1) if "bias" in rec.params else 0)
    if rec.kind == "Conv2d" and rec.config.get("groups", 1) == 1 and rec.config.get("padding_mode", "zeros") == "zeros":
        padding = rec.config.get("padding", 0)
        if isinstance(padding, str):
            return None
        k = tuple(rec.params["weight"].shape[-2:])
        cols = F.unfold(rec.input.float(), k, dilation=rec.config.get("dilation", 1), padding=padding,
                        stride=rec.config.get("stride", 1))  # [n, C_in·kh·kw, P]
        gw = torch.einsum("nop,nkp->nok", g.float().reshape(n, g.shape[1], -1), cols)  # float32: 4x faster
        sq = (gw.double() ** 2).sum((1, 2))
        return sq + ((g.flatten(2).sum(2) ** 2).sum(1) if "bias" in rec.params else 0)
    if rec.kind == "PReLU":
        ga = (g * a.clamp(max=0))
        per = ga.sum(dim=tuple(range(2, ga.dim()))) if ga.dim() > 2 else ga
        if rec.params["weight"].numel() == 1:
            per = per.sum(1, keepdim=True)
        return (per ** 2).sum(1)
    return None


def _per_image_param_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """‖∇_θ ℓᵢ‖ per image and per leaf module by per-sample autograd (``torch.func``): ``{module name: [N]}``.

    The fallback for layer kinds :func:`_per_image_param_sq` does not know. ``functional_call`` swaps the
    module's parameters while it runs, so it works on a private deep copy, never on a shared model.
    """
    from torch.func import functional_call, grad, vmap

    with model_lock(model):  # a capture in another thread holds the lock while its hooks exist: copy none
        own = copy.deepcopy(model).eval()
    params = {k: v.detach() for k, v in own.named_parameters()}

    def loss(p: dict[str, torch.Tensor], xi: torch.Tensor, yi: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(functional_call(own, p, (xi[None],)), yi[None])

    with torch.inference_mode(False), torch.enable_grad():
        g = vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)
    sq: dict[str, torch.Tensor] = {}
    for name, v in g.items():
        module = name.rsplit(".", 1)[0] if "." in name else ""
        sq[module] = sq.get(module, 0) + (v.double().flatten(1) ** 2).sum(1)
    return {k: v.sqrt() for k, v in sq.items()}


def batch_flow(model: nn.Module, x: torch.Tensor, labels: torch.Tensor, label: str = "") -> BatchGradientFlow:
    """Gradient norms over a batch, loss L = (1/N) Σᵢ cross-entropy(f(xᵢ), yᵢ) with the true labels.

    The batch is traced in chunks of ``BATCH_CHUNK`` images (chunk mean losses L_c over n_c images). Because
    images do not interact (no batch norm, eval mode), the per-image output gradient is ∂ℓᵢ/∂aᵢ = n_c·∂L_c/∂aᵢ,
    and the batch-loss parameter gradient is Σ_c (n_c/N)·∂L_c/∂θ. The batch-loss output gradient of a layer has
    norm √(Σᵢ ‖∂ℓᵢ/∂aᵢ‖²)/N (each image's slice of the batch tensor gets (1/N)·∂ℓᵢ/∂aᵢ). Per-image parameter norms
    come from the same records (:func:`_per_image_param_sq`).
    """
    n = x.shape[0]
    if n == 0 or labels.shape[0] != n:
        raise ValueError("the batch needs at least one image and one label per image")
    out_sq_sum: dict[str, float] = {}  # Σᵢ ‖∂ℓᵢ/∂aᵢ‖²
    out_norm_sum: dict[str, float] = {}  # Σᵢ ‖∂ℓᵢ/∂aᵢ‖
    par_sum: dict[str, torch.Tensor] = {}
    par_norm_sum: dict[str, float] = {}
    unknown = False
    meta: dict[str, tuple[str, tuple[int, ...], bool]] = {}
    order: list[str] = []
    total_loss, correct = 0.0, 0
    for start in range(0, n, BATCH_CHUNK):
        xc, yc = x[start:start + BATCH_CHUNK], labels[start:start + BATCH_CHUNK]
        nc = xc.shape[0]
        tr = trace(model, xc, target=yc, loss="cross_entropy", label=yc)
        total_loss += tr.loss * nc
        correct += int((tr.logits.argmax(1) == yc).sum())
        for rec in tr.layers:
            if rec.key not in meta:
                order.append(rec.key)
                meta[rec.key] = (rec.kind, (1, *rec.output.shape[1:]), bool(rec.params))
            if rec.grad is not None:
                norms = (rec.grad.double() * nc).flatten(1).norm(dim=1)  # ‖∂ℓᵢ/∂aᵢ‖ per image
                out_sq_sum[rec.key] = out_sq_sum.get(rec.key, 0.0) + float((norms ** 2).sum())
                out_norm_sum[rec.key] = out_norm_sum.get(rec.key, 0.0) + float(norms.sum())
            if rec.params:
                grads = [g for g in rec.param_grads.values() if g is not None]
                if grads:
                    flat = torch.cat([g.double().reshape(-1) for g in grads]) * (nc / n)
                    par_sum[rec.key] = par_sum.get(rec.key, 0) + flat
                sq = _per_image_param_sq(rec, nc)
                if sq is None or rec.call > 0:
                    unknown = True
                else:
                    par_norm_sum[rec.key] = par_norm_sum.get(rec.key, 0.0) + float(sq.sqrt().sum())
    if unknown:  # a layer kind without a closed formula, or a reused module: per-sample autograd
        fallback = _per_image_param_norms(model, x, labels)
        par_norm_sum = {k: float(fallback[k.split("#", 1)[0]].sum()) for k in par_norm_sum.keys() | par_sum.keys()
                        if k.split("#", 1)[0] in fallback}
    mean_norm, mean_grad = [], []
    for key in order:
        kind, shape, has_params = meta[key]
        g_mean = math.sqrt(out_sq_sum[key]) / n if key in out_sq_sum else None  # ‖∂L/∂a‖ of the batch tensor
        g_norm = out_norm_sum[key] / n if key in out_norm_sum else None
        w_mean = float(par_sum[key].norm()) if has_params and key in par_sum else None
        w_norm = par_norm_sum[key] / n if has_params and key in par_norm_sum else None
        mean_grad.append(LayerGrad(key, kind, shape, g_mean, w_mean))
        mean_norm.append(LayerGrad(key, kind, shape, g_norm, w_norm))
    loss = total_loss / n
    return BatchGradientFlow(
        mean_norm=GradientFlow(label, tuple(mean_norm), loss, n, "mean_norm"),
        mean_grad=GradientFlow(label, tuple(mean_grad), loss, n, "mean_grad"),
        n_images=n, accuracy=correct / n,
    )


def first_layer_ratio(strong: GradientFlow, weak: GradientFlow) -> float | None:
    """‖∂L/∂θ₁‖ of ``strong`` divided by that of ``weak`` (e.g. ReLU over sigmoid): how many times less the first
    layer's weights receive; None when a norm is missing or zero."""
    a, b = strong.first_weight_norm(), weak.first_weight_norm()
    if a is None or b is None or b == 0:
        return None
    return a / b


@dataclass(frozen=True)
class ConvGradMaps:
    """Gradients of one conv layer for one image: the maps ∂L/∂(output) and the kernels' ∂L/∂W."""

    key: str
    out_shape: tuple[int, ...]  # [1, C_out, H, W]
    output_grad: torch.Tensor  # [C_out, H, W]
    weight_shape: tuple[int, ...]  # [C_out, C_in, kH, kW]
    weight_grad: torch.Tensor  # [C_out, C_in, kH, kW]
    kernel_norms: torch.Tensor  # [C_out, C_in]: ‖∂L/∂W[o, i]‖₂ of each 3x3 kernel
    bias_grad: torch.Tensor | None  # [C_out]; ∂L/∂b_o = Σ_{h,w} ∂L/∂out[o, h, w]


def conv_grad_maps(tr: Trace, key: str) -> ConvGradMaps:
    """The gradient maps of the conv layer ``key`` of a single-image trace.

    For out[o] = b_o + Σᵢ W[o, i] ⋆ in[i], the weight gradient is the correlation of the layer's input with the
    output gradient, ∂L/∂W[o, i, u, v] = Σ_{h,w} ∂L/∂out[o, h, w] · in_pad[i, s·h + d·u, s·w + d·v], where in_pad
    is the input with p zeros on every side (stride s, dilation d; a grouped conv reads its group's channels).
    ``tests/test_explanations.py`` applies this formula literally and matches the recorded gradient.
    """
    rec = tr[key]
    if rec.kind != "Conv2d" or rec.grad is None:
        raise ValueError(f"{key} is not a conv layer with a gradient")
    w_grad = rec.param_grads.get("weight")
    if w_grad is None:
        raise ValueError(f"{key} has no weight gradient")
    return ConvGradMaps(
        key=key, out_shape=(1, *rec.output.shape[1:]), output_grad=rec.grad[0],
        weight_shape=tuple(w_grad.shape), weight_grad=w_grad,
        kernel_norms=w_grad.flatten(2).norm(dim=2), bias_grad=rec.param_grads.get("bias"),
    )


def conv_keys(tr: Trace) -> list[str]:
    """Keys of the conv layers of a trace, in forward order (empty for the MLP)."""
    return [r.key for r in tr.of_kind("Conv2d")]


def union_order(orders: Sequence[Sequence[str]]) -> list[str]:
    """Every key of several forward orders, once, in an order that keeps each sequence's own order.

    TinyVGG-ReLU has weights at block1.conv1, block1.conv2, …, classifier; TinyVGG-PReLU also at block1.act1 … A
    chart's category axis built from the first appearance would put block1.act1 after classifier. This merge
    (as Python's C3 method-resolution order does) repeatedly takes the first head of a sequence that is not waiting
    in the tail of another, so block1.act1 lands between block1.conv1 and block1.conv2. Orders that contradict
    each other cannot both be kept: then the earliest sequence's head is taken.
    """
    rest = [list(dict.fromkeys(o)) for o in orders if o]
    out: list[str] = []
    while rest:
        heads = [seq[0] for seq in rest]
        pick = next((h for h in heads if not any(h in seq[1:] for seq in rest)), heads[0])
        out.append(pick)
        rest = [[k for k in seq if k != pick] for seq in rest]
        rest = [seq for seq in rest if seq]
    return out


def flows_of(traces: Sequence[tuple[str, Trace]]) -> list[GradientFlow]:
    """:func:`flow_from_trace` for several (label, trace) pairs."""
    return [flow_from_trace(tr, label) for label, tr in traces]


def top_inputs(maps: ConvGradMaps, outputs: Sequence[int], n: int = 16) -> list[int]:
    """The input channels to draw for the output channels ``outputs``: all of them when there are at most ``n``,
    else the ``n`` with the largest ‖∂L/∂W[outputs, i]‖ (the norm over the shown rows), in channel order."""
    c_in = int(maps.weight_shape[1])
    if c_in <= n:
        return list(range(c_in))
    rows = maps.kernel_norms[list(outputs)] if len(outputs) else maps.kernel_norms
    strength = rows.double().pow(2).sum(0)
    return sorted(int(i) for i in torch.argsort(strength, descending=True, stable=True)[:n])
