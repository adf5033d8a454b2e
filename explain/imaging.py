"""Upload pipeline: untrusted bytes → upright image → model tensor, every step kept for display.

Fashion-MNIST shows one light object on a black 28x28 background, so a photo is brought to that form:

1. decode (EXIF orientation applied, frame 0 of animations, transparency composited on white,
   16-bit and float modes scaled by their range: v' = 255·(v − min)/(max − min));
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
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from PIL import ExifTags, Image, UnidentifiedImageError

MAX_BYTES = 20 * 1024 * 1024  # the same 20 MB as server.maxUploadSize in .streamlit/config.toml
MAX_PIXELS = 40_000_000  # 40 megapixels
MAX_SIDE = 20_000  # pixels along one side
MAX_ASPECT = 100.0  # longest side / shortest side
WORK_SIDE = 1024  # decoded images are reduced to at most this side before processing
DISPLAY_SIDE = 384  # the "original" step is kept at most this large for display
FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")
MODEL_SIZE = 28
MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST training statistics (models.data)

# Pillow only warns between MAX_IMAGE_PIXELS and twice that: make its guard raise, at our limit.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)

_MESSAGES = {
    "empty": "The file is empty.",
    "too_big": "The file is {size_mb:.1f} MB; the limit is {limit_mb:.0f} MB.",
    "not_image": "This file is not an image that CNN Lens can read ({kind}). Use PNG, JPEG, WEBP, GIF, BMP or TIFF.",
    "truncated": "The image file is truncated or damaged: only part of it could be read.",
    "corrupt": "The image file is damaged and cannot be decoded.",
    "bomb": "The image declares {pixels:,} pixels, more than the limit of {limit:,}: refused as a possible "
            "decompression bomb.",
    "dimensions": "The image is {width}x{height} pixels; each side must be 1 to {max_side:,} pixels and the "
                  "longer side at most {max_aspect:.0f} times the shorter one.",
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


def _check_size(w: int, h: int) -> None:
    if w < 1 or h < 1 or max(w, h) > MAX_SIDE or max(w, h) / min(w, h) > MAX_ASPECT:
        raise ImageError("dimensions", width=w, height=h, max_side=MAX_SIDE, max_aspect=MAX_ASPECT)
    if w * h > MAX_PIXELS:
        raise ImageError("bomb", pixels=w * h, limit=MAX_PIXELS)


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

    Memory stays bounded: the file is ≤ MAX_BYTES, the declared size is checked (≤ MAX_PIXELS,
    ≤ MAX_SIDE a side, aspect ≤ MAX_ASPECT) before any pixel is decoded, JPEGs are decoded at a
    reduced scale (``draft``), and everything after the decode works on a ≤ WORK_SIDE copy. The
    size check is ours, so it holds even where Pillow's bomb guard only warns (e.g. when a test
    runner resets the warning filters).
    """
    if not data:
        raise ImageError("empty")
    if len(data) > MAX_BYTES:
        raise ImageError("too_big", size_mb=len(data) / 2**20, limit_mb=MAX_BYTES / 2**20)
    notes: list[str] = []
    try:
        im = Image.open(io.BytesIO(data), formats=list(FORMATS))
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
        _check_size(*im.size)
        stored_size = im.size
        try:
            frames = int(getattr(im, "n_frames", 1) or 1)
        except Exception:  # noqa: BLE001 - counting frames walks the file; a damaged tail is not fatal
            frames = 1
        if frames > 1:
            notes.append("first_frame")
        try:
            im.seek(0)
            if fmt in ("JPEG", "MPO"):
                im.draft(im.mode if im.mode in ("L", "RGB") else None, (WORK_SIDE, WORK_SIDE))
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
    w, h = stored_size
    original_size = (h, w) if orientation in (5, 6, 7, 8) else (w, h)  # these orientations swap the sides
    return out, {"format": fmt, "mode": mode, "frames": frames, "size": out.size, "original_size": original_size,
                 "notes": notes}


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
