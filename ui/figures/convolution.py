"""Figures of the Convolution page: plain arrays/dataclasses in, plotly Figures (or RGB arrays) out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from explain.convolution import SPATIAL_KINDS, ConvStep, LayerField, SlidingWindow
from ui.figures.cache import cached_figure
from ui.figures.maps import (
    DIVERGING,
    SEQUENTIAL,
    RangeMode,
    as_numpy,
    color_range,
    downsample,
    image_source,
    is_signed,
    tiled_maps,
)
from ui.figures.numbers import cell_text
from ui.figures.picture import MapImage, drawable

PAD_COLOR = "#d9d9d9"
WINDOW_COLOR = "#e6550d"
MARKER_SIDE = 56  # output maps larger than this are block-averaged in the arithmetic view
INPUT_CROP = 40  # the arithmetic view shows at most this many input rows/columns around the window
MAX_SQUARES = 12  # receptive-field squares drawn on the input picture


def shape_title(key: str, shape: Sequence[int]) -> str:
    """ "block1.conv1 · [1, 16, 28, 28]" """
    return f"{key} · {list(shape)}"


def feature_maps(maps: np.ndarray, title: str, *, range_mode: RangeMode = "layer", fixed: float = 1.0,
                 signed: bool | None = None, prefix: str = "ch", channels: Sequence[int] | None = None) -> MapImage:
    """Channels [C, H, W] of one layer as ONE picture at full resolution (``channels``: their real indices)."""
    return tiled_maps(maps, prefix=prefix, title=title, range_mode=range_mode, fixed=fixed, signed=signed,
                      channels=channels)


@cached_figure
def kernel_weights(weights: np.ndarray, title: str, *, out_label: str = "out", in_label: str = "in",
                   out_channels: Sequence[int] | None = None, in_channels: Sequence[int] | None = None,
                   depthwise: bool = False) -> MapImage:
    """Kernels w[o, c] as ONE picture, one colour range (±max|w|, diverging: weights are signed).

    ``weights`` [O, C, kh, kw] holds the kernels to draw (a selection of a large layer); ``out_channels`` and
    ``in_channels`` give their real indices. With several input channels, row o holds output channel o's
    kernels, one column per input channel (rows and columns labelled); with one (a first layer on a gray
    image, a depthwise conv) the kernels are tiled in a near-square grid, each labelled with its output
    channel; ``depthwise``: output channel o's kernel reads input o.
    """
    w = as_numpy(weights)
    o, c, kh, kw = w.shape
    outs = list(range(o)) if out_channels is None else [int(v) for v in out_channels]
    ins = list(range(c)) if in_channels is None else [int(v) for v in in_channels]
    m = float(np.nanmax(np.abs(w))) if w.size else 1.0
    if c == 1:
        return tiled_maps(w.reshape(o, kh, kw), prefix=out_label, title=title, range_mode="global", fixed=m or 1.0,
                          signed=True, channels=outs)
    out_l = f"{out_label} " if drawable(out_label) else ""
    in_l = f"{in_label} " if drawable(in_label) else ""
    return tiled_maps(w.reshape(o * c, kh, kw), title=title, range_mode="global", fixed=m or 1.0, signed=True,
                      cols=c, row_labels=[f"{out_l}{v}" for v in outs], col_labels=[f"{in_l}{v}" for v in ins])


def _cell_text(values: np.ndarray, pad: np.ndarray | None = None, pad_text: str = "0") -> np.ndarray:
    text = cell_text(values, 2)  # "0.04", "-0.3", "2e-03": never "-0.00"
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


def _axis(n: int, f: int) -> np.ndarray:
    """Centres, in original cells, of the n blocks of a map block-averaged by f."""
    return np.arange(n) * f + (f - 1) / 2


def feature_map_marker(fmap: np.ndarray, row: int, col: int, k: int | tuple[int, int], origin: tuple[int, int], *,
                       title: str = "", input_map: np.ndarray | None = None, titles: Sequence[str] = ("", ""),
                       dilation: tuple[int, int] = (1, 1), max_side: int = MARKER_SIDE, crop: int = INPUT_CROP
                       ) -> go.Figure:
    """The layer's input (one channel) with the receptive window, and the output map with the chosen cell.

    Axes are in real rows/columns. A large input is cropped to at most ``crop`` cells around the window; an
    output map larger than ``max_side`` is block-averaged (the marker stays on the real cell).
    """
    fmap = as_numpy(fmap)
    kh, kw = (k, k) if isinstance(k, int) else k
    span_h, span_w = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    n = 2 if input_map is not None else 1
    fig = make_subplots(rows=1, cols=n, subplot_titles=list(titles)[:n] if input_map is not None else [title],
                        horizontal_spacing=0.08)
    top, left = origin
    if input_map is not None:
        im = as_numpy(input_map)
        h, w = im.shape
        r0 = int(np.clip(top + span_h // 2 - crop // 2, 0, max(0, h - crop)))
        c0 = int(np.clip(left + span_w // 2 - crop // 2, 0, max(0, w - crop)))
        part = im[r0:r0 + crop, c0:c0 + crop]
        fig.add_trace(go.Heatmap(z=part, x=np.arange(c0, c0 + part.shape[1]), y=np.arange(r0, r0 + part.shape[0]),
                                 colorscale="gray", showscale=False,
                                 hovertemplate="(%{y}, %{x}) = %{z:.3f}<extra></extra>"), row=1, col=1)
        fig.add_shape(type="rect", x0=left - 0.5, x1=left + span_w - 0.5, y0=top - 0.5, y1=top + span_h - 0.5,
                      line={"color": WINDOW_COLOR, "width": 3}, row=1, col=1)
        if dilation != (1, 1):
            ys = [top + u * dilation[0] for u in range(kh)]
            xs = [left + v * dilation[1] for v in range(kw)]
            fig.add_trace(go.Scatter(x=[x for _ in ys for x in xs], y=[y for y in ys for _ in xs], mode="markers",
                                     marker={"color": WINDOW_COLOR, "size": 6}, hoverinfo="skip", showlegend=False),
                          row=1, col=1)
    oh, ow = fmap.shape
    f = max(1, -(-max(oh, ow) // max_side))
    small = downsample(fmap[None], max_side)[0] if f > 1 else fmap
    signed = is_signed(small)
    zmin, zmax = color_range(small, signed)
    fig.add_trace(go.Heatmap(z=small, x=_axis(small.shape[1], f), y=_axis(small.shape[0], f), zmin=zmin, zmax=zmax,
                             colorscale=DIVERGING if signed else SEQUENTIAL, colorbar={"thickness": 12},
                             hovertemplate="(%{y}, %{x}) ≈ %{z:.4f}<extra></extra>" if f > 1
                             else "(%{y}, %{x}) = %{z:.4f}<extra></extra>"),
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


@cached_figure
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
    fig.add_hline(y=0, line={"color": "#999", "width": 1}, row=2, col=1)
    # one layout update for all edge lines (add_vline per edge re-validates the layout every time: a photo row
    # of 224 pixels can have dozens of edges)
    fig.update_layout(shapes=[*fig.layout.shapes, *({"type": "line", "xref": "x", "yref": "paper", "x0": e, "x1": e,
                                                      "y0": 0, "y1": 1, "opacity": 0.5,
                                                      "line": {"color": "#d62728", "dash": "dot", "width": 1}}
                                                     for e in edges)])
    fig.update_layout(height=420, margin={"l": 4, "r": 4, "t": 40, "b": 4},
                      legend={"orientation": "h", "y": -0.08})
    return fig


@cached_figure
def receptive_field_figure(fields: Sequence[LayerField], image: np.ndarray, *, title: str = "") -> go.Figure:
    """The input picture (gray map, or an RGB crop sent as one PNG) with, centred on it, the square each
    conv/pool layer's centre cell sees (at most ``MAX_SQUARES``, spread over the network's depth)."""
    img = np.asarray(image)
    h, w = img.shape[:2]
    if img.ndim == 3:
        fig = go.Figure(go.Image(source=image_source(img), hoverinfo="skip"))
    else:
        fig = go.Figure(go.Heatmap(z=as_numpy(img), colorscale="gray", showscale=False, hoverinfo="skip"))
    spatial = [f for f in fields if f.kind in SPATIAL_KINDS and f.receptive_field]
    if len(spatial) > MAX_SQUARES:
        picks = np.unique(np.linspace(0, len(spatial) - 1, MAX_SQUARES).round().astype(int))
        spatial = [spatial[i] for i in picks]
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
