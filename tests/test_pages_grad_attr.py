"""AppTest of the Gradient flow and Attribution pages: sample, upload, every model, both languages, no image, every
lazy tab. The numbers the pages show are compared with torch.autograd.grad on a private copy of the committed model,
fed the input explain.imaging.prepare makes of the same bytes: the per-layer gradient norms, the loss, the batch
loss's weight gradient, the class score and probability, and Grad-CAM's channel weights α_k."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

import models
from tests.helpers import (
    PAGE_TABS,
    assert_page_ok,
    chart_specs,
    chart_titled,
    fmnist_reference,
    numbers_in,
    percent,
    photo_bytes,
    plotly_array,
    run_page,
    sample_bytes,
    without_inplace,
)
from ui.i18n import tr

GRAD = "pages/gradient_flow.py"
ATTR = "pages/attribution.py"
PAGES = (GRAD, ATTR)
TABS = {page: PAGE_TABS[page] for page in PAGES}
N_BATCH = 256


def _tab(page: str, label_key: str, lang: str = "en") -> dict:
    key = TABS[page][0]
    return {key: tr(lang, label_key, n=N_BATCH)}



def _texts(at) -> str:  # noqa: ANN001 - AppTest
    return " ".join(str(e.value) for e in (*at.markdown, *at.caption, *at.subheader, *at.info))


def _reference_norms(model: torch.nn.Module, x: torch.Tensor, loss_of) -> tuple[dict, dict]:  # noqa: ANN001
    """‖∂L/∂output‖ of every leaf layer and ‖(∂L/∂W, ∂L/∂b)‖ of every layer with weights, by torch.autograd.grad
    on a copy without in-place ops (hooks keep the outputs)."""
    twin = without_inplace(model)
    outs: dict[str, torch.Tensor] = {}

    def keep(name: str):  # noqa: ANN202
        def hook(_m: torch.nn.Module, _a: tuple, out: torch.Tensor) -> None:
            outs[name] = out
        return hook

    leaves = {n: m for n, m in twin.named_modules() if n and not list(m.children())}
    handles = [m.register_forward_hook(keep(n)) for n, m in leaves.items()]
    try:
        loss = loss_of(twin(x))
    finally:
        for h in handles:
            h.remove()
    weighted = {n: list(m.parameters()) for n, m in leaves.items() if list(m.parameters())}
    params = [p for ps in weighted.values() for p in ps]
    got = torch.autograd.grad(loss, [*outs.values(), *params])
    out_norms = {n: float(g.norm()) for n, g in zip(outs, got[:len(outs)], strict=True)}
    it = iter(got[len(outs):])
    w_norms = {n: float(torch.sqrt(sum(next(it).double().pow(2).sum() for _ in ps))) for n, ps in weighted.items()}
    return out_norms, w_norms


def _assert_norm_chart(spec: dict, out_norms: dict, w_norms: dict) -> None:
    """The single-image chart: the ‖∂L/∂output‖ line and the ‖∂L/∂weights‖ markers, layer by layer."""
    outs, weights = spec["data"][0], spec["data"][1]
    names = list(outs["x"])
    assert names == list(out_norms)
    for n, v in zip(names, plotly_array(outs["y"]), strict=True):
        assert v == pytest.approx(out_norms[n], rel=1e-4), n
    shown = {n: v for n, v in zip(weights["x"], plotly_array(weights["y"]), strict=True) if v == v}  # no NaN
    assert set(shown) == set(w_norms)
    for n, v in shown.items():
        assert v == pytest.approx(w_norms[n], rel=1e-4), n


def _assert_batch_weights(at, w_norms: dict) -> None:  # noqa: ANN001 - AppTest
    """The batch tab's trained chart: tinyvgg-relu's ‖∂/∂(W, b)‖ markers, layer by layer."""
    trained = chart_specs(at)[0]
    weights = next(d for d in trained["data"] if d.get("name") == "tinyvgg-relu" and "block1.act1" not in d["x"])
    shown = dict(zip(weights["x"], plotly_array(weights["y"]), strict=True))
    assert set(shown) == set(w_norms)
    for n, v in w_norms.items():
        assert shown[n] == pytest.approx(v, rel=1e-4), n


def _cam_reference(model: torch.nn.Module, x: torch.Tensor, layer: str, target: int) -> torch.Tensor:
    """Grad-CAM's α_k = mean over positions of ∂S_t/∂A_k, A = the layer's output, by torch.autograd.grad."""
    twin = without_inplace(model)
    seen: list[torch.Tensor] = []
    handle = twin.get_submodule(layer).register_forward_hook(lambda _m, _a, out: seen.append(out))
    try:
        score = twin(x)[0, target]
    finally:
        handle.remove()
    (g,) = torch.autograd.grad(score, seen[0])
    return g[0].mean((1, 2))


def _assert_target_line(at, logits: torch.Tensor, target: int) -> None:  # noqa: ANN001
    """"Explaining **label**: probability p, score S_t = z_t." against torch.softmax and the logits."""
    line = next(m.value for m in at.markdown if "S_t = " in m.value and "**" in m.value)
    prob = percent(line.split("**")[2].split("%")[0].split()[-1].lstrip(":：") + "%")
    score = numbers_in(line.split("S_t =")[1])[0]
    assert prob == pytest.approx(float(torch.softmax(logits.double(), 0)[target]), abs=5.1e-4)
    assert score == pytest.approx(float(logits[target]), abs=6e-4)



@pytest.mark.parametrize("model", [m.name for m in models.available()])
def test_gradient_flow_norms_on_an_upload(model: str) -> None:
    """The single-image chart (default: L = S_t, the predicted class) against autograd on a copy."""
    photo = photo_bytes(size=(900, 1300), seed=3)
    at = run_page(GRAD, model=model, image=photo, image_name="photo.jpg")
    assert_page_ok(at)
    net, x, logits = fmnist_reference(photo, "photo.jpg", model)
    t = int(logits.argmax())
    caption = next(c.value for c in at.caption if c.value.startswith("L = S_t"))
    assert numbers_in(caption)[-1] == pytest.approx(float(logits[t]), abs=6e-5)
    out_norms, w_norms = _reference_norms(net, x, lambda z: z[0, t])
    _assert_norm_chart(chart_titled(at, f"{model}: gradient norms"), out_norms, w_norms)


@pytest.mark.parametrize("model", [m.name for m in models.available()])
def test_attribution_on_an_upload(model: str) -> None:
    """The class score and probability, and Grad-CAM's α_k of the default layer, against autograd on a copy."""
    photo = photo_bytes(size=(900, 1300), seed=3)
    at = run_page(ATTR, model=model, image=photo, image_name="photo.jpg", state=_tab(ATTR, "attr.tab.cam"))
    assert_page_ok(at)
    net, x, logits = fmnist_reference(photo, "photo.jpg", model)
    t = int(logits.argmax())
    _assert_target_line(at, logits, t)
    layer = at.selectbox(key="attr_cam_layer").value
    alpha = plotly_array(chart_titled(at, "Channel weights α_k")["data"][0]["y"])
    ref = _cam_reference(net, x, layer, t)
    assert alpha.shape == tuple(ref.shape)
    assert alpha == pytest.approx(ref.double().numpy(), rel=1e-4, abs=1e-7)


