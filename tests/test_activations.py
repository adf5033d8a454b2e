"""Activation functions and the space-warping demo against independent references."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

import models
from explain import activations as act
from explain import warp
from explain.hooks import has_hooks
from explain.trace import trace
from tests.helpers import expected_colour, picture_cell
from ui.figures import activations as figs

TORCH_FN = {
    "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "elu": nn.ELU(),
    "prelu": nn.PReLU(init=0.25), "leaky_relu": nn.LeakyReLU(0.01), "gelu": nn.GELU(), "silu": nn.SiLU(),
    "relu6": nn.ReLU6(), "hardswish": nn.Hardswish(), "hardsigmoid": nn.Hardsigmoid(), "mish": nn.Mish(),
    "selu": nn.SELU(), "hardtanh": nn.Hardtanh(),
}


@pytest.fixture(scope="module")
def relu_trace():
    model = models.load("tinyvgg-relu")
    x, _ = models.test_batch()
    return model, x[:1], trace(model, x[:1])


@pytest.mark.parametrize("name", act.FUNCTIONS)
def test_curve_matches_torch_and_finite_differences(name: str) -> None:
    # grid avoids the kinks at 0, ±1, ±3 and 6, where finite differences of piecewise functions are one-sided
    xs = np.r_[np.linspace(-6.9, -0.05, 60), np.linspace(0.05, 6.9, 60)].astype(np.float32)
    xs = xs[np.min(np.abs(xs[:, None] - np.array([-3.0, -1.0, 1.0, 3.0, 6.0])[None]), axis=1) > 1e-3]
    c = act.curve(name, xs)
    ref = TORCH_FN[name]
    with torch.no_grad():
        expected = ref(torch.from_numpy(xs)).numpy()
    np.testing.assert_allclose(c.y, expected, atol=1e-6)
    h = 1e-4
    xd = xs.astype(np.float64)
    f = {
        "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "tanh": np.tanh, "relu": lambda v: np.maximum(v, 0),
        "elu": lambda v: np.where(v > 0, v, np.expm1(v)), "prelu": lambda v: np.where(v > 0, v, 0.25 * v),
        "leaky_relu": lambda v: np.where(v > 0, v, 0.01 * v),
        "gelu": lambda v: v * 0.5 * (1 + np.vectorize(math.erf)(v / math.sqrt(2))),
        "silu": lambda v: v / (1 + np.exp(-v)),
        "relu6": lambda v: np.clip(v, 0, 6),
        "hardswish": lambda v: v * np.clip(v + 3, 0, 6) / 6,  # x·ReLU6(x + 3)/6
        "hardsigmoid": lambda v: np.clip(v + 3, 0, 6) / 6,  # ReLU6(x + 3)/6
        "mish": lambda v: v * np.tanh(np.log1p(np.exp(v))),
        "selu": lambda v: 1.0507009873554805 * np.where(v > 0, v, 1.6732632423543772 * np.expm1(v)),
        "hardtanh": lambda v: np.clip(v, -1, 1),
    }[name]
    fd = (f(xd + h) - f(xd - h)) / (2 * h)
    np.testing.assert_allclose(c.dy, fd, atol=2e-4)


def test_known_derivatives() -> None:
    c = act.curve("sigmoid", np.array([0.0], dtype=np.float32))
    assert c.dy[0] == pytest.approx(0.25)
    c = act.curve("tanh", np.array([0.0, 3.0], dtype=np.float32))
    np.testing.assert_allclose(c.dy, [1.0, 1 - math.tanh(3) ** 2], atol=1e-7)
    c = act.curve("relu", np.array([-1.0, 0.0, 2.0], dtype=np.float32))
    np.testing.assert_array_equal(c.dy, [0.0, 0.0, 1.0])


def test_modern_functions_by_hand() -> None:
    x = np.array([-4.0, -3.0, -1.5, 0.0, 1.0, 3.0, 5.0, 7.0], dtype=np.float32)
    np.testing.assert_allclose(act.curve("relu6", x).y, [0, 0, 0, 0, 1, 3, 5, 6])
    np.testing.assert_allclose(act.curve("hardsigmoid", x).y, [0, 0, 0.25, 0.5, 4 / 6, 1, 1, 1], atol=1e-7)
    np.testing.assert_allclose(act.curve("hardswish", x).y, [0, 0, -0.375, 0, 4 / 6, 3, 5, 7], atol=1e-6)
    silu = act.curve("silu", x)
    sig = 1 / (1 + np.exp(-x.astype(np.float64)))
    np.testing.assert_allclose(silu.dy, sig * (1 + x * (1 - sig)), atol=1e-6)  # σ(x)(1 + x(1 − σ(x)))
    np.testing.assert_allclose(act.curve("hardswish", np.array([1.0], np.float32)).dy, [(2 * 1 + 3) / 6], atol=1e-6)


def test_model_functions_and_kinds() -> None:
    from torchvision.models import mobilenet_v3_small

    m = mobilenet_v3_small()
    assert act.model_functions(m) == ["relu", "hardswish", "hardsigmoid"]
    assert act.model_functions(models.build("tinyvgg", "relu", seed=0)) == ["relu"]


def test_inplace_relu_pre_activation_is_real() -> None:
    """torchvision resnet18: ReLU(inplace=True) after bn1; the recorded input of relu is bn1's output."""
    from torchvision.models import resnet18

    torch.manual_seed(0)
    m = resnet18().eval()
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    tr = trace(m, x)
    torch.testing.assert_close(tr["relu"].input, tr["bn1"].output, rtol=0, atol=0)
    assert (tr["relu"].input < 0).any()  # not overwritten by the in-place ReLU
    with torch.no_grad():  # independent forward up to bn1
        z = m.bn1(m.conv1(x))
    torch.testing.assert_close(tr["bn1"].output, z)
    layers = act.activation_layers(tr)
    first = layers[0]
    assert (first.key, first.source_key, first.inplace) == ("relu", "bn1", True)
    torch.testing.assert_close(first.pre, z)
    torch.testing.assert_close(first.post, F.relu(z))
    r = act.apply("relu", first.pre)
    torch.testing.assert_close(r.post, first.post)
    assert r.frac_zero == pytest.approx(float((z <= 0).float().mean()))
    # the second ReLU of a basic block reads the residual sum: no module produced it
    second = next(a for a in layers if a.key == "layer1.0.relu#2")
    assert second.source_key == ""
    with torch.no_grad():
        b = m.layer1[0]
        inp = m.maxpool(F.relu(z))
        s = b.bn2(b.conv2(F.relu(b.bn1(b.conv1(inp))))) + inp
    torch.testing.assert_close(second.pre, s, rtol=1e-5, atol=1e-5)
    kinds = act.kinds_present(layers)
    assert [(k.kind, k.calls, k.inplace) for k in kinds] == [("ReLU", 17, 17)]
    assert not has_hooks(m)


