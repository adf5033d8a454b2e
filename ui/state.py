"""Session state and the shared caches.

* Models are loaded once per process (``st.cache_resource``) and shared read-only by every session.
* A prepared image is cached by the sha256 of its bytes; a trace once per (model, image, target, loss,
  label) and reused by every page and widget. Both are frozen, so sharing is safe.
* The session keeps only the chosen image's bytes, name and digest, written after it was decoded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st
import torch
from torch import nn

import models
from explain.imaging import PreparedImage, prepare
from explain.trace import LossKind, Trace, trace

IMAGE_KEY = "image"  # {"bytes": …, "name": …, "digest": …}
LANG_KEY = "cfg_lang"
MODEL_KEY = "cfg_model"
SESSION_MODELS_KEY = "session_models"  # {name: (nn.Module, card dict)}: models trained in this session
SESSION_PREFIX = "my-model-"


@st.cache_resource(max_entries=8, show_spinner=False)
def _committed_model(name: str) -> nn.Module:
    return models.load(name)


def get_model(name: str) -> nn.Module:
    """A committed model, loaded once per process, or one of this session's own (never mutated by pages)."""
    own = st.session_state.get(SESSION_MODELS_KEY, {})
    if name in own:
        return own[name][0]
    return _committed_model(name)


def add_session_model(model: nn.Module, card: dict) -> str:
    """Keep a model trained in this session (e.g. by the training lab); returns its unique name.

    The name carries a random suffix, so the process-wide trace cache never mixes two sessions' models.
    """
    import uuid

    name = f"{SESSION_PREFIX}{uuid.uuid4().hex[:8]}"
    own = dict(st.session_state.get(SESSION_MODELS_KEY, {}))
    own[name] = (model.eval(), {**card, "name": name})
    st.session_state[SESSION_MODELS_KEY] = own
    return name


def model_infos() -> list[models.ModelInfo]:
    """The sidebar's choices: the committed TinyVGG family, then this session's own models."""
    infos = list(models.available())
    for name, (_model, card) in st.session_state.get(SESSION_MODELS_KEY, {}).items():
        infos.append(models.ModelInfo(name, card.get("arch", "tinyvgg"), card.get("activation", "?"), None, card))
    return infos


@st.cache_resource(max_entries=64, show_spinner=False)
def get_prepared(digest: str, _data: bytes, name: str) -> PreparedImage:
    return prepare(_data, name)


@st.cache_resource(max_entries=256, show_spinner=False)
def get_trace(model_name: str, digest: str, target: int | None, loss: LossKind, label: int | None,
              _model: nn.Module, _x: torch.Tensor) -> Trace:
    """The one trace of (model, image, target, loss, label): computed once, shared by every page."""
    return trace(_model, _x, target=target, loss=loss, label=label)


@dataclass(frozen=True)
class CurrentImage:
    data: bytes
    name: str
    digest: str


def set_image(data: bytes, name: str) -> PreparedImage:
    """Decode ``data`` (raises ImageError); only on success make it the session's image."""
    digest = hashlib.sha256(data).hexdigest()
    prepared = get_prepared(digest, data, name)
    st.session_state[IMAGE_KEY] = {"bytes": data, "name": name, "digest": digest}
    return prepared


def current_image() -> PreparedImage | None:
    cur = st.session_state.get(IMAGE_KEY)
    if not cur:
        return None
    return get_prepared(cur["digest"], cur["bytes"], cur["name"])


def current_model_name() -> str:
    names = [m.name for m in model_infos()]
    name = st.session_state.get(MODEL_KEY, models.DEFAULT_MODEL)
    return name if name in names else (names[0] if names else models.DEFAULT_MODEL)


def trace_for(model_name: str, image: PreparedImage, target: int | None = None,
              loss: LossKind = "logit", label: int | None = None) -> Trace:
    return get_trace(model_name, image.digest, target, loss, label, get_model(model_name), image.tensor)
