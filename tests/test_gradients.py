"""Gradient flow: norms against torch.autograd.grad, batch summaries against per-image loops, the vanishing-gradient
finding on the untrained networks, conv gradient maps against torch.nn.grad, no side effects on shared models."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import pytest
import torch
from torch.nn import functional as F

import models
from explain.gradients import (
    batch_flow,
    conv_grad_maps,
    conv_keys,
    first_layer_ratio,
    flow_from_trace,
)
from explain.hooks import has_hooks
from explain.imaging import prepare
from explain.trace import trace
from ui.figures.gradients import flow_chart, flow_comparison, kernel_norm_matrix


@pytest.fixture(scope="module")
def sample_x() -> torch.Tensor:
    path = models.samples()[4]
    return prepare(path.read_bytes(), path.name).tensor


@pytest.fixture(scope="module")
def batch() -> tuple[torch.Tensor, torch.Tensor]:
    x, y = models.test_batch()
    return x[:72], y[:72]  # crosses the 64-image chunk boundary


def _manual_tinyvgg(model: torch.nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """TinyVGG's forward written out by hand, keeping every intermediate tensor (an independent route)."""
    acts: dict[str, torch.Tensor] = {}
    h = x
    for bname in ("block1", "block2"):
        block = getattr(model, bname)
        for lname, layer in block.named_children():
            h = layer(h)
            acts[f"{bname}.{lname}"] = h
    h = torch.flatten(h, 1)
    acts["flatten"] = h
    out = model.classifier(h)
    acts["classifier"] = out
    return out, acts


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "prelu"])
def test_norms_equal_autograd(sample_x: torch.Tensor, activation: str) -> None:
    model = models.build("tinyvgg", activation, seed=1)
    target = 3
    flow = flow_from_trace(trace(model, sample_x, target=target, loss="logit"), activation)
    x = sample_x.clone().requires_grad_(True)
    out, acts = _manual_tinyvgg(model, x)
    names = list(acts)
    params = {n: list(getattr_path(model, n).parameters(recurse=False)) for n in names}
    flat_params = [p for n in names for p in params[n]]
    grads = torch.autograd.grad(out[0, target], [*acts.values(), *flat_params])
    g_act = dict(zip(names, grads[:len(names)], strict=True))
    it = iter(grads[len(names):])
    for n in names:
        ref_w = math.sqrt(sum(float((next(it).double() ** 2).sum()) for _ in params[n])) if params[n] else None
        lay = flow[n]
        assert lay.grad_norm == pytest.approx(float(g_act[n].double().norm()), rel=1e-5)
        if ref_w is None:
            assert lay.weight_grad_norm is None
        else:
            assert lay.weight_grad_norm == pytest.approx(ref_w, rel=1e-5)


def getattr_path(model: torch.nn.Module, name: str) -> torch.nn.Module:
    m = model
    for part in name.split("."):
        m = getattr(m, part)
    return m


@pytest.mark.parametrize("activation", ["prelu"])  # conv, linear and PReLU formulas in one model
def test_batch_flow_matches_autograd(batch: tuple[torch.Tensor, torch.Tensor], activation: str) -> None:
    x, y = batch
    model = models.build("tinyvgg", activation, seed=2)
    bf = batch_flow(model, x, y, activation)
    assert bf.n_images == len(y)
    # the batch-mean gradient: one autograd call on the mean loss over all images
    loss = F.cross_entropy(model(x), y)
    weighted = [lay.key for lay in bf.mean_grad.weighted()]
    mods = [getattr_path(model, k) for k in weighted]
    grads = torch.autograd.grad(loss, [p for m in mods for p in m.parameters(recurse=False)])
    it = iter(grads)
    for k, m in zip(weighted, mods, strict=True):
        ref = math.sqrt(sum(float((next(it).double() ** 2).sum()) for _ in m.parameters(recurse=False)))
        assert bf.mean_grad[k].weight_grad_norm == pytest.approx(ref, rel=1e-4)
    assert bf.mean_grad.loss == pytest.approx(float(loss.detach()), rel=1e-5)
    # the mean of per-image norms: a loop over images, one autograd call each
    idx = range(0, len(y), 12)
    sums = {k: 0.0 for k in weighted}
    act_sums = {"block1.act1": 0.0, "block2.conv2": 0.0}
    for i in idx:
        xi = x[i:i + 1]
        out, acts = _manual_tinyvgg(model, xi)
        li = F.cross_entropy(out, y[i:i + 1])
        own_params = [p for m in mods for p in m.parameters(recurse=False)]
        gs = torch.autograd.grad(li, [acts[k] for k in act_sums] + own_params)
        for j, k in enumerate(act_sums):
            act_sums[k] += float(gs[j].double().norm())
        it = iter(gs[len(act_sums):])
        for k, m in zip(weighted, mods, strict=True):
            sums[k] += math.sqrt(sum(float((next(it).double() ** 2).sum()) for _ in m.parameters(recurse=False)))
    sub = batch_flow(model, x[list(idx)], y[list(idx)], activation)
    for k in weighted:
        assert sub.mean_norm[k].weight_grad_norm == pytest.approx(sums[k] / len(idx), rel=1e-4)
    for k, v in act_sums.items():
        assert sub.mean_norm[k].grad_norm == pytest.approx(v / len(idx), rel=1e-4)
    # the triangle inequality: mean of norms ≥ norm of the mean
    for k in weighted:
        assert bf.mean_norm[k].weight_grad_norm >= bf.mean_grad[k].weight_grad_norm - 1e-12


