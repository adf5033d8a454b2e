"""Figures of the Gradient flow page: per-layer gradient norms on a log scale, and a conv layer's gradients."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from explain.gradients import GradientFlow, union_order
from ui.figures import plain
from ui.figures.cache import cached_figure
from ui.figures.maps import SEQUENTIAL, as_numpy

OUTPUT_COLOR = "#1f77b4"
WEIGHT_COLOR = "#d62728"
ACTIVATION_COLORS = {"relu": "#1f77b4", "sigmoid": "#d62728", "tanh": "#2ca02c", "elu": "#9467bd",
                     "prelu": "#ff7f0e"}
FALLBACK_COLORS = ("#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def _positive(values: Sequence[float | None]) -> list[float | None]:
    """Norms for a log axis: a missing or zero norm is a gap, not −∞."""
    return [v if v is not None and v > 0 else None for v in values]


def _log_range(values: Sequence[float | None]) -> list[float] | None:
    """A log-axis range covering every positive value with half a decade to spare."""
    vs = [v for v in values if v is not None and v > 0]
    if not vs:
        return None
    return [float(np.log10(min(vs))) - 0.5, float(np.log10(max(vs))) + 0.5]


@cached_figure
def flow_chart(flow: GradientFlow, *, title: str = "", output_name: str = "‖∂L/∂output‖",
               weight_name: str = "‖∂L/∂weights‖", y_title: str = "norm (log scale)", height: int = 380) -> go.Figure:
    """One model: the gradient norm at every layer's output and at every layer's weights, forward order, log y."""
    keys = flow.keys()
    out = _positive([lay.grad_norm for lay in flow.layers])
    wts = _positive([lay.weight_grad_norm for lay in flow.layers])
    shapes = [str(list(lay.out_shape)) for lay in flow.layers]
    data = [
        {"type": "scatter", "x": keys, "y": out, "mode": "lines+markers", "name": output_name,
         "line": {"color": OUTPUT_COLOR}, "customdata": shapes, "connectgaps": True,
         "hovertemplate": "%{x} · %{customdata}<br>" + output_name + " = %{y:.3e}<extra></extra>"},
        {"type": "scatter", "x": keys, "y": wts, "mode": "markers", "name": weight_name,
         "marker": {"color": WEIGHT_COLOR, "size": 11, "symbol": "diamond"},
         "hovertemplate": "%{x}<br>" + weight_name + " = %{y:.3e}<extra></extra>"},
    ]
    # The title sits at the top of the figure and the legend in its own row between the title and the plot: a
    # legend anchored above the plot would otherwise be drawn over a title placed at the same height.
    layout = {
        "xaxis": {"tickangle": -40},
        "yaxis": {"type": "log", "title": {"text": y_title}, "exponentformat": "power", "dtick": 1,
                  "range": _log_range(out + wts)},
        "title": {"text": title, "yref": "container", "y": 1, "yanchor": "top", "pad": {"t": 10}},
        "height": height, "margin": {"l": 8, "r": 8, "t": 78 if title else 36, "b": 8},
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
    }
    return plain.figure(data, layout)


def _color(label: str, i: int, activations: Sequence[str] | None) -> str:
    if activations is not None and i < len(activations) and activations[i] in ACTIVATION_COLORS:
        return ACTIVATION_COLORS[activations[i]]
    return FALLBACK_COLORS[i % len(FALLBACK_COLORS)]


@cached_figure
def flow_comparison(flows: Sequence[GradientFlow], *, activations: Sequence[str] | None = None, title: str = "",
                    output_title: str = "‖∂L/∂output‖ per layer", weight_title: str = "‖∂L/∂weights‖ per layer",
                    y_title: str = "norm (log scale)", dashed: bool = False, height: int = 420) -> go.Figure:
    """Several models side by side: left the output-gradient norms, right the weight-gradient norms; one line
    per model (coloured by activation), both panels on log axes so a factor of 10 is one grid step."""
    data: list[dict] = []
    all_out: list[float | None] = []
    all_w: list[float | None] = []
    for i, flow in enumerate(flows):
        color = _color(flow.label, i, activations)
        line = {"color": color, "dash": "dash" if dashed else "solid"}
        out = _positive([lay.grad_norm for lay in flow.layers])
        weighted = flow.weighted()
        wts = _positive([lay.weight_grad_norm for lay in weighted])
        all_out += out
        all_w += wts
        hover = flow.label + " · %{x}: %{y:.3e}<extra></extra>"
        data.append({"type": "scatter", "x": flow.keys(), "y": out, "mode": "lines+markers", "name": flow.label,
                     "line": line, "legendgroup": flow.label, "connectgaps": True, "hovertemplate": hover,
                     "xaxis": "x", "yaxis": "y"})
        data.append({"type": "scatter", "x": [lay.key for lay in weighted], "y": wts, "mode": "lines+markers",
                     "name": flow.label, "line": line, "legendgroup": flow.label, "showlegend": False,
                     "hovertemplate": hover, "xaxis": "x2", "yaxis": "y2"})
    layout = plain.side_by_side((output_title, weight_title), spacing=0.08)
    # Categories in forward order of the union of the models' layers (PReLU's block1.act1 between block1.conv1 and
    # block1.conv2, not after classifier where plotly's first-appearance order would put it).
    layout["xaxis"].update(categoryorder="array", categoryarray=union_order([f.keys() for f in flows]),
                           tickangle=-40)
    layout["xaxis2"].update(categoryorder="array", tickangle=-40,
                            categoryarray=union_order([[lay.key for lay in f.weighted()] for f in flows]))
    layout["yaxis"].update(type="log", exponentformat="power", dtick=1, title={"text": y_title},
                           range=_log_range(all_out))
    layout["yaxis2"].update(type="log", exponentformat="power", dtick=1, range=_log_range(all_w))
    layout.update(title={"text": title}, height=height, margin={"l": 8, "r": 8, "t": 70 if title else 40, "b": 8},
                  legend={"orientation": "h", "y": -0.35, "x": 0})
    return plain.figure(data, layout)


def kernel_norm_matrix(norms, *, title: str = "", x_title: str = "input channel i",  # noqa: ANN001 - tensor/array
                       y_title: str = "output channel o", height: int = 360, rows: Sequence[int] | None = None,
                       cols: Sequence[int] | None = None) -> go.Figure:
    """‖∂L/∂W[o, i]‖ of every kernel as one [C_out, C_in] heatmap (non-negative: sequential scale).

    ``rows`` / ``cols`` name the real channel numbers when ``norms`` is a selection (e.g. the shown top-N outputs
    and ≤ 16 inputs of a 512-channel layer); they become categorical axis labels."""
    z = as_numpy(norms)
    x = [str(i) for i in cols] if cols is not None else None
    y = [str(i) for i in rows] if rows is not None else None
    fig = go.Figure(go.Heatmap(z=z, x=x, y=y, colorscale=SEQUENTIAL, zmin=0, zmax=float(z.max()) or 1.0,
                               hovertemplate="o=%{y}, i=%{x}: %{z:.3e}<extra></extra>", colorbar={"thickness": 12}))
    fig.update_yaxes(autorange="reversed", title=y_title, type="category" if y is not None else None)
    fig.update_xaxes(title=x_title, type="category" if x is not None else None)
    fig.update_layout(title=title, height=height, margin={"l": 8, "r": 8, "t": 36 if title else 8, "b": 8})
    return fig
