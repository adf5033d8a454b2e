"""Temporary forward hooks on every leaf module, removed in ``finally``.

Hooks are registered on the caller's (possibly shared) model only inside :func:`capture`, and only
the thread that opened the capture records anything: another thread running a plain forward on the
same model at that moment passes through untouched. Each capture holds the model's lock, so two
captures of one model never interleave.

In-place safety: a forward hook hands the next layer a *clone* of the output, so an in-place op
downstream (``ReLU(inplace=True)``, ``out += identity``) changes the clone, never the tensor recorded
here; the recorded tensor keeps its own autograd node, so dLoss/dOutput taken with
``torch.autograd.grad`` is the gradient at this layer's output, not after the in-place op.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

_locks: weakref.WeakKeyDictionary[nn.Module, threading.RLock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def model_lock(model: nn.Module) -> threading.RLock:
    """The one re-entrant lock of ``model`` (created on first use)."""
    with _locks_guard:
        lock = _locks.get(model)
        if lock is None:
            lock = _locks[model] = threading.RLock()
        return lock


def leaf_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(qualified name, module) for every module without children, in registration order."""
    return [(name, m) for name, m in model.named_modules() if next(m.children(), None) is None]


@dataclass
class Call:
    """One call of one leaf module, as seen by the hooks (mutable while recording)."""

    name: str
    module: nn.Module
    call: int
    input: torch.Tensor | None = None
    output: torch.Tensor | None = None  # the live tensor, still in the autograd graph


@dataclass
class Tape:
    """What a capture recorded: the leaf calls in execution order."""

    calls: list[Call] = field(default_factory=list)
    _pending: dict[int, list[Call]] = field(default_factory=dict)
    _counts: dict[int, int] = field(default_factory=dict)


def _first_tensor(args: tuple[Any, ...]) -> torch.Tensor | None:
    for a in args:
        if isinstance(a, torch.Tensor):
            return a
    return None


@contextmanager
def capture(model: nn.Module) -> Iterator[Tape]:
    """Record every leaf-module call of forwards run by this thread inside the block.

    >>> with capture(model) as tape:
    ...     logits = model(x)
    >>> [c.name for c in tape.calls]   # hooks are gone here, even if forward raised
    """
    tape = Tape()
    owner = threading.get_ident()
    handles: list[torch.utils.hooks.RemovableHandle] = []

    def pre_hook(module: nn.Module, args: tuple[Any, ...]) -> None:
        if threading.get_ident() != owner:
            return
        key = id(module)
        n = tape._counts.get(key, 0)
        tape._counts[key] = n + 1
        inp = _first_tensor(args)
        if inp is not None:
            inp = inp.detach()
            if getattr(module, "inplace", False):
                inp = inp.clone()  # the module is about to overwrite it
        tape._pending.setdefault(key, []).append(Call(names[key], module, n, inp))

    def post_hook(module: nn.Module, args: tuple[Any, ...], output: Any) -> Any:
        if threading.get_ident() != owner:
            return None
        stack = tape._pending.get(id(module))
        if not stack:
            return None
        call = stack.pop()
        if not isinstance(output, torch.Tensor):
            return None
        call.output = output
        tape.calls.append(call)
        return output.clone() if output.requires_grad else None

    names = {id(m): name for name, m in leaf_modules(model)}
    lock = model_lock(model)
    with lock:
        try:
            for _, m in leaf_modules(model):
                handles.append(m.register_forward_pre_hook(pre_hook))
                handles.append(m.register_forward_hook(post_hook))
            yield tape
        finally:
            for h in handles:
                h.remove()


def has_hooks(model: nn.Module) -> bool:
    """True if any module of ``model`` still carries a forward/backward hook (used by tests)."""
    for m in model.modules():
        if m._forward_hooks or m._forward_pre_hooks or m._backward_hooks or getattr(m, "_backward_pre_hooks", None):
            return True
    return False
