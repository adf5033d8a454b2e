"""Figures of the Backpropagation page: computation graphs as DOT text, the loss surface with the gradient
arrow and the descent path, loss per step, and the finite-difference error against the step size h.

DOT strings go to ``st.graphviz_chart``; the rest are plotly Figures. None of them needs Streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from explain.chain_rule import ChainRule
from explain.descent import DescentPath, SurfaceGrid
from explain.gradcheck import FDCheck
from explain.graph import ModelGraph
from ui.figures.cache import cached_figure

FORWARD = "#333333"
BACKWARD = "#d62728"
_WHITE = (255, 255, 255)
_HOT = (253, 141, 60)  # orange: the node that gets the most gradient


def _q(text: str) -> str:
    """A DOT double-quoted string (backslashes, quotes and line breaks escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def fmt(v: float | None) -> str:
    """Short number for labels: 4 significant digits, scientific when very small or large."""
    if v is None:
        return "–"
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    return f"{v:.3e}" if abs(v) < 1e-3 or abs(v) >= 1e5 else f"{v:.4g}"


def _fill(value: float | None, lo: float, hi: float) -> str:
    """White → orange on a log scale of the gradient norm (white when unknown or zero)."""
    if value is None or value <= 0 or hi <= lo:
        s = 0.0 if value is None or value <= 0 else 1.0
    else:
        s = (math.log10(value) - lo) / (hi - lo)
    s = min(1.0, max(0.0, s))
    r, g, b = (round(a + (c - a) * s) for a, c in zip(_WHITE, _HOT, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def model_graph_dot(graph: ModelGraph, *, grad_label: str = "‖∂L/∂out‖", param_label: str = "‖∂L/∂W‖",
                    loss_label: str = "L", show_backward: bool = True) -> str:
    """The model's computation graph: one box per node with its name, kind, output shape and gradient norms.

    Fill colour: the log of ‖∂L/∂out‖ (white = least, orange = most). Solid arrows are the forward pass;
    with ``show_backward`` dashed red arrows run from L back to the input, the way the gradient flows.
    """
    norms = [n.grad_norm for n in graph.nodes if n.grad_norm and n.grad_norm > 0 and n.op != "loss"]
    lo, hi = (math.log10(min(norms)), math.log10(max(norms))) if norms else (0.0, 0.0)
    lines = [
        "digraph G {",
        '  graph [rankdir=TB, nodesep=0.25, ranksep=0.3, bgcolor="transparent"];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, margin="0.12,0.04"];',
        f'  edge [color="{FORWARD}", arrowsize=0.7, fontname="Helvetica"];',
    ]
    for n in graph.nodes:
        shape = "[" + ", ".join(str(s) for s in n.shape) + "]" if n.shape is not None else "?"
        if n.op == "loss":
            text = f"{loss_label}\n{n.kind} = {fmt(graph.loss)}\n∂L/∂L = 1"
            lines.append(f'  {_q(n.id)} [label={_q(text)}, shape=ellipse, fillcolor="#fde0dd"];')
            continue
        text = f"{n.label} · {n.kind}\n{shape}" if n.op != "input" else f"{n.label} · {shape}"
        if n.grad_norm is not None:
            text += f"\n{grad_label} = {fmt(n.grad_norm)}"
        if n.param_grad_norm is not None:
            text += f"\n{param_label} = {fmt(n.param_grad_norm)} ({n.n_params:,})"
        lines.append(f"  {_q(n.id)} [label={_q(text)}, fillcolor=\"{_fill(n.grad_norm, lo, hi)}\"];")
    for src, dst in graph.edges:
        lines.append(f"  {_q(src)} -> {_q(dst)};")
    if show_backward:
        for src, dst in graph.edges:
            lines.append(f'  {_q(dst)} -> {_q(src)} [color="{BACKWARD}", style=dashed, constraint=false];')
    lines.append("}")
    return "\n".join(lines)


def chain_dot(chain: ChainRule) -> str:
    """The tiny network as a graph: forward values in the boxes, ∂L/∂(node) on the red backward arrows."""
    n = chain.net
    g = {s.name.removeprefix("∂L/∂"): s.value for s in chain.steps}
    nodes = {
        "x": f"x = {fmt(n.x)}", "w1": f"w1 = {fmt(n.w1)}", "b1": f"b1 = {fmt(n.b1)}",
        "z1": f"z1 = w1·x + b1\n= {fmt(chain.z1)}", "h": f"h = σ(z1)\n= {fmt(chain.h)}",
        "w2": f"w2 = {fmt(n.w2)}", "b2": f"b2 = {fmt(n.b2)}", "y": f"y = w2·h + b2\n= {fmt(chain.y)}",
        "t": f"t = {fmt(n.t)}", "L": f"L = (y − t)²\n= {fmt(chain.loss)}",
    }
    forward = [("x", "z1"), ("w1", "z1"), ("b1", "z1"), ("z1", "h"), ("h", "y"), ("w2", "y"), ("b2", "y"),
               ("y", "L"), ("t", "L")]
    lines = ["digraph G {", '  graph [rankdir=LR, nodesep=0.2, ranksep=0.45, bgcolor="transparent"];',
             '  node [shape=box, style="rounded,filled", fillcolor="#f0f4fa", fontname="Helvetica", fontsize=11];',
             f'  edge [color="{FORWARD}", arrowsize=0.7, fontname="Helvetica"];']
    for key, text in nodes.items():
        extra = ', shape=ellipse, fillcolor="#fde0dd"' if key == "L" else (
            ', fillcolor="#fff5d6"' if key in ("w1", "b1", "w2", "b2") else "")
        lines.append(f"  {_q(key)} [label={_q(text)}{extra}];")
    for src, dst in forward:
        lines.append(f"  {_q(src)} -> {_q(dst)};")
        if src in g:
            lines.append(f'  {_q(dst)} -> {_q(src)} [color="{BACKWARD}", style=dashed, constraint=false, '
                         f'fontcolor="{BACKWARD}", fontsize=10, label={_q("∂L/∂" + src + " = " + fmt(g[src]))}];')
    lines.append("}")
    return "\n".join(lines)


@cached_figure
def surface_figure(grid: SurfaceGrid, *, point: tuple[float, float], grad: tuple[float, float],
                   path: DescentPath | None = None, log_scale: bool = False, title: str = "",
                   grad_name: str = "∇f", path_name: str = "", height: int = 460) -> go.Figure:
    """Contours of f(w1, w2), the point, the gradient arrow (scaled to fit, true value in the hover), the path."""
    z = np.log10(1.0 + grid.f) if log_scale else grid.f
    fig = go.Figure(go.Contour(
        x=np.round(grid.w1, 4), y=np.round(grid.w2, 4), z=np.round(z, 4), colorscale="Viridis", ncontours=24,
        customdata=np.round(grid.f, 4), hovertemplate="w₁ = %{x}, w₂ = %{y}: f = %{customdata}<extra></extra>",
        colorbar={"title": {"text": "log₁₀(1 + f)" if log_scale else "f"}, "thickness": 12},
        contours={"coloring": "heatmap", "showlines": True}, line={"width": 0.5, "color": "rgba(255,255,255,0.5)"},
    ))
    if path is not None and len(path.points) > 1:
        pts = path.points
        inside = (np.abs(pts[:, 0]) < 1e3) & (np.abs(pts[:, 1]) < 1e3)
        fig.add_trace(go.Scatter(
            x=pts[inside, 0], y=pts[inside, 1], mode="lines+markers", name=path_name,
            line={"color": "white", "width": 2}, marker={"size": 5, "color": "white", "line": {"width": 1}},
            customdata=np.column_stack([np.arange(len(pts))[inside], path.losses[inside]]),
            hovertemplate="step %{customdata[0]}: (%{x:.4f}, %{y:.4f}), f = %{customdata[1]:.4g}<extra></extra>"))
    span = min(grid.w1[-1] - grid.w1[0], grid.w2[-1] - grid.w2[0])
    norm = math.hypot(*grad)
    scale = 0.25 * span / norm if norm > 0.25 * span else 1.0
    tip = (point[0] + scale * grad[0], point[1] + scale * grad[1])
    if norm > 0:
        fig.add_annotation(x=tip[0], y=tip[1], ax=point[0], ay=point[1], xref="x", yref="y", axref="x", ayref="y",
                           showarrow=True, arrowhead=3, arrowsize=1.3, arrowwidth=2.5, arrowcolor=BACKWARD, text="")
        fig.add_annotation(x=tip[0], y=tip[1], text=grad_name, showarrow=False, yshift=12,
                           font={"color": BACKWARD, "size": 13})
    fig.add_trace(go.Scatter(
        x=[point[0]], y=[point[1]], mode="markers", showlegend=False,
        marker={"size": 11, "color": BACKWARD, "line": {"color": "white", "width": 2}},
        hovertemplate=f"w = (%{{x:.3f}}, %{{y:.3f}})<br>∂f/∂w₁ = {grad[0]:.4g}, ∂f/∂w₂ = {grad[1]:.4g}<extra></extra>"))
    fig.update_xaxes(title="w₁", range=[grid.w1[0], grid.w1[-1]])
    fig.update_yaxes(title="w₂", range=[grid.w2[0], grid.w2[-1]], scaleanchor="x", constrain="domain")
    lines = title.count("<br>") + 1 if title else 0  # a long title is written on two lines, not cut off
    fig.update_layout(title=title, height=height, margin={"l": 8, "r": 8, "t": 16 + 24 * lines if title else 8, "b": 8},
                      legend={"orientation": "h", "y": -0.12})
    return fig


@cached_figure
def loss_steps_figure(path: DescentPath, *, title: str = "", x_title: str = "step", y_title: str = "f",
                      height: int = 300) -> go.Figure:
    """f(w_k) against the step k on a log axis (a constant ratio per step is a straight line)."""
    losses = np.asarray(path.losses, dtype=np.float64)
    fig = go.Figure(go.Scatter(x=np.arange(len(losses)), y=np.maximum(losses, 1e-300), mode="lines+markers",
                               line={"color": BACKWARD if path.diverged else "#1f77b4"},
                               hovertemplate="k = %{x}: f = %{y:.4g}<extra></extra>"))
    fig.update_yaxes(type="log", title=y_title, exponentformat="power")
    fig.update_xaxes(title=x_title)
    fig.update_layout(title=title, height=height, margin={"l": 8, "r": 8, "t": 40 if title else 8, "b": 8})
    return fig


@cached_figure
def fd_error_figure(check: FDCheck, *, chosen_h: float, title: str = "", x_title: str = "h",
                    y_title: str = "relative error", height: int = 300) -> go.Figure:
    """Relative error of the central difference against h (log-log): truncation falls as h², rounding grows as 1/h."""
    hs = np.array([r.h for r in check.rows])
    err = np.array([max(r.rel_error, 1e-17) for r in check.rows])
    fig = go.Figure(go.Scatter(x=hs, y=err, mode="lines+markers", line={"color": "#1f77b4"},
                               hovertemplate="h = %{x:.0e}: %{y:.2e}<extra></extra>", showlegend=False))
    row = check.row(chosen_h)
    fig.add_trace(go.Scatter(x=[row.h], y=[max(row.rel_error, 1e-17)], mode="markers", showlegend=False,
                             marker={"size": 13, "color": BACKWARD, "symbol": "circle-open", "line": {"width": 3}},
                             hoverinfo="skip"))
    fig.update_xaxes(type="log", title=x_title, exponentformat="power", autorange="reversed")
    fig.update_yaxes(type="log", title=y_title, exponentformat="power")
    fig.update_layout(title=title, height=height, margin={"l": 8, "r": 8, "t": 40 if title else 8, "b": 8})
    return fig


def vector_text(values: Sequence[float]) -> str:
    """(1, 2.5, −3) → "[1, 2.5, -3]" for display next to a computation."""
    return "[" + ", ".join(fmt(float(v)) for v in values) + "]"
