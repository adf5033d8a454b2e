"""Session state and the shared caches.

* Models are loaded once per process (``st.cache_resource``) and shared read-only by every session.
  The large ImageNet models have their own cache of at most two, and their traces one of at most
  four (a VGG-11 trace holds ~150 MB of activations and gradients).
* A prepared image is cached by the sha256 of its bytes and the model family's preprocessing; a trace
  once per (model, image, target, loss, label) and reused by every page and widget. Both are frozen,
  so sharing is safe.
* The session keeps only the chosen image's bytes, name and digest, written after it was decoded.
"""

from __future__ import annotations

import gc
import hashlib
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import streamlit as st
import torch
from torch import nn

import models
from explain.allocator import keep_freed_memory
from explain.imagenet_input import prepare_rgb
from explain.imaging import PreparedImage, prepare
from explain.summary import LayerRow, layer_table
from explain.trace import LossKind, Trace, trace
from models import zoo
from models.zoo import InputSpec

THREADS_ENV = "CNN_LENS_TORCH_THREADS"


def budget_threads() -> int:
    """Torch threads per computation in the served app: ``CNN_LENS_TORCH_THREADS``, default 1.

    A class shares one server: with 30 sessions tracing at once, every extra intra-op thread only competes
    for the same cores (one TinyVGG pass was measured 100x slower when the threads of several sessions
    fought over two cores). One thread per computation lets as many sessions run side by side as there are
    cores; a server for one user may raise it. Only a running server is changed, never a test or a script
    that imports this module.
    """
    from streamlit import runtime

    if not runtime.exists():
        return torch.get_num_threads()
    n = max(1, int(os.environ.get(THREADS_ENV, "1") or 1))
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def freeze_startup_heap() -> bool:
    """In a running server, move every object that exists now (torch, streamlit, numpy, plotly: ~400,000 of
    them, all loaded once and never garbage) out of the garbage collector's sight, once per process.

    Python's automatic full collections walk every tracked object; with the imported libraries frozen they
    walk only what the sessions made since. Reference counting still frees everything as before; only a
    reference cycle among the frozen start-up objects would never be collected, and those live for the
    whole process anyway. Tests and scripts that import this module are left as they are.
    """
    from streamlit import runtime

    if not runtime.exists():
        return False
    import plotly.graph_objects  # noqa: F401 - loaded now, so that its modules are frozen with the rest

    gc.freeze()
    return True


def tune_allocator() -> bool:
    """In a running server, keep freed tensor memory in the process for the next trace
    (:func:`explain.allocator.keep_freed_memory`: a trace holds every gradient at once, and fresh pages for
    them cost EfficientNet-B0 a quarter of its trace). Tests and scripts that import this module are left
    as they are."""
    from streamlit import runtime

    return runtime.exists() and keep_freed_memory()


budget_threads()
freeze_startup_heap()
tune_allocator()

# --- Every session-state key that code writes or that more than one place reads -------------------------------
# (A widget's own key that only its page reads stays a literal in that page.)
IMAGE_KEY = "image"  # the chosen image: {"bytes": …, "name": …, "digest": …}, written once it decoded
LANG_KEY = "cfg_lang"  # the remembered language; the sidebar's radio starts from it on every page
MODEL_KEY = "cfg_model"  # the remembered model name; written only by ui.sidebar.select_model
FAMILY_KEY = "cfg_family"  # the current model's family (ModelInfo.family), written by the sidebar for ui.i18n
LANG_WIDGET = "lang"  # the sidebar's language radio; also the URL's query parameter (/?lang=zh)
MODEL_WIDGET = "model"  # the sidebar's model selectbox; also the URL's query parameter (/?model=tinyvgg-tanh)
URL_SEEN_KEY = "url_seen"  # {query parameter: the value this session last read from or wrote to the URL}
SESSION_MODELS_KEY = "session_models"  # {name: (nn.Module, card dict)}: models made in this session
UPLOAD_SEEN_KEY = "upload_seen"  # digest of the last file the image uploader handled
CAMERA_SEEN_KEY = "camera_seen"  # digest of the camera's last photo
ERROR_SUFFIX = "_error"  # <a seen key> + this: that file's ImageError, or None when it was accepted
OWN_SEEN_KEY = "own_seen"  # (file id, architecture) of the last weights file the own-weights uploader handled
OWN_MSG_KEY = "own_msg"  # its refusal message, or None when it was accepted
TRAINER_KEY = "train_lab_trainer"  # the training lab's current explain.training.Trainer
KEPT_KEY = "train_lab_kept"  # {id(trainer): session model name}: lab runs kept as this session's models
OVERVIEW_NAV_KEY = "overview_net_nav"  # bumped on every click-through in the Overview's network picture

