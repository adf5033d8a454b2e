"""AppTest of the Gradient flow and Attribution pages: sample, upload, every model, both languages, no image."""

from __future__ import annotations

import pytest

import models
from tests.helpers import assert_page_ok, catalog_leaks, photo_bytes, run_page, sample_bytes

GRAD = "pages/gradient_flow.py"
ATTR = "pages/attribution.py"
PAGES = (GRAD, ATTR)


def _texts(at) -> str:  # noqa: ANN001 - AppTest
    return " ".join(str(e.value) for e in (*at.markdown, *at.caption, *at.subheader, *at.info))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sample_both_languages(page: str, lang: str) -> None:
    data, name = sample_bytes(2)
    at = run_page(page, lang=lang, image=data, image_name=name)
    assert_page_ok(at)
    assert not catalog_leaks(at)
    charts = at.get("plotly_chart")
    assert len(charts) >= 8
    payload = sum(len(c.proto.spec) for c in charts)
    assert payload < 1_500_000, payload
    if lang == "zh":
        assert "梯度" in _texts(at) or "像素" in _texts(at)


@pytest.mark.parametrize("page", PAGES)
def test_upload_and_every_model(page: str) -> None:
    photo = photo_bytes(size=(900, 1300), seed=3)
    for info in models.available():
        at = run_page(page, model=info.name, image=photo, image_name="photo.jpg")
        assert_page_ok(at)
        assert at.get("plotly_chart"), info.name


@pytest.mark.parametrize("page", PAGES)
def test_no_image(page: str) -> None:
    at = run_page(page, lang="zh")
    assert_page_ok(at)
    assert at.info  # the image prompt
    if page == GRAD:  # the batch comparison needs no image and is shown anyway
        assert len(at.get("plotly_chart")) == 2
        assert "sigmoid" in _texts(at)


def test_gradient_flow_controls() -> None:
    data, name = sample_bytes(7)
    at = run_page(GRAD, image=data, image_name=name,
                  state={"grad_target": 4, "grad_loss": "cross_entropy", "grad_label": 1, "grad_range": "global",
                         "grad_conv": "block2.conv1", "grad_reduction": "mean_grad"})
    assert_page_ok(at)
    text = _texts(at)
    assert "cross-entropy" in text.lower() or "−log softmax" in text
    assert "norm of the batch-mean gradient" in text
    # the finding is stated with its number on the untrained networks
    assert "less gradient with sigmoid than with ReLU" in text


def test_attribution_controls() -> None:
    data, name = sample_bytes(11)
    at = run_page(ATTR, lang="zh", image=data, image_name=name,
                  state={"attr_target": 2, "attr_cam_layer": "block1.conv1", "attr_smooth_n": 3,
                         "attr_smooth_sigma": 0.0, "attr_occ_patch": 3, "attr_occ_stride": 7})
    assert_page_ok(at)
    text = _texts(at)
    assert "步长不能大于方块大小" in text  # the stride is clamped to the patch, with a message
    assert "Spearman" in text or "ρ" in text


def test_mlp_session_model_is_explained_not_crashed() -> None:
    mlp = models.build("mlp", "relu", seed=0)
    name = "my-model-test0001"
    data, img_name = sample_bytes(0)
    for page in PAGES:
        at = run_page(page, image=data, image_name=img_name,
                      state={"session_models": {name: (mlp, {"name": name, "arch": "mlp", "activation": "relu"})},
                             "cfg_model": name})
        assert_page_ok(at)
        assert any("does not apply" in i.value for i in at.info), page
