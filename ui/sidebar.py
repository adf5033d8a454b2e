"""The shared sidebar (language, model, current image) that every page calls first.

Widgets live here, not in app.py: with ``st.navigation`` and a ``pages/`` folder AppTest loses the
state of widgets made in app.py. The chosen values are copied into plain session keys
(``cfg_lang``, ``cfg_model``) that outlive the page, and each widget starts from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import pandas  # noqa: F401  - imported before plotly: concurrent first imports on a cold server crash
import streamlit as st
from torch import nn

import models
from explain.imaging import PreparedImage
from explain.trace import LossKind, Trace
from models import zoo
from models.zoo import InputSpec
from ui import state
from ui.figures.picture import crisp
from ui.i18n import LANG_NAMES, LANGS, browser_lang, class_name, t

T = TypeVar("T")


@dataclass(frozen=True)
class PageContext:
    """What a page needs: the language, the model and the current image (or None)."""

    lang: str
    model_name: str
    model: nn.Module
    info: models.ModelInfo | None
    image: PreparedImage | None
    spec: InputSpec | None = None  # the ImageNet preprocessing, None for the Fashion-MNIST models

    @property
    def family(self) -> models.Family:
        """The model entry's family: "fmnist" (28x28 gray, 10 classes) or "imagenet" (224x224 RGB, 1000 classes)."""
        return self.info.family if self.info is not None else models.FMNIST

    @property
    def is_imagenet(self) -> bool:
        return self.family == models.IMAGENET

    @property
    def title(self) -> str:
        """The model's display name ("ResNet-18"; the plain name for models without a card title)."""
        return self.info.title if self.info is not None else self.model_name

    def trace(self, target: int | None = None, loss: LossKind = "logit", label: int | None = None) -> Trace:
        """The shared trace of the current image (call only when ``image`` is set)."""
        assert self.image is not None
        return state.trace_for(self.model_name, self.image, target, loss, label)

    def shared(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:  # noqa: ANN401
        """``fn(*args, **kwargs)`` once per process for this model and image (see :func:`ui.state.shared`):
        the model and image (tensor, trace, bytes) among the arguments are named by the model's name and the
        image's digest; the other arguments are plain values of the key."""
        digest = self.image.digest if self.image is not None else None
        return state.shared(fn, *args, scope=(self.model_name, digest), **kwargs)

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
    """Start a sidebar widget from the session's remembered choice (a link's ``?lang=``/``?model=`` first).

    The remembered value (``cfg_*``) outlives the page: after a page switch the widget is a new one, so it is
    set again on every run.
    """
    value = state.from_url(widget_key, options) or st.session_state.get(store_key, default)
    if value not in options:
        value = default if default in options else options[0]
    st.session_state[store_key] = value
    st.session_state[widget_key] = value


def select_model(name: str) -> None:
    """Make ``name`` the session's model: the one way a model is chosen (the sidebar's selectbox, the training
    lab's "keep", an uploaded weights file, "use the default model instead").

    Only the remembered choice is written; the sidebar's selectbox starts from it on the next run (written from
    a widget callback, that is this run), so it may be called before or after the selectbox is drawn.
    """
    st.session_state[state.MODEL_KEY] = name


def _copy_lang() -> None:
    st.session_state[state.LANG_KEY] = st.session_state[state.LANG_WIDGET]


def _model_chosen() -> None:
    select_model(st.session_state[state.MODEL_WIDGET])


def _use_default_model() -> None:
    select_model(models.DEFAULT_MODEL)


def _option_label(info: models.ModelInfo | None, name: str) -> str:
    if info is None:
        return name
    if info.card.get(state.OWN_FILE_FIELD):
        return t("sidebar.own_option", title=info.title)
    if info.is_imagenet:
        key = "sidebar.zoo_option" if info.path is not None or not zoo.is_zoo(name) else "sidebar.zoo_option_missing"
        return t(key, title=info.title, acc=info.test_accuracy)
    return t("sidebar.model_option", name=name, acc=info.test_accuracy)


def _refuse(error: str, help_text: str | None = None) -> NoReturn:
    """A model that cannot be used: the message, what to do, a way back to the default model; the page stops."""
    st.error(error)
    if help_text:
        st.markdown(help_text)
    st.button(t("zoo.use_default", name=models.DEFAULT_MODEL), on_click=_use_default_model, type="primary")
    st.stop()
    raise AssertionError("st.stop() returned")  # pragma: no cover - st.stop raises


def _load(name: str) -> nn.Module:
    """The chosen model; an ImageNet model's weights are fetched first, with a progress bar."""
    if zoo.is_zoo(name):
        bar = None
        file = zoo.weights_file(zoo.spec(name))

        def progress(done: int, total: int) -> None:
            nonlocal bar
            frac = min(1.0, done / total) if total else 0.0
            text = t("zoo.downloading", file=file, done=done / 2**20, total=total / 2**20)
            if bar is None:
                bar = st.progress(frac, text=text)
            else:
                bar.progress(frac, text=text)

        try:
            with st.spinner(t("zoo.checking")):
                state.ensure_weights(name, progress)
        except zoo.WeightsMissing as e:  # offline: what is missing and where to put it by hand
            _refuse(t("zoo.missing", title=e.spec.title, reason=e.reason),
                    t("zoo.missing_help", file=e.file, folder=e.folder, url=e.url))
        if bar is not None:
            bar.empty()
    try:
        with st.spinner(t("zoo.loading")):
            return state.get_model(name)
    except zoo.WeightsError as e:
        _refuse(t("zoo.bad_file", title=name, error=t(f"zoo.weights_error.{e.code}", detail=e.detail)),
                t("zoo.bad_file_help", folder=str(zoo.checkpoints_dir())))
    except (KeyError, FileNotFoundError, RuntimeError) as e:
        _refuse(t("error.model", error=str(e)))


def page_context() -> PageContext:
    """Draw the sidebar and return the page's context."""
    default_lang = browser_lang()
    _persist(state.LANG_WIDGET, state.LANG_KEY, default_lang, list(LANGS))
    infos = state.model_infos()
    names = [m.name for m in infos] or [models.DEFAULT_MODEL]
    _persist(state.MODEL_WIDGET, state.MODEL_KEY, models.DEFAULT_MODEL, names)
    by_name = {m.name: m for m in infos}
    with st.sidebar:
        lang = st.radio(t("sidebar.language"), list(LANGS), format_func=LANG_NAMES.get, key=state.LANG_WIDGET,
                        horizontal=True, on_change=_copy_lang)
        st.session_state[state.LANG_KEY] = lang
        state.to_url(state.LANG_WIDGET, lang, default=default_lang)
        # Labels are made now, in the session's language (format_func may run outside the script run).
        labels = {n: _option_label(by_name.get(n), n) for n in names}
        name = st.selectbox(
            t("sidebar.model"), names, key=state.MODEL_WIDGET, help=t("sidebar.model_help"), format_func=labels.get,
            on_change=_model_chosen,
        )
        select_model(name)
        state.to_url(state.MODEL_WIDGET, name, default=models.DEFAULT_MODEL)
    info = by_name.get(name)
    model = _load(name)
    spec = state.input_spec(info)
    st.session_state[state.FAMILY_KEY] = info.family if info is not None else models.FMNIST
    try:
        image = state.current_image(spec)
    except Exception:  # a cached image that no longer decodes: forget it rather than break every page
        st.session_state.pop(state.IMAGE_KEY, None)
        image = None
    with st.sidebar:
        st.caption(t("sidebar.image"))
        if image is None:
            st.caption(t("sidebar.no_image"))
        else:
            st.image(crisp(image.pixels, 112), width=112, caption=image.name, clamp=True)
            top = state.trace_for(name, image).top(1)[0]
            st.caption(t("sidebar.prediction", label=class_name(top[0], lang), prob=top[1]))
    return PageContext(lang, name, model, info, image, spec)
