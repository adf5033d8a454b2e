"""Figures of the Tensors & shapes page: shape flow, index highlighting, embeddings, similarity."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ui.figures.cache import cached_figure
from ui.figures.maps import DIVERGING, SEQUENTIAL, RangeMode, as_numpy, color_range, is_signed, normalize_each, tile
from ui.figures.numbers import cell_text, hover

HIGHLIGHT = "#ff7f0e"
TEXT_CELLS = 400  # print values in the cells up to this many elements


def shape_bars(keys: Sequence[str], shapes: Sequence[Sequence[int]], *, title: str = "",
               y_title: str = "") -> go.Figure:
    """Number of elements per layer (log scale) with the shape printed on each bar."""
    counts = [math.prod(s) for s in shapes]
    fig = go.Figure(go.Bar(
        x=list(keys), y=counts, text=[str(list(s)) for s in shapes], textposition="outside",
        marker_color="#4c78a8", hovertemplate="%{x}<br>%{text}<br>%{y:,} elements<extra></extra>",
    ))
    fig.update_yaxes(type="log", title=y_title)
    fig.update_layout(title=title, height=320, margin={"l": 8, "r": 8, "t": 36 if title else 8, "b": 8},
                      uniformtext_minsize=8)
    return fig


def _as_panels(values: np.ndarray) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """Any tensor → [P, H, W] panels over its last two axes, with each panel's leading index."""
    if values.ndim == 0:
        return values.reshape(1, 1, 1), [()]
    if values.ndim == 1:
        return values.reshape(1, 1, -1), [()]
    lead = values.shape[:-2]
    panels = values.reshape(-1, *values.shape[-2:])
    return panels, list(np.ndindex(*lead)) if lead else [()]


