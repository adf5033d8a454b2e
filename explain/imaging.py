"""Upload pipeline: untrusted bytes → upright image → model tensor, every step kept for display.

Fashion-MNIST shows one light object on a black 28x28 background, so a photo is brought to that form:

1. decode (JPEGs at 1/2, 1/4 or 1/8 scale while decoding when they are large, EXIF orientation applied,
   frame 0 of animations, transparency composited on white, 16-bit and float modes scaled by their
   range: v' = 255·(v − min)/(max − min));
2. grayscale: Y = 0.299 R + 0.587 G + 0.114 B (ITU-R 601, Pillow's "L");
3. auto-invert when the border is light: p' = 255 − p;
4. crop to the object (pixels ≥ 25 % of the brightest) and pad to a square with black;
5. resize to 28x28 (anti-aliased);
6. normalize with the training statistics: x = (p/255 − μ)/σ.

Every refusal is an :class:`ImageError` whose ``code`` names a catalog message (``error.image.<code>``).
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import struct
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from PIL import ExifTags, Image, JpegImagePlugin, UnidentifiedImageError
from pillow_heif import register_heif_opener

MAX_BYTES = 20 * 1024 * 1024  # the same 20 MB as server.maxUploadSize in .streamlit/config.toml
MAX_PIXELS = 40_000_000  # 40 megapixels decoded at once (for a large JPEG: after its reduced-scale decoding)
MAX_JPEG_PIXELS = 250_000_000  # declared size of a JPEG decoded at reduced scale (a 200 MP phone photo fits)
MAX_SIDE = 20_000  # pixels along one side
MAX_ASPECT = 100.0  # longest / shortest side that the ImageNet resize (shorter side → 256) takes as it is
WORK_SIDE = 1024  # decoded images are reduced to at most this side before processing
DISPLAY_SIDE = 384  # the "original" step is kept at most this large for display
# Tried in this order on the bytes (the extension is not trusted). AVIF before HEIF: both accept the
# generic "mif1" brand, and Pillow's AVIF reader declines a HEVC file cleanly, not the other way round.
FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF", "AVIF", "HEIF", "ICO")

# HEIC/HEIF (the iPhone's default) through pillow-heif: libheif applies the file's rotation and mirroring
# and resets the EXIF orientation to 1, so an iPhone photo arrives upright. The depth maps, auxiliary
# images and thumbnails a HEIC may hold are not decoded.
register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
MODEL_SIZE = 28
MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST training statistics (models.data)

# Pillow only warns between MAX_IMAGE_PIXELS and twice that: make its guard raise, at our limit.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)

_MESSAGES = {
    "empty": "The file is empty.",
    "too_big": "The file is {size_mb:.1f} MB ({size_bytes:,} bytes); the limit is {limit_mb:.0f} MB "
               "({limit_bytes:,} bytes).",
    "not_image": "This file is not an image that CNN Lens can read ({kind}). Use JPEG, HEIC, PNG, WEBP, AVIF, "
                 "GIF, BMP, TIFF or ICO.",
    "truncated": "The image file is truncated or damaged: only part of it could be read.",
    "corrupt": "The image file is damaged and cannot be decoded.",
    "bomb": "The image declares {pixels:,} pixels, more than the limit of {limit:,}: refused as a possible "
            "decompression bomb.",
    "dimensions": "The image is {width}x{height} pixels; each side must be 1 to {max_side:,} pixels, and the "
                  "shorter side must still be at least one pixel when the longer one is reduced to "
                  "{work_side:,}.",
}


class ImageError(ValueError):
    """An upload that cannot be used. ``code`` selects the translated message, ``params`` fill it in."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(_MESSAGES[code].format(**params))


@dataclass(frozen=True)
class Step:
    """One preprocessing step as an image to show: ``key`` names it in the catalog (``step.<key>``)."""

    key: str
    image: np.ndarray  # uint8, HxW (gray) or HxWx3 (RGB)
    applied: bool = True  # False when the step had nothing to do (shown greyed out)
    params: Mapping[str, Any] = field(default_factory=dict)  # fills the caption, e.g. {"n": 256}


@dataclass(frozen=True)
class PreparedImage:
    """The decoded upload and the tensor a model takes (28x28 gray, or RGB for the ImageNet models)."""

    digest: str  # sha256 of the uploaded bytes
    name: str
    format: str
    mode: str  # Pillow mode of the file, e.g. "RGB", "P", "I;16"
    size: tuple[int, int]  # (width, height) of the upright original file (before any reduction)
    frames: int
    steps: tuple[Step, ...]
    pixels: np.ndarray  # uint8 [28, 28] (or [224, 224, 3]), what the model sees before normalization
    tensor: torch.Tensor  # float [1, 1, 28, 28] (or [1, 3, 224, 224]), normalized
    inverted: bool
    notes: tuple[str, ...] = field(default=())  # e.g. "animated: first frame", "transparency on white"
    preprocess: str = "fmnist"  # which pipeline made ``tensor`` ("fmnist" or an InputSpec key)


