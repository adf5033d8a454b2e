"""Upsampling: hand-written nearest/bilinear/transposed conv against PyTorch, size formula, checkerboard, round trip."""

from __future__ import annotations

import itertools

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from torch import nn
from torch.nn import functional as F

import models
from explain.imaging import prepare
from explain.trace import trace
from explain.upsampling import (
    adjoint_check,
    bilinear,
    bilinear_kernel,
    check_params,
    module_output_size,
    nearest,
    overlap_counts,
    pool_roundtrip,
    transposed_conv,
    transposed_formula,
    transposed_out_size,
    upsample_all,
)
from tests.helpers import expected_colour, picture_rgb, sample_bytes
from ui.figures.upsampling import counts_picture, maps_row


@pytest.fixture(scope="module")
def real_maps() -> dict[str, torch.Tensor]:
    data, name = sample_bytes(3)
    tr = trace(models.load(models.DEFAULT_MODEL), prepare(data, name).tensor)
    return {r.key: r for r in tr.layers}


@pytest.mark.parametrize("scale", [1, 2, 3, 4])
def test_nearest_and_bilinear_equal_interpolate(scale: int, real_maps: dict) -> None:
    x = real_maps["block2.pool"].output  # [1, 32, 7, 7], a real feature map
    assert torch.equal(nearest(x, scale), F.interpolate(x, scale_factor=scale, mode="nearest"))
    ref = F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)
    assert torch.allclose(bilinear(x, scale), ref, atol=1e-5)
    odd = torch.randn(2, 3, 5, 9)
    assert torch.allclose(bilinear(odd, scale), F.interpolate(odd, scale_factor=scale, mode="bilinear"), atol=1e-5)


def test_bilinear_by_hand_on_a_2x2_map() -> None:
    x = torch.tensor([[0.0, 4.0], [8.0, 12.0]])
    # row 0 after ×2: u = (i + ½)/2 − ½ = −¼ (→0), ¼, ¾, 1¼ (→ clamp) → 0, 1, 3, 4
    assert bilinear(x, 2)[0].tolist() == [0.0, 1.0, 3.0, 4.0]
    assert nearest(x, 2)[0].tolist() == [0.0, 0.0, 4.0, 4.0]


PARAMS = list(itertools.product([1, 3, 7], [1, 2, 3, 4, 5], [1, 2, 3], [0, 1, 2], [0, 1, 2], [1, 2]))


def test_transposed_size_formula_against_the_real_module() -> None:
    checked = 0
    for n, k, s, p, op, d in PARAMS:
        if check_params(k, s, p, op, d) is not None or transposed_out_size(n, k, s, p, op, d) < 1:
            continue
        layer = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=op, dilation=d, bias=False)
        with torch.no_grad():
            real = layer(torch.zeros(1, 1, n, n)).shape[-1]
        assert transposed_out_size(n, k, s, p, op, d) == real, (n, k, s, p, op, d)
        checked += 1
    assert checked > 150
    assert module_output_size(7, 4, 2, 1) == 14 == transposed_out_size(7, 4, 2, 1)
    assert transposed_formula(7, 4, 2, 1) == "(7 − 1)·2 − 2·1 + 1·(4 − 1) + 0 + 1 = 14"


def test_output_padding_rule_matches_torch() -> None:
    assert check_params(3, 2, 1, 2) == "output_padding"
    with pytest.raises(RuntimeError):
        nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=2)(torch.zeros(1, 1, 4, 4))


def test_transposed_conv_equals_conv_transpose2d() -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 5, 6, generator=gen)
    for k, s, p, op, d in itertools.product([1, 2, 3, 4], [1, 2, 3], [0, 1], [0, 1], [1, 2]):
        if check_params(k, s, p, op, d) is not None:
            continue
        layer = nn.ConvTranspose2d(3, 2, k, stride=s, padding=p, output_padding=op, dilation=d, bias=False)
        with torch.no_grad():
            ref = layer(x)
            ours = transposed_conv(x, layer.weight, s, p, op, d)
        assert ours.shape == ref.shape
        assert torch.allclose(ours, ref, atol=1e-5), (k, s, p, op, d)


