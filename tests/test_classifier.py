"""Flatten, the fully connected logit, softmax with temperature and the loss gradients, against references."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

import models
from explain import classifier as cls
from explain.hooks import has_hooks
from explain.trace import trace
from ui.figures import classifier as figs


@pytest.fixture(scope="module")
def relu():
    model = models.load("tinyvgg-relu")
    x, y = models.test_batch()
    return model, x[:1], int(y[0])


def test_flatten_index_matches_torch_flatten() -> None:
    t = torch.randn(3, 4, 5)
    flat = torch.flatten(t)
    for c in range(3):
        for h in range(4):
            for w in range(5):
                i = cls.flatten_index((3, 4, 5), c, h, w)
                assert flat[i] == t[c, h, w]
                assert cls.unflatten_index((3, 4, 5), i) == (c, h, w)
    with pytest.raises(IndexError):
        cls.flatten_index((3, 4, 5), 3, 0, 0)


def test_flatten_view_on_real_trace(relu) -> None:
    model, x, _ = relu
    tr = trace(model, x)
    v = cls.flatten_view(tr, 5, 3, 6)
    assert v.index == 5 * 49 + 3 * 7 + 6 and v.matches
    assert v.in_shape == (1, 32, 7, 7) and v.out_shape == (1, 1568)
    with torch.no_grad():
        pooled = model.block2(model.block1(x))
    assert v.value_vector == float(torch.flatten(pooled, 1)[0, v.index])
    assert cls.feature_shape(tr) == (32, 7, 7)
    c, h, w = cls.strongest_element(tr)
    assert abs(float(pooled[0, c, h, w])) == pytest.approx(float(pooled.abs().max()))


def test_logit_equals_linear_output(relu) -> None:
    model, x, _ = relu
    tr = trace(model, x)
    with torch.no_grad():
        feats = torch.flatten(model.block2(model.block1(x)), 1)
        logits = F.linear(feats, model.classifier.weight, model.classifier.bias)
    for k in range(10):
        bd = cls.logit_breakdown(tr, k, top=5)
        assert bd.matches
        assert bd.total == pytest.approx(float(logits[0, k]), abs=1e-4)
        assert bd.traced == pytest.approx(float(logits[0, k]), abs=1e-5)
        assert bd.functional == pytest.approx(float(logits[0, k]), abs=1e-5)
        assert bd.positive + bd.negative == pytest.approx(bd.dot, abs=1e-9)
        assert bd.channel_sums is not None and bd.channel_sums.sum() == pytest.approx(bd.dot, abs=1e-9)
        assert abs(bd.terms[bd.top[0]]) == pytest.approx(np.abs(bd.terms).max())
    w = cls.class_weight_maps(tr, 3)
    np.testing.assert_array_equal(w.reshape(-1), model.classifier.weight[3].detach().numpy())
    assert not has_hooks(model)


def test_logit_with_hand_set_weights() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    with torch.no_grad():
        model[1].weight.copy_(torch.tensor([[1.0, -2.0, 0.5, 0.0], [0.0, 1.0, 1.0, 1.0]]))
        model[1].bias.copy_(torch.tensor([0.5, -1.0]))
    x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])  # [1, 1, 2, 2]
    tr = trace(model, x)
    bd = cls.logit_breakdown(tr, 0)
    np.testing.assert_allclose(bd.terms, [1.0, -4.0, 1.5, 0.0])
    assert bd.total == pytest.approx(1 - 4 + 1.5 + 0.5) and bd.positive == 2.5 and bd.negative == -4.0
    assert bd.top[0] == 1
    assert cls.logit_breakdown(tr, 1).total == pytest.approx(2 + 3 + 4 - 1)
    assert cls.feature_shape(tr) == (1, 2, 2)
    np.testing.assert_array_equal(cls.class_weight_maps(tr, 0), [[[1.0, -2.0], [0.5, 0.0]]])


def test_not_applicable() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU())
    tr = trace(model, torch.randn(1, 1, 2, 2))
    with pytest.raises(cls.NotApplicable) as e:
        cls.linear_layer(tr)
    assert e.value.code == "no_linear"
    mlp = models.build("mlp", "relu", seed=0)
    tr = trace(mlp, torch.randn(1, 1, 28, 28))
    assert cls.feature_shape(tr) is None  # the classifier's input is a hidden layer, not a flattened map
    np.testing.assert_array_equal(cls.class_weight_maps(tr, 0), mlp.classifier.weight.detach()[0].reshape(1, 1, 128))
    bd = cls.logit_breakdown(tr, 2)
    assert bd.matches and bd.channel_sums is None
    with torch.no_grad():  # z_2 of the MLP's own forward
        assert bd.total == pytest.approx(float(mlp(tr.input)[0, 2]), abs=1e-5)


@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0, 3.0, 10.0])
def test_softmax_temperature(temperature: float) -> None:
    z = torch.tensor([2.0, -1.0, 0.5, 8.0, 3.0], dtype=torch.float64)
    np.testing.assert_allclose(cls.softmax_t(z.numpy(), temperature), torch.softmax(z / temperature, 0).numpy(),
                               rtol=1e-12)


def test_softmax_view_and_bad_temperature(relu) -> None:
    model, x, _ = relu
    sv = cls.softmax_view(trace(model, x), 2.0)
    with torch.no_grad():  # an independent forward pass and torch.softmax
        z = model(x)[0].double()
    np.testing.assert_allclose(sv.logits, z.numpy(), atol=1e-5)
    np.testing.assert_allclose(sv.scaled, z.numpy() / 2, atol=1e-5)
    np.testing.assert_allclose(sv.probs, torch.softmax(z / 2.0, 0).numpy(), atol=1e-6)
    np.testing.assert_allclose(sv.probs_model, torch.softmax(z, 0).numpy(), atol=1e-6)
    assert sv.model_diff < 1e-6
    with pytest.raises(ValueError):
        cls.softmax_t(np.zeros(3), 0.0)


def test_loss_and_gradients_against_autograd() -> None:
    z = torch.tensor([1.5, -0.3, 2.2, 0.0, -1.0], dtype=torch.float64, requires_grad=True)
    y = 1
    lv = cls.loss_view(z.detach().numpy(), y)
    ce = F.cross_entropy(z[None], torch.tensor([y]))
    (g_ce,) = torch.autograd.grad(ce, z)
    assert lv.cross_entropy == pytest.approx(float(ce.detach()), rel=1e-12)
    np.testing.assert_allclose(lv.grad_ce, g_ce.numpy(), atol=1e-12)
    onehot = F.one_hot(torch.tensor(y), 5).double()
    mse = F.mse_loss(torch.softmax(z, 0), onehot)  # mean over the K classes
    (g_mse,) = torch.autograd.grad(mse, z)
    assert lv.mse == pytest.approx(float(mse.detach()), rel=1e-12)
    np.testing.assert_allclose(lv.grad_mse, g_mse.numpy(), atol=1e-12)
    with pytest.raises(IndexError):
        cls.loss_view(z.detach().numpy(), 5)


def test_traced_gradient_is_softmax_minus_onehot(relu) -> None:
    model, x, label = relu
    for y in (label, (label + 3) % 10):
        tr = trace(model, x, loss="cross_entropy", label=y)
        lv = cls.loss_view_traced(tr)
        # references: softmax − one-hot from an independent forward, and torch.autograd.grad of F.cross_entropy
        with torch.no_grad():
            z = model(x)[0].double()
        expected = torch.softmax(z, 0) - F.one_hot(torch.tensor(y), 10).double()
        zl = z.clone().requires_grad_(True)
        ce = F.cross_entropy(zl[None], torch.tensor([y]))
        (g,) = torch.autograd.grad(ce, zl)
        torch.testing.assert_close(g, expected)
        assert lv.traced_grad is not None
        np.testing.assert_allclose(lv.traced_grad, expected.numpy(), atol=1e-6)
        np.testing.assert_allclose(lv.grad_ce, expected.numpy(), atol=1e-6)
        assert lv.cross_entropy == pytest.approx(float(ce.detach()), rel=1e-6)
        assert lv.traced_loss == pytest.approx(float(ce.detach()), rel=1e-4, abs=1e-6)
        assert lv.traced_diff is not None and lv.traced_diff < 1e-6
    with pytest.raises(ValueError):
        cls.traced_logit_grad(trace(model, x))


def test_figures() -> None:
    m = np.arange(49, dtype=np.float32).reshape(7, 7)
    f = figs.flatten_figure(m, 2, 3, np.arange(98, dtype=np.float32), 17, map_title="a", vector_title="b")
    assert list(f.data[1].x) == [3] and list(f.data[1].y) == [2] and list(f.data[3].x) == [17]
    assert f.data[3].y[0] == 17.0
    t = figs.terms_figure(["a", "b"], [0.5, -1.0])
    assert list(t.data[0].x) == [-1.0, 0.5] and t.data[0].marker.color == ("#1f77b4", "#d62728")
    p = figs.probs_figure(["x", "y"], np.array([0.2, 0.8]), np.array([0.4, 0.6]), model_label="1", temp_label="T")
    assert len(p.data) == 2 and list(p.data[1].y) == [0.4, 0.6]
    g = figs.grads_figure(["x", "y"], [("a", np.array([0.1, -0.1])), ("b", np.array([0.2, -0.2]))])
    assert [d.name for d in g.data] == ["a", "b"]
    cv = figs.channel_votes_figure([0.5, -0.2, 0.0])
    assert list(cv.data[0].y) == [0.5, -0.2, 0.0] and cv.data[0].marker.color[1] == "#1f77b4"
    lc = figs.loss_curves_figure(0.5, ce_label="ce", mse_label="mse", x_label="p")
    assert lc.data[2].y[0] == pytest.approx(np.log(2))


# --- models without nn.Flatten or without a Linear classifier (the ImageNet zoo), top-N views, one row's gradient


class _FunctionalFlatten(torch.nn.Module):
    """conv → pool → torch.flatten in forward (as ResNet/VGG do) → Linear."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.pool = torch.nn.AdaptiveAvgPool2d(2)
        self.fc = torch.nn.Linear(16, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.conv(x)), 1))


