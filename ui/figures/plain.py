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


def validated(fig: go.Figure) -> go.Figure:
    """The same figure built with validation (raises on any invalid property): for tests."""
    return go.Figure(fig.to_dict())


def side_by_side(titles: Sequence[str], spacing: float = 0.08) -> dict[str, Any]:
    """Layout of 1 row × len(titles) panels, as ``make_subplots(rows=1, cols=n, subplot_titles=titles,
    horizontal_spacing=spacing)`` lays them out: axes ``x``/``y``, ``x2``/``y2``, … and a title above each."""
    n = len(titles)
    width = (1.0 - spacing * (n - 1)) / n
    layout: dict[str, Any] = {"annotations": []}
    for i, title in enumerate(titles):
        lo = i * (width + spacing)
        hi = min(lo + width, 1.0)
        s = "" if i == 0 else str(i + 1)
        layout[f"xaxis{s}"] = {"anchor": f"y{s}", "domain": [lo, hi]}
        layout[f"yaxis{s}"] = {"anchor": f"x{s}", "domain": [0.0, 1.0]}
        layout["annotations"].append({"font": SUBPLOT_TITLE_FONT, "showarrow": False, "text": title,
                                      "x": (lo + hi) / 2, "xanchor": "center", "xref": "paper", "y": 1.0,
                                      "yanchor": "bottom", "yref": "paper"})
    return layout
