"""A safe parser for typed tensor indexes such as ``x[0, 1]``, ``x[:, :, 2]`` or ``A[1][0][:]``.

The text is parsed with :mod:`ast` (never evaluated) and only these pieces are accepted:

* a name from the allowed list (``x``, ``A``) followed by one or more subscripts ``[...]``
  (a bare ``[...]`` means the default name);
* inside a subscript, comma-separated items, each an integer (``3``, ``-1``), a slice
  ``start:stop:step`` of integers, ``...`` (Ellipsis) or ``None`` (a new axis of size 1).

Anything else (names such as ``c``, calls, attributes, operators, strings, floats, booleans) is refused
with an :class:`IndexParseError` whose ``code`` names a catalog message. Length, nesting and number
sizes are bounded before and while parsing.

Semantics follow PyTorch's basic indexing: an integer picks one position and removes the axis
(a negative i means n + i), a slice keeps the axis with ⌈(stop − start)/step⌉ elements (clipped to the
axis), ``None`` inserts an axis of size 1, ``...`` stands for as many ``:`` as needed. ``A[1][0]`` is
applied step by step: ``A[1]`` first, then ``[0]`` on its result. PyTorch refuses negative steps, so
they are refused here too.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import EllipsisType
from typing import Any

import torch

MAX_LENGTH = 200  # characters of typed text
MAX_SUBSCRIPTS = 8  # A[1][0][:] has 3
MAX_ITEMS = 8  # items in one subscript
MAX_ABS = 10**6  # largest accepted |integer|

Item = int | slice | EllipsisType | None
Key = tuple[Item, ...]


class IndexParseError(ValueError):
    """Typed index that cannot be used. ``code`` selects the catalog message, ``params`` fill it in."""

    _MESSAGES = {
        "empty": "Type an index, e.g. x[0, 1].",
        "too_long": "The index is {length} characters long; at most {limit} are allowed.",
        "syntax": "This is not a valid index expression: {detail}",
        "not_allowed": "Only integers, slices (a:b:c), ... and None may appear in an index, not {what}.",
        "variable": "Replace the letter {name!r} with a number (e.g. x[0, 1, 5, 7]).",
        "unknown_name": "Unknown tensor {name!r}; use {allowed}.",
        "no_subscript": "Add an index in square brackets, e.g. {name}[0].",
        "too_many_subscripts": "At most {limit} [...] in a row are allowed.",
        "too_many_items": "At most {limit} items in one [...] are allowed.",
        "too_big": "The number {value} is too large (at most {limit} in absolute value).",
        "step_zero": "A slice step cannot be zero.",
        "step_negative": "PyTorch does not allow negative slice steps ({step}); use torch.flip instead.",
        "two_ellipsis": "Only one ... may appear in one [...].",
        "too_many_indices": "Too many indices: the tensor has {ndim} axes at this point but {count} were given.",
        "out_of_range": "Index {index} is out of range for axis {axis} of size {size} (valid: {low} to {high}).",
    }

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(self._MESSAGES[code].format(**params))


_NODE_NAMES = {
    "Call": "function calls",
    "Attribute": "attributes (a.b)",
    "BinOp": "arithmetic",
    "BoolOp": "logical operators",
    "Compare": "comparisons",
    "List": "lists",
    "Dict": "dictionaries",
    "Set": "sets",
    "Lambda": "lambdas",
    "JoinedStr": "f-strings",
    "Starred": "starred expressions",
    "NamedExpr": "assignments",
    "IfExp": "conditional expressions",
    "Subscript": "nested indexing inside an index",
    "ListComp": "comprehensions",
    "GeneratorExp": "comprehensions",
    "Await": "await",
    "Yield": "yield",
}


@dataclass(frozen=True)
class ParsedIndex:
    """A parsed index: the tensor name and one key per subscript, applied left to right."""

    name: str
    keys: tuple[Key, ...]

    @property
    def text(self) -> str:
        """The canonical spelling, e.g. ``x[0, 1:3, ::2]``."""
        return self.name + "".join(f"[{format_key(k)}]" for k in self.keys)


def format_item(item: Item) -> str:
    if item is None:
        return "None"
    if item is Ellipsis:
        return "..."
    if isinstance(item, slice):
        start = "" if item.start is None else str(item.start)
        stop = "" if item.stop is None else str(item.stop)
        return f"{start}:{stop}" + ("" if item.step is None else f":{item.step}")
    return str(item)


def format_key(key: Key) -> str:
    return ", ".join(format_item(i) for i in key)


def _int(node: ast.AST) -> int:
    """An integer literal, possibly with a sign; anything else is refused."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) is int:
        value = sign * node.value
        if abs(value) > MAX_ABS:
            raise IndexParseError("too_big", value=value, limit=MAX_ABS)
        return value
    _refuse(node)
    raise AssertionError  # pragma: no cover - _refuse always raises