def test_upsample_all_on_a_real_map(real_maps: dict) -> None:
    src = real_maps["block2.pool"].output[0, 5]
    w = bilinear_kernel(4)
    up = upsample_all(src, 2, w, 2, 1, 0)
    layer = nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1, bias=False)
    with torch.no_grad():
        layer.weight.copy_(w[None, None])
        ref = layer(src[None, None])[0, 0]
    assert up.transposed.shape == (14, 14) and torch.allclose(up.transposed, ref, atol=1e-5)
    assert torch.equal(up.nearest, F.interpolate(src[None, None], scale_factor=2)[0, 0])
    # the bilinear kernel makes the transposed conv bilinear interpolation away from the border
    assert torch.allclose(up.transposed[1:-1, 1:-1], up.bilinear[1:-1, 1:-1], atol=1e-5)
    assert up.transposed_formula.endswith("= 14")


def test_checkerboard_overlap_counts() -> None:
    counts = overlap_counts(5, 3, 2)
    row = [1, 1, 2, 1, 2, 1, 2, 1, 2, 1, 1]
    assert counts.shape == (11, 11)
    assert counts[0].tolist() == row  # uneven: 1, 2, 1, 2 …
    r = torch.tensor(row, dtype=torch.float32)
    assert torch.equal(counts, torch.outer(r, r))
    layer = nn.ConvTranspose2d(1, 1, 3, stride=2, bias=False)
    with torch.no_grad():
        layer.weight.fill_(1.0)
        assert torch.equal(layer(torch.ones(1, 1, 5, 5))[0, 0], counts)
    even = overlap_counts(5, 4, 2, 1)
    assert (even[1:-1, 1:-1] == 4).all()  # k divisible by s: no checkerboard inside


def test_pooling_round_trip_on_real_maps(real_maps: dict) -> None:
    rec = real_maps["block1.pool"]
    for c in range(rec.input.shape[1]):
        rt = pool_roundtrip(rec.input[0, c], rec.output[0, c])
        assert torch.equal(rt.pooled, F.max_pool2d(rec.input[0, c][None, None], 2)[0, 0])
        assert rt.restored.shape == (28, 28)
        assert (rt.error >= 0).all()  # the maximum of the window replaces every value
        assert rt.exact_fraction >= 0.25
        assert rt.mean_abs_error == pytest.approx(float((rt.restored - rt.original).abs().mean()))


def test_hand_round_trip() -> None:
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    rt = pool_roundtrip(x, F.max_pool2d(x[None, None], 2)[0, 0])
    assert rt.restored.tolist() == [[4.0, 4.0], [4.0, 4.0]]
    assert rt.error.tolist() == [[3.0, 2.0], [1.0, 0.0]] and rt.exact_fraction == 0.25


def test_transposed_conv_is_the_adjoint_of_the_strided_conv(real_maps: dict) -> None:
    x = real_maps["block1.act2"].output[0, 0]
    adj = adjoint_check(x)
    assert adj.y_shape == (1, 1, 14, 14) and adj.back_shape == (1, 1, 28, 28)
    assert adj.lhs == pytest.approx(adj.rhs, rel=1e-9, abs=1e-9)
    assert adj.roundtrip_error > 0
    # the same adjoint via autograd: convT(y) = d⟨conv(x), y⟩/dx
    w = torch.randn(1, 1, 3, 3, dtype=torch.float64)
    xx = torch.randn(1, 1, 28, 28, dtype=torch.float64, requires_grad=True)
    y = torch.randn(1, 1, 14, 14, dtype=torch.float64)
    (g,) = torch.autograd.grad((F.conv2d(xx, w, stride=2, padding=1) * y).sum(), xx)
    assert torch.allclose(transposed_conv(y, w, 2, 1, 1), g)


