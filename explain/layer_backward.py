"""What generalizes to any model: one layer's local backward, by hand and by torch.autograd.grad.

For a layer y = f(a; θ) and the gradient g = ∂L/∂y that backward() brings to it, the layer's step of the chain
rule is the vector–Jacobian product ∂L/∂a = gᵀ ∂y/∂a and ∂L/∂θ = gᵀ ∂y/∂θ. :func:`layer_backward` works it out
by the textbook formula of each layer kind (float64) from what the trace recorded: the layer's input, output
gradient, parameters, constants and buffers (BatchNorm's running statistics). :func:`local_backward` runs the
layer alone through torch.autograd.grad and compares.

Nothing here changes the model (no hooks, no ``.grad``, no train/eval switch, no weight edit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from explain import kinds, pooling, window
from explain.trace import LayerRecord, Trace, module_config

ELEMENTWISE = kinds.with_backward("elementwise")  # ∂L/∂a = g · f′(a), f′ from the table of layer kinds
IDENTITY_KINDS = kinds.with_backward("identity")
HAND_KINDS = tuple(k.kind for k in kinds.TABLE if k.backward)
MAX_HAND_WEIGHT = 5_000_000  # weight gradients of bigger tensors are not formed (VGG/AlexNet FC)


#: The textbook backward of each kind ("elementwise", "conv", "linear", …, from :mod:`explain.kinds`): which
#: formula a page shows for a layer.
FORMULA_FAMILY: Mapping[str, str] = {k.kind: k.backward for k in kinds.TABLE if k.backward}

Grads = tuple[torch.Tensor, dict[str, torch.Tensor]]


def layer_backward(kind: str, a: torch.Tensor, g: torch.Tensor, params: Mapping[str, torch.Tensor],
                   config: Mapping[str, Any], buffers: Mapping[str, torch.Tensor]) -> Grads | None:
    """(∂L/∂a, {param: ∂L/∂param}) of one layer from its input a and output gradient g, by the textbook formulas
    (float64); None for a kind without one here. ``params``, ``config`` and ``buffers`` are the layer's own, as
    a trace records them (:class:`explain.trace.LayerRecord`).

    * Conv2d: ∂L/∂a = conv_transpose2d(g, W) (same stride, padding, groups, dilation);
      ∂L/∂W[o, i, u, v] = Σ_p g[o, p] · patch(a)[i, u, v, p] per group; ∂L/∂b_o = Σ_p g[o, p].
    * Linear: ∂L/∂a = g W, ∂L/∂W = gᵀ a, ∂L/∂b = Σ_n g.
    * BatchNorm2d (eval, :class:`window.NormStats` from the running statistics in ``buffers``):
      ∂L/∂a = g · γ/√(var + ε), ∂L/∂γ = Σ g·(a − μ)/√(var + ε), ∂L/∂β = Σ g.
    * MaxPool2d: g goes back to the position of each window's maximum (summed where windows overlap);
      AdaptiveAvgPool2d: each output bin's g is spread evenly over its bin, g/|bin| (both by the pooling
      page's routing rule, :func:`explain.pooling.route`).
    * Elementwise activations: g · f′(a) (:mod:`explain.kinds`; PReLU's ∂L/∂a_c = Σ g · min(0, a) over channel
      c); Dropout (eval), Identity, Flatten: g reshaped.
    """
    a = a.double()
    g = g.double()
    p = {k: v.detach().double() for k, v in params.items()}
    if kind in ELEMENTWISE:
        spec = kinds.KINDS[kind]
        assert spec.derivative is not None
        grads = spec.param_grads(a, g, config, p) if spec.param_grads is not None else {}
        return g * spec.derivative(a, config, p), grads
    if kind in IDENTITY_KINDS:
        return g.reshape(a.shape), {}
    if kind == "Linear":
        w = p["weight"]
        grads = {"weight": g.reshape(-1, w.shape[0]).T @ a.reshape(-1, w.shape[1])} if w.numel() <= MAX_HAND_WEIGHT \
            else {}
        if "bias" in p:
            grads["bias"] = g.reshape(-1, w.shape[0]).sum(0)
        return g @ w, grads
    if kind == "BatchNorm2d":
        stats = window.norm_stats_from(buffers, p, config.get("eps"), kind)
        grads = {}
        if "weight" in p:
            grads["weight"] = (g * stats.normalized(a)).sum((0, 2, 3))
        if "bias" in p:
            grads["bias"] = g.sum((0, 2, 3))
        return g * stats.scale[None, :, None, None], grads
    if kind in kinds.with_backward("maxpool", "avgpool"):
        spec = pooling.spec_of(kind, config)
        return torch.from_numpy(pooling.route(a.detach().cpu().numpy(), g.detach().cpu().numpy(), spec)), {}
    if kind == "Conv2d":
        if config.get("padding_mode", "zeros") != "zeros" or isinstance(config.get("padding"), str):
            return None
        w = p["weight"]
        s, pad, dil = (window.pair(config.get(k, d)) for k, d in (("stride", 1), ("padding", 0), ("dilation", 1)))
        grp = int(config.get("groups", 1))
        k = tuple(w.shape[-2:])
        out_pad = tuple(a.shape[2 + d] - window.transposed_size(g.shape[2 + d], k[d], s[d], pad[d], dil[d])
                        for d in range(2))
        da = F.conv_transpose2d(g, w, None, s, pad, out_pad, grp, dil)
        n, c_out = g.shape[:2]
        cols = F.unfold(a, k, dilation=dil, padding=pad, stride=s)  # [n, C_in·kh·kw, P]
        cols = cols.reshape(n, grp, -1, cols.shape[-1])
        gg = g.reshape(n, grp, c_out // grp, -1)
        grads = {"weight": torch.einsum("ngop,ngkp->gok", gg, cols).reshape(w.shape)}
        if "bias" in p:
            grads["bias"] = g.sum((0, 2, 3))
        return da, grads
    return None


def record_backward(rec: LayerRecord) -> Grads | None:
    """:func:`layer_backward` of one recorded layer call: its input, output gradient, parameters, constants and
    buffers as the trace recorded them (the live model is not read)."""
    if rec.input is None or rec.grad is None:
        raise ValueError(f"{rec.key} has no recorded input or output gradient")
    return layer_backward(rec.kind, rec.input, rec.grad, rec.params, rec.config, rec.buffers)


def hand_backward(kind: str, module: nn.Module, a: torch.Tensor, g: torch.Tensor) -> Grads | None:
    """:func:`layer_backward` of a module outside a trace: its own parameters, constants and buffers are read
    from the module (never changed)."""
    return layer_backward(kind, a, g, dict(module.named_parameters(recurse=False)), module_config(module),
                          dict(module.named_buffers(recurse=False)))


@dataclass(frozen=True)
class LocalGrad:
    """One layer's local backward for one image: ∂L/∂input and ∂L/∂params from its recorded input and output
    gradient, by hand (:func:`record_backward`) and by ``torch.autograd.grad`` on the layer alone."""

    key: str
    kind: str
    in_shape: tuple[int, ...]
    out_grad_norm: float  # ‖∂L/∂out‖, recorded by the shared trace
    in_grad_norm: float  # ‖∂L/∂in‖ from autograd
    hand: bool  # a textbook formula exists for this kind
    input_diff: float | None  # max |hand − autograd| of ∂L/∂in
    param_diffs: dict[str, float]  # per parameter, max |hand − autograd|
    trace_diffs: dict[str, float]  # per parameter, max |autograd (this layer) − the trace's stored ∂L/∂param|
    producer: str | None  # the earlier layer whose output is this layer's input
    producer_diff: float | None  # max |∂L/∂in − the producer's recorded ∂L/∂out| (0 unless the value branches)


def local_backward(model: nn.Module, rec_key: str, trace_layers: Trace | Sequence[LayerRecord]) -> LocalGrad:
    """Run layer ``rec_key`` of a single-image trace (a :class:`Trace` or its layers) alone, forward and
    backward, and compare.

    torch.autograd.grad(y, [a, θ], grad_outputs=g) with y = layer(a) gives the vector–Jacobian products
    ∂L/∂a = gᵀ ∂y/∂a and ∂L/∂θ = gᵀ ∂y/∂θ: the chain-rule step this layer contributes to backward(). The
    module runs on a fresh copy of its input (in-place ReLUs are safe) and no ``.grad`` is written.
    """
    recs = list(trace_layers.layers if isinstance(trace_layers, Trace) else trace_layers)
    pos = next(i for i, r in enumerate(recs) if r.key == rec_key)
    rec = recs[pos]
    if rec.input is None or rec.grad is None:
        raise ValueError(f"{rec_key} has no recorded input or output gradient")
    module = model.get_submodule(rec.name)
    params = [(n, q) for n, q in module.named_parameters(recurse=False) if q.numel() <= MAX_HAND_WEIGHT]
    with torch.inference_mode(False), torch.enable_grad():
        a = rec.input.detach().clone().requires_grad_(True)
        y = module(a.clone())
        got = torch.autograd.grad(y, [a, *(q for _, q in params)], grad_outputs=rec.grad.to(y.dtype),
                                  allow_unused=True)
    da = got[0].detach().double()
    auto = {n: (gq.detach().double() if gq is not None else torch.zeros_like(q, dtype=torch.float64))
            for (n, q), gq in zip(params, got[1:], strict=True)}
    hand = record_backward(rec)
    input_diff = None
    param_diffs: dict[str, float] = {}
    if hand is not None:
        input_diff = float((hand[0] - da).abs().max())
        param_diffs = {n: float((v - auto[n]).abs().max()) for n, v in hand[1].items() if n in auto}
    trace_diffs = {}
    single = sum(1 for r in recs if r.name == rec.name) == 1  # a reused module's stored gradient sums every call
    if single:
        for n, v in auto.items():
            stored = rec.param_grads.get(n)
            if stored is not None:
                trace_diffs[n] = float((stored.double() - v).abs().max())
    producer, producer_diff = None, None
    for r in reversed(recs[:pos]):
        if r.output.shape == rec.input.shape and torch.equal(r.output, rec.input):
            producer = r.key
            if r.grad is not None:
                producer_diff = float((r.grad.double() - da).abs().max())
            break
    return LocalGrad(rec.key, rec.kind, tuple(rec.input.shape), float(rec.grad.double().norm()),
                     float(da.norm()), hand is not None, input_diff, param_diffs, trace_diffs, producer, producer_diff)