def _refuse(node: ast.AST) -> None:
    if isinstance(node, ast.Name):
        raise IndexParseError("variable", name=node.id)
    if isinstance(node, ast.Constant):
        kind = type(node.value).__name__
        what = {"bool": "True/False", "float": "decimal numbers", "str": "text", "complex": "complex numbers",
                "bytes": "bytes"}.get(kind, kind)
        raise IndexParseError("not_allowed", what=what)
    if isinstance(node, ast.UnaryOp):
        raise IndexParseError("not_allowed", what="operators")
    raise IndexParseError("not_allowed", what=_NODE_NAMES.get(type(node).__name__, type(node).__name__))


def _item(node: ast.AST) -> Item:
    if isinstance(node, ast.Slice):
        parts = [None if p is None else _int(p) for p in (node.lower, node.upper, node.step)]
        if parts[2] == 0:
            raise IndexParseError("step_zero")
        if parts[2] is not None and parts[2] < 0:
            raise IndexParseError("step_negative", step=parts[2])
        return slice(*parts)
    if isinstance(node, ast.Constant) and node.value is Ellipsis:
        return Ellipsis
    if isinstance(node, ast.Constant) and node.value is None:
        return None
    return _int(node)


def _key(node: ast.AST) -> Key:
    elts = node.elts if isinstance(node, ast.Tuple) else [node]
    if len(elts) > MAX_ITEMS:
        raise IndexParseError("too_many_items", limit=MAX_ITEMS)
    key = tuple(_item(e) for e in elts)
    if sum(1 for i in key if i is Ellipsis) > 1:
        raise IndexParseError("two_ellipsis")
    return key


_AST_LOCK = threading.Lock()


def _parse(src: str) -> ast.Expression:
    """``ast.parse`` one at a time, retried once after a concurrent parse elsewhere.

    CPython 3.11 keeps ast.parse's recursion counter per interpreter, not per thread: two threads parsing
    at once (two students typing an index, or Streamlit compiling a page) can fail with
    "SystemError: AST constructor recursion depth mismatch" (CPython gh-106905).
    """
    with _AST_LOCK:
        try:
            return ast.parse(src, mode="eval")
        except SystemError:
            return ast.parse(src, mode="eval")


def parse_index(text: str, names: Sequence[str] = ("x",)) -> ParsedIndex:
    """Parse ``text`` (e.g. ``"x[0, 1]"``) into a :class:`ParsedIndex`; never evaluates anything."""
    if not isinstance(text, str) or not text.strip():
        raise IndexParseError("empty")
    if len(text) > MAX_LENGTH:
        raise IndexParseError("too_long", length=len(text), limit=MAX_LENGTH)
    src = text.strip()
    if src.startswith("["):
        src = names[0] + src
    try:
        tree = _parse(src)
    except SyntaxError as e:
        raise IndexParseError("syntax", detail=e.msg) from None
    except (RecursionError, MemoryError, ValueError):  # absurd nesting, NUL bytes
        raise IndexParseError("syntax", detail="too deeply nested or malformed") from None
    node = tree.body
    keys: list[Key] = []
    while isinstance(node, ast.Subscript):
        if len(keys) >= MAX_SUBSCRIPTS:
            raise IndexParseError("too_many_subscripts", limit=MAX_SUBSCRIPTS)
        keys.append(_key(node.slice))
        node = node.value
    if not isinstance(node, ast.Name):
        _refuse(node)
    assert isinstance(node, ast.Name)
    if node.id not in names:
        raise IndexParseError("unknown_name", name=node.id, allowed=", ".join(names))
    if not keys:
        raise IndexParseError("no_subscript", name=node.id)
    return ParsedIndex(node.id, tuple(reversed(keys)))


@dataclass(frozen=True)
class AxisStep:
    """How one item of one subscript acts on one axis (for the "what each index did" table)."""

    subscript: int  # 0 for the first [...]
    item: str  # as typed, canonical: "1", "::2", "...", "None"
    axis: int | None  # axis of the ORIGINAL tensor it acts on (None for a new axis)
    action: str  # "pick", "slice", "new", "all" (one axis covered by ...)
    size_before: int | None
    size_after: int | None  # None when the axis disappears (an integer index)
    positions: tuple[int, ...]  # the positions kept on that axis


