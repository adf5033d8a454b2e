"""Figures from plain dicts, built without plotly's per-property validation.

``go.Figure(go.Scatter(...))`` checks every property of every trace against plotly's schema as it is
built; for a line chart of a few hundred points that is most of its cost (a two-panel comparison of five
models: 82 ms validated, 4 ms as dicts), and the Gradient flow page builds three such charts for every new
image. The dicts here are the same figure: ``tests/test_plain_figures.py`` validates what every builder
that uses this module returns and compares it with the validated figure of the same dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

SUBPLOT_TITLE_FONT = {"size": 16}  # what plotly.subplots.make_subplots gives a subplot title


def figure(data: Sequence[dict[str, Any]], layout: dict[str, Any]) -> go.Figure:
    """The figure of ``data`` (trace dicts, each with its ``type``) and ``layout``, unvalidated."""
    return go.Figure(data=list(data), layout=layout, _validate=False)


def side_by_side(titles: Sequence[str], spacing: float | None = None, widths: Sequence[float] | None = None,
                 shared_y: bool = False) -> dict[str, Any]:
    """Layout of 1 row × len(titles) panels, as ``make_subplots(rows=1, cols=n, subplot_titles=titles,
    horizontal_spacing=spacing, column_widths=widths, shared_yaxes=shared_y)`` lays them out: axes ``x``/``y``,
    ``x2``/``y2``, … and a title above each (plotly's default spacing is 0.2/n)."""
    n = len(titles)
    gap = 0.2 / n if spacing is None else spacing
    weights = list(widths) if widths is not None else [1.0] * n
    room = 1.0 - gap * (n - 1)
    layout: dict[str, Any] = {"annotations": []}
    lo = 0.0
    for i, title in enumerate(titles):
        hi = lo + room * weights[i] / sum(weights)
        s = "" if i == 0 else str(i + 1)
        layout[f"xaxis{s}"] = {"anchor": f"y{s}", "domain": [lo, hi]}
        layout[f"yaxis{s}"] = {"anchor": f"x{s}", "domain": [0.0, 1.0]}
        if shared_y and i > 0:
            layout[f"yaxis{s}"].update(matches="y", showticklabels=False)
        layout["annotations"].append({"font": SUBPLOT_TITLE_FONT, "showarrow": False, "text": title,
                                      "x": (lo + hi) / 2, "xanchor": "center", "xref": "paper", "y": 1.0,
                                      "yanchor": "bottom", "yref": "paper"})
        lo = hi + gap
    return layout


def axis_line(*, x: float | None = None, y: float | None = None, panel: int = 1, **style: Any) -> dict[str, Any]:  # noqa: ANN401
    """A horizontal line at ``y`` (or a vertical one at ``x``) across panel ``panel``: what ``add_hline`` /
    ``add_vline`` put in ``layout.shapes``. ``style`` holds line, name, showlegend, legendgroup…"""
    s = "" if panel == 1 else str(panel)
    if y is not None:
        shape = {"type": "line", "x0": 0, "x1": 1, "xref": f"x{s} domain", "y0": y, "y1": y, "yref": f"y{s}"}
    else:
        shape = {"type": "line", "x0": x, "x1": x, "xref": f"x{s}", "y0": 0, "y1": 1, "yref": f"y{s} domain"}
    return {**shape, **style}
