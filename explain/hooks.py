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
``torch.autograd.graph.GradientEdge``, taken when the tensor was copied, at the version it was recorded
with); ``torch.autograd.grad`` there gives dLoss/dOutput of this layer, not of the in-place op.

Cost (a trace runs on every new photo, so this is on a page's critical path): the walk of the model's
tree and one :class:`_Wrapped` per leaf are kept per model (:class:`_Plan`) while the tree is unchanged;
while one capture alone is open on a module its forward is that capture's recording closure, which only
appends one tuple per call; :class:`Call` objects are made in one loop when the block ends, not between
the model's kernels. :func:`open_capture` is the same capture without a context manager's generator.
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


# What a capture gives :func:`_push` for each leaf: make(name, module, in_place, run, owner) → a forward that
# records a call from thread ``owner`` and calls ``run`` (what the module ran before), and only calls ``run``
# from any other thread.
Maker = Callable[[str, nn.Module, bool, Callable[..., Any], int], Callable[..., Any]]


class _Wrapped:
    """What a module carries while any capture on it is open (in any thread).

    Each capturing thread pushes its recording forward on its own stack; other threads run the module's own
    forward. While one capture alone is open on the module, the module's forward is that capture's recording
    forward itself; once a second one opens (another thread, or a capture inside a capture) it is
    :attr:`forward`, which runs the calling thread's latest, until the last capture closes and puts the
    module's own ``forward`` back (or none, if it had none). A model's :class:`_Plan` keeps one per leaf.
    """

    __slots__ = ("active", "attrs", "forward", "own", "run")

    def __init__(self, module: nn.Module) -> None:
        self.attrs = module.__dict__
        self.own: Any = _NONE  # the instance's own forward while installed, if it had one
        self.run: Callable[..., Any] = module.forward  # what the module runs without a capture
        self.active: dict[int, list[Callable[..., Any]]] = {}
        self.forward = _dispatcher(self)

    def uninstall(self) -> None:
        if self.own is _NONE:
            self.attrs.pop("forward", None)
        else:
            self.attrs["forward"] = self.own


def _dispatcher(w: _Wrapped) -> Callable[..., Any]:
    """A forward that runs the calling thread's latest recording forward, or the module's own forward in a
    thread without one."""
    active = w.active
    get_ident = threading.get_ident

    def forward(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - any module's signature
        stack = active.get(get_ident())
        return stack[-1](*args, **kwargs) if stack else w.run(*args, **kwargs)

    return forward


_wrapped: dict[int, _Wrapped] = {}  # id(module) → its wrapper, while a capture on it is open
_wrapped_guard = threading.Lock()


def _push(plan: _Plan, make: Maker, done: list[nn.Module]) -> None:
    """Install, for this thread, ``make(name, module, in_place, run, thread)`` as the forward of each leaf of
    ``plan``; each module is appended to ``done`` once installed."""
    ident = threading.get_ident()
    wrappers = plan.wrappers
    with _wrapped_guard:
        for i, (name, module, class_inplace) in enumerate(plan.leaves):
            attrs = module.__dict__
            inplace = attrs.get("inplace", class_inplace) is True
            w = _wrapped.get(id(module))
            if w is None:  # the first capture on this module: its recording forward is the module's forward
                w = _wrapped[id(module)] = wrappers[i]
                w.own = attrs.get("forward", _NONE)
                w.run = module.forward  # the instance's own forward, or the class's bound to it
                f = make(name, module, inplace, w.run, ident)
                w.active[ident] = [f]
                attrs["forward"] = f
            else:  # a second one: the module looks up the calling thread's stack from now on
                attrs["forward"] = w.forward
                stack = w.active.get(ident)
                if stack is None:
                    stack = w.active[ident] = []
                stack.append(make(name, module, inplace, stack[-1] if stack else w.run, ident))
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
                w.uninstall()


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


@dataclass(frozen=True, slots=True, eq=False)
class _Plan:
    """A model's tree as :func:`capture` walks it, kept between captures while the tree is unchanged.

    ``shape`` holds, for every module but the root, the module, its ``_modules`` dict and a copy of it; the
    root's dict and copy are ``root``. The tree is unchanged when every dict is still its module's and still
    equals its copy (children compare by identity): two dozen dict comparisons instead of a walk that
    builds every qualified name. Nothing here refers to the root module itself, so the cache (keyed weakly
    by the root) lets a model be freed.

    ``leaves``: (qualified name, module, whether its class says ``inplace = True``) for every leaf, and
    ``wrappers`` the :class:`_Wrapped` each leaf gets while a capture is open."""

    root: tuple[dict[str, nn.Module | None], dict[str, nn.Module | None]]
    shape: tuple[tuple[nn.Module, dict[str, nn.Module | None], dict[str, nn.Module | None]], ...]
    leaves: tuple[tuple[str, nn.Module, bool], ...]
    wrappers: tuple[_Wrapped, ...]

    def holds_for(self, model: nn.Module) -> bool:
        d, copy = self.root
        if model._modules is not d or d != copy:
            return False
        for m, d, copy in self.shape:
            if m._modules is not d or d != copy:
                return False
        return True


_plans: weakref.WeakKeyDictionary[nn.Module, _Plan] = weakref.WeakKeyDictionary()


def _plan(model: nn.Module) -> _Plan:
    """The model's :class:`_Plan`, made anew when its tree changed (call with the model's lock held)."""
    plan = _plans.get(model)
    if plan is not None and plan.holds_for(model):
        return plan
    named = _named_modules(model)
    leaves = [(name, m) for name, m in named if _is_leaf(m)]
    plan = _Plan(
        root=(model._modules, dict(model._modules)),
        shape=tuple((m, m._modules, dict(m._modules)) for _, m in named[1:]),
        leaves=tuple((name, m, getattr(type(m), "inplace", False) is True) for name, m in leaves),
        wrappers=tuple(_Wrapped(m) for _, m in leaves),
    )
    # Not kept when the plan would hold the root (a model without children is its own leaf; a child may list
    # the root among its own children): the weakly keyed cache would then keep the model alive for ever.
    if plan.shape and not any(c is model for _, _, copy in plan.shape for c in copy.values()):
        _plans[model] = plan
    return plan


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
    cap = open_capture(model, copy_all=copy_all, eval_mode=eval_mode)
    try:
        yield cap.tape
        cap.finish()
    finally:
        cap.close()


@dataclass(eq=False, slots=True)
class Capture:
    """An open capture (:func:`open_capture`): call :meth:`finish` after the forward, and :meth:`close` in a
    ``finally`` in any case."""

    tape: Tape
    finish: Callable[[], None]  # fills in the tape's calls (values final as of now)
    _wrapped: list[nn.Module]
    _training: list[nn.Module]
    _lock: threading.RLock
    _open: bool = True

    def close(self) -> None:
        """Take the wrappers off, give the modules their train/eval flags back and release the model's lock."""
        if not self._open:
            return
        self._open = False
        try:
            _pop(self._wrapped)
        finally:
            for m in self._training:
                m.training = True
            self._lock.release()


def open_capture(model: nn.Module, *, copy_all: bool | None = None, eval_mode: bool = False) -> Capture:
    """:func:`capture` as two calls, for a caller that wants no context manager on its hot path (the tracer):

    >>> cap = open_capture(model)
    >>> try:
    ...     logits = model(x)
    ...     cap.finish()
    ... finally:
    ...     cap.close()
    """
    tape = Tape()
    # One entry per recorded call, in the order the calls return: (name, module, call index or -1 when it is
    # counted at the end, input or None, its version, input overwritten by the module itself?, output, its
    # version, output needs a gradient?). The forward only appends these; Call objects are made at the end,
    # in one loop, rather than between the model's kernels.
    raw: list[tuple[str, nn.Module, int, torch.Tensor | None, int | None, bool, torch.Tensor, int | None, bool]] = []
    counts: dict[str, int] = {}  # leaf name → its calls so far (the careful leaves only)
    # (id, version) → (tensor, its copy, the gradient edge it had then, or None if it needs no gradient)
    copies: dict[tuple[int, int | None], tuple[torch.Tensor, torch.Tensor, GradientEdge | None]] = {}
    inplace_keys: set[tuple[int, int | None]] = set()  # copies made for an in-place module's input
    copy_sites: frozenset[Site] = frozenset()
    copy_names: frozenset[str] = frozenset()  # the leaves named in copy_sites
    known: frozenset[Site] | None = None

    def copy_of(t: torch.Tensor, v: int | None) -> None:
        key = (id(t), v)
        if key not in copies:  # t kept alive here, so its id stays unique
            copies[key] = (t, t.detach().clone(), get_gradient_edge(t) if t.requires_grad else None)

    get_ident = threading.get_ident

    def record(name: str, module: nn.Module, run: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
               n: int, inplace: bool, copy_in: bool, copy_out: bool) -> Any:  # noqa: ANN401 - any module's output
        """One call of a leaf, ``run(*args, **kwargs)``: appended to ``raw``, its input copied first if the module
        overwrites it (``inplace``) or ``copy_in``, its output after if ``copy_out`` (and either if it is an
        inference tensor, which has no version counter to check it by)."""
        inp = vin = None
        for a in args:
            if isinstance(a, torch.Tensor):
                inp = a
                vin = None if a.is_inference() else a._version
                if inplace:  # the module is about to overwrite it
                    inplace_keys.add((id(a), vin))
                if inplace or copy_in or vin is None:
                    copy_of(a, vin)
                break
        output = run(*args, **kwargs)
        if isinstance(output, torch.Tensor):
            vout = None if output.is_inference() else output._version
            if copy_out or vout is None:
                copy_of(output, vout)
            raw.append((name, module, n, inp, vin, inplace, output, vout, output.requires_grad))
        return output

    def make(name: str, module: nn.Module, inplace: bool, run: Callable[..., Any], owner: int) -> Callable[..., Any]:
        """For :func:`_push`: the forward of one leaf, recording its calls from thread ``owner``."""
        if inplace or copy_all or name in copy_names:
            def careful(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - any module's signature
                if get_ident() != owner:
                    return run(*args, **kwargs)
                n = counts.get(name, 0)  # counted now: the sites to copy are known by call index
                counts[name] = n + 1
                return record(name, module, run, args, kwargs, n, inplace,
                              copy_all or ("in", name, n) in copy_sites, copy_all or ("out", name, n) in copy_sites)

            return careful

        def forward(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - any module's signature
            if get_ident() != owner:
                return run(*args, **kwargs)
            return record(name, module, run, args, kwargs, -1, False, False, False)  # call index counted at the end

        return forward

    def finish() -> None:
        """Make the calls; each value is the live tensor if its version is unchanged, else the copy made at that
        version; a gradient is taken at the live tensor, or at the edge a changed one had when copied."""
        values = {key: hit[1] for key, hit in copies.items()}  # (id, version) → value; one per tensor and version
        version_now: dict[int, int | None] = {}
        needed: dict[tuple[int, int | None], Site] = {}
        missed: list[Site] = []
        index: dict[str, int] = {}

        def value_of(t: torch.Tensor, v: int | None, kind: str, name: str, n: int) -> torch.Tensor:
            tid = id(t)
            now = version_now.get(tid, _NONE)
            if now is _NONE:
                now = version_now[tid] = None if v is None else t._version
            key = (tid, v)
            value = values.get(key)
            if now != v:  # overwritten in place since it was recorded
                if key not in inplace_keys:
                    needed.setdefault(key, (kind, name, n))
                if value is None:
                    missed.append((kind, name, n))
            if value is None:
                value = values[key] = t.detach()
            return value

        calls = tape.calls
        for name, module, n, inp, vin, inplace, out, vout, grad in raw:
            if n < 0:
                n = index.get(name, 0)
                index[name] = n + 1
            call = Call(name, module, n)
            if inp is not None:
                call.input = values[(id(inp), vin)] if inplace else value_of(inp, vin, "in", name, n)
            call.output = out
            call.value = value_of(out, vout, "out", name, n)
            if grad:
                if vout is None or version_now[id(out)] == vout:
                    call.grad_target = out
                else:  # overwritten in place since: differentiate at the edge it had when copied (None if missed)
                    hit = copies.get((id(out), vout))
                    call.grad_target = None if hit is None else hit[2]
            calls.append(call)
        learned = frozenset(needed.values())
        if known is None or not learned <= copy_sites:  # the set only grows: control flow may vary by input
            with _locks_guard:
                _copy_sites[model] = copy_sites | learned
        tape.missed, tape.copies = tuple(missed), len(copies)

    wrapped: list[nn.Module] = []
    training: list[nn.Module] = []
    lock = model_lock(model)
    lock.acquire()
    try:
        plan = _plan(model)
        if eval_mode:
            training = [m for m, _, _ in plan.shape if m.training]
            if model.training:
                training.append(model)
        with _locks_guard:
            known = _copy_sites.get(model)
        if copy_all is None:
            copy_all = known is None
        if known is not None:
            copy_sites = known
            copy_names = frozenset(name for _, name, _ in known)
        for m in training:  # model.eval(), touching only the modules it changes
            m.training = False
        _push(plan, make, wrapped)
    except BaseException:
        Capture(tape, finish, wrapped, training, lock).close()
        raise
    return Capture(tape, finish, wrapped, training, lock)


def has_hooks(model: nn.Module) -> bool:
    """True if any module of ``model`` still carries a forward/backward hook or a capture's wrapper (for tests)."""
    for m in model.modules():
        if m._forward_hooks or m._forward_pre_hooks or m._backward_hooks or getattr(m, "_backward_pre_hooks", None):
            return True
        if id(m) in _wrapped or getattr(m.__dict__.get("forward"), "__module__", None) == __name__:
            return True
    return False
