"""AppTest of the Convolution and Pooling pages: sample, upload, every model, both languages, no image."""

from __future__ import annotations

import json

import pytest

import models
from tests.helpers import assert_page_ok, catalog_leaks, photo_bytes, run_page, sample_bytes

PAGES = ("pages/convolution.py", "pages/pooling.py")
MODEL_NAMES = [m.name for m in models.available()]
MAX_PAYLOAD = 1_500_000


def _payload(at) -> int:  # noqa: ANN001 - AppTest
    return sum(len(el.proto.spec) for el in at.get("plotly_chart"))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_page_with_sample_and_each_model(page: str, name: str) -> None:
    data, fname = sample_bytes(1)
    at = run_page(page, model=name, image=data, image_name=fname)
    assert_page_ok(at)
    assert not catalog_leaks(at)
    assert len(at.get("plotly_chart")) >= 5
    assert _payload(at) < MAX_PAYLOAD
    assert at.success, "the numeric check (arithmetic / recorded pooling output) should be shown as passed"


@pytest.mark.parametrize("page", PAGES)
def test_page_with_uploaded_photo_in_chinese(page: str) -> None:
    at = run_page(page, lang="zh", image=photo_bytes(size=(800, 600)), image_name="photo.jpg")
    assert_page_ok(at)
    assert not catalog_leaks(at)
    assert at.title[0].value == ("卷积" if "convolution" in page else "池化")
    assert _payload(at) < MAX_PAYLOAD


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", PAGES)
def test_page_without_image_shows_prompt(page: str, lang: str) -> None:
    at = run_page(page, lang=lang)
    assert_page_ok(at)
    assert at.info, "a prompt to choose an image"
    if "convolution" in page:  # the padding & stride explorer needs no image
        assert len(at.get("plotly_chart")) == 1


def test_convolution_widgets() -> None:
    data, fname = sample_bytes(4)
    at = run_page("pages/convolution.py", image=data, image_name=fname, state={
        "conv_layer": "block2.conv2", "conv_range": "map", "conv_view": "post", "conv_play_kernel": "custom",
        "conv_oned_src": "noise", "conv_pad_n": 3, "conv_pad_k": 5, "conv_pad_p": 0,
    })
    assert_page_ok(at)
    titles = [json.loads(el.proto.spec)["layout"].get("title", {}).get("text", "") for el in at.get("plotly_chart")]
    assert "block2.act2 · [1, 32, 14, 14]" in titles  # the maps after the activation, with their shape
    assert at.warning  # the 5x5 kernel does not fit in the 3x3 input: explained, not crashed
    assert _payload(at) < MAX_PAYLOAD
    at.text_input(key="conv_oned_kernel").set_value("1, x, -1").run()
    assert not at.exception
    assert at.error and "x" in at.error[0].value  # a clear message, not a traceback
    at.text_input(key="conv_oned_kernel").set_value("-1, 2, -1").run()
    assert_page_ok(at)


def test_pooling_widgets() -> None:
    data, fname = sample_bytes(2)
    at = run_page("pages/pooling.py", lang="zh", image=data, image_name=fname, state={
        "pool_layer": "block2.pool", "pool_range": "global", "pool_k": 3, "pool_s": 1, "pool_dir": "diag",
        "pool_max_shift": 2,
    })
    assert_page_ok(at)
    assert not at.success  # k = 3, s = 1 is not the layer's own setting: no "equals the layer" claim
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 3  # shifts 0, 1, 2
