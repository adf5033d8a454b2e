"""The computation graph (计算图) of a model, with each node's output shape and gradient norm.

The structure comes from ``torch.fx.symbolic_trace`` of a *deep copy* of the model (so every
``call_module``, ``call_function`` and ``call_method`` appears, even functional ops that module hooks
miss); shapes come from running that copy once (``ShapeProp``). Gradients are not recomputed: each
``call_module`` node is matched by its module name (and call number, for a module used twice) to the
shared trace's :class:`~explain.trace.LayerRecord`, whose ``grad`` is ∂L/∂(output) and whose
``param_grads`` are ∂L/∂W. The node shows ‖∂L/∂out‖₂ = √(Σ gᵢ²) and ‖∂L/∂W‖₂ over all its parameters.

Forward: values flow from the input node to L. Backward: ∂L/∂L = 1 starts at L and the chain rule
multiplies local derivatives node by node back to the input.

If a model cannot be traced symbolically (data-dependent control flow), the graph falls back to the
chain of leaf-module calls in the order the trace recorded them (``source == "trace"``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp

from explain.hooks import model_lock
from explain.summary import weight_grad_norm
from explain.trace import LayerRecord, LossKind, Trace

NodeOp = Literal["input", "module", "function", "loss"]


@dataclass(frozen=True)
class GraphNode:
    """One node of the computation graph."""

    id: str  # unique node id, e.g. "block1_conv1"
    op: NodeOp
    label: str  # what the user reads: the module name "block1.conv1", a function name "add", "x", "L"
    kind: str  # module class ("Conv2d"), function name, "input" or the loss kind
    shape: tuple[int, ...] | None
    grad_norm: float | None  # ‖∂L/∂(node output)‖₂
    param_grad_norm: float | None  # ‖∂L/∂W‖₂ over the module's parameters (None without parameters)
    n_params: int
    inputs: tuple[str, ...]  # ids of the nodes this one reads
    key: str | None = None  # the trace record key matched to this node


@dataclass(frozen=True)
class ModelGraph:
    nodes: tuple[GraphNode, ...]
    source: Literal["fx", "trace"]
    loss_kind: LossKind
    loss: float

    def __getitem__(self, node_id: str) -> GraphNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def by_label(self, label: str) -> GraphNode:
        for n in self.nodes:
            if n.label == label:
                return n
        raise KeyError(label)

    @property
    def edges(self) -> list[tuple[str, str]]:
        return [(src, n.id) for n in self.nodes for src in n.inputs]


def _norm(t: torch.Tensor | None) -> float | None:
    return None if t is None else float(t.detach().double().norm())


def _loss_node(tr: Trace, src: str) -> GraphNode:
    return GraphNode("loss", "loss", "L", tr.loss_kind, (), 1.0, None, 0, (src,))


def _input_node(tr: Trace) -> GraphNode:
    return GraphNode("x", "input", "x", "input", tuple(tr.input.shape), _norm(tr.input_grad), None, 0, ())


def _from_records(tr: Trace) -> ModelGraph:
    nodes = [_input_node(tr)]
    prev = "x"
    for rec in tr.layers:
        nid = rec.key.replace(".", "_").replace("#", "_")
        nodes.append(GraphNode(nid, "module", rec.key, rec.kind, tuple(rec.output.shape), _norm(rec.grad),
                               weight_grad_norm(rec), rec.n_params, (prev,), rec.key))
        prev = nid
    nodes.append(_loss_node(tr, prev))
    return ModelGraph(tuple(nodes), "trace", tr.loss_kind, tr.loss)


def _shape(node: fx.Node) -> tuple[int, ...] | None:
    meta = node.meta.get("tensor_meta")
    shape = getattr(meta, "shape", None)
    return None if shape is None else tuple(int(s) for s in shape)


def _arg_ids(args: Sequence[object]) -> list[str]:
    out: list[str] = []
    for a in args:
        if isinstance(a, fx.Node):
            out.append(a.name)
        elif isinstance(a, (list, tuple)):
            out.extend(_arg_ids(a))
        elif isinstance(a, dict):
            out.extend(_arg_ids(list(a.values())))
    return out


def model_graph(model: nn.Module, tr: Trace) -> ModelGraph:
    """The model's fx graph, annotated with shapes and with the gradient norms of the shared trace ``tr``."""
    with model_lock(model):
        twin = copy.deepcopy(model)
    for m in twin.modules():
        m._forward_hooks.clear()
        m._forward_pre_hooks.clear()
    twin.eval()
    try:
        gm = fx.symbolic_trace(twin)
    except (fx.proxy.TraceError, TypeError, NotImplementedError):
        return _from_records(tr)
    with torch.no_grad():
        ShapeProp(gm).propagate(tr.input.detach().to(next(twin.parameters(), tr.input).dtype))

    records: dict[str, LayerRecord] = {r.key: r for r in tr.layers}
    calls: dict[str, int] = {}
    nodes: list[GraphNode] = []
    ids: set[str] = set()
    for node in gm.graph.nodes:
        inputs = tuple(i for i in _arg_ids([*node.args, node.kwargs]) if i in ids)
        if node.op == "placeholder":
            n = _input_node(tr)
            nodes.append(GraphNode(node.name, "input", node.name, "input", n.shape, n.grad_norm, None, 0, ()))
        elif node.op == "call_module":
            name = str(node.target)
            k = calls.get(name, 0)
            calls[name] = k + 1
            key = name if k == 0 else f"{name}#{k + 1}"
            rec = records.get(key)
            mod = gm.get_submodule(name)
            nodes.append(GraphNode(
                node.name, "module", key, type(mod).__name__, _shape(node),
                _norm(rec.grad) if rec is not None else None,
                weight_grad_norm(rec) if rec is not None else None,
                sum(p.numel() for p in mod.parameters(recurse=False)), inputs, key if rec is not None else None))
        elif node.op in ("call_function", "call_method"):
            fname = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", str(node.target))
            nodes.append(GraphNode(node.name, "function", str(fname), str(fname), _shape(node), None, None, 0, inputs))
        elif node.op == "get_attr":
            nodes.append(GraphNode(node.name, "function", str(node.target), "attribute", _shape(node), None, None,
                                   0, inputs))
        elif node.op == "output":
            src = inputs[0] if inputs else nodes[-1].id
            nodes.append(_loss_node(tr, src))
        ids.add(node.name)
    return ModelGraph(tuple(nodes), "fx", tr.loss_kind, tr.loss)
