"""Figures of the Activation functions page (plain arrays/dataclasses in, plotly Figures out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explain.activations import Curve, Histogram
from explain.warp import ScaledSigmoid, Warp
from ui.figures import plain
from ui.figures.cache import cached_figure
from ui.figures.maps import MapImage, RangeMode, tiled_maps

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
CLASS_COLORS = ("#1f77b4", "#d62728")


@cached_figure
def curves_figure(curves: Sequence[Curve], labels: Mapping[str, str], *, show_value: bool = True,
                  show_derivative: bool = True, derivative_suffix: str = "′", title: str = "",
                  height: int = 420, y_range: tuple[float, float] = (-1.6, 3.2)) -> go.Figure:
    """f(x) as solid lines and f'(x) as dotted lines of the same colour."""
    data: list[dict] = []
    for i, c in enumerate(curves):
        color = PALETTE[i % len(PALETTE)]
        name = labels.get(c.name, c.name)
        if show_value:
            data.append({"type": "scatter", "x": c.x, "y": np.round(c.y, 4), "name": name, "mode": "lines",
                         "line": {"color": color}, "legendgroup": c.name,
                         "hovertemplate": name + "(%{x:.2f}) = %{y:.4f}<extra></extra>"})
        if show_derivative:
            dname = name + derivative_suffix
            data.append({"type": "scatter", "x": c.x, "y": np.round(c.dy, 4), "name": dname, "mode": "lines",
                         "legendgroup": c.name, "line": {"color": color, "dash": "dot"},
                         "hovertemplate": dname + "(%{x:.2f}) = %{y:.4f}<extra></extra>"})
    axis = {"color": "#999", "width": 1}
    # The legend (two rows: f and f') in its own strip above the plot: below it, it covered the x axis's title.
    return plain.figure(data, {
        "shapes": [plain.axis_line(y=0, line=axis), plain.axis_line(x=0, line=axis)],
        "title": {"text": title, "yref": "container", "y": 1, "yanchor": "top", "pad": {"t": 10}},
        "height": height, "margin": {"l": 8, "r": 8, "t": 84 if title else 52, "b": 8},
        "xaxis": {"title": {"text": "x"}}, "yaxis": {"range": list(y_range)},
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0}})


def histogram_figure(before: Histogram, after: Histogram, *, before_label: str, after_label: str,
                     title: str = "", log_y: bool = False, height: int = 340) -> go.Figure:
    """Histograms of the pre-activations z and of f(z), overlaid on one value axis."""
    data = []
    for h, label, color in ((before, before_label, "#7f7f7f"), (after, after_label, "#ff7f0e")):
        centers = (h.edges[:-1] + h.edges[1:]) / 2
        data.append({"type": "bar", "x": np.round(centers, 4), "y": h.counts, "width": np.diff(h.edges),
                     "name": label, "opacity": 0.6, "marker": {"color": color},
                     "hovertemplate": "%{x:.3f}: %{y}<extra>" + label + "</extra>"})
    return plain.figure(data, {
        "barmode": "overlay", "title": {"text": title}, "height": height, "legend": {"orientation": "h"},
        "margin": {"l": 8, "r": 8, "t": 36 if title else 8, "b": 8}, "yaxis": {"type": "log" if log_y else "linear"}})


SLOPE_GAP = 3  # empty bar positions between two layers' channels


@cached_figure
def slopes_figure(slopes: Mapping[str, np.ndarray], *, initial: float = 0.25, title: str = "",
                  initial_label: str = "init", height: int = 300) -> go.Figure:
    """One bar per channel of every PReLU layer, the layers side by side on one axis (each named above its bars,
    the hover giving layer, channel and slope); one dashed line across marks the initial slope, named once in
    the legend (below the bars, where it hides no data).

    One axis, not a subplot per layer: the browser draws it in about a quarter of the time. The line and the
    names are plain shapes and annotations with their text (an empty annotation would be drawn as plotly.js's
    placeholder "new text")."""
    data, names, ticks = [], [], []
    x0 = 0
    for j, (name, a) in enumerate(slopes.items()):
        x = list(range(x0, x0 + len(a)))
        data.append({"type": "bar", "x": x, "y": np.round(a, 4), "name": name, "showlegend": False,
                     "customdata": list(range(len(a))), "marker": {"color": PALETTE[j % len(PALETTE)]},
                     "hovertemplate": name + " · %{customdata}: a = %{y:.4f}<extra></extra>"})
        names.append({"x": x0 + (len(a) - 1) / 2, "y": 1.0, "xref": "x", "yref": "paper", "yanchor": "bottom",
                      "showarrow": False, "text": name, "font": {"size": 13}})
        ticks += [x[0], x[-1]] if len(x) > 1 else x
        x0 += len(a) + SLOPE_GAP
    layout: dict = {
        "title": {"text": title}, "height": height, "bargap": 0.1,
        "margin": {"l": 8, "r": 8, "t": 64 if title else 30, "b": 52},
        "xaxis": {"tickvals": ticks, "ticktext": [str(v) for a in slopes.values() for v in
                                                  ((0, len(a) - 1) if len(a) > 1 else (0,))], "showgrid": False},
        "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
    }
    if slopes:
        layout["annotations"] = names
        layout["shapes"] = [plain.axis_line(y=initial, line={"dash": "dash", "color": "#555"}, name=initial_label,
                                            showlegend=True, legendgroup="initial")]
    return plain.figure(data, layout)


