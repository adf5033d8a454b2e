"""Pooling explanations against F.max_pool2d / F.avg_pool2d, autograd, the trace and plain forwards."""

from __future__ import annotations

import copy
import itertools
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from torch.nn import functional as F

import models
from explain import pooling as pool
from explain.hooks import has_hooks
from explain.trace import trace
from ui.figures import pooling as figs

MODEL_NAMES = [m.name for m in models.available()]


@lru_cache(maxsize=8)
def _model_trace(name: str):  # noqa: ANN202
    model = models.load(name)
    x = models.test_batch()[0][:1]
    return model, trace(model, x)


def test_known_4x4_window_by_hand() -> None:
    win = np.array([[1, 2, 5, 0], [3, 4, 1, 1], [0, 0, 7, 8], [0, 9, 2, 2]], dtype=float)
    table = pool.pool_window(win, 2, 2)
    np.testing.assert_array_equal(table.max_out, [[4, 5], [9, 8]])
    np.testing.assert_allclose(table.avg_out, [[2.5, 1.75], [2.25, 4.75]])
    assert sorted(map(tuple, np.argwhere(table.is_max))) == [(0, 2), (1, 1), (2, 3), (3, 1)]
    assert table.argmax[1, 0].tolist() == [3, 1]


@pytest.mark.parametrize(("size", "k", "s"), [(4, 2, 2), (4, 3, 1), (6, 2, 1), (6, 3, 2), (5, 2, 2), (4, 1, 1)])
def test_pool_tables_equal_torch(size: int, k: int, s: int) -> None:
    rng = np.random.default_rng(size * 10 + k + s)
    x = rng.normal(size=(size, size))
    x[x < 0] = 0.0  # ReLU-like ties at 0
    table = pool.pool_window(x, k, s)
    t = torch.from_numpy(x)[None, None]
    np.testing.assert_allclose(table.max_out, F.max_pool2d(t, k, s)[0, 0].numpy())
    np.testing.assert_allclose(table.avg_out, F.avg_pool2d(t, k, s)[0, 0].numpy())
    _, idx = F.max_pool2d(t, k, s, return_indices=True)  # flat indices of the maxima, PyTorch's tie rule
    ours = table.argmax[..., 0] * size + table.argmax[..., 1]
    np.testing.assert_array_equal(ours, idx[0, 0].numpy())


def test_numeric_view_clamps_and_matches_recorded_layer() -> None:
    _, tr = _model_trace(MODEL_NAMES[0])
    rec = tr["block1.pool"]
    fmap = rec.input[0, 3].numpy()
    table = pool.numeric_view(fmap, 100, -5)
    assert table.origin == (24, 0) and table.window.shape == (4, 4)
    np.testing.assert_array_equal(table.window, fmap[24:28, 0:4])
    aligned = pool.numeric_view(fmap, 10, 6)
    assert pool.recorded_difference(rec, aligned, 3) == 0.0
    np.testing.assert_array_equal(aligned.max_out, rec.output[0, 3, 5:7, 3:5].numpy())
    assert pool.recorded_difference(rec, pool.numeric_view(fmap, 11, 6), 3) is None  # off the stride grid
    assert pool.recorded_difference(rec, pool.numeric_view(fmap, 10, 6, 3, 1), 3) is None  # other k, s
    order = pool.channels_by_activity(rec)
    strength = rec.input[0].flatten(1).abs().max(1).values
    assert sorted(order) == list(range(16)) and all(strength[a] >= strength[b] for a, b in itertools.pairwise(order))
    top, left = pool.window_at_max(fmap, 4, 2)
    assert top % 2 == 0 and left % 2 == 0 and fmap[top:top + 4, left:left + 4].max() == fmap.max()
    with pytest.raises(pool.PoolError):
        pool.pool_window(np.zeros((2, 2)), 3, 1)


