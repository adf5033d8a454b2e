"""The Classifier, Gradient flow and Backpropagation pages with the six ImageNet models: each page runs without an
error, and a number it shows equals an independent reference computed here (the model's own forward pass and
torch.autograd.grad on a private copy of the model)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from torch.nn import functional as F

import models
from explain.imagenet_input import prepare_rgb
from models import zoo
from tests.helpers import assert_page_ok, catalog_leaks, numbers_in, plotly_array, run_page
from ui.i18n import tr
from ui.state import LARGE_PARAM_GRAD_LIMIT

ZOO = [s.name for s in zoo.ZOO]
PHOTO = models.photo_samples()[0].read_bytes()  # cat-chelsea.jpg
NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")


def _reference(name: str) -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    """The same weights and input the app uses: (model, x [1,3,224,224], logits [1000])."""
    s = zoo.spec(name)
    model = zoo.load(s, allow_download=False).eval()
    x = prepare_rgb(PHOTO, "cat.jpg", zoo.input_spec(s)).tensor
    with torch.no_grad():
        logits = model(x)[0]
    return model, x, logits


def _texts(at) -> str:  # noqa: ANN001 - AppTest
    return " ".join(str(e.value) for e in (*at.markdown, *at.caption, *at.info, *at.subheader))


def _payload(at) -> int:  # noqa: ANN001 - AppTest
    return sum(len(p.proto.spec) for p in at.get("plotly_chart"))


def _open(at, key: str, label: str) -> None:  # noqa: ANN001 - AppTest
    """Open the lazy tab ``label`` of the tabs ``key`` and rerun the page."""
    at.session_state[key] = label
    at.run()
    assert_page_ok(at)
    assert not catalog_leaks(at)


@pytest.mark.parametrize("name", ZOO)
def test_classifier_page(name: str, zoo_weights) -> None:  # noqa: ANN001 - fixture
    at = run_page("pages/classifier.py", model=name, image=PHOTO, image_name="cat.jpg", timeout=300,
                  state={"cls_tab": "Fully connected"})
    assert_page_ok(at)
    assert not catalog_leaks(at)
    _, _, logits = _reference(name)
    k = int(logits.argmax())
    # the dot-product check of the predicted class (the default): computed sum = traced logit = reference logit
    check = next(m.value for m in at.markdown if "Computed" in m.value)
    total, traced = (float(v) for v in NUMBER.findall(check)[:2])
    assert total == pytest.approx(float(logits[k]), abs=2e-4)
    assert traced == pytest.approx(float(logits[k]), abs=2e-4)
    assert "they agree" in check
    payload = _payload(at)
    if name == "imagenet-squeezenet1_1":
        assert "no fully connected layer" in _texts(at) and "classifier.1" in _texts(at)
    else:
        _open(at, "cls_tab", "Flatten")
        assert "torch.flatten" in _texts(at)  # no nn.Flatten in any of these models
        payload += _payload(at)
    # 1000 classes: the softmax table shows the top 10, most probable first
    _open(at, "cls_tab", "Softmax")
    table = at.dataframe[0].value
    assert len(table) == 10
    from ui.i18n import class_name

    assert table.iloc[0, 0] == class_name(k, "en", family="imagenet")
    payload += _payload(at)
    # dL/dW[y] = dL/dz_y · x for the label y = the predicted class: its norm against torch.autograd.grad of the
    # cross-entropy with respect to the head's weight (the last Linear, or SqueezeNet's 1x1 conv)
    _open(at, "cls_tab", "Loss")
    text = _texts(at)
    model, x, _ = _reference(name)
    head = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))][-1]
    with torch.enable_grad():
        (g,) = torch.autograd.grad(F.cross_entropy(model(x), torch.tensor([k])), head.weight)
    row = next(m.value for m in at.markdown if "weight row" in m.value)
    d, norm = numbers_in(row.split("Its norm over the")[1])[:2]
    assert d == g[k].numel() and norm == pytest.approx(float(g[k].norm()), rel=1e-3)
    # the trace stores weight gradients up to LARGE_PARAM_GRAD_LIMIT numbers: the check is shown exactly then
    stored = head.weight.numel() <= LARGE_PARAM_GRAD_LIMIT
    assert ("weight gradient autograd stored" in text) is stored
    assert ("does not store" in text) is (not stored)
    payload += _payload(at)
    assert payload < 1_500_000  # all four tabs together


def _first_weight_norm(at) -> float:  # noqa: ANN001 - AppTest
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    weights = plotly_array(fig["data"][1]["y"])  # a list, or a base64 typed array: both decoded
    shown = weights[~np.isnan(weights)]
    assert shown.size, "the weight-gradient trace has no number"
    return float(shown[0])


@pytest.mark.parametrize("name", ZOO)
def test_gradient_flow_page(name: str, zoo_weights) -> None:  # noqa: ANN001 - fixture
    at = run_page("pages/gradient_flow.py", model=name, image=PHOTO, image_name="cat.jpg", timeout=300)
    assert_page_ok(at)
    assert not catalog_leaks(at)
    # ‖∂L/∂W‖ of the first layer with weights, against torch.autograd.grad of the predicted class's logit
    model, x, logits = _reference(name)
    first = next(m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)))
    with torch.enable_grad():
        z = model(x)[0, int(logits.argmax())]
        (g,) = torch.autograd.grad(z, first.weight)
    shown = _first_weight_norm(at)
    ref = float(g.norm())
    if first.bias is not None:
        with torch.enable_grad():
            (gb,) = torch.autograd.grad(model(x)[0, int(logits.argmax())], first.bias)
        ref = (ref ** 2 + float(gb.norm()) ** 2) ** 0.5
    assert shown == pytest.approx(ref, rel=1e-3)
    payload = _payload(at)
    _open(at, "grad_tab", tr("en", "grad.tab.compare"))
    assert "does not apply to the ImageNet model" in _texts(at)  # the activation comparison
    n_test = int(models.test_batch()[0].shape[0])
    _open(at, "grad_tab", tr("en", "grad.tab.batch", n=n_test))
    assert "does not apply to the ImageNet model" in _texts(at)  # the Fashion-MNIST batch
    _open(at, "grad_tab", "Gradient maps of a conv layer")
    assert at.get("image"), "the conv layer's dL/d(output) maps and kernel gradients are drawn"
    payload += _payload(at)
    assert payload < 1_500_000  # top-N channels, downsampled maps, ≤ 16 input channels


@pytest.mark.parametrize("name", ZOO)
def test_backprop_page(name: str, zoo_weights) -> None:  # noqa: ANN001 - fixture
    # the finite-difference check (switched on) for two cheap models, on the classifier's bias: with these random
    # weights the early layers' gradients are ~1e-9, below what a float64 difference quotient resolves
    last = {"imagenet-squeezenet1_1": "classifier.1", "imagenet-mobilenet_v3_small": "classifier.3"}
    cheap = name in last
    state = {"bp_fd_run": True, "bp_fd_layer": last[name], f"bp_fd_param_{last[name]}": "bias"} if cheap else None
    state = {**(state or {}), "bp_tab": "Your model: graph & check"}
    at = run_page("pages/backprop.py", model=name, image=PHOTO, image_name="cat.jpg", timeout=300, state=state)
    assert_page_ok(at)
    assert not catalog_leaks(at)
    text = _texts(at)
    assert "TinyVGG" in text  # what is hand-computed only for the small models is said
    # the default layer of the local step is the last Conv2d/Linear: its ∂L/∂in against torch.autograd.grad of
    # the cross-entropy (label = predicted class) with respect to that layer's input, on our own copy
    model, x, logits = _reference(name)
    key = at.selectbox(key="bp_local_layer").value
    layer = model.get_submodule(key.split("#")[0])
    seen: list[torch.Tensor] = []
    handle = layer.register_forward_pre_hook(lambda _m, args: seen.append(args[0]))
    try:
        with torch.enable_grad():
            xi = x.clone().requires_grad_(True)
            out = model(xi)
            loss = F.cross_entropy(out, out.argmax(1))
            (ga,) = torch.autograd.grad(loss, seen[0])
    finally:
        handle.remove()
    metric = next(m for m in at.metric if "passed back" in m.label)
    assert float(metric.value) == pytest.approx(float(ga.norm()), rel=1e-3)
    diff = next(m for m in at.metric if "formula" in m.label)
    assert float(diff.value) < 1e-4  # the textbook formula equals autograd
    if cheap:  # the finite-difference check (float64 copy, 6 extra forwards) agrees with autograd
        rel = next(m for m in at.metric if m.label == "relative error")
        assert float(rel.value) < 1e-4
    else:
        assert not any(m.label == "relative error" for m in at.metric)  # bounded: only when switched on
