"""Pooling explanations against F.max_pool2d / F.avg_pool2d, autograd, the trace and plain forwards."""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

import models
from explain import pooling as pool
from explain.hooks import has_hooks
from explain.trace import trace
from tests.helpers import committed_trace, expected_colour, picture_cell
from ui.figures import pooling as figs

MODEL_NAMES = [m.name for m in models.available()]




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
    _, tr = committed_trace(MODEL_NAMES[0])
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
    model, tr = committed_trace(name)
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
    _, tr = committed_trace(MODEL_NAMES[0])
    rec = tr["block1.pool"]
    pic = figs.pool_maps(rec.output[0], "out", range_mode="global", fixed=2.0, signed=False)
    assert (pic.zmin, pic.zmax, pic.title) == (0.0, 2.0, "out") and len(pic.origins) == rec.output.shape[1]
    v = float(rec.output[0, 3, 5, 6])
    assert np.abs(picture_cell(pic, 3, 5, 6) - expected_colour(v, 0.0, 2.0, "Viridis")).max() <= 1
    table = pool.numeric_view(rec.input[0, 0].numpy(), 10, 10)
    nv = figs.numeric_view(table, titles=("a", "b", "c"))
    assert len(nv.data) == 3
    rings = [s for s in nv.layout.shapes if s.line.width == 4]
    assert len(rings) == int(table.is_max.sum())
    np.testing.assert_allclose(np.asarray(nv.data[1].z, dtype=float), table.max_out)
    pb = pool.pool_backward(tr, rec.key, 0)
    bw = figs.backward_maps(pb, rec.input[0, 0], titles=("x", "gy", "gx", "other"))
    assert [p.title for p in bw] == ["x", "gy", "gx", "other"] and bw[2].zmin == -bw[2].zmax
    m = max(float(np.abs(np.asarray(g)).max()) for g in (pb.grad_out, pb.routed, pb.other))
    assert bw[1].zmax == pytest.approx(m) and bw[2].zmax == bw[3].zmax == bw[1].zmax  # one range for the gradients
    r, c = np.unravel_index(np.abs(pb.routed).argmax(), pb.routed.shape)
    want = expected_colour(float(pb.routed[r, c]), -m, m, "RdBu_r")
    assert np.abs(picture_cell(bw[2], 0, int(r), int(c)) - want).max() <= 1
    study = pool.ShiftStudy("block1.pool", (0, 1), 0, (pool.ShiftRow(0, 0.0, 0.0, 0.9, 0, 0.9),
                                                       pool.ShiftRow(1, 0.4, 0.3, 0.8, 0, 0.8)))
    sf = figs.shift_figure(study)
    assert [list(d.y) for d in sf.data] == [[0.0, 0.4], [0.0, 0.3], [0.9, 0.8]]


# --- any set-up: padding, dilation, ceil_mode, adaptive windows (the ImageNet models) ----------------------


@pytest.mark.parametrize(("n", "k", "s", "p", "d", "ceil"), [
    (112, 3, 2, 1, 1, False),  # ResNet stem
    (111, 3, 2, 0, 1, True),  # SqueezeNet (exact: ceil changes nothing)
    (112, 3, 2, 0, 1, True),  # ceil matters: a last partial window
    (8, 2, 3, 1, 1, True),  # ceil, last window would start in the right padding: o − 1
    (10, 3, 2, 1, 2, False),  # dilation
    (9, 4, 3, 2, 1, True),
])
def test_output_size_and_windows_equal_max_pool2d(n: int, k: int, s: int, p: int, d: int, ceil: bool) -> None:
    rng = np.random.default_rng(n + k + s)
    x = np.maximum(rng.normal(size=(n, n)), 0.0)  # ties at 0
    ref, idx = F.max_pool2d(torch.from_numpy(x)[None, None], k, s, p, d, ceil_mode=ceil, return_indices=True)
    assert pool.output_size(n, k, s, p, d, ceil) == ref.shape[-1]
    spec = pool.PoolSpec("max", False, (k, k), (s, s), (p, p), (d, d), ceil)
    cp = pool.pool_channel(x, spec)
    np.testing.assert_array_equal(cp.out, ref[0, 0].numpy())
    np.testing.assert_array_equal(cp.argmax, idx[0, 0].numpy())  # same winner, PyTorch's tie rule
    g = rng.normal(size=ref.shape[-2:])
    leaf = torch.from_numpy(x)[None, None].requires_grad_(True)
    (auto,) = torch.autograd.grad(F.max_pool2d(leaf, k, s, p, d, ceil_mode=ceil), leaf, torch.from_numpy(g)[None, None])
    np.testing.assert_allclose(pool.route_channel(x, g, spec), auto[0, 0].numpy(), atol=1e-12)