@pytest.mark.parametrize(("k", "s"), [(2, 2), (3, 2), (2, 1), (3, 3)])
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_route_gradient_equals_autograd(kind: str, k: int, s: int) -> None:
    rng = np.random.default_rng(k * 7 + s)
    x = np.maximum(rng.normal(size=(9, 9)), 0.0)  # with ties at 0
    oh = (9 - k) // s + 1
    g = rng.normal(size=(oh, oh))
    routed = pool.route_gradient(x, g, kind, k, s)
    leaf = torch.from_numpy(x)[None, None].requires_grad_(True)
    y = (F.max_pool2d if kind == "max" else F.avg_pool2d)(leaf, k, s)
    (ref,) = torch.autograd.grad(y, leaf, torch.from_numpy(g)[None, None])
    np.testing.assert_allclose(routed, ref[0, 0].numpy(), atol=1e-12)
    assert routed.sum() == pytest.approx(g.sum())  # nothing is lost, nothing is created


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_backward_routing_equals_autograd_and_the_trace(name: str) -> None:
    model, tr = _model_trace(name)
    for rec in pool.pool_layers(tr):
        before = next(r for r in tr.layers if r.index == rec.index - 1)  # the activation feeding the pool
        assert torch.equal(before.output, rec.input)
        for ch in (0, rec.input.shape[1] - 1):
            pb = pool.pool_backward(tr, rec.key, ch)
            assert pb.kind == "max" and (pb.k, pb.s) == (2, 2)
            assert pb.max_abs_diff < 1e-9
            # the traced dL/d(activation output) is the real gradient at the pool input
            np.testing.assert_allclose(pb.routed, before.grad[0, ch].double().numpy(), atol=1e-6)
            assert pb.nonzero_frac <= 0.25 + 1e-9  # max pooling 2x2: at most one cell in four gets gradient
            np.testing.assert_allclose(pb.other, np.kron(pb.grad_out, np.ones((2, 2))) / 4, atol=1e-12)
    assert not has_hooks(model)


def test_shift_image_moves_without_wrapping() -> None:
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    y = pool.shift_image(x, 0, 1, fill=-1.0)
    np.testing.assert_array_equal(y[0, 0, :, 0].numpy(), [-1, -1, -1, -1])
    np.testing.assert_array_equal(y[0, 0, :, 1:].numpy(), x[0, 0, :, :3].numpy())
    d = pool.shift_image(x, 2, 1)
    assert d[0, 0, :2].eq(0).all() and d[0, 0, 2, 1] == 0 and d[0, 0, 3, 3] == x[0, 0, 1, 2]
    np.testing.assert_array_equal(pool.shift_image(x, 0, 0).numpy(), x.numpy())


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shift_study_equals_plain_forwards(name: str) -> None:
    model = models.load(name)
    snapshot = copy.deepcopy(model.state_dict())
    x = models.test_batch()[0][:1]
    study = pool.shift_study(model, x, "block1.pool", (1, 1), (0, 1, 2))
    assert [r.shift for r in study.rows] == [0, 1, 2]
    assert study.rows[0].pre_change == 0.0 and study.rows[0].post_change == 0.0
    with torch.no_grad():
        for row in study.rows:
            xs = pool.shift_image(x, row.shift, row.shift)
            pre = model.block1[:4](xs)  # conv → act → conv → act: the map the pool reads
            pre0 = model.block1[:4](x)
            post, post0 = model.block1(xs), model.block1(x)
            assert row.pre_change == pytest.approx(float((pre - pre0).norm() / pre0.norm()), rel=1e-4, abs=1e-7)
            assert row.post_change == pytest.approx(float((post - post0).norm() / post0.norm()), rel=1e-4, abs=1e-7)
            p = torch.softmax(model(xs)[0], 0)
            assert row.prob_of_original == pytest.approx(float(p[study.original_class]), abs=1e-5)
            assert row.prediction == int(p.argmax())
    assert study.original_class == int(model(x).argmax())
    assert not has_hooks(model) and not model.training
    for k, v in model.state_dict().items():
        assert torch.equal(v, snapshot[k])


def test_figures_build_without_streamlit() -> None:
    _, tr = _model_trace(MODEL_NAMES[0])
    rec = tr["block1.pool"]
    fig = figs.pool_maps(rec.output[0], "out", range_mode="global", fixed=2.0, signed=False)
    assert isinstance(fig, go.Figure) and (fig.data[0].zmin, fig.data[0].zmax) == (0.0, 2.0)
    table = pool.numeric_view(rec.input[0, 0].numpy(), 10, 10)
    nv = figs.numeric_view(table, titles=("a", "b", "c"))
    assert len(nv.data) == 3
    rings = [s for s in nv.layout.shapes if s.line.width == 4]
    assert len(rings) == int(table.is_max.sum())
    np.testing.assert_allclose(np.asarray(nv.data[1].z, dtype=float), table.max_out)
    pb = pool.pool_backward(tr, rec.key, 0)
    bw = figs.backward_maps(pb, rec.input[0, 0], titles=("x", "gy", "gx", "other"))
    assert len(bw.data) == 4 and bw.data[2].zmin == -bw.data[2].zmax
    study = pool.ShiftStudy("block1.pool", (0, 1), 0, (pool.ShiftRow(0, 0.0, 0.0, 0.9, 0, 0.9),
                                                       pool.ShiftRow(1, 0.4, 0.3, 0.8, 0, 0.8)))
    sf = figs.shift_figure(study)
    assert [list(d.y) for d in sf.data] == [[0.0, 0.4], [0.0, 0.3], [0.9, 0.8]]
