"""The Convolution page with the six ImageNet models, and the grouped / depthwise / strided / dilated arithmetic
behind it, against independent references (F.conv2d, F.batch_norm, autograd, nn.Conv2d's own shapes)."""

from __future__ import annotations

import re

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from PIL import Image
from torch import nn
from torch.nn import functional as F

import models
from explain import convolution as conv
from explain import kernels as kern
from explain.hooks import has_hooks
from explain.imagenet_input import prepare_rgb
from explain.trace import trace
from models import zoo
from tests.helpers import assert_page_ok, catalog_leaks, expected_colour, picture_cell, run_page
from ui.figures import convolution as figs

ZOO = [s.name for s in zoo.ZOO]
PHOTO = models.photo_samples()[0].read_bytes()  # cat-chelsea.jpg
NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")
MAX_FIGURE = 300_000
#: a layer per model that shows something particular: depthwise convs, a downsample-free 3x3 with 128 inputs,
#: AlexNet's 11x11 stride-4 first conv, a fire module's expand 3x3
LAYER = {
    "imagenet-alexnet": "features.0",
    "imagenet-vgg11": "features.8",
    "imagenet-resnet18": "layer3.0.conv1",
    "imagenet-mobilenet_v3_small": "features.4.block.1.0",
    "imagenet-squeezenet1_1": "features.3.expand3x3",
    "imagenet-efficientnet_b0": "features.2.0.block.1.0",
}
DEPTHWISE = {"imagenet-mobilenet_v3_small", "imagenet-efficientnet_b0"}


def _layer_io(name: str, key: str) -> tuple[nn.Conv2d, torch.Tensor, torch.Tensor]:
    """(module, its input, F.conv2d of that input) for the page's weights and photo, on a private model copy."""
    s = zoo.spec(name)
    model = zoo.load(s, allow_download=False).eval()
    x = prepare_rgb(PHOTO, "cat.jpg", zoo.input_spec(s)).tensor
    mod = dict(model.named_modules())[key]
    seen: list[torch.Tensor] = []
    handle = mod.register_forward_pre_hook(lambda m, a: seen.append(a[0].detach().clone()))
    try:
        with torch.no_grad():
            model(x)
    finally:
        handle.remove()
    inp = seen[0]
    with torch.no_grad():
        ref = F.conv2d(inp, mod.weight, mod.bias, mod.stride, mod.padding, mod.dilation, mod.groups)
    return mod, inp, ref


def _texts(at) -> str:  # noqa: ANN001 - AppTest
    return " ".join(str(e.value) for e in (*at.markdown, *at.caption, *at.info, *at.success))


