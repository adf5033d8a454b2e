"""Convolution explanations against independent references: hand-set weights, F.conv2d, nn.Conv2d, autograd."""

from __future__ import annotations

import itertools

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from torch import nn
from torch.nn import functional as F

import models
from explain import convolution as conv
from explain import kernels as kern
from explain.hooks import has_hooks
from explain.imaging import prepare
from explain.trace import trace
from tests.helpers import committed_trace, expected_colour, photo_bytes, picture_cell
from ui.figures import convolution as figs

MODEL_NAMES = [m.name for m in models.available()]




def _tiny(kernel: list[list[float]], bias: float, act: nn.Module | None = None) -> nn.Module:
    c = nn.Conv2d(1, 1, 3, padding=1)
    with torch.no_grad():
        c.weight.copy_(torch.tensor(kernel)[None, None])
        c.bias.fill_(bias)
    return nn.Sequential(c, act or nn.ReLU(), nn.Flatten()).eval()  # the tracer wants [N, K] logits


# ---------------------------------------------------------------- hand-set weights, known outputs
def test_all_ones_kernel_on_4x4_gives_neighbour_sums() -> None:
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    tr = trace(_tiny([[1.0] * 3] * 3, 0.0), x)
    expected = np.array([[10, 18, 24, 18], [27, 45, 54, 39], [51, 81, 90, 63], [42, 66, 72, 50]], dtype=float)
    np.testing.assert_allclose(tr["0"].output[0, 0].numpy(), expected)
    for i, j in itertools.product(range(4), range(4)):
        step = conv.conv_step(tr, "0", 0, i, j)
        assert step.pre_activation == pytest.approx(expected[i, j])
        assert step.post_activation == pytest.approx(expected[i, j])  # ReLU of a positive sum
        assert step.matches
    corner = conv.conv_step(tr, "0", 0, 0, 0)
    assert corner.origin == (-1, -1)
    assert corner.is_pad.tolist() == [[True, True, True], [True, False, False], [True, False, False]]
    np.testing.assert_array_equal(corner.patch[0], [[0, 0, 0], [0, 0, 1], [0, 4, 5]])
    np.testing.assert_array_equal(corner.products[0], corner.patch[0])


def test_course_kernel_bias_and_relu_by_hand() -> None:
    # kernel [[1,-1,0],[0,-1,1],[1,0,-1]], bias -1; at the centre (1,1) of arange(16):
    # 1·0 − 1·1 + 0·2 + 0·4 − 1·5 + 1·6 + 1·8 + 0·9 − 1·10 = −2 → z = −3 → ReLU 0
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    tr = trace(_tiny([[1, -1, 0], [0, -1, 1], [1, 0, -1]], -1.0), x)
    step = conv.conv_step(tr, "0", 0, 1, 1)
    assert step.total == pytest.approx(-2.0)
    assert step.bias == pytest.approx(-1.0)
    assert step.pre_activation == pytest.approx(-3.0)
    assert step.activation == "ReLU" and step.post_activation == 0.0 and step.recorded_post == 0.0
    np.testing.assert_array_equal(step.products[0], [[0, -1, 0], [0, -5, 6], [8, 0, -10]])


def test_strided_dilated_grouped_conv_matches_recorded() -> None:
    torch.manual_seed(0)
    layer = nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2)
    model = nn.Sequential(layer, nn.Tanh(), nn.Flatten()).eval()
    tr = trace(model, torch.randn(1, 4, 9, 9))
    out = tr["0"].output
    for o, i, j in [(0, 0, 0), (3, 2, 1), (5, 4, 4), (2, 1, 3)]:
        step = conv.conv_step(tr, "0", o, i, j)
        assert step.in_channels == ((0, 1) if o < 3 else (2, 3))
        assert step.pre_activation == pytest.approx(float(out[0, o, i, j]), abs=1e-5)
        assert step.post_activation == pytest.approx(float(torch.tanh(out[0, o, i, j])), abs=1e-6)
    with pytest.raises(conv.ConvError):
        conv.conv_step(tr, "0", 6, 0, 0)
    with pytest.raises(conv.ConvError):
        conv.conv_step(tr, "1", 0, 0, 0)