@pytest.mark.parametrize("page", PAGES)
def test_no_image(page: str) -> None:
    at = run_page(page, lang="zh")
    assert_page_ok(at)
    assert at.info  # the image prompt
    if page == GRAD:  # the batch comparison needs no image: its tab still opens
        at = run_page(page, lang="zh", state=_tab(page, "grad.tab.batch", "zh"))
        assert_page_ok(at)
        assert len(at.get("plotly_chart")) == 2
        assert "sigmoid" in _texts(at)
        # trained tinyvgg-relu on the 256 committed test images with their labels, ℓᵢ the cross-entropy of image i:
        # by default the mean of the per-image norms (1/N) Σᵢ ‖∂ℓᵢ/∂(W, b)‖, against autograd image by image
        x, y = models.test_batch()
        net = models.load("tinyvgg-relu")
        per_image = [_reference_norms(net, x[i:i + 1], lambda z, i=i: F.cross_entropy(z, y[i:i + 1]))[1]
                     for i in range(len(y))]
        _assert_batch_weights(at, {n: sum(r[n] for r in per_image) / len(y) for n in per_image[0]})
        # the other reduction: the norm of the batch loss's gradient ‖∂L/∂(W, b)‖, L = (1/N) Σᵢ ℓᵢ
        at = run_page(page, lang="zh", state={**_tab(page, "grad.tab.batch", "zh"), "grad_reduction": "mean_grad"})
        assert_page_ok(at)
        _assert_batch_weights(at, _reference_norms(net, x, lambda z: F.cross_entropy(z, y))[1])


