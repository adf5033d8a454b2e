"""The tracer against independent references.

* outputs: a plain forward that runs the leaf modules one by one (TinyVGG/MLP), torchvision's
  ``create_feature_extractor`` (resnet18) and a ``torch.fx`` interpreter (mobilenet_v3_small), the last
  two on a deepcopy whose in-place ReLUs are turned off;
* gradients: ``torch.autograd.grad`` taken separately, and the closed forms dz_t/dz = onehot(t) and
  d CE/dz = softmax(z) − onehot(y);
* a hand-set 4x4 example whose numbers are worked out on paper;
* side effects: hooks, ``.grad``, train/eval flags, the model lock, threads, ``inference_mode``.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import torch
import torchvision
from torch import nn
from torch.fx import Interpreter, symbolic_trace
from torch.nn import functional as F
from torchvision.models.feature_extraction import create_feature_extractor

import models
from explain.hooks import capture, has_hooks, leaf_modules
from explain.trace import Trace, trace

ATOL = 1e-6


def _family() -> list[str]:
    """Every committed model (TinyVGG variants and the MLP once trained)."""
    return [m.name for m in models.available(arch=None)]


@pytest.fixture(scope="module")
def relu_model() -> nn.Module:
    return models.load("tinyvgg-relu")


@pytest.fixture(scope="module")
def batch() -> tuple[torch.Tensor, torch.Tensor]:
    x, y = models.test_batch()
    return x[:4], y[:4]


def _plain_forward(model: nn.Module, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
    """Run the leaf modules in registration order by hand (the execution order of TinyVGG and MLP)."""
    out, h = [], x
    for name, m in leaf_modules(model):
        h = m(h)
        out.append((name, h))
    return out


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


# --- outputs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", _family())
def test_outputs_equal_plain_forward(name: str, batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    model = models.load(name)
    x = batch[0]
    tr = trace(model, x)
    with torch.no_grad():
        ref = _plain_forward(model, x)
    assert [r.key for r in tr.layers] == [n for n, _ in ref]
    prev = x
    for rec, (_, want) in zip(tr.layers, ref, strict=True):
        torch.testing.assert_close(rec.output, want, rtol=0, atol=ATOL)
        torch.testing.assert_close(rec.input, prev, rtol=0, atol=ATOL)  # each layer's input = previous output
        prev = want
    torch.testing.assert_close(tr.logits, model(x).detach(), rtol=0, atol=ATOL)
    torch.testing.assert_close(tr.probs, torch.softmax(tr.logits, 1), rtol=0, atol=ATOL)


def test_tinyvgg_names_shapes_and_config(relu_model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    tr = trace(relu_model, batch[0][:1])
    assert tr.keys() == ["block1.conv1", "block1.act1", "block1.conv2", "block1.act2", "block1.pool",
                         "block2.conv1", "block2.act1", "block2.conv2", "block2.act2", "block2.pool",
                         "flatten", "classifier"]
    # out = ⌊(n + 2p − k)/s⌋ + 1: 3x3 convs with padding 1 keep 28, each 2x2 pool halves it.
    assert tuple(tr["block1.conv1"].output.shape) == (1, 16, 28, 28)
    assert tuple(tr["block1.pool"].output.shape) == (1, 16, 14, 14)
    assert tuple(tr["block2.pool"].output.shape) == (1, 32, 7, 7)
    assert tuple(tr["flatten"].output.shape) == (1, 32 * 7 * 7)
    conv = tr["block1.conv1"]
    assert conv.kind == "Conv2d" and conv.config["kernel_size"] == (3, 3) and conv.config["padding"] == (1, 1)
    assert conv.n_params == 16 * 1 * 3 * 3 + 16
    assert tr["block1.pool"].config["kernel_size"] == 2
    torch.testing.assert_close(conv.output, F.conv2d(batch[0][:1], conv.params["weight"], conv.params["bias"],
                                                     padding=1), rtol=0, atol=ATOL)
    torch.testing.assert_close(tr["block1.pool"].output, F.max_pool2d(tr["block1.act2"].output, 2), rtol=0, atol=0)


def test_hand_set_weights_known_numbers() -> None:
    """A 1x4x4 input 0..15 and a 2x2 kernel of ones: every output is the sum of a 2x2 window."""
    conv = nn.Conv2d(1, 1, 2, bias=False)
    fc = nn.Linear(9, 2, bias=False)
    with torch.no_grad():
        conv.weight.fill_(1.0)
        fc.weight.copy_(torch.stack([torch.ones(9), -torch.ones(9)]))
    net = nn.Sequential(OrderedDict(conv=conv, relu=nn.ReLU(), flat=nn.Flatten(), fc=fc)).eval()
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    tr = trace(net, x)
    want = torch.tensor([[10.0, 14, 18], [26, 30, 34], [42, 46, 50]])
    assert torch.equal(tr["conv"].output[0, 0], want)
    assert tr.logits.tolist() == [[want.sum().item(), -want.sum().item()]]  # 270, −270
    assert tr.target == (0,) and tr.loss == 270.0
    # L = z_0 = Σ_ij w_0 · h_ij, so dL/dh = w_0 = 1 everywhere, dL/dw_0 = h, dL/dw_1 = 0.
    assert torch.equal(tr["flat"].grad, torch.ones(1, 9))
    assert torch.equal(tr["fc"].param_grads["weight"], torch.stack([want.flatten(), torch.zeros(9)]))
    # dL/dK_ab = Σ_ij x_{i+a, j+b}: the sum of the 3x3 window of the input at offset (a, b).
    k_grad = torch.tensor([[x[0, 0, a:a + 3, b:b + 3].sum().item() for b in range(2)] for a in range(2)])
    assert torch.equal(tr["conv"].param_grads["weight"][0, 0], k_grad)
    # dL/dx_pq = number of windows covering (p, q).
    cover = F.conv_transpose2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 2, 2))
    assert torch.equal(tr.input_grad, cover)


# --- gradients ----------------------------------------------------------------------------------------


def _reference_grads(model: nn.Module, x: torch.Tensor, target: torch.Tensor, loss: str, label: torch.Tensor | None):
    ref = copy.deepcopy(model).eval()
    xi = x.clone().requires_grad_(True)
    outs, h = [], xi
    for _, m in leaf_modules(ref):
        h = m(h)
        outs.append(h)
    logits = h
    if loss == "logit":
        value = logits.gather(1, target[:, None]).mean()
    else:
        value = F.cross_entropy(logits, label)
    params = [p for _, m in leaf_modules(ref) for p in m.parameters(recurse=False)]
    g = torch.autograd.grad(value, [xi, *outs, *params])
    return float(value.detach()), g[0], g[1:1 + len(outs)], g[1 + len(outs):], logits.detach()


@pytest.mark.parametrize("name", _family())
@pytest.mark.parametrize("loss", ["logit", "cross_entropy"])
def test_gradients_equal_autograd(name: str, loss: str, batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    model = models.load(name)
    x, y = batch
    target = torch.tensor([3, 1, 4, 1])
    tr = trace(model, x, target=target, loss=loss, label=y if loss == "cross_entropy" else None)
    value, gx, g_out, g_par, logits = _reference_grads(model, x, target, loss, y)
    assert tr.loss == pytest.approx(value, abs=1e-5)
    torch.testing.assert_close(tr.input_grad, gx, rtol=1e-5, atol=1e-7)
    for rec, want in zip(tr.layers, g_out, strict=True):
        torch.testing.assert_close(rec.grad, want, rtol=1e-5, atol=1e-7)
    got_par = [g for name, _ in leaf_modules(model) for g in tr[name].param_grads.values()]
    assert len(got_par) == len(g_par)
    for got, want in zip(got_par, g_par, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-7)
    # Closed forms at the logits: mean over the batch of onehot(t), or of softmax(z) − onehot(y).
    n = x.shape[0]
    dz = F.one_hot(target, 10).float() / n if loss == "logit" else (torch.softmax(logits, 1) - F.one_hot(y, 10)) / n
    torch.testing.assert_close(tr.layers[-1].grad, dz, rtol=1e-5, atol=1e-7)


def test_loss_values_by_hand(relu_model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    x = batch[0][:1]
    tr = trace(relu_model, x)
    z = tr.logits[0]
    assert tr.target == (int(z.argmax()),)  # the default target is the prediction
    assert tr.prediction == int(z.argmax()) and tr.label is None
    assert tr.loss == pytest.approx(float(z.max()), abs=1e-6)  # L = z_t
    for label in (0, 7):
        ce = trace(relu_model, x, loss="cross_entropy", label=label)
        manual = -float(z[label]) + float(torch.log(torch.exp(z.double()).sum()))  # −z_y + log Σ e^{z_k}
        assert ce.loss == pytest.approx(manual, abs=1e-5)
        assert ce.label == (label,) and ce.loss_kind == "cross_entropy"
    # Without a label, cross-entropy is taken against the target.
    ce_t = trace(relu_model, x, loss="cross_entropy", target=2)
    assert ce_t.label == (2,)
    assert ce_t.loss == pytest.approx(float(-torch.log_softmax(z.double(), 0)[2]), abs=1e-5)
    top = tr.top(3)
    assert [c for c, _ in top] == torch.argsort(z, descending=True)[:3].tolist()


def test_bad_target_and_loss(relu_model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    x = batch[0][:1]
    for bad in (10, -1, [1, 2]):
        with pytest.raises(ValueError):
            trace(relu_model, x, target=bad)
    with pytest.raises(ValueError):
        trace(relu_model, x, loss="mse")  # type: ignore[arg-type]
    assert not has_hooks(relu_model)


def test_three_dim_input_is_batched(relu_model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    x = batch[0][0]
    a, b = trace(relu_model, x), trace(relu_model, x[None])
    assert a.input.shape == (1, 1, 28, 28)
    assert torch.equal(a.logits, b.logits) and torch.equal(a.input_grad, b.input_grad)


# --- reused modules -----------------------------------------------------------------------------------


class ReusedReLU(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv1 = nn.Conv2d(1, 2, 3, padding=1)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(2, 2, 3, padding=1)
        self.fc = nn.Linear(2 * 4 * 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.relu(self.conv2(self.relu(self.conv1(x)))), 1))


def test_module_called_twice_gets_two_records() -> None:
    net = ReusedReLU().eval()
    x = torch.randn(1, 1, 4, 4, generator=torch.Generator().manual_seed(1))
    tr = trace(net, x)
    assert tr.keys() == ["conv1", "relu", "conv2", "relu#2", "fc"]
    assert [r.call for r in tr.layers] == [0, 0, 0, 1, 0] and tr["relu#2"].name == "relu"
    xi = x.clone().requires_grad_(True)
    h1 = net.conv1(xi)
    r1 = F.relu(h1)
    h2 = net.conv2(r1)
    r2 = F.relu(h2)
    z = net.fc(torch.flatten(r2, 1))
    t = tr.target[0]
    g = torch.autograd.grad(z[0, t], [r1, r2, h1, h2])
    torch.testing.assert_close(tr["relu"].output, r1.detach(), rtol=0, atol=0)
    torch.testing.assert_close(tr["relu#2"].output, r2.detach(), rtol=0, atol=0)
    torch.testing.assert_close(tr["relu"].input, h1.detach(), rtol=0, atol=0)
    torch.testing.assert_close(tr["relu#2"].input, h2.detach(), rtol=0, atol=0)
    torch.testing.assert_close(tr["relu"].grad, g[0], rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(tr["relu#2"].grad, g[1], rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(tr["conv1"].grad, g[2], rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(tr["conv2"].grad, g[3], rtol=1e-6, atol=1e-7)


# --- torchvision models (in-place ReLUs, reused ReLUs, functional adds) --------------------------------


def _no_inplace(model: nn.Module) -> nn.Module:
    ref = copy.deepcopy(model)
    for m in ref.modules():
        if hasattr(m, "inplace"):
            m.inplace = False
    return ref


def _fx_node(key: str) -> str:
    """Tracer key → torch.fx node name: the n-th call of ``a.relu`` is ``a.relu_{n-1}``."""
    name, _, n = key.partition("#")
    return name if not n else f"{name}_{int(n) - 1}"


class _CallRecorder(Interpreter):
    """Runs a torch.fx graph and keeps every call_module result, keyed like the tracer (no hooks involved)."""

    def __init__(self, gm: torch.fx.GraphModule) -> None:
        super().__init__(gm)
        self.outputs: dict[str, torch.Tensor] = {}
        self.inputs: dict[str, torch.Tensor] = {}
        self._counts: dict[str, int] = {}

    def call_module(self, target, args, kwargs):  # noqa: ANN001, ANN201 - torch.fx signature
        out = super().call_module(target, args, kwargs)
        n = self._counts.get(target, 0)
        self._counts[target] = n + 1
        key = target if n == 0 else f"{target}#{n + 1}"
        self.outputs[key] = out
        self.inputs[key] = args[0]
        return out


def _check_grads_against(tr: Trace, refs: dict[str, torch.Tensor], logits: torch.Tensor, x: torch.Tensor) -> None:
    keys = [k for k in tr.keys() if k in refs]
    value = logits.gather(1, torch.tensor(tr.target)[:, None]).mean()
    grads = torch.autograd.grad(value, [x, *[refs[k] for k in keys]], allow_unused=True)
    torch.testing.assert_close(tr.input_grad, grads[0], rtol=1e-4, atol=1e-6)
    for k, g in zip(keys, grads[1:], strict=True):
        if g is None:
            assert tr[k].grad is None or not tr[k].grad.any(), k
        else:
            torch.testing.assert_close(tr[k].grad, g, rtol=1e-4, atol=1e-6, msg=lambda m, k=k: f"{k}: {m}")


def _assert_same_trace(a: Trace, b: Trace) -> None:
    """Two traces of one (model, input): every tensor equal."""
    assert a.keys() == b.keys() and a.target == b.target and a.loss == b.loss
    assert torch.equal(a.logits, b.logits) and torch.equal(a.input_grad, b.input_grad)
    for r, s in zip(a.layers, b.layers, strict=True):
        assert torch.equal(r.output, s.output) and torch.equal(r.input, s.input), r.key
        assert (r.grad is None and s.grad is None) or torch.equal(r.grad, s.grad), r.key
        for k, g in r.param_grads.items():
            assert (g is None and s.param_grads[k] is None) or torch.equal(g, s.param_grads[k]), r.key


def _first_and_second_trace(model: nn.Module, x: torch.Tensor) -> Trace:
    """The model's first trace copies every output; the second copies only those an in-place op overwrote
    in the first. Both must be the same; the second is returned for the reference checks."""
    first = trace(model, x)
    second = trace(model, x)
    _assert_same_trace(first, second)
    return second


def test_resnet18_against_feature_extractor() -> None:
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None, num_classes=10).eval()
    before = _state(model)
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    tr = _first_and_second_trace(model, x)
    keys = tr.keys()
    assert "layer1.0.relu#2" in keys and "layer4.1.relu#2" in keys  # torchvision reuses self.relu per block
    assert len(keys) == len(set(keys))
    ref_model = _no_inplace(model)
    nodes = {k: _fx_node(k) for k in keys}
    extractor = create_feature_extractor(ref_model, return_nodes={v: k for k, v in nodes.items()})
    xi = x.clone().requires_grad_(True)
    refs = extractor(xi)
    assert set(refs) == set(keys)  # every leaf call has its feature-extractor node
    for k in keys:
        torch.testing.assert_close(tr[k].output, refs[k].detach(), rtol=1e-5, atol=1e-5, msg=lambda m, k=k: k + m)
    # The in-place ReLU right after a batch norm did not overwrite the recorded BN output.
    assert tr["bn1"].output.min() < 0 and tr["relu"].output.min() >= 0
    assert tr["layer1.0.bn2"].output.min() < 0
    _check_grads_against(tr, refs, refs["fc"], xi)
    assert not has_hooks(model) and all(p.grad is None for p in model.parameters())
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_buffers_are_the_modules_at_trace_time() -> None:
    """Every record carries its module's own buffers (BatchNorm's running statistics and batch count),
    equal to the module's at trace time and kept when the module's buffers change afterwards."""
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None, num_classes=10)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.num_batches_tracked.fill_(7)
    model.eval()
    tr = trace(model, torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(1)))
    modules = dict(model.named_modules())
    n_bn = 0
    for rec in tr.layers:
        want = dict(modules[rec.name].named_buffers(recurse=False))
        assert set(rec.buffers) == set(want), rec.key
        for k, v in want.items():
            assert torch.equal(rec.buffers[k], v) and not rec.buffers[k].requires_grad, (rec.key, k)
        n_bn += rec.kind == "BatchNorm2d"
        if rec.kind == "BatchNorm2d":
            assert set(rec.buffers) == {"running_mean", "running_var", "num_batches_tracked"}
            # The forward in eval mode used exactly these statistics.
            y = F.batch_norm(rec.input, rec.buffers["running_mean"], rec.buffers["running_var"],
                             rec.params["weight"], rec.params["bias"], False, 0.0, rec.config["eps"])
            torch.testing.assert_close(rec.output, y, rtol=1e-5, atol=1e-5)
    assert n_bn == 20 and tr["conv1"].buffers == {} and tr["fc"].buffers == {}
    before = tr["bn1"].buffers["running_mean"].clone()
    with torch.no_grad():
        model.bn1.running_mean.add_(1.0)  # the record is a copy, not the live buffer
    assert torch.equal(tr["bn1"].buffers["running_mean"], before)
    relu = trace(models.load("tinyvgg-relu"), torch.zeros(1, 1, 28, 28))
    assert all(rec.buffers == {} for rec in relu.layers)


def test_flatten_step_of_tinyvgg_is_its_flatten_layer(relu_model: nn.Module,
                                                       batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    x = batch[0][:2]
    tr = trace(relu_model, x)
    step = tr.flatten
    assert step is not None and step.module
    assert (step.key, step.source, step.reader) == ("flatten", "flatten", "flatten")
    with torch.no_grad():
        fmap = relu_model.block2(relu_model.block1(x))  # the map before the head, by a plain forward
    assert tuple(step.input.shape) == (2, 32, 7, 7) and torch.equal(step.input, fmap)
    assert torch.equal(step.output, torch.flatten(fmap, 1)) and torch.equal(step.output, tr["classifier"].input)
    assert tr.flatten is step  # computed once per trace


def test_flatten_step_of_resnet18_is_torch_flatten_between_two_layers() -> None:
    """resnet18 calls ``torch.flatten(x, 1)`` in ``forward``: between the average pool and the fc layer."""
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None).eval()
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    tr = trace(model, x)
    step = tr.flatten
    assert step is not None and not step.module
    assert (step.key, step.source, step.reader) == ("torch.flatten", "avgpool", "fc")
    ref = create_feature_extractor(model, return_nodes={"avgpool": "pool", "flatten": "vec"})(x)
    assert tuple(step.input.shape) == (1, 512, 1, 1)
    torch.testing.assert_close(step.input, ref["pool"].detach(), rtol=0, atol=1e-6)
    torch.testing.assert_close(step.output, ref["vec"].detach(), rtol=0, atol=1e-6)


def test_no_flatten_step_without_a_feature_map() -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    assert trace(model, torch.randn(1, 4)).flatten is None


@pytest.mark.parametrize("arch", ["mobilenet_v3_small", "efficientnet_b0"])
def test_mobilenet_and_efficientnet_against_fx_interpreter(arch: str) -> None:
    """In-place Hardswish/SiLU after batch norms, ``result += input``, EfficientNet's StochasticDepth that
    returns its input unchanged (one tensor recorded by two layers)."""
    torch.manual_seed(0)
    model = torchvision.models.get_model(arch, weights=None, num_classes=10).eval()
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    tr = _first_and_second_trace(model, x)
    ref_model = _no_inplace(model)
    rec = _CallRecorder(symbolic_trace(ref_model))
    xi = x.clone().requires_grad_(True)
    logits = rec.run(xi)
    # torch.fx traces through StochasticDepth (a torchvision op, not a torch.nn leaf); in eval it is the identity.
    extra = [r for r in tr.layers if r.key not in rec.outputs]
    assert all(r.kind == "StochasticDepth" and torch.equal(r.output, r.input) for r in extra)
    assert [k for k in tr.keys() if k in rec.outputs] == list(rec.outputs)
    for k in rec.outputs:
        torch.testing.assert_close(tr[k].output, rec.outputs[k].detach(), rtol=1e-5, atol=1e-5,
                                   msg=lambda m, k=k: k + m)
        torch.testing.assert_close(tr[k].input, rec.inputs[k].detach(), rtol=1e-5, atol=1e-5,
                                   msg=lambda m, k=k: k + " (input)" + m)
    # A batch norm followed by an in-place activation keeps its signed output.
    bn_then_inplace = [r for r in tr.layers if r.kind == "BatchNorm2d"]
    assert any(r.output.min() < 0 for r in bn_then_inplace)
    _check_grads_against(tr, rec.outputs, logits, xi)
    assert not has_hooks(model)


# --- in-place ops: what is copied, and when ------------------------------------------------------------


class Overwrites(nn.Module):
    """conv → tanh; when ``scale`` is set, the conv output is then doubled in place through a view, which
    overwrites the recorded output of ``conv`` and the recorded input of ``act`` (a functional in-place op
    that only shows up for some inputs, so the first capture cannot learn it); ``relu`` is in place."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.act = nn.Tanh()
        self.relu = nn.ReLU(inplace=True)
        self.fc = nn.Linear(2 * 4 * 4, 3)
        self.scale = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x)
        a = self.act(h)
        if self.scale:
            h.view(-1).mul_(2)
        return self.fc(torch.flatten(self.relu(h + a), 1))


