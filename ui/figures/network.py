"""The network at a glance: one light plotly figure of a :class:`explain.network.NetworkView`.

The maps travel as pictures: every thumbnail is pasted into ONE composited PNG (and the input into a second
small image), placed with ``layout.images`` as base64 data URIs. Text (column names, shapes, colour ranges)
is drawn by the browser as annotations, so it stays sharp and readable in any language. Each column has a
transparent bar over it: clicking it selects that point, which ``st.plotly_chart(on_select="rerun")``
reports, and :func:`clicked_key` turns the selection into the record key to open. The class bars sit on the
right on their own axes.

Coordinates are "picture pixels": the x axis runs over the composite's width, the y axis downwards over
the label rows and the body, and the two axes are locked 1:1 so thumbnails stay square.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from explain.network import NetworkView
from ui.figures import plain
from ui.figures.maps import image_source

CELL = 32  # side of a thumbnail in the picture (a 28x28 map is drawn 1:1, smaller ones enlarged by whole pixels)
GAP = 4  # between two thumbnails of a column
TOP = 40  # the two lines of the column's name
BOTTOM = 36  # the shape and the colour range
INPUT_SIDE = 104  # the input picture's side
ARROW_GAP = 30  # between the input and the first column
MAPS_WIDTH = 660  # about the width the columns share (picture pixels)
EXPECTED_WIDTH = 780  # about the drawn width of the picture part at 1440 px: the figure height follows from it
BAR_DOMAIN = (0.84, 1.0)  # the class bars' share of the figure width
PICTURE_DOMAIN = (0.0, 0.80)
MAX_LABEL = 20  # characters of a class name on the bar axis (the hover shows it whole)
TEXT = "#31333f"
MUTED = "#6b6f7b"
ARROW = "#9aa0a6"


def _num(v: float) -> str:
    a = abs(v)
    return f"{v:.0f}" if a >= 100 else f"{v:.1f}" if a >= 10 else f"{v:.2f}"


def range_text(signed: bool, vmin: float, vmax: float) -> str:
    """The colour range under a column: "±1.23" (diverging, centred on 0) or "0–4.56" (sequential)."""
    return f"±{_num(vmax)}" if signed else f"{_num(vmin)}–{_num(vmax)}"


def shape_text(shape: Sequence[int]) -> str:
    """The output shape without the batch of one: "16×28×28" (C×H×W) or "256" for a vector."""
    return "×".join(str(int(s)) for s in shape[1:])


def title_lines(title: str, kind: str, staged: bool) -> str:
    """Two short lines: "block1<br>conv1" for a record key; "layer1<br>ReLU" for a stage."""
    if staged:
        return f"{title}<br>{kind}"
    head, dot, tail = title.rpartition(".")
    return f"{head}<br>{tail}" if dot else f"{title}<br>{kind}"


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[:MAX_LABEL - 1] + "…"


def _png_source(rgb: np.ndarray) -> str:
    """A palette PNG: the thumbnails use two 256-step colour scales (~450 colours); 256 palette entries chosen by
    Pillow's max-coverage quantizer stay within 2 levels of each channel and make the picture ~2.5x smaller."""
    buf = io.BytesIO()
    pal = Image.fromarray(rgb, "RGB").quantize(256, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
    pal.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _scaled(thumb: np.ndarray, side: int) -> np.ndarray:
    """Enlarge by the largest integer factor that keeps the thumbnail within ``side`` (pixels stay crisp)."""
    h, w = thumb.shape[:2]
    f = max(1, min(side // max(h, 1), side // max(w, 1)))
    return np.repeat(np.repeat(thumb, f, axis=0), f, axis=1) if f > 1 else thumb


def _input_pixels(view: NetworkView) -> np.ndarray:
    """The input at its size in the picture: a small grey input enlarged pixel by pixel, a photo resized."""
    img = view.input
    h, w = img.shape[:2]
    if h <= 64 and w <= 64:  # a Fashion-MNIST input: show its pixels
        f = max(1, INPUT_SIDE // max(h, w))
        return np.repeat(np.repeat(img, f, axis=0), f, axis=1)
    side = INPUT_SIDE
    size = (side, max(1, side * h // max(w, 1))) if w >= h else (max(1, side * w // max(h, 1)), side)
    return np.asarray(Image.fromarray(img).resize(size, Image.Resampling.LANCZOS))


def layout_of(view: NetworkView, in_side: int = INPUT_SIDE) -> dict[str, Any]:
    """Where everything goes, in picture pixels: each column's centre, its cells' top-left corners, the body."""
    n = len(view.columns)
    pitch = int(min(140, max(60, MAPS_WIDTH // max(n, 1))))
    unit_side = pitch - 14
    cells: list[list[np.ndarray]] = []  # per column: its enlarged thumbnails
    for col in view.columns:
        pics = []
        for thumb in col.thumbs:
            pics.append(_scaled(thumb, unit_side if col.units else CELL))
        cells.append(pics)
    body = max(max(sum(p.shape[0] for p in pics) + GAP * (len(pics) - 1) for pics in cells), CELL)
    body = max(body, in_side)
    x0 = 4 + in_side + ARROW_GAP
    centres = [x0 + pitch * i + pitch // 2 for i in range(n)]
    placed: list[list[tuple[int, int, np.ndarray]]] = []
    for cx, pics in zip(centres, cells, strict=True):
        height = sum(p.shape[0] for p in pics) + GAP * (len(pics) - 1)
        y = (body - height) // 2
        out = []
        for p in pics:
            out.append((cx - p.shape[1] // 2, y, p))
            y += p.shape[0] + GAP
        placed.append(out)
    width = x0 + pitch * n
    return {"pitch": pitch, "centres": centres, "placed": placed, "body": body, "width": width,
            "input_side": in_side, "height": TOP + body + BOTTOM}


def _composite(lay: Mapping[str, Any]) -> tuple[np.ndarray, int]:
    """Every thumbnail pasted at its place on one white uint8 RGB canvas that starts at the first column (the
    input is its own image, left of it); returns (canvas, its x in the picture)."""
    left = min(x for column in lay["placed"] for x, _, _ in column)
    canvas = np.full((lay["body"], lay["width"] - left, 3), 255, dtype=np.uint8)
    for column in lay["placed"]:
        for x, y, pic in column:
            h, w = pic.shape[:2]
            canvas[y:y + h, x - left:x - left + w] = pic
    return canvas, left


def network_figure(view: NetworkView, *, class_labels: Sequence[str], hovers: Sequence[str], input_title: str,
                   output_hover: str = "", probs_title: str = "", stem_label: str = "stem") -> go.Figure:
    """The picture: input, one column of thumbnails per layer with its name above and shape/range below,
    arrows in data-flow order, and the class probabilities as bars on the right.

    ``class_labels``: the names of ``view.classes`` (same order); ``hovers``: one text per column (what it is and
    where a click leads); ``output_hover``: the hover of the class bars when they link to the output layer;
    ``stem_label``: the name shown for the stem stage (translated by the page).
    """
    pic = _input_pixels(view)
    in_h, in_side = pic.shape[:2]
    lay = layout_of(view, in_side)
    body, width, height = lay["body"], lay["width"], lay["height"]
    src_in = image_source(pic, "PNG" if max(view.input.shape[:2]) <= 64 else "JPEG")
    maps, left = _composite(lay)
    images = [
        {"source": src_in, "xref": "x", "yref": "y", "x": 4, "y": TOP + (body - in_h) // 2, "sizex": in_side,
         "sizey": in_h, "sizing": "stretch", "layer": "below", "xanchor": "left", "yanchor": "top"},
        {"source": _png_source(maps), "xref": "x", "yref": "y", "x": left, "y": TOP, "sizex": width - left,
         "sizey": body, "sizing": "stretch", "layer": "below", "xanchor": "left", "yanchor": "top"},
    ]
    staged = view.per_stage
    notes: list[dict[str, Any]] = [
        {"x": 4 + in_side / 2, "y": TOP - 4, "text": f"<b>{input_title}</b>", "yanchor": "bottom",
         "font": {"size": 13, "color": TEXT}},
        {"x": 4 + in_side / 2, "y": TOP + body + 4, "text": shape_text(view.input_shape), "yanchor": "top",
         "font": {"size": 12, "color": MUTED}},
    ]
    for col, cx in zip(view.columns, lay["centres"], strict=True):
        title = stem_label if col.stage == "stem" else col.title
        notes.append({"x": cx, "y": TOP - 4, "text": title_lines(title, col.kind, staged), "yanchor": "bottom",
                      "font": {"size": 13, "color": TEXT}})
        notes.append({"x": cx, "y": TOP + body + 4, "yanchor": "top", "font": {"size": 12, "color": MUTED},
                      "text": shape_text(col.shape) + "<br>" + range_text(col.signed, col.vmin, col.vmax)})
    # arrows along the data flow: input → first column → … → last column → class bars. One line trace with a
    # triangle at each head, not an annotation per arrow: plotly measures every annotation in the browser,
    # and the eleven arrows of a TinyVGG picture took about half of its ~120 ms drawing time.
    edges = [4 + in_side, *lay["centres"]]
    half = [0, *[max(p.shape[1] for _, _, p in col) // 2 for col in lay["placed"]]]
    mid = TOP + body / 2
    spans = [(edges[i] + half[i] + 3, edges[i + 1] - half[i + 1] - 3) for i in range(len(edges) - 1)]
    spans = [(a, b) for a, b in spans if b - a >= 8] + [(width - 14, width - 3)]
    arrows = dict(
        type="scatter", mode="lines+markers", x=[v for a, b in spans for v in (a, b, None)],
        y=[v for _ in spans for v in (mid, mid, None)], line={"color": ARROW, "width": 1.2},
        marker={"symbol": "triangle-right", "color": ARROW, "size": [v for _ in spans for v in (0, 8, 0)]},
        hoverinfo="skip", showlegend=False, name="",
    )
    for a in notes:
        a.setdefault("xref", "x")
        a.setdefault("yref", "y")
        a.setdefault("showarrow", False)
    keys = [c.key for c in view.columns]
    targets = dict(
        type="bar", x=lay["centres"], y=[height] * len(keys), base=[0] * len(keys),
        width=[lay["pitch"] - 4] * len(keys), customdata=keys, marker={"color": "rgba(0,0,0,0)"},
        hovertext=list(hovers), hovertemplate="%{hovertext}<extra></extra>", showlegend=False, name="",
        selected={"marker": {"opacity": 1}}, unselected={"marker": {"opacity": 1}},
    )
    # class bars: row i (0 = most probable, on top) has its name above a thin bar, so that long names
    # (ImageNet's) stay inside the bars' own strip instead of pushing into the picture
    probs = [p for _, p in view.classes]
    rows = list(range(len(probs)))
    colors = ["#1f77b4"] + ["#9ecae1"] * (len(probs) - 1)
    bars = dict(
        type="bar", x=probs, y=[i + 0.2 for i in rows], width=0.42, orientation="h", xaxis="x2", yaxis="y2",
        showlegend=False, name="", customdata=[view.output_key or ""] * len(probs), marker={"color": colors},
        hovertext=[f"{full}: {p:.2%}" + (f"<br>{output_hover}" if output_hover else "")
                   for full, p in zip(class_labels, probs, strict=False)],
        hovertemplate="%{hovertext}<extra></extra>",
        selected={"marker": {"opacity": 1}}, unselected={"marker": {"opacity": 1}},
    )
    for i, label in zip(rows, class_labels, strict=False):
        font = {"size": 12, "color": TEXT if i == 0 else MUTED}
        row = {"y": i - 0.22, "xref": "x2", "yref": "y2", "yanchor": "middle", "showarrow": False, "font": font}
        notes.append({**row, "x": 0, "xanchor": "left", "text": _short(label)})
        notes.append({**row, "x": 1.0, "xanchor": "right", "text": f"{probs[i]:.1%}"})
    scale = min(1.0, EXPECTED_WIDTH / width)
    top_frac = 1 - TOP / height
    bottom_frac = BOTTOM / height
    if probs_title:
        notes.append({"x": 0.5, "y": 1.0, "xref": "x2 domain", "yref": "y2 domain", "yanchor": "bottom",
                      "showarrow": False, "text": f"<b>{probs_title}</b>", "font": {"size": 13, "color": TEXT}})
    return plain.figure([targets, bars, arrows], dict(
        images=images, annotations=notes, height=int(height * scale) + 12, bargap=0.25,
        margin={"l": 0, "r": 8, "t": 6, "b": 6}, plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)",
        dragmode=False, hovermode="closest", clickmode="event+select",
        xaxis={"domain": list(PICTURE_DOMAIN), "range": [0, width], "visible": False, "fixedrange": True,
               "constrain": "domain"},
        yaxis={"range": [height, 0], "visible": False, "fixedrange": True, "scaleanchor": "x", "scaleratio": 1,
               "constrain": "domain"},
        xaxis2={"domain": list(BAR_DOMAIN), "range": [0, 1.0], "visible": False, "fixedrange": True,
                "anchor": "y2"},
        yaxis2={"domain": [bottom_frac, top_frac], "anchor": "x2", "fixedrange": True, "visible": False,
                "range": [len(probs) - 0.5, -0.6]},
    ))


def clicked_key(view: NetworkView, selection: Mapping[str, Any] | Any) -> str | None:  # noqa: ANN401
    """The record key that a click on the picture asks for: a column's key, or the output layer's key for a
    click on the class bars; None when nothing (or nothing linked) was clicked.

    ``selection`` is ``event.selection`` of ``st.plotly_chart(..., on_select="rerun")`` (a dict-like with
    ``points``; each point has ``curve_number`` and ``point_index``).
    """
    points = selection.get("points", []) if hasattr(selection, "get") else []
    for point in points:
        curve = point.get("curve_number", point.get("curveNumber"))
        index = point.get("point_index", point.get("pointIndex", point.get("point_number")))
        if curve == 0 and index is not None and 0 <= int(index) < len(view.columns):
            return view.columns[int(index)].key
        if curve == 1 and view.output_key:
            return view.output_key
    return None