@cached_figure
def compact_maps(maps: np.ndarray, *, range_mode: RangeMode = "layer", fixed: float = 1.0,
                 cols: int | None = None) -> MapImage:
    """A small picture of maps for side-by-side comparisons (channel numbers above the tiles)."""
    return tiled_maps(maps, range_mode=range_mode, fixed=fixed, cols=cols, target_width=420)


def val_curves_figure(curves: Mapping[str, Sequence[float]], *, title: str = "", x_label: str = "epoch",
                      y_label: str = "", height: int = 320) -> go.Figure:
    data = [{"type": "scatter", "x": list(range(1, len(ys) + 1)), "y": [round(v, 4) for v in ys], "name": name,
             "mode": "lines+markers", "line": {"color": PALETTE[i % len(PALETTE)]}}
            for i, (name, ys) in enumerate(curves.items())]
    return plain.figure(data, {"title": {"text": title}, "height": height, "xaxis": {"title": {"text": x_label}},
                               "yaxis": {"title": {"text": y_label}, "tickformat": ".0%"},
                               "margin": {"l": 8, "r": 8, "t": 36 if title else 8, "b": 8}})


def _lines_xy(lines: np.ndarray) -> tuple[list, list, list | None]:
    """All grid lines as one polyline with None gaps (one trace instead of one per line)."""
    xs: list = []
    ys: list = []
    zs: list | None = [] if lines.shape[-1] >= 3 else None
    for line in lines:
        xs += [*np.round(line[:, 0], 3).tolist(), None]
        ys += [*np.round(line[:, 1], 3).tolist(), None]
        if zs is not None:
            zs += [*np.round(line[:, 2], 3).tolist(), None]
    return xs, ys, zs


@cached_figure
def warp_figure(w: Warp, *, titles: Sequence[str], class_labels: Sequence[str], height: int = 420) -> go.Figure:
    """Input plane | after W·x + b | after the activation; 3-D panels when the layer lifts to 3-D."""
    three = w.points_linear.shape[1] >= 3
    specs = [[{"type": "xy"}, {"type": "scene" if three else "xy"}, {"type": "scene" if three else "xy"}]]
    fig = make_subplots(rows=1, cols=3, specs=specs, subplot_titles=list(titles), horizontal_spacing=0.04)
    panels = ((w.lines, w.points.xy), (w.lines_linear, w.points_linear), (w.lines_out, w.points_out))
    for col, (lines, pts) in enumerate(panels, start=1):
        xs, ys, zs = _lines_xy(lines)
        is3 = pts.shape[1] >= 3
        if is3:
            fig.add_trace(go.Scatter3d(x=xs, y=ys, z=zs, mode="lines", line={"color": "#bbb", "width": 2},
                                       hoverinfo="skip", showlegend=False), row=1, col=col)
        else:
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#ccc", "width": 1},
                                     hoverinfo="skip", showlegend=False), row=1, col=col)
        for k in (0, 1):
            p = np.round(pts[w.points.label == k], 3)
            kw = {"name": class_labels[k], "legendgroup": str(k), "showlegend": col == 1}
            if is3:
                fig.add_trace(go.Scatter3d(x=p[:, 0], y=p[:, 1], z=p[:, 2], mode="markers",
                                           marker={"size": 2.5, "color": CLASS_COLORS[k]}, **kw), row=1, col=col)
            else:
                fig.add_trace(go.Scatter(x=p[:, 0], y=p[:, 1], mode="markers",
                                         marker={"size": 5, "color": CLASS_COLORS[k]}, **kw), row=1, col=col)
    for col in range(1, 4):
        if col == 1 or not three:
            fig.update_yaxes(scaleanchor=f"x{'' if col == 1 else col}", row=1, col=col)
    fig.update_layout(height=height, margin={"l": 8, "r": 8, "t": 40, "b": 8}, legend={"orientation": "h"})
    return fig


def scaled_sigmoid_figure(s: ScaledSigmoid, *, linear_label: str, sigmoid_label: str,
                          height: int = 320) -> go.Figure:
    y_lin, y_sig = s.linear_at, s.activated_at
    return plain.figure([
        {"type": "scatter", "x": s.x, "y": np.round(s.linear, 4), "name": linear_label, "line": {"color": "#7f7f7f"}},
        {"type": "scatter", "x": s.x, "y": np.round(s.activated, 4), "name": sigmoid_label,
         "line": {"color": "#d62728"}},
        {"type": "scatter", "x": [s.x0, s.x0], "y": [y_lin, y_sig], "mode": "markers+text", "showlegend": False,
         "text": [f"{y_lin:.3f}", f"{y_sig:.3f}"], "textposition": "middle right",
         "marker": {"size": 9, "color": ["#7f7f7f", "#d62728"]}},
    ], {"height": height, "yaxis": {"range": [-2.5, 2.5]}, "legend": {"orientation": "h"},
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8}, "xaxis": {"title": {"text": "x"}}})


def shared_abs_max(maps: Sequence[np.ndarray]) -> float:
    """The largest |value| over several map stacks: one fixed colour range for all of them."""
    return max((float(np.nanmax(np.abs(m))) for m in maps if m.size), default=1.0) or 1.0


def latex_matrix(a: np.ndarray, digits: int = 3) -> str:
    """A small matrix or vector as a LaTeX bmatrix (vectors as columns)."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    rows = [" & ".join(f"{v:.{digits}f}" for v in row) for row in a]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"