def test_ceil_mode_formula_by_hand() -> None:
    assert pool.output_size(112, 3, 2) == 55 and pool.output_size(112, 3, 2, ceil_mode=True) == 56
    assert pool.output_size(8, 2, 3, 1, ceil_mode=True) == 3  # ⌈7/3⌉ + 1 = 4, but (4 − 1)·3 ≥ 8 + 1
    with pytest.raises(pool.PoolError):
        pool.output_size(2, 3, 1)


@pytest.mark.parametrize(("n", "o"), [(7, 1), (13, 1), (6, 6), (10, 3), (7, 4), (5, 7), (56, 7)])
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_adaptive_windows_equal_adaptive_pool2d(n: int, o: int, kind: str) -> None:
    rng = np.random.default_rng(n * o)
    x = rng.normal(size=(n, n))
    spec = pool.PoolSpec(kind, True)
    fn = F.adaptive_max_pool2d if kind == "max" else F.adaptive_avg_pool2d
    ref = fn(torch.from_numpy(x)[None, None], (o, o))[0, 0].numpy()
    cp = pool.pool_channel(x, spec, (o, o))
    np.testing.assert_allclose(cp.out, ref, atol=1e-12)
    for i in range(o):  # window i covers ⌊i·n/o⌋ … ⌈(i+1)·n/o⌉ − 1
        a, b = pool.adaptive_range(i, n, o)
        assert (a, b) == (math.floor(i * n / o), math.ceil((i + 1) * n / o))
        win = x[a:b, cp.cols.cells[0]]
        assert abs(ref[i, 0] - (win.max() if kind == "max" else win.mean())) < 1e-12
    g = rng.normal(size=(o, o))
    leaf = torch.from_numpy(x)[None, None].requires_grad_(True)
    (auto,) = torch.autograd.grad(fn(leaf, (o, o)), leaf, torch.from_numpy(g)[None, None])
    np.testing.assert_allclose(pool.route_channel(x, g, spec), auto[0, 0].numpy(), atol=1e-12)


@pytest.mark.parametrize("cip", [True, False])
def test_avg_pool_with_padding_divisor(cip: bool) -> None:
    x = np.arange(25.0).reshape(5, 5)
    spec = pool.PoolSpec("avg", False, (3, 3), (2, 2), (1, 1), count_include_pad=cip, ceil_mode=True)
    ref = F.avg_pool2d(torch.from_numpy(x)[None, None], 3, 2, 1, ceil_mode=True, count_include_pad=cip)[0, 0]
    cp = pool.pool_channel(x, spec)
    np.testing.assert_allclose(cp.out, ref.numpy(), atol=1e-12)
    assert cp.divisor[0, 0] == (9 if cip else 4)  # corner window: 4 real cells of 9
    g = np.ones(ref.shape)
    leaf = torch.from_numpy(x)[None, None].requires_grad_(True)
    out = F.avg_pool2d(leaf, 3, 2, 1, ceil_mode=True, count_include_pad=cip)
    (auto,) = torch.autograd.grad(out, leaf, torch.from_numpy(g)[None, None])
    np.testing.assert_allclose(pool.route_channel(x, g, spec), auto[0, 0].numpy(), atol=1e-12)


