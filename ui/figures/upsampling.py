"""Figures of the Upsampling page: maps of different sizes side by side, overlap counts (a picture), round trip."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.figures.cache import cached_figure
from ui.figures.maps import DIVERGING, SEQUENTIAL, as_numpy, color_range, is_signed
from ui.figures.numbers import cell_text, hover
from ui.figures.picture import MapImage, number_grid


@cached_figure
def maps_row(maps: Sequence[tuple[str, object]], *, title: str = "", zrange: tuple[float, float] | None = None,
             signed: bool | None = None, height: int = 300, text: bool = False) -> go.Figure:
    """Maps of possibly different sizes in one row, one shared colour range, each titled with its shape."""
    arrays = [as_numpy(m) for _, m in maps]
    signed = any(is_signed(a) for a in arrays) if signed is None else signed
    if zrange is None:
        both = np.concatenate([a.reshape(-1) for a in arrays]) if arrays else np.zeros(1)
        zrange = color_range(both, signed)
    titles = [f"{name} · {list(a.shape)}" for (name, _), a in zip(maps, arrays, strict=True)]
    fig = make_subplots(rows=1, cols=max(1, len(arrays)), subplot_titles=titles, horizontal_spacing=0.04)
    for i, a in enumerate(arrays):
        fig.add_trace(go.Heatmap(
            z=np.round(a, 4), zmin=zrange[0], zmax=zrange[1], colorscale=DIVERGING if signed else SEQUENTIAL,
            showscale=i == len(arrays) - 1, colorbar={"thickness": 12},
            text=cell_text(a, 2) if text else None, texttemplate="%{text}" if text else None,
            hovertemplate="(%{y}, %{x}) = " + hover() + "<extra></extra>",
        ), row=1, col=i + 1)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{i + 1}" if i else "x", showticklabels=False,
                         row=1, col=i + 1)
        fig.update_xaxes(showticklabels=False, constrain="domain", row=1, col=i + 1)
    fig.update_annotations(font_size=12)
    fig.update_layout(title=title, height=height, margin={"l": 4, "r": 4, "t": 60 if title else 32, "b": 4})
    return fig


@cached_figure
def counts_picture(counts, *, title: str = "") -> MapImage:  # noqa: ANN001
    """How many kernel stamps reach each output pixel, every count printed in its cell (a picture: the
    numbers are the explanation, there is nothing to hover)."""
    c = as_numpy(counts)
    return number_grid(c, zmin=0.0, zmax=float(c.max()) if c.size and c.max() > 0 else 1.0, scale=SEQUENTIAL,
                       title=title)
