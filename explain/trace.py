"""One forward and one backward pass that record every leaf-module call.

For an input x and a target class t the model gives logits z = f(x). The scalar that is
differentiated is either

* ``loss="logit"``: L = z_t (the class score; dL/dx is the saliency map), or
* ``loss="cross_entropy"``: L = −log softmax(z)_y = −z_y + log Σ_k e^{z_k} for a label y.

Over a batch, L is the mean of the per-image values. Every gradient comes from one call of
``torch.autograd.grad(L, [x, outputs…, parameters…])``: nothing is accumulated in ``.grad``, the
model's train/eval flags are restored, and nothing the recording used is left on the model (see
:mod:`explain.hooks`).

Cost: the forward and backward are the model's own (no output is cloned or replaced; a copy is made
only of a tensor an in-place op overwrites), plus a few microseconds of Python per recorded call. The
first trace of a model also copies every recorded tensor once, to learn which ones in-place ops change.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal, TypeVar

import torch
from torch import nn
from torch.nn import functional as F

from explain.hooks import model_lock, open_capture

LossKind = Literal["logit", "cross_entropy"]
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_PLAIN = (int, float, str, bool, tuple)
_F = TypeVar("_F")
_NULL = nullcontext()
_GC_LOCK = threading.Lock()
_GC_HOLDERS = [0]  # traces running now with the cyclic garbage collector paused


def _pause_gc() -> bool:
    """Pause Python's cyclic garbage collector while traces run; True if this call paused it (then call
    :func:`_resume_gc`: the last trace to finish resumes it).

    A trace allocates a record, dicts and views per layer call (EfficientNet-B0: 223); in a process that holds
    torch, plotly and a server's caches, those allocations set off full collections that walk every object
    (0.3 ms per record measured, a quarter of the trace). Nothing a trace makes is cyclic garbage, reference
    counting frees it; any collection that was due runs once the collector is back on. Two plain calls
    rather than a context manager: its generator cost a TinyVGG trace ~40 µs.
    """
    with _GC_LOCK:
        if _GC_HOLDERS[0] == 0 and not gc.isenabled():
            return False  # switched off by someone else: leave it as it is
        _GC_HOLDERS[0] += 1
        gc.disable()
        return True


def _resume_gc() -> None:
    with _GC_LOCK:
        _GC_HOLDERS[0] -= 1
        if _GC_HOLDERS[0] == 0:
            gc.enable()


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
    # The module's own buffers at trace time, e.g. BatchNorm's running_mean, running_var and
    # num_batches_tracked (empty for a module without buffers): detached, copied when small.
    buffers: Mapping[str, torch.Tensor]

    @property
    def key(self) -> str:
        """Unique key: the name, with ``#2``, ``#3`` … for later calls of a reused module."""
        return self.name if self.call == 0 else f"{self.name}#{self.call + 1}"

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.params.values())


@dataclass(frozen=True)
class FlattenStep:
    """Where the [N, C, H, W] feature map becomes a vector: an ``nn.Flatten`` layer, or ``torch.flatten`` /
    ``.view`` inside ``forward`` (ResNet, VGG, AlexNet…), seen as a layer with a 4-D output followed by one
    reading the same numbers as a 2-D tensor (or by the logits). Row-major, as ``torch.flatten``: element
    (c, h, w) goes to i = c·H·W + h·W + w."""

    key: str  # the Flatten layer's key, or "torch.flatten"
    source: str  # key of the layer whose [N, C, H, W] output is flattened
    reader: str  # key of the layer that reads the vector ("logits" when it is the model's output)
    input: torch.Tensor  # [N, C, H, W]
    output: torch.Tensor  # [N, C·H·W]
    module: bool  # True for an nn.Flatten layer


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

    @cached_property
    def flatten(self) -> FlattenStep | None:
        """The last flatten of a feature map into a vector, or ``None`` if the model never makes one.

        The last ``nn.Flatten`` call whose input is [N, C, H, W] if there is one; otherwise a layer with a
        4-D output o followed by a reader (the next recorded layer, or the logits) whose input v is 2-D with
        v = o.flatten(1) exactly: ``torch.flatten`` called inside ``forward``, between two recorded layers.
        """
        for rec in reversed(self.layers):
            if rec.kind == "Flatten" and rec.input is not None and rec.input.dim() == 4:
                return FlattenStep(rec.key, rec.key, rec.key, rec.input, rec.output, True)
        seq = self.layers
        readers = [(r.key, r.input) for r in seq[1:]] + [("logits", self.logits)]
        for prev, (reader, vec) in reversed(list(zip(seq, readers, strict=True))):
            out = prev.output
            if out.dim() == 4 and vec is not None and vec.dim() == 2 and vec.shape[0] == out.shape[0] \
                    and vec.shape[1] == out[0].numel() and torch.equal(out.flatten(1), vec):
                return FlattenStep("torch.flatten", prev.key, reader, out, vec, False)
        return None

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
    attrs = module.__dict__
    for k in getattr(module, "__constants__", ()):
        v = attrs[k] if k in attrs else getattr(module, k, None)
        if v is None or isinstance(v, _PLAIN):
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


def _frozen(cls: type[_F], **fields: Any) -> _F:  # noqa: ANN401
    """``cls(**fields)`` for a frozen dataclass, without its per-field ``object.__setattr__`` (a trace of
    EfficientNet-B0 makes 223 records); the object is as frozen as one built by ``__init__``. Every field
    must be given."""
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def _own_params(module: nn.Module) -> dict[str, nn.Parameter]:
    """The module's own parameters by name (``named_parameters(recurse=False)``, read from its dict)."""
    out: dict[str, nn.Parameter] = {}
    for k, p in module._parameters.items():
        if p is not None and all(p is not q for q in out.values()):
            out[k] = p
    return out


