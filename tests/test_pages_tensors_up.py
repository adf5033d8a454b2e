"""AppTest of the Tensors & shapes and Upsampling pages: sample, upload, every model, both languages, no image."""

from __future__ import annotations

import pytest

import models
from tests.helpers import assert_page_ok, catalog_leaks, photo_bytes, run_page, sample_bytes

PAGES = ("pages/tensors.py", "pages/upsampling.py")
MODEL_NAMES = [m.name for m in models.available()]


def _payload(at) -> int:  # noqa: ANN001
    """Bytes of all plotly figures sent to the browser."""
    return sum(c.proto.ByteSize() for c in at.get("plotly_chart"))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_with_sample(page: str, lang: str) -> None:
    data, name = sample_bytes(2)
    at = run_page(page, lang=lang, image=data, image_name=name)
    assert_page_ok(at)
    assert not catalog_leaks(at)
    assert len(at.get("plotly_chart")) >= 4
    assert 0 < _payload(at) < 1_000_000


@pytest.mark.parametrize("page", PAGES)
def test_with_upload(page: str) -> None:
    at = run_page(page, lang="zh", image=photo_bytes(size=(1200, 700)), image_name="photo.jpg")
    assert_page_ok(at)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("model", MODEL_NAMES)
def test_every_model(page: str, model: str) -> None:
    data, name = sample_bytes(9)
    at = run_page(page, model=model, image=data, image_name=name)
    assert_page_ok(at)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_without_image(page: str, lang: str) -> None:
    at = run_page(page, lang=lang)
    assert_page_ok(at)
    assert at.info  # the prompt to choose an image
    assert len(at.get("plotly_chart")) >= 1  # the parts that need no image still render


def test_tensors_typed_indexes() -> None:
    data, name = sample_bytes(0)
    at = run_page("pages/tensors.py", image=data, image_name=name)
    assert_page_ok(at)
    scores = at.text_input(key="tens_scores_expr")
    scores.set_value("A[:, 1, 1]").run()
    assert_page_ok(at)
    assert any("tensor([84, 88])" in c.value for c in at.code)
    for bad in ("__import__('os')", "x[0, c, i, j]", "x[9]", "x.__class__", "x[" + "0," * 150 + "]"):
        at.text_input(key="tens_fm_expr").set_value(bad).run()
        assert not at.exception
        assert at.error, bad  # a clear message, no traceback
    at.text_input(key="tens_fm_expr").set_value("x[0, 3, 10, 5]").run()
    at.selectbox(key="tens_fm_layer").set_value("block1.conv1").run()
    assert_page_ok(at)
    at.radio(key="tens_fm_range").set_value("map").run()
    assert_page_ok(at)


def test_upsampling_widgets() -> None:
    data, name = sample_bytes(0)
    at = run_page("pages/upsampling.py", lang="en", image=data, image_name=name)  # AppTest formats options in en
    assert_page_ok(at)
    at.selectbox(key="up_layer").set_value("block1.pool").run()
    at.radio(key="up_scale").set_value(4).run()
    assert_page_ok(at)
    at.radio(key="up_kernel_kind").set_value("ones").run()
    at.radio(key="up_range").set_value("map").run()
    at.number_input(key="up_channel").set_value(15).run()
    assert_page_ok(at)
    at.slider(key="up_p").set_value(4).run()
    at.slider(key="up_k").set_value(1).run()
    assert not at.exception
