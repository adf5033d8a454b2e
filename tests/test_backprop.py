"""Backpropagation mechanics: chain rule vs autograd, scalar backward, finite differences on the real model,
gradient descent against its closed form, the computation graph, and the figure builders (no Streamlit)."""

from __future__ import annotations

import copy
import math

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from torch import nn
from torch.nn import functional as F

import models
from explain import chain_rule as cr
from explain import descent
from explain import gradcheck as gc
from explain import layer_backward as lb
from explain.graph import model_graph
from explain.hooks import has_hooks, leaf_modules
from explain.trace import trace
from tests.helpers import without_inplace
from ui.figures import backprop as figs

NETS = [
    cr.TinyNet(),
    cr.TinyNet(x=-2.0, w1=0.3, b1=1.2, w2=-1.5, b2=0.4, t=-0.7),
    cr.TinyNet(x=0.0, w1=5.0, b1=-3.0, w2=0.5, b2=-0.2, t=2.0),
    cr.TinyNet(x=7.5, w1=-9.0, b1=9.9, w2=10.0, b2=-10.0, t=0.0),  # saturated sigmoid
]


@pytest.fixture(scope="module")
def relu() -> nn.Module:
    return models.load("tinyvgg-relu")


@pytest.fixture(scope="module")
def image() -> torch.Tensor:
    x, _ = models.test_batch()
    return x[:1].clone()


# ---------------------------------------------------------------- chain rule


@pytest.mark.parametrize("net", NETS)
def test_chain_rule_matches_autograd(net: cr.TinyNet) -> None:
    chain = cr.chain_rule(net)
    # an independent autograd computation, written here
    leaves = {k: torch.tensor(getattr(net, k), dtype=torch.float64, requires_grad=True)
              for k in ("x", "w1", "b1", "w2", "b2")}
    loss = (leaves["w2"] * torch.sigmoid(leaves["w1"] * leaves["x"] + leaves["b1"]) + leaves["b2"] - net.t) ** 2
    ref = dict(zip(leaves, torch.autograd.grad(loss, list(leaves.values())), strict=True))
    assert chain.loss == pytest.approx(float(loss.detach()), abs=1e-12)
    assert set(chain.grads) == set(ref)
    for k, g in ref.items():
        assert abs(chain.grads[k] - float(g)) <= 1e-6, k
        assert abs(chain.autograd[k] - float(g)) <= 1e-12, k
    assert chain.max_abs_diff <= 1e-6
    # every product is upstream × local
    for s in chain.steps:
        assert s.value == pytest.approx(s.upstream_value * s.local_value, rel=1e-12, abs=1e-15)


def test_chain_rule_by_hand_numbers() -> None:
    # x=1, w1=0, b1=0 → z1=0, h=0.5; w2=2, b2=0 → y=1; t=0 → L=1, dL/dy=2, dL/dw2=1, dL/dz1 = 2·2·0.25 = 1
    chain = cr.chain_rule(cr.TinyNet(x=1.0, w1=0.0, b1=0.0, w2=2.0, b2=0.0, t=0.0))
    assert (chain.z1, chain.h, chain.y, chain.loss) == (0.0, 0.5, 1.0, 1.0)
    assert chain.grads == pytest.approx({"w2": 1.0, "b2": 2.0, "w1": 1.0, "b1": 1.0, "x": 0.0})


# ---------------------------------------------------------------- scalar backward


