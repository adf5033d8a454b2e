"""The figure cache: the same arguments by value give the same figure; any change of value a new one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from ui.figures.cache import cached_figure, digest

calls: list[int] = []


@cached_figure
def _fig(values: np.ndarray, *, title: str = "", extra: object = None) -> go.Figure:
    calls.append(1)
    return go.Figure(go.Heatmap(z=values), layout={"title": title})


@dataclass(frozen=True)
class _Box:
    t: torch.Tensor
    name: str


def test_same_values_reuse_the_figure_and_any_change_builds_a_new_one() -> None:
    calls.clear()
    a = np.arange(12.0).reshape(3, 4)
    f1 = _fig(a, title="x")
    assert _fig(a.copy(), title="x") is f1 and len(calls) == 1  # equal values, another array object
    b = a.copy()
    b[2, 3] += 1e-6
    assert _fig(b, title="x") is not f1
    assert _fig(a, title="y") is not f1
    assert _fig(a.astype(np.float32), title="x") is not f1  # dtype is part of the key
    assert _fig(a.reshape(4, 3), title="x") is not f1  # so is the shape
    assert len(calls) == 5


def test_digest_covers_tensors_dataclasses_and_refuses_other_objects() -> None:
    k1 = digest(_fig, (_Box(torch.ones(3), "a"),), {})
    assert k1 == digest(_fig, (_Box(torch.ones(3), "a"),), {})
    assert k1 != digest(_fig, (_Box(torch.ones(3) * 2, "a"),), {})
    assert k1 != digest(_fig, (_Box(torch.ones(3), "b"),), {})
    assert digest(_fig, (object(),), {}) is None
    calls.clear()
    o = object()
    _fig(np.zeros(2), extra=o)
    _fig(np.zeros(2), extra=o)
    assert len(calls) == 2  # not digestible: built every time, never a wrong hit


def test_a_class_asking_at_once_builds_the_figure_once() -> None:
    """16 threads ask for the same new figure at the same moment: one builds it, all get that figure."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from ui.figures.cache import cached_figure

    builds = []

    @cached_figure
    def slow(n: int) -> dict:
        builds.append(n)
        time.sleep(0.05)  # long enough that every thread arrives while the first one builds
        return {"n": n}

    barrier = threading.Barrier(16)

    def ask(_: int) -> dict:
        barrier.wait(timeout=10)
        return slow(7)

    with ThreadPoolExecutor(max_workers=16) as pool:
        got = list(pool.map(ask, range(16)))
    assert builds == [7]
    assert all(g is got[0] for g in got)


def test_a_cached_figure_sends_what_a_fresh_one_sends() -> None:
    """st.plotly_chart's route (return_figure_from_figure_or_data, then to_json) gives the same JSON for the
    shared figure as for a freshly built one, and the figure still reads like any plotly figure."""
    import plotly.io as pio
    import plotly.tools

    values = np.arange(12, dtype=np.float32).reshape(3, 4)
    shared = _fig(values, title="sent")
    fresh = _fig.uncached(values, title="sent")
    sent = pio.to_json(plotly.tools.return_figure_from_figure_or_data(shared, validate_figure=True), validate=False)
    assert sent == pio.to_json(fresh, validate=False)
    assert shared.layout.title.text == "sent" and np.array_equal(np.asarray(shared.data[0].z), values)
