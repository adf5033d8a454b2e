"""Temporary recording wrappers on every leaf module, removed in ``finally``.

Inside :func:`capture` each leaf module of the caller's (possibly shared) model gets a recording
``forward`` in its instance dict; the block's ``finally`` takes it out again, leaving the module as it was
(the class's ``forward``, or the instance's own if it had one). A wrapper rather than
``register_forward_hook``: a module with a hook runs through ``nn.Module._call_impl``'s slow path, which
alone cost ~10 % of a TinyVGG forward+backward on one thread; the wrapper records the same thing in the
fast path. The caller's own hooks stay where they are and run as usual. Only the thread that opened
the capture records anything: another thread running a plain forward on the same model at that moment
passes through untouched. Each capture holds the model's lock, so two captures of one model never
interleave.

The forward runs exactly as without the capture (no output is replaced), so a later in-place op
(``ReLU(inplace=True)``, ``out += identity``) may overwrite a tensor that was recorded. Copies are made
only where that happens:

* the input of a module with ``inplace=True`` is copied just before the module runs (the copy is also
  the recorded output of the layer that produced that tensor);
* every other record keeps a reference and the tensor's version counter (``Tensor._version``, bumped by
  each in-place op on the tensor or a view of it). At the end of the block an unchanged version means the
  reference still holds the recorded value. The first capture of a model copies every input and output
  and learns which ones a functional in-place op changed (ResNet's ``out += identity``); later captures
  copy only those, and a tensor changed anyway is reported in :attr:`Tape.missed` (the tracer then runs
  again, copying everything).

Gradients: a recorded output that was later changed in place has a new autograd node, so the gradient
is taken at the edge the module's output had when it was returned (:attr:`Call.grad_target`, a
``torch.autograd.graph.GradientEdge``); ``torch.autograd.grad`` there gives dLoss/dOutput of this layer,
not of the in-place op.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.autograd.graph import GradientEdge, get_gradient_edge

_locks: weakref.WeakKeyDictionary[nn.Module, threading.RLock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()

Site = tuple[str, str, int]  # ("in" | "out", module name, call index)
_NONE = object()
# Per model: the sites a functional in-place op overwrote in its last full capture (read/written under its lock).
_copy_sites: weakref.WeakKeyDictionary[nn.Module, frozenset[Site]] = weakref.WeakKeyDictionary()


class _Wrapped:
    """The one recording ``forward`` a module carries while any capture on it is open (in any thread).

    Each capturing thread pushes its recorder on its own stack; other threads run the module's own forward.
    The last capture to close puts the module's own ``forward`` back (or none, if it had none)."""

    __slots__ = ("active", "attrs", "own", "run")

    def __init__(self, module: nn.Module) -> None:
        self.attrs = module.__dict__
        self.own = self.attrs.get("forward", _NONE)
        self.run = module.forward  # the instance's own forward, or the class's bound to it
        self.active: dict[int, list[Callable[..., Any]]] = {}
        self.attrs["forward"] = _dispatcher(self.active, self.run)