@dataclass(frozen=True)
class IndexResult:
    """The result of a parsed index on a tensor, with the selected elements of the original marked."""

    parsed: ParsedIndex
    input_shape: tuple[int, ...]
    value: torch.Tensor  # the selected elements (a copy)
    mask: torch.Tensor  # bool, input_shape: True where an element was selected
    steps: tuple[AxisStep, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.value.shape)

    @property
    def count(self) -> int:
        return int(self.mask.sum())


def _expand(key: Key, ndim: int) -> list[Item]:
    """Replace ``...`` by the ``:`` it stands for; check that the key fits ``ndim`` axes."""
    used = sum(1 for i in key if i is not None and i is not Ellipsis)
    if used > ndim:
        raise IndexParseError("too_many_indices", ndim=ndim, count=used)
    out: list[Item] = []
    for i in key:
        if i is Ellipsis:
            out.extend([Ellipsis] * (ndim - used))  # marked as "all" in the table, a plain ":" for torch
        else:
            out.append(i)
    return out


def apply_index(tensor: torch.Tensor, parsed: ParsedIndex) -> IndexResult:
    """Apply ``parsed`` to ``tensor`` exactly as ``tensor[k1][k2]…`` would, checking every integer first."""
    value = tensor
    ids = torch.arange(tensor.numel()).reshape(tensor.shape)  # element ids, indexed alongside
    origin: list[int | None] = list(range(tensor.dim()))  # current axis → original axis
    steps: list[AxisStep] = []
    for s, key in enumerate(parsed.keys):
        items = _expand(key, value.dim())
        torch_key: list[Any] = []
        new_origin: list[int | None] = []
        dim = 0
        for item in items:
            if item is None:
                torch_key.append(None)
                new_origin.append(None)
                steps.append(AxisStep(s, "None", None, "new", None, 1, (0,)))
                continue
            size = value.shape[dim]
            ax = origin[dim]
            if isinstance(item, int):
                if not -size <= item < size:
                    raise IndexParseError("out_of_range", index=item, axis=dim, size=size, low=-size,
                                          high=size - 1)
                pos = item + size if item < 0 else item
                torch_key.append(item)
                steps.append(AxisStep(s, str(item), ax, "pick", size, None, (pos,)))
            else:
                sl = slice(None) if item is Ellipsis else item
                assert isinstance(sl, slice)
                kept = tuple(range(size)[sl])
                torch_key.append(sl)
                new_origin.append(ax)
                steps.append(AxisStep(s, "..." if item is Ellipsis else format_item(item), ax,
                                      "all" if item is Ellipsis else "slice", size, len(kept), kept))
            dim += 1
        new_origin.extend(origin[dim:])
        origin = new_origin
        try:
            value = value[tuple(torch_key)]
            ids = ids[tuple(torch_key)]
        except (IndexError, ValueError, RuntimeError) as e:  # pragma: no cover - prevented by the checks above
            raise IndexParseError("syntax", detail=str(e)) from None
    mask = torch.zeros(tensor.numel(), dtype=torch.bool)
    mask[ids.reshape(-1)] = True
    return IndexResult(parsed, tuple(tensor.shape), value.clone(), mask.reshape(tensor.shape), tuple(steps))


def index_tensor(tensor: torch.Tensor, text: str, names: Sequence[str] = ("x",)) -> IndexResult:
    """Parse ``text`` and apply it to ``tensor`` (raises :class:`IndexParseError`)."""
    return apply_index(tensor, parse_index(text, names))


def panels_to_show(mask: torch.Tensor, max_cells: int) -> tuple[int, ...]:
    """Which panels (first axis of a [P, H, W] selection mask) to draw when all P would be too many cells.

    The panels holding a selected element come first (in index order), then the others, until
    ``max_cells`` = Σ H·W is reached; at least one panel. With few enough cells every panel is kept.
    """
    p = int(mask.shape[0])
    per = max(1, int(mask[0].numel())) if p else 1
    n = max(1, min(p, max_cells // per))
    if n >= p:
        return tuple(range(p))
    hit = mask.reshape(p, -1).any(1)
    order = [i for i in range(p) if hit[i]] + [i for i in range(p) if not hit[i]]
    return tuple(sorted(order[:n]))