@cached_figure
def selection_figure(values, mask, *, name: str = "x", title: str = "",  # noqa: ANN001
                     panel_names: Sequence[str] | None = None,
                     row_names: Sequence[str] | None = None, height: int | None = None,
                     range_mode: RangeMode = "layer", fixed: float = 1.0,
                     panel_index: Sequence[int] | None = None) -> go.Figure:
    """Every element of a tensor, the selected ones in colour (others grey); hover shows the full index.

    The last two axes are the rows and columns of each panel; the leading axes are laid out as panels.
    ``range_mode``: one colour range for the whole tensor ("layer"), one per panel ("map": each panel
    scaled to its own range, hover still shows the real value) or a fixed ±``fixed`` ("global").
    ``panel_index``: when ``values`` is [P, H, W] and holds only some panels of a larger tensor (e.g. 3 of 64
    channels of a 112x112 layer), the real index of each panel, used in the hover text.
    """
    v = as_numpy(values)
    m = np.asarray(as_numpy(mask), dtype=bool)
    ndim = v.ndim
    panels, leads = _as_panels(v)
    mpanels, _ = _as_panels(m)
    if panel_index is not None and ndim == 3:
        leads = [(int(i),) for i in panel_index]
    p, h, w = panels.shape
    cols = max(1, min(p, 8 if w <= 8 else max(1, int(round(math.sqrt(p * 2))))))
    grid, rows, cols = tile(panels, cols)
    mgrid, _, _ = tile(mpanels.astype(np.float32), cols)
    names = list(panel_names) if panel_names is not None else [
        f"[{', '.join(str(i) for i in lead)}]" if lead else "" for lead in leads]
    index_grid = np.full(grid.shape, "", dtype=object)
    for k, lead in enumerate(leads):
        r, c = divmod(k, cols)
        for i in range(h):
            for j in range(w):
                if ndim >= 2:
                    idx = (*lead, i, j)
                elif ndim == 1:
                    idx = (j,)
                else:
                    idx = ()
                index_grid[r * (h + 1) + i, c * (w + 1) + j] = "[" + ", ".join(str(t) for t in idx) + "]"
    signed = is_signed(v)
    raw_grid = grid
    if range_mode == "map":
        grid, _, _ = tile(normalize_each(panels, signed), cols)
        zmin, zmax = (-1.0, 1.0) if signed else (0.0, 1.0)
    else:
        zmin, zmax = color_range(v, signed, range_mode, fixed)
    chosen = np.where(mgrid == 1, grid, np.nan)
    show_text = v.size <= TEXT_CELLS
    integer = bool(np.allclose(v, np.round(v)))
    if range_mode == "map" or show_text:  # the real values travel as text when the colours are rescaled
        text = cell_text(raw_grid, 0 if integer else (2 if show_text else 4))  # NaN (the gaps) → ""
        value = "%{text}"
    else:
        text, value = None, hover()
    chosen_text = None if text is None else np.where(mgrid == 1, text, "")
    fig = go.Figure([
        go.Heatmap(z=np.round(grid, 4), zmin=zmin, zmax=zmax, colorscale=[[0, "#f2f2f2"], [1, "#8c8c8c"]],
                   showscale=False, customdata=index_grid, hoverongaps=False, text=text,
                   hovertemplate=f"{name}%{{customdata}} = {value}<extra></extra>",
                   texttemplate="%{text}" if show_text else None, textfont={"color": "#444"}),
        go.Heatmap(z=np.round(chosen, 4), zmin=zmin, zmax=zmax, colorscale=DIVERGING if signed else SEQUENTIAL,
                   hoverinfo="skip", hoverongaps=False, colorbar={"thickness": 12}, text=chosen_text,
                   texttemplate="%{text}" if show_text else None, textfont={"color": "white"}),
    ])
    annotations = []
    if p > 1:
        for k, label in enumerate(names[:p]):
            r, c = divmod(k, cols)
            annotations.append({"x": c * (w + 1) + (w - 1) / 2, "y": r * (h + 1) - 0.5, "text": label,
                                "showarrow": False, "yanchor": "bottom", "font": {"size": 11}})
    if row_names is not None and cols == p and h == len(row_names):
        fig.update_yaxes(tickvals=list(range(h)), ticktext=list(row_names))
    else:
        fig.update_yaxes(showticklabels=False)
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showgrid=False, zeroline=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
    cell = max(6, min(48, 760 // max(1, cols * (w + 1))))
    fig.update_layout(title=title, annotations=annotations, plot_bgcolor="white",
                      height=height or int(min(900, 80 + rows * (h + 2) * cell)),
                      margin={"l": 4, "r": 4, "t": 48 if (title or p > 1) else 8, "b": 4})
    return fig


def embedding_strip(vector, source_shape: Sequence[int] | None, *, title: str = "",  # noqa: ANN001
                    channel_label: str = "channel", feature_label: str = "feature") -> go.Figure:
    """The flattened feature vector as a heatmap: one row per channel when it came from [1, C, H, W]."""
    vec = as_numpy(vector).reshape(-1)
    if source_shape is not None and len(source_shape) == 4 and math.prod(source_shape[1:]) == vec.size:
        c = int(source_shape[1])
    else:
        c = max(1, int(math.ceil(vec.size / 64)))
    width = int(math.ceil(vec.size / c))
    padded = np.full(c * width, np.nan, dtype=np.float32)
    padded[:vec.size] = vec
    z = padded.reshape(c, width)
    feature = np.arange(c * width).reshape(c, width)
    signed = is_signed(vec)
    zmin, zmax = color_range(vec, signed)
    fig = go.Figure(go.Heatmap(
        z=np.round(z, 4), zmin=zmin, zmax=zmax, colorscale=DIVERGING if signed else SEQUENTIAL,
        customdata=feature, hoverongaps=False, colorbar={"thickness": 12},
        hovertemplate=f"{feature_label} %{{customdata}} ({channel_label} %{{y}}) = {hover()}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", title=channel_label)
    fig.update_xaxes(title=feature_label)
    fig.update_layout(title=title, height=min(520, 120 + 9 * c), margin={"l": 8, "r": 8, "t": 36 if title else 8,
                                                                        "b": 8})
    return fig


def lookup_figure(table, vocab: Sequence[str], ids: Sequence[int], *, title: str = "") -> go.Figure:  # noqa: ANN001
    """The embedding table W [V, D] with every value printed; the looked-up rows are outlined."""
    w = as_numpy(table)
    v, d = w.shape
    zmin, zmax = color_range(w, True)
    labels = [f"{i}: {word}" for i, word in enumerate(vocab)]
    fig = go.Figure(go.Heatmap(
        z=np.round(w, 2), x=[f"d{j}" for j in range(d)], y=labels, zmin=zmin, zmax=zmax, colorscale=DIVERGING,
        texttemplate="%{z:.2f}", hovertemplate="%{y} · %{x} = " + hover() + "<extra></extra>",
        colorbar={"thickness": 12},
    ))
    for i in sorted(set(ids)):
        fig.add_shape(type="rect", x0=-0.5, x1=d - 0.5, y0=i - 0.5, y1=i + 0.5,
                      line={"color": HIGHLIGHT, "width": 3})
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title=title, height=80 + 34 * v, margin={"l": 8, "r": 8, "t": 36 if title else 8, "b": 8})
    return fig
