"""Figures of the Pooling page: plain arrays/dataclasses in, plotly Figures out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explain.pooling import PoolBackward, PoolTable, ShiftStudy, WindowCell
from ui.figures.cache import cached_figure
from ui.figures.maps import (
    DIVERGING,
    SEQUENTIAL,
    RangeMode,
    as_numpy,
    color_range,
    heatmap,
    is_signed,
    tiled_maps,
)
from ui.figures.numbers import cell_text
from ui.figures.picture import MapImage

__all__ = ["backward_maps", "numeric_view", "pick_figure", "pool_maps",
           "shift_figure", "window_figure"]
TEXT_CELLS = 12  # windows up to 12x12 print every value

MAX_COLOR = "#e6550d"
WINDOW_COLORS = ("#1b9e77", "#7570b3", "#d95f02", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666", "#1f78b4")


def pool_maps(maps: np.ndarray, title: str, *, range_mode: RangeMode = "layer", fixed: float = 1.0,
              signed: bool | None = None, channels: Sequence[int] | None = None, target_width: int = 640
              ) -> MapImage:
    """Channels [C, H, W] of a pooling layer's input or output as ONE picture at full resolution;
    ``channels`` are the real channel numbers of the maps shown."""
    return tiled_maps(maps, prefix="ch", title=title, range_mode=range_mode, fixed=fixed, signed=signed,
                      channels=channels, target_width=target_width)


def window_figure(cell: WindowCell, *, title: str = "") -> go.Figure:
    """The real input cells one output reads (values printed for small windows), its max ringed."""
    vals = cell.values
    h, w = vals.shape
    fig = heatmap(vals, title=title, text=max(h, w) <= TEXT_CELLS, height=min(420, 140 + 40 * max(h, 4)))
    fig.data[0].x = list(range(cell.cols[0], cell.cols[0] + w))
    fig.data[0].y = list(range(cell.rows[0], cell.rows[0] + h))
    if max(h, w) <= TEXT_CELLS:  # short decimals, not the float32 digits of the raw values
        fig.data[0].text = cell_text(vals, 3 if max(h, w) <= 6 else 2)
        fig.data[0].texttemplate = "%{text}"
    fig.update_xaxes(tickmode="linear", tick0=0, dtick=1)  # rows and columns are whole numbers
    fig.update_yaxes(tickmode="linear", tick0=0, dtick=1)
    if cell.argmax is not None:
        r, c = cell.argmax
        fig.add_shape(type="rect", x0=c - 0.42, x1=c + 0.42, y0=r - 0.42, y1=r + 0.42,
                      line={"color": MAX_COLOR, "width": 4})
    return fig


def pick_figure(counts: np.ndarray, *, title: str = "") -> MapImage:
    """How often max pooling picked each input cell (0 = never: those cells get no gradient)."""
    return tiled_maps(np.asarray(counts, dtype=np.float32)[None], title=title, signed=False, labels=[""],
                      target_width=420)


@cached_figure
def numeric_view(table: PoolTable, *, titles: Sequence[str] = ("", "", "")) -> go.Figure:
    """The window of the real map (pooling windows outlined, max cells ringed) and both pooled outputs."""
    win = table.window
    signed = is_signed(win)
    zmin, zmax = color_range(np.concatenate([win.ravel(), table.max_out.ravel(), table.avg_out.ravel()]), signed)
    cscale = DIVERGING if signed else SEQUENTIAL
    h, w = win.shape
    oh, ow = table.max_out.shape
    fig = make_subplots(rows=1, cols=3, subplot_titles=list(titles), horizontal_spacing=0.06,
                        column_widths=[h, oh, oh])
    for col, vals in enumerate((win, table.max_out, table.avg_out), start=1):
        fig.add_trace(go.Heatmap(z=vals, zmin=zmin, zmax=zmax, colorscale=cscale, showscale=col == 3,
                                 colorbar={"thickness": 12}, text=cell_text(vals, 3), texttemplate="%{text}",
                                 hovertemplate="(%{y}, %{x}) = %{z:.4f}<extra></extra>"), row=1, col=col)
    for i in range(oh):
        for j in range(ow):
            c = WINDOW_COLORS[(i * ow + j) % len(WINDOW_COLORS)]
            top, left = i * table.s, j * table.s
            inset = 0.06 * ((i + j) % 2)  # overlapping windows stay distinguishable
            fig.add_shape(type="rect", x0=left - 0.5 + inset, x1=left + table.k - 0.5 - inset,
                          y0=top - 0.5 + inset, y1=top + table.k - 0.5 - inset, line={"color": c, "width": 2,
                                                                                       "dash": "dot"},
                          row=1, col=1)
            for col in (2, 3):
                fig.add_shape(type="rect", x0=j - 0.5, x1=j + 0.5, y0=i - 0.5, y1=i + 0.5,
                              line={"color": c, "width": 2, "dash": "dot"}, row=1, col=col)
    for u, v in zip(*np.nonzero(table.is_max), strict=True):
        fig.add_shape(type="rect", x0=v - 0.42, x1=v + 0.42, y0=u - 0.42, y1=u + 0.42,
                      line={"color": MAX_COLOR, "width": 4}, row=1, col=1)
    fig.update_yaxes(autorange="reversed", showticklabels=False, showgrid=False, zeroline=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    for i in (1, 2, 3):
        fig.update_yaxes(scaleanchor="x" if i == 1 else f"x{i}", row=1, col=i)
    fig.update_layout(height=320, margin={"l": 4, "r": 4, "t": 40, "b": 4}, plot_bgcolor="white")
    return fig


@cached_figure
def backward_maps(pb: PoolBackward, input_map: np.ndarray, *, titles: Sequence[str] = ("", "", "", "")
                  ) -> tuple[MapImage, ...]:
    """Four pictures at full resolution: the input map, dL/dy (smaller), dL/dx routed by this layer, and
    dL/dx as the other pooling would route it; the three gradients share one range (±max|g|)."""
    x = as_numpy(input_map)
    grads = [np.asarray(a, dtype=np.float32) for a in (pb.grad_out, pb.routed, pb.other)]
    m = max(float(np.abs(g).max()) if g.size else 0.0 for g in grads) or 1.0
    side = max(x.shape)
    pictures = [tiled_maps(x, title=titles[0], labels=[""], target_width=side * max(1, 168 // side) + 80)]
    for g, title in zip(grads, titles[1:], strict=True):
        pictures.append(tiled_maps(g, title=title, labels=[""], range_mode="global", fixed=m, signed=True,
                                   target_width=side * max(1, 168 // side) + 80))
    return tuple(pictures)


def shift_figure(study: ShiftStudy, *, names: Sequence[str] = ("before pooling", "after pooling", "probability"),
                 x_title: str = "shift (pixels)", y_title: str = "relative change", y2_title: str = "probability",
                 title: str = "") -> go.Figure:
    """Relative change before/after pooling (bars) and the original class's probability (line) per shift."""
    shifts = [r.shift for r in study.rows]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=shifts, y=[r.pre_change for r in study.rows], name=names[0], marker_color="#9ecae1",
                         hovertemplate="%{x}: %{y:.1%}<extra></extra>"), secondary_y=False)
    fig.add_trace(go.Bar(x=shifts, y=[r.post_change for r in study.rows], name=names[1], marker_color="#3182bd",
                         hovertemplate="%{x}: %{y:.1%}<extra></extra>"), secondary_y=False)
    fig.add_trace(go.Scatter(x=shifts, y=[r.prob_of_original for r in study.rows], name=names[2],
                             mode="lines+markers", line={"color": "#e6550d"},
                             hovertemplate="%{x}: %{y:.1%}<extra></extra>"), secondary_y=True)
    fig.update_xaxes(title=x_title, dtick=1)
    fig.update_yaxes(title=y_title, tickformat=".0%", secondary_y=False)
    fig.update_yaxes(title=y2_title, tickformat=".0%", range=[0, 1.02], secondary_y=True)
    fig.update_layout(title=title, barmode="group", height=340, margin={"l": 4, "r": 4, "t": 36 if title else 8,
                                                                      "b": 4},
                      legend={"orientation": "h", "y": -0.25})
    return fig