# ---------------------------------------------------------------- the real models
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_arithmetic_equals_feature_map_and_f_conv2d(name: str) -> None:
    model, tr = committed_trace(name)
    layers = conv.conv_layers(tr)
    assert [r.key for r in layers] == ["block1.conv1", "block1.conv2", "block2.conv1", "block2.conv2"]
    for rec in layers:
        ref = F.conv2d(rec.input, rec.params["weight"], rec.params["bias"], padding=1)  # independent recompute
        _, oc, h, w = rec.output.shape
        act = conv.activation_after(tr, rec)
        assert act is not None
        for o, i, j in [(0, 0, 0), (oc - 1, h - 1, w - 1), (oc // 2, h // 2, w // 3)]:
            step = conv.conv_step(tr, rec.key, o, i, j)
            assert step.matches, (rec.key, o, i, j, step.error)
            assert step.total + step.bias == pytest.approx(float(ref[0, o, i, j]), abs=1e-4)
            assert step.post_activation == pytest.approx(float(act.output[0, o, i, j]), abs=1e-5)
            assert step.products.size == rec.input.shape[1] * 9
            assert step.channel_sums.sum() == pytest.approx(step.total)
        r, c = conv.strongest_position(rec, 0)
        assert float(rec.output[0, 0, r, c]) == pytest.approx(float(rec.output[0, 0].max()))
    assert not has_hooks(model)


@pytest.mark.parametrize("kind", ["ReLU", "Sigmoid", "Tanh", "ELU", "PReLU", "LeakyReLU", "GELU", "SiLU"])
def test_apply_activation_equals_module(kind: str) -> None:
    torch.manual_seed(1)
    mod = {"PReLU": nn.PReLU(3, init=0.1), "ELU": nn.ELU(alpha=0.7), "LeakyReLU": nn.LeakyReLU(0.2)}.get(
        kind, getattr(nn, kind)())
    if kind == "PReLU":
        with torch.no_grad():
            mod.weight.copy_(torch.tensor([0.1, 0.3, -0.2]))
    model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), mod, nn.Flatten()).eval()
    tr = trace(model, torch.randn(1, 1, 5, 5))
    for ch, i, j in itertools.product(range(3), range(0, 5, 2), range(0, 5, 2)):
        step = conv.conv_step(tr, "0", ch, i, j)
        assert step.activation == kind
        assert step.post_activation == pytest.approx(float(tr["1"].output[0, ch, i, j]), abs=1e-6)


# ---------------------------------------------------------------- output size and sliding window
def test_output_size_formula_equals_nn_conv2d_over_grid() -> None:
    for n, k, p, s in itertools.product(range(1, 10), range(1, 6), range(0, 3), range(1, 4)):
        layer = nn.Conv2d(1, 1, k, stride=s, padding=p, bias=False)
        try:
            real = layer(torch.zeros(1, 1, n, n)).shape[-1]
        except RuntimeError:
            with pytest.raises(conv.ConvError):
                conv.output_size(n, k, p, s)
            continue
        assert conv.output_size(n, k, p, s) == real, (n, k, p, s)
        assert conv.output_size(n, k, p, s) == (n + 2 * p - k) // s + 1


def test_sliding_window_positions_and_sums() -> None:
    sw = conv.sliding_window(7, 3, 1, 2)
    assert sw.out == 4 and sw.numerator == 6 and sw.unused == 0 and sw.padded == 9
    assert len(sw.positions) == 16 and sw.positions[1] == (0, 2) and sw.positions[4] == (2, 0)
    for idx, (top, left) in enumerate(sw.positions):
        i, j = divmod(idx, sw.out)
        assert sw.outputs[i, j] == pytest.approx(sw.padded_input[top:top + 3, left:left + 3].sum())
    assert conv.sliding_window(7, 2, 0, 2).unused == 1
    with pytest.raises(conv.ConvError):
        conv.sliding_window(3, 5, 0, 1)
    # one step of the explorer: the window's place, the output cell it fills, and its sum
    assert sw.quotient == 3 and sw.out == sw.quotient + 1
    assert sw.step(5) == ((2, 2), (1, 1), pytest.approx(float(sw.padded_input[2:5, 2:5].sum())))
    ones = F.conv2d(torch.from_numpy(sw.padded_input)[None, None], torch.ones(1, 1, 3, 3), stride=2)[0, 0]
    assert all(sw.step(i)[2] == pytest.approx(float(ones[divmod(i, 4)])) for i in range(16))


