"""The upload pipeline over a corpus of odd and broken files that the tests generate.

References: the committed sample PNGs (pass through unchanged), ``models.data.normalize`` (the training
normalization), the formula x = (p/255 − μ)/σ, Pillow's own decode of the same pixels, and hand-made
images whose expected result is known (a dark square on white, an EXIF-rotated marker, a 16-bit ramp).
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import models
from explain import imaging
from explain.imaging import MAX_BYTES, MAX_PIXELS, ImageError, prepare
from models.data import normalize as training_normalize
from tests.helpers import ROOT, photo_bytes
from ui.i18n import CATALOG, tr


def encode(im: Image.Image, fmt: str, **kw) -> bytes:  # noqa: ANN003 - Pillow save options
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def garment(size: tuple[int, int] = (90, 60), bg: int = 245, fg: int = 20, box: tuple[int, int, int, int] | None = None,
            mode: str = "RGB") -> Image.Image:
    """A dark rectangle (the "object") on a light background, or the reverse."""
    w, h = size
    im = Image.new("L", size, bg)
    im.paste(fg, box or (w // 3, h // 4, 2 * w // 3, 3 * h // 4))
    return im.convert(mode)


def refused(data: bytes) -> ImageError:
    with pytest.raises(ImageError) as info:
        prepare(data)
    err = info.value
    # Every refusal has a message in both languages, filled with the error's own parameters.
    for lang in ("en", "zh"):
        assert f"error.image.{err.code}" in CATALOG[lang]
        assert "{" not in tr(lang, f"error.image.{err.code}", **err.params)
    return err


def check_ok(data: bytes) -> imaging.PreparedImage:
    p = prepare(data, "x")
    assert p.pixels.shape == (28, 28) and p.pixels.dtype == np.uint8
    assert p.tensor.shape == (1, 1, 28, 28) and p.tensor.dtype == torch.float32
    assert torch.isfinite(p.tensor).all()
    assert [s.key for s in p.steps] == ["original", "grayscale", "inverted", "cropped", "resized"]
    for s in p.steps:
        assert s.image.dtype == np.uint8 and s.image.ndim in (2, 3) and max(s.image.shape[:2]) <= imaging.DISPLAY_SIDE
    return p


def object_is_bright(p: imaging.PreparedImage) -> None:
    """After the pipeline the dark object on a light background is a light object on black."""
    assert p.inverted
    centre, border = p.pixels[10:18, 10:18].mean(), np.concatenate([p.pixels[0], p.pixels[-1]]).mean()
    assert centre > 150 and border < 40, (centre, border)


# --- formats and modes --------------------------------------------------------------------------------

FORMAT_CASES = {
    "png": lambda: encode(garment(), "PNG"),
    "jpeg": lambda: encode(garment(), "JPEG", quality=95),
    "jpeg_progressive": lambda: encode(garment(), "JPEG", quality=95, progressive=True),
    "jpeg_cmyk": lambda: encode(garment(mode="CMYK"), "JPEG", quality=95),
    "jpeg_gray": lambda: encode(garment(mode="L"), "JPEG", quality=95),
    "webp": lambda: encode(garment(), "WEBP", lossless=True),
    "webp_lossy": lambda: encode(garment(), "WEBP", quality=90),
    "gif": lambda: encode(garment(mode="P"), "GIF"),
    "bmp": lambda: encode(garment(), "BMP"),
    "bmp_1bit": lambda: encode(garment(mode="1"), "BMP"),
    "tiff": lambda: encode(garment(), "TIFF"),
    "tiff_lzw": lambda: encode(garment(), "TIFF", compression="tiff_lzw"),
    "tiff_cmyk": lambda: encode(garment(mode="CMYK"), "TIFF"),
    "mpo": lambda: encode(garment(), "MPO", save_all=True, append_images=[garment()]),
    "mode_L": lambda: encode(garment(mode="L"), "PNG"),
    "mode_P": lambda: encode(garment(mode="P"), "PNG"),
    "mode_1": lambda: encode(garment(mode="1"), "PNG"),
    "mode_LA": lambda: encode(garment(mode="LA"), "PNG"),
    "mode_RGBA": lambda: encode(garment(mode="RGBA"), "PNG"),
    "mode_RGBA_tiff": lambda: encode(garment(mode="RGBA"), "TIFF"),
    "mode_LAB_tiff": lambda: encode(garment(mode="LAB"), "TIFF"),
    "heic": lambda: encode(garment(), "HEIF", quality=90),
    "heic_gray": lambda: encode(garment(mode="L"), "HEIF", quality=90),
    "avif": lambda: encode(garment(), "AVIF", quality=90),
    "ico": lambda: encode(garment(size=(64, 64), mode="RGBA"), "ICO", sizes=[(16, 16), (48, 48)]),
    "photo_jpeg": lambda: photo_bytes("JPEG"),
    "photo_png_large": lambda: photo_bytes("PNG", size=(1600, 1200)),
}


@pytest.mark.parametrize("case", list(FORMAT_CASES))
def test_formats_and_modes_accepted(case: str) -> None:
    p = check_ok(FORMAT_CASES[case]())
    object_is_bright(p)
    if case.startswith("mode_") and not case.endswith("tiff"):
        assert p.mode == case.removeprefix("mode_")


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG", "TIFF"])
def test_animation_uses_first_frame(fmt: str) -> None:
    first = garment(box=(5, 5, 30, 30))
    second = garment(box=(50, 20, 85, 55))
    third = garment(box=(30, 30, 60, 58))
    opts = {"lossless": True} if fmt == "WEBP" else {}
    anim = encode(first, fmt, save_all=True, append_images=[second, third], duration=100, **opts)
    single = encode(first, fmt, **opts)
    p, q = check_ok(anim), check_ok(single)
    assert p.frames == 3 and "first_frame" in p.notes
    assert np.array_equal(p.pixels, q.pixels)


def transparent_square(mode: str) -> bytes:
    """Transparent black everywhere, an opaque black square in the middle."""
    rgba = np.zeros((60, 60, 4), np.uint8)
    rgba[20:40, 20:40, 3] = 255
    im = Image.fromarray(rgba)
    if mode == "P":
        p = Image.new("P", (60, 60), 0)
        p.putpalette([0, 0, 0, 1, 1, 1])  # index 0 and 1 are both black; 0 is transparent
        p.paste(1, (20, 20, 40, 40))
        return encode(p, "PNG", transparency=0)
    if mode == "GIF":
        p = Image.new("P", (60, 60), 0)
        p.putpalette([0, 0, 0, 1, 1, 1])
        p.paste(1, (20, 20, 40, 40))
        return encode(p, "GIF", transparency=0)
    if mode == "LA":
        return encode(im.convert("LA"), "PNG")
    return encode(im, "PNG" if mode == "RGBA" else mode)


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "GIF", "WEBP", "TIFF"])
def test_transparency_composited_on_white(mode: str) -> None:
    """The hidden colour under transparent pixels (black here) must not show: it becomes white."""
    p = check_ok(transparent_square(mode))
    assert "transparency" in p.notes
    original = p.steps[0].image
    assert original[0, 0].min() == 255 and original[30, 30].max() <= 1  # white background, black object
    object_is_bright(p)
    assert imaging.__doc__ is not None and "transparency composited on white" in imaging.__doc__


def test_exif_orientation_applied() -> None:
    """Stored 60 wide x 40 high with a dark marker at the top-left; tag 6 = rotate 90° clockwise to view."""
    stored = Image.new("RGB", (60, 40), "white")
    stored.paste((0, 0, 0), (0, 0, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6
    p = check_ok(encode(stored, "JPEG", quality=95, exif=exif.tobytes()))
    assert p.size == (40, 60)  # upright: 40 wide, 60 high
    upright = p.steps[0].image
    assert upright.shape[:2] == (60, 40)
    assert upright[:10, -10:].mean() < 40 and upright[:10, :10].mean() > 200  # the marker moved to the top-right
    no_tag = check_ok(encode(stored, "JPEG", quality=95))
    assert no_tag.size == (60, 40)


def test_damaged_exif_is_ignored() -> None:
    data = encode(garment(), "JPEG", quality=95, exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff")
    check_ok(data)


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_sixteen_bit_is_scaled_not_clamped(fmt: str) -> None:
    ramp = np.tile(np.linspace(1000, 3000, 64).astype(np.uint16), (32, 1))
    im = Image.fromarray(ramp)
    assert im.mode == "I;16"
    assert np.ptp(np.asarray(im.convert("L"))) == 0  # Pillow's convert clamps: all white, the pitfall
    p = check_ok(encode(im, fmt))
    gray = p.steps[1].image
    assert p.mode == "I;16" and "high_bit_depth" in p.notes
    assert gray.min() == 0 and gray.max() == 255  # v' = 255·(v − min)/(max − min)
    assert np.all(np.diff(gray[0].astype(int)) >= 0)  # still a ramp, left to right
    expected = np.rint((ramp[0] - 1000) / 2000 * 255)
    assert np.abs(gray[0] - expected).max() <= 1


@pytest.mark.parametrize("values", [
    np.tile(np.linspace(-5e5, 5e5, 40), (20, 1)).astype(np.int32),
    np.tile(np.linspace(-1.0, 1.0, 40), (20, 1)).astype(np.float32),
])
def test_int32_and_float_modes_scaled(values: np.ndarray) -> None:
    im = Image.fromarray(values)
    assert im.mode in ("I", "F")
    p = check_ok(encode(im, "TIFF"))
    assert p.mode == im.mode
    gray = p.steps[1].image
    assert gray.min() == 0 and gray.max() == 255 and np.all(np.diff(gray[0].astype(int)) >= 0)


def test_float_with_nan_and_inf() -> None:
    a = np.tile(np.linspace(0.0, 1.0, 30), (30, 1)).astype(np.float32)
    a[0, 0], a[1, 1], a[2, 2] = np.nan, np.inf, -np.inf
    check_ok(encode(Image.fromarray(a), "TIFF"))
    check_ok(encode(Image.fromarray(np.full((10, 10), np.nan, np.float32)), "TIFF"))


# --- geometry and normalization -----------------------------------------------------------------------


def test_auto_invert_only_on_light_background() -> None:
    light = check_ok(encode(garment(bg=240, fg=30), "PNG"))
    dark = check_ok(encode(garment(bg=10, fg=220), "PNG"))
    assert light.inverted and light.steps[2].applied
    assert not dark.inverted and not dark.steps[2].applied
    assert np.array_equal(light.steps[2].image, 255 - light.steps[1].image)
    # Both end as a light object on black, and nearly the same picture.
    assert np.abs(light.pixels.astype(int) - dark.pixels.astype(int)).mean() < 12


def test_crop_to_the_object() -> None:
    """A 40x80 object in the corner of a 400x300 canvas fills the 28x28 frame, centred."""
    im = Image.new("L", (400, 300), 0)
    im.paste(255, (20, 10, 60, 90))
    p = check_ok(encode(im, "PNG"))
    assert p.steps[3].applied
    bright = p.pixels > 128
    rows, cols = np.nonzero(bright.any(1))[0], np.nonzero(bright.any(0))[0]
    assert len(rows) >= 24  # the 80-pixel height spans the frame (plus a small margin)
    assert 11 <= len(cols) <= 16  # aspect 1:2 kept
    assert abs((cols.min() + cols.max()) / 2 - 13.5) <= 1 and abs((rows.min() + rows.max()) / 2 - 13.5) <= 1


def test_blank_images() -> None:
    for value in (0, 255):
        p = check_ok(encode(Image.new("L", (50, 30), value), "PNG"))
        assert p.pixels.max() == 0  # white is inverted to black; nothing to crop
    check_ok(encode(Image.new("RGB", (1, 1), "red"), "PNG"))


def test_samples_pass_through_unchanged() -> None:
    paths = models.samples()
    assert len(paths) >= 20
    for path in paths:
        p = check_ok(path.read_bytes())
        with Image.open(path) as im:
            want = np.asarray(im.convert("L"))
        assert np.array_equal(p.pixels, want), path.name
        assert not p.inverted and not any(s.applied for s in p.steps[1:])


def test_tensor_is_the_training_normalization() -> None:
    p = check_ok(photo_bytes())
    by_formula = (p.pixels.astype(np.float64) / 255 - imaging.MEAN) / imaging.STD
    assert np.abs(p.tensor[0, 0].numpy() - by_formula).max() < 1e-6
    ref = training_normalize(torch.from_numpy(p.pixels)[None])  # the normalization the models trained on
    assert torch.equal(p.tensor, ref)
    from models import data

    assert (imaging.MEAN, imaging.STD) == (data.MEAN, data.STD)


def test_sample_tensor_equals_committed_test_batch() -> None:
    """The samples are Fashion-MNIST test images: the pipeline's tensor equals the committed batch's."""
    x, _ = models.test_batch()
    for path in models.samples():
        idx = int(path.stem.split("test")[-1])
        if idx < len(x):
            assert torch.equal(check_ok(path.read_bytes()).tensor[0], x[idx]), path.name


def test_digest_and_name() -> None:
    import hashlib

    data = photo_bytes()
    p = prepare(data, "photo.jpg")
    assert p.digest == hashlib.sha256(data).hexdigest() and p.name == "photo.jpg" and p.format == "JPEG"
    big = prepare(photo_bytes("PNG", size=(1600, 1200)))
    assert big.size == (1600, 1200)  # the original's size, not the reduced working copy's
    assert max(big.steps[0].image.shape) == imaging.DISPLAY_SIDE


# --- refusals -----------------------------------------------------------------------------------------


def test_refuses_empty() -> None:
    assert refused(b"").code == "empty"


def test_refuses_too_big() -> None:
    err = refused(b"\x89PNG\r\n\x1a\n" + bytes(MAX_BYTES))
    assert err.code == "too_big" and err.params["limit_mb"] == 20
    assert err.params["size_bytes"] == MAX_BYTES + 8 and err.params["limit_bytes"] == MAX_BYTES
    # A "21 MB" file as a file manager counts (21,000,000 bytes) is 20.03 MB of 2**20 bytes: the message
    # must not read "20.0 MB; the limit is 20 MB" alone, so it gives the bytes as well.
    for lang in ("en", "zh"):
        msg = tr(lang, "error.image.too_big", **imaging.too_big(21_000_000).params)
        assert "21,000,000" in msg and "20,971,520" in msg, msg
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert f"maxUploadSize = {MAX_BYTES // 2**20}" in config  # the same limit as the upload widget


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "hello")
    return buf.getvalue()


NOT_IMAGES = {
    "pdf": (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n", "PDF document"),
    "svg": (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b'<rect width="10" height="10"/></svg>', "SVG vector drawing"),
    "html": (b"<!DOCTYPE html><html><body><img src=x></body></html>", "HTML page"),
    "zip": (_zip_bytes(), "ZIP archive or Office document"),
    "gzip": (gzip.compress(b"hello"), "gzip archive"),
    "text": (b"just some words\n", "text"),
    "random": (np.random.default_rng(0).bytes(4096), "unknown binary data"),
    "nul_bytes": (b"8BPS" + bytes(200), "unknown binary data"),
    "pcx": (encode(garment(size=(32, 32)), "PCX"), "unknown binary data"),  # readable by Pillow, not offered
}


@pytest.mark.parametrize("case", list(NOT_IMAGES))
def test_refuses_non_images(case: str) -> None:
    data, kind = NOT_IMAGES[case]
    err = refused(data)
    assert err.code == "not_image" and err.params["kind"] == kind
    assert f"sniff.{kind}" in CATALOG["zh"]


TRUNCATABLE = {
    "PNG": {}, "JPEG": {"quality": 90}, "GIF": {}, "WEBP": {"quality": 90}, "BMP": {}, "TIFF": {},
}


@pytest.mark.parametrize("fmt", list(TRUNCATABLE))
@pytest.mark.parametrize("keep", [0.5, 0.95])
def test_refuses_truncated(fmt: str, keep: float) -> None:
    noise = Image.fromarray(np.random.default_rng(1).integers(0, 256, (120, 120, 3), dtype=np.uint8))
    data = encode(noise.convert("P") if fmt == "GIF" else noise, fmt, **TRUNCATABLE[fmt])
    check_ok(data)
    assert refused(data[: int(len(data) * keep)]).code == "truncated"


def test_refuses_header_only_jpeg() -> None:
    data = encode(garment(), "JPEG")
    assert refused(data[:300]).code in ("truncated", "corrupt")


def test_refuses_corrupt_png_data() -> None:
    """Damaged bytes inside a complete PNG (the IDAT payload) are refused, not shown as garbage."""
    data = bytearray(encode(Image.fromarray(np.random.default_rng(2).integers(0, 256, (64, 64), np.uint8)), "PNG"))
    i = data.index(b"IDAT") + 4
    data[i + 10:i + 60] = bytes(50)
    assert refused(bytes(data)).code in ("corrupt", "truncated")


def _png_header_only(width: int, height: int, bit_depth: int = 8, color: int = 0) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("size", [(100_000, 100_000), (9000, 9000), (19_000, 19_000)])
def test_refuses_crafted_bomb_header(size: tuple[int, int]) -> None:
    t0 = time.perf_counter()
    err = refused(_png_header_only(*size))
    assert err.code == "bomb" and err.params["pixels"] == size[0] * size[1] and err.params["limit"] == MAX_PIXELS
    assert time.perf_counter() - t0 < 1.0  # refused from the header, nothing decoded
    assert Image.MAX_IMAGE_PIXELS == MAX_PIXELS  # no global setting changed on the way


def test_refuses_real_bomb_png() -> None:
    """A real, cheap-to-encode 1-bit PNG of 49 MP (above our limit, below Pillow's hard 2x limit)."""
    data = encode(Image.new("1", (7000, 7000)), "PNG")
    assert len(data) < 100_000
    err = refused(data)
    assert err.code == "bomb" and err.params["pixels"] == 49_000_000


def test_bomb_refused_even_when_warnings_are_not_errors() -> None:
    """Our own size check holds when the DecompressionBombWarning filter is reset (e.g. by a test runner)."""
    import warnings

    data = encode(Image.new("1", (7000, 7000)), "PNG")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert refused(data).code == "bomb"


# A side outside 1..MAX_SIDE, or a shorter side that rounds to 0 px when the longer one becomes WORK_SIDE.
@pytest.mark.parametrize("size", [(1, 30_000), (30_000, 1), (20_001, 400), (1, 2049), (5000, 2), (20_000, 9)])
def test_refuses_absurd_dimensions(size: tuple[int, int]) -> None:
    err = refused(encode(Image.new("1", size), "PNG"))
    assert err.code == "dimensions" and (err.params["width"], err.params["height"]) == size


@pytest.mark.parametrize("size", [(3, 300), (1, 100), (5, 600), (600, 5), (2000, 3), (1, 1024), (1, 2048),
                                  (20_000, 10)])
def test_limits_are_accepted_at_the_edge(size: tuple[int, int]) -> None:
    """Any ratio is padded to a square: a strip gives a mostly black 28x28 image, which is the honest answer."""
    p = check_ok(encode(Image.new("L", size, 255), "PNG"))
    assert p.size == size and p.pixels.shape == (28, 28)


# --- memory -------------------------------------------------------------------------------------------

_RSS_SCRIPT = """
import json, resource, sys, types
sys.modules["torch"] = types.ModuleType("torch")  # decode() needs no torch; importing it would take seconds
sys.path.insert(0, sys.argv[1])
from explain.imaging import decode
out = []
for path in sys.argv[2:]:
    data = open(path, "rb").read()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    img, _ = decode(data)
    out.append([(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024, list(img.size)])
print(json.dumps(out))
"""


def test_memory_stays_bounded(tmp_path: Path) -> None:
    """A 24 MP JPEG is decoded at reduced scale (draft); a 36 MP RGBA PNG costs about one decoded copy.

    Measured in a fresh process by the peak resident size (Pillow's buffers are invisible to tracemalloc).
    Everything after ``decode`` works on the ≤ WORK_SIDE image.
    """
    w, h = 6000, 4000
    ramp = np.linspace(0, 255, w, dtype=np.uint8)
    jpeg_path = tmp_path / "big.jpg"
    Image.fromarray(np.broadcast_to(ramp, (h, w))).convert("RGB").save(jpeg_path, "JPEG", quality=80)
    png_path = tmp_path / "big.png"
    Image.new("RGBA", (6000, 6000), (200, 10, 10, 128)).save(png_path, "PNG", compress_level=1)
    script = tmp_path / "rss.py"
    script.write_text(_RSS_SCRIPT)
    res = subprocess.run([sys.executable, str(script), str(ROOT), str(jpeg_path), str(png_path)],
                         capture_output=True, text=True, timeout=120, check=True)
    (jpeg_mb, jpeg_size), (png_mb, png_size) = json.loads(res.stdout)
    assert max(jpeg_size) == imaging.WORK_SIDE and max(png_size) == imaging.WORK_SIDE
    assert jpeg_mb < 40, jpeg_mb  # a full decode would be 6000·4000·3 B = 69 MB
    assert png_mb < 230, png_mb  # one decoded RGBA copy is 144 MB; no second full-size copy
