"""Per-layer summary of a trace: shapes, parameter counts, activation statistics, gradient norms.

Used by the Overview page's architecture table and by the CLI's ``--json`` output.
‖g‖₂ = √(Σ gᵢ²) for the gradient at the layer's output and for the gradient of all its parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from explain.trace import LayerRecord, Trace


@dataclass(frozen=True)
class ActStats:
    mean: float
    std: float
    min: float
    max: float
    frac_zero: float  # fraction of output values exactly 0


@dataclass(frozen=True)
class LayerRow:
    key: str
    name: str
    kind: str
    in_shape: tuple[int, ...] | None
    out_shape: tuple[int, ...]
    n_params: int
    act: ActStats
    grad_norm: float | None  # ‖dL/d(output)‖₂
    weight_grad_norm: float | None  # ‖dL/d(parameters)‖₂ over all of the layer's parameters


def act_stats(t: torch.Tensor) -> ActStats:
    t = t.detach().float()
    return ActStats(float(t.mean()), float(t.std(unbiased=False)), float(t.min()), float(t.max()),
                    float((t == 0).float().mean()))


def _norm(ts: list[torch.Tensor | None]) -> float | None:
    present = [g for g in ts if g is not None]
    if not present:
        return None
    return float(torch.sqrt(sum((g.double() ** 2).sum() for g in present)))


def not_stored(rec: LayerRecord) -> bool:
    """True when some parameter of the layer has no gradient in the trace (tensors above the trace's size limit)."""
    return any(g is None for g in rec.param_grads.values())


def output_grad_norm(rec: LayerRecord) -> float | None:
    """‖dL/d(output)‖₂, or None when the output got no gradient."""
    return _norm([rec.grad])


def weight_grad_norm(rec: LayerRecord) -> float | None:
    """‖dL/dθ‖₂ over all of the layer's parameters; None without parameters, and also when a gradient was not
    kept (large tensors of ImageNet models, e.g. VGG/AlexNet's FC weights): never a partial norm."""
    if not rec.params or not_stored(rec):
        return None
    return _norm(list(rec.param_grads.values()))


def layer_row(rec: LayerRecord) -> LayerRow:
    return LayerRow(
        key=rec.key, name=rec.name, kind=rec.kind,
        in_shape=None if rec.input is None else tuple(rec.input.shape),
        out_shape=tuple(rec.output.shape), n_params=rec.n_params, act=act_stats(rec.output),
        grad_norm=output_grad_norm(rec),
        weight_grad_norm=weight_grad_norm(rec),
    )


def layer_table(trace: Trace) -> list[LayerRow]:
    return [layer_row(r) for r in trace.layers]
