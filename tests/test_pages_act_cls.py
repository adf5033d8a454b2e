"""AppTest of the Activation functions and Classifier pages: sample, upload, every model, both languages, no image,
every lazy tab, an MLP session model, widget changes. The numbers the pages print are compared with an independent
forward pass of the committed model on the same bytes (models.load + explain.imaging.prepare), torch.softmax,
F.cross_entropy and torch.autograd.grad."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch.nn import functional as F

import models
from tests.helpers import (
    PAGE_TABS,
    assert_page_ok,
    catalog_leaks,
    chart_payload,
    chart_specs,
    fmnist_reference,
    metric_value,
    numbers_in,
    percent,
    photo_bytes,
    plotly_array,
    run_page,
    sample_bytes,
    tab_state,
)
from ui.i18n import tr

PAGES = ("pages/activations.py", "pages/classifier.py")
MODELS = [m.name for m in models.available()]
TABS = {page: PAGE_TABS[page] for page in PAGES}



def _first_activation(model: torch.nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """TinyVGG's first activation, independently: z = block1.conv1(x), f(z) and f′(z) by torch.autograd.grad."""
    with torch.no_grad():
        z = model.block1.conv1(x)
    zi = z.clone().requires_grad_(True)
    with torch.enable_grad():
        a = model.block1.act1(zi.clone())
        (d,) = torch.autograd.grad(a.sum(), zi)  # elementwise: the sum's gradient is f′(z) at every element
    return z, a.detach(), d


