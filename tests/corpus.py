"""A generated corpus of odd and broken uploads: ``(name, bytes, expected)`` triples.

``expected`` is ``"ok"`` for a file the pipeline must process, or the :class:`explain.imaging.ImageError`
code it must raise (empty, too_big, not_image, truncated, corrupt, bomb, dimensions). Everything is made in
memory, deterministically (fixed seeds, no timestamps), in well under a second; nothing is downloaded.

The decompression bomb is a hand-written PNG whose IHDR declares 50000x50000 pixels but whose data is a few
bytes: Pillow must refuse it from the header alone, without allocating 2.5 gigapixels. JPEGs whose frame header
is patched to a large size test the JPEG rules: a progressive one must fit the full-size pixel limit (libjpeg
keeps all its coefficients), a sequential one is decoded at reduced scale, up to MAX_JPEG_PIXELS declared.
"""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

import explain.imaging  # noqa: F401 - registers pillow-heif, which writes the HEIC case

OK = "ok"


@dataclass(frozen=True)
class Case:
    name: str  # the file name as uploaded (its extension may lie)
    data: bytes
    expected: str  # "ok" or an ImageError code

    def __iter__(self):  # noqa: ANN204 - lets a Case unpack as (name, data, expected)
        return iter((self.name, self.data, self.expected))