OWN_FILE_FIELD = "own_file"  # card field of a session model made from an uploaded weights file (its file name)
SESSION_PREFIX = "my-model-"


@st.cache_resource(max_entries=8, show_spinner=False)
def _committed_model(name: str) -> nn.Module:
    return models.load(name)


@st.cache_resource(max_entries=2, show_spinner=False)
def _zoo_model(name: str) -> nn.Module:
    """An ImageNet model from the hub cache (at most two of these large models are kept)."""
    return zoo.load(zoo.spec(name), allow_download=False)


_download_locks: dict[str, threading.Lock] = {}
_download_failed: dict[str, tuple[float, zoo.WeightsMissing]] = {}
RETRY_AFTER_S = 60.0  # a failed download is not retried for this long (no 20 s wait on every rerun)


def ensure_weights(name: str, progress: Callable[[int, int], None] | None = None) -> None:
    """Make sure an ImageNet model's weights are in the hub cache: download once per process if not.

    Raises :class:`models.zoo.WeightsMissing` (offline, blocked, bad checksum) with the file name,
    the cache folder and the URL for the page to show.
    """
    s = zoo.spec(name)
    if zoo.is_cached(s):
        return
    lock = _download_locks.setdefault(name, threading.Lock())
    with lock:  # one download per file, however many sessions ask at once
        if zoo.is_cached(s):
            return
        failed = _download_failed.get(name)
        if failed is not None and time.monotonic() - failed[0] < RETRY_AFTER_S:
            raise failed[1]
        try:
            zoo.download(s, progress)
        except zoo.WeightsMissing as e:
            _download_failed[name] = (time.monotonic(), e)
            raise
        _download_failed.pop(name, None)


def get_model(name: str) -> nn.Module:
    """A committed model, loaded once per process, or one of this session's own (never mutated by pages).

    ImageNet models must have their weights in the cache (see :func:`ensure_weights`).
    """
    own = st.session_state.get(SESSION_MODELS_KEY, {})
    if name in own:
        return own[name][0]
    if zoo.is_zoo(name):
        return _zoo_model(name)
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
    """The sidebar's choices: the committed TinyVGG family, the ImageNet models, then this session's own."""
    own = st.session_state.get(SESSION_MODELS_KEY, {})
    return [*models.available(), *models.zoo_infos(), *(models.session_info(n, card) for n, (_m, card) in own.items())]


def input_spec(info: models.ModelInfo | None) -> InputSpec | None:
    """The preprocessing of an ImageNet model (None: the Fashion-MNIST pipeline)."""
    if info is None or not info.is_imagenet:
        return None
    return zoo.input_spec(zoo.spec(info.arch))


@st.cache_resource(max_entries=64, show_spinner=False)
def get_prepared(digest: str, _data: bytes, name: str, preprocess: str = "fmnist",
                 _spec: InputSpec | None = None) -> PreparedImage:
    return prepare(_data, name) if _spec is None else prepare_rgb(_data, name, _spec)


@st.cache_resource(max_entries=256, show_spinner=False)
def _small_trace(model_name: str, digest: str, target: int | None, loss: LossKind, label: int | None,
                 _model: nn.Module, _x: torch.Tensor) -> Trace:
    return trace(_model, _x, target=target, loss=loss, label=label)


@st.cache_resource(max_entries=4, show_spinner=False)
def _large_trace(model_name: str, digest: str, target: int | None, loss: LossKind, label: int | None,
                 _model: nn.Module, _x: torch.Tensor) -> Trace:
    return trace(_model, _x, target=target, loss=loss, label=label, param_grad_limit=LARGE_PARAM_GRAD_LIMIT)


LARGE_PARAM_GRAD_LIMIT = 5_000_000  # weight gradients of bigger tensors (VGG/AlexNet's FC layers) are skipped


def get_trace(model_name: str, digest: str, target: int | None, loss: LossKind, label: int | None,
              _model: nn.Module, _x: torch.Tensor) -> Trace:
    """The one trace of (model, image, target, loss, label): computed once, shared by every page."""
    large = _x.shape[-1] > 64 or _x.shape[1] != 1
    fn = _large_trace if large else _small_trace
    return fn(model_name, digest, target, loss, label, _model, _x)


def _prepared(digest: str, data: bytes, name: str, spec: InputSpec | None) -> PreparedImage:
    return get_prepared(digest, data, name, "fmnist" if spec is None else spec.key, spec)


def set_image(data: bytes, name: str, spec: InputSpec | None = None) -> PreparedImage:
    """Decode ``data`` (raises ImageError); only on success make it the session's image."""
    digest = hashlib.sha256(data).hexdigest()
    prepared = _prepared(digest, data, name, spec)
    st.session_state[IMAGE_KEY] = {"bytes": data, "name": name, "digest": digest}
    return prepared