def sniff(data: bytes) -> str:
    """A human name for what non-image bytes look like."""
    head = data[:512].lstrip().lower()
    if head.startswith(b"%pdf"):
        return "PDF document"
    if head.startswith(b"pk\x03\x04"):
        return "ZIP archive or Office document"
    if b"<svg" in head or (head.startswith(b"<?xml") and b"svg" in data[:4096].lower()):
        return "SVG vector drawing"
    if head.startswith((b"<!doctype html", b"<html")):
        return "HTML page"
    if head.startswith(b"\x1f\x8b"):
        return "gzip archive"
    try:
        text = data[:2048].decode("utf-8")
    except UnicodeDecodeError:
        return "unknown binary data"
    if any(ord(c) < 32 and c not in "\t\n\r\f" for c in text):  # NUL and other control bytes: binary
        return "unknown binary data"
    return "text"


def too_big(size: int) -> ImageError:
    """The refusal of a file of ``size`` bytes (> MAX_BYTES), in MB and in bytes: a "21 MB" file of
    21,000,000 bytes is 20.03 MB of 2**20 bytes, which would read as "20.0 MB; the limit is 20 MB"."""
    return ImageError("too_big", size_mb=size / 2**20, size_bytes=size, limit_mb=MAX_BYTES / 2**20,
                      limit_bytes=MAX_BYTES)


def _check_sides(w: int, h: int) -> None:
    """Any width-to-height ratio is padded to a square later; refused only are a side outside
    1..MAX_SIDE and a shorter side that would round to 0 pixels when the longer one is reduced to
    WORK_SIDE (the first step of both pipelines; after it the Fashion-MNIST pipeline only pads and
    shrinks the square, and the ImageNet resize makes the shorter side 256)."""
    long, short = max(w, h), min(w, h)
    if short < 1 or long > MAX_SIDE or short * min(1.0, WORK_SIDE / long) < 0.5:
        raise ImageError("dimensions", width=w, height=h, max_side=MAX_SIDE, work_side=WORK_SIDE)


def _check_pixels(pixels: int, limit: int = MAX_PIXELS) -> None:
    if pixels > limit:
        raise ImageError("bomb", pixels=pixels, limit=limit)


