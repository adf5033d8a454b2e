"""The Activation functions, Pooling and Upsampling pages with the six ImageNet models.

Each page runs on the cat photo; what it shows is compared with an independent reference: a plain forward
of the same weights with our own forward hooks (inputs cloned before in-place modules can write over them),
and F.relu / F.max_pool2d / F.adaptive_avg_pool2d / F.interpolate.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

import models
from explain.imagenet_input import prepare_rgb
from models import zoo
from tests.helpers import assert_page_ok, catalog_leaks, run_page

ZOO = [s.name for s in zoo.ZOO]
PHOTO = models.photo_samples()[0].read_bytes()
MAX_PAYLOAD = 1_500_000
ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.Hardswish, nn.Hardsigmoid, nn.SiLU, nn.Sigmoid)
POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


@lru_cache(maxsize=1)
def _reference(name: str) -> tuple[list[tuple[str, nn.Module, torch.Tensor, torch.Tensor]], torch.Tensor]:
    """Every leaf module call of a plain forward: (key, module, input clone, output clone), in order."""
    s = zoo.spec(name)
    model = zoo.load(s, allow_download=False).eval()
    x = prepare_rgb(PHOTO, "cat.jpg", zoo.input_spec(s)).tensor
    calls: list[tuple[str, nn.Module, torch.Tensor, torch.Tensor]] = []
    seen: dict[str, int] = {}
    pending: dict[int, torch.Tensor] = {}
    handles = []
    for mname, m in model.named_modules():
        if list(m.children()):
            continue

        def pre(mod, args, mname=mname):  # noqa: ANN001, ANN202
            pending[id(mod)] = args[0].detach().clone()

        def post(mod, args, out, mname=mname):  # noqa: ANN001, ANN202
            seen[mname] = seen.get(mname, 0) + 1
            key = mname if seen[mname] == 1 else f"{mname}#{seen[mname]}"
            calls.append((key, mod, pending.pop(id(mod)), out.detach().clone()))

        handles += [m.register_forward_pre_hook(pre), m.register_forward_hook(post)]
    try:
        with torch.no_grad():
            logits = model(x)
    finally:
        for h in handles:
            h.remove()
    return calls, logits


def _array(v) -> np.ndarray:  # noqa: ANN001 - a plotly JSON array, plain or base64-typed
    if isinstance(v, dict):
        shape = v.get("shape")
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return a.reshape([int(n) for n in str(shape).split(",")] if shape is not None else -1).astype(np.float64)
    return np.asarray(v, dtype=np.float64)


def _payload(at) -> int:  # noqa: ANN001
    return sum(len(el.proto.spec) for el in at.get("plotly_chart"))


def _check(at) -> None:  # noqa: ANN001
    assert_page_ok(at)
    assert not catalog_leaks(at)
    assert _payload(at) < MAX_PAYLOAD


def _open(page: str, model: str, state: dict[str, str], kinds: tuple[type[nn.Module], ...] = ()):  # noqa: ANN202
    """``page`` with ``model`` on the cat photo, checked; the reference calls and the first call of a module of
    ``kinds`` (key, module, input, output), or None."""
    at = run_page(page, model=model, image=PHOTO, image_name="cat.jpg", timeout=300, state=state)
    _check(at)
    calls, _ = _reference(model)
    first = next((c for c in calls if isinstance(c[1], kinds)), None) if kinds else None
    return at, calls, first


@pytest.mark.parametrize("model", ZOO)
def test_activations_page(model: str, zoo_weights) -> None:  # noqa: ANN001
    at, calls, (key, mod, z, a) = _open("pages/activations.py", model, {"act_tab": "On this image"}, ACTIVATIONS)
    torch.testing.assert_close(a, mod(z.clone()))  # the reference input is the real pre-activation
    # the page's first layer is the model's first activation; its metrics equal the reference
    assert at.selectbox(key="act_layer").value == key
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["outputs exactly 0"] == f"{float((a == 0).float().mean()):.1%}"
    assert metrics["inputs z < 0"] == f"{float((z < 0).float().mean()):.1%}"
    assert any("largest difference 0.00e+00" in c.value for c in at.caption)  # f(z) equals the traced output
    # the kinds table lists every activation class the model uses, with its call count
    kinds = at.dataframe[0].value
    expected = {}
    for _, m, _, _ in calls:
        if isinstance(m, ACTIVATIONS):
            expected[type(m).__name__] = expected.get(type(m).__name__, 0) + 1
    assert dict(zip(kinds["kind"], kinds["calls"], strict=True)) == expected
    # the model's own functions are drawn; the TinyVGG variants are not run for an ImageNet model
    at.session_state["act_tab"] = "Curves"
    at.run()
    _check(at)
    curves = json.loads(at.get("plotly_chart")[0].proto.spec)
    drawn = {d["name"] for d in curves["data"]}
    assert {"ReLU", "Hardswish", "SiLU", "ReLU6", "Hardsigmoid"} <= drawn
    at.session_state["act_tab"] = "Trained variants"
    at.run()
    _check(at)
    assert any("Fashion-MNIST" in i.value for i in at.info)


@pytest.mark.parametrize("model", ZOO)
def test_pooling_page(model: str, zoo_weights) -> None:  # noqa: ANN001
    at, _, (key, mod, x, y) = _open("pages/pooling.py", model, {"pool_tab": "One output cell"}, POOLS)
    assert at.selectbox(key="pool_layer").value == key
    if isinstance(mod, nn.MaxPool2d):
        ref = F.max_pool2d(x, mod.kernel_size, mod.stride, mod.padding, mod.dilation, ceil_mode=mod.ceil_mode)
    else:
        ref = F.adaptive_avg_pool2d(x, mod.output_size)
    torch.testing.assert_close(ref, y)
    # the window view opens on the strongest channel (all channels in order for ≤ 32) at its largest output
    c = int(x[0].flatten(1).max(1).values.argmax()) if x.shape[1] > 32 else 0
    assert at.selectbox(key=f"pool_win_ch_{key}").value == c
    value = f"{float(ref[0, c].max()):.4g}"
    window_text = next(m.value for m in at.markdown if m.value.startswith("The window holds"))
    assert f"**{value}**" in window_text
    at.session_state["pool_tab"] = "Backward"
    at.run()
    _check(at)
    assert any("0.0e+00" in m.value for m in at.markdown if "autograd" in m.value)  # routing = autograd
    if isinstance(mod, nn.AdaptiveAvgPool2d):
        assert any("argmax routing does not apply" in cap.value for cap in at.caption)


@pytest.mark.parametrize("model", ZOO)
def test_upsampling_page(model: str, zoo_weights) -> None:  # noqa: ANN001
    at, calls, _ = _open("pages/upsampling.py", model, {"up_tab": "On a real map"})
    outputs = {k: o for k, _, _, o in calls}
    layer = at.selectbox(key="up_layer").value
    assert layer != "block2.pool"
    ref = outputs[layer]
    assert ref.dim() == 4 and min(ref.shape[-2:]) >= 6 and ref.shape[1] > 1  # the last conv stage
    later = [k for k, m, _, o in calls if o.dim() == 4 and min(o.shape[-2:]) >= 6 and o.shape[1] > 1
             and not isinstance(m, nn.AdaptiveAvgPool2d)]
    assert layer == later[-1]
    c = int(ref[0].flatten(1).mean(1).argmax())  # strongest channel by mean (hundreds of channels)
    assert at.selectbox(key="up_channel_pick").value == c
    fig = next(json.loads(el.proto.spec) for el in at.get("plotly_chart")
               if json.loads(el.proto.spec)["layout"].get("title", {}).get("text", "").startswith(f"{layer}, channel"))
    src, near, bil = (_array(fig["data"][i]["z"]) for i in range(3))
    np.testing.assert_allclose(src, np.round(ref[0, c].numpy(), 4), atol=1e-6)  # 7x7 / 13x13: not cropped
    t = torch.from_numpy(ref[0, c].double().numpy())[None, None]
    np.testing.assert_allclose(near, np.round(F.interpolate(t, scale_factor=2, mode="nearest")[0, 0].numpy(), 4),
                               atol=2e-4)
    np.testing.assert_allclose(bil, F.interpolate(t, scale_factor=2, mode="bilinear")[0, 0].numpy(), atol=2e-4)
