"""Figures of the Convolution page: plain arrays/dataclasses in, plotly Figures (or RGB arrays) out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from explain.convolution import ConvStep, LayerField, SlidingWindow
from ui.figures.maps import (
    DIVERGING,
    SEQUENTIAL,
    RangeMode,
    as_numpy,
    color_range,
    is_signed,
    tiled_maps,
)

PAD_COLOR = "#d9d9d9"
WINDOW_COLOR = "#e6550d"


def shape_title(key: str, shape: Sequence[int]) -> str:
    """ "block1.conv1 · [1, 16, 28, 28]" """
    return f"{key} · {list(shape)}"


def feature_maps(maps: np.ndarray, title: str, *, range_mode: RangeMode = "layer", fixed: float = 1.0,
                 signed: bool | None = None, prefix: str = "ch") -> go.Figure:
    """All channels [C, H, W] of one layer as ONE tiled heatmap."""
    return tiled_maps(maps, prefix=prefix, title=title, range_mode=range_mode, fixed=fixed, signed=signed)


def kernel_weights(weights: np.ndarray, title: str, *, out_label: str = "out", in_label: str = "in") -> go.Figure:
    """Every kernel w[o, c] (all output and input channels) as ONE tiled heatmap, one colour range (±max|w|).

    With several input channels, row o holds output channel o's kernels, one column per input channel.
    """
    w = as_numpy(weights)
    o, c, kh, kw = w.shape
    if c == 1:
        return tiled_maps(w.reshape(o, kh, kw), prefix=out_label, title=title, signed=True)
    return tiled_maps(w.reshape(o * c, kh, kw), prefix=out_label, title=title, signed=True, cols=c,
                         labels2=in_label, height=int(min(900, 120 + o * 760 / c)))


def _cell_text(values: np.ndarray, pad: np.ndarray | None = None, pad_text: str = "0") -> np.ndarray:
    text = np.vectorize(lambda v: f"{v:.2f}")(values).astype(object)
    if pad is not None:
        text[pad] = pad_text
    return text


def arithmetic(step: ConvStep, in_index: int, *, titles: Sequence[str], pad_text: str = "0 (pad)") -> go.Figure:
    """Receptive patch (padding zeros greyed), kernel and element-wise products for one input channel."""
    patch = step.patch[in_index]
    kern = step.kernel[in_index]
    prod = step.products[in_index]
    fig = make_subplots(rows=1, cols=3, subplot_titles=list(titles), horizontal_spacing=0.06)
    for col, (vals, pad) in enumerate(((patch, step.is_pad), (kern, None), (prod, step.is_pad)), start=1):
        z = vals.astype(float).copy()
        m = float(np.abs(z).max()) or 1.0
        fig.add_trace(go.Heatmap(
            z=z, zmin=-m, zmax=m, colorscale=DIVERGING, showscale=False, text=_cell_text(z, pad, pad_text),
            texttemplate="%{text}", hovertemplate="(%{y}, %{x}) = %{z:.4f}<extra></extra>",
        ), row=1, col=col)
        if pad is not None:
            for u, v in zip(*np.nonzero(pad), strict=True):
                fig.add_shape(type="rect", x0=v - 0.5, x1=v + 0.5, y0=u - 0.5, y1=u + 0.5, fillcolor=PAD_COLOR,
                              opacity=0.8, line={"width": 0}, layer="above", row=1, col=col)
    fig.update_yaxes(autorange="reversed", showticklabels=False, scaleanchor="x")
    fig.update_xaxes(showticklabels=False)
    for i in (2, 3):
        fig.update_yaxes(scaleanchor=f"x{i}", row=1, col=i)
    fig.update_layout(height=260, margin={"l": 4, "r": 4, "t": 40, "b": 4})
    return fig


def channel_sums(step: ConvStep, *, title: str = "", x_label: str = "input channel") -> go.Figure:
    """Σ of the products per input channel: the pieces that add up to the output value."""
    sums = step.channel_sums
    fig = go.Figure(go.Bar(
        x=[str(c) for c in step.in_channels], y=sums,
        marker_color=["#b2182b" if v > 0 else "#2166ac" for v in sums],
        hovertemplate=x_label + " %{x}: %{y:.4f}<extra></extra>",
    ))
    fig.update_layout(title=title, height=260, margin={"l": 4, "r": 4, "t": 36 if title else 8, "b": 4},
                      xaxis_title=x_label)
    return fig


def feature_map_marker(fmap: np.ndarray, row: int, col: int, k: int, origin: tuple[int, int], *,
                       title: str = "", input_map: np.ndarray | None = None, titles: Sequence[str] = ("", "")
                       ) -> go.Figure:
    """The layer's input (first channel) with the receptive window, and the output map with the chosen cell."""
    fmap = as_numpy(fmap)
    n = 2 if input_map is not None else 1
    fig = make_subplots(rows=1, cols=n, subplot_titles=list(titles)[:n] if input_map is not None else [title],
                        horizontal_spacing=0.08)
    if input_map is not None:
        im = as_numpy(input_map)
        fig.add_trace(go.Heatmap(z=im, colorscale="gray", showscale=False,
                                 hovertemplate="(%{y}, %{x}) = %{z:.3f}<extra></extra>"), row=1, col=1)
        top, left = origin
        fig.add_shape(type="rect", x0=left - 0.5, x1=left + k - 0.5, y0=top - 0.5, y1=top + k - 0.5,
                      line={"color": WINDOW_COLOR, "width": 3}, row=1, col=1)
    signed = is_signed(fmap)
    zmin, zmax = color_range(fmap, signed)
    fig.add_trace(go.Heatmap(z=fmap, zmin=zmin, zmax=zmax, colorscale=DIVERGING if signed else SEQUENTIAL,
                             colorbar={"thickness": 12}, hovertemplate="(%{y}, %{x}) = %{z:.4f}<extra></extra>"),
                  row=1, col=n)
    fig.add_shape(type="rect", x0=col - 0.5, x1=col + 0.5, y0=row - 0.5, y1=row + 0.5,
                  line={"color": WINDOW_COLOR, "width": 3}, row=1, col=n)
    fig.update_yaxes(autorange="reversed", showticklabels=False)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(scaleanchor="x", row=1, col=1)
    if n == 2:
        fig.update_yaxes(scaleanchor="x2", row=1, col=2)
    fig.update_layout(height=300, margin={"l": 4, "r": 4, "t": 40, "b": 4})
    return fig