def test_gradient_flow_controls() -> None:
    data, name = sample_bytes(7)
    at = run_page(GRAD, image=data, image_name=name,
                  state={"grad_target": 4, "grad_loss": "cross_entropy", "grad_label": 1, "grad_range": "global",
                         "grad_conv": "block2.conv1"})
    assert_page_ok(at)
    # L = −log softmax(z)_1 and every gradient norm of that loss
    net, x, logits = fmnist_reference(data, name, models.DEFAULT_MODEL)
    caption = next(c.value for c in at.caption if c.value.startswith("L = −log softmax"))
    assert numbers_in(caption.split(":")[-1])[0] == pytest.approx(
        float(F.cross_entropy(logits[None], torch.tensor([1]))), abs=6e-5)
    out_norms, w_norms = _reference_norms(net, x, lambda z: F.cross_entropy(z, torch.tensor([1])))
    _assert_norm_chart(chart_titled(at, "tinyvgg-relu: gradient norms"), out_norms, w_norms)
    # the finding is stated with its number on the untrained networks (the comparison tab)
    at.session_state["grad_tab"] = tr("en", "grad.tab.compare")
    at.run()
    assert_page_ok(at)
    assert "less gradient with sigmoid than with ReLU" in _texts(at)
    # the trained comparison's tinyvgg-relu lines are the same autograd norms as the single chart's
    lines = [d for d in chart_specs(at)[0]["data"] if d.get("name") == "tinyvgg-relu"]
    outs = dict(zip(lines[0]["x"], plotly_array(lines[0]["y"]), strict=True))
    assert outs == pytest.approx(out_norms, rel=1e-4)
    ws = dict(zip(lines[1]["x"], plotly_array(lines[1]["y"]), strict=True))
    assert ws == pytest.approx(w_norms, rel=1e-4)
    at.session_state["grad_tab"] = tr("en", "grad.tab.maps")
    at.run()
    assert_page_ok(at)
    assert "**∂L/∂output of block2.conv1 · [1, 32, 14, 14]**" in [m.value for m in at.markdown]


def test_attribution_controls() -> None:
    data, name = sample_bytes(11)
    state = {"attr_target": 2, "attr_cam_layer": "block1.conv1", "attr_smooth_n_fmnist": 3,
             "attr_smooth_sigma": 0.0, "attr_occ_patch": 3, "attr_occ_stride": 7}
    at = run_page(ATTR, lang="zh", image=data, image_name=name, state={**state, **_tab(ATTR, "attr.tab.cam", "zh")})
    assert_page_ok(at)
    net, x, logits = fmnist_reference(data, name, models.DEFAULT_MODEL)
    _assert_target_line(at, logits, 2)  # the chosen class, not the predicted one
    assert int(logits.argmax()) != 2
    alpha = plotly_array(chart_specs(at)[0]["data"][0]["y"])
    assert alpha == pytest.approx(_cam_reference(net, x, "block1.conv1", 2).double().numpy(), rel=1e-4, abs=1e-7)
    at = run_page(ATTR, lang="zh", image=data, image_name=name, state={**state, **_tab(ATTR, "attr.tab.occlusion",
                                                                                           "zh")})
    assert_page_ok(at)
    assert tr("zh", "attr.occ.stride_clamped", s=3) in _texts(at)  # the stride is clamped to the patch
    # a 3x3 patch with stride 3 covering all 28 pixels: ⌈(28 − 3)/3⌉ + 1 = 10 positions per axis (0, 3, …, 24 and
    # one flush with the border), 100 forward passes
    per_axis = -(-(28 - 3) // 3) + 1
    caption = next(c.value for c in at.caption if "256" in c.value)
    assert numbers_in(caption)[:3] == [per_axis ** 2, per_axis, per_axis]


def test_mlp_session_model_is_explained_not_crashed() -> None:
    mlp = models.build("mlp", "relu", seed=0)
    name = "my-model-test0001"
    data, img_name = sample_bytes(0)
    for page, tab in ((GRAD, "grad.tab.maps"), (ATTR, "attr.tab.cam")):  # the tabs about conv layers
        at = run_page(page, image=data, image_name=img_name,
                      state={"session_models": {name: (mlp, {"name": name, "arch": "mlp", "activation": "relu"})},
                             "cfg_model": name, **_tab(page, tab)})
        assert_page_ok(at)
        assert any("does not apply" in i.value for i in at.info), page
