"""Figures of the Overview page."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go


def top_k_bar(labels: Sequence[str], probs: Sequence[float], *, title: str = "", highlight: int = 0) -> go.Figure:
    """Horizontal bars of the k most probable classes, the most probable on top."""
    colors = ["#1f77b4" if i == highlight else "#9ecae1" for i in range(len(labels))]
    fig = go.Figure(go.Bar(
        x=list(probs)[::-1], y=list(labels)[::-1], orientation="h", marker_color=colors[::-1],
        text=[f"{p:.1%}" for p in list(probs)[::-1]], textposition="auto",
        hovertemplate="%{y}: %{x:.4f}<extra></extra>",
    ))
    fig.update_layout(title=title, xaxis={"range": [0, 1], "tickformat": ".0%"}, height=60 + 36 * len(labels),
                      margin={"l": 8, "r": 8, "t": 36 if title else 8, "b": 8})
    return fig
