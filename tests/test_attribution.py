"""Attribution maps against independent references: finite differences, a manual Grad-CAM and captum, hand-set
occlusion, the randomization check on the committed samples, and no side effects on the shared models."""

from __future__ import annotations

import copy

import numpy as np
import plotly.graph_objects as go
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


def test_randomization_check_on_samples(relu: nn.Module, images: list[torch.Tensor]) -> None:
    before = {k: v.clone() for k, v in relu.state_dict().items()}
    finals = []
    for x in images:
        target = int(relu(x).argmax())
        check = randomization_check(relu, x, target)
        assert [s.layers[-1] for s in check.steps] == ["classifier", "block2.conv2", "block2.conv1",
                                                      "block1.conv2", "block1.conv1"]
        ref = input_gradients(relu, x, target)[0].abs().sum(0)
        torch.testing.assert_close(check.original, ref)
        assert check.steps[0].spearman == pytest.approx(spearman(ref.numpy(), check.steps[0].saliency.numpy()))
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
    fig = attribution_overlay(pixels, saliency(tr), title="s")
    assert isinstance(fig, go.Figure) and len(fig.data) == 2
    signed = attribution_overlay(pixels, gradient_times_input(tr), signed=True)
    assert signed.data[1].zmin == -signed.data[1].zmax
    cam = grad_cam(tr, "block2.conv2")
    assert len(channel_weights_bar(cam.weights).data[0].y) == 32
    check = randomization_check(relu, x, 2)
    labels = ["trained", *[s.layers[-1] for s in check.steps]]
    rm = randomization_maps(check.original, check.steps, labels)
    assert rm.data[0].z.shape[1] == 6 * 28 + 5
    sc = spearman_chart(labels, [1.0, *[s.spearman for s in check.steps]])
    assert sc.data[0].y[0] == 1.0