@pytest.mark.parametrize("name", ZOO)
def test_convolution_page_with_imagenet_models(name: str, zoo_weights) -> None:  # noqa: ANN001 - fixture
    key = LAYER[name]
    at = run_page("pages/convolution.py", model=name, image=PHOTO, image_name="cat.jpg", timeout=300,
                  state={"conv_layer": key, "conv_tab": "Kernel arithmetic"})
    assert_page_ok(at)
    assert not catalog_leaks(at)
    assert at.selectbox(key="conv_layer").value == key
    mod, inp, ref = _layer_io(name, key)
    text = _texts(at)
    sizes = [len(el.proto.spec) for el in at.get("plotly_chart")]
    # the output-size formula with the layer's real numbers, and the parameter count with groups (above the tabs)
    oh = ref.shape[-1]
    n, k, s, p, d = inp.shape[-1], mod.kernel_size[0], mod.stride[0], mod.padding[0], mod.dilation[0]
    assert f"⌊({n} + 2·{p} − {d}·({k} − 1) − 1)/{s}⌋ + 1 = ⌊{n + 2 * p - d * (k - 1) - 1}/{s}⌋ + 1 = **{oh}**" in text
    total = sum(q.numel() for q in mod.parameters())
    assert f"·({mod.in_channels}/{mod.groups})·{k}·{k}" in text and f"**{total:,}**" in text
    # the arithmetic tab: the page's default output (most active channel, strongest cell) equals F.conv2d there
    out = ref[0]
    ch = int(out.mean(dim=(1, 2)).argmax())
    r, c = divmod(int(out[ch].argmax()), out.shape[-1])
    assert at.success, "the hand computation should agree with the recorded output"
    shown = float(NUMBER.findall(at.success[0].value)[0])
    assert shown == pytest.approx(float(out[ch, r, c]), abs=2e-4)
    if name in DEPTHWISE:
        assert mod.groups == mod.in_channels > 1
        assert f"reads exactly one input channel, channel {ch}." in text
        assert "Depthwise separable convolution" in [e.label for e in at.expander]
        assert "**" in text and "as many" in text  # the weight comparison with the pointwise conv after it
    elif mod.in_channels > 16:
        assert "partial sum" in text and len(at.dataframe) == 1  # the top partial sums
    # the feature-map tab: channel paging, the kernels' picture titled with the weight's shape
    at.session_state["conv_tab"] = "Feature maps & kernels"
    at.run()
    assert_page_ok(at)
    text = _texts(at)
    sizes += [len(el.proto.spec) for el in at.get("plotly_chart")]
    if name in DEPTHWISE:
        assert "exactly **one**" in text
    if mod.out_channels > 32:
        assert at.number_input(key=f"conv_page_{key}").value == 1
    kernels = next(m.value for m in at.markdown if m.value.startswith("**Kernels of"))
    assert str(list(mod.weight.shape)) in kernels
    # the depth tab: the receptive-field table follows the data flow (ResNet-18's last conv sees 435x435, the
    # published value)
    at.session_state["conv_tab"] = "What deeper layers see"
    at.run()
    assert_page_ok(at)
    sizes += [len(el.proto.spec) for el in at.get("plotly_chart")]
    assert max(sizes) < MAX_FIGURE, sizes  # bounded figures in every tab
    assert len(at.dataframe) == 1
    table = at.dataframe[-1].value
    if name == "imagenet-resnet18":
        rf = dict(zip(table.iloc[:, 0], table.iloc[:, 7], strict=True))
        assert rf["layer4.1.conv2"] == "435×435" and rf["layer2.0.downsample.0"] == "43×43"
        assert "branches join" in _texts(at)


# ---------------------------------------------------------------- the arithmetic with groups, stride, dilation
def test_depthwise_strided_dilated_step_with_batch_norm_and_hardswish() -> None:
    torch.manual_seed(0)
    dw = nn.Conv2d(6, 6, 3, stride=2, padding=2, dilation=2, groups=6, bias=False)
    bn = nn.BatchNorm2d(6)
    with torch.no_grad():
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.2, 0.2)
    model = nn.Sequential(dw, bn, nn.Hardswish(), nn.Flatten()).eval()
    x = torch.randn(1, 6, 11, 11)
    tr = trace(model, x)
    with torch.no_grad():
        z = F.conv2d(x, dw.weight, None, 2, 2, 2, 6)
        y = F.batch_norm(z, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps)
        a = F.hardswish(y)
    for o, i, j in [(0, 0, 0), (3, 2, 5), (5, 5, 5), (2, 4, 1)]:
        step = conv.conv_step(tr, "0", o, i, j)
        assert step.depthwise and step.in_channels == (o,) and step.groups == 6
        assert step.products.shape == (1, 3, 3) and not step.has_bias
        assert step.pre_activation == pytest.approx(float(z[0, o, i, j]), abs=1e-5)
        assert step.norm == "BatchNorm2d" and step.normalized == pytest.approx(float(y[0, o, i, j]), abs=1e-5)
        assert step.activation == "Hardswish" and step.post_activation == pytest.approx(float(a[0, o, i, j]), abs=1e-5)
        assert step.matches
    corner = conv.conv_step(tr, "0", 1, 0, 0)
    assert corner.origin == (-2, -2) and corner.is_pad.tolist() == [[True] * 3, [True, False, False],
                                                                      [True, False, False]]
    assert not has_hooks(model)
    # the running statistics are the trace's (the BatchNorm record's buffers, copied), not the live model's
    assert set(tr["1"].buffers) >= {"running_mean", "running_var"}
    with torch.no_grad():
        bn.running_mean.add_(10.0)
        bn.running_var.mul_(3.0)
    again = conv.conv_step(tr, "0", 3, 2, 5)
    assert again.normalized == pytest.approx(float(y[0, 3, 2, 5]), abs=1e-5) and again.matches