def test_window_cell_and_backward_on_resnet18_stem() -> None:
    from torchvision.models import resnet18

    torch.manual_seed(0)
    m = resnet18().eval()
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    tr = trace(m, x)
    rec = tr["maxpool"]
    spec = pool.pool_spec(rec)
    assert (spec.kind, spec.k, spec.s, spec.p, spec.simple) == ("max", (3, 3), (2, 2), (1, 1), False)
    with pytest.raises(pool.PoolError):
        pool.pool_params(rec)  # the plain 4×4 view does not draw it
    cell = pool.window_cell(rec, 5, 0, 0)  # top-left: the window hangs over the padding
    assert cell.rows == (0, 1) and cell.cols == (0, 1) and cell.padded == 5
    ref = F.max_pool2d(rec.input, 3, 2, 1)
    assert cell.value == pytest.approx(float(ref[0, 5, 0, 0])) and cell.value == pytest.approx(cell.recorded)
    assert cell.value == pytest.approx(float(rec.input[0, 5, :2, :2].max()))
    pb = pool.pool_backward(tr, "maxpool", 5)
    assert pb.max_abs_diff < 1e-12
    np.testing.assert_allclose(pb.routed, tr["relu"].grad[0, 5].double().numpy(), atol=1e-6)  # = dL/d(relu out)
    avg = pool.pool_backward(tr, "avgpool", 3)
    assert avg.kind == "avg" and avg.k == 0  # adaptive
    np.testing.assert_allclose(avg.routed, np.full(avg.routed.shape, avg.grad_out[0, 0] / avg.routed.size))
    cp = pool.pool_channel(rec.input[0, 5].double().numpy(), spec, tuple(rec.output.shape[-2:]))
    counts = pool.pick_counts(cp, tuple(rec.input.shape[-2:]))
    assert counts.sum() == rec.output[0, 5].numel() and counts.max() <= 4
    # what the window tab prints: the picks, the strongest output cell, the F.* call that checks the backward
    _, idx = F.max_pool2d(rec.input[:, 5:6], 3, 2, 1, return_indices=True)
    by_torch = np.bincount(idx.ravel().numpy(), minlength=rec.input[0, 5].numel()).reshape(counts.shape)
    picks = pool.picks(rec, 5)
    np.testing.assert_array_equal(picks.counts, by_torch)
    assert picks.picked == pytest.approx(float((by_torch > 0).mean())) and picks.most == int(by_torch.max())
    i, j = pool.strongest_cell(rec, 5)
    assert float(rec.output[0, 5, i, j]) == float(ref[0, 5].max())
    assert getattr(F, spec.functional)(rec.input, spec.k, spec.s, spec.p).equal(rec.output)
    adaptive = pool.pool_spec(tr["avgpool"])
    assert getattr(F, adaptive.functional)(tr["avgpool"].input, 1).equal(tr["avgpool"].output)
    assert not has_hooks(m)


@pytest.mark.parametrize(("n", "k", "s", "p"), [(112, 3, 2, 0), (8, 2, 3, 1), (9, 4, 3, 2), (7, 2, 2, 0)])
def test_floor_size_is_the_size_without_ceil_mode(n: int, k: int, s: int, p: int) -> None:
    spec = pool.PoolSpec("max", False, (k, k), (s, s), (p, p), ceil_mode=True)
    x = torch.zeros(1, 1, n, n)
    assert spec.floor_size(n) == F.max_pool2d(x, k, s, p, ceil_mode=False).shape[-1]
    assert pool.output_size(n, k, s, p, ceil_mode=True) == F.max_pool2d(x, k, s, p, ceil_mode=True).shape[-1]


@pytest.mark.parametrize(("n", "o"), [(7, 7), (13, 7), (7, 3), (20, 10)])
def test_adaptive_rows_are_the_bins_of_adaptive_pool2d(n: int, o: int) -> None:
    """Each listed bin, averaged, is the row of F.adaptive_avg_pool2d; n = o is the identity."""
    rows = pool.adaptive_rows(n, o, limit=8)
    assert len(rows.bins) == min(o, 8) and rows.more is (o > 8) and rows.identity is (n == o)
    x = torch.randn(1, 1, n, 1, generator=torch.Generator().manual_seed(n * o), dtype=torch.float64)
    ref = F.adaptive_avg_pool2d(x, (o, 1))[0, 0, :, 0]
    for r, (a, b) in enumerate(rows.bins):
        assert float(x[0, 0, a:b, 0].mean()) == pytest.approx(float(ref[r]), abs=1e-12)
    if rows.identity:
        assert torch.equal(ref, x[0, 0, :, 0])


def test_shift_study_is_bounded() -> None:
    model = models.load(MODEL_NAMES[0])
    x = models.test_batch()[0][:1]
    with pytest.raises(pool.PoolError):
        pool.shift_study(model, x, "block1.pool", (0, 1), tuple(range(pool.MAX_SHIFTS + 1)))