def current_image(spec: InputSpec | None = None) -> PreparedImage | None:
    """The session's image, prepared for the Fashion-MNIST models or (``spec``) an ImageNet model."""
    cur = st.session_state.get(IMAGE_KEY)
    if not cur:
        return None
    return _prepared(cur["digest"], cur["bytes"], cur["name"], spec)


def from_url(param: str, options: Sequence[str]) -> str | None:
    """A choice the URL brings that this session has not applied yet (a shared link, a reload, a click in the
    network picture), if it is one of ``options``; None otherwise.

    Links keep the reader's choices as plain values (``?lang=zh&model=tinyvgg-tanh&conv_layer=block2.conv1``),
    not as the widgets' translated labels. A value is applied once: afterwards the widget leads and
    :func:`to_url` writes its value back, so a reload or a copied link opens the same view.
    """
    raw = st.query_params.get(param)
    seen = st.session_state.setdefault(URL_SEEN_KEY, {})
    if raw is None or raw == seen.get(param):
        return None
    seen[param] = raw
    return raw if raw in options else None


def follow_url(param: str, widget_key: str, options: Sequence[str]) -> None:
    """Before a widget is drawn: let a new value in the URL select its option."""
    value = from_url(param, options)
    if value is not None:
        st.session_state[widget_key] = value


def to_url(param: str, value: str, default: str | None = None) -> None:
    """After a widget is drawn: its value goes into the URL, unless it is the widget's ``default``.

    Every change of the query string is one entry in the browser's history (Streamlit pushes the new URL),
    and a page switch starts from a URL without parameters. Writing the defaults back made each page switch
    three entries deep, so the browser's Back button stayed on the same page. A default is left out (and
    taken out if the URL still names another value): a link or a reload without it opens the default anyway.
    """
    st.session_state.setdefault(URL_SEEN_KEY, {})[param] = value
    current = st.query_params.get(param)
    if value == default:
        if current is not None:
            del st.query_params[param]
    elif current != value:
        st.query_params[param] = value


def forget_invalid(key: str, options: list) -> None:
    """Forget a remembered widget value that is not among this run's options (e.g. after a model change)."""
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]


T = TypeVar("T")
SHARED_ENTRIES = 256  # results kept by shared(), all pages together (least recently used first out)


OPAQUE = "<large argument: named by the scope>"  # a model, tensor or image in a cache key


def _plain(value: Any) -> Any:  # noqa: ANN401 - any argument of a shared computation
    """The part of a cache key that an argument contributes: plain values as they are, a trace by what was
    differentiated (its model and image are in the scope), large objects by a marker only."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _plain(v)) for k, v in value.items()))
    if isinstance(value, Trace):
        return ("trace", _plain(value.target), value.loss_kind, _plain(value.label))
    if isinstance(value, InputSpec):
        return ("spec", value.key)
    return OPAQUE


def cache_key(fn: Callable[..., Any], args: tuple, kwargs: dict, scope: tuple = ()) -> tuple:
    """The one way a shared result is keyed: the function, the scope (model name, image digest: what the
    large arguments are) and the plain arguments. Raises TypeError when a large argument has no scope."""
    flat = repr((_plain(args), _plain(kwargs)))
    if not scope and OPAQUE in flat:
        raise TypeError(f"{fn.__qualname__}: name the scope (model, image) of its large arguments")
    return (f"{fn.__module__}.{fn.__qualname__}", tuple(scope), flat)


@st.cache_resource(max_entries=SHARED_ENTRIES, show_spinner=False)
def _shared(key: tuple, _compute: Callable[[], Any]) -> Any:  # noqa: ANN401
    return _compute()


def shared(fn: Callable[..., T], *args: Any, scope: tuple = (), **kwargs: Any) -> T:  # noqa: ANN401
    """``fn(*args, **kwargs)`` computed once per process and shared by every session and page.

    The key comes from :func:`cache_key`: when 30 students open the same sample, the first computes and the
    others read. ``scope`` names what the large arguments are (``PageContext.shared`` fills in the model name
    and the image digest); plain arguments (numbers, strings, tuples, a trace's target) are part of the key.
    Results are shared read-only.
    """
    return _shared(cache_key(fn, args, kwargs, scope), lambda: fn(*args, **kwargs))


@st.cache_resource(max_entries=32, show_spinner=False)
def get_layer_table(model_name: str, digest: str, _tr: Trace) -> list[LayerRow]:
    """The per-layer statistics of a default trace (a pass over every recorded tensor): once per image."""
    return layer_table(_tr)


def trace_for(model_name: str, image: PreparedImage, target: int | None = None,
              loss: LossKind = "logit", label: int | None = None) -> Trace:
    return get_trace(model_name, image.digest, target, loss, label, get_model(model_name), image.tensor)