def test_figures_without_streamlit() -> None:
    fig = maps_row([("a", np.zeros((7, 7))), ("b", np.ones((14, 14)))], title="t")
    assert isinstance(fig, go.Figure) and len(fig.data) == 2
    assert fig.data[0].zmin == fig.data[1].zmin and fig.data[0].zmax == fig.data[1].zmax  # one shared range
    assert "[14, 14]" in fig.layout.annotations[1].text
    counts = overlap_counts(5, 3, 2).numpy()
    img = counts_picture(counts, title="k = 3")
    rgb = picture_rgb(img)
    f = img.factor
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):  # a corner of each cell (the number is printed in its middle)
            got = rgb[i * f + 2, j * f + 2].astype(int)
            want = expected_colour(float(counts[i, j]), 0.0, float(counts.max()), "Viridis")
            assert np.abs(got - want).max() <= 1, (i, j, got, want)
    assert img.title == "k = 3" and img.width > counts.shape[1] * f  # the colour bar beside the cells


def test_default_layer_and_crop() -> None:
    from explain.upsampling import crop_around_max, default_layer

    assert default_layer({"block1.pool": (1, 16, 14, 14), "block2.pool": (1, 32, 7, 7)}) == "block2.pool"
    shapes = {"layer4.1.relu#2": (1, 512, 7, 7), "avgpool": (1, 512, 1, 1), "fc": (1, 1000)}
    assert default_layer(shapes) == "layer4.1.relu#2"
    shapes = {"features.11": (1, 256, 13, 13), "features.12": (1, 256, 6, 6), "avgpool": (1, 256, 6, 6)}
    assert default_layer(shapes, exclude={"avgpool"}) == "features.12"
    m = torch.zeros(112, 112)
    m[100, 3] = 5.0
    c = crop_around_max(m, 28, align=2)
    assert c.cropped and c.values.shape == (28, 28) and (c.top, c.left) == (84, 0)
    assert c.values.max() == 5.0 and c.top % 2 == 0
    torch.testing.assert_close(c.values, m[84:112, 0:28])
    small = crop_around_max(torch.ones(7, 7), 28)
    assert not small.cropped and small.values.shape == (7, 7)


@pytest.mark.parametrize("n", [28, 27, 111, 112, 55])
def test_adjoint_check_restores_odd_and_even_sizes(n: int) -> None:
    from explain.upsampling import fitting_output_padding

    op = fitting_output_padding(n)
    conv = nn.Conv2d(1, 1, 3, stride=2, padding=1, bias=False)
    back = nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=op, bias=False)
    with torch.no_grad():
        assert back(conv(torch.zeros(1, 1, n, n))).shape[-1] == n  # the real modules agree
    x = torch.randn(n, n, generator=torch.Generator().manual_seed(n))
    adj = adjoint_check(x)
    assert adj.back_shape == adj.x_shape
    assert adj.lhs == pytest.approx(adj.rhs, rel=1e-9, abs=1e-9)


# --- what the page computes: its kernels, parameter checks, layer choice, checks and the pooling round trip -----


def test_make_kernel_and_too_small_check() -> None:
    """"bilinear" is FCN's kernel (a stride-2 transposed conv with it equals F.interpolate bilinear inside the
    borders), "ones" all ones; "too_small" exactly when nn.ConvTranspose2d refuses (or gives no pixel)."""
    from explain.upsampling import KERNELS, make_kernel

    assert KERNELS == ("bilinear", "ones")
    torch.testing.assert_close(make_kernel("ones", 3), torch.ones(3, 3))
    k4 = make_kernel("bilinear", 4)
    assert k4.dtype == torch.float32 and k4.shape == (4, 4)
    x = torch.randn(1, 1, 6, 6, dtype=torch.float64)
    up = F.conv_transpose2d(x, k4.double()[None, None], stride=2, padding=1)
    ref = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    torch.testing.assert_close(up[..., 1:-1, 1:-1], ref[..., 1:-1, 1:-1])
    with pytest.raises(ValueError):
        make_kernel("gauss", 3)
    for n, k, s, p, op in itertools.product((1, 2, 5), (1, 2, 3), (1, 2), (0, 1, 2, 3), (0, 1)):
        problem = check_params(k, s, p, op, n=n)
        if problem == "output_padding" or problem == "positive":
            continue
        try:
            out = F.conv_transpose2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p,
                                     output_padding=op).shape[-1]
        except RuntimeError:
            out = 0
        assert (problem == "too_small") == (out < 1), (n, k, s, p, op)
    assert check_params(3, 2, 1, 0) is None and check_params(1, 2, 4, 0, n=2) == "too_small"


