""""Use your own weights file": a state dict for one of the ImageNet architectures, kept in this session only."""

from __future__ import annotations

import hashlib

import streamlit as st

from models import zoo
from ui import state
from ui.i18n import t
from ui.sidebar import select_model

MAX_UPLOAD_MB = 600  # VGG-11's file is 507 MiB; images keep the server-wide 20 MB limit


def use_own_weights(arch: str, data: bytes, file_name: str) -> str:
    """Load ``data`` into ``arch`` (raises WeightsError); on success keep it as this session's model.

    Only one own weights model is kept per session (a VGG-11 copy is half a gigabyte).
    """
    s = zoo.spec(arch)
    model = zoo.load_bytes(s, data)
    own = st.session_state.get(state.SESSION_MODELS_KEY, {})
    st.session_state[state.SESSION_MODELS_KEY] = {k: v for k, v in own.items() if state.OWN_FILE_FIELD not in v[1]}
    card = {**zoo.meta(s), "accuracy": {}, "title": f"{s.title} · {file_name}", state.OWN_FILE_FIELD: file_name,
            "sha256": hashlib.sha256(data).hexdigest()}
    name = state.add_session_model(model, card)
    select_model(name)
    return name


def own_weights_uploader() -> None:
    """The expander with the architecture choice and the weights file uploader."""
    with st.expander(t("zoo.own.title"), icon=":material/upload_file:"):
        st.markdown(t("zoo.own.intro"))
        titles = {s.name: s.title for s in zoo.ZOO}
        arch = st.selectbox(t("zoo.own.arch"), list(titles), format_func=titles.get, key="own_arch")
        f = st.file_uploader(t("zoo.own.file", mb=MAX_UPLOAD_MB), type=["pth", "pt"], key="own_weights",
                             max_upload_size=MAX_UPLOAD_MB)
        if f is None:
            return
        seen = (f.file_id, arch)
        if st.session_state.get(state.OWN_SEEN_KEY) == seen:
            msg = st.session_state.get(state.OWN_MSG_KEY)
            if msg:
                st.error(msg)
            return
        try:
            name = use_own_weights(arch, f.getvalue(), f.name)
        except zoo.WeightsError as e:
            msg = t("zoo.own.refused", file=f.name, title=titles[arch],
                    error=t(f"zoo.weights_error.{e.code}", detail=e.detail))
            st.session_state[state.OWN_SEEN_KEY], st.session_state[state.OWN_MSG_KEY] = seen, msg
            st.error(msg)
            return
        st.session_state[state.OWN_SEEN_KEY], st.session_state[state.OWN_MSG_KEY] = seen, None
        st.toast(t("zoo.own.loaded", file=f.name, name=name))
        st.rerun()
