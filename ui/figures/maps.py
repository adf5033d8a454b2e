"""Shared builders for maps: many small maps as ONE tiled heatmap, colour scales and ranges.

Visual language: signed values (pre-activations, kernels, gradients) use a diverging scale centred
on 0; non-negative values a sequential one. Every heatmap has a colour bar with its range.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from ui.figures.cache import cached_figure

DIVERGING = "RdBu_r"
SEQUENTIAL = "Viridis"
GRAY = "gray"
RangeMode = Literal["map", "layer", "global"]
MAX_TILE_SIDE = 56  # maps larger than this are block-averaged for the browser (ImageNet: 112 → 56)


def as_numpy(x) -> np.ndarray:  # noqa: ANN001 - tensor or array
    """A float32 numpy copy of a tensor or array (detached, on CPU)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float32)


def is_signed(values: np.ndarray) -> bool:
    return bool(np.nanmin(values) < 0) if values.size else False


def color_range(values: np.ndarray, signed: bool, mode: RangeMode = "layer", fixed: float = 1.0) -> tuple[float, float]:
    """(zmin, zmax): symmetric around 0 for signed data, [0, max] otherwise; "global" uses ±fixed."""
    if mode == "global":
        return (-fixed, fixed) if signed else (0.0, fixed)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (-1.0, 1.0) if signed else (0.0, 1.0)
    if signed:
        m = float(np.abs(finite).max()) or 1.0
        return -m, m
    lo, hi = float(finite.min()), float(finite.max())
    return (lo, hi if hi > lo else lo + 1.0)


def tile(maps: np.ndarray, cols: int | None = None, gap: int = 1) -> tuple[np.ndarray, int, int]:
    """[C, H, W] → one [rows·(H+gap)−gap, cols·(W+gap)−gap] array with NaN gaps; returns (grid, rows, cols)."""
    c, h, w = maps.shape
    cols = cols or max(1, min(c, math.ceil(math.sqrt(c * 2))))
    rows = math.ceil(c / cols)
    grid = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan, dtype=np.float32)
    for i in range(c):
        r, k = divmod(i, cols)
        grid[r * (h + gap):r * (h + gap) + h, k * (w + gap):k * (w + gap) + w] = maps[i]
    return grid, rows, cols


