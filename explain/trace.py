"""One forward and one backward pass that record every leaf-module call.

For an input x and a target class t the model gives logits z = f(x). The scalar that is
differentiated is either

* ``loss="logit"``: L = z_t (the class score; dL/dx is the saliency map), or
* ``loss="cross_entropy"``: L = −log softmax(z)_y = −z_y + log Σ_k e^{z_k} for a label y.

Over a batch, L is the mean of the per-image values. Every gradient comes from one call of
``torch.autograd.grad(L, [x, outputs…, parameters…])``: nothing is accumulated in ``.grad``, the
model's train/eval flags are restored, and no hook is left behind (see :mod:`explain.hooks`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

import torch
from torch import nn
from torch.nn import functional as F

from explain.hooks import capture, model_lock

LossKind = Literal["logit", "cross_entropy"]


@dataclass(frozen=True)
class LayerRecord:
    """One call of one leaf module during the traced forward pass (tensors detached, on CPU)."""

    index: int  # position in execution order
    name: str  # qualified module name, e.g. "block1.conv1"
    call: int  # 0 for the module's first call in the forward pass, 1 for its second, …
    kind: str  # module class, e.g. "Conv2d"
    input: torch.Tensor | None  # the module's first tensor argument
    output: torch.Tensor
    grad: torch.Tensor | None  # dL/d(output)
    params: Mapping[str, torch.Tensor]  # e.g. {"weight": …, "bias": …}
    param_grads: Mapping[str, torch.Tensor | None]  # dL/d(param), summed over every call
    config: Mapping[str, Any]  # the module's constants: kernel_size, stride, padding, …

    @property
    def key(self) -> str:
        """Unique key: the name, with ``#2``, ``#3`` … for later calls of a reused module."""
        return self.name if self.call == 0 else f"{self.name}#{self.call + 1}"

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.params.values())


@dataclass(frozen=True)
class Trace:
    """Everything a page may show about one (model, image, target), from a single pass."""

    input: torch.Tensor  # [N, C, H, W], the model input
    input_grad: torch.Tensor  # dL/dx, same shape
    logits: torch.Tensor  # [N, K]
    probs: torch.Tensor  # softmax(logits), [N, K]
    target: tuple[int, ...]  # class differentiated, per image
    label: tuple[int, ...] | None  # cross-entropy label, per image
    loss_kind: LossKind
    loss: float
    layers: tuple[LayerRecord, ...]

    @cached_property
    def _by_key(self) -> Mapping[str, LayerRecord]:
        """key → record, built once (an ImageNet trace has hundreds of records and pages look keys up often)."""
        return MappingProxyType({rec.key: rec for rec in self.layers})

    def __getitem__(self, key: str) -> LayerRecord:
        try:
            return self._by_key[key]
        except KeyError:
            raise KeyError(key) from None

    def keys(self) -> list[str]:
        return [r.key for r in self.layers]

    def of_kind(self, *kinds: str) -> list[LayerRecord]:
        return [r for r in self.layers if r.kind in kinds]

    @property
    def prediction(self) -> int:
        """Predicted class of the first image."""
        return int(self.logits[0].argmax())

    def top(self, k: int = 3) -> list[tuple[int, float]]:
        """The k most probable classes of the first image with their probabilities."""
        p, i = self.probs[0].topk(min(k, self.probs.shape[1]))
        return [(int(c), float(v)) for c, v in zip(i, p, strict=False)]


def module_config(module: nn.Module) -> dict[str, Any]:
    """The hyper-parameters torch declares as constants (kernel_size, stride, padding, …)."""
    out: dict[str, Any] = {}
    for k in getattr(module, "__constants__", ()):
        v = getattr(module, k, None)
        if isinstance(v, (int, float, str, bool, tuple, type(None))):
            out[k] = v
    return out