def sliding_window_figure(sw: SlidingWindow, index: int, *, titles: Sequence[str] = ("", "")) -> go.Figure:
    """The padded input (padding zeros grey) with window ``index`` outlined, and the output filled so far."""
    n2 = sw.padded
    grid = sw.padded_input.astype(float)
    is_pad = np.ones((n2, n2), dtype=bool)
    is_pad[sw.p:sw.p + sw.n, sw.p:sw.p + sw.n] = False
    colour = np.where(is_pad, np.nan, grid)
    text = np.vectorize(lambda v: f"{v:g}")(grid).astype(object)
    fig = make_subplots(rows=1, cols=2, subplot_titles=list(titles), horizontal_spacing=0.08,
                        column_widths=[0.6, 0.4])
    fig.add_trace(go.Heatmap(z=np.where(is_pad, 0.5, np.nan), colorscale=[[0, PAD_COLOR], [1, PAD_COLOR]],
                             showscale=False, hoverinfo="skip"), row=1, col=1)
    fig.add_trace(go.Heatmap(z=colour, zmin=0, zmax=1.5, colorscale="Blues", showscale=False, text=text,
                             texttemplate="%{text}", hovertemplate="(%{y}, %{x}) = %{z}<extra></extra>"),
                  row=1, col=1)
    index = int(np.clip(index, 0, len(sw.positions) - 1))
    top, left = sw.positions[index]
    fig.add_shape(type="rect", x0=left - 0.5, x1=left + sw.k - 0.5, y0=top - 0.5, y1=top + sw.k - 0.5,
                  line={"color": WINDOW_COLOR, "width": 4}, row=1, col=1)
    shown = np.full(sw.outputs.shape, np.nan)
    flat = shown.reshape(-1)
    flat[:index + 1] = sw.outputs.reshape(-1)[:index + 1]
    out_text = np.vectorize(lambda v: "" if np.isnan(v) else f"{v:g}")(shown).astype(object)
    fig.add_trace(go.Heatmap(z=shown, zmin=0, zmax=max(1.0, float(sw.outputs.max())), colorscale="Oranges",
                             showscale=False, text=out_text, texttemplate="%{text}",
                             hovertemplate="(%{y}, %{x}) = %{z}<extra></extra>"), row=1, col=2)
    i, j = divmod(index, sw.out)
    fig.add_shape(type="rect", x0=j - 0.5, x1=j + 0.5, y0=i - 0.5, y1=i + 0.5,
                  line={"color": WINDOW_COLOR, "width": 4}, row=1, col=2)
    fig.update_xaxes(range=[-0.5, n2 - 0.5], showticklabels=False, showgrid=False, zeroline=False, row=1, col=1)
    fig.update_yaxes(range=[n2 - 0.5, -0.5], showticklabels=False, showgrid=False, zeroline=False,
                     scaleanchor="x", row=1, col=1)
    fig.update_xaxes(range=[-0.5, sw.out - 0.5], showticklabels=False, showgrid=False, zeroline=False, row=1, col=2)
    fig.update_yaxes(range=[sw.out - 0.5, -0.5], showticklabels=False, showgrid=False, zeroline=False,
                     scaleanchor="x2", row=1, col=2)
    fig.update_layout(height=380, margin={"l": 4, "r": 4, "t": 40, "b": 4}, plot_bgcolor="white")
    return fig


