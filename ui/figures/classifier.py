"""Figures of the Classifier page: flatten, the logit's terms, softmax with temperature, loss gradients."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ui.figures import plain
from ui.figures.maps import DIVERGING, SEQUENTIAL, color_range, is_signed


def flatten_figure(channel_map: np.ndarray, h: int, w: int, vector: np.ndarray, index: int, *,
                   map_title: str, vector_title: str, height: int = 320) -> go.Figure:
    """Left: channel c of the [C, H, W] map with (h, w) marked; right: the flat vector with index i marked."""
    channel_map = np.asarray(channel_map, dtype=np.float32)
    vector = np.asarray(vector, dtype=np.float32).reshape(-1)
    layout = plain.side_by_side([map_title, vector_title], spacing=0.08, widths=[0.3, 0.7])
    signed = is_signed(vector)
    zmin, zmax = color_range(vector, signed)
    left, right = {"xaxis": "x", "yaxis": "y"}, {"xaxis": "x2", "yaxis": "y2"}
    data = [
        {"type": "heatmap", "z": np.round(channel_map, 4), "zmin": zmin, "zmax": zmax,
         "colorscale": DIVERGING if signed else SEQUENTIAL, "showscale": False,
         "hovertemplate": "(%{y}, %{x}) = %{z:.4f}<extra></extra>", **left},
        {"type": "scatter", "x": [w], "y": [h], "mode": "markers", "showlegend": False, "hoverinfo": "skip",
         "marker": {"symbol": "square-open", "size": 14, "color": "#d62728", "line": {"width": 3}}, **left},
        # SVG, not WebGL: a WebGL context costs the browser ~1 s to set up (software GL on school laptops and
        # headless Chromium), far more than one polyline of even 25,088 points (VGG-11) costs to draw
        {"type": "scatter", "x": np.arange(vector.size), "y": np.round(vector, 4), "mode": "lines",
         "line": {"color": "#7f7f7f", "width": 1}, "showlegend": False,
         "hovertemplate": "i = %{x}: %{y:.4f}<extra></extra>", **right},
        {"type": "scatter", "x": [index], "y": [float(vector[index])], "mode": "markers+text",
         "text": [f"i = {index}"], "textposition": "top center", "marker": {"size": 11, "color": "#d62728"},
         "hovertemplate": "i = %{x}: %{y:.4f}<extra></extra>", "showlegend": False, **right},
    ]
    layout["yaxis"].update(autorange="reversed", scaleanchor="x")
    layout.update(height=height, margin={"l": 8, "r": 8, "t": 36, "b": 8})
    return plain.figure(data, layout)


def terms_figure(labels: Sequence[str], values: Sequence[float], *, title: str = "", height: int | None = None
                 ) -> go.Figure:
    """Horizontal bars of signed contributions (largest on top), red for positive, blue for negative."""
    vals = [float(v) for v in values][::-1]
    fig = go.Figure(go.Bar(x=vals, y=list(labels)[::-1], orientation="h",
                           marker_color=["#d62728" if v >= 0 else "#1f77b4" for v in vals],
                           text=[f"{v:+.3f}" for v in vals], textposition="auto",
                           hovertemplate="%{y}: %{x:.4f}<extra></extra>"))
    fig.update_layout(title=title, height=height or 60 + 24 * len(vals), margin={"l": 8, "r": 8,
                      "t": 36 if title else 8, "b": 8}, yaxis={"type": "category"})
    return fig


def channel_votes_figure(values: Sequence[float], *, title: str = "", x_label: str = "",
                         height: int = 300) -> go.Figure:
    """Vertical bars of one signed value per channel (its share of the logit)."""
    vals = [float(v) for v in values]
    fig = go.Figure(go.Bar(x=list(range(len(vals))), y=vals,
                           marker_color=["#d62728" if v >= 0 else "#1f77b4" for v in vals],
                           hovertemplate="c%{x}: %{y:+.4f}<extra></extra>"))
    fig.update_layout(title=title, height=height, xaxis={"title": x_label, "dtick": 1 if len(vals) <= 32 else None},
                      margin={"l": 8, "r": 8, "t": 36 if title else 8, "b": 8})
    return fig


def probs_figure(names: Sequence[str], p_model: np.ndarray, p_temp: np.ndarray, *, model_label: str,
                 temp_label: str, title: str = "", height: int = 340) -> go.Figure:
    """Softmax at T = 1 beside softmax at the chosen temperature."""
    fig = go.Figure([
        go.Bar(x=list(names), y=np.round(p_model, 4), name=model_label, marker_color="#9ecae1",
               hovertemplate="%{x}: %{y:.4f}<extra></extra>"),
        go.Bar(x=list(names), y=np.round(p_temp, 4), name=temp_label, marker_color="#1f77b4",
               hovertemplate="%{x}: %{y:.4f}<extra></extra>"),
    ])
    fig.update_layout(barmode="group", title=title, height=height, yaxis={"range": [0, 1], "tickformat": ".0%"},
                      legend={"orientation": "h"}, margin={"l": 8, "r": 8, "t": 36 if title else 8, "b": 8})
    return fig


def grads_figure(names: Sequence[str], series: Sequence[tuple[str, np.ndarray]], *, title: str = "",
                 height: int = 340) -> go.Figure:
    """Grouped bars of several gradient vectors ∂L/∂z over the classes."""
    colors = ("#d62728", "#ff9896", "#2ca02c", "#98df8a")
    fig = go.Figure([go.Bar(x=list(names), y=np.round(np.asarray(v, dtype=float), 5), name=label,
                            marker_color=colors[i % len(colors)], hovertemplate="%{x}: %{y:.5f}<extra></extra>")
                     for i, (label, v) in enumerate(series)])
    fig.update_layout(barmode="group", title=title, height=height, legend={"orientation": "h"},
                      margin={"l": 8, "r": 8, "t": 36 if title else 8, "b": 8})
    return fig


def loss_curves_figure(p_true: float, *, ce_label: str, mse_label: str, x_label: str, k: int = 10,
                       height: int = 300) -> go.Figure:
    """−log p and an MSE as functions of the true class's probability p (rest spread evenly), current p marked."""
    p = np.linspace(0.005, 1.0, 200)
    ce = -np.log(p)
    mse = ((1 - p) ** 2 + (k - 1) * ((1 - p) / (k - 1)) ** 2) / k
    fig = go.Figure([
        go.Scatter(x=np.round(p, 4), y=np.round(ce, 4), name=ce_label, line={"color": "#d62728"}),
        go.Scatter(x=np.round(p, 4), y=np.round(mse, 4), name=mse_label, line={"color": "#2ca02c"}),
    ])
    pt = min(max(p_true, 0.005), 1.0)
    fig.add_trace(go.Scatter(x=[pt], y=[-np.log(pt)], mode="markers", marker={"size": 10, "color": "#d62728"},
                             showlegend=False, hovertemplate="p = %{x:.3f}, −log p = %{y:.3f}<extra></extra>"))
    fig.update_layout(height=height, xaxis={"title": x_label}, legend={"orientation": "h", "y": 1.02,
                      "yanchor": "bottom"}, yaxis={"range": [0, 5.5]}, margin={"l": 8, "r": 8, "t": 40, "b": 8})
    return fig
