"""Files as phones and desktops make them, each made here: an iPhone-style HEIC with an EXIF rotation, a
60 MP JPEG, a Windows icon and a 2000x3 strip. Each goes through both pipelines (Fashion-MNIST
:func:`explain.imaging.prepare` and ImageNet :func:`explain.imagenet_input.prepare_rgb`), the CLI and
the Overview page's real uploader. The large JPEG must be decoded at reduced scale: its peak memory is
measured in a fresh process (Pillow's buffers are invisible to tracemalloc).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from explain import imaging
from explain.imagenet_input import prepare_rgb
from explain.imaging import MODEL_SIZE, WORK_SIDE, ImageError, decode, jpeg_streams, prepare
from models.zoo import InputSpec
from tests.corpus import jpeg_declaring
from tests.helpers import ROOT, run_page

OVERVIEW = "pages/overview.py"
BIG = (8000, 7500)  # 60 MP, stored landscape; EXIF orientation 6 makes it 7500x8000 upright
# resnet18's weights.transforms(), written out so that no weights are needed here
RESNET = InputSpec(resize=256, crop=224, interpolation="bilinear", mean=(0.485, 0.456, 0.406),
                   std=(0.229, 0.224, 0.225))
RED = (220, 20, 20)


def _encode(im: Image.Image, fmt: str, **kw) -> bytes:  # noqa: ANN003 - Pillow save options
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _rotated_exif() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    return exif.tobytes()


def _marked(size: tuple[int, int]) -> Image.Image:
    """A dark object on a light background with a red square in the stored top-left corner."""
    w, h = size
    im = Image.new("RGB", size, (215, 210, 205))
    d = ImageDraw.Draw(im)
    d.ellipse((w // 3, h // 4, 2 * w // 3, 3 * h // 4), fill=(40, 60, 120))
    d.rectangle((0, 0, w // 6, h // 6), fill=RED)
    return im


def _red_corner(rgb: np.ndarray) -> str:
    """Which corner of an upright [H, W, 3] picture holds the red marker."""
    h, w = rgb.shape[:2]
    corners = {"top-left": rgb[: h // 20, : w // 20], "top-right": rgb[: h // 20, -w // 20:],
               "bottom-left": rgb[-h // 20:, : w // 20], "bottom-right": rgb[-h // 20:, -w // 20:]}
    red = [k for k, px in corners.items() if px[..., 0].mean() > 180 and px[..., 1].mean() < 80]
    assert len(red) == 1, {k: px.reshape(-1, 3).mean(0).round() for k, px in corners.items()}
    return red[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("phone")
    made = {
        # pillow-heif writes the EXIF orientation as the HEIF rotation, as an iPhone does
        "iphone.heic": _encode(_marked((120, 80)), "HEIF", quality=85, exif=_rotated_exif()),
        "favicon.ico": _encode(_marked((96, 96)).convert("RGBA"), "ICO", sizes=[(16, 16), (32, 32), (48, 48)]),
        "strip.png": _encode(Image.new("RGB", (2000, 3), (200, 30, 30)), "PNG"),
        "photo-12mp.jpg": _encode(_marked((4000, 3000)), "JPEG", quality=20),
    }
    big = _marked(BIG)
    made["photo-60mp.jpg"] = _encode(big, "JPEG", quality=15, exif=_rotated_exif())  # ~1 MB
    del big
    for name, data in made.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in made}


UPRIGHT = {"iphone.heic": (80, 120), "favicon.ico": (48, 48), "strip.png": (2000, 3),
           "photo-60mp.jpg": (BIG[1], BIG[0])}


# --- the shared decoder ------------------------------------------------------------------------------------

def test_heic_is_read_upright(files: dict[str, Path]) -> None:
    img, meta = decode(files["iphone.heic"].read_bytes())
    assert meta["format"] == "HEIF" and meta["original_size"] == (80, 120) and img.size == (80, 120)
    # stored top-left, rotated 90° clockwise: top-right, exactly where the same JPEG puts it
    assert _red_corner(np.asarray(img)) == "top-right"
    jpeg, _ = decode(_encode(_marked((120, 80)), "JPEG", quality=95, exif=_rotated_exif()))
    assert np.abs(np.asarray(img, dtype=int) - np.asarray(jpeg, dtype=int)).mean() < 6


def test_60mp_jpeg_is_decoded_at_reduced_scale_and_upright(files: dict[str, Path]) -> None:
    data = files["photo-60mp.jpg"].read_bytes()
    assert len(data) < 3 * 2**20 and jpeg_streams(data)
    img, meta = decode(data)
    assert meta["original_size"] == UPRIGHT["photo-60mp.jpg"]
    assert img.size == (960, 1024)  # 7500x8000 upright, reduced to WORK_SIDE on the longer side
    assert _red_corner(np.asarray(img)) == "top-right"  # the EXIF rotation still applies after draft()


_RSS_SCRIPT = """
import json, resource, sys, time, types
sys.modules["torch"] = types.ModuleType("torch")  # decode() needs no torch; importing it would take seconds
sys.path.insert(0, sys.argv[1])
from explain.imaging import decode
data = open(sys.argv[2], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
img, meta = decode(data)
seconds = time.perf_counter() - t0
print(json.dumps([(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024, seconds, list(img.size)]))
"""


def _decode_cost(script: Path, path: Path) -> tuple[float, float, list[int]]:
    """(peak MB above the process's state before decoding, seconds, decoded size), in a fresh process."""
    res = subprocess.run([sys.executable, str(script), str(ROOT), str(path)], capture_output=True, text=True,
                         timeout=120, check=True)
    mb, seconds, size = json.loads(res.stdout)
    return mb, seconds, size


def test_large_jpegs_cost_what_a_12mp_one_does(files: dict[str, Path], tmp_path: Path) -> None:
    """Decoded in full, the 60 MP photo alone would take 8000·7500·3 B = 172 MB (Pillow: 229 MB with its
    4-byte RGB pixels). libjpeg decodes it at 1/4 scale (2000x1875) instead, as the 12 MP one at 1/2."""
    script = tmp_path / "rss.py"
    script.write_text(_RSS_SCRIPT)
    patched = tmp_path / "declares-200mp.jpg"  # a 200 MP header over little data: decoded at 1/8 scale
    patched.write_bytes(jpeg_declaring(16_320, 12_240))
    small_mb, _, small_size = _decode_cost(script, files["photo-12mp.jpg"])
    big_mb, _, big_size = _decode_cost(script, files["photo-60mp.jpg"])
    huge_mb, _, huge_size = _decode_cost(script, patched)
    assert max(small_size) == max(big_size) == max(huge_size) == WORK_SIDE
    assert big_mb < 80, f"decoding the 60 MP JPEG took {big_mb:.0f} MB"
    assert big_mb < small_mb + 40, (big_mb, small_mb)
    assert huge_mb < 80, f"decoding the 200 MP JPEG header took {huge_mb:.0f} MB"


def test_only_sequential_jpegs_are_decoded_beyond_the_pixel_limit() -> None:
    """A progressive JPEG keeps all its coefficients at full size whatever the output scale: it stays
    under MAX_PIXELS as declared. A sequential one may declare up to MAX_JPEG_PIXELS."""
    assert jpeg_streams(jpeg_declaring(100, 100)) and not jpeg_streams(jpeg_declaring(100, 100, progressive=True))
    assert jpeg_streams(_encode(Image.new("L", (64, 64), 90), "JPEG"))
    assert not jpeg_streams(b"\xff\xd8\xff")
    with pytest.raises(ImageError) as info:
        decode(jpeg_declaring(8000, 6000, progressive=True))
    assert info.value.code == "bomb" and info.value.params["limit"] == imaging.MAX_PIXELS
    with pytest.raises(ImageError) as info:
        decode(jpeg_declaring(20_000, 20_000))
    assert info.value.code == "bomb" and info.value.params["limit"] == imaging.MAX_JPEG_PIXELS
    img, meta = decode(jpeg_declaring(8000, 6000))  # 48 MP declared: accepted, decoded at 1/4
    assert meta["original_size"] == (8000, 6000) and img.size == (1024, 768)


def test_icon_uses_its_largest_image(files: dict[str, Path]) -> None:
    img, meta = decode(files["favicon.ico"].read_bytes())
    assert meta["format"] == "ICO" and img.size == (48, 48) and img.mode == "RGB"


# --- both pipelines ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(UPRIGHT))
def test_fashion_mnist_pipeline(files: dict[str, Path], name: str) -> None:
    data = files[name].read_bytes()
    p = prepare(data, name)
    assert p.size == UPRIGHT[name] and p.digest == hashlib.sha256(data).hexdigest()
    assert p.pixels.shape == (MODEL_SIZE, MODEL_SIZE) and p.tensor.shape == (1, 1, MODEL_SIZE, MODEL_SIZE)
    assert max(p.steps[0].image.shape[:2]) <= imaging.DISPLAY_SIDE


def test_strip_is_padded_to_a_square(files: dict[str, Path]) -> None:
    """2000x3 → 1024x2 → a black square with a thin band → 28x28: mostly black, which is the honest answer."""
    p = prepare(files["strip.png"].read_bytes(), "strip.png")
    cropped = p.steps[3].image
    assert cropped.shape[0] == cropped.shape[1] and p.steps[3].applied
    assert (p.pixels < 16).mean() > 0.9
    assert p.pixels.max() > 0  # the band is still there, averaged into a row or two


@pytest.mark.parametrize("name", list(UPRIGHT))
def test_imagenet_pipeline(files: dict[str, Path], name: str) -> None:
    p = prepare_rgb(files[name].read_bytes(), name, RESNET)
    assert p.size == UPRIGHT[name] and p.tensor.shape == (1, 3, 224, 224) and p.pixels.shape == (224, 224, 3)
    resized = p.steps[2].params
    assert min(resized["w"], resized["h"]) == 256
    # the 2000x3 strip is first centred on black to a 100:1 ratio: its resize stays 25,600 pixels long at most
    assert max(resized["w"], resized["h"]) <= 256 * imaging.MAX_ASPECT


def test_imagenet_strip_keeps_the_strip_in_the_crop(files: dict[str, Path]) -> None:
    p = prepare_rgb(files["strip.png"].read_bytes(), "strip.png", RESNET)
    rows = p.pixels.reshape(224, -1, 3).mean(axis=1)  # mean colour of each row of the crop
    red = (rows[:, 0] > 150) & (rows[:, 1] < 80)
    assert red[112] and not red[0] and not red[-1], rows[[0, 112, -1]]  # a red band in the middle, black around
    assert p.pixels[0].max() == 0 and p.pixels[-1].max() == 0


def test_imagenet_equals_pad_then_the_weights_transforms(files: dict[str, Path]) -> None:
    """For a normal photo prepare_rgb is exactly weights.transforms(); for the strip, it is the same after
    the padding (resize 256 with antialias, centre crop 224, normalize), written out with torchvision."""
    import torch
    from torchvision.transforms import v2

    tf = v2.Compose([v2.PILToTensor(), v2.Resize(256, antialias=True), v2.CenterCrop(224),
                     v2.ToDtype(torch.float32, scale=True), v2.Normalize(list(RESNET.mean), list(RESNET.std))])
    for name in ("strip.png", "iphone.heic"):
        data = files[name].read_bytes()
        img, _ = decode(data)
        ref = tf(imaging.pad_to_aspect(img.convert("RGB")))
        torch.testing.assert_close(prepare_rgb(data, name, RESNET).tensor[0], ref, atol=1e-5, rtol=0)


# --- the CLI ------------------------------------------------------------------------------------------------

def test_cli_accepts_each_file(files: dict[str, Path]) -> None:
    paths = [str(files[n]) for n in UPRIGHT]
    env = {**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning", "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-m", "explain", *paths, "--json"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Traceback" not in r.stderr and "error:" not in r.stderr, r.stderr[-2000:]
    results = json.loads(r.stdout)
    assert [res["file"] for res in results] == paths
    for name, res in zip(UPRIGHT, results, strict=True):
        assert tuple(res["input"]["size"]) == UPRIGHT[name], name
        assert res["input"]["tensor_shape"] == [1, 1, 28, 28]
        assert abs(sum(p["prob"] for p in res["predictions"]) - 1) < 1e-3


@pytest.mark.parametrize("size, shown", [(21 * 2**20, "21.0 MB (22,020,096 bytes)"),
                                         (21_000_000, "20.0 MB (21,000,000 bytes)")])
def test_cli_reports_the_real_size(tmp_path: Path, size: int, shown: str) -> None:
    """Only MAX_BYTES + 1 bytes are read; the size reported is the file's own, in MB and in bytes."""
    from explain.cli import main

    big = tmp_path / "big.png"
    big.write_bytes(_encode(Image.new("RGB", (8, 8)), "PNG").ljust(size, b"\0"))
    out, err = io.StringIO(), io.StringIO()
    assert main([str(big)], out, err) == 2
    assert err.getvalue() == f"error: {big}: The file is {shown}; the limit is 20 MB (20,971,520 bytes).\n"


# --- the Overview page's uploader --------------------------------------------------------------------------

def test_uploader_offers_the_new_types() -> None:
    from ui.picker import UPLOAD_TYPES

    assert {"heic", "heif", "avif", "ico", "jpg", "png"} <= set(UPLOAD_TYPES)


def test_overview_uploader_accepts_each_file(files: dict[str, Path]) -> None:
    at = run_page(OVERVIEW, lang="en")
    assert not at.exception
    for name, (w, h) in UPRIGHT.items():
        data = files[name].read_bytes()
        at.file_uploader(key="upload").set_value((name, data, "application/octet-stream"))
        at.run()
        assert not at.exception, (name, [e.value for e in at.exception])
        assert not at.error, (name, [e.value for e in at.error])
        assert at.session_state["image"]["digest"] == hashlib.sha256(data).hexdigest(), name
        assert at.get("plotly_chart"), name  # the prediction chart is drawn
        captions = [c.value for c in at.caption]
        assert any(f"{w}" in c and f"{h}" in c and name in c for c in captions), (name, captions)
