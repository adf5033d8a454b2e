"""Lazy tabs: a page's sections as tabs of which only the open one runs.

``st.tabs(..., key=..., on_change="rerun")`` tracks which tab is open (``tab.open``), so the hidden
sections are neither computed nor sent. Each section runs as an ``st.fragment``: a widget inside it
reruns that section alone, not the page. Labels are translated, so the open tab is remembered by its
position as well: switching the language keeps the reader on the same section.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st


def open_index(key: str, labels: Sequence[str]) -> int:
    """The position of the open tab (0 until the reader picks another)."""
    chosen = st.session_state.get(key)
    if chosen in labels:
        return list(labels).index(chosen)
    return min(int(st.session_state.get(f"{key}__index", 0)), len(labels) - 1)


def lazy_tabs(key: str, sections: Sequence[tuple[str, Callable[[], None]]], *, fragment: bool = True) -> int:
    """Draw tabs for ``sections`` [(label, run)] and run the open one only; returns its position.

    ``fragment``: run the section as an ``st.fragment`` (its own widgets rerun it alone). Pass False for a
    section whose widgets change what other parts of the page show.
    """
    labels = [label for label, _ in sections]
    index = open_index(key, labels)
    if st.session_state.get(key) not in labels:  # first visit, or the labels changed with the language
        st.session_state[key] = labels[index]
    st.session_state[f"{key}__index"] = index
    tabs = st.tabs(labels, key=key, on_change="rerun")
    for i, (tab, (_, run)) in enumerate(zip(tabs, sections, strict=True)):
        if tab.open or (tab.open is None and i == index):
            with tab:
                (st.fragment(run) if fragment else run)()
            return i
    return index


def layer_select(label: str, keys: list[str], key: str, **kwargs: Any) -> str:  # noqa: ANN401
    """A page's layer picker whose choice lives in the URL as ``?<key>=<layer>``.

    A stale choice (another model's layer) is forgotten, a layer named by the URL (a link from the network
    picture, a shared link, a reload) is selected, and the chosen layer is written back to the URL (the page's
    default layer is left out of it, see :func:`ui.state.to_url`).
    """
    from ui import state

    state.forget_invalid(key, keys)
    state.follow_url(key, key, keys)
    value = st.selectbox(label, keys, key=key, **kwargs)
    state.to_url(key, value, default=keys[kwargs.get("index", 0)] if keys else None)
    return value
