"""Links that keep the reader's choices (?lang=, ?model=, ?conv_layer=) without filling the browser's history.

Every change of the query string is a history entry, and a page switch starts from a URL without parameters:
the app writes only what differs from the defaults (the language: the browser's own), so a student's Back button
goes back a page.
"""

from __future__ import annotations

import models
from tests.helpers import ROOT, photo_bytes


def _app(**params: str):  # noqa: ANN202 - AppTest
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    return at


def _params(at) -> dict[str, str]:  # noqa: ANN001 - AppTest
    return {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}


def test_defaults_stay_out_of_the_url() -> None:
    at = _app()
    at.run()
    assert not at.exception
    assert "lang" not in _params(at) and "model" not in _params(at)


def test_a_choice_goes_into_the_url_and_back_out() -> None:
    at = _app()
    at.run()
    at.radio(key="lang").set_value("zh").run()
    assert not at.exception
    assert _params(at).get("lang") == "zh"
    other = next(m.name for m in models.available() if m.name != models.DEFAULT_MODEL)
    at.selectbox(key="model").set_value(other).run()
    assert _params(at).get("model") == other
    at.radio(key="lang").set_value("en").run()  # back to the default: taken out, not written as lang=en
    assert "lang" not in _params(at) and _params(at).get("model") == other


def test_a_link_opens_its_choices() -> None:
    at = _app(lang="zh")
    at.run()
    assert not at.exception
    from ui.i18n import CATALOG

    assert at.radio(key="lang").value == "zh"
    assert at.selectbox(key="model").label == CATALOG["zh"]["sidebar.model"]
    assert _params(at) == {"lang": "zh"}  # applied, and still in the URL: it is not the default


def test_the_layer_picker_writes_only_a_chosen_layer() -> None:
    from tests.helpers import run_page

    at = run_page("pages/convolution.py", image=photo_bytes(), image_name="a.jpg")
    assert not at.exception
    box = at.selectbox(key="conv_layer")
    first = box.value
    assert "conv_layer" not in _params(at)  # the first layer, the page's default
    box.select_index(len(box.options) - 1).run()
    chosen = at.selectbox(key="conv_layer").value
    assert chosen != first
    assert _params(at)["conv_layer"] == chosen


def test_the_browser_language_is_the_default() -> None:
    """A Chinese browser (any zh locale) opens the app in Chinese, and then lang=zh is the default that stays
    out of the URL (tested in a real browser in tests/test_browser.py); any other locale, or none, English."""
    from ui.i18n import lang_of_locale

    for locale in ("zh", "zh-CN", "zh-TW", "zh-Hans-CN", "ZH-cn", " zh-SG"):
        assert lang_of_locale(locale) == "zh", locale
    for locale in ("en-US", "en", "de-DE", "ja-JP", "", None, "z", "hz"):
        assert lang_of_locale(locale) == "en", locale