def _dispatcher(active: dict[int, list[Callable[..., Any]]], run: Callable[..., Any]) -> Callable[..., Any]:
    """A forward that runs the calling thread's latest recorder, or ``run`` in a thread without one."""
    get_ident = threading.get_ident

    def forward(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - any module's signature
        fns = active.get(get_ident())
        return fns[-1](*args, **kwargs) if fns else run(*args, **kwargs)

    return forward


_DISPATCH_CODE = _dispatcher({}, print).__code__


_wrapped: dict[int, _Wrapped] = {}  # id(module) → its wrapper, while a capture on it is open
_wrapped_guard = threading.Lock()


Recorder = Callable[[nn.Module, str, Callable[..., Any]], Callable[..., Any]]  # (module, name, run) → forward


def _push(modules: list[tuple[str, nn.Module]], make: Recorder, done: list[nn.Module]) -> None:
    """Install, for this thread, ``make(module, name, run)`` as the forward of each module (``run``: what it
    ran before); each module is appended to ``done`` once installed."""
    ident = threading.get_ident()
    with _wrapped_guard:
        for name, module in modules:
            w = _wrapped.get(id(module))
            if w is None:
                w = _wrapped[id(module)] = _Wrapped(module)
            stack = w.active.setdefault(ident, [])
            stack.append(make(module, name, stack[-1] if stack else w.run))
            done.append(module)


def _pop(modules: list[nn.Module]) -> None:
    """Undo this thread's latest :func:`_push` on each of ``modules``."""
    ident = threading.get_ident()
    with _wrapped_guard:
        for module in reversed(modules):
            w = _wrapped[id(module)]
            stack = w.active[ident]
            stack.pop()
            if stack:
                continue
            del w.active[ident]
            if not w.active:
                del _wrapped[id(module)]
                if w.own is _NONE:
                    w.attrs.pop("forward", None)
                else:
                    w.attrs["forward"] = w.own


def model_lock(model: nn.Module) -> threading.RLock:
    """The one re-entrant lock of ``model`` (created on first use)."""
    with _locks_guard:
        lock = _locks.get(model)
        if lock is None:
            lock = _locks[model] = threading.RLock()
        return lock


def _named_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``list(model.named_modules())`` (same names, order and sharing rule), without a generator per level."""
    out: list[tuple[str, nn.Module]] = []
    memo: set[nn.Module] = set()

    def visit(prefix: str, m: nn.Module) -> None:
        memo.add(m)
        out.append((prefix, m))
        for name, child in m._modules.items():
            if child is not None and child not in memo:
                visit(f"{prefix}.{name}" if prefix else name, child)

    visit("", model)
    return out


def _is_leaf(m: nn.Module) -> bool:
    return not m._modules or all(c is None for c in m._modules.values())


def leaf_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(qualified name, module) for every module without children, in registration order."""
    return [(name, m) for name, m in _named_modules(model) if _is_leaf(m)]


@dataclass(eq=False, slots=True)
class Call:
    """One call of one leaf module, as seen by the hooks (values are final when the capture block ends)."""

    name: str
    module: nn.Module
    call: int
    input: torch.Tensor | None = None  # the module's first tensor argument as it was given (detached)
    output: torch.Tensor | None = None  # the live tensor returned, in the autograd graph (may be changed later)
    value: torch.Tensor | None = None  # the output as the module returned it (detached)
    grad_target: torch.Tensor | GradientEdge | None = None  # differentiate w.r.t. this for dL/d(value)


@dataclass
class Tape:
    """What a capture recorded: the leaf calls in execution order."""

    calls: list[Call] = field(default_factory=list)
    missed: tuple[Site, ...] = ()  # sites overwritten in place without a copy: their values are wrong
    copies: int = 0  # tensors copied during the forward


def _version(t: torch.Tensor) -> int | None:
    """The tensor's in-place version counter; None for inference tensors, which have none."""
    try:
        return t._version
    except RuntimeError:
        return None


@contextmanager
def capture(model: nn.Module, *, copy_all: bool | None = None, eval_mode: bool = False) -> Iterator[Tape]:
    """Record every leaf-module call of forwards run by this thread inside the block.

    ``copy_all``: copy every input and output when recorded (default: on the model's first capture;
    afterwards only the sites that capture found overwritten). ``eval_mode``: every module is in eval
    mode inside the block, and gets its own train/eval flag back when the block ends.

    >>> with capture(model) as tape:
    ...     logits = model(x)
    >>> [c.name for c in tape.calls]   # the wrappers are gone here, even if forward raised
    """
    tape = Tape()
    calls = tape.calls
    counts: dict[int, int] = {}
    copies: dict[tuple[int, int | None], tuple[torch.Tensor, torch.Tensor]] = {}  # (id, version) → (tensor, copy)
    inplace_keys: set[tuple[int, int | None]] = set()  # copies made for an in-place module's input
    seen: list[tuple[Call, bool, torch.Tensor, int | None]] = []  # (call, is input, tensor, version) per site
    edges: list[tuple[Call, torch.Tensor, int | None, Any, int]] = []  # (call, output, version, grad_fn, output_nr)
    copy_sites: frozenset[Site] = frozenset()
    known: frozenset[Site] | None = None

    def copy_of(t: torch.Tensor, v: int | None) -> torch.Tensor:
        key = (id(t), v)
        hit = copies.get(key)
        if hit is None:
            hit = copies[key] = (t, t.detach().clone())  # keeps t alive, so its id stays unique
        return hit[1]

    def recording(module: nn.Module, name: str, run: Callable[..., Any]) -> Callable[..., Any]:
        """For :func:`_push`: ``run`` (what the module ran before), recording each call."""
        key = id(module)
        inplace = module.__dict__.get("inplace", getattr(type(module), "inplace", False)) is True

        def forward(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - any module's signature
            inp = None
            for a in args:
                if isinstance(a, torch.Tensor):
                    inp = a
                    break
            n = counts.get(key, 0)
            counts[key] = n + 1
            call = Call(name, module, n)
            if inp is not None:
                v = _version(inp)
                if inplace:  # the module is about to overwrite it
                    inplace_keys.add((id(inp), v))
                    call.input = copy_of(inp, v)
                else:
                    if v is None or copy_all or (copy_sites and ("in", name, n) in copy_sites):
                        call.input = copy_of(inp, v)
                    seen.append((call, True, inp, v))
            output = run(*args, **kwargs)
            if not isinstance(output, torch.Tensor):
                return output
            call.output = output
            v = _version(output)
            if v is None or copy_all or (copy_sites and ("out", name, n) in copy_sites):
                call.value = copy_of(output, v)
            seen.append((call, False, output, v))
            fn = output.grad_fn
            if fn is not None:
                if isinstance(fn, torch._C._FunctionBase):  # a Python autograd.Function: the edge must own its node
                    fn = get_gradient_edge(output)
                edges.append((call, output, v, fn, output.output_nr))
            elif output.requires_grad:  # a leaf, e.g. the model's input returned by an identity layer
                edges.append((call, output, v, None, 0))
            calls.append(call)
            return output

        return forward

    def finish() -> None:
        """Fill in each value: the live tensor if its version is unchanged, else the copy made at that version."""
        values = {key: hit[1] for key, hit in copies.items()}  # (id, version) → value; one per tensor and version
        version_now: dict[int, int | None] = {}
        needed: dict[tuple[int, int | None], Site] = {}
        missed: list[Site] = []
        for call, is_input, t, v in seen:
            tid = id(t)
            if tid not in version_now:
                version_now[tid] = None if v is None else t._version
            key = (tid, v)
            value = values.get(key)
            if v is not None and version_now[tid] != v:  # overwritten in place since it was recorded
                site = ("in" if is_input else "out", call.name, call.call)
                if key not in inplace_keys:
                    needed.setdefault(key, site)
                if value is None:
                    missed.append(site)
            if value is None:
                value = values[key] = t.detach()
            if is_input:
                call.input = value
            else:
                call.value = value
        for call, t, v, fn, nr in edges:
            if fn is None or v is None or version_now[id(t)] == v:
                call.grad_target = t
            else:  # overwritten in place since: differentiate at the edge the module returned
                call.grad_target = fn if isinstance(fn, GradientEdge) else GradientEdge(fn, nr)
        learned = frozenset(needed.values())
        if known is None or not learned <= copy_sites:  # the set only grows: control flow may vary by input
            with _locks_guard:
                _copy_sites[model] = copy_sites | learned
        tape.missed, tape.copies = tuple(missed), len(copies)

    leaves: list[tuple[str, nn.Module]] = []
    training: list[nn.Module] = []
    for name, m in _named_modules(model):
        if _is_leaf(m):
            leaves.append((name, m))
        if eval_mode and m.training:
            training.append(m)
    wrapped: list[nn.Module] = []
    with model_lock(model):
        with _locks_guard:
            known = _copy_sites.get(model)
        if copy_all is None:
            copy_all = known is None
        if known is not None:
            copy_sites = known
        try:
            for m in training:  # model.eval(), touching only the modules it changes
                m.training = False
            _push(leaves, recording, wrapped)
            yield tape
            finish()
        finally:
            _pop(wrapped)
            for m in training:
                m.training = True


def has_hooks(model: nn.Module) -> bool:
    """True if any module of ``model`` still carries a forward/backward hook or a capture's wrapper (for tests)."""
    for m in model.modules():
        if m._forward_hooks or m._forward_pre_hooks or m._backward_hooks or getattr(m, "_backward_pre_hooks", None):
            return True
        if id(m) in _wrapped or getattr(m.__dict__.get("forward"), "__code__", None) is _DISPATCH_CODE:
            return True
    return False