def test_running_sums_and_the_most_active_channel() -> None:
    """The table of the largest partial sums: each is that input channel alone through its kernel slice
    (F.conv2d), largest |sum| first, and the running total of all of them is Σ before the bias."""
    torch.manual_seed(3)
    layer = nn.Conv2d(12, 4, 3, padding=1)
    tr = trace(nn.Sequential(layer, nn.ReLU(), nn.Flatten()).eval(), torch.randn(1, 12, 6, 6))
    rec = tr["0"]
    step = conv.conv_step(tr, "0", 2, 3, 4)
    rows = step.running_sums(20)
    assert len(rows) == 12 and [c for c, _, _ in rows] == [step.in_channels[i] for i in step.ranked_inputs()]
    for c, part, _ in rows:
        alone = F.conv2d(rec.input[:, [c]], layer.weight[2:3, c:c + 1].detach(), None, padding=1)
        assert part == pytest.approx(float(alone[0, 0, 3, 4]), abs=1e-5)
    assert [abs(p) for _, p, _ in rows] == sorted((abs(p) for _, p, _ in rows), reverse=True)
    assert rows[-1][2] == pytest.approx(step.total, abs=1e-9) and rows[0][2] == rows[0][1]
    assert len(step.running_sums(5)) == 5
    means = rec.output[0].mean(dim=(1, 2))
    assert conv.most_active_channel(rec) == int(means.argmax())


def test_square_geometry() -> None:
    """One formula serves both axes exactly when n, k, s, p and d agree on both."""
    cases = [(nn.Conv2d(1, 1, 3, padding=1), (8, 8), True), (nn.Conv2d(1, 1, (3, 2)), (8, 8), False),
             (nn.Conv2d(1, 1, 3, stride=(1, 2)), (8, 8), False), (nn.Conv2d(1, 1, 3), (8, 9), False)]
    for layer, (h, w), square in cases:
        tr = trace(nn.Sequential(layer, nn.Flatten()).eval(), torch.randn(1, 1, h, w))
        assert conv.geometry(tr["0"]).square is square


# ---------------------------------------------------------------- receptive fields
def test_receptive_fields_on_hand_checked_network() -> None:
    # conv3 s1 → r 3, j 1; conv3 s2 → r 5, j 2; maxpool2 → r 7, j 4; conv3 → r 15, j 4
    net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Conv2d(2, 2, 3, stride=2, padding=1),
                        nn.MaxPool2d(2), nn.Conv2d(2, 2, 3, padding=1), nn.Flatten(), nn.Linear(32, 3)).eval()
    tr = trace(net, torch.rand(1, 1, 16, 16))
    rows = {f.key: f for f in conv.receptive_fields(tr)}
    assert [(rows[k].receptive_field, rows[k].jump) for k in ("0", "1", "2", "3", "4")] == \
        [(3, 1), (3, 1), (5, 2), (7, 4), (15, 4)]
    assert (rows["2"].height, rows["3"].height, rows["4"].channels) == (8, 4, 2)
    assert rows["5"].receptive_field is None and rows["6"].receptive_field is None
    assert conv.receptive_field_chain([(3, 1, 1), (3, 2, 1), (2, 2, 1), (3, 1, 1)]) == [(3, 1), (5, 2), (7, 4), (15, 4)]
    # a large network's table keeps the convolution and pooling rows only
    assert [f.key for f in conv.spatial_rows(list(rows.values()))] == ["0", "2", "3", "4"]
    assert conv.receptive_field_chain([(3, 1, 2)]) == [(5, 1)]  # dilation 2: a 3x3 kernel spans 5