def colorize(values: np.ndarray, signed: bool | None = None) -> np.ndarray:
    """Values → uint8 RGB [H, W, 3]: diverging scale centred on 0 for signed data, gray [min, max] otherwise.

    Used for large filtered images, which go to the browser as one PNG (``st.image``) instead of JSON.
    """
    v = as_numpy(values)
    signed = is_signed(v) if signed is None else signed
    lo, hi = color_range(v, signed)
    t = np.clip((v - lo) / (hi - lo), 0.0, 1.0)
    idx = np.nan_to_num(t * 255).round().astype(np.int64)
    if signed:
        colors = sample_colorscale(DIVERGING, list(np.linspace(0, 1, 256)), colortype="tuple")
        lut = (np.array(colors, dtype=np.float64) * (255 if max(max(c) for c in colors) <= 1 else 1))
        lut = lut.clip(0, 255).astype(np.uint8)
    else:
        g = np.arange(256, dtype=np.uint8)
        lut = np.stack([g, g, g], axis=1)
    return lut[idx]


def filtered_heatmap(values: np.ndarray, *, title: str = "", height: int = 300) -> go.Figure:
    """A small filtered image (e.g. 28x28) with hover values and a colour bar."""
    v = as_numpy(values)
    signed = is_signed(v)
    zmin, zmax = color_range(v, signed)
    fig = go.Figure(go.Heatmap(z=v, zmin=zmin, zmax=zmax, colorscale=DIVERGING if signed else "gray",
                               colorbar={"thickness": 12}, hovertemplate="(%{y}, %{x}) = %{z:.4f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False, constrain="domain")
    fig.update_xaxes(showticklabels=False, constrain="domain")
    fig.update_layout(title=title, height=height, margin={"l": 4, "r": 4, "t": 36 if title else 8, "b": 4})
    return fig


def kernel_table(kernel: np.ndarray, *, title: str = "", height: int = 200) -> go.Figure:
    """A small kernel with its numbers in the cells."""
    k = as_numpy(kernel)
    if k.ndim == 1:
        k = k[None]
    m = float(np.abs(k).max()) or 1.0
    fig = go.Figure(go.Heatmap(z=k, zmin=-m, zmax=m, colorscale=DIVERGING, showscale=False,
                               text=_cell_text(k), texttemplate="%{text}",
                               hovertemplate="(%{y}, %{x}) = %{z:.4f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False, constrain="domain")
    fig.update_xaxes(showticklabels=False, constrain="domain")
    fig.update_layout(title=title, height=height, margin={"l": 4, "r": 4, "t": 36 if title else 8, "b": 4})
    return fig


def signal_figure(signal: np.ndarray, outputs: Mapping[str, np.ndarray], *, signal_name: str = "signal",
                  titles: Sequence[str] = ("", ""), edges: Sequence[int] = ()) -> go.Figure:
    """The 1-D signal on top, each filtered output below (shared x axis); detected edges as dotted lines."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, subplot_titles=list(titles), vertical_spacing=0.12)
    x = np.arange(len(signal))
    fig.add_trace(go.Scatter(x=x, y=np.asarray(signal, dtype=float), mode="lines+markers", name=signal_name,
                             line={"color": "#444", "shape": "hvh"}, marker={"size": 4}), row=1, col=1)
    palette = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"]
    for i, (name, y) in enumerate(outputs.items()):
        fig.add_trace(go.Scatter(x=x, y=np.asarray(y, dtype=float), mode="lines+markers", name=name,
                                 line={"color": palette[i % len(palette)], "shape": "hvh"}, marker={"size": 4}),
                      row=2, col=1)
    for e in edges:
        fig.add_vline(x=e, line={"color": "#d62728", "dash": "dot", "width": 1}, opacity=0.5)
    fig.add_hline(y=0, line={"color": "#999", "width": 1}, row=2, col=1)
    fig.update_layout(height=420, margin={"l": 4, "r": 4, "t": 40, "b": 4},
                      legend={"orientation": "h", "y": -0.08})
    return fig


def receptive_field_figure(fields: Sequence[LayerField], image: np.ndarray, *, title: str = "") -> go.Figure:
    """The input image with, centred on it, the square each conv/pool layer's centre cell sees."""
    img = as_numpy(image)
    h, w = img.shape
    fig = go.Figure(go.Heatmap(z=img, colorscale="gray", showscale=False, hoverinfo="skip"))
    spatial = [f for f in fields if f.kind in ("Conv2d", "MaxPool2d", "AvgPool2d") and f.receptive_field]
    colors = sample_colorscale("Plasma", [i / max(1, len(spatial) - 1) * 0.85 for i in range(len(spatial))])
    cy, cx = (h - 1) / 2, (w - 1) / 2
    for f, c in zip(spatial, colors, strict=False):
        r = f.receptive_field or 1
        fig.add_shape(type="rect", x0=cx - r / 2, x1=cx + r / 2, y0=cy - r / 2, y1=cy + r / 2,
                      line={"color": c, "width": 2})
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line={"color": c, "width": 3},
                                 name=f"{f.key}: {r}×{r}"))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False, showgrid=False, zeroline=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_layout(title=title, height=380, margin={"l": 4, "r": 4, "t": 36 if title else 8, "b": 4},
                      legend={"font": {"size": 11}}, plot_bgcolor="white")
    return fig
