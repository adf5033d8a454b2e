"""Per-layer summary of a trace: shapes, parameter counts, activation statistics, gradient norms.

Used by the Overview page's architecture table and by the CLI's ``--json`` output; the whole-model counts at
the end by the Plain network vs CNN page.
‖g‖₂ = √(Σ gᵢ²) for the gradient at the layer's output and for the gradient of all its parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

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
    """‖(t₁, t₂, …)‖₂ = √(Σᵢ ‖tᵢ‖₂²), accumulated in float64 (``vector_norm`` with ``dtype``: no squared copy)."""
    present = [g for g in ts if g is not None]
    if not present:
        return None
    return math.sqrt(sum(float(torch.linalg.vector_norm(g, dtype=torch.float64)) ** 2 for g in present))


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


def total_params(rows: list[LayerRow]) -> int:
    """Σ parameters over the table's rows: each row counts its module's own (non-recursive) parameters, so for a
    model whose parameters all sit in leaf layers called once this is ``sum(p.numel() for p in model.parameters())``."""
    return sum(r.n_params for r in rows)


# --- whole models ------------------------------------------------------------------------------------------


def n_parameters(model: nn.Module) -> int:
    """Σ numel(θ) over every parameter of ``model`` (weights and biases)."""
    return sum(p.numel() for p in model.parameters())


def hidden_units(model: nn.Module | None, default: int) -> int:
    """Width of a plain network's first layer: ``out_features`` of its first ``nn.Linear``; ``default`` when there
    is no model or no linear layer."""
    first = next((m for m in model.modules() if isinstance(m, nn.Linear)), None) if model is not None else None
    return int(first.out_features) if first is not None else default


def param_formula(weight_shape: tuple[int, ...], n_params: int) -> str:
    """How a layer's parameter count is made: its weight's dimensions multiplied, plus one bias per output when the
    count holds more than the weight (``16 × 1 × 3 × 3 + 16`` = 160 for a 3x3 convolution from 1 to 16 channels)."""
    text = " × ".join(str(v) for v in weight_shape)
    return text + (f" + {weight_shape[0]}" if n_params > math.prod(weight_shape) else "")