def downsample(maps: np.ndarray, max_side: int = MAX_TILE_SIDE) -> np.ndarray:
    """[C, H, W] → block means with an integer factor f = ⌈max(H, W)/max_side⌉ (edges padded by repetition)."""
    c, h, w = maps.shape
    f = math.ceil(max(h, w) / max_side) if max_side > 0 else 1
    if f <= 1:
        return maps
    ph, pw = (-h) % f, (-w) % f
    if ph or pw:
        maps = np.pad(maps, ((0, 0), (0, ph), (0, pw)), mode="edge")
    return maps.reshape(c, (h + ph) // f, f, (w + pw) // f, f).mean(axis=(2, 4)).astype(np.float32)


def normalize_each(maps: np.ndarray, signed: bool) -> np.ndarray:
    """Scale each map to [-1, 1] (signed) or [0, 1] so that every map uses the full colour range."""
    out = np.empty_like(maps)
    for i, m in enumerate(maps):
        lo, hi = color_range(m, signed, "layer")
        out[i] = m / hi if signed else (m - lo) / (hi - lo)
    return out


def _tiled_values(maps: np.ndarray, signed: bool | None, range_mode: RangeMode, fixed: float, cols: int | None,
                  max_side: int) -> tuple[np.ndarray, bool, float, float, np.ndarray, np.ndarray, int, int]:
    """The shared first half of the tiled builders: (maps, signed, zmin, zmax, grid, raw grid, rows, cols)."""
    maps = as_numpy(maps)
    if maps.ndim == 2:
        maps = maps[None]
    if max_side:
        maps = downsample(maps, max_side)
    signed = is_signed(maps) if signed is None else signed
    values = normalize_each(maps, signed) if range_mode == "map" else maps
    zmin, zmax = color_range(values, signed, "layer" if range_mode == "map" else range_mode, fixed)
    grid, rows, ncols = tile(values, cols)
    raw, _, _ = tile(maps, ncols)
    return maps, signed, zmin, zmax, grid, raw, rows, ncols


def _tiled_layout(fig: go.Figure, title: str, height: int | None, rows: int, ncols: int, h: int, w: int) -> go.Figure:
    """Square cells, no axes, height from the grid's aspect (at most 900 px)."""
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False, showgrid=False, zeroline=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
    fig.update_layout(title=title, margin={"l": 4, "r": 4, "t": 36 if title else 8, "b": 4},
                      height=height or int(min(900, 140 + rows * 760 / max(ncols, 1) * h / max(w, 1))),
                      plot_bgcolor="white")
    return fig


def tiled_heatmap(
    maps: np.ndarray,
    labels: Sequence[str] | None = None,
    *,
    title: str = "",
    range_mode: RangeMode = "layer",
    fixed: float = 1.0,
    signed: bool | None = None,
    cols: int | None = None,
    colorbar_title: str = "",
    height: int | None = None,
) -> go.Figure:
    """All maps of one layer as one heatmap trace; hovering shows the map label, row, column and value."""
    maps, signed, zmin, zmax, grid, raw, rows, ncols = _tiled_values(maps, signed, range_mode, fixed, cols, 0)
    c, h, w = maps.shape
    names = list(labels) if labels is not None else [str(i) for i in range(c)]
    label_grid = np.full(grid.shape, "", dtype=object)
    rr = np.full(grid.shape, -1, dtype=np.int32)
    cc = np.full(grid.shape, -1, dtype=np.int32)
    for i in range(c):
        r, k = divmod(i, ncols)
        sl = (slice(r * (h + 1), r * (h + 1) + h), slice(k * (w + 1), k * (w + 1) + w))
        label_grid[sl] = names[i]
        rr[sl] = np.arange(h)[:, None]
        cc[sl] = np.arange(w)[None, :]
    custom = np.dstack([label_grid, rr, cc, np.round(raw, 4).astype(object)])
    fig = go.Figure(go.Heatmap(
        z=grid, zmin=zmin, zmax=zmax, colorscale=DIVERGING if signed else SEQUENTIAL,
        customdata=custom, hovertemplate="%{customdata[0]} · (%{customdata[1]}, %{customdata[2]}) = "
                                         "%{customdata[3]}<extra></extra>",
        colorbar={"title": {"text": colorbar_title}, "thickness": 12}, hoverongaps=False,
    ))
    return _tiled_layout(fig, title, height, rows, ncols, h, w)


@cached_figure
def tiled_maps(maps: np.ndarray, *, prefix: str = "ch", title: str = "", range_mode: RangeMode = "layer",
               fixed: float = 1.0, signed: bool | None = None, cols: int | None = None,
               labels2: str | None = None, height: int | None = None,
               channels: Sequence[int] | None = None, max_side: int = MAX_TILE_SIDE) -> go.Figure:
    """Many maps [C, H, W] as ONE heatmap, like ``maps.tiled_heatmap`` but lighter on the wire.

    The hover data is a numeric array [channel, row, col] (plus the raw value in per-map mode), which
    plotly sends base64-encoded: several times smaller than per-cell label strings. With ``labels2``
    ("in") a tile is named "out o · in c" (kernel grids with one row per output channel).
    ``channels`` gives the real channel number of each map (when a page shows a selection, e.g. the
    top-N of 512); maps larger than ``max_side`` are block-averaged first (hover rows/columns are then
    those of the reduced map), which keeps the browser payload bounded for 112x112 ImageNet maps.
    """
    maps, signed, zmin, zmax, grid, raw, rows, ncols = _tiled_values(maps, signed, range_mode, fixed, cols,
                                                                      max_side)
    c, h, w = maps.shape
    per_map = range_mode == "map"
    # hover data: [channel, row, col] as uint8/uint16 (1-2 bytes a cell); only when z is rescaled per map does the
    # raw value need to travel too (float32, then 16 bytes a cell)
    info = np.zeros((*grid.shape, 4 if per_map else 3), dtype=np.float32 if per_map else np.int64)
    for i in range(c):
        r, k = divmod(i, ncols)
        sl = (slice(r * (h + 1), r * (h + 1) + h), slice(k * (w + 1), k * (w + 1) + w))
        info[sl + (0,)] = (i if channels is None else channels[i]) if labels2 is None else r
        info[sl + (1,)] = np.arange(h)[:, None] if labels2 is None else k
        info[sl + (2,)] = np.arange(w)[None, :] if labels2 is None else np.arange(h)[:, None] * 10 + np.arange(w)
    if per_map:
        info[..., 3] = raw
    else:
        info = info.astype(np.uint8 if info.max() < 256 else np.uint16 if info.max() < 65536 else np.int32)
    value = "%{customdata[3]:.4f}" if per_map else "%{z:.4f}"
    if labels2 is None:
        hover = prefix + " %{customdata[0]} · (%{customdata[1]}, %{customdata[2]}) = " + value
    else:
        hover = prefix + " %{customdata[0]} · " + labels2 + " %{customdata[1]} = " + value
    fig = go.Figure(go.Heatmap(
        z=grid.astype(np.float32), zmin=zmin, zmax=zmax, colorscale=DIVERGING if signed else SEQUENTIAL,
        customdata=info, hovertemplate=hover + "<extra></extra>", hoverongaps=False,
        colorbar={"thickness": 12},
    ))
    return _tiled_layout(fig, title, height, rows, ncols, h, w)


def image_source(pixels: np.ndarray, fmt: str = "JPEG") -> str:
    """uint8 [H, W, 3] → a base64 data URI (a compressed picture instead of H·W·3 numbers in the JSON)."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8)).save(buf, format=fmt, quality=90)
    return f"data:image/{fmt.lower()};base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def heatmap(values: np.ndarray, *, title: str = "", signed: bool | None = None, text: bool = False,
            zrange: tuple[float, float] | None = None, height: int = 320, colorbar_title: str = "",
            colorscale: str | None = None) -> go.Figure:
    """One map; ``text=True`` prints every value in its cell (for small numeric views)."""
    values = as_numpy(values)
    signed = is_signed(values) if signed is None else signed
    zmin, zmax = zrange or color_range(values, signed)
    fig = go.Figure(go.Heatmap(
        z=values, zmin=zmin, zmax=zmax, colorscale=colorscale or (DIVERGING if signed else SEQUENTIAL),
        text=np.round(values, 2) if text else None, texttemplate="%{text}" if text else None,
        hovertemplate="(%{y}, %{x}) = %{z:.4f}<extra></extra>",
        colorbar={"title": {"text": colorbar_title}, "thickness": 12},
    ))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_xaxes(constrain="domain")
    fig.update_layout(title=title, height=height, margin={"l": 4, "r": 4, "t": 36 if title else 8, "b": 4})
    return fig


def overlay(image: np.ndarray, heat: np.ndarray, *, title: str = "", opacity: float = 0.55,
            signed: bool = False, height: int = 320) -> go.Figure:
    """A heat map (same H, W) drawn over a grayscale image."""
    image, heat = as_numpy(image), as_numpy(heat)
    zmin, zmax = color_range(heat, signed)
    fig = go.Figure([
        go.Heatmap(z=image, colorscale=GRAY, showscale=False, hoverinfo="skip"),
        go.Heatmap(z=heat, zmin=zmin, zmax=zmax, colorscale=DIVERGING if signed else "Jet", opacity=opacity,
                   hovertemplate="(%{y}, %{x}) = %{z:.4f}<extra></extra>", colorbar={"thickness": 12}),
    ])
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False, constrain="domain")
    fig.update_xaxes(showticklabels=False, constrain="domain")
    fig.update_layout(title=title, height=height, margin={"l": 4, "r": 4, "t": 36 if title else 8, "b": 4})
    return fig
