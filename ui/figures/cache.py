"""A process-wide cache of built plotly figures, keyed on the builder and a digest of its arguments.

Building a figure (plotly validates every property) is most of a warm rerun's time; the same arguments
give the same figure, so a page that is rerun (a widget elsewhere changed) reuses it. Arguments are
digested by value: arrays and tensors by dtype, shape and bytes (BLAKE2b), dataclasses field by field,
containers element by element; anything else that is not a plain value makes the call uncached.

The cached figures are shared: callers must not change a figure they got (pages only pass it to
``st.plotly_chart``, which copies it with ``to_dict()``).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np
import plotly.graph_objects as go

MAX_FIGURES = 128
F = TypeVar("F", bound=Callable[..., Any])

_figures: OrderedDict[bytes, Any] = OrderedDict()
_lock = threading.Lock()
_building: dict[bytes, threading.Lock] = {}  # keys being built now, each with its own lock


class _Unhashable(Exception):
    pass


def _feed(h: Any, value: Any) -> None:  # noqa: ANN401 - any argument of a figure builder
    if value is None or isinstance(value, (bool, int, float, str, bytes, complex)):
        h.update(f"{type(value).__name__}:{value!r};".encode())
    elif hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        _feed(h, value.detach().cpu().numpy())
    elif isinstance(value, np.ndarray):
        if value.dtype == object:
            h.update(b"obj[")
            for v in value.ravel().tolist():
                _feed(h, v)
            h.update(f"]{value.shape};".encode())
        else:
            h.update(f"nd:{value.dtype.str}:{value.shape};".encode())
            h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, np.generic):
        _feed(h, value.item())
    elif isinstance(value, (list, tuple)):
        h.update(f"{type(value).__name__}[{len(value)}".encode())
        for v in value:
            _feed(h, v)
        h.update(b"]")
    elif isinstance(value, Mapping):
        h.update(f"map[{len(value)}".encode())
        for k in sorted(value, key=repr):
            _feed(h, k)
            _feed(h, value[k])
        h.update(b"]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        h.update(f"dc:{type(value).__qualname__}[".encode())
        for f in dataclasses.fields(value):
            h.update(f.name.encode())
            _feed(h, getattr(value, f.name))
        h.update(b"]")
    else:
        raise _Unhashable(type(value).__name__)


def digest(builder: Callable[..., Any], args: tuple, kwargs: dict) -> bytes | None:
    """The cache key of a call, or None when an argument cannot be digested by value."""
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{builder.__module__}.{builder.__qualname__};".encode())
    try:
        _feed(h, args)
        _feed(h, kwargs)
    except _Unhashable:
        return None
    return h.digest()


def _frozen(fig: Any) -> Any:  # noqa: ANN401 - a plotly figure, or whatever the builder returned
    """Let a shared figure hand out one prepared dict: ``st.plotly_chart`` calls ``to_dict()`` (a deep copy,
    most of its cost for a cached figure) and then only reads the dict to write its JSON."""
    if isinstance(fig, go.Figure) and type(fig) is go.Figure:
        plain = fig.to_dict()
        fig.__class__ = _SharedFigure
        fig._plain = plain  # noqa: SLF001
    return fig


class _SharedFigure(go.Figure):
    """A cached figure: ``to_dict()`` returns the dict made when it was cached (read-only, like the figure)."""

    def to_dict(self) -> dict:
        return self._plain


def _key_lock(key: bytes) -> threading.Lock:
    """The lock held while one session builds the figure of ``key`` (others with the same key wait for it)."""
    with _lock:
        return _building.setdefault(key, threading.Lock())


def cached_figure(builder: F) -> F:
    """Decorate a figure builder: the same arguments return the same (shared, read-only) figure.

    Built once even when a class asks at the same moment: the first caller of a key builds it while the
    others wait for that figure (30 sessions opening a page together would otherwise all build it)."""

    @functools.wraps(builder)
    def wrapper(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        key = digest(builder, args, kwargs)
        if key is None:
            return builder(*args, **kwargs)
        with _lock:
            fig = _figures.get(key)
            if fig is not None:
                _figures.move_to_end(key)
                return fig
        with _key_lock(key):
            try:
                with _lock:
                    fig = _figures.get(key)
                if fig is None:
                    fig = _frozen(builder(*args, **kwargs))
                    with _lock:
                        _figures[key] = fig
                        while len(_figures) > MAX_FIGURES:
                            _figures.popitem(last=False)
            finally:
                with _lock:
                    _building.pop(key, None)
        return fig

    wrapper.uncached = builder  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