def test_receptive_field_equals_gradient_support() -> None:
    """Positive weights and average pooling (max pooling routes to one pixel only): the support is exactly r."""
    net = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.Conv2d(1, 1, 3, padding=1), nn.AvgPool2d(2),
                        nn.Conv2d(1, 1, 3, padding=1), nn.AvgPool2d(2), nn.Conv2d(1, 1, 3, padding=1), nn.Flatten())
    for m in net:
        if isinstance(m, nn.Conv2d):
            nn.init.constant_(m.weight, 0.1)
            nn.init.zeros_(m.bias)
    x = torch.ones(1, 1, 64, 64, requires_grad=True)
    tr = trace(net.eval(), x.detach())
    fields = {f.key: f.receptive_field for f in conv.receptive_fields(tr)}
    h = x
    for i, m in enumerate(net[:-1]):
        h = m(h)
        if isinstance(m, nn.Conv2d):
            c = h.shape[-1] // 2
            (g,) = torch.autograd.grad(h[0, 0, c, c], x, retain_graph=True)
            ys, xs = torch.nonzero(g[0, 0], as_tuple=True)
            assert int(ys.max() - ys.min() + 1) == fields[str(i)], i
            assert int(xs.max() - xs.min() + 1) == fields[str(i)], i


def test_tinyvgg_receptive_fields() -> None:
    _, tr = committed_trace(MODEL_NAMES[0])
    rf = {f.key: f.receptive_field for f in conv.receptive_fields(tr)}
    assert [rf[k] for k in ("block1.conv1", "block1.conv2", "block1.pool", "block2.conv1", "block2.conv2",
                            "block2.pool")] == [3, 5, 6, 10, 14, 16]