_BUFFER_COPY_LIMIT = 1 << 16  # elements; a buffer up to this size is copied, a larger one only detached


def _own_buffers(module: nn.Module) -> Mapping[str, torch.Tensor]:
    """The module's own buffers at trace time, detached (``named_buffers(recurse=False)``).

    A small buffer (BatchNorm's per-channel statistics) is copied, so the record keeps the values the
    forward used even if the model is trained later; a large one (rare: a fixed table nothing overwrites
    in eval mode) is only detached, which costs nothing.
    """
    bufs = module._buffers
    if not bufs:
        return _EMPTY
    out = {k: (b.detach().clone() if b.numel() <= _BUFFER_COPY_LIMIT else b.detach())
           for k, b in bufs.items() if b is not None}
    return MappingProxyType(out) if out else _EMPTY


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

    The forward is the model's own (no output is replaced); see :mod:`explain.hooks` for how values
    overwritten by in-place ops are kept. It runs a second time, copying every output, only when an
    in-place op overwrote a tensor that the earlier captures of this model had seen left alone.
    """
    if loss not in ("logit", "cross_entropy"):
        raise ValueError("loss must be 'logit' or 'cross_entropy'")
    if x.dim() == 3:
        x = x.unsqueeze(0)
    paused = _pause_gc()
    try:
        return _trace(model, x, target=target, loss=loss, label=label, param_grad_limit=param_grad_limit)
    finally:
        if paused:
            _resume_gc()


def _trace(model: nn.Module, x: torch.Tensor, *, target: int | Sequence[int] | torch.Tensor | None, loss: LossKind,
           label: int | Sequence[int] | torch.Tensor | None, param_grad_limit: int | None) -> Trace:
    # Outside inference mode and with grad on (the usual case), skip entering the two contexts.
    inference = torch.inference_mode(False) if torch.is_inference_mode_enabled() else _NULL
    with model_lock(model), inference, (_NULL if torch.is_grad_enabled() else torch.enable_grad()):
        xi = x.detach().clone().requires_grad_(True)
        for copy_all in (None, True):
            cap = open_capture(model, copy_all=copy_all, eval_mode=True)
            try:
                logits = model(xi)
                cap.finish()
            finally:
                cap.close()
            tape = cap.tape
            if not tape.missed:
                break
        if not isinstance(logits, torch.Tensor) or logits.dim() != 2:
            raise ValueError("the model must return logits of shape [N, classes]")
        t = _as_targets(target, logits)
        y = None
        if loss == "logit":
            value = logits.gather(1, t.unsqueeze(1)).mean()
        else:
            y = t if label is None else _as_targets(label, logits)
            value = F.cross_entropy(logits, y)
        targets: list[Any] = [xi]  # what to differentiate: the input, each output, each parameter
        own: dict[int, tuple[nn.Module, dict[str, nn.Parameter]]] = {}
        params: list[nn.Parameter] = []
        seen: set[int] = set()
        for c in tape.calls:
            if c.grad_target is not None:
                targets.append(c.grad_target)
            key = id(c.module)
            if key in own:
                continue
            ps = _own_params(c.module)
            own[key] = (c.module, ps)
            for p in ps.values():
                big = param_grad_limit is not None and p.numel() > param_grad_limit
                if p.requires_grad and id(p) not in seen and not big:
                    seen.add(id(p))
                    params.append(p)
        grads = torch.autograd.grad(value, [*targets, *params], allow_unused=True)
    # Gradients from autograd.grad (create_graph=False) are outside any graph already: no detach needed.
    n = len(targets)
    gx = grads[0]
    par_grad = dict(zip(map(id, params), grads[n:], strict=True))
    shared: dict[int, tuple[Mapping[str, torch.Tensor], Mapping[str, torch.Tensor | None], Mapping[str, Any],
                            Mapping[str, torch.Tensor]]] = {}
    for key, (module, ps) in own.items():  # one read-only view per module, shared by its calls
        config = module_config(module)
        buffers = _own_buffers(module) if module._buffers else _EMPTY
        if not ps:
            shared[key] = (_EMPTY, _EMPTY, MappingProxyType(config) if config else _EMPTY, buffers)
            continue
        shared[key] = (
            MappingProxyType({k: v.detach() for k, v in ps.items()}),
            MappingProxyType({k: par_grad.get(id(v)) for k, v in ps.items()}),
            MappingProxyType(config),
            buffers,
        )
    out_grads = iter(grads[1:n])  # in the order of the calls that have a grad_target
    records = []
    for i, c in enumerate(tape.calls):
        ps_view, grads_view, config, buffers = shared[id(c.module)]
        records.append(_frozen(
            LayerRecord,
            index=i, name=c.name, call=c.call, kind=type(c.module).__name__,
            input=c.input,
            output=c.value,
            grad=None if c.grad_target is None else next(out_grads),
            params=ps_view,
            param_grads=grads_view,
            config=config,
            buffers=buffers,
        ))
    logits_d = logits.detach()
    return _frozen(
        Trace,
        input=xi.detach(),
        input_grad=(torch.zeros_like(xi) if gx is None else gx),
        logits=logits_d,
        probs=torch.softmax(logits_d, dim=1),
        target=tuple(t.tolist()),
        label=None if y is None else tuple(y.tolist()),
        loss_kind=loss,
        loss=value.item(),
        layers=tuple(records),
    )