def _features(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model.block2(model.block1(x))[0]  # [32, 7, 7], what the classifier's flatten reads


def _softmax_table(at) -> dict[str, tuple[float, float, float]]:  # noqa: ANN001
    """The softmax tab's table: {class name: (logit z, z / T, p at T)}."""
    table = at.dataframe[0].value
    return {str(r.iloc[0]): (float(r.iloc[1]), float(r.iloc[2]), percent(str(r.iloc[3]))) for _, r in table.iterrows()}


def _assert_softmax_table(at, logits: torch.Tensor, temperature: float) -> None:  # noqa: ANN001
    names = models.class_names("en")
    rows = _softmax_table(at)
    assert set(rows) == set(names)
    p = torch.softmax(logits.double() / temperature, 0)
    for k, name in enumerate(names):
        z, scaled, prob = rows[name]
        assert z == pytest.approx(float(logits[k]), abs=6e-5), name
        assert scaled == pytest.approx(float(logits[k]) / temperature, abs=6e-5 + 1e-5 * abs(scaled)), name
        assert prob == pytest.approx(float(p[k]), abs=5.1e-5), name  # printed as a percentage with 2 decimals


def _assert_flatten_check(at, model: torch.nn.Module, x: torch.Tensor, c: int | None = None) -> None:  # noqa: ANN001
    """"Map value [c, h, w] = a; vector value [i] = b": i = c·49 + h·7 + w and a = b = the feature at (c, h, w)."""
    feats = _features(model, x)
    text = next(m.value for m in at.markdown if m.value.startswith("Map value ["))
    cc, h, w, a, i, b = numbers_in(text)[:6]
    cc, h, w, i = int(cc), int(h), int(w), int(i)
    if c is None:  # the default element is the strongest one
        assert abs(float(feats[cc, h, w])) == pytest.approx(float(feats.abs().max()))
    else:
        assert cc == c
    assert i == cc * 7 * 7 + h * 7 + w
    assert i == cc * 49 + h * 7 + w and float(torch.flatten(feats)[i]) == float(feats[cc, h, w])
    assert a == pytest.approx(float(feats[cc, h, w]), abs=6e-5)
    assert b == pytest.approx(float(feats[cc, h, w]), abs=6e-5)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_image(page: str, lang: str) -> None:
    at = run_page(page, lang=lang)
    assert_page_ok(at)
    assert at.info  # the prompt to choose an image
    if page == "pages/activations.py":  # the curves tab needs no image: sigmoid is drawn as 1/(1 + e^−x)
        curves = chart_specs(at)[0]
        sig = next(d for d in curves["data"] if d.get("name") == "sigmoid")
        x, y = plotly_array(sig["x"]), plotly_array(sig["y"])
        assert x.size > 50
        np.testing.assert_allclose(y, 1 / (1 + np.exp(-x)), atol=1e-4)


@pytest.mark.parametrize("model", MODELS)
def test_activation_metrics_with_each_model(model: str) -> None:
    """The "On this image" tab: its three fractions of the first activation layer against a direct computation."""
    data, name = sample_bytes(6)
    lang = "zh" if MODELS.index(model) % 2 else "en"
    at = run_page("pages/activations.py", lang=lang, model=model, image=data, image_name=name,
                  state=tab_state("act_tab", "act.tab.real", lang))
    assert_page_ok(at)
    assert not catalog_leaks(at)
    assert at.selectbox(key="act_layer").value == "block1.act1"
    net, x, _ = fmnist_reference(data, name, model)
    z, a, d = _first_activation(net, x)
    assert percent(metric_value(at, tr(lang, "act.frac_negative"))) == pytest.approx(float((z < 0).double().mean()),
                                                                                     abs=5.1e-4)
    assert percent(metric_value(at, tr(lang, "act.frac_zero"))) == pytest.approx(float((a == 0).double().mean()),
                                                                                 abs=5.1e-4)
    assert percent(metric_value(at, tr(lang, "act.frac_saturated"))) == pytest.approx(
        float((d.abs() < 0.01).double().mean()), abs=5.1e-4)
    # the per-channel table: mean z of each listed channel
    table = at.dataframe[0].value
    for _, row in table.head(4).iterrows():
        c = int(row.iloc[0])
        assert float(row.iloc[1]) == pytest.approx(float(z[0, c].mean()), abs=6e-5)
        assert float(row.iloc[2]) == pytest.approx(float(a[0, c].mean()), abs=6e-5)
    assert chart_payload(at) < 1_500_000


@pytest.mark.parametrize("model", MODELS)
def test_classifier_softmax_with_each_model(model: str) -> None:
    """The Softmax tab's table (logits and probabilities at T = 1) against the model's own forward and torch.softmax."""
    data, name = sample_bytes(1)  # a T-shirt the models are unsure about (56–82%): the probabilities say something
    at = run_page("pages/classifier.py", model=model, image=data, image_name=name,
                  state=tab_state("cls_tab", "cls.tab.softmax"))
    assert_page_ok(at)
    assert not catalog_leaks(at)
    _, _, logits = fmnist_reference(data, name, model)
    _assert_softmax_table(at, logits, 1.0)
    assert chart_payload(at) < 1_500_000



@pytest.mark.parametrize("page", PAGES)
def test_upload_both_languages(page: str) -> None:
    photo = photo_bytes(size=(1200, 900))
    for lang in ("en", "zh"):
        at = run_page(page, lang=lang, image=photo, image_name="photo.jpg")
        assert_page_ok(at)
        assert not catalog_leaks(at)
    if page == "pages/classifier.py":  # the flatten tab (the first) on the upload, in English
        at = run_page(page, image=photo, image_name="photo.jpg")
        model, x, _ = fmnist_reference(photo, "photo.jpg", models.DEFAULT_MODEL)
        _assert_flatten_check(at, model, x)


def test_activation_widgets() -> None:
    data, name = sample_bytes(0)
    at = run_page("pages/activations.py", image=data, image_name=name, state=tab_state("act_tab", "act.tab.real"))
    at.selectbox(key="act_layer").set_value("block2.act2").run()
    assert_page_ok(at)
    apply_key = "act_apply_tinyvgg-relu_block2.act2"
    at.selectbox(key=apply_key).set_value("sigmoid").run()
    assert_page_ok(at)
    # sigmoid applied to block2.conv2's real output: no exact zeros; saturated where σ′(z) = σ(1 − σ) < 0.01
    model, x, _ = fmnist_reference(data, name, models.DEFAULT_MODEL)
    with torch.no_grad():
        z = model.block2.conv2(model.block2.act1(model.block2.conv1(model.block1(x))))
    s = torch.sigmoid(z.double())
    assert percent(metric_value(at, "outputs exactly 0")) == 0.0
    assert percent(metric_value(at, "saturated: |f′(z)| < 0.01")) == pytest.approx(
        float((s * (1 - s) < 0.01).double().mean()), abs=5.1e-4)
    assert percent(metric_value(at, "inputs z < 0")) == pytest.approx(float((z < 0).double().mean()), abs=5.1e-4)
    at.session_state["act_tab"] = tr("en", "act.tab.curves")
    at.run()
    at.multiselect(key="act_pick").set_value(["gelu", "silu", "leaky_relu"]).run()
    assert_page_ok(at)
    silu = next(d for d in chart_specs(at)[0]["data"] if d.get("name") == "SiLU")
    xs, ys = plotly_array(silu["x"]), plotly_array(silu["y"])
    np.testing.assert_allclose(ys, xs / (1 + np.exp(-xs)), atol=1e-4)
    at.session_state["act_tab"] = tr("en", "act.tab.variants")
    at.run()
    at.radio(key="act_range").set_value("global").run()
    assert_page_ok(at)
    at.session_state["act_tab"] = tr("en", "act.tab.warp")
    at.run()
    at.checkbox(key="act_warp_lift").uncheck().run()
    at.selectbox(key="act_warp_fn").set_value("none").run()
    at.radio(key="act_warp_data").set_value("xor").run()
    assert_page_ok(at)
    # stacked linear layers: W₂(W₁x + b₁) + b₂ for the three listed points, W₁ = I (angle 0, scale 1, no lift),
    # b₁ = (−0.6, −0.6) as set, W₂, b₂ the demo's second layer; both columns of the table equal it
    from explain import warp

    w2, b2 = (np.asarray(v, dtype=np.float64) for v in warp.second_layer(2))
    b1 = np.array([-0.6, -0.6], dtype=np.float32).astype(np.float64)
    xy = warp.make_points("xor").xy.astype(np.float64)
    rows = at.dataframe[0].value
    assert len(rows) == 3
    for idx, (_, row) in zip([0, len(xy) // 2, len(xy) - 1], rows.iterrows(), strict=True):
        expected = w2 @ (xy[idx] + b1) + b2
        np.testing.assert_allclose(json.loads(row.iloc[0]), xy[idx], atol=5e-4)
        np.testing.assert_allclose(json.loads(row.iloc[1]), expected, atol=2e-6)
        np.testing.assert_allclose(json.loads(row.iloc[2]), expected, atol=2e-6)
    caption = next(c.value for c in at.caption if c.value.startswith("Largest difference between the two"))
    (diff,) = numbers_in(caption)
    assert 0 <= diff < 1e-12  # float64 rounding only: the two computations are one affine map


def test_classifier_widgets() -> None:
    data, name = sample_bytes(4)  # "2-pullover-1-test1.png": its label 2 comes from the file name
    model, x, logits = fmnist_reference(data, name, models.DEFAULT_MODEL)
    at = run_page("pages/classifier.py", image=data, image_name=name, state=tab_state("cls_tab", "cls.tab.loss"))
    assert_page_ok(at)
    label_box = next(s for s in at.selectbox if (s.key or "").startswith("cls_y_"))
    assert label_box.value == 2
    for y in (2, 7):
        if y != 2:
            label_box.set_value(y).run()
            assert_page_ok(at)
        ce = F.cross_entropy(logits[None].double(), torch.tensor([y]))
        assert float(metric_value(at, "cross-entropy −log p_y")) == pytest.approx(float(ce), rel=2e-3, abs=1e-6)
        # ∂L/∂W[y] = (p_y − 1)·x: its norm against torch.autograd.grad of the classifier's weight
        twin = __import__("copy").deepcopy(model)
        (g,) = torch.autograd.grad(F.cross_entropy(twin(x), torch.tensor([y])), twin.classifier.weight)
        row = next(m.value for m in at.markdown if "weight row" in m.value)
        assert numbers_in(row.split("Its norm over the")[1])[1] == pytest.approx(float(g[y].norm()), rel=1e-3)
    at.session_state["cls_tab"] = tr("en", "cls.tab.fc")
    at.run()
    at.selectbox(key="cls_k").set_value(0).run()
    at.radio(key="cls_show").set_value("terms").run()
    at.radio(key="cls_range").set_value("map").run()
    assert_page_ok(at)
    check = next(m.value for m in at.markdown if m.value.startswith("Computed sum"))
    with torch.no_grad():
        z0 = F.linear(torch.flatten(_features(model, x))[None], model.classifier.weight, model.classifier.bias)[0, 0]
    for v in numbers_in(check)[:3]:  # computed sum, the traced logit, F.linear: all the logit z_0
        assert v == pytest.approx(float(z0), abs=6e-5)
    at.session_state["cls_tab"] = tr("en", "cls.tab.softmax")
    at.run()
    at.select_slider(key="cls_temp").set_value(4.0).run()  # flattens this confident prediction (99.8% at T = 1)
    assert_page_ok(at)
    _assert_softmax_table(at, logits, 4.0)
    at.session_state["cls_tab"] = tr("en", "cls.tab.flatten")
    at.run()
    at.number_input(key="cls_c").set_value(31).run()
    assert_page_ok(at)
    _assert_flatten_check(at, model, x, c=31)


@pytest.mark.parametrize("page", PAGES)
def test_mlp_session_model(page: str) -> None:
    model = models.build("mlp", "relu", seed=0)
    card = {"arch": "mlp", "activation": "relu", "name": "my-model-test"}
    data, name = sample_bytes(2)
    key, labels = TABS[page]
    state = {"session_models": {"my-model-test": (model, card)}, key: tr("en", labels[1])}
    at = run_page(page, model="my-model-test", image=data, image_name=name, state=state)
    assert_page_ok(at)
    assert at.info  # something does not apply to an MLP, said with st.info
    json.dumps(at.session_state["cfg_model"])