def _as_targets(target: int | Sequence[int] | torch.Tensor | None, logits: torch.Tensor) -> torch.Tensor:
    n = logits.shape[0]
    if target is None:
        return logits.detach().argmax(1)
    t = torch.as_tensor(target, dtype=torch.long).reshape(-1)
    if t.numel() == 1:
        t = t.expand(n)
    if t.numel() != n or (t < 0).any() or (t >= logits.shape[1]).any():
        raise ValueError(f"target must be a class index in 0..{logits.shape[1] - 1}")
    return t


def trace(
    model: nn.Module,
    x: torch.Tensor,
    *,
    target: int | Sequence[int] | torch.Tensor | None = None,
    loss: LossKind = "logit",
    label: int | Sequence[int] | torch.Tensor | None = None,
    param_grad_limit: int | None = None,
) -> Trace:
    """Run ``model`` on ``x`` ([C,H,W] or [N,C,H,W]) forward and backward; record every leaf call.

    ``target`` defaults to the predicted class. ``label`` (for cross-entropy) defaults to the target.
    ``param_grad_limit``: parameters with more elements get no gradient (``None``), which bounds the
    memory of a trace of a large model (VGG-11's first FC weight alone is 103 M numbers).
    """
    if loss not in ("logit", "cross_entropy"):
        raise ValueError("loss must be 'logit' or 'cross_entropy'")
    if x.dim() == 3:
        x = x.unsqueeze(0)
    flags = [(m, m.training) for m in model.modules()]
    with model_lock(model), torch.inference_mode(False), torch.enable_grad():
        try:
            model.eval()
            xi = x.detach().clone().requires_grad_(True)
            with capture(model) as tape:
                logits = model(xi)
            if not isinstance(logits, torch.Tensor) or logits.dim() != 2:
                raise ValueError("the model must return logits of shape [N, classes]")
            t = _as_targets(target, logits)
            y = None
            if loss == "logit":
                value = logits.gather(1, t[:, None]).mean()
            else:
                y = t if label is None else _as_targets(label, logits)
                value = F.cross_entropy(logits, y)
            calls = [c for c in tape.calls if c.output is not None and c.output.requires_grad]
            params: list[torch.nn.Parameter] = []
            seen: set[int] = set()
            for c in tape.calls:
                for p in c.module.parameters(recurse=False):
                    big = param_grad_limit is not None and p.numel() > param_grad_limit
                    if p.requires_grad and id(p) not in seen and not big:
                        seen.add(id(p))
                        params.append(p)
            grads = torch.autograd.grad(
                value, [xi, *[c.output for c in calls], *params], allow_unused=True
            )
        finally:
            for m, was in flags:
                m.training = was
    gx, g_out, g_par = grads[0], grads[1:1 + len(calls)], grads[1 + len(calls):]
    out_grad = {id(c): g for c, g in zip(calls, g_out, strict=False)}
    par_grad = {id(p): g for p, g in zip(params, g_par, strict=False)}
    records = []
    for i, c in enumerate(tape.calls):
        ps = dict(c.module.named_parameters(recurse=False))
        g = out_grad.get(id(c))
        records.append(LayerRecord(
            index=i, name=c.name, call=c.call, kind=type(c.module).__name__,
            input=c.input,
            output=c.output.detach(),
            grad=None if g is None else g.detach(),
            params=MappingProxyType({k: v.detach() for k, v in ps.items()}),
            param_grads=MappingProxyType({
                k: (None if par_grad.get(id(v)) is None else par_grad[id(v)].detach()) for k, v in ps.items()
            }),
            config=MappingProxyType(module_config(c.module)),
        ))
    logits_d = logits.detach()
    return Trace(
        input=xi.detach(),
        input_grad=(torch.zeros_like(xi) if gx is None else gx.detach()),
        logits=logits_d,
        probs=torch.softmax(logits_d, dim=1),
        target=tuple(int(v) for v in t),
        label=None if y is None else tuple(int(v) for v in y),
        loss_kind=loss,
        loss=float(value.detach()),
        layers=tuple(records),
    )