def test_batch_norm_without_running_statistics_is_refused() -> None:
    """A BatchNorm2d with track_running_stats=False normalizes by the batch: the step names it, as before."""
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3, track_running_stats=False), nn.ReLU(),
                          nn.Flatten()).eval()
    tr = trace(model, torch.randn(1, 2, 6, 6))
    with pytest.raises(conv.ConvError) as err:
        conv.conv_step(tr, "0", 0, 1, 1)
    assert err.value.code == "norm"


@pytest.mark.parametrize(("cin", "cout", "groups"), [(8, 12, 4), (16, 16, 1), (12, 24, 12)])
def test_grouped_step_sums_its_group_only(cin: int, cout: int, groups: int) -> None:
    torch.manual_seed(cin + groups)
    layer = nn.Conv2d(cin, cout, (3, 2), stride=(2, 1), padding=(1, 0), groups=groups)
    tr = trace(nn.Sequential(layer, nn.Flatten()).eval(), torch.randn(1, cin, 9, 7))
    with torch.no_grad():
        ref = F.conv2d(tr["0"].input, layer.weight, layer.bias, (2, 1), (1, 0), 1, groups)
    per = cin // groups
    for o in (0, cout // 2, cout - 1):
        step = conv.conv_step(tr, "0", o, 2, 3)
        g = o // (cout // groups)
        assert step.in_channels == tuple(range(g * per, (g + 1) * per))
        assert step.pre_activation == pytest.approx(float(ref[0, o, 2, 3]), abs=1e-5)
        # the partial sum of one input channel = that channel alone through the kernel slice
        q = step.ranked_inputs(1)[0]
        alone = F.conv2d(tr["0"].input[:, [step.in_channels[q]]], layer.weight[o:o + 1, q:q + 1].detach(), None,
                         (2, 1), (1, 0))
        assert float(step.channel_sums[q]) == pytest.approx(float(alone[0, 0, 2, 3]), abs=1e-5)
        assert 0 < step.top_share(1) <= 1


def test_geometry_equals_nn_conv2d_over_a_grid() -> None:
    for n, k, s, p, d, g, bias in [(224, 11, 4, 2, 1, 1, True), (224, 7, 2, 3, 1, 1, False), (56, 1, 2, 0, 1, 1, False),
                                    (28, 5, 2, 2, 1, 8, False), (15, 3, 1, 2, 2, 4, True), (13, 3, 3, 0, 3, 2, True),
                                    (1, 1, 1, 0, 1, 1, True)]:
        layer = nn.Conv2d(8, 16, k, stride=s, padding=p, dilation=d, groups=g, bias=bias)
        tr = trace(nn.Sequential(layer, nn.Flatten()).eval(), torch.randn(1, 8, n, n))
        geo = conv.geometry(tr["0"])
        assert geo.out == tuple(tr["0"].output.shape[-2:]) and geo.matches
        assert geo.params == sum(q.numel() for q in layer.parameters())
        assert geo.weights == 16 * (8 // g) * k * k and geo.numerator() == n + 2 * p - d * (k - 1) - 1
        assert geo.kind == ("depthwise" if g == 8 else "grouped" if g > 1 else "vector" if n == 1
                            else "pointwise" if k == 1 else "standard")


def test_separable_pair_and_kernel_selection() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.Conv2d(32, 32, 5, padding=2, groups=32),
                        nn.Conv2d(32, 64, 1), nn.Flatten()).eval()
    tr = trace(net, torch.randn(1, 3, 8, 8))
    sep = conv.separable_pair(tr, tr["1"])
    assert sep is not None and sep.pointwise == "2"
    assert (sep.depthwise_weights, sep.pointwise_weights, sep.standard_weights) == (25 * 32, 32 * 64, 25 * 32 * 64)
    assert sep.ratio == pytest.approx(25 * 32 * 64 / (25 * 32 + 32 * 64))
    assert conv.separable_pair(tr, tr["0"]) is None
    w = net[2].weight
    pick = conv.kernel_inputs(tr["2"], [5, 7], limit=4)
    strength = w[[5, 7]].abs().sum(dim=(0, 2, 3))
    assert set(pick) == set(torch.topk(strength, 4).indices.tolist()) and list(pick) == sorted(pick)
    assert conv.kernel_inputs(tr["1"], [0, 1]) == (0,)


# ---------------------------------------------------------------- receptive fields across branches
class _Residual(nn.Module):
    """conv → [conv, conv] + shortcut → ReLU, then a stride-2 block with a 1x1 stride-2 shortcut."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, 1, 3, padding=1)
        self.a = nn.Conv2d(1, 1, 3, padding=1)
        self.b = nn.Conv2d(1, 1, 3, padding=1)
        self.relu = nn.ReLU()
        self.c = nn.Conv2d(1, 1, 3, stride=2, padding=1)
        self.down = nn.Conv2d(1, 1, 1, stride=2)
        self.relu2 = nn.ReLU()
        self.flat = nn.Flatten()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(x)
        h = self.relu(self.b(self.a(h)) + h)
        return self.flat(self.relu2(self.c(h) + self.down(h)))


def test_receptive_field_across_residual_branches_equals_gradient_support() -> None:
    net = _Residual().eval()
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.constant_(m.weight, 0.1)
            nn.init.constant_(m.bias, 1.0)  # keeps every ReLU open
    x = torch.ones(1, 1, 33, 33)
    rows = {f.key: f for f in conv.receptive_fields(trace(net, x))}
    assert [rows[k].receptive_field for k in ("stem", "a", "b", "relu", "c", "down", "relu2")] == \
        [3, 5, 7, 7, 9, 7, 9]
    assert rows["relu"].merged and rows["relu2"].merged and not rows["down"].merged
    assert rows["down"].source == "relu"
    xg = x.clone().requires_grad_(True)
    h = net.stem(xg)
    h = net.relu(net.b(net.a(h)) + h)
    for out, key in ((h, "relu"), (net.relu2(net.c(h) + net.down(h)), "relu2")):
        cc = out.shape[-1] // 2
        (g,) = torch.autograd.grad(out[0, 0, cc, cc], xg, retain_graph=True)
        ys, _ = torch.nonzero(g[0, 0], as_tuple=True)
        assert int(ys.max() - ys.min() + 1) == rows[key].receptive_field


# ---------------------------------------------------------------- RGB inputs and bounded figures
def test_rgb_pixels_become_luma() -> None:
    prepared = prepare_rgb(PHOTO, "cat.jpg", zoo.input_spec(zoo.spec(ZOO[0])))
    gray = kern.pixels01(prepared)
    ref = np.asarray(Image.fromarray(prepared.pixels).convert("L"), dtype=np.float32) / 255.0
    assert gray.shape == (224, 224) and np.abs(gray - ref).max() <= 1.5 / 255


def test_figures_for_large_layers_are_bounded() -> None:
    rng = np.random.default_rng(0)
    fig = figs.feature_map_marker(rng.random((112, 112)), 100, 7, (3, 3), (199, 13), input_map=rng.random((224, 224)),
                                  titles=("a", "b"), dilation=(2, 2))
    assert all(np.asarray(d.z).shape[0] <= 56 for d in fig.data if isinstance(d, go.Heatmap))
    assert np.asarray(fig.data[0].y).min() <= 199 and np.asarray(fig.data[0].y).max() >= 203  # window in the crop
    assert len(fig.to_json()) < MAX_FIGURE
    w = rng.normal(size=(16, 16, 3, 3)).astype(np.float32)
    kw = figs.kernel_weights(w, "k", out_channels=list(range(100, 116)), in_channels=list(range(200, 216)))
    mw = float(np.abs(w).max())
    want = expected_colour(float(w[1, 2, 0, 2]), -mw, mw, "RdBu_r")  # out row 1, in column 2
    assert np.abs(picture_cell(kw, 1 * 16 + 2, 0, 2) - want).max() <= 1
    dw = figs.kernel_weights(w[:, :1], "k", out_channels=list(range(40, 56)), depthwise=True)
    assert len(dw.origins) == 16 and dw.zmax == pytest.approx(float(np.abs(w[:, :1]).max()))
    rgb = figs.receptive_field_figure([], rng.integers(0, 255, (224, 224, 3), dtype=np.uint8))
    assert isinstance(rgb.data[0], go.Image) and rgb.data[0].source.startswith("data:image/")
