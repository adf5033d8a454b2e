"""The channel pager: a layer with hundreds of channels is shown N at a time, strongest first."""

from __future__ import annotations

import streamlit as st
import torch

from explain.channels import SMALL, ChannelPage, RankBy, channel_page
from ui.i18n import t

PER_PAGE = 16


def channel_pager(maps: torch.Tensor, key: str, by: RankBy = "mean", per_page: int = PER_PAGE) -> ChannelPage:
    """Draw the page selector (only for layers with more than ``SMALL`` channels) and return the page.

    ``maps`` is [C, H, W] (one image). The caption says which ranks are shown and how they were ranked.
    """
    c = int(maps.shape[0])
    if c <= SMALL:
        return channel_page(maps, 0, per_page, by)
    pages = -(-c // per_page)
    page = st.number_input(t("paging.page", pages=pages), min_value=1, max_value=pages, value=1, step=1,
                           key=key, help=t("paging.help", n=per_page, c=c)) - 1
    cp = channel_page(maps, int(page), per_page, by)
    st.caption(t(f"paging.caption.{by}", a=cp.first_rank + 1, b=cp.first_rank + len(cp.channels), c=c,
                 channels=", ".join(str(i) for i in cp.channels)))
    return cp
