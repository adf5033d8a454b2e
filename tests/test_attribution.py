"""Attribution maps against independent references: finite differences, a manual Grad-CAM and captum, hand-set
occlusion, the randomization check on the committed samples, and no side effects on the shared models."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

import models
from explain.attribution import (
    AttributionError,
    grad_cam,
    grad_cam_layers,
    gradient_times_input,
    input_gradients,
    occlusion,
    occlusion_passes,
    occlusion_positions,
    randomization_check,
    saliency,
    smoothgrad,
    spearman,
)
from explain.hooks import has_hooks
from explain.imaging import prepare
from explain.trace import trace
from tests.helpers import expected_colour, picture_cell, without_inplace
from ui.figures.attribution import attribution_overlay, channel_weights_bar, randomization_maps, spearman_chart


@pytest.fixture(scope="module")
def relu() -> nn.Module:
    return models.load("tinyvgg-relu")


@pytest.fixture(scope="module")
def images() -> list[torch.Tensor]:
    return [prepare(p.read_bytes(), p.name).tensor for p in models.samples()[::2]]  # one image per class


def _tiny() -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.Tanh(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    return net.double().eval()


def test_saliency_matches_finite_differences() -> None:
    net = _tiny()
    x = torch.randn(1, 1, 4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    tr = trace(net, x, target=1, loss="logit")
    h = 1e-6
    fd = torch.zeros(4, 4, dtype=torch.float64)
    with torch.no_grad():
        for i in range(4):
            for j in range(4):
                xp, xm = x.clone(), x.clone()
                xp[0, 0, i, j] += h
                xm[0, 0, i, j] -= h
                fd[i, j] = (net(xp)[0, 1] - net(xm)[0, 1]) / (2 * h)
    torch.testing.assert_close(saliency(tr), fd.abs(), rtol=1e-6, atol=1e-8)
    torch.testing.assert_close(gradient_times_input(tr), (x[0, 0] * fd), rtol=1e-6, atol=1e-8)


def test_smoothgrad_sigma_zero_is_saliency_and_matches_loop(relu: nn.Module, images: list[torch.Tensor]) -> None:
    x = images[0]
    tr = trace(relu, x, target=0, loss="logit")
    sg0 = smoothgrad(relu, x, 0, n=5, sigma=0.0)
    torch.testing.assert_close(sg0.mean_grad, tr.input_grad[0], rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(sg0.map, saliency(tr), rtol=1e-5, atol=1e-7)
    sg = smoothgrad(relu, x, 0, n=6, sigma=0.2, seed=3)
    std = 0.2 * float(x.max() - x.min())
    noise = torch.randn((6, *x.shape[1:]), generator=torch.Generator().manual_seed(3)) * std
    loop = []
    for j in range(6):
        xj = (x + noise[j]).requires_grad_(True)
        (g,) = torch.autograd.grad(relu(xj)[0, 0], xj)
        loop.append(g[0])
    torch.testing.assert_close(sg.mean_grad, torch.stack(loop).mean(0), rtol=1e-4, atol=1e-6)
    with pytest.raises(AttributionError):
        smoothgrad(relu, x, 0, n=0)


@pytest.mark.parametrize("key", ["block1.conv1", "block2.conv2", "block2.act2"])
def test_grad_cam_manual_and_captum(relu: nn.Module, images: list[torch.Tensor], key: str) -> None:
    from captum.attr import LayerAttribution, LayerGradCam

    x, target = images[3], 7
    tr = trace(relu, x, target=target, loss="logit")
    assert key in grad_cam_layers(tr)
    cam = grad_cam(tr, key)
    # manual: channel weights = spatial mean of the gradient, ReLU of the weighted sum
    rec = tr[key]
    alpha = rec.grad[0].mean(dim=(1, 2))
    manual = torch.relu((alpha[:, None, None] * rec.output[0]).sum(0))
    torch.testing.assert_close(cam.weights, alpha, rtol=1e-5, atol=1e-8)
    torch.testing.assert_close(cam.cam, manual, rtol=1e-5, atol=1e-7)
    # captum, on a private copy (it registers its own hooks)
    own = copy.deepcopy(relu)
    layer = own.get_submodule(key)
    ref = LayerGradCam(own, layer).attribute(x, target=target, relu_attributions=True)
    torch.testing.assert_close(cam.cam, ref[0, 0], rtol=1e-4, atol=1e-6)
    up = LayerAttribution.interpolate(ref, (28, 28), interpolate_mode="bilinear")
    torch.testing.assert_close(cam.upsampled, up[0, 0], rtol=1e-4, atol=1e-6)
    assert cam.upsampled.shape == (28, 28)


def test_occlusion_hand_set_linear_model() -> None:
    # logit_0 = Σ w_ij x_ij, logit_1 = 0: occluding a patch (value 0) drops the logit by Σ_patch w x
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 2, bias=False))
    w = torch.arange(16, dtype=torch.float32).reshape(4, 4)
    with torch.no_grad():
        net[1].weight.zero_()
        net[1].weight[0] = w.reshape(-1)
    x = torch.ones(1, 1, 4, 4)
    occ = occlusion(net, x, 0, patch=2, stride=2, score="logit")
    blocks = torch.tensor([[w[:2, :2].sum(), w[:2, 2:].sum()], [w[2:, :2].sum(), w[2:, 2:].sum()]])
    torch.testing.assert_close(occ.drops, blocks)
    torch.testing.assert_close(occ.map, blocks.repeat_interleave(2, 0).repeat_interleave(2, 1))
    assert occ.passes == 4 and occ.base == pytest.approx(float(w.sum()))
    # a 1x1 patch gives back each pixel's own contribution w·x
    torch.testing.assert_close(occlusion(net, x, 0, patch=1, stride=1, score="logit").map, w)


@pytest.mark.parametrize(("patch", "stride"), [(4, 4), (4, 2), (7, 7)])
def test_occlusion_matches_captum(relu: nn.Module, images: list[torch.Tensor], patch: int, stride: int) -> None:
    from captum.attr import Occlusion

    x, target = images[5], 5
    occ = occlusion(relu, x, target, patch=patch, stride=stride)

    def prob(inp: torch.Tensor) -> torch.Tensor:
        return torch.softmax(relu(inp), 1)

    ref = Occlusion(prob).attribute(x, sliding_window_shapes=(1, patch, patch), strides=(1, stride, stride),
                                    baselines=0.0, target=target, perturbations_per_eval=64)
    torch.testing.assert_close(occ.map, ref[0, 0].float(), rtol=1e-4, atol=1e-6)
    assert occ.passes == occlusion_passes(28, 28, patch, stride) == len(occlusion_positions(28, patch, stride)) ** 2


def test_occlusion_bounds(relu: nn.Module, images: list[torch.Tensor]) -> None:
    assert occlusion_positions(28, 5, 4) == [0, 4, 8, 12, 16, 20, 23]  # the last one flush with the edge
    with pytest.raises(AttributionError) as e:
        occlusion(relu, images[0], 0, patch=3, stride=4)
    assert e.value.code == "occlusion_size"
    with pytest.raises(AttributionError) as e:
        occlusion(nn.Flatten(), torch.zeros(1, 1, 40, 40), 0, patch=1, stride=1)
    assert e.value.code == "occlusion_cost"


def test_spearman_reference() -> None:
    a = np.array([1.0, 2.0, 2.0, 3.0, 0.5])
    b = np.array([1.0, 3.0, 2.0, 4.0, 5.0])
    ra = np.array([2, 3.5, 3.5, 5, 1])  # ranks by hand, ties averaged
    rb = np.array([1, 3, 2, 4, 5])
    assert spearman(a, b) == pytest.approx(float(np.corrcoef(ra, rb)[0, 1]))
    assert spearman(a, np.exp(a)) == pytest.approx(1.0)
    assert spearman(a, -a) == pytest.approx(-1.0)


def _spearman_ref(a: np.ndarray, b: np.ndarray) -> float:
    import pandas as pd

    ra, rb = pd.Series(a.ravel()).rank(method="average"), pd.Series(b.ravel()).rank(method="average")
    return float(np.corrcoef(ra.to_numpy(), rb.to_numpy())[0, 1])


def test_randomization_check_on_samples(relu: nn.Module, images: list[torch.Tensor]) -> None:
    before = {k: v.clone() for k, v in relu.state_dict().items()}
    finals = []
    for x in images:
        target = int(relu(x).argmax())
        check = randomization_check(relu, x, target)
        assert [s.layers[-1] for s in check.steps] == ["classifier", "block2.conv2", "block2.conv1",
                                                      "block1.conv2", "block1.conv1"]
        # reference: torch.autograd.grad of the target logit on a private copy, max |.| over the (one) channel
        twin = copy.deepcopy(relu)
        xi = x.detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(twin(xi)[0, target], xi)
        ref = g[0].abs().amax(0)
        torch.testing.assert_close(input_gradients(relu, x, target), g)
        torch.testing.assert_close(check.original, ref)
        for step in check.steps:  # Spearman's ρ: Pearson of pandas' average ranks, not the project's own ranks
            assert step.spearman == pytest.approx(_spearman_ref(ref.numpy(), step.saliency.numpy()), abs=1e-9)
        finals.append(check.steps[-1].spearman)
    assert float(np.mean(finals)) < 0.2, finals
    assert max(finals) < 0.4, finals
    # the shared model was never touched
    assert not has_hooks(relu) and all(p.grad is None for p in relu.parameters()) and not relu.training
    for k, v in relu.state_dict().items():
        assert torch.equal(v, before[k])


def test_figures_without_streamlit(relu: nn.Module, images: list[torch.Tensor]) -> None:
    x = images[2]
    tr = trace(relu, x, target=2)
    pixels = np.zeros((28, 28), dtype=np.uint8)
    sal = saliency(tr).numpy()
    fig = attribution_overlay(pixels, sal, title="s", opacity=0.6)
    assert fig.title == "s" and (fig.zmin, fig.zmax) == pytest.approx((float(sal.min()), float(sal.max())))
    r, c = np.unravel_index(sal.argmax(), sal.shape)  # over a black image: 0.6 of the heat colour
    want = np.rint(0.6 * expected_colour(float(sal.max()), fig.zmin, fig.zmax, "Jet"))
    assert np.abs(picture_cell(fig, 0, int(r), int(c)) - want).max() <= 1
    signed = attribution_overlay(pixels, gradient_times_input(tr), signed=True)
    assert signed.zmin == -signed.zmax
    cam = grad_cam(tr, "block2.conv2")
    bar = channel_weights_bar(cam.weights).data[0]
    np.testing.assert_allclose(bar.y, cam.weights.numpy(), rtol=1e-6)  # α_k, checked against autograd above
    assert list(bar.x) == list(range(32))
    check = randomization_check(relu, x, 2)
    labels = ["trained", *[s.layers[-1] for s in check.steps]]
    rm = randomization_maps(check.original, check.steps, labels)
    assert len(rm.origins) == 1 + len(check.steps) and len({y for _, y in rm.origins}) == 1  # one row
    orig = check.original.numpy()
    r, c = np.unravel_index(orig.argmax(), orig.shape)  # each map scaled to its own maximum: its max is the top
    assert np.abs(picture_cell(rm, 0, int(r), int(c)) - expected_colour(1.0, 0.0, 1.0, "Viridis")).max() <= 1
    sc = spearman_chart(labels, [1.0, *[s.spearman for s in check.steps]])
    assert sc.data[0].y[0] == 1.0


# --- ImageNet-sized models: RGB saliency, Grad-CAM on a torchvision model, bounded occlusion and randomization ---


@pytest.fixture(scope="module")
def tv_resnet() -> tuple[nn.Module, torch.Tensor]:
    from torchvision.models import resnet18

    torch.manual_seed(0)
    net = resnet18(weights=None).eval()
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    return net, x




def test_rgb_saliency_and_grad_cam_match_captum(tv_resnet: tuple[nn.Module, torch.Tensor]) -> None:
    from captum.attr import LayerAttribution, LayerGradCam, Saliency

    from explain.attribution import grad_cam_conv_layers

    net, x = tv_resnet
    tr = trace(net, x, target=281, loss="logit")
    own = without_inplace(net)
    ref = Saliency(own).attribute(x.clone(), target=281, abs=True)[0].amax(0)
    torch.testing.assert_close(saliency(tr), ref, rtol=1e-4, atol=1e-7)
    layers = grad_cam_conv_layers(tr)
    assert layers[-1] == "layer4.1.conv2" and "conv1" in layers
    for key in (layers[-1], "layer3.0.conv1"):
        cam = grad_cam(tr, key)
        ref_cam = LayerGradCam(own, own.get_submodule(key)).attribute(x.clone(), target=281, relu_attributions=True)
        torch.testing.assert_close(cam.cam, ref_cam[0, 0].detach(), rtol=1e-4, atol=1e-6)
        up = LayerAttribution.interpolate(ref_cam, (224, 224), interpolate_mode="bilinear")[0, 0].detach()
        torch.testing.assert_close(cam.upsampled, up, rtol=1e-4, atol=1e-6)


def test_grad_cam_conv_layers_skip_one_by_one_maps() -> None:
    from torchvision.models import mobilenet_v3_small

    from explain.attribution import grad_cam_conv_layers

    torch.manual_seed(0)
    net = mobilenet_v3_small(weights=None).eval()
    tr = trace(net, torch.randn(1, 3, 224, 224), loss="logit")
    layers = grad_cam_conv_layers(tr)
    se = [r.key for r in tr.of_kind("Conv2d") if r.output.shape[-1] == 1]
    assert se and not set(se) & set(layers)  # squeeze-and-excitation convs (1x1 maps) are left out
    assert layers[-1] == "features.12.0"  # the last conv with 7x7 maps


def test_occlusion_on_rgb_matches_captum_and_is_bounded() -> None:
    from captum.attr import Occlusion

    from explain.attribution import occlusion_chunk

    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 5, stride=4), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
                        nn.Linear(16, 5)).eval()
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    assert occlusion_chunk(224, 224) == 4 and occlusion_chunk(28, 28) == 256
    occ = occlusion(net, x, 3, patch=56, stride=56, max_passes=64)
    assert occ.passes == 16 and occ.drops.shape == (4, 4)

    def prob(inp: torch.Tensor) -> torch.Tensor:
        return torch.softmax(net(inp), 1)

    ref = Occlusion(prob).attribute(x, sliding_window_shapes=(3, 56, 56), strides=(3, 56, 56), baselines=0.0,
                                    target=3, perturbations_per_eval=8)
    torch.testing.assert_close(occ.map, ref[0, 0].float(), rtol=1e-4, atol=1e-6)
    with pytest.raises(AttributionError) as e:
        occlusion(net, x, 3, patch=32, stride=16, max_passes=64)  # 13 × 13 = 169 positions
    assert e.value.code == "occlusion_cost" and e.value.params == {"passes": 169, "limit": 64}


def test_grouped_randomization(relu: nn.Module, images: list[torch.Tensor]) -> None:
    from explain.attribution import cascade_groups

    assert cascade_groups(5, None) == [(i, i + 1) for i in range(5)]
    assert cascade_groups(41, 3) == [(0, 14), (14, 27), (27, 41)]
    assert cascade_groups(2, 3) == [(0, 1), (1, 2)] and cascade_groups(0, 3) == []
    x = images[1]
    full = randomization_check(relu, x, 1)
    grouped = randomization_check(relu, x, 1, max_steps=2)
    assert cascade_groups(5, 2) == [(0, 2), (2, 5)]
    assert [s.layers for s in grouped.steps] == [full.steps[1].layers, full.steps[4].layers]
    # the same generator draws in the same order: the grouped steps equal the matching one-layer steps
    torch.testing.assert_close(grouped.steps[-1].saliency, full.steps[-1].saliency)
    torch.testing.assert_close(grouped.original, full.original)


def test_rgb_overlay_figure() -> None:
    pixels = np.random.default_rng(0).integers(0, 255, (224, 224, 3), dtype=np.uint8)
    heat = torch.rand(224, 224)
    fig = attribution_overlay(pixels, heat, title="t", opacity=0.6)
    assert fig.factor == 1 and fig.origins == ((0, 0),)  # the photo at its own 224 px, the heat map unaveraged
    for r, c in ((3, 5), (200, 17)):
        want = 0.4 * pixels[r, c] + 0.6 * expected_colour(float(heat[r, c]), fig.zmin, fig.zmax, "Jet")
        assert np.abs(picture_cell(fig, 0, r, c) - np.rint(want)).max() <= 1
    assert len(attribution_overlay(pixels, heat - 0.5, signed=True).png) < 400_000


# --- what the page computes: its target list, Grad-CAM's first layer, the sanity verdict, the occlusion grid ----


def test_target_options_are_the_next_most_probable_classes(relu: nn.Module, images: list[torch.Tensor]) -> None:
    from explain.attribution import target_options

    x = images[3]
    tr = trace(relu, x)
    with torch.no_grad():
        p = torch.softmax(relu(x), 1)[0]
    order = [int(i) for i in torch.argsort(p, descending=True)]
    assert target_options(tr, 4) == order[1:5] and order[0] == tr.prediction
    assert target_options(tr, 20) == order[1:]  # 10 classes: at most the 9 others


def test_default_cam_layer(relu: nn.Module, images: list[torch.Tensor]) -> None:
    """TinyVGG: the activation right after the last conv; conv-only lists (ImageNet): their last entry; a list
    without the last conv: its last entry."""
    from explain.attribution import default_cam_layer

    tr = trace(relu, images[0], target=1)
    layers = grad_cam_layers(tr)
    assert layers[default_cam_layer(tr, layers)] == "block2.act2"
    convs = [r.key for r in tr.of_kind("Conv2d")]
    assert default_cam_layer(tr, convs, conv_only=True) == len(convs) - 1
    assert default_cam_layer(tr, ["block1.conv1", "block1.act1"]) == 1
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 26 * 26, 3)).eval()
    tr = trace(net, images[0], target=0)
    assert grad_cam_layers(tr) == ["0"] and default_cam_layer(tr, grad_cam_layers(tr)) == 0  # the conv is last


def test_randomization_verdict_and_counts(relu: nn.Module, images: list[torch.Tensor]) -> None:
    from explain.attribution import RHO_OK, RandomizationCheck, RandomizationStep

    x = images[1]
    check = randomization_check(relu, x, int(relu(x).argmax()), max_steps=2)
    assert check.n_layers == 5 and len(check.steps) == 2
    assert check.final_spearman == check.steps[-1].spearman
    assert check.passed() == (check.steps[-1].spearman < RHO_OK) and check.passed()  # the committed model passes
    sal = torch.rand(4, 4)
    kept = RandomizationCheck(0, sal, (RandomizationStep(("fc",), sal, spearman(sal, sal)),))
    assert kept.final_spearman == pytest.approx(1.0) and not kept.passed()  # the same map: the check fails
    flat = RandomizationCheck(0, sal, (RandomizationStep(("fc",), torch.zeros(4, 4), float("nan")),))
    assert not flat.passed()
    empty = RandomizationCheck(0, sal, ())
    assert empty.n_layers == 0 and np.isnan(empty.final_spearman) and not empty.passed()


@pytest.mark.parametrize("size,patch,stride", [((28, 28), 4, 2), ((28, 28), 5, 3), ((224, 224), 75, 37),
                                               ((224, 160), 56, 56)])
def test_occlusion_grid_counts_the_positions(size: tuple[int, int], patch: int, stride: int) -> None:
    """(rows, cols) by hand: the corners 0, s, 2s … ≤ side − patch, plus one flush with the edge; their product is
    the number of passes, and each pass hides a patch fully inside the image."""
    from explain.attribution import occlusion_grid

    def count(side: int) -> int:
        corners = set(range(0, side - patch + 1, stride)) | {side - patch}
        return len(corners)

    h, w = size
    rows, cols = occlusion_grid(h, w, patch, stride)
    assert (rows, cols) == (count(h), count(w))
    assert rows * cols == occlusion_passes(h, w, patch, stride)


def test_occlusion_stride_covers_every_pixel() -> None:
    """A stride larger than the patch is clamped to it (else some pixels would never be hidden); half overlap is
    ⌊patch/2⌋. Every pixel of a 28-pixel side is then under at least one patch position."""
    from explain.attribution import occlusion_stride

    assert occlusion_stride(4, requested=7) == 4 and occlusion_stride(4, requested=2) == 2
    assert occlusion_stride(32, overlap="none") == 32 and occlusion_stride(32, overlap="half") == 16
    assert occlusion_stride(1, overlap="half") == 1
    for patch in range(2, 15):
        for req in range(1, 8):
            s = occlusion_stride(patch, requested=req)
            covered = set()
            for a in occlusion_positions(28, patch, s):
                covered |= set(range(a, a + patch))
            assert covered == set(range(28)), (patch, req)
    with pytest.raises(AttributionError):
        occlusion_stride(4, overlap="most")
