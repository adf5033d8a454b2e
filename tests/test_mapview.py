"""ui.mapview: a map picture reaches the page as the PNG the figure builder made, not re-encoded as JPEG."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script() -> None:
    import numpy as np

    from ui.figures.picture import grid_picture
    from ui.mapview import show_maps

    values = np.linspace(-1.0, 1.0, 6 * 8 * 8, dtype=np.float32).reshape(6, 8, 8)
    show_maps(grid_picture(values, zmin=-1.0, zmax=1.0, scale="RdBu", cols=3, title="maps"))


def test_map_pictures_are_sent_as_png() -> None:
    at = AppTest.from_function(_script, default_timeout=60).run()
    assert not at.exception
    urls = [img.url for el in at.get("image") for img in el.proto.imgs]
    assert urls and all(u.endswith(".png") for u in urls), urls