def _reduced_target(w: int, h: int) -> tuple[int, int]:
    """The size ``thumbnail`` gives (longer side WORK_SIDE), never below 1 pixel: what a draft must keep."""
    scale = min(1.0, WORK_SIDE / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def jpeg_streams(data: bytes) -> bool:
    """Whether libjpeg decodes this JPEG a band of rows at a time, so that its memory follows the size
    it is decoded at (after ``draft``), not the size it declares.

    True for a sequential Huffman frame (SOF0/SOF1, what cameras and phones write) whose first scan
    holds every component. A progressive, arithmetic-coded or lossless frame, or a sequential one
    split into one scan per component, keeps every DCT coefficient of the full-size image in memory
    (2 bytes per sample, whatever the output scale): those stay under the full-size limit MAX_PIXELS.
    Walks the marker segments up to the first scan; anything unexpected answers False.
    """
    i, n_components = 2, None
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return False
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD9:  # markers without a length (none belong here)
            return False
        length = int.from_bytes(data[i + 2:i + 4], "big")
        segment = data[i + 4:i + 2 + length]
        if length < 2 or len(segment) != length - 2:
            return False
        if marker in (0xC0, 0xC1) and len(segment) >= 6:
            n_components = segment[5]
        elif marker in _SOF_MARKERS:
            return False
        elif marker == 0xDA:  # start of scan
            return n_components is not None and len(segment) >= 1 and segment[0] == n_components
        i += 2 + length
    return False


def _open(data: bytes) -> Image.Image:
    """Pillow's lazy open, limited to FORMATS.

    A JPEG is opened by its own plugin, without Pillow's pixel guard (which refuses a 48 MP photo from
    its header): :func:`decode` checks the size it will actually be decoded at, after ``draft``. No
    other format in FORMATS reads bytes that start like a JPEG, so a header the plugin rejects is
    "not an image", as :func:`PIL.Image.open` would say.
    """
    fp = io.BytesIO(data)
    if data[:3] == b"\xff\xd8\xff":
        try:
            return JpegImagePlugin.jpeg_factory(fp)
        except (SyntaxError, IndexError, TypeError, struct.error) as e:
            raise UnidentifiedImageError("cannot identify image file") from e
    return Image.open(fp, formats=list(FORMATS))


def _to_display_mode(im: Image.Image, notes: list[str]) -> Image.Image:
    """Any Pillow mode → "L" or "RGB" (transparency composited on white)."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        # convert("L") would clamp at 255 (a 16-bit image turns white): scale by the range instead.
        a = np.asarray(im, dtype=np.float64)
        finite = np.isfinite(a)
        scaled = np.zeros(a.shape, dtype=np.float64)
        if finite.any():
            lo, hi = float(a[finite].min()), float(a[finite].max())
            if hi > lo:
                scaled = np.where(finite, (np.where(finite, a, lo) - lo) / (hi - lo) * 255.0, 0.0)
        notes.append("high_bit_depth")
        return Image.fromarray(np.rint(scaled).clip(0, 255).astype(np.uint8))
    if im.mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        if rgba.getextrema()[3][0] < 255:
            notes.append("transparency")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(bg, rgba).convert("RGB")
    if im.mode in ("L", "RGB"):
        return im
    if im.mode == "1":
        return im.convert("L")
    return im.convert("RGB")


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation tag (1 = upright); a damaged EXIF block is ignored, not fatal."""
    try:
        value = im.getexif().get(ExifTags.Base.Orientation, 1)
        return int(value) if value in _TRANSPOSE else 1
    except Exception:  # noqa: BLE001 - malformed EXIF can raise anything; the pixels are still usable
        return 1


def _is_truncation(err: Exception, data: bytes) -> bool:
    """Whether a decoder error means the file ends early (rather than holding wrong data)."""
    msg = str(err).lower()
    if "truncated" in msg or "broken data stream" in msg or "premature end" in msg:
        return True
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":  # libwebp only says "could not create decoder"
        declared = int.from_bytes(data[4:8], "little") + 8  # RIFF size field: bytes after the first 8
        return len(data) < declared
    return False


def decode(data: bytes) -> tuple[Image.Image, dict[str, Any]]:
    """Untrusted bytes → an upright "L" or "RGB" image of at most WORK_SIDE per side, and metadata.

    Memory stays bounded: the file is ≤ MAX_BYTES; the declared size is checked before any pixel is
    decoded (≤ MAX_SIDE a side, the shorter side not rounding to 0 at WORK_SIDE, ≤ MAX_PIXELS); a JPEG
    is decoded at 1/2, 1/4 or 1/8 scale by libjpeg itself (``draft``), so that a 48 or 200 MP photo
    costs about what a 12 MP one does, and the pixel limit applies to that reduced size (up to
    MAX_JPEG_PIXELS declared, when :func:`jpeg_streams`); everything after the decode works on a
    ≤ WORK_SIDE copy. The size checks are ours, so they hold even where Pillow's bomb guard only warns
    (e.g. when a test runner resets the warning filters).
    """
    if not data:
        raise ImageError("empty")
    if len(data) > MAX_BYTES:
        raise too_big(len(data))
    notes: list[str] = []
    try:
        im = _open(data)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageError("bomb", pixels=_declared_pixels(e), limit=MAX_PIXELS) from e
    except UnidentifiedImageError as e:
        raise ImageError("not_image", kind=sniff(data)) from e
    except Exception as e:  # noqa: BLE001 - a crafted header can raise almost anything: report it as damage
        if _is_truncation(e, data):
            raise ImageError("truncated") from e
        raise ImageError("corrupt") from e
    with im:
        fmt, mode = im.format or "?", im.mode
        w, h = im.size  # as stored, before any rotation or reduction
        _check_sides(w, h)
        jpeg = fmt in ("JPEG", "MPO")
        _check_pixels(w * h, MAX_JPEG_PIXELS if jpeg and jpeg_streams(data) else MAX_PIXELS)
        try:
            frames = int(getattr(im, "n_frames", 1) or 1)
        except Exception:  # noqa: BLE001 - counting frames walks the file; a damaged tail is not fatal
            frames = 1
        if frames > 1:
            notes.append("first_frame")
        try:
            im.seek(0)
            if jpeg:  # libjpeg scales by 1/2, 1/4 or 1/8 while decoding, keeping at least the reduced size
                im.draft(im.mode if im.mode in ("L", "RGB") else None, _reduced_target(w, h))
                _check_pixels(im.size[0] * im.size[1])  # what is decoded now: ≤ MAX_PIXELS
            im.load()
            # After load(): PNG's getexif() loads the image itself, which would hide a decode error.
            orientation = _orientation(im)
            if max(im.size) > WORK_SIDE:  # in place: no second full-size copy
                im.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BOX)
            work: Image.Image = im
            if orientation != 1:
                work = work.transpose(_TRANSPOSE[orientation])
            out = _to_display_mode(work, notes)
            out.load()
            if out is im:  # detach from the file object that ``with`` closes
                out = out.copy()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise ImageError("bomb", pixels=_declared_pixels(e), limit=MAX_PIXELS) from e
        except ImageError:
            raise
        except Exception as e:  # noqa: BLE001 - OSError, SyntaxError, ValueError, struct.error … from bad data
            if _is_truncation(e, data):
                raise ImageError("truncated") from e
            raise ImageError("corrupt") from e
    original_size = (h, w) if orientation in (5, 6, 7, 8) else (w, h)  # these orientations swap the sides
    return out, {"format": fmt, "mode": mode, "frames": frames, "size": out.size, "original_size": original_size,
                 "notes": notes}


