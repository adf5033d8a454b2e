"""Maps drawn as pictures: every value's colour is checked against plotly's own colour scale."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.helpers import committed_trace, expected_colour, picture_cell, picture_rgb
from ui.figures import maps
from ui.figures.picture import colorize, lut


def test_lut_ends_are_the_scales_ends() -> None:
    for scale in ("Viridis", "RdBu_r", "Jet"):
        table = lut(scale)
        assert table.shape == (256, 3) and table.dtype == np.uint8
        assert np.array_equal(table[0], expected_colour(0.0, 0.0, 1.0, scale))
        assert np.array_equal(table[255], expected_colour(1.0, 0.0, 1.0, scale))


def test_diverging_zero_is_the_middle_and_nan_is_white() -> None:
    rgb = colorize(np.array([[0.0, -1.0, 1.0, np.nan]]), -1.0, 1.0, "RdBu_r")
    assert np.array_equal(rgb[0, 0], expected_colour(0.0, -1.0, 1.0, "RdBu_r"))
    assert rgb[0, 1, 2] > rgb[0, 1, 0] and rgb[0, 2, 0] > rgb[0, 2, 2]  # negative blue, positive red
    assert rgb[0, 3].tolist() == [255, 255, 255]


@pytest.mark.parametrize("mode", ["layer", "map", "global"])
def test_every_value_of_a_real_layer_has_its_colour(mode: str) -> None:
    _, tr = committed_trace("tinyvgg-relu")
    out = tr["block1.conv1"].output[0]  # signed pre-activations [16, 28, 28]
    img = maps.tiled_maps(out, range_mode=mode, fixed=2.0)
    assert img.signed and len(img.origins) == 16 and img.factor >= 1
    values = out.numpy()
    rng = np.random.default_rng(0)
    for ch in (0, 7, 15):
        v = values[ch] / np.abs(values[ch]).max() if mode == "map" else values[ch]
        lo, hi = (-2.0, 2.0) if mode == "global" else (img.zmin, img.zmax)
        if mode == "layer":
            m = float(np.abs(values).max())
            assert (lo, hi) == pytest.approx((-m, m))
        for r, c in rng.integers(0, 28, size=(12, 2)):
            got = picture_cell(img, ch, int(r), int(c))
            want = expected_colour(float(v[r, c]), lo, hi, "RdBu_r")
            assert np.abs(got - want).max() <= 1, (ch, r, c)


def test_full_resolution_and_nonnegative_maps_are_sequential() -> None:
    maps_ = torch.rand(3, 112, 112)
    img = maps.tiled_maps(maps_, signed=False)
    assert not img.signed and img.factor == 1  # 112 px maps are drawn as they are, never block-averaged
    arr = picture_rgb(img)
    x, y = img.origins[2]
    assert arr.shape[0] >= y + 112 and arr.shape[1] >= x + 112
    got = picture_cell(img, 2, 111, 5)
    assert np.abs(got - expected_colour(float(maps_[2, 111, 5]), img.zmin, img.zmax, "Viridis")).max() <= 1


def test_overlay_mixes_image_and_heat() -> None:
    gray = np.zeros((4, 4), dtype=np.float32)
    gray[0, 0] = 1.0  # white pixel, black elsewhere
    heat = np.zeros((4, 4), dtype=np.float32)
    heat[3, 3] = 2.0
    img = maps.overlay(gray, heat, opacity=0.5, side=40)
    assert img.factor == 10 and img.origins == ((0, 0),)  # 4 px enlarged to 40
    hot = expected_colour(2.0, 0.0, 2.0, "Jet")
    cold = expected_colour(0.0, 0.0, 2.0, "Jet")
    assert np.abs(picture_cell(img, 0, 3, 3) - np.rint(0.5 * hot)).max() <= 1  # black under the hot cell
    assert np.abs(picture_cell(img, 0, 0, 0) - np.rint(0.5 * 255 + 0.5 * cold)).max() <= 1  # white under a cold one
    coarse = maps.overlay(np.zeros((8, 8), np.float32), heat, opacity=1.0, side=8)  # a 4x4 map over 8x8 pixels
    for cell, want in (((6, 6), hot), ((7, 7), hot), ((5, 5), cold)):
        assert np.abs(picture_cell(coarse, 0, *cell) - want).max() <= 1


@pytest.mark.parametrize("shape", [(1, 1, 3), (2, 3, 3), (37, 53, 3), (386, 780, 3), (5, 4), (3, 3, 4)])
def test_png_is_lossless(shape: tuple[int, ...]) -> None:
    """to_png's own encoder (RGB) and its Pillow fallback (other shapes): Pillow reads back the same pixels."""
    import io

    from PIL import Image

    from ui.figures.picture import to_png

    rng = np.random.default_rng(sum(shape))
    a = rng.integers(0, 256, size=shape, dtype=np.uint8)
    if len(shape) == 3 and shape[0] > 10:
        a = np.repeat(np.repeat(a[::8, ::8], 8, axis=0), 8, axis=1)[:shape[0], :shape[1]]  # enlarged tiles
    img = Image.open(io.BytesIO(to_png(a)))
    img.load()
    assert np.array_equal(np.asarray(img), a)