def test_overwrite_the_first_capture_did_not_see_is_traced_again() -> None:
    net = Overwrites().eval()
    x = torch.randn(1, 1, 4, 4, generator=torch.Generator().manual_seed(2))
    trace(net, x)  # scale off: nothing but the in-place ReLU's input needs a copy
    net.scale = True
    tr = trace(net, x)  # conv's output is overwritten without a copy: the tracer runs again, copying all
    xi = x.clone().requires_grad_(True)
    h0 = net.conv(xi)
    a = torch.tanh(h0)
    s = h0 * 2 + a
    r = F.relu(s)
    z = net.fc(torch.flatten(r, 1))
    assert tr.target == (int(z.argmax()),)
    g = torch.autograd.grad(z[0, tr.target[0]], [h0, a, s, r, xi])
    torch.testing.assert_close(tr["conv"].output, h0.detach(), rtol=0, atol=0)
    torch.testing.assert_close(tr["act"].input, h0.detach(), rtol=0, atol=0)
    torch.testing.assert_close(tr["relu"].input, s.detach(), rtol=0, atol=0)
    torch.testing.assert_close(tr["relu"].output, r.detach(), rtol=0, atol=0)
    for key, want in zip(["conv", "act", "relu"], [g[0], g[1], g[3]], strict=True):
        torch.testing.assert_close(tr[key].grad, want, rtol=1e-6, atol=1e-7, msg=lambda m, k=key: k + m)
    torch.testing.assert_close(tr.input_grad, g[4], rtol=1e-6, atol=1e-7)
    _assert_same_trace(tr, trace(net, x))  # now learned: copied while recording, no second run
    with capture(net) as tape:
        net(x)
    assert tape.missed == () and tape.copies == 2  # conv's output and the in-place ReLU's input
    assert not has_hooks(net)