def test_scalar_backward_really_raises_and_fixes_work() -> None:
    x, v = (1.0, -2.0, 3.5), (1.0, 0.5, -2.0)
    demo = cr.scalar_backward_demo(x, v)
    xt = torch.tensor(x, requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        (xt ** 2).backward()
    assert demo.error == str(info.value)
    assert "scalar outputs" in demo.error
    assert demo.y == pytest.approx([a * a for a in x])
    assert demo.grad_sum == pytest.approx([2 * a for a in x])
    assert demo.grad_weighted == pytest.approx([b * 2 * a for a, b in zip(x, v, strict=True)])
    # the weighted fix is the gradient of the scalar v·y
    (ref,) = torch.autograd.grad((torch.tensor(v) * xt ** 2).sum(), xt)
    assert demo.grad_weighted == pytest.approx(ref.tolist())


def test_scalar_demo_single_element_is_a_scalar() -> None:
    demo = cr.scalar_backward_demo([3.0])
    assert demo.error == ""
    assert demo.grad_sum == pytest.approx([6.0])


@pytest.mark.parametrize(("text", "code"), [("", "empty"), ("1, two", "not_number"), ("1, inf", "not_finite"),
                                             ("1 2 3 4 5 6 7 8 9", "too_long")])
def test_parse_vector_errors(text: str, code: str) -> None:
    with pytest.raises(cr.VectorInputError) as info:
        cr.parse_vector(text)
    assert info.value.code == code


def test_parse_vector() -> None:
    assert cr.parse_vector("1, 2.5;-3  4e-1") == (1.0, 2.5, -3.0, 0.4)
    with pytest.raises(cr.VectorInputError) as info:
        cr.parse_vector("1, 2", length=3)
    assert info.value.code == "length"
    with pytest.raises(cr.VectorInputError):
        cr.scalar_backward_demo([1.0, 2.0], [1.0])


# ---------------------------------------------------------------- finite differences on the real model


def _snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize(("layer", "param", "loss"), [("block1.conv1", "weight", "logit"),
                                                      ("block2.conv2", "weight", "cross_entropy"),
                                                      ("classifier", "bias", "cross_entropy")])
def test_finite_difference_matches_autograd_and_leaves_model_alone(relu: nn.Module, image: torch.Tensor,
                                                                    layer: str, param: str, loss: str) -> None:
    tr = trace(relu, image, loss=loss)  # type: ignore[arg-type]
    rec = tr[layer]
    grad = rec.param_grads[param]
    assert grad is not None
    index = gc.largest_grad_index(grad)
    before = _snapshot(relu)
    flags = [m.training for m in relu.modules()]
    check = gc.finite_difference(relu, tr.input, layer=layer, param=param, index=index, target=tr.target,
                                 loss=tr.loss_kind, label=tr.label, hs=(1e-2, 1e-4, 1e-6))
    # float64 finite differences agree with float64 autograd
    assert check.row(1e-4).rel_error < 1e-4
    assert check.row(1e-6).rel_error < 1e-4
    # and with the shared trace's float32 gradient
    assert check.autograd == pytest.approx(float(grad[index]), rel=1e-3, abs=1e-5)
    assert check.loss == pytest.approx(tr.loss, rel=1e-5, abs=1e-6)  # float32 trace vs float64 copy
    assert check.weight == pytest.approx(float(rec.params[param][index]), abs=1e-7)
    assert check.index == index and check.layer == layer
    # the shared model is untouched
    after = relu.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert all(p.grad is None for p in relu.parameters())
    assert all(p.dtype == torch.float32 for p in relu.parameters())
    assert [m.training for m in relu.modules()] == flags
    assert not has_hooks(relu)


@pytest.mark.parametrize("name", [m.name for m in models.available(None)])
def test_finite_difference_every_model(name: str, image: torch.Tensor) -> None:
    model = models.load(name)
    tr = trace(model, image, loss="cross_entropy")
    rec = next(r for r in tr.layers if r.param_grads.get("weight") is not None)
    grad = rec.param_grads["weight"]
    assert grad is not None
    index = gc.largest_grad_index(grad)
    check = gc.finite_difference(model, tr.input, layer=rec.name, param="weight", index=index, target=tr.target,
                                 loss="cross_entropy", label=tr.label, hs=(1e-5,))
    assert check.rows[0].rel_error < 1e-4
    assert check.autograd == pytest.approx(float(grad[index]), rel=1e-3, abs=1e-5)


def test_finite_difference_bad_index(relu: nn.Module, image: torch.Tensor) -> None:
    with pytest.raises(IndexError):
        gc.finite_difference(relu, image, layer="classifier", param="bias", index=(10,), target=(0,))
    with pytest.raises(KeyError):
        gc.finite_difference(relu, image, layer="classifier", param="nope", index=(0,), target=(0,))


def test_loss_of_matches_torch() -> None:
    z = torch.randn(3, 10, generator=torch.Generator().manual_seed(0))
    assert float(gc.loss_of(z, [1, 2, 3], "logit", None)) == pytest.approx(float((z[0, 1] + z[1, 2] + z[2, 3]) / 3))
    assert float(gc.loss_of(z, [1, 2, 3], "cross_entropy", [4, 5, 6])) == pytest.approx(
        float(F.cross_entropy(z, torch.tensor([4, 5, 6]))))


def test_relative_error() -> None:
    assert gc.relative_error(0.0, 0.0) == 0.0
    assert gc.relative_error(1.0, 1.1) == pytest.approx(0.1 / 1.1)


# ---------------------------------------------------------------- surfaces, differential, descent


def test_bowl_descent_matches_closed_form() -> None:
    bowl = descent.SURFACES["bowl"]
    lams = np.array(descent.BOWL_LAMBDAS)
    crit = descent.critical_lr(bowl)
    assert crit == pytest.approx(2 / lams.max())
    w0 = np.array([2.5, 2.0])
    for lr in (0.01, 0.1, 0.9 * crit, 1.1 * crit):
        path = descent.gradient_descent(bowl, tuple(w0), lr, 40)
        k = np.arange(len(path.points))[:, None]
        closed = (1 - lr * lams)[None, :] ** k * w0[None, :]
        np.testing.assert_allclose(path.points, closed, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(path.losses, 0.5 * (closed ** 2 * lams).sum(1), rtol=1e-9, atol=1e-12)
    small = descent.gradient_descent(bowl, tuple(w0), 0.1, 100)
    assert not small.diverged and small.losses[-1] < 1e-3 * small.losses[0]
    crawl = descent.gradient_descent(bowl, (2.5, 0.0), 0.001, 100)  # along the flat direction (λ = 1)
    assert not crawl.diverged and crawl.losses[-1] > 0.5 * crawl.losses[0]
    big = descent.gradient_descent(bowl, tuple(w0), 1.1 * crit, 40)
    assert big.diverged and not big.blew_up and big.losses[-1] > 10 * big.losses[0]
    huge = descent.gradient_descent(bowl, tuple(w0), 5.0, 100)
    assert huge.blew_up and huge.diverged and len(huge.points) < 101


@pytest.mark.parametrize("key", list(descent.SURFACES))
def test_partials_match_finite_differences(key: str) -> None:
    s = descent.SURFACES[key]
    for w1, w2 in [(0.3, -0.7), (-1.5, 2.0), (1.0, 1.0)]:
        g = descent.gradient_at(s, w1, w2)
        h = 1e-6
        fd1 = (descent.value_at(s, w1 + h, w2) - descent.value_at(s, w1 - h, w2)) / (2 * h)
        fd2 = (descent.value_at(s, w1, w2 + h) - descent.value_at(s, w1, w2 - h)) / (2 * h)
        assert g == pytest.approx((fd1, fd2), rel=1e-6, abs=1e-6)


def test_differential_is_first_order() -> None:
    s = descent.SURFACES["valley"]
    d = descent.differential(s, (0.0, 1.0), (0.01, 0.01))
    assert d.partials == pytest.approx((-2.0, 10.0))  # f = (1 − w1)² + 5(w2 − w1²)²
    assert d.df == pytest.approx(-2.0 * 0.01 + 10.0 * 0.01)
    gaps = [abs(descent.differential(s, (0.0, 1.0), (e, e)).delta - descent.differential(s, (0.0, 1.0), (e, e)).df)
            for e in (0.02, 0.01)]
    assert gaps[0] / gaps[1] == pytest.approx(4.0, rel=0.1)  # error of order dw²
    assert d.gradient_norm == pytest.approx(math.hypot(2.0, 10.0))


def test_surface_grid_values() -> None:
    s = descent.SURFACES["bowl"]
    g = descent.surface_grid(s, n=11)
    j, i = 3, 7
    assert g.f[j, i] == pytest.approx(descent.value_at(s, g.w1[i], g.w2[j]))


# ---------------------------------------------------------------- computation graph


def test_graph_contains_every_leaf_and_trace_norms(relu: nn.Module, image: torch.Tensor) -> None:
    tr = trace(relu, image)
    before = _snapshot(relu)
    graph = model_graph(relu, tr)
    assert graph.source == "fx"
    assert not has_hooks(relu) and all(p.grad is None for p in relu.parameters())
    assert all(torch.equal(before[k], v) for k, v in relu.state_dict().items())
    dot = figs.model_graph_dot(graph)
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    for name, _ in leaf_modules(relu):
        assert f'"{name} · ' in dot, name
        node = graph.by_label(name)
        rec = tr[name]
        assert node.shape == tuple(rec.output.shape)
        assert rec.grad is not None
        assert node.grad_norm == pytest.approx(float(rec.grad.double().norm()), rel=1e-9)
    # independent reference: ∂L/∂W of block1.conv1 from torch.autograd on a copy
    twin = copy.deepcopy(relu)
    z = twin(image)
    gw, gb = torch.autograd.grad(z[0, tr.target[0]], [twin.block1.conv1.weight, twin.block1.conv1.bias])
    ref = math.sqrt(float(gw.double().pow(2).sum() + gb.double().pow(2).sum()))
    assert graph.by_label("block1.conv1").param_grad_norm == pytest.approx(ref, rel=1e-5)
    # for L = z_t the gradient at the logits is one-hot
    assert graph.by_label("classifier").grad_norm == pytest.approx(1.0)
    assert graph["x"].grad_norm == pytest.approx(float(tr.input_grad.double().norm()))
    assert graph.by_label("L").inputs == ("classifier",)
    assert ("x", "block1_conv1") in graph.edges


def test_graph_of_mlp_and_functional_ops() -> None:
    class Residual(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.out = nn.Linear(4, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = torch.flatten(x, 1)
            return self.out(torch.relu(self.fc(h)) + h)

    torch.manual_seed(0)
    model = Residual().eval()
    tr = trace(model, torch.randn(1, 1, 2, 2))
    graph = model_graph(model, tr)
    ops = {n.label for n in graph.nodes if n.op == "function"}
    assert {"flatten", "relu", "add"} <= ops
    assert graph.by_label("add").shape == (1, 4)
    assert len(graph.by_label("add").inputs) == 2
    mlp = models.build("mlp", "relu", seed=0)
    g2 = model_graph(mlp, trace(mlp, torch.zeros(1, 1, 28, 28)))
    assert [n.label for n in g2.nodes if n.op == "module"] == [name for name, _ in leaf_modules(mlp)]


def test_graph_falls_back_for_untraceable_models() -> None:
    class Branchy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(3, 2)
            self.b = nn.Linear(3, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = x.flatten(1)
            return self.a(x) if x.sum() > 0 else self.b(x)

    model = Branchy().eval()
    tr = trace(model, torch.ones(1, 1, 1, 3))
    graph = model_graph(model, tr)
    assert graph.source == "trace"
    assert [n.label for n in graph.nodes] == ["x", "a", "L"]


# ---------------------------------------------------------------- figure builders


def test_figures_without_streamlit(relu: nn.Module, image: torch.Tensor) -> None:
    s = descent.SURFACES["bowl"]
    path = descent.gradient_descent(s, (2.5, 2.0), 0.1, 10)
    fig = figs.surface_figure(descent.surface_grid(s, 21), point=(2.5, 2.0), grad=descent.gradient_at(s, 2.5, 2.0),
                              path=path, title="t")
    assert isinstance(fig, go.Figure)
    assert isinstance(fig.data[0], go.Contour)
    np.testing.assert_allclose(fig.data[1].x, path.points[:, 0])
    arrow = fig.layout.annotations[0]
    assert (arrow.ax, arrow.ay) == (2.5, 2.0)
    # the arrow points along the gradient (2.5, 16)
    assert (arrow.x - 2.5) * 16.0 == pytest.approx((arrow.y - 2.0) * 2.5)
    steps = figs.loss_steps_figure(path)
    assert steps.layout.yaxis.type == "log"
    np.testing.assert_allclose(steps.data[0].y, path.losses)
    tr = trace(relu, image)
    check = gc.finite_difference(relu, tr.input, layer="classifier", param="bias", index=(tr.target[0],),
                                 target=tr.target, hs=(1e-2, 1e-4))
    fd = figs.fd_error_figure(check, chosen_h=1e-4)
    assert list(fd.data[0].x) == [1e-2, 1e-4] and fd.data[1].x[0] == 1e-4
    chain_dot = figs.chain_dot(cr.chain_rule(cr.TinyNet()))
    assert "∂L/∂w1" in chain_dot and "z1 = w1·x + b1" in chain_dot
    assert figs._q('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    assert figs.fmt(None) == "–" and figs.fmt(0.0) == "0" and figs.fmt(1.23456e-5) == "1.235e-05"


# --- one layer's local backward (what generalizes to the ImageNet models)


class _Mixed(nn.Module):
    """Every kind with a hand formula: strided/padded/grouped convs, eval BatchNorm, pools, activations, a residual."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.act = nn.Hardswish()
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.silu = nn.SiLU()
        self.relu = nn.ReLU(inplace=True)
        self.pool = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.relu6 = nn.ReLU6()
        self.avg = nn.AdaptiveAvgPool2d(3)
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(72, 5)
        with torch.no_grad():
            self.bn.running_mean.uniform_(-0.5, 0.5)
            self.bn.running_var.uniform_(0.5, 2.0)
            self.bn.weight.uniform_(0.5, 1.5)
            self.bn.bias.uniform_(-0.2, 0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.bn(self.conv(x)))
        h = self.relu(h + self.silu(self.dw(h)))  # a residual: h feeds two paths
        h = self.avg(self.relu6(self.pool(h)))
        return self.fc(self.drop(torch.flatten(h, 1)))


def _keep_io(name: str, ins: dict, outs: dict):  # noqa: ANN202 - a forward hook
    """A forward hook that keeps a layer's input and output tensors (and returns None: the output stays)."""

    def hook(_m: nn.Module, args: tuple, out: torch.Tensor) -> None:
        ins[name], outs[name] = args[0], out

    return hook


def _forward_keeping_io(model: nn.Module, modules: dict[str, nn.Module], x: torch.Tensor,
                        ) -> tuple[torch.Tensor, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """model(x) with forward hooks on ``modules`` that keep each one's input and output tensors (in the graph, for
    torch.autograd.grad); the hooks are removed afterwards. Returns (output, inputs, outputs) by name."""
    ins: dict[str, torch.Tensor] = {}
    outs: dict[str, torch.Tensor] = {}
    handles = [m.register_forward_hook(_keep_io(n, ins, outs)) for n, m in modules.items()]
    try:
        z = model(x)
    finally:
        for h in handles:
            h.remove()
    return z, ins, outs


@pytest.mark.parametrize("loss", ["logit", "cross_entropy"])
def test_local_backward_formulas_equal_autograd(loss: str) -> None:
    model = _Mixed().eval()
    x = torch.randn(1, 3, 13, 13)
    tr = trace(model, x, loss=loss, label=1)
    before = copy.deepcopy(model.state_dict())
    # independent reference: ∂L/∂in and ∂L/∂out of every layer by torch.autograd.grad of the whole model's loss,
    # on a private copy without in-place ops (hooks keep each layer's input and output tensors)
    twin = without_inplace(model)
    leaves = {n: m for n, m in twin.named_modules() if n and not list(m.children())}
    z, ins, outs = _forward_keeping_io(twin, leaves, x.clone().requires_grad_(True))
    value = z[0, tr.target[0]] if loss == "logit" else F.cross_entropy(z, torch.tensor([1]))
    names = list(ins)
    got = torch.autograd.grad(value, [outs[n] for n in names], retain_graph=True)
    d_out = dict(zip(names, got, strict=True))
    # this layer's own step of the chain rule: the vector-Jacobian product ∂L/∂out · ∂out/∂in (where the input
    # also feeds another path, as dw's does, the full ∂L/∂in adds that path too)
    d_in = {n: torch.autograd.grad(outs[n], ins[n], d_out[n], retain_graph=True)[0] for n in names}
    assert sorted(r.name for r in tr.layers) == sorted(names)
    for rec in tr.layers:
        lg = lb.local_backward(model, rec.key, tr.layers)
        assert lg.hand, rec.kind
        assert lg.input_diff is not None and lg.input_diff < 1e-5, (rec.key, lg.input_diff)
        own = {n for n, _ in model.get_submodule(rec.name).named_parameters(recurse=False)}
        assert set(lg.param_diffs) == own, rec.key  # every parameter compared: an empty dict does not pass
        assert all(v < 1e-5 for v in lg.param_diffs.values()), (rec.key, lg.param_diffs)
        assert set(lg.trace_diffs) == own, rec.key
        assert all(v < 1e-5 for v in lg.trace_diffs.values()), (rec.key, lg.trace_diffs)
        assert lg.in_grad_norm == pytest.approx(float(d_in[rec.name].norm()), rel=1e-4, abs=1e-7), rec.key
        assert lg.out_grad_norm == pytest.approx(float(d_out[rec.name].norm()), rel=1e-4, abs=1e-7), rec.key
    # ∂L/∂in of the first layer equals the trace's ∂L/∂x, and of the classifier the full backward's value
    assert lb.local_backward(model, "conv", tr.layers).in_grad_norm == pytest.approx(float(tr.input_grad.norm()),
                                                                                     rel=1e-5)
    # the chain: dw's input is act's output, which also feeds the shortcut (gradients add); the pool reads relu
    branch = lb.local_backward(model, "dw", tr.layers)
    assert branch.producer == "act" and branch.producer_diff is not None and branch.producer_diff > 1e-6
    chain = lb.local_backward(model, "pool", tr.layers)
    assert chain.producer == "relu" and chain.producer_diff is not None and chain.producer_diff < 1e-6
    # the model is untouched
    assert all(p.grad is None for p in model.parameters()) and not has_hooks(model) and not model.training
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_hand_backward_against_independent_autograd() -> None:
    """The formulas against torch.autograd.grad of the functional ops (no module involved)."""
    torch.manual_seed(3)
    a = torch.randn(2, 4, 9, 9, dtype=torch.float64, requires_grad=True)
    conv = nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2).double()
    y = F.conv2d(a, conv.weight, conv.bias, 2, 2, 2, 2)
    g = torch.randn_like(y)
    ga, gw, gb = torch.autograd.grad(y, [a, conv.weight, conv.bias], g)
    da, grads = lb.hand_backward("Conv2d", conv, a.detach(), g)
    torch.testing.assert_close(da, ga)
    torch.testing.assert_close(grads["weight"], gw)
    torch.testing.assert_close(grads["bias"], gb)
    y = F.adaptive_avg_pool2d(a, (4, 2))
    g = torch.randn_like(y)
    (ga,) = torch.autograd.grad(y, a, g)
    torch.testing.assert_close(lb.hand_backward("AdaptiveAvgPool2d", nn.AdaptiveAvgPool2d((4, 2)), a.detach(), g)[0],
                               ga)
    for kind, fn in (("Hardswish", F.hardswish), ("Hardsigmoid", F.hardsigmoid), ("SiLU", F.silu),
                     ("ReLU6", F.relu6), ("Tanh", torch.tanh), ("Sigmoid", torch.sigmoid)):
        y = fn(a)
        (ga,) = torch.autograd.grad(y, a, torch.ones_like(y))
        torch.testing.assert_close(lb.hand_backward(kind, nn.Identity(), a.detach(), torch.ones_like(y))[0], ga)
    assert lb.hand_backward("GELU", nn.GELU(), a.detach(), a.detach()) is None
    # BatchNorm2d in eval mode: running statistics, not the batch's
    bn = nn.BatchNorm2d(4).double().eval()
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.3, 3.0)
        bn.weight.uniform_(0.5, 2.0)
        bn.bias.uniform_(-1, 1)
    y = F.batch_norm(a, bn.running_mean, bn.running_var, bn.weight, bn.bias, training=False, eps=bn.eps)
    g = torch.randn_like(y)
    ga, gw, gb = torch.autograd.grad(y, [a, bn.weight, bn.bias], g)
    da, grads = lb.hand_backward("BatchNorm2d", bn, a.detach(), g)
    torch.testing.assert_close(da, ga)
    assert set(grads) == {"weight", "bias"}
    torch.testing.assert_close(grads["weight"], gw)
    torch.testing.assert_close(grads["bias"], gb)
    # MaxPool2d with ceil_mode: 9x9 → 4x4 with k=3, s=2, the last windows hanging over the edge; overlapping windows
    for k, s, pad in ((3, 2, 0), (3, 2, 1), (2, 2, 0)):
        y = F.max_pool2d(a, k, s, pad, ceil_mode=True)
        g = torch.randn_like(y)
        (ga,) = torch.autograd.grad(y, a, g)
        da, grads = lb.hand_backward("MaxPool2d", nn.MaxPool2d(k, s, pad, ceil_mode=True), a.detach(), g)
        torch.testing.assert_close(da, ga)
        assert grads == {}
    assert F.max_pool2d(a, 3, 2, ceil_mode=True).shape[-1] == 4  # ceil mode really adds a partial window
    # Linear on a batch of vectors
    lin = nn.Linear(81, 5).double()
    v = a.detach().reshape(8, 81).requires_grad_(True)
    y = F.linear(v, lin.weight, lin.bias)
    g = torch.randn_like(y)
    gv, gw, gb = torch.autograd.grad(y, [v, lin.weight, lin.bias], g)
    da, grads = lb.hand_backward("Linear", lin, v.detach(), g)
    torch.testing.assert_close(da, gv)
    assert set(grads) == {"weight", "bias"}
    torch.testing.assert_close(grads["weight"], gw)
    torch.testing.assert_close(grads["bias"], gb)


class _BnPoolLinear(nn.Module):
    """conv → eval BatchNorm → ReLU → MaxPool(ceil_mode) → flatten → Linear, in float64."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(5)
        self.conv = nn.Conv2d(2, 3, 3, padding=1)
        self.bn = nn.BatchNorm2d(3)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2, 2, ceil_mode=True)  # 7x7 → 4x4: the last row and column are half windows
        self.flat = nn.Flatten()
        self.fc = nn.Linear(3 * 4 * 4, 4)
        with torch.no_grad():
            self.bn.running_mean.uniform_(-0.5, 0.5)
            self.bn.running_var.uniform_(0.5, 2.0)
            self.bn.weight.uniform_(0.5, 1.5)
            self.bn.bias.uniform_(-0.2, 0.2)
        self.double().eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.flat(self.pool(self.relu(self.bn(self.conv(x))))))


def test_hand_backward_of_every_layer_of_a_bn_pool_linear_model() -> None:
    """Each layer's hand backward, fed the output gradient autograd gives, returns the input and parameter
    gradients torch.autograd.grad gives for the whole model's loss."""
    model = _BnPoolLinear()
    x = torch.randn(1, 2, 7, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    mods = dict(model.named_children())
    z, ins, outs = _forward_keeping_io(model, mods, x.requires_grad_(True))
    loss = F.cross_entropy(z, torch.tensor([2]))
    params = [p for m in mods.values() for p in m.parameters(recurse=False)]
    got = torch.autograd.grad(loss, [*(ins[n] for n in mods), *(outs[n] for n in mods), *params])
    d_in = dict(zip(mods, got[:len(mods)], strict=True))
    d_out = dict(zip(mods, got[len(mods):2 * len(mods)], strict=True))
    d_param = dict(zip(map(id, params), got[2 * len(mods):], strict=True))
    assert tuple(outs["pool"].shape) == (1, 3, 4, 4)
    checked = 0
    for n, m in mods.items():
        hand = lb.hand_backward(type(m).__name__, m, ins[n].detach(), d_out[n])
        assert hand is not None, n
        da, grads = hand
        torch.testing.assert_close(da, d_in[n], msg=n)
        own = dict(m.named_parameters(recurse=False))
        assert set(grads) == set(own), n
        for pn, p in own.items():
            torch.testing.assert_close(grads[pn], d_param[id(p)], msg=f"{n}.{pn}")
            checked += 1
    assert checked == 6  # conv, bn and fc: weight and bias each


def test_record_backward_reads_the_recorded_statistics_not_the_live_module() -> None:
    """Each recorded layer's hand backward (input, output gradient, parameters, constants and BatchNorm's running
    statistics as the trace recorded them) equals torch.autograd.grad of the whole model's loss, and stays the
    same when the live module's buffers change after the trace."""
    model = _BnPoolLinear()
    x = torch.randn(1, 2, 7, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    tr = trace(model, x, loss="cross_entropy", label=1)
    mods = dict(model.named_children())
    z, ins, outs = _forward_keeping_io(model, mods, x.clone().requires_grad_(True))
    loss = F.cross_entropy(z, torch.tensor([1]))
    got = torch.autograd.grad(loss, [*(ins[n] for n in mods), *(model.get_parameter(f"{n}.{p}") for n, p in (
        ("bn", "weight"), ("bn", "bias")))])
    d_in = dict(zip(mods, got[:len(mods)], strict=True))
    for n in mods:
        da, _ = lb.record_backward(tr[n])
        torch.testing.assert_close(da, d_in[n], msg=n)
    bn_before = lb.record_backward(tr["bn"])
    torch.testing.assert_close(bn_before[1]["weight"], got[-2])
    torch.testing.assert_close(bn_before[1]["bias"], got[-1])
    with torch.no_grad():  # the live statistics change; the recorded ones do not
        model.bn.running_mean.add_(1.0)
        model.bn.running_var.mul_(3.0)
    bn_after = lb.record_backward(tr["bn"])
    torch.testing.assert_close(bn_after[0], bn_before[0], rtol=0, atol=0)
    torch.testing.assert_close(bn_after[1]["weight"], bn_before[1]["weight"], rtol=0, atol=0)
    live = lb.hand_backward("BatchNorm2d", model.bn, tr["bn"].input, tr["bn"].grad)
    assert live is not None and not torch.allclose(live[0], bn_before[0])  # the module's own values differ now


def test_descent_verdicts_on_the_bowl() -> None:
    """f = ½(w₁² + 8w₂²): each step multiplies wᵢ by (1 − ηλᵢ), so the verdict is known from the factors."""
    bowl = descent.SURFACES["bowl"]
    # (0.9, 0.2)^100: the loss is gone → ok
    assert descent.gradient_descent(bowl, (2.5, 2.0), 0.1, 100).verdict == "ok"
    # along λ = 1 only, factor 0.999: f_k/f_0 = 0.999^200 ≈ 0.82 > ½ → crawl
    assert 0.999 ** 200 > 0.5
    assert descent.gradient_descent(bowl, (2.5, 0.0), 0.001, 100).verdict == "crawl"
    # η = 0.275 > 2/8: factor −1.2 along λ = 8, |w₂| = 2·1.2^40 ≈ 2.9e3 < 1e6 → diverged, not blown up
    assert descent.gradient_descent(bowl, (2.5, 2.0), 0.275, 40).verdict == "diverged"
    # η = 5: factor −39 → |w₂| > 1e6 within 4 steps → blew_up
    assert descent.gradient_descent(bowl, (2.5, 2.0), 5.0, 100).verdict == "blew_up"
    # starting at the minimum: nothing to lose, f_0 = 0 → ok
    assert descent.gradient_descent(bowl, (0.0, 0.0), 0.1, 10).verdict == "ok"