def test_sigmoid_vanishes_on_untrained_networks(batch: tuple[torch.Tensor, torch.Tensor],
                                                sample_x: torch.Tensor) -> None:
    x, y = batch
    relu = batch_flow(models.build("tinyvgg", "relu", seed=0), x[:32], y[:32], "relu")
    sig = batch_flow(models.build("tinyvgg", "sigmoid", seed=0), x[:32], y[:32], "sigmoid")
    for red in ("mean_norm", "mean_grad"):
        ratio = first_layer_ratio(relu.get(red), sig.get(red))
        assert ratio is not None and ratio > 20, ratio  # orders of magnitude, not a few percent
    # the gap shrinks towards the output: the classifier is not starved
    last = relu.mean_norm.weighted()[-1].weight_grad_norm / sig.mean_norm.weighted()[-1].weight_grad_norm
    assert last < ratio
    one = [flow_from_trace(trace(models.build("tinyvgg", a, seed=0), sample_x, loss="cross_entropy", label=4), a)
           for a in ("relu", "sigmoid")]
    assert first_layer_ratio(one[0], one[1]) > 10


def test_conv_grad_maps_equal_torch_grad(sample_x: torch.Tensor) -> None:
    model = models.load("tinyvgg-relu")
    tr = trace(model, sample_x, target=2)
    assert conv_keys(tr) == ["block1.conv1", "block1.conv2", "block2.conv1", "block2.conv2"]
    for key in conv_keys(tr):
        rec = tr[key]
        maps = conv_grad_maps(tr, key)
        w = rec.params["weight"]
        ref = torch.nn.grad.conv2d_weight(rec.input, w.shape, rec.grad, stride=1, padding=1)
        torch.testing.assert_close(maps.weight_grad, ref, rtol=1e-4, atol=1e-7)
        torch.testing.assert_close(maps.bias_grad, rec.grad.sum((0, 2, 3)), rtol=1e-4, atol=1e-7)
        torch.testing.assert_close(maps.kernel_norms, ref.flatten(2).norm(dim=2), rtol=1e-4, atol=1e-7)
        assert maps.out_shape == (1, *rec.output.shape[1:])
    with pytest.raises(ValueError):
        conv_grad_maps(tr, "block1.act1")


def test_shared_model_untouched(batch: tuple[torch.Tensor, torch.Tensor], sample_x: torch.Tensor) -> None:
    model = models.load("tinyvgg-relu")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = batch
    batch_flow(model, x[:16], y[:16])
    flow_from_trace(trace(model, sample_x))
    assert not has_hooks(model)
    assert all(p.grad is None for p in model.parameters())
    assert not model.training
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])


def test_figures_without_streamlit(sample_x: torch.Tensor) -> None:
    flows = [flow_from_trace(trace(models.build("tinyvgg", a, seed=0), sample_x), a) for a in ("relu", "sigmoid")]
    fig = flow_chart(flows[0], title="t")
    assert isinstance(fig, go.Figure) and fig.layout.yaxis.type == "log"
    assert list(fig.data[0].x) == flows[0].keys()
    assert fig.data[0].y[0] == pytest.approx(flows[0].layers[0].grad_norm)
    assert fig.data[1].y[1] is None  # an activation has no weights: a gap, not a zero on a log axis
    cmp_fig = flow_comparison(flows, activations=["relu", "sigmoid"])
    assert len(cmp_fig.data) == 4 and cmp_fig.layout.yaxis.type == "log" and cmp_fig.layout.yaxis2.type == "log"
    assert list(cmp_fig.data[3].x) == [lay.key for lay in flows[1].weighted()]
    km = kernel_norm_matrix(torch.ones(4, 3))
    assert km.data[0].z.shape == (4, 3)


def test_top_inputs_of_a_wide_conv() -> None:
    """At most 16 input channels are drawn: those with the largest ‖∂L/∂W[shown, i]‖, checked by brute force."""
    from explain.gradients import top_inputs

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(40, 8, 3), torch.nn.Flatten(), torch.nn.LazyLinear(3))
    x = torch.randn(1, 40, 6, 6)
    model(x)
    tr = trace(model.eval(), x)
    maps = conv_grad_maps(tr, "0")
    (g,) = torch.autograd.grad(model(x)[0, tr.target[0]], model[0].weight)
    torch.testing.assert_close(maps.weight_grad, g)
    shown = [5, 2]
    strength = g[shown].flatten(2).norm(dim=2).pow(2).sum(0)
    expected = sorted(int(i) for i in torch.argsort(strength, descending=True)[:16])
    assert top_inputs(maps, shown) == expected
    assert len(top_inputs(maps, [0], n=4)) == 4
    small = conv_grad_maps(trace(models.load("tinyvgg-relu"), prepare(models.samples()[0].read_bytes(),
                                                                      models.samples()[0].name).tensor),
                           "block1.conv1")
    assert top_inputs(small, [0]) == list(range(small.weight_shape[1]))  # few inputs: all, in order
