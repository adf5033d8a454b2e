"""Figures of the Attribution page: maps over the image, Grad-CAM weights, the randomization check."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ui.figures.maps import MapImage, as_numpy, overlay, tiled_maps


def attribution_overlay(pixels: np.ndarray, heat, *, title: str = "", signed: bool = False,  # noqa: ANN001
                        opacity: float = 0.6) -> MapImage:
    """An attribution map over the input, as one picture: over the 28x28 grayscale image or over an RGB photo
    ([H, W, 3] pixels); signed maps diverge around 0, non-negative ones use "Jet" (see ``maps.overlay``)."""
    return overlay(pixels if np.ndim(pixels) == 3 else as_numpy(pixels), as_numpy(heat), title=title,
                   signed=signed, opacity=opacity)


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


def randomization_maps(original, steps: Sequence, labels: Sequence[str], *, title: str = "") -> MapImage:  # noqa: ANN001
    """The trained model's saliency and the map after every randomization step, in one row, each map scaled
    to its own maximum (only the pattern is compared, as the rank correlation does)."""
    maps = np.stack([as_numpy(original), *[as_numpy(s.saliency) for s in steps]])
    return tiled_maps(maps, labels=list(labels), title=title, range_mode="map", signed=False, cols=len(maps),
                      target_width=1100)


def spearman_chart(labels: Sequence[str], rhos: Sequence[float], *, title: str = "",
                   y_title: str = "Spearman ρ", height: int = 280) -> go.Figure:
    """ρ after each cascading step: values near 1 would mean the map ignores the weights."""
    fig = go.Figure(go.Scatter(x=list(labels), y=[None if np.isnan(r) else r for r in rhos], mode="lines+markers+text",
                               text=[f"{r:.2f}" for r in rhos], textposition="top center",
                               hovertemplate="%{x}: ρ = %{y:.3f}<extra></extra>"))
    fig.update_yaxes(range=[-0.25, 1.1], title=y_title, zeroline=True)
    fig.update_layout(title=title, height=height, margin={"l": 8, "r": 8, "t": 36 if title else 8, "b": 8})
    return fig
