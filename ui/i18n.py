"""The en/zh catalog: ``t("overview.title")`` in the session's language, with ``{name}`` fields filled."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import ui.strings
from models import FMNIST
from ui.state import FAMILY_KEY, LANG_KEY, LANG_WIDGET

LANGS: tuple[str, ...] = ("en", "zh")
DEFAULT_LANG = LANGS[0]  # what a session shows without a choice, a ?lang= or a Chinese browser
LANG_NAMES = {"en": "English", "zh": "简体中文"}


def _load() -> dict[str, dict[str, str]]:
    cat: dict[str, dict[str, str]] = {lang: {} for lang in LANGS}
    owner: dict[str, str] = {}
    for mod in pkgutil.iter_modules(ui.strings.__path__):
        strings: dict[str, tuple[str, str]] = importlib.import_module(f"ui.strings.{mod.name}").STRINGS
        for key, pair in strings.items():
            if key in owner:
                raise RuntimeError(f"catalog key {key!r} defined in {owner[key]} and {mod.name}")
            owner[key] = mod.name
            for lang, text in zip(LANGS, pair, strict=False):
                cat[lang][key] = text
    return cat


CATALOG = _load()


def lang_of_locale(locale: str | None) -> str:
    """The catalog's language for a browser locale: any Chinese (zh, zh-CN, zh-TW, zh-Hans-CN …) gives ``zh``;
    anything else, or none, English."""
    return "zh" if isinstance(locale, str) and locale.strip().lower()[:2] == "zh" else DEFAULT_LANG


def browser_lang() -> str:
    """The language the reader's browser asks for (``navigator.language``, see :func:`lang_of_locale`);
    English without a browser (AppTest, figure tests). A session that has not chosen, and a link without
    ``?lang=``, open in it; the sidebar writes the language into the URL only when it differs from this, so
    a reader in their browser's language gets one history entry per page switch (Streamlit's navigation
    drops the query string, and writing it back was a second entry)."""
    try:
        import streamlit as st

        return lang_of_locale(st.context.locale)
    except Exception:  # outside a Streamlit run
        return DEFAULT_LANG


def current_lang() -> str:
    """The session's language; before the sidebar has run once, the link's ``?lang=`` (so that the
    navigation of a first visit to ``/?lang=zh`` is Chinese too), else the browser's (:func:`browser_lang`)."""
    try:
        import streamlit as st

        lang = st.session_state.get(LANG_KEY) or st.query_params.get(LANG_WIDGET) or browser_lang()
    except Exception:  # outside a Streamlit run (figure tests): English
        lang = DEFAULT_LANG
    return lang if lang in LANGS else DEFAULT_LANG


def tr(lang: str, key: str, /, **params: Any) -> str:
    """``key`` in ``lang``; a missing key shows itself (tests catch that) instead of failing the page."""
    text = CATALOG.get(lang, CATALOG["en"]).get(key) or CATALOG["en"].get(key) or key
    return text.format(**params) if params else text


def t(key: str, /, **params: Any) -> str:
    """``key`` in the session's language."""
    return tr(current_lang(), key, **params)


def current_family() -> str:
    """The current model's family (its ``ModelInfo.family``, which the sidebar keeps in the session)."""
    try:
        import streamlit as st

        return str(st.session_state.get(FAMILY_KEY, FMNIST))
    except Exception:  # outside a Streamlit run
        return FMNIST


def class_name(index: int, lang: str | None = None, family: str | None = None) -> str:
    """The name of class ``index`` for the current model's family (Fashion-MNIST or ImageNet)."""
    from models import class_names

    names = class_names(lang or current_lang(), family or current_family())
    return names[index] if 0 <= index < len(names) else str(index)


def class_names(lang: str | None = None, family: str | None = None) -> tuple[str, ...]:
    """All class names of the current model's family, in the session's language (index = class)."""
    from models import class_names as names

    return names(lang or current_lang(), family or current_family())


def image_error(err: Exception) -> str:
    """The translated message of an :class:`explain.imaging.ImageError`."""
    code = getattr(err, "code", "corrupt")
    params = dict(getattr(err, "params", {}))
    if "kind" in params:
        params["kind"] = t(f"sniff.{params['kind']}") if f"sniff.{params['kind']}" in CATALOG["en"] else params["kind"]
    return t(f"error.image.{code}", **params)
