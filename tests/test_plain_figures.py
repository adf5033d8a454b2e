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


def _activation_figures() -> list[go.Figure]:
    from explain import activations as act
    from explain import warp
    from tests.helpers import committed_trace
    from ui.figures import activations as fa

    model, tr = committed_trace("tinyvgg-prelu")
    res = act.apply("relu", act.activation_layers(tr)[0].pre, 0.25)
    labels = {n: n for n in act.FUNCTIONS}
    return [fa.curves_figure.uncached(act.curves(list(act.FUNCTIONS), slope=0.1), labels, title="t"),
            fa.slopes_figure.uncached(act.prelu_slopes(model), title="t", initial_label="start"),
            fa.slopes_figure.uncached({}),  # no PReLU layer: an empty chart
            fa.histogram_figure(res.hist_in, res.hist_out, before_label="b", after_label="a", log_y=True),
            fa.val_curves_figure({"a": [0.5, 0.7], "b": [0.6, 0.8, 0.9]}, title="v"),
            fa.scaled_sigmoid_figure(warp.scaled_sigmoid(2.0, 1.0), linear_label="l", sigmoid_label="s")]


def _network_figures() -> list[go.Figure]:
    from explain.network import network_view
    from tests.helpers import committed_trace
    from ui.figures.network import network_figure

    figs = []
    for name in ("tinyvgg-relu", "mlp-relu"):
        tr = committed_trace(name)[1]
        view = network_view(tr, pixels=(tr.input[0, 0].numpy() * 60 + 100).clip(0, 255).astype("uint8"))
        figs.append(network_figure(view, class_labels=[f"class {i}" for i in range(len(view.classes))],
                                   hovers=["h"] * len(view.columns), input_title="in", output_hover="out",
                                   probs_title="P"))
    return figs


def _classifier_figures() -> list[go.Figure]:
    import numpy as np

    from explain.classifier import flatten_step
    from tests.helpers import committed_trace
    from ui.figures.classifier import flatten_figure

    fl = flatten_step(committed_trace("tinyvgg-relu")[1])
    vector = fl.output[0].numpy()
    return [flatten_figure(fl.input[0, 3].numpy(), 2, 5, vector, 100, map_title="m", vector_title="v"),
            flatten_figure(np.abs(fl.input[0, 3].numpy()), 0, 0, np.abs(vector), 0, map_title="m", vector_title="v")]


BUILDERS: dict[str, Callable[[], list[go.Figure]]] = {"classifier": _classifier_figures, "gradients": _gradient_figures,
                                                     "activations": _activation_figures,
                                                     "network": _network_figures}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_plain_figures_are_valid(name: str) -> None:
    for fig in BUILDERS[name]():
        checked = go.Figure(fig.to_dict())  # the same dicts, validated: raises on any invalid property
        assert _rounded(_sent(checked)) == _rounded(_named_scales_expanded(_sent(fig))), name


def _sent(fig: go.Figure) -> dict:
    """What st.plotly_chart sends: the figure's JSON, read back."""
    import json

    import plotly.io as pio

    return json.loads(pio.to_json(fig, validate=False))


def _named_scales_expanded(spec: dict) -> dict:
    """A colour scale given by name ("Viridis") as the list that validation turns it into; plotly.js reads both."""
    import plotly.colors

    for trace in spec["data"]:
        if isinstance(trace.get("colorscale"), str):
            trace["colorscale"] = [list(p) for p in plotly.colors.get_colorscale(trace["colorscale"])]
    return spec


def test_side_by_side_lays_out_like_make_subplots() -> None:
    from plotly.subplots import make_subplots

    cases = [(("a", "b"), 0.08, None, False), (("a", "b", "c", "d"), None, None, False),
             (("a", "b", "c"), None, [16, 16, 32], True)]
    for titles, spacing, widths, shared in cases:
        kw = {} if spacing is None else {"horizontal_spacing": spacing}
        ref = make_subplots(rows=1, cols=len(titles), subplot_titles=titles, column_widths=widths,
                            shared_yaxes=shared, **kw)
        ref.add_hline(y=0.25, line={"dash": "dash"}, row=1, col=2, name="i", showlegend=True,
                      exclude_empty_subplots=False)
        ref.add_vline(x=0, line={"width": 1}, row=1, col=1, exclude_empty_subplots=False)
        ours = plain.figure([], {**plain.side_by_side(titles, spacing, widths, shared),
                                 "shapes": [plain.axis_line(y=0.25, panel=2, line={"dash": "dash"}, name="i",
                                                            showlegend=True),
                                            plain.axis_line(x=0, line={"width": 1})]})
        a, b = ours.to_dict()["layout"], ref.to_dict()["layout"]
        a.pop("template", None)
        b.pop("template")
        assert _rounded(a) == _rounded(b), titles


def _rounded(value: object) -> object:
    """Floats to 9 decimals (the domains are sums of fractions), containers element by element."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value
