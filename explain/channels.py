"""Which channels to show when a layer has hundreds: rank by activation, then page through the ranking.

A layer of an ImageNet network has 64 to 1280 channels; a page shows N of them at a time, strongest
first. The strength of channel c of an output a[c, h, w] is its mean activation
s_c = (1/HW) Σ_{h,w} a[c, h, w] (``"mean"``), or its largest value max_{h,w} a[c, h, w] (``"max"``),
or its mean absolute value (``"abs"``, for signed maps such as gradients).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch

RankBy = Literal["mean", "max", "abs"]
SMALL = 32  # layers with at most this many channels are shown whole, in their own order


@dataclass(frozen=True)
class ChannelPage:
    """One page of a channel ranking: the real channel indices shown, in rank order."""

    channels: tuple[int, ...]
    page: int  # 0-based
    pages: int
    total: int
    first_rank: int  # rank (0-based) of channels[0]
    scores: tuple[float, ...]  # s_c of the shown channels
    ranked: bool  # False: the layer is small and shown in channel order


def channel_scores(maps: torch.Tensor, by: RankBy = "mean") -> torch.Tensor:
    """s_c for maps [C, H, W] (or [C] for a vector)."""
    a = maps.detach().float().reshape(maps.shape[0], -1)
    if by == "max":
        return a.max(dim=1).values
    if by == "abs":
        return a.abs().mean(dim=1)
    return a.mean(dim=1)


def channel_page(maps: torch.Tensor, page: int = 0, per_page: int = 16, by: RankBy = "mean",
                 small: int = SMALL) -> ChannelPage:
    """The ``page``-th group of ``per_page`` channels, strongest first (small layers: all, in order)."""
    c = int(maps.shape[0])
    scores = channel_scores(maps, by)
    if c <= small:
        return ChannelPage(tuple(range(c)), 0, 1, c, 0, tuple(float(v) for v in scores), False)
    per_page = max(1, per_page)
    pages = math.ceil(c / per_page)
    page = min(max(0, page), pages - 1)
    order = torch.argsort(scores, descending=True, stable=True)
    sel = order[page * per_page:(page + 1) * per_page]
    return ChannelPage(tuple(int(i) for i in sel), page, pages, c, page * per_page,
                       tuple(float(scores[i]) for i in sel), True)