def _garment(size: tuple[int, int] = (160, 120), seed: int = 0) -> Image.Image:
    """A dark garment-like shape on a light, slightly noisy background (RGB)."""
    rng = np.random.default_rng(seed)
    w, h = size
    bg = rng.normal(220, 10, (h, w, 3)).clip(0, 255).astype(np.uint8)
    im = Image.fromarray(bg, "RGB")
    d = ImageDraw.Draw(im)
    cx, cy, s = w // 2, h // 2, max(1, min(w, h) // 3)
    d.polygon([(cx - s, cy - s // 2), (cx - s // 3, cy - s), (cx + s // 3, cy - s), (cx + s, cy - s // 2),
               (cx + s // 2, cy - s // 4), (cx + s // 2, cy + s), (cx - s // 2, cy + s),
               (cx - s // 2, cy - s // 4)], fill=(40, 60, 120))
    return im


def _save(im: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_header_only(width: int, height: int, idat: bytes | None = None) -> bytes:
    """A syntactically valid PNG declaring ``width`` x ``height`` (8-bit gray) with a tiny IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    if idat is None:
        idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def _animated_gif() -> bytes:
    frames = [_garment((96, 96), seed=i).convert("P") for i in range(3)]
    return _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def _palette_with_transparency() -> bytes:
    im = _garment((80, 80)).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    # the most common palette index (the background) becomes transparent
    idx = int(np.bincount(np.asarray(im).ravel()).argmax())
    return _save(im, "PNG", transparency=idx)


def _rgba() -> bytes:
    im = _garment((90, 70)).convert("RGBA")
    a = np.asarray(im).copy()
    a[..., 3] = np.where(a[..., 0] > 150, 0, 255)  # background transparent, hiding black-ish colour
    a[a[..., 3] == 0, :3] = 0
    return _save(Image.fromarray(a), "PNG")


def _la() -> bytes:
    g = np.asarray(_garment((64, 64)).convert("L"))
    alpha = np.where(g > 150, 0, 255).astype(np.uint8)
    return _save(Image.merge("LA", [Image.fromarray(g), Image.fromarray(alpha)]), "PNG")


def _i16() -> bytes:
    g = np.asarray(_garment((64, 48)).convert("L")).astype(np.uint16) * 257  # full 16-bit range
    return _save(Image.frombytes("I;16", (g.shape[1], g.shape[0]), g.astype("<u2").tobytes()), "PNG")


def _i32_tiff() -> bytes:
    g = np.asarray(_garment((64, 48)).convert("L")).astype(np.int32) * 1000 - 50_000
    return _save(Image.frombytes("I", (g.shape[1], g.shape[0]), g.astype("<i4").tobytes()), "TIFF")


def _float_tiff() -> bytes:
    g = np.asarray(_garment((64, 48)).convert("L")).astype(np.float32) / 255.0 - 0.5
    return _save(Image.frombytes("F", (g.shape[1], g.shape[0]), g.astype("<f4").tobytes()), "TIFF")


def _bilevel() -> bytes:
    return _save(_garment((72, 72)).convert("L").point(lambda v: 255 if v > 128 else 0).convert("1"), "PNG")


def _exif_rotated_jpeg() -> bytes:
    """A landscape JPEG whose EXIF says "rotate 90° CW" (orientation 6): upright it is portrait."""
    im = _garment((120, 80))
    exif = Image.Exif()
    exif[0x0112] = 6
    return _save(im, "JPEG", quality=85, exif=exif.tobytes())


def _large_jpeg() -> bytes:
    """A 4000x3000 photo-sized JPEG (made small in bytes: a smooth gradient with one object)."""
    small = _garment((400, 300))
    return _save(small.resize((4000, 3000), Image.Resampling.NEAREST), "JPEG", quality=60)


def jpeg_declaring(width: int, height: int, progressive: bool = False) -> bytes:
    """A small JPEG whose frame header (SOF0, or SOF2 when ``progressive``) is patched to declare
    ``width`` x ``height``: the entropy-coded data is that of a 64x64 image."""
    b = bytearray(_save(_garment((64, 64)), "JPEG", quality=50, progressive=progressive))
    i = b.index(b"\xff\xc2" if progressive else b"\xff\xc0")
    b[i + 5:i + 9] = struct.pack(">HH", height, width)
    return bytes(b)


def _exif_rotated_heic() -> bytes:
    """An iPhone-style HEIC, stored landscape with EXIF orientation 6 (pillow-heif writes it as a rotation)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return _save(_garment((120, 80)), "HEIF", quality=80, exif=exif.tobytes())


def _icon() -> bytes:
    """A Windows icon holding 16, 32 and 48 px images (Pillow reads the largest)."""
    return _save(_garment((96, 96)).convert("RGBA"), "ICO", sizes=[(16, 16), (32, 32), (48, 48)])


def _truncated(data: bytes, frac: float = 0.6) -> bytes:
    return data[: int(len(data) * frac)]


def _garbage_png_body() -> bytes:
    """Valid signature and IHDR, then an IDAT of random (non-zlib) bytes."""
    rng = np.random.default_rng(7)
    return png_header_only(64, 64, idat=rng.bytes(300))


def _bad_bmp_depth() -> bytes:
    """A BMP whose header claims 7 bits per pixel (no decoder for that)."""
    b = bytearray(_save(_garment((40, 30)), "BMP"))
    b[28:30] = struct.pack("<H", 7)
    return bytes(b)


def _garbled_tiff() -> bytes:
    """An LZW-compressed TIFF with a valid header and scrambled strip data."""
    b = bytearray(_save(_garment((160, 120)), "TIFF", compression="tiff_lzw"))
    for i in range(200, len(b) - 200, 7):
        b[i] ^= 0x5A
    return bytes(b)


def _pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def _svg() -> bytes:
    return (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
            b'<rect width="64" height="64" fill="white"/><circle cx="32" cy="32" r="20"/></svg>\n')


def _html() -> bytes:
    return b"<!DOCTYPE html>\n<html><body><img src=x onerror=alert(1)><h1>not an image</h1></body></html>\n"


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("photo.png", date_time=(2024, 1, 1, 0, 0, 0))
        z.writestr(info, _save(_garment((32, 32)), "PNG"))
    return buf.getvalue()


def _gzip_png() -> bytes:
    return gzip.compress(_save(_garment((32, 32)), "PNG"), mtime=0)


def _builders() -> list[tuple[str, Callable[[], bytes], str]]:
    photo = _garment()
    png = _save(photo, "PNG")
    jpg = _save(photo, "JPEG", quality=90)
    return [
        # --- every format and mode the pipeline accepts -------------------------------------------
        ("photo.png", lambda: png, OK),
        ("photo.jpg", lambda: jpg, OK),
        ("progressive.jpg", lambda: _save(photo, "JPEG", quality=80, progressive=True), OK),
        ("cmyk.jpg", lambda: _save(photo.convert("CMYK"), "JPEG", quality=90), OK),
        ("gray.jpeg", lambda: _save(photo.convert("L"), "JPEG"), OK),
        ("exif-rotated.jpg", _exif_rotated_jpeg, OK),
        ("photo.webp", lambda: _save(photo, "WEBP", quality=80), OK),
        ("alpha.webp", lambda: _save(photo.convert("RGBA"), "WEBP", lossless=True), OK),
        ("animated.gif", _animated_gif, OK),
        ("photo.bmp", lambda: _save(photo, "BMP"), OK),
        ("photo.tif", lambda: _save(photo, "TIFF"), OK),
        ("palette-transparent.png", _palette_with_transparency, OK),
        ("gray-alpha-LA.png", _la, OK),
        ("rgba.png", _rgba, OK),
        ("sixteen-bit-I16.png", _i16, OK),
        ("int32-I.tiff", _i32_tiff, OK),
        ("float-F.tiff", _float_tiff, OK),
        ("bilevel-1.png", _bilevel, OK),
        ("gray-L.png", lambda: _save(photo.convert("L"), "PNG"), OK),
        ("fashion-28x28.png", lambda: _save(photo.convert("L").resize((28, 28)), "PNG"), OK),
        ("tiny-1x1.png", lambda: _save(Image.new("RGB", (1, 1), (200, 10, 10)), "PNG"), OK),
        ("blank-white.png", lambda: _save(Image.new("L", (50, 50), 255), "PNG"), OK),
        ("large-4000x3000.jpg", _large_jpeg, OK),
        ("iphone.heic", _exif_rotated_heic, OK),
        ("photo.avif", lambda: _save(photo, "AVIF", quality=80), OK),
        ("favicon.ico", _icon, OK),
        ("strip-2000x3.png", lambda: _save(Image.new("L", (2000, 3), 200), "PNG"), OK),
        ("sliver-5000x10.png", lambda: _save(Image.new("L", (5000, 10), 128), "PNG"), OK),
        # 56 MP declared over 64x64 worth of data ending in EOI: libjpeg fills the rest with gray, as for any
        # JPEG whose data ends early at an EOI marker; decoded at 1/4 scale, it costs next to nothing.
        ("baseline-8000x7000-little-data.jpg", lambda: jpeg_declaring(8000, 7000), OK),
        ("png-renamed.jpg", lambda: png, OK),  # the extension lies, the bytes are a fine PNG
        ("no-extension", lambda: jpg, OK),
        # --- refusals ------------------------------------------------------------------------------
        ("empty.png", lambda: b"", "empty"),
        ("truncated.png", lambda: _truncated(png), "truncated"),
        ("truncated.jpg", lambda: _truncated(jpg), "truncated"),
        ("damaged-idat.png", _garbage_png_body, "truncated"),  # zlib fails mid-stream: "truncated or damaged"
        ("jpeg-header-only.jpg", lambda: _save(photo, "JPEG")[:300], "truncated"),
        ("bmp-depth-7.bmp", _bad_bmp_depth, "corrupt"),
        ("garbled-lzw.tif", _garbled_tiff, "corrupt"),
        ("pdf-renamed.png", _pdf, "not_image"),
        ("document.pdf", _pdf, "not_image"),
        ("drawing.svg", _svg, "not_image"),
        ("page.html", _html, "not_image"),
        ("archive.zip", _zip, "not_image"),
        ("photo.png.gz", _gzip_png, "not_image"),
        ("notes.jpg", lambda: "这不是图片 / not an image\n".encode(), "not_image"),
        ("random.png", lambda: np.random.default_rng(1).bytes(4096), "not_image"),
        ("bomb-50000x50000.png", lambda: png_header_only(50_000, 50_000), "bomb"),
        ("bomb-7000x7000.png", lambda: png_header_only(7_000, 7_000), "bomb"),
        ("strip-1x30000.png", lambda: _save(Image.new("L", (1, 30_000), 128), "PNG"), "dimensions"),
        ("sliver-5000x2.png", lambda: _save(Image.new("L", (5000, 2), 128), "PNG"), "dimensions"),  # 0.4 px at 1024
        ("progressive-8000x7000.jpg", lambda: jpeg_declaring(8000, 7000, progressive=True), "bomb"),
        ("baseline-19000x19000.jpg", lambda: jpeg_declaring(19_000, 19_000), "bomb"),  # over MAX_JPEG_PIXELS
        ("oversized-21MB.png", lambda: png[:64] + np.random.default_rng(2).bytes(21 * 2**20), "too_big"),
    ]


@lru_cache(maxsize=1)
def corpus() -> tuple[Case, ...]:
    """Every case, built once per process (about 30 MB in all, most of it the oversized file)."""
    return tuple(Case(name, build(), expected) for name, build, expected in _builders())


def cases(expected: str | None = None) -> list[Case]:
    """The corpus, optionally only the cases with one expected outcome ("ok", "bomb", …)."""
    return [c for c in corpus() if expected is None or c.expected == expected]
