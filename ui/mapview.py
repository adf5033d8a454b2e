"""Showing a map picture (ui.figures.picture.MapImage) on a page: its title as text, the PNG as an image."""

from __future__ import annotations

import streamlit as st

from ui.figures.picture import MapImage


def show_maps(img: MapImage, *, where=None, caption: str | None = None) -> None:  # noqa: ANN001 - a container
    """The title in the page's own text (any language), the picture at its natural width (never enlarged,
    shrunk to the column when it is wider), an optional caption under it."""
    where = where if where is not None else st
    if img.title:
        where.markdown(f"**{img.title}**")
    # output_format="PNG": with "auto" Streamlit opens the bytes, finds no alpha channel and re-encodes the
    # picture as a JPEG (quality 90) on every run: a decode and an encode per map, and blurred cell edges.
    where.image(img.png, width="content" if img.width > 0 else "stretch", caption=caption, output_format="PNG")
