"""Figures built from plain dicts (ui.figures.plain, no validation while building) are valid plotly figures:
validating the same dicts raises nothing and gives the same figure. Each builder runs on real data."""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go
import pytest

from ui.figures import plain


def _gradient_figures() -> list[go.Figure]:
    import models
    from explain.gradients import flow_from_trace
    from tests.helpers import committed_trace
    from ui.figures.gradients import flow_chart, flow_comparison

    flows = [flow_from_trace(committed_trace(m.name)[1], m.name) for m in models.available()]
    acts = [m.activation for m in models.available()]
    return [flow_chart.uncached(flows[0], title="t"),
            flow_comparison.uncached(flows, activations=acts, title="t", dashed=True)]


BUILDERS: dict[str, Callable[[], list[go.Figure]]] = {"gradients": _gradient_figures}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_plain_figures_are_valid(name: str) -> None:
    for fig in BUILDERS[name]():
        assert fig.data, name
        assert plain.validated(fig).to_dict() == fig.to_dict(), name


def test_side_by_side_lays_out_like_make_subplots() -> None:
    from plotly.subplots import make_subplots

    for titles in (("a", "b"), ("a", "b", "c", "d")):
        ref = make_subplots(rows=1, cols=len(titles), subplot_titles=titles, horizontal_spacing=0.08).to_dict()
        ours = plain.figure([], plain.side_by_side(titles)).to_dict()
        ref["layout"].pop("template")
        ours["layout"].pop("template", None)
        assert _rounded(ours["layout"]) == _rounded(ref["layout"])


def _rounded(value: object) -> object:
    """Floats to 9 decimals (the domains are sums of fractions), containers element by element."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value
