"""Figures of the Attribution page: maps over the image, Grad-CAM weights, the randomization check."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ui.figures.cache import cached_figure
from ui.figures.maps import DIVERGING, as_numpy, color_range, downsample, image_source, overlay, tiled_heatmap

OVERLAY_SIDE = 112  # attribution maps over a photo are block-averaged to at most this many cells a side
MAPS_SIDE = 56  # side of each map in the randomization strip


@cached_figure
def attribution_overlay(pixels: np.ndarray, heat, *, title: str = "", signed: bool = False,  # noqa: ANN001
                        opacity: float = 0.6, height: int = 300) -> go.Figure:
    """An attribution map over the input (signed maps diverging around 0, non-negative ones sequential):
    over the 28x28 grayscale image, or over an RGB photo ([H, W, 3] pixels) with :func:`rgb_overlay`."""
    if np.ndim(pixels) == 3:
        return rgb_overlay(pixels, heat, title=title, signed=signed, opacity=opacity, height=height)
    return overlay(as_numpy(pixels), as_numpy(heat), title=title, signed=signed, opacity=opacity, height=height)


def rgb_overlay(pixels: np.ndarray, heat, *, title: str = "", signed: bool = False,  # noqa: ANN001
                opacity: float = 0.55, height: int = 300, max_side: int = OVERLAY_SIDE) -> go.Figure:
    """A heat map [H, W] over an RGB photo [H, W, 3] (uint8).

    The photo travels as one JPEG data URI; the heat map is block-averaged by f = ⌈max(H, W)/max_side⌉ and each
    cell placed over the pixels it averages (centre at f·i + (f − 1)/2), so both stay aligned in pixel units.
    """
    pixels = np.asarray(pixels)
    h = as_numpy(heat)
    small = downsample(h[None], max_side)[0]
    f = math.ceil(max(h.shape) / max_side) if max(h.shape) > max_side else 1
    zmin, zmax = color_range(small, signed)
    fig = go.Figure([
        go.Image(source=image_source(pixels), hoverinfo="skip"),
        go.Heatmap(z=small, x0=(f - 1) / 2, dx=f, y0=(f - 1) / 2, dy=f, zmin=zmin, zmax=zmax,
                   colorscale=DIVERGING if signed else "Jet", opacity=opacity,
                   hovertemplate="(%{y:.0f}, %{x:.0f}) = %{z:.4f}<extra></extra>", colorbar={"thickness": 12}),
    ])
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False, constrain="domain")
    fig.update_xaxes(showticklabels=False, constrain="domain")
    fig.update_layout(title=title, height=height, margin={"l": 4, "r": 4, "t": 36 if title else 8, "b": 4})
    return fig


def channel_weights_bar(alpha, *, title: str = "", x_title: str = "channel k",  # noqa: ANN001 - tensor/array
                        y_title: str = "α_k", height: int = 260) -> go.Figure:
    """Grad-CAM's channel weights α_k: positive channels add to the map, negative ones subtract."""
    a = as_numpy(alpha).ravel()
    colors = ["#b2182b" if v > 0 else "#2166ac" for v in a]
    fig = go.Figure(go.Bar(x=list(range(len(a))), y=a, marker_color=colors,
                           hovertemplate="k=%{x}: α=%{y:.3e}<extra></extra>"))
    fig.update_layout(title=title, height=height, xaxis_title=x_title, yaxis_title=y_title,
                      margin={"l": 8, "r": 8, "t": 36 if title else 8, "b": 8})
    return fig


@cached_figure
def randomization_maps(original, steps: Sequence, labels: Sequence[str], *, title: str = "") -> go.Figure:  # noqa: ANN001
    """The trained model's saliency and the map after every randomization step, as ONE tiled heatmap,
    each map scaled to its own maximum (only the pattern is compared, as the rank correlation does).
    Maps larger than ``MAPS_SIDE`` (224x224 photos) are block-averaged first."""
    maps = downsample(np.stack([as_numpy(original), *[as_numpy(s.saliency) for s in steps]]), MAPS_SIDE)
    return tiled_heatmap(maps, labels, title=title, range_mode="map", signed=False, cols=len(maps), height=260)


def spearman_chart(labels: Sequence[str], rhos: Sequence[float], *, title: str = "",
                   y_title: str = "Spearman ρ", height: int = 280) -> go.Figure:
    """ρ after each cascading step: values near 1 would mean the map ignores the weights."""
    fig = go.Figure(go.Scatter(x=list(labels), y=[None if np.isnan(r) else r for r in rhos], mode="lines+markers+text",
                               text=[f"{r:.2f}" for r in rhos], textposition="top center",
                               hovertemplate="%{x}: ρ = %{y:.3f}<extra></extra>"))
    fig.update_yaxes(range=[-0.25, 1.1], title=y_title, zeroline=True)
    fig.update_layout(title=title, height=height, margin={"l": 8, "r": 8, "t": 36 if title else 8, "b": 8})
    return fig