def test_capture_reports_what_it_missed() -> None:
    net = Overwrites().eval()
    x = torch.randn(1, 1, 4, 4, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        with capture(net) as first:
            net(x)
        net.scale = True
        with capture(net) as tape:
            net(x)
        with capture(net) as again:
            net(x)
    assert first.missed == () and ("out", "conv", 0) in tape.missed
    assert again.missed == ()
    torch.testing.assert_close(again.calls[0].value, net.conv(x).detach(), rtol=0, atol=0)


def test_capture_in_inference_mode_copies_what_it_cannot_check() -> None:
    """Inference tensors have no version counter: every value is copied when recorded."""
    net = Overwrites().eval()
    net.scale = True
    x = torch.randn(1, 1, 4, 4, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        h0 = net.conv(x)
    with torch.inference_mode(), capture(net) as tape:
        net(x)
    by_name = {c.name: c for c in tape.calls}
    assert torch.equal(by_name["conv"].value, h0) and torch.equal(by_name["act"].input, h0)
    assert torch.equal(by_name["relu"].input, h0 * 2 + torch.tanh(h0))


class _Double(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:  # noqa: ANN401 - autograd.Function signature
        return x * 2

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> torch.Tensor:  # noqa: ANN401
        return g * 2


class _DoubleModule(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _Double.apply(x)


def test_gradient_at_a_python_function_output_overwritten_in_place() -> None:
    """dL/d(output as returned), not of the later in-place ×3: the edge of a Python autograd.Function."""
    torch.manual_seed(0)
    net = nn.Sequential(OrderedDict(lin1=nn.Linear(4, 4), dbl=_DoubleModule(), lin2=nn.Linear(4, 2)))

    def forward(x: torch.Tensor) -> torch.Tensor:
        h = net.dbl(net.lin1(x))
        h.mul_(3)
        return net.lin2(h)

    net.forward = forward  # an instance attribute: only this test's module
    x = torch.randn(1, 4, generator=torch.Generator().manual_seed(0))
    for _ in range(2):  # the first trace copies everything, the second only what the first saw overwritten
        tr = trace(net, x, target=1)
        torch.testing.assert_close(tr["dbl"].grad, 3 * net.lin2.weight[1:2].detach(), rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(tr["dbl"].output, 2 * net.lin1(x).detach(), rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(tr["lin2"].input, 6 * net.lin1(x).detach(), rtol=1e-6, atol=1e-7)


def test_copies_only_where_an_in_place_op_overwrites(relu_model: nn.Module) -> None:
    """After a model's first capture, TinyVGG (no in-place op) copies nothing; ResNet-18 copies the input of
    each in-place ReLU call and each block's bn2 output (``out += identity``), not the other calls."""
    tiny = copy.deepcopy(relu_model)
    x = torch.zeros(1, 1, 28, 28)
    copies = []
    for _ in range(2):
        with capture(tiny) as tape:
            tiny(x)
        copies.append(tape.copies)
    assert copies[0] > 0 and copies[1] == 0
    torch.manual_seed(0)
    resnet = torchvision.models.resnet18(weights=None, num_classes=10).eval()
    xr = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    tr = trace(resnet, xr)
    with torch.enable_grad(), capture(resnet) as tape:
        resnet(xr.clone().requires_grad_(True))
    n_relu = len(tr.of_kind("ReLU"))
    n_blocks = sum(isinstance(m, torchvision.models.resnet.BasicBlock) for m in resnet.modules())
    assert tape.missed == () and tape.copies == n_relu + n_blocks < len(tape.calls) // 2
    assert not has_hooks(tiny) and not has_hooks(resnet)


# --- side effects -------------------------------------------------------------------------------------


class Boom(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("boom")


def test_no_hooks_left_after_trace_and_after_exception(relu_model: nn.Module,
                                                       batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    trace(relu_model, batch[0][:1])
    assert not has_hooks(relu_model)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), Boom())
    net.train()
    net[0].eval()
    with pytest.raises(RuntimeError, match="boom"):
        trace(net, torch.randn(1, 1, 5, 5))
    assert not has_hooks(net)
    assert [m.training for m in net.modules()] == [True, False, True, True]
    assert all(p.grad is None for p in net.parameters())
    # The model's lock was released: another thread can trace the model right away.
    net[2] = nn.Flatten()
    result: list[Trace] = []
    th = threading.Thread(target=lambda: result.append(trace(net, torch.randn(1, 1, 5, 5))))
    th.start()
    th.join(timeout=30)
    assert result and not has_hooks(net)


def test_user_hooks_are_kept(relu_model: nn.Module) -> None:
    net = copy.deepcopy(relu_model)
    seen: list[tuple[int, ...]] = []
    handle = net.block1.conv1.register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape)))
    try:
        trace(net, torch.zeros(1, 1, 28, 28))
        assert seen == [(1, 16, 28, 28)]
        assert len(net.block1.conv1._forward_hooks) == 1  # ours removed, the user's kept
    finally:
        handle.remove()
    assert not has_hooks(net)


def test_no_grad_no_weight_change_and_flags_restored() -> None:
    model = models.build("tinyvgg", "relu", seed=0)
    model.dropout = nn.Dropout(0.5)  # a layer that behaves differently in train mode
    model.train()
    model.block1.eval()  # mixed flags
    model.block2.pool.eval()
    flags = [m.training for m in model.modules()]
    before = _state(model)
    x = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    a, b = trace(model, x), trace(model, x)
    assert [m.training for m in model.modules()] == flags
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert not has_hooks(model)
    # The trace runs in eval mode: dropout is off, so two traces agree and equal an eval forward.
    assert torch.equal(a.logits, b.logits)
    ref = copy.deepcopy(model).eval()
    torch.testing.assert_close(a.logits, ref(x).detach(), rtol=0, atol=ATOL)
    assert "dropout" in a.keys()


def test_a_leaf_with_its_own_forward_gets_it_back() -> None:
    lin = nn.Linear(3, 2)

    def doubled(x: torch.Tensor) -> torch.Tensor:
        return 2 * F.linear(x, lin.weight, lin.bias)

    lin.forward = doubled  # an instance attribute, as a user might set
    net = nn.Sequential(lin, nn.Tanh())
    x = torch.randn(2, 3, generator=torch.Generator().manual_seed(0))
    tr = trace(net, x)
    torch.testing.assert_close(tr["0"].output, doubled(x).detach(), rtol=0, atol=0)
    assert lin.__dict__["forward"] is doubled and not has_hooks(net)
    assert all("forward" not in m.__dict__ for m in (net, net[1]))


def test_two_models_sharing_a_layer_traced_at_once() -> None:
    """Captures of two models that share a leaf overlap in time: each records its own calls, and the
    shared layer gets its own forward back when the last capture closes."""
    torch.manual_seed(0)
    shared = nn.Linear(4, 4)
    nets = [nn.Sequential(shared, nn.ReLU(), nn.Linear(4, 3)), nn.Sequential(nn.Tanh(), shared, nn.Linear(4, 2))]
    xs = [torch.randn(2, 4, generator=torch.Generator().manual_seed(i)) for i in range(2)]
    serial = [trace(n, x) for n, x in zip(nets, xs, strict=True)]
    barrier = threading.Barrier(2)

    def job(i: int) -> list[Trace]:
        barrier.wait()
        return [trace(nets[i], xs[i]) for _ in range(20)]

    with ThreadPoolExecutor(max_workers=2) as pool:
        parallel = list(pool.map(job, range(2)))
    for want, got_list in zip(serial, parallel, strict=True):
        for got in got_list:
            _assert_same_trace(want, got)
    assert "forward" not in shared.__dict__ and not any(has_hooks(n) for n in nets)


def test_eight_threads_share_one_model(relu_model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    x_all, _ = models.test_batch()
    inputs = [x_all[i:i + 1] for i in range(8)]
    targets = [None, 1, 2, None, 4, 5, None, 7]
    serial = [trace(relu_model, x, target=t) for x, t in zip(inputs, targets, strict=True)]
    barrier = threading.Barrier(8)

    def job(i: int) -> list[Trace]:
        barrier.wait()
        return [trace(relu_model, inputs[i], target=targets[i]) for _ in range(2)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(job, range(8)))
    for want, got_list in zip(serial, parallel, strict=True):
        for got in got_list:
            assert got.keys() == want.keys() and got.target == want.target
            assert torch.equal(got.logits, want.logits) and torch.equal(got.input_grad, want.input_grad)
            for r, s in zip(got.layers, want.layers, strict=True):
                assert torch.equal(r.output, s.output) and torch.equal(r.grad, s.grad), r.key
                for k in r.param_grads:
                    assert torch.equal(r.param_grads[k], s.param_grads[k]), r.key
    assert not has_hooks(relu_model)


def test_plain_forward_in_another_thread_during_capture(relu_model: nn.Module) -> None:
    """A thread running the shared model without tracing is not recorded and gets normal results."""
    x = torch.zeros(1, 1, 28, 28)
    with torch.no_grad():
        want = relu_model(x)
    with capture(relu_model) as tape:
        out: list[torch.Tensor] = []
        th = threading.Thread(target=lambda: out.append(relu_model(x).detach()))
        th.start()
        th.join(timeout=30)
    assert tape.calls == [] and torch.equal(out[0], want)
    assert not has_hooks(relu_model)


def test_inference_mode_tensors_still_trace(relu_model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    normal = trace(relu_model, batch[0][:1])
    with torch.inference_mode():
        x = batch[0][:1] * 1.0
        assert x.is_inference()
        inside = trace(relu_model, x)  # called inside inference_mode, with an inference tensor
    outside = trace(relu_model, x)  # an inference tensor, called outside
    for tr in (inside, outside):
        assert torch.equal(tr.logits, normal.logits) and torch.equal(tr.input_grad, normal.input_grad)
        assert tr["block1.conv1"].param_grads["weight"] is not None
    with torch.no_grad():
        assert torch.equal(trace(relu_model, x).input_grad, normal.input_grad)


def test_the_garbage_collector_is_back_on_after_traces() -> None:
    """Traces pause the cyclic garbage collector while they run, also 8 at once, and even when one fails; it
    is on again afterwards, and a collector switched off by the caller stays off."""
    import gc
    import threading
    from concurrent.futures import ThreadPoolExecutor

    model = models.load("tinyvgg-relu")
    x = torch.zeros(1, 1, 28, 28)
    seen: list[bool] = []

    class Probe(torch.nn.Module):
        def forward(self, z: torch.Tensor) -> torch.Tensor:
            seen.append(gc.isenabled())
            return model(z)

    barrier = threading.Barrier(8)

    def job(_: int) -> None:
        barrier.wait(timeout=30)
        trace(Probe(), x)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(job, range(8)))
    assert seen == [False] * 8 and gc.isenabled()
    with pytest.raises(ValueError):
        trace(model, x, loss="nope")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        trace(model, x, target=99)
    assert gc.isenabled()
    gc.disable()
    try:
        trace(Probe(), x)
        assert not gc.isenabled()
    finally:
        gc.enable()


# --- what a capture keeps between captures ------------------------------------------------------------


def test_a_changed_tree_is_walked_again() -> None:
    """A capture reuses the model's walk only while the tree is unchanged: a child replaced, a child added to
    a leaf, or a child added under a new name are all recorded by the next capture."""
    torch.manual_seed(0)
    net = nn.Sequential(OrderedDict(lin=nn.Linear(4, 4), act=nn.ReLU(), out=nn.Linear(4, 2)))
    x = torch.randn(1, 4, generator=torch.Generator().manual_seed(0))
    assert trace(net, x).keys() == ["lin", "act", "out"]
    net.act = nn.Tanh()  # replaced
    tr = trace(net, x)
    assert tr["act"].kind == "Tanh"
    torch.testing.assert_close(tr["act"].output, torch.tanh(net.lin(x)).detach(), rtol=0, atol=0)
    net.act.extra = nn.Sigmoid()  # a leaf that gains a child is a container now (its child is never called)
    assert "act" not in trace(net, x).keys()
    del net.act.extra
    net.add_module("scale", nn.Identity())  # a new child, called after the others
    assert trace(net, x).keys() == ["lin", "act", "out", "scale"]
    assert not has_hooks(net)


def test_a_traced_model_can_be_freed() -> None:
    """Nothing a trace keeps between traces (the walk of the tree, the sites to copy, the lock) holds the model."""
    import gc
    import weakref

    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(inplace=True), nn.Flatten(), nn.Linear(18, 3))
    trace(net, torch.randn(1, 1, 5, 5))
    trace(net, torch.randn(1, 1, 5, 5))
    ref = weakref.ref(net)
    del net
    gc.collect()
    assert ref() is None


def test_a_capture_inside_a_capture_records_for_both() -> None:
    """Two captures of one model open at once in one thread (the inner one as the model's own forward would
    open it): each records every call, and the model gets its own forwards back when both close."""
    relu = models.load("tinyvgg-relu")
    x = torch.zeros(1, 1, 28, 28)
    with torch.no_grad(), capture(relu) as outer:
        relu(x)
        with capture(relu) as inner:
            want = relu(x)
    names = [name for name, _ in leaf_modules(relu)]
    assert [c.name for c in outer.calls] == names + names and [c.name for c in inner.calls] == names
    torch.testing.assert_close(outer.calls[-1].value, want, rtol=0, atol=0)
    torch.testing.assert_close(inner.calls[-1].value, want, rtol=0, atol=0)
    assert not has_hooks(relu) and all("forward" not in m.__dict__ for m in relu.modules())


def test_a_trace_has_every_field(relu_model: nn.Module) -> None:
    """Records and traces are built without their ``__init__`` (for speed): every field must still be set."""
    import dataclasses

    from explain.trace import LayerRecord

    tr = trace(relu_model, torch.zeros(1, 1, 28, 28))
    assert {f.name for f in dataclasses.fields(Trace)} <= set(vars(tr))
    assert all({f.name for f in dataclasses.fields(LayerRecord)} == set(vars(r)) for r in tr.layers)
    with pytest.raises(dataclasses.FrozenInstanceError):
        tr.loss = 0.0  # type: ignore[misc]