def test_reference_diffs_and_back_to_input(real_maps: dict) -> None:
    from explain.upsampling import back_to_input, reference_diffs

    source = real_maps["block2.pool"].output[0, 3]
    up = upsample_all(source, 2, bilinear_kernel(4), 2, 1, 0)
    near, bil = reference_diffs(up)
    x = source[None, None].float()
    assert near == float((F.interpolate(x, scale_factor=2, mode="nearest")[0, 0] - up.nearest).abs().max()) == 0
    assert bil == pytest.approx(float((F.interpolate(x, scale_factor=2, mode="bilinear")[0, 0]
                                       - up.bilinear).abs().max()), abs=0) and bil < 1e-5
    back = back_to_input(source, 28)
    assert back is not None
    torch.testing.assert_close(back, F.interpolate(x, size=(28, 28), mode="bilinear", align_corners=False)[0, 0],
                               rtol=1e-5, atol=1e-5)
    assert back_to_input(source, 30) is None


def test_map_layers_and_default() -> None:
    from explain.upsampling import map_layers

    data, name = sample_bytes(3)
    x = prepare(data, name).tensor
    layers = map_layers(trace(models.load(models.DEFAULT_MODEL), x))
    assert layers.has_maps and layers.default == "block2.pool" and "input" not in layers.keys
    assert all(layers.maps[k].dim() == 4 for k in layers.keys) and "classifier" not in layers.maps
    mlp = map_layers(trace(models.build("mlp", "relu", seed=0), x))
    assert not mlp.has_maps and mlp.keys == ("input",) and mlp.default == "input"
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.AdaptiveAvgPool2d(28), nn.Flatten(), nn.Linear(4 * 784, 2))
    layers = map_layers(trace(net.eval(), x))
    assert layers.default == "0"  # the adaptive pool only copies the conv's maps


def test_pool_inverse_against_max_pool_and_interpolate(real_maps: dict) -> None:
    """The page's pooling round trip on block1.pool: the channel with the largest value, F.max_pool2d then
    F.interpolate(nearest) of it, and the strided conv's sizes from the real modules."""
    from explain.upsampling import pool_inverse

    data, name = sample_bytes(3)
    tr = trace(models.load(models.DEFAULT_MODEL), prepare(data, name).tensor)
    inv = pool_inverse(tr, "block1.pool")
    a = real_maps["block1.pool"].input[0]
    assert inv.channel == int(a.amax((1, 2)).argmax()) and (inv.side_in, inv.side_out, inv.factor) == (28, 14, 2)
    assert not inv.before.cropped and not inv.overlapping
    restored = F.interpolate(F.max_pool2d(a[None, inv.channel:inv.channel + 1], 2), scale_factor=2)[0, 0]
    torch.testing.assert_close(inv.roundtrip.restored, restored)
    assert inv.roundtrip.max_abs_error == pytest.approx(float((restored - a[inv.channel]).abs().max()))
    conv = nn.Conv2d(1, 1, 3, stride=2, padding=1)
    back = nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=inv.output_padding)
    with torch.no_grad():
        y = conv(torch.zeros(1, 1, 28, 28))
        assert (inv.down, inv.back) == (y.shape[-1], back(y).shape[-1]) == (14, 28)
    assert inv.adjoint.lhs == pytest.approx(inv.adjoint.rhs, rel=1e-9, abs=1e-9)
    # a large map is cut to 28x28 around its maximum, and the pooled piece is the same window of the pooled map
    big = torch.zeros(1, 2, 112, 112)
    big[0, 1, 90, 10] = 7.0
    net = nn.Sequential(nn.Identity(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 56 * 56, 3))
    inv = pool_inverse(trace(net.eval(), big), "1")
    assert inv.channel == 1 and inv.before.cropped and inv.before.top % 2 == 0
    torch.testing.assert_close(inv.roundtrip.pooled, F.max_pool2d(inv.before.values[None, None], 2)[0, 0])