class _ConvHead(torch.nn.Module):
    """SqueezeNet's head: a 1x1 conv to K class maps, ReLU, global average pool, flatten."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.features = torch.nn.Conv2d(3, 6, 3, padding=1)
        self.head = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Conv2d(6, 7, 1), torch.nn.ReLU(inplace=True),
                                        torch.nn.AdaptiveAvgPool2d(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.head(self.features(x)), 1)


def test_flatten_step_without_a_flatten_layer() -> None:
    model = _FunctionalFlatten().eval()
    x = torch.randn(1, 3, 6, 6)
    tr = trace(model, x)
    step = cls.flatten_step(tr)
    assert not step.module and step.source == "pool" and step.reader == "fc"
    pooled = F.adaptive_avg_pool2d(model.conv(x), 2).detach()
    torch.testing.assert_close(step.output, torch.flatten(pooled, 1))
    v = cls.flatten_view(tr, 3, 1, 0)
    assert v.index == 3 * 4 + 1 * 2 + 0 and v.value_map == pytest.approx(float(pooled[0, 3, 1, 0]))
    assert cls.feature_shape(tr) == (4, 2, 2)  # the Linear reads exactly the flattened map
    assert cls.class_breakdown(tr, 2).matches


def test_conv_head_breakdown_equals_the_model() -> None:
    model = _ConvHead().eval()
    x = torch.randn(1, 3, 5, 5)
    tr = trace(model, x)
    with pytest.raises(cls.NotApplicable):
        cls.linear_layer(tr)
    head = cls.conv_head(tr)
    assert (head.conv.key, head.relu.key, head.pool.key) == ("head.1", "head.2", "head.3")
    with torch.no_grad():
        z = model(x)[0]
        s = F.conv2d(model.features(x), model.head[1].weight, model.head[1].bias)[0]  # [K, H, W]
    for k in range(7):
        hb = cls.conv_head_breakdown(tr, k, top=3)
        assert hb.breakdown.total == pytest.approx(float(z[k]), abs=1e-5)
        assert hb.breakdown.matches and hb.breakdown.functional == pytest.approx(float(z[k]), abs=1e-5)
        np.testing.assert_allclose(hb.class_map, s[k].numpy(), atol=1e-5)
        assert hb.active == pytest.approx(float((s[k] > 0).float().mean()))
        assert len(hb.breakdown.top) == 3
    with pytest.raises(IndexError):
        cls.conv_head_breakdown(tr, 7)
    assert cls.class_breakdown(tr, 0).total == pytest.approx(float(z[0]), abs=1e-5)


@pytest.mark.parametrize("make", [_FunctionalFlatten, _ConvHead])
def test_weight_row_grad_against_autograd(make) -> None:  # noqa: ANN001 - class
    model = make().eval()
    x = torch.randn(1, 3, 6, 6)
    y = 2
    tr = trace(model, x, loss="cross_entropy", label=y)
    rg = cls.weight_row_grad(tr, y)
    weight = model.fc.weight if isinstance(model, _FunctionalFlatten) else model.head[1].weight
    (g,) = torch.autograd.grad(F.cross_entropy(model(x), torch.tensor([y])), weight)
    np.testing.assert_allclose(rg.row, g[y].reshape(-1).double().numpy(), atol=1e-6)
    assert rg.max_diff is not None and rg.max_diff < 1e-6
    assert rg.dz == pytest.approx(float(torch.softmax(model(x).detach(), 1)[0, y]) - 1, abs=1e-6)
    assert weight.grad is None  # the model is untouched


def test_top_classes() -> None:
    p = np.array([0.1, 0.4, 0.05, 0.3, 0.15])
    assert cls.top_classes(p, 3) == [1, 3, 4]
    assert cls.top_classes(p, 2, include=2) == [1, 3, 2]
    assert cls.top_classes(p, 2, include=3) == [1, 3]


def test_rectifiers_are_the_table_kinds_that_act_as_relu() -> None:
    """The conv head's ReLU kinds come from explain.kinds: each one's torch module equals F.relu below 6, and every
    other activation of the table differs from it somewhere on [−3, 3]."""
    from explain import kinds

    assert cls.RECTIFIERS == ("ReLU", "ReLU6")
    z = torch.linspace(-5.0, 5.9, 110)
    for kind in kinds.of_family("activation"):
        module = getattr(torch.nn, kind)()
        same = torch.equal(module(z), F.relu(z))
        assert same == (kind in cls.RECTIFIERS), kind


def test_conv_head_with_relu6_and_with_sigmoid() -> None:
    """A ReLU6 between the 1x1 conv and the pool is the head's rectifier; a Sigmoid is not (the head is the pool
    after the sigmoid, which is no 1x1 conv: not applicable)."""
    for act, applicable in ((torch.nn.ReLU6(), True), (torch.nn.Sigmoid(), False)):
        model = _ConvHead().eval()
        model.head[2] = act
        tr = trace(model, torch.randn(1, 3, 5, 5))
        if applicable:
            assert isinstance(cls.classifier_head(tr), cls.ConvHead) and cls.conv_head(tr).relu is not None
        else:
            with pytest.raises(cls.NotApplicable):
                cls.classifier_head(tr)


def test_classifier_head_is_the_linear_layer_or_the_conv_head() -> None:
    tr = trace(_FunctionalFlatten().eval(), torch.randn(1, 3, 6, 6))
    head = cls.classifier_head(tr)
    assert not isinstance(head, cls.ConvHead) and head.key == "fc"
    tr = trace(_ConvHead().eval(), torch.randn(1, 3, 5, 5))
    head = cls.classifier_head(tr)
    assert isinstance(head, cls.ConvHead) and head.conv.key == "head.1"
    with pytest.raises(cls.NotApplicable):
        cls.classifier_head(trace(nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU()), torch.randn(1, 1, 2, 2)))


def test_breakdown_maps_top_sum_and_voting_channels() -> None:
    """A [40, 1, 1] feature map (40 channels > 32): the 16 channels drawn are those with the largest |W[k, c]·x_c|,
    worked out here with numpy; the maps are the rows reshaped; the top terms' sum is the plain sum."""
    model = nn.Sequential(nn.Flatten(), nn.Linear(40, 2))
    torch.manual_seed(3)
    x = torch.randn(1, 40, 1, 1)
    tr = trace(model, x)
    bd = cls.logit_breakdown(tr, 1, top=5)
    w = model[1].weight.detach()[1].double().numpy()
    terms = w * x.reshape(-1).double().numpy()
    assert cls.voting_channels(bd) == [int(i) for i in np.argsort(-np.abs(terms), kind="stable")[:16]]
    assert cls.voting_channels(bd, limit=40) == list(range(40))
    np.testing.assert_array_equal(bd.maps("weights"), w.reshape(40, 1, 1))
    np.testing.assert_array_equal(bd.maps("terms"), terms.reshape(40, 1, 1))
    np.testing.assert_array_equal(bd.maps("features"), x[0].double().numpy())
    assert bd.top_sum == pytest.approx(float(terms[list(bd.top)].sum()), abs=1e-12)
    assert set(bd.top) == set(int(i) for i in np.argsort(-np.abs(terms))[:5])
    mlp_tr = trace(nn.Sequential(nn.Linear(4, 2)), torch.randn(1, 4))
    flat = cls.logit_breakdown(mlp_tr, 0)
    assert flat.shape is None and cls.voting_channels(flat) == []
    with pytest.raises(ValueError):
        flat.maps("weights")


def test_softmax_rest_and_row_grad_norm(relu) -> None:
    model, x, y = relu
    sv = cls.softmax_view(trace(model, x), 2.0)
    with torch.no_grad():
        z = model(x)[0].double()
    rest, rest_t = sv.rest([3, 1])
    p1, p2 = torch.softmax(z, 0), torch.softmax(z / 2, 0)
    assert rest == pytest.approx(float(1 - p1[3] - p1[1]), abs=1e-6)
    assert rest_t == pytest.approx(float(1 - p2[3] - p2[1]), abs=1e-6)
    rg = cls.weight_row_grad(trace(model, x, loss="cross_entropy", label=y), y)
    twin = __import__("copy").deepcopy(model)
    (g,) = torch.autograd.grad(F.cross_entropy(twin(x), torch.tensor([y])), twin.classifier.weight)
    assert rg.norm == pytest.approx(float(g[y].norm()), rel=1e-5)
