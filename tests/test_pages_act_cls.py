"""AppTest of the Activation functions and Classifier pages: sample, upload, every model, both languages,
no image, an MLP session model, widget changes, and the payload sent to the browser."""

from __future__ import annotations

import json

import pytest

import models
from tests.helpers import assert_page_ok, catalog_leaks, photo_bytes, run_page, sample_bytes

PAGES = ("pages/activations.py", "pages/classifier.py")
MODELS = [m.name for m in models.available()]


def _payload(at) -> int:  # noqa: ANN001
    return sum(len(p.proto.spec) for p in at.get("plotly_chart"))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_image(page: str, lang: str) -> None:
    at = run_page(page, lang=lang)
    assert_page_ok(at)
    assert at.info  # the prompt to choose an image
    if page == "pages/activations.py":
        assert len(at.get("plotly_chart")) >= 3  # curves, warp demo and sigmoid(2x) need no image


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("model", MODELS)
def test_each_model_with_sample(page: str, model: str) -> None:
    data, name = sample_bytes(6)
    lang = "zh" if MODELS.index(model) % 2 else "en"
    at = run_page(page, lang=lang, model=model, image=data, image_name=name)
    assert_page_ok(at)
    assert not catalog_leaks(at)
    assert len(at.get("plotly_chart")) >= 5
    assert _payload(at) < 1_500_000


@pytest.mark.parametrize("page", PAGES)
def test_upload_both_languages(page: str) -> None:
    for lang in ("en", "zh"):
        at = run_page(page, lang=lang, image=photo_bytes(size=(1200, 900)), image_name="photo.jpg")
        assert_page_ok(at)
        assert not catalog_leaks(at)


def test_activation_widgets() -> None:
    data, name = sample_bytes(0)
    at = run_page("pages/activations.py", image=data, image_name=name)
    at.selectbox(key="act_layer").set_value("block2.act2").run()
    assert_page_ok(at)
    apply_key = "act_apply_tinyvgg-relu_block2.act2"
    at.selectbox(key=apply_key).set_value("sigmoid").run()
    assert_page_ok(at)
    at.multiselect(key="act_pick").set_value(["gelu", "silu", "leaky_relu"]).run()
    at.radio(key="act_range").set_value("global").run()
    at.checkbox(key="act_warp_lift").uncheck().run()
    at.selectbox(key="act_warp_fn").set_value("none").run()
    at.radio(key="act_warp_data").set_value("xor").run()
    assert_page_ok(at)
    assert any("1.0e-" in c.value or "0.0e+00" in c.value for c in at.caption)  # stacked identity shown


def test_classifier_widgets() -> None:
    data, name = sample_bytes(4)  # "2-pullover-1-test1.png": its label 2 comes from the file name
    at = run_page("pages/classifier.py", image=data, image_name=name)
    assert_page_ok(at)
    label_box = next(s for s in at.selectbox if (s.key or "").startswith("cls_y_"))
    assert label_box.value == 2
    label_box.set_value(7).run()
    at.selectbox(key="cls_k").set_value(0).run()
    at.radio(key="cls_show").set_value("terms").run()
    at.radio(key="cls_range").set_value("map").run()
    at.select_slider(key="cls_temp").set_value(0.25).run()
    at.number_input(key="cls_c").set_value(31).run()
    assert_page_ok(at)
    assert any("31" in str(m.value) for m in at.markdown)  # the flatten check for channel c = 31


@pytest.mark.parametrize("page", PAGES)
def test_mlp_session_model(page: str) -> None:
    model = models.build("mlp", "relu", seed=0)
    card = {"arch": "mlp", "activation": "relu", "name": "my-model-test"}
    data, name = sample_bytes(2)
    at = run_page(page, model="my-model-test", image=data, image_name=name,
                  state={"session_models": {"my-model-test": (model, card)}})
    assert_page_ok(at)
    assert at.info  # something does not apply to an MLP, said with st.info
    json.dumps(at.session_state["cfg_model"])
