"""The shared sidebar (language, model, current image) that every page calls first.

Widgets live here, not in app.py: with ``st.navigation`` and a ``pages/`` folder AppTest loses the
state of widgets made in app.py. The chosen values are copied into plain session keys
(``cfg_lang``, ``cfg_model``) that outlive the page, and each widget starts from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas  # noqa: F401  - imported before plotly: concurrent first imports on a cold server crash
import streamlit as st
from torch import nn

import models
from explain.imaging import PreparedImage
from explain.trace import LossKind, Trace
from ui import state
from ui.i18n import LANG_NAMES, LANGS, class_name, t


@dataclass(frozen=True)
class PageContext:
    """What a page needs: the language, the model and the current image (or None)."""

    lang: str
    model_name: str
    model: nn.Module
    info: models.ModelInfo | None
    image: PreparedImage | None

    def trace(self, target: int | None = None, loss: LossKind = "logit", label: int | None = None) -> Trace:
        """The shared trace of the current image (call only when ``image`` is set)."""
        assert self.image is not None
        return state.trace_for(self.model_name, self.image, target, loss, label)

    def require_image(self) -> PreparedImage:
        """The current image, or a prompt with a sample picker and ``st.stop()``."""
        if self.image is None:
            from ui.picker import sample_picker

            st.info(t("picker.need_image"))
            sample_picker(key="need_image_sample")
            st.page_link("pages/overview.py", label=t("picker.go_overview"), icon=":material/home:")
            st.stop()
        return self.image


def _persist(widget_key: str, store_key: str, default: str, options: list[str]) -> None:
    value = st.session_state.get(store_key, default)
    if value not in options:
        value = default if default in options else options[0]
    st.session_state[store_key] = value
    st.session_state[widget_key] = value


def _copy(widget_key: str, store_key: str) -> None:
    st.session_state[store_key] = st.session_state[widget_key]


def page_context() -> PageContext:
    """Draw the sidebar and return the page's context."""
    _persist("w_lang", state.LANG_KEY, "en", list(LANGS))
    infos = state.model_infos()
    names = [m.name for m in infos] or [models.DEFAULT_MODEL]
    _persist("w_model", state.MODEL_KEY, models.DEFAULT_MODEL, names)
    by_name = {m.name: m for m in infos}
    with st.sidebar:
        st.radio(t("sidebar.language"), list(LANGS), format_func=LANG_NAMES.get, key="w_lang",
                 horizontal=True, on_change=_copy, args=("w_lang", state.LANG_KEY))
        # Labels are made now, in the session's language (format_func may run outside the script run).
        labels = {n: t("sidebar.model_option", name=n, acc=by_name[n].test_accuracy) if n in by_name else n
                  for n in names}
        st.selectbox(
            t("sidebar.model"), names, key="w_model", help=t("sidebar.model_help"), format_func=labels.get,
            on_change=_copy, args=("w_model", state.MODEL_KEY),
        )
    lang = st.session_state[state.LANG_KEY]
    name = st.session_state[state.MODEL_KEY]
    try:
        model = state.get_model(name)
    except (KeyError, FileNotFoundError, RuntimeError) as e:
        st.error(t("error.model", error=str(e)))
        st.stop()
    try:
        image = state.current_image()
    except Exception:  # a cached image that no longer decodes: forget it rather than break every page
        st.session_state.pop(state.IMAGE_KEY, None)
        image = None
    with st.sidebar:
        st.caption(t("sidebar.image"))
        if image is None:
            st.caption(t("sidebar.no_image"))
        else:
            st.image(image.pixels, width=112, caption=image.name, clamp=True)
            top = state.trace_for(name, image).top(1)[0]
            st.caption(t("sidebar.prediction", label=class_name(top[0], lang), prob=top[1]))
    return PageContext(lang, name, model, by_name.get(name), image)
