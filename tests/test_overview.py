"""AppTest of the Overview page: no image, a sample through the picker widgets, an upload through the real
``file_uploader`` widget, a broken upload, every model, both languages."""

from __future__ import annotations

import pytest
import torch

import models
from tests.helpers import (
    ROOT,
    assert_page_ok,
    catalog_leaks,
    chart_specs,
    fmnist_reference,
    photo_bytes,
    plotly_array,
    run_page,
    sample_bytes,
    without_inplace,
)
from ui.i18n import CATALOG, tr

PAGE = "pages/overview.py"


@pytest.fixture
def harness_lang(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """Pin the language that ``t()`` uses *outside* a script run.

    On ``at.run()`` AppTest re-evaluates each selectbox's ``format_func`` in the test thread to find the
    chosen index. The sample picker's labels are translated, and outside a script run ``current_lang()``
    falls back to English, so a Chinese page fails there with "'T-shirt/top · #1' is not in list". Inside
    the script thread nothing changes.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    import ui.i18n

    original = ui.i18n.current_lang

    def pin(lang: str) -> None:
        monkeypatch.setattr(ui.i18n, "current_lang", lambda: original() if get_script_run_ctx() else lang)

    return pin


def _titles(at) -> list[str]:  # noqa: ANN001 - AppTest
    return [e.value for e in at.title]


def assert_result_shown(at, lang: str, n_layers: int | None = None) -> None:  # noqa: ANN001
    """The preprocessing strip, the top-k chart and the architecture table are on the page."""
    assert_page_ok(at)
    assert not catalog_leaks(at)
    assert _titles(at) == [tr(lang, "overview.title")]
    assert len(at.get("plotly_chart")) >= 1  # the top-k bar chart
    assert len(at.dataframe) == 1
    table = at.dataframe[0].value
    assert tr(lang, "overview.col.layer") in table.columns and tr(lang, "overview.col.params") in table.columns
    if n_layers is not None:
        assert len(table) == n_layers
    assert tr(lang, "overview.architecture") in [e.value for e in at.subheader]


def assert_numbers(at, data: bytes, name: str, model_name: str, lang: str = "en") -> None:  # noqa: ANN001
    """The shown numbers against an independent forward pass of the same bytes (models.load + imaging.prepare):
    the top-k bars and the network picture's probability column against torch.softmax, and the layer table's
    parameter counts and mean outputs against the modules and torchvision's feature extractor."""
    model, x, logits = fmnist_reference(data, name, model_name)
    p = torch.softmax(logits.double(), 0)
    names = models.class_names(lang)
    specs = chart_specs(at)
    topk = next(s for s in specs if s["data"] and all(isinstance(v, str) for v in s["data"][0].get("y") or [0]))
    bars = topk["data"][0]
    shown = dict(zip(bars["y"], plotly_array(bars["x"]), strict=True))
    assert len(shown) >= 3
    order = torch.argsort(p, descending=True)[:len(shown)]
    assert set(shown) == {names[int(k)] for k in order}  # the most probable classes
    for k in order:
        assert shown[names[int(k)]] == pytest.approx(float(p[k]), abs=1e-5), names[int(k)]
    picture = next(d for s in specs for d in s["data"] if d.get("orientation") == "h" and d is not bars)
    assert plotly_array(picture["x"]) == pytest.approx(torch.sort(p, descending=True).values.numpy(), abs=1e-5)
    from torchvision.models.feature_extraction import create_feature_extractor

    leaves = {n: m for n, m in model.named_modules() if n and not list(m.children())}
    extractor = create_feature_extractor(without_inplace(model), {n: n for n in leaves})  # torch.fx, not hooks
    with torch.no_grad():
        outs = extractor(x)
    table = at.dataframe[0].value
    assert list(table.iloc[:, 0]) == list(leaves)
    for _, row in table.iterrows():
        n = str(row.iloc[0])
        assert int(row.iloc[3]) == sum(q.numel() for q in leaves[n].parameters()), n
        assert float(row.iloc[4]) == pytest.approx(float(outs[n].double().mean()), abs=6e-5), n


def layer_count(model_name: str) -> int:
    from explain.hooks import leaf_modules

    return len(leaf_modules(models.load(model_name)))


def test_page_links_of_layer_kinds() -> None:
    """The links under the architecture table: one per page that explains a kind in the model, in course order;
    the page list is read from disk once per process."""
    from explain import kinds
    from ui import nav

    assert nav.existing_pages() is nav.existing_pages()
    assert [p.path for p in nav.existing_pages()] == [p.path for p in nav.PAGES if (ROOT / p.path).exists()]
    assert nav.page_of_kind("Conv2d").path == "pages/convolution.py" and nav.page_of_kind("NoSuchLayer") is None
    shown = {"Linear", "ReLU", "Conv2d", "MaxPool2d", "NoSuchLayer"}
    want = [p.path for p in nav.PAGES if any(k.page == p.path for k in kinds.TABLE if k.kind in shown)]
    assert [p.path for p in nav.pages_of_kinds(shown)] == want
    assert want[0] == "pages/convolution.py" and len(want) == len(set(want)) >= 3


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_image_shows_the_picker(lang: str) -> None:
    at = run_page(PAGE, lang=lang)
    assert_page_ok(at)
    assert _titles(at) == [tr(lang, "overview.title")]
    assert at.file_uploader(key="upload") is not None and at.selectbox(key="sample") is not None
    assert len(at.get("plotly_chart")) == 0 and len(at.dataframe) == 0
    assert "image" not in at.session_state
    assert tr(lang, "sidebar.no_image") in [e.value for e in at.sidebar.caption]


def test_sample_through_the_picker_widgets(harness_lang) -> None:  # noqa: ANN001
    at = run_page(PAGE, lang="en")
    name = models.samples()[3].name
    at.selectbox(key="sample").set_value(name)
    at.button(key="sample_use").click()
    at.run()
    assert at.session_state["image"]["name"] == name
    assert_result_shown(at, "en", layer_count(models.DEFAULT_MODEL))
    assert_numbers(at, models.samples()[3].read_bytes(), name, models.DEFAULT_MODEL)
    # Switching the language in the sidebar keeps the image and translates the page.
    at.radio(key="lang").set_value("zh")
    at.run()
    harness_lang("zh")
    at.run()
    assert at.session_state["image"]["name"] == name
    assert_result_shown(at, "zh")
    assert_numbers(at, models.samples()[3].read_bytes(), name, models.DEFAULT_MODEL, "zh")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_upload_through_the_file_uploader(lang: str, harness_lang) -> None:  # noqa: ANN001
    harness_lang(lang)
    at = run_page(PAGE, lang=lang)
    data = photo_bytes("JPEG", size=(1280, 960))
    at.file_uploader(key="upload").set_value(("photo.jpg", data, "image/jpeg"))
    at.run()
    assert at.session_state["image"]["name"] == "photo.jpg"
    assert at.session_state["image"]["bytes"] == data
    assert_result_shown(at, lang)
    assert_numbers(at, data, "photo.jpg", models.DEFAULT_MODEL, lang)
    assert any("1280" in e.value and "960" in e.value for e in at.caption)  # the original size is reported


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_broken_upload_shows_an_error_and_keeps_the_image(lang: str, harness_lang) -> None:  # noqa: ANN001
    harness_lang(lang)
    data, name = sample_bytes(0)
    at = run_page(PAGE, lang=lang, image=data, image_name=name)
    assert_result_shown(at, lang)
    at.file_uploader(key="upload").set_value(("doc.png", b"%PDF-1.4\nnot an image\n%%EOF\n", "image/png"))
    at.run()
    assert not at.exception
    errors = [e.value for e in at.error]
    want = tr(lang, "error.image.not_image", kind=tr(lang, "sniff.PDF document"))
    assert errors == [want]
    assert at.session_state["image"]["name"] == name and at.session_state["image"]["bytes"] == data
    # The page still shows the previous image's results, and a rerun keeps the message without a new error.
    assert len(at.get("plotly_chart")) >= 1 and len(at.dataframe) == 1
    assert_numbers(at, data, name, models.DEFAULT_MODEL, lang)
    at.run()
    assert not at.exception and [e.value for e in at.error] == [want]


def test_truncated_upload_is_refused() -> None:
    at = run_page(PAGE, lang="en")
    at.file_uploader(key="upload").set_value(("cut.jpg", photo_bytes("JPEG")[:2000], "image/jpeg"))
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [CATALOG["en"]["error.image.truncated"]]
    assert "image" not in at.session_state


@pytest.mark.parametrize("model", [m.name for m in models.available()])
def test_every_model_with_a_sample(model: str) -> None:
    data, name = sample_bytes(5)
    at = run_page(PAGE, lang="en", model=model, image=data, image_name=name)
    assert_result_shown(at, "en", layer_count(model))
    assert at.session_state["cfg_model"] == model
    assert_numbers(at, data, name, model)


def test_large_upload_in_chinese() -> None:
    big = photo_bytes("PNG", size=(2400, 1800))
    at = run_page(PAGE, lang="zh", image=big, image_name="big.png")
    assert_result_shown(at, "zh")
    assert_numbers(at, big, "big.png", models.DEFAULT_MODEL, "zh")