def pad_to_aspect(img: Image.Image, max_aspect: float = MAX_ASPECT) -> Image.Image:
    """``img`` centred on black, the shorter side grown until longer / shorter ≤ ``max_aspect``
    (``img`` itself when it already is). The ImageNet resize makes the shorter side 256 pixels: a
    1024x1 strip would become 262,144 pixels long (200 MB) before its centre crop."""
    w, h = img.size
    if max(w, h) <= max_aspect * min(w, h):
        return img
    short = math.ceil(max(w, h) / max_aspect)
    size = (w, short) if w >= h else (short, h)
    out = Image.new(img.mode, size, 0)
    out.paste(img, ((size[0] - w) // 2, (size[1] - h) // 2))
    return out


def _declared_pixels(err: Exception) -> int:
    """The pixel count in Pillow's bomb message (parsed, so no global setting is touched)."""
    m = re.search(r"\((\d+) pixels\)", str(err))
    return int(m.group(1)) if m else MAX_PIXELS + 1


def _thumb(im: Image.Image, side: int = DISPLAY_SIDE) -> np.ndarray:
    if max(im.size) > side:
        im = im.copy()
        im.thumbnail((side, side), Image.Resampling.BOX)
    return np.asarray(im).copy()


def object_box(gray: np.ndarray, frac: float = 0.25) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right) of pixels ≥ frac·max, or None for a blank image."""
    hi = int(gray.max())
    if hi < 16:
        return None
    ys, xs = np.nonzero(gray >= max(16, frac * hi))
    return int(ys.min()), int(xs.min()), int(ys.max()) + 1, int(xs.max()) + 1


def pad_square(gray: np.ndarray, margin: float = 0.04) -> np.ndarray:
    """Centre ``gray`` on a black square whose side is the longer side plus a small margin."""
    h, w = gray.shape
    side = int(round(max(h, w) * (1 + 2 * margin)))
    out = np.zeros((side, side), dtype=np.uint8)
    top, left = (side - h) // 2, (side - w) // 2
    out[top:top + h, left:left + w] = gray
    return out


def normalize(pixels: np.ndarray) -> torch.Tensor:
    """uint8 [H, W] → float [1, 1, H, W], x = (p/255 − μ)/σ."""
    t = torch.from_numpy(pixels.astype(np.float32) / 255.0)
    return ((t - MEAN) / STD)[None, None]


def prepare(data: bytes, name: str = "image") -> PreparedImage:
    """Untrusted bytes → :class:`PreparedImage` for the 28x28 grayscale models, or :class:`ImageError`."""
    img, meta = decode(data)
    notes = list(meta["notes"])
    steps = [Step("original", _thumb(img))]
    gray = np.asarray(img.convert("L")).copy()
    steps.append(Step("grayscale", _thumb(Image.fromarray(gray)), applied=img.mode != "L"))
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    inverted = float(border.mean()) > 127.5
    if inverted:
        gray = 255 - gray
    steps.append(Step("inverted", _thumb(Image.fromarray(gray)), applied=inverted))
    already = gray.shape == (MODEL_SIZE, MODEL_SIZE)
    box = None if already else object_box(gray)
    if box is not None:
        t, left, b, r = box
        gray = pad_square(gray[t:b, left:r])
    elif not already:
        gray = pad_square(gray, margin=0.0)
    steps.append(Step("cropped", _thumb(Image.fromarray(gray)), applied=not already))
    small = Image.fromarray(gray).resize((MODEL_SIZE, MODEL_SIZE), Image.Resampling.LANCZOS) if not already \
        else Image.fromarray(gray)
    pixels = np.asarray(small, dtype=np.uint8).copy()
    steps.append(Step("resized", pixels, applied=not already))
    tensor = normalize(pixels)
    return PreparedImage(
        digest=hashlib.sha256(data).hexdigest(), name=name, format=meta["format"], mode=meta["mode"],
        size=meta["original_size"], frames=meta["frames"], steps=tuple(steps), pixels=pixels, tensor=tensor,
        inverted=inverted, notes=tuple(notes),
    )