# ---------------------------------------------------------------- playground and 1-D lab
@pytest.mark.parametrize("name", list(kern.KERNELS))
def test_playground_equals_f_conv2d(name: str) -> None:
    rng = np.random.default_rng(0)
    img = rng.random((20, 31)).astype(np.float32)
    k = kern.KERNELS[name]
    res = kern.filter2d(img, k)
    ref = F.conv2d(torch.from_numpy(img)[None, None], torch.tensor(k, dtype=torch.float32)[None, None],
                   padding=(k.shape[0] // 2, k.shape[1] // 2))[0, 0].numpy()
    np.testing.assert_allclose(res.output, ref, atol=1e-5)
    assert res.vmin == pytest.approx(ref.min()) and res.vmax == pytest.approx(ref.max())


def test_playground_course_kernel_by_hand_loop() -> None:
    img = np.arange(25, dtype=np.float32).reshape(5, 5)
    k = kern.KERNELS["course_2d"]
    pad = np.pad(img, 1)
    ref = np.array([[(pad[i:i + 3, j:j + 3] * k).sum() for j in range(5)] for i in range(5)])
    np.testing.assert_allclose(kern.filter2d(img, k).output, ref, atol=1e-5)
    # the 1-D course kernel as 1x3: y = left − right
    y = kern.filter2d(img, kern.KERNELS["course_1d"]).output
    assert y[2, 2] == pytest.approx(img[2, 1] - img[2, 3])


def test_filter1d_detects_the_step() -> None:
    s = np.array([0, 0, 0, 1, 1, 1], dtype=float)
    np.testing.assert_allclose(kern.filter1d(s, [1, 0, -1]), [0, 0, -1, -1, 0, 1])
    step = kern.synthetic_signal("step", 64)
    y = kern.filter1d(step, [1, 0, -1])
    assert kern.edges(y[1:-1]) == [30, 31]  # |y| peaks at the jump (32), away from the padded ends
    np.testing.assert_allclose(kern.filter1d(np.ones(8), [1 / 3] * 3)[1:-1], 1.0)
    assert kern.edges(np.zeros(5)) == []


def test_parse_kernel_accepts_numbers_only() -> None:
    np.testing.assert_allclose(kern.parse_kernel("1, 0, -1"), [1, 0, -1])
    np.testing.assert_allclose(kern.parse_kernel("[1/4  1/2；1/4]"), [0.25, 0.5, 0.25])
    np.testing.assert_allclose(kern.parse_kernel("−1，2e-1"), [-1, 0.2])
    for text, code in [("", "empty"), ("  , ", "empty"), ("1, a", "token"), ("__import__('os')", "token"),
                       ("1/0", "zero_division"), ("1e400", "range"), (",".join(["1"] * 16), "too_long"),
                       ("2**8", "token"), ("nan", "token")]:
        with pytest.raises(kern.KernelError) as e:
            kern.parse_kernel(text)
        assert e.value.code == code, text


def test_large_gray_is_bounded_and_in_unit_range() -> None:
    prepared = prepare(photo_bytes(size=(640, 480)), "photo.jpg")
    g = kern.large_gray(prepared)
    assert max(g.shape) == 256 and g.shape == (192, 256)
    assert 0.0 <= g.min() and g.max() <= 1.0
    p = kern.pixels01(prepared)
    np.testing.assert_allclose(p * 255, prepared.pixels, atol=1e-4)


# ---------------------------------------------------------------- figures, without Streamlit
def test_figures_build_without_streamlit() -> None:
    _, tr = committed_trace(MODEL_NAMES[0])
    rec = tr["block1.conv2"]
    out = rec.output[0]
    fig = figs.feature_maps(out, figs.shape_title(rec.key, rec.output.shape), range_mode="layer")
    assert fig.title == "block1.conv2 · [1, 16, 28, 28]" and len(fig.origins) == 16
    m = float(out.abs().max())
    assert (fig.zmin, fig.zmax) == pytest.approx((-m, m), rel=1e-6)
    assert np.abs(picture_cell(fig, 5, 2, 3) - expected_colour(float(out[5, 2, 3]), -m, m, "RdBu_r")).max() <= 1
    per_map = figs.feature_maps(out, "t", range_mode="map")
    m5 = float(out[5].abs().max())
    want = expected_colour(float(out[5, 2, 3]) / m5, -1, 1, "RdBu_r")
    assert np.abs(picture_cell(per_map, 5, 2, 3) - want).max() <= 1
    fixed = figs.feature_maps(out, "t", range_mode="global", fixed=3.0)
    assert (fixed.zmin, fixed.zmax) == (-3.0, 3.0)
    w = rec.params["weight"]
    kw = figs.kernel_weights(w, "k")
    mw = float(w.abs().max())
    assert (kw.zmin, kw.zmax) == pytest.approx((-mw, mw)) and len(kw.origins) == w.shape[0] * w.shape[1]
    # row o holds output channel o's kernels, one column per input channel: out 1, in 2 is tile 1·16 + 2
    for u in range(3):
        for v in range(3):
            want = expected_colour(float(w[1, 2, u, v]), -mw, mw, "RdBu_r")
            assert np.abs(picture_cell(kw, 1 * w.shape[1] + 2, u, v) - want).max() <= 1
    step = conv.conv_step(tr, rec.key, 3, 0, 5)
    ar = figs.arithmetic(step, 0, titles=("a", "b", "c"))
    assert len(ar.data) == 3 and len(ar.layout.shapes) == int(step.is_pad.sum()) * 2
    assert isinstance(figs.channel_sums(step), go.Figure)
    assert isinstance(figs.feature_map_marker(rec.output[0, 3], 0, 5, 3, step.origin, input_map=rec.input[0, 0],
                                              titles=("x", "y")), go.Figure)
    sw = conv.sliding_window(7, 3, 1, 2)
    swf = figs.sliding_window_figure(sw, 5, titles=("in", "out"))
    shown = np.asarray(swf.data[2].z, dtype=float)
    assert np.isfinite(shown).sum() == 6  # the first 6 outputs are filled in
    rgb = figs.colorize(np.array([[-1.0, 0.0, 1.0]]))
    assert rgb.shape == (1, 3, 3) and rgb.dtype == np.uint8
    assert rgb[0, 1].min() > 230  # 0 is white on the diverging scale
    assert rgb[0, 0, 2] > rgb[0, 0, 0] and rgb[0, 2, 0] > rgb[0, 2, 2]  # negative blue, positive red
    gray = figs.colorize(np.array([[0.0, 0.5, 1.0]]))
    assert gray[0, :, 0].tolist() == [0, 128, 255]
    assert isinstance(figs.filtered_heatmap(np.random.rand(28, 28) - 0.5), go.Figure)
    assert isinstance(figs.kernel_table(kern.KERNELS["course_1d"]), go.Figure)
    sig = figs.signal_figure(np.arange(5.0), {"a": np.ones(5)}, edges=[2], titles=("s", "y"))
    assert len(sig.data) == 2
    rff = figs.receptive_field_figure(conv.receptive_fields(tr), np.zeros((28, 28)), title="rf")
    assert len(rff.layout.shapes) == 6  # 4 conv + 2 pool squares
