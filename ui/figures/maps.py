"""Shared builders for maps: many maps as ONE picture (see ui/figures/picture.py), colour scales and ranges.

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

from explain.network import block_mean
from ui.figures.cache import cached_figure
from ui.figures.numbers import cell_text
from ui.figures.picture import TARGET_W, MapImage, colorize, drawable, enlarge, grid_picture

__all__ = ["DIVERGING", "GRAY", "SEQUENTIAL", "MapImage", "RangeMode", "as_numpy", "color_range", "downsample",
           "heatmap", "image_source", "is_signed", "normalize_each", "overlay", "tile", "tiled_maps"]

DIVERGING = "RdBu_r"
SEQUENTIAL = "Viridis"
GRAY = "gray"
RangeMode = Literal["map", "layer", "global"]


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


def downsample(maps: np.ndarray, max_side: int) -> np.ndarray:
    """[C, H, W] → block means with an integer factor f = ⌈max(H, W)/max_side⌉, as float32 (one implementation:
    :func:`explain.network.block_mean`)."""
    return block_mean(maps, max_side).astype(np.float32)


def normalize_each(maps: np.ndarray, signed: bool) -> np.ndarray:
    """Scale each map to [-1, 1] (signed) or [0, 1] so that every map uses the full colour range."""
    out = np.empty_like(maps)
    for i, m in enumerate(maps):
        lo, hi = color_range(m, signed, "layer")
        out[i] = m / hi if signed else (m - lo) / (hi - lo)
    return out


def _tile_labels(prefix: str, channels: Sequence[int]) -> list[str]:
    """ "ch 3" above each tile (the number alone where the picture's font cannot draw the prefix)."""
    pre = f"{prefix} " if prefix and drawable(prefix) else ""
    return [f"{pre}{c}" for c in channels]


@cached_figure
def tiled_maps(maps: np.ndarray, *, prefix: str = "ch", title: str = "", range_mode: RangeMode = "layer",
               fixed: float = 1.0, signed: bool | None = None, cols: int | None = None,
               channels: Sequence[int] | None = None, labels: Sequence[str] | None = None,
               row_labels: Sequence[str] | None = None, col_labels: Sequence[str] | None = None,
               target_width: int = TARGET_W, colorscale: str | None = None) -> MapImage:
    """Many maps [C, H, W] as ONE picture at full resolution: a tile per map (its channel number above it,
    ``channels`` giving the real numbers of a selection), one colour scale and a colour bar with its range.

    ``range_mode``: "layer" one range for all maps, "map" each map scaled to its own range (the bar then
    reads from 0 or −1 to 1 of each map's own maximum), "global" ±``fixed``. Signed maps use the diverging
    scale centred on 0, non-negative ones the sequential scale. ``labels`` replace the channel numbers;
    ``row_labels``/``col_labels`` label rows and columns instead (kernel grids); ``colorscale`` overrides the
    scale (e.g. "gray" for pictures of the input).
    """
    maps = as_numpy(maps)
    if maps.ndim == 2:
        maps = maps[None]
    c = maps.shape[0]
    signed = is_signed(maps) if signed is None else signed
    values = normalize_each(maps, signed) if range_mode == "map" else maps
    zmin, zmax = color_range(values, signed, "layer" if range_mode == "map" else range_mode, fixed)
    if cols is None:
        cols = max(1, min(c, math.ceil(math.sqrt(c * 2))))
    if labels is None and row_labels is None and col_labels is None:
        labels = _tile_labels(prefix, list(range(c)) if channels is None else [int(v) for v in channels])
    elif labels is not None:
        labels = [s if drawable(s) else str(i) for i, s in enumerate(labels)]
    scale = colorscale or (DIVERGING if signed else SEQUENTIAL)
    return grid_picture(values, zmin=zmin, zmax=zmax, scale=scale, cols=cols,
                        labels=labels, row_labels=row_labels, col_labels=col_labels, title=title,
                        target_width=target_width)


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
        text=cell_text(values, 2) if text else None, texttemplate="%{text}" if text else None,
        hovertemplate="(%{y}, %{x}) = %{z:.4f}<extra></extra>",
        colorbar={"title": {"text": colorbar_title}, "thickness": 12},
    ))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_xaxes(constrain="domain")
    fig.update_layout(title=title, height=height, margin={"l": 4, "r": 4, "t": 36 if title else 8, "b": 4})
    return fig


@cached_figure
def overlay(image: np.ndarray, heat: np.ndarray, *, title: str = "", opacity: float = 0.55,
            signed: bool = False, side: int = 336) -> MapImage:
    """A heat map drawn over an image, as one picture with a colour bar.

    ``image``: a grayscale map [H, W] (any range) or RGB pixels [H, W, 3] (uint8); ``heat`` [h, w] covers the
    same area and is resized to the picture (a whole-factor enlargement keeps each cell a crisp square).
    Each pixel is (1 − α)·image + α·colour(heat), α = ``opacity``. Signed heat maps use the diverging scale
    centred on 0, non-negative ones "Jet" (as Grad-CAM demos draw them).
    """
    img = np.asarray(image)
    if img.ndim == 2:
        g = as_numpy(img)
        lo, hi = float(np.nanmin(g)), float(np.nanmax(g))
        g8 = np.clip((g - lo) / ((hi - lo) or 1.0) * 255, 0, 255).astype(np.uint8)
        base = np.stack([g8] * 3, axis=-1)
    else:
        base = np.asarray(img, dtype=np.uint8)[..., :3]
    heat = as_numpy(heat)
    zmin, zmax = color_range(heat, signed)
    scale = DIVERGING if signed else "Jet"
    colour = colorize(heat, zmin, zmax, scale)
    if colour.shape[:2] != base.shape[:2]:  # a coarser map (Grad-CAM's 7x7): each cell over the pixels it covers
        fy, fx = base.shape[0] / colour.shape[0], base.shape[1] / colour.shape[1]
        if fy == fx == int(fy):
            colour = enlarge(colour, int(fy))
        else:
            colour = np.asarray(Image.fromarray(colour).resize((base.shape[1], base.shape[0]), Image.BILINEAR))
    mixed = np.rint((1 - opacity) * base + opacity * colour).astype(np.uint8)
    return grid_picture(heat[None], zmin=zmin, zmax=zmax, scale=scale, cols=1, tile=side, rgb=mixed[None],
                        title=title)
