"""AppTest of the Backpropagation page: no image, a sample, an upload, every model, both languages, bad input."""

from __future__ import annotations

import pytest

import models
from tests.helpers import assert_page_ok, catalog_leaks, photo_bytes, run_page, sample_bytes

PAGE = "pages/backprop.py"


def _charts(at) -> tuple[int, int]:  # noqa: ANN001 - AppTest
    return len(at.get("plotly_chart")), len(at.get("graphviz_chart"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_image_shows_the_image_free_parts(lang: str) -> None:
    at = run_page(PAGE, lang=lang)
    assert_page_ok(at)
    assert not catalog_leaks(at)
    plots, graphs = _charts(at)
    assert plots == 2  # loss surface + loss per step
    assert graphs == 1  # the tiny network's chain rule
    assert any("scalar outputs" in c.value for c in at.code)  # the real RuntimeError
    assert at.success  # chain rule matches autograd
    prompt = "本页讲解当前图片" if lang == "zh" else "This page explains the current image"
    assert any(prompt in i.value for i in at.info)


@pytest.mark.parametrize("name", [m.name for m in models.available(None)])
def test_sample_with_every_model(name: str) -> None:
    data, fname = sample_bytes(3)
    at = run_page(PAGE, model=name, image=data, image_name=fname, lang="zh" if "sigmoid" in name else "en")
    assert_page_ok(at)
    assert not catalog_leaks(at)
    plots, graphs = _charts(at)
    assert (plots, graphs) == (3, 2)  # + finite-difference sweep, + the model's computation graph
    labels = [m.label for m in at.metric]
    assert any("float64" in lab for lab in labels)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_upload(lang: str) -> None:
    at = run_page(PAGE, lang=lang, image=photo_bytes(size=(1200, 900)), image_name="photo.jpg")
    assert_page_ok(at)
    assert _charts(at) == (3, 2)


def test_widgets_change_the_numbers() -> None:
    data, fname = sample_bytes(0)
    at = run_page(PAGE, image=data, image_name=fname)
    assert_page_ok(at)
    # a learning rate above 2/λ_max diverges on the bowl
    at.select_slider(key="bp_lr_bowl").set_value(0.3).run()
    assert_page_ok(at)
    assert at.warning
    # the classifier's bias: finite difference and autograd agree
    at.selectbox(key="bp_fd_layer").set_value("classifier").run()
    at.selectbox(key="bp_fd_param_classifier").set_value("bias").run()
    assert_page_ok(at)
    rel = next(m for m in at.metric if m.label == "relative error")
    assert float(rel.value) < 1e-4
    # the tiny network follows its inputs and still matches autograd
    at.number_input(key="bp_tiny_w2").set_value(-3.0).run()
    assert_page_ok(at)
    assert at.success


@pytest.mark.parametrize(("x", "v"), [("1, abc", "1, 1"), ("1, 2, 3", "1, 2")])
def test_bad_vector_gets_a_clear_error(x: str, v: str) -> None:
    at = run_page(PAGE, state={"bp_scalar_x": x, "bp_scalar_v": v})
    assert not at.exception
    assert len(at.error) == 1
    assert "abc" in at.error[0].value or "3" in at.error[0].value