def test_prelu_per_channel_matches_module() -> None:
    m = nn.PReLU(3)
    with torch.no_grad():
        m.weight.copy_(torch.tensor([0.1, -0.5, 0.9]))
    z = torch.randn(2, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    y, dy = act.value_and_derivative("prelu", z, m.weight.detach())
    with torch.no_grad():
        torch.testing.assert_close(y, m(z))
    slope = torch.tensor([0.1, -0.5, 0.9])[None, :, None, None].expand_as(z)
    torch.testing.assert_close(dy, torch.where(z > 0, torch.ones_like(z), slope))


def test_apply_on_hand_made_tensor() -> None:
    # channel 0: all negative → dead for ReLU; channel 1: two positives, one zero, one negative
    pre = torch.tensor([[[[-1.0, -2.0], [-3.0, -0.5]], [[1.0, 2.0], [0.0, -4.0]]]])
    r = act.apply("relu", pre)
    assert r.frac_zero == pytest.approx(6 / 8)
    assert r.frac_negative_in == pytest.approx(5 / 8)
    assert r.dead_channels == (0,)
    np.testing.assert_allclose(r.channels.frac_zero, [1.0, 0.5])
    np.testing.assert_allclose(r.channels.mean_out, [0.0, 0.75])
    np.testing.assert_allclose(r.channels.mean_in, [-1.625, -0.25])
    assert r.hist_in.counts.sum() == 8 and r.hist_out.counts.sum() == 8
    # sigmoid: |σ'(z)| < 0.01 ⇔ |z| > ~4.6
    s = act.apply("sigmoid", torch.tensor([[0.0, 1.0, 5.0, -8.0]]))
    assert s.frac_saturated == pytest.approx(0.5)
    assert s.frac_zero == 0.0
    t = act.apply("tanh", torch.tensor([[0.0, 2.0, 3.0, -4.0]]))  # tanh'(3) ≈ 0.0099
    assert t.frac_saturated == pytest.approx(0.5)


def test_activation_layers_pair_with_conv(relu_trace) -> None:
    model, x, tr = relu_trace
    layers = act.activation_layers(tr)
    assert [a.key for a in layers] == ["block1.act1", "block1.act2", "block2.act1", "block2.act2"]
    assert [a.source_key for a in layers] == ["block1.conv1", "block1.conv2", "block2.conv1", "block2.conv2"]
    with torch.no_grad():  # an independent forward that stops at block1.conv1
        z = model.block1.conv1(x)
        z2 = model.block1.conv2(F.relu(z))
    torch.testing.assert_close(layers[0].pre, z, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(layers[1].pre, z2, rtol=1e-5, atol=1e-5)
    r = act.apply("relu", layers[0].pre)
    torch.testing.assert_close(r.post, layers[0].post)
    assert r.frac_zero == pytest.approx(float((layers[0].post == 0).float().mean()))
    assert not has_hooks(model)


def test_prelu_slopes_read_only() -> None:
    m = models.build("tinyvgg", "prelu", seed=0)
    slopes = act.prelu_slopes(m)
    assert set(slopes) == {"block1.act1", "block1.act2", "block2.act1", "block2.act2"}
    assert slopes["block1.act1"].shape == (16,) and np.allclose(slopes["block1.act1"], 0.25)
    slopes["block1.act1"][0] = 9.0  # a copy: the model is unchanged
    assert float(m.block1.act1.weight.detach()[0]) == pytest.approx(0.25)
    assert act.prelu_slopes(models.build("tinyvgg", "relu", seed=0)) == {}


def test_prelu_trace_layer_uses_learned_slopes() -> None:
    m = models.build("tinyvgg", "prelu", seed=1)
    with torch.no_grad():
        m.block1.act1.weight.copy_(torch.linspace(-0.5, 1.0, 16))
    x, _ = models.test_batch()
    layer = act.activation_layers(trace(m, x[:1]))[0]
    assert layer.kind == "PReLU" and layer.slope is not None
    r = act.apply("prelu", layer.pre, layer.slope)
    torch.testing.assert_close(r.post, layer.post)


def test_variant_view(relu_trace) -> None:
    _, _, tr = relu_trace
    card = {"accuracy": {"test": 0.9}, "curves": {"val_acc": [0.8, 0.85]}}
    v = act.variant_view("m", tr, "block1.act1", card, channels=8)
    assert v.maps is not None and v.maps.shape == (8, 28, 28)
    np.testing.assert_array_equal(v.maps, tr["block1.act1"].output[0, :8].numpy())
    assert v.prediction == int(tr.logits[0].argmax()) and v.confidence == pytest.approx(float(tr.probs[0].max()))
    assert v.test_accuracy == 0.9 and v.val_curve == (0.8, 0.85)
    assert act.variant_view("m", tr, "nope", card).maps is None


# --- warp demo -------------------------------------------------------------------------------------------


def test_layer_matrix() -> None:
    w = warp.layer_matrix(30, 2.0, lift=False)
    th = math.radians(30)
    np.testing.assert_allclose(w, 2 * np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]]),
                               rtol=1e-6)
    np.testing.assert_allclose(w.T @ w, 4 * np.eye(2), atol=1e-5)  # rotation · scale
    w3 = warp.layer_matrix(0, 1.0, lift=True)
    assert w3.shape == (3, 2)
    np.testing.assert_allclose(np.linalg.norm(w3, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(w3.sum(0), 0.0, atol=1e-6)  # 120° apart


def test_warp_against_direct_computation() -> None:
    pts = warp.make_points("rings", n=50)
    w = warp.layer_matrix(40, 1.5, lift=True)
    b = np.array([-0.6, 0.2, 0.1], dtype=np.float32)
    r = warp.warp(pts, w, b, "tanh")
    direct = np.tanh(pts.xy.astype(np.float64) @ w.T.astype(np.float64) + b)
    np.testing.assert_allclose(r.points_out, direct, atol=1e-6)
    np.testing.assert_allclose(r.lines_out[3], np.tanh(r.lines[3] @ w.T + b), atol=1e-5)
    lin = warp.warp(pts, w, b, None)
    np.testing.assert_allclose(lin.points_out, pts.xy @ w.T + b, atol=1e-5)


def test_rings_need_the_bend() -> None:
    pts = warp.make_points("rings")
    assert warp.linear_separability(pts.xy, pts.label) < 0.75  # the best line: a cap of the outer ring
    r = warp.warp(pts, warp.layer_matrix(0, 1.0, lift=True), np.full(3, -0.6, np.float32), "relu")
    assert r.acc_linear == pytest.approx(r.acc_input, abs=1 / 240)  # W·x + b alone cannot help
    assert r.acc_out == 1.0  # the ReLU fold does: the page's tip, a plane separates the classes
    sep = warp.Points(np.array([[0, 0], [1, 0], [3, 3], [4, 3]], np.float32), np.array([0, 0, 1, 1]))
    assert warp.linear_separability(sep.xy, sep.label) == 1.0


def test_stacked_linear_identity() -> None:
    rng = np.random.default_rng(0)
    w1, b1, w2, b2 = rng.normal(size=(3, 2)), rng.normal(size=3), rng.normal(size=(2, 3)), rng.normal(size=2)
    x = rng.normal(size=(40, 2))
    s = warp.stacked_linear(w1, b1, w2, b2, x, activation="relu")
    ref = torch.nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 2)).double()
    with torch.no_grad():
        ref[0].weight.copy_(torch.from_numpy(w1))
        ref[0].bias.copy_(torch.from_numpy(b1))
        ref[1].weight.copy_(torch.from_numpy(w2))
        ref[1].bias.copy_(torch.from_numpy(b2))
        expected = ref(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(s.two_steps, expected, atol=1e-10)
    np.testing.assert_allclose(s.one_step, expected, atol=1e-10)
    np.testing.assert_allclose(s.w, w2 @ w1)
    np.testing.assert_allclose(s.b, w2 @ b1 + b2)
    assert s.max_diff < 1e-10 and s.fit_residual_linear < 1e-10
    assert s.fit_residual_activated > 1e-2
    w2d, b2d = warp.second_layer(2)
    assert w2d.shape == (2, 2) and b2d.shape == (2,)


def test_scaled_sigmoid() -> None:
    s = warp.scaled_sigmoid(2.0, x0=0.5)
    np.testing.assert_allclose(s.linear, 2 * s.x, rtol=1e-6)
    np.testing.assert_allclose(s.activated, 1 / (1 + np.exp(-2 * s.x.astype(np.float64))), atol=1e-6)
    assert s.linear_at == pytest.approx(1.0) and s.activated_at == pytest.approx(1 / (1 + math.exp(-1)))


# --- figures (no Streamlit) ------------------------------------------------------------------------------


def test_figures() -> None:
    cs = act.curves(["relu", "sigmoid"], n=11)
    fig = figs.curves_figure(cs, {"relu": "ReLU"}, show_derivative=True)
    assert len(fig.data) == 4 and fig.data[0].name == "ReLU" and fig.data[1].line.dash == "dot"
    np.testing.assert_allclose(fig.data[2].y, np.round(cs[1].y, 4))
    assert len(figs.curves_figure(cs, {}, show_derivative=False).data) == 2
    r = act.apply("relu", torch.randn(1, 2, 5, 5))
    h = figs.histogram_figure(r.hist_in, r.hist_out, before_label="z", after_label="f", log_y=True)
    assert len(h.data) == 2 and sum(h.data[0].y) == 50 and h.layout.yaxis.type == "log"
    sl = figs.slopes_figure({"a": np.array([0.1, 0.2]), "b": np.array([0.3, 0.4, 0.5])})
    assert [len(d.y) for d in sl.data] == [2, 3]
    maps = np.random.default_rng(0).normal(size=(8, 28, 28)).astype(np.float32)
    cm = figs.compact_maps(maps, cols=4, range_mode="global", fixed=5.0)
    assert (cm.zmin, cm.zmax) == (-5.0, 5.0) and len(cm.origins) == 8
    assert cm.origins[4][1] > cm.origins[0][1] and cm.origins[4][0] == cm.origins[0][0]  # 4 columns: map 4 below 0
    for tile, (r, c) in ((0, (0, 0)), (6, (13, 20))):
        want = expected_colour(float(maps[tile, r, c]), -5.0, 5.0, "RdBu_r")
        assert np.abs(picture_cell(cm, tile, r, c) - want).max() <= 1
    assert len(cm.png) < 80_000
    assert figs.shared_abs_max([maps, 2 * maps]) == pytest.approx(2 * np.abs(maps).max())
    v = figs.val_curves_figure({"a": [0.5, 0.6], "b": [0.4, 0.7, 0.8]})
    assert [list(d.x) for d in v.data] == [[1, 2], [1, 2, 3]]
    pts = warp.make_points("xor", n=20)
    w2 = warp.warp(pts, warp.layer_matrix(10, 1.0, False), np.zeros(2, np.float32), "relu")
    f2 = figs.warp_figure(w2, titles=["a", "b", "c"], class_labels=["0", "1"])
    assert {d.type for d in f2.data} == {"scatter"} and len(f2.data) == 9
    w3 = warp.warp(pts, warp.layer_matrix(10, 1.0, True), np.zeros(3, np.float32), "relu")
    f3 = figs.warp_figure(w3, titles=["a", "b", "c"], class_labels=["0", "1"])
    assert sum(d.type == "scatter3d" for d in f3.data) == 6
    assert len(f3.to_json()) < 250_000
    s = figs.scaled_sigmoid_figure(warp.scaled_sigmoid(2.0, 1.0), linear_label="y", sigmoid_label="s")
    assert list(s.data[2].y) == pytest.approx([2.0, 1 / (1 + math.exp(-2))])
    assert figs.latex_matrix(np.array([[1, 2], [3, 4]]), 1) == r"\begin{bmatrix}1.0 & 2.0 \\ 3.0 & 4.0\end{bmatrix}"


def test_recomputed_diff_and_typical_slope() -> None:
    """The page's own-function check: the model's own function reproduces the recorded output; another function
    differs by exactly max |g(z) − relu(z)|. The slider's start is the median slope of the first PReLU layer."""
    model = models.load("tinyvgg-relu")
    x, _ = models.test_batch()
    layers = act.activation_layers(trace(model, x[:1]))
    for layer in layers:
        assert act.recomputed_diff(layer, act.apply(layer.function, layer.pre)) <= act.MATCH_TOLERANCE
    z = layers[0].pre
    expected = float((torch.sigmoid(z) - torch.relu(z)).abs().max())
    assert act.recomputed_diff(layers[0], act.apply("sigmoid", z)) == pytest.approx(expected, rel=1e-6)
    prelu = models.load("tinyvgg-prelu")
    first = next(m for m in prelu.modules() if isinstance(m, nn.PReLU)).weight.detach().numpy()
    assert act.typical_slope(act.prelu_slopes(prelu)) == round(float(np.median(first)), 2)
