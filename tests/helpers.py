"""Shared test helpers: synthetic photos and running a page of the app under AppTest."""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]


def photo_bytes(fmt: str = "JPEG", size: tuple[int, int] = (640, 480), mode: str = "RGB", seed: int = 0) -> bytes:
    """A photo-like image: a dark garment-shaped object on a light, noisy background."""
    rng = np.random.default_rng(seed)
    w, h = size
    bg = (rng.normal(225, 12, (h, w, 3))).clip(0, 255).astype(np.uint8)
    im = Image.fromarray(bg, "RGB")
    d = ImageDraw.Draw(im)
    cx, cy, s = w // 2, h // 2, min(w, h) // 3
    d.polygon([(cx - s, cy - s // 2), (cx - s // 3, cy - s), (cx + s // 3, cy - s), (cx + s, cy - s // 2),
               (cx + s // 2, cy - s // 4), (cx + s // 2, cy + s), (cx - s // 2, cy + s),
               (cx - s // 2, cy - s // 4)], fill=(40, 60, 120))
    if mode != "RGB":
        im = im.convert(mode)
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


def sample_bytes(index: int = 0) -> tuple[bytes, str]:
    import models

    path = models.samples()[index]
    return path.read_bytes(), path.name


def run_page(page: str, *, lang: str = "en", model: str | None = None, image: bytes | None = None,
             image_name: str = "upload.png", timeout: float = 120, state: dict | None = None):
    """Run ``app.py`` on ``page`` (e.g. "pages/convolution.py") with a preset session; return the AppTest."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.session_state["cfg_lang"] = lang
    if model is not None:
        at.session_state["cfg_model"] = model
    if image is not None:
        at.session_state["image"] = {"bytes": image, "name": image_name,
                                     "digest": hashlib.sha256(image).hexdigest()}
    for k, v in (state or {}).items():
        at.session_state[k] = v
    at.switch_page(page)
    at.run()
    return at


def assert_page_ok(at) -> None:  # noqa: ANN001 - AppTest
    """No exception and no error alert on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def catalog_leaks(at) -> list[str]:  # noqa: ANN001
    """Texts on the page that look like untranslated catalog keys ("conv.title")."""
    import re

    from ui.i18n import CATALOG

    keys = set(CATALOG["en"])
    texts = [getattr(e, "value", "") for e in (*at.markdown, *at.caption, *at.title, *at.header, *at.subheader)]
    return [s for s in texts if isinstance(s, str) and s.strip() in keys or re.fullmatch(r"[a-z_]+\.[a-z_.]+", str(s))]


def without_inplace(model):  # noqa: ANN001, ANN201 - nn.Module in, nn.Module out
    """A copy whose inplace activations are not inplace (references such as captum need each output intact)."""
    import copy

    own = copy.deepcopy(model)
    for m in own.modules():
        if getattr(m, "inplace", False):
            m.inplace = False
    return own


@lru_cache(maxsize=8)
def committed_trace(name: str):  # noqa: ANN201 - (model, Trace)
    """A committed model and its trace of the first committed test image (cached: tests only read them)."""
    import models
    from explain.trace import trace

    model = models.load(name)
    return model, trace(model, models.test_batch()[0][:1])


def plotly_array(v) -> np.ndarray:  # noqa: ANN001 - a plotly JSON array: a list, or a base64 typed-array dict
    """The numbers of a plotly JSON array as float64 (``None`` becomes NaN); typed arrays are decoded."""
    import base64

    if isinstance(v, dict):
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        shape = v.get("shape")
        return a.reshape([int(n) for n in str(shape).split(",")] if shape is not None else -1).astype(np.float64)
    return np.array(v, dtype=np.float64)  # None (a gap) becomes NaN


def chart_specs(at) -> list[dict]:  # noqa: ANN001 - AppTest
    """Every plotly chart on the page as its JSON figure dict, in page order."""
    import json

    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def chart_titled(at, start: str) -> dict:  # noqa: ANN001 - AppTest
    """The first plotly figure whose layout title starts with ``start`` (AssertionError if none)."""
    specs = chart_specs(at)
    titles = [s["layout"].get("title", {}).get("text", "") for s in specs]
    for spec, title in zip(specs, titles, strict=True):
        if title.startswith(start):
            return spec
    raise AssertionError(f"no chart titled {start!r}… on the page; titles: {titles}")


NUMBER_RE = r"[-−]?\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][-+−]?\d+)?"


def numbers_in(text: str) -> list[float]:
    """The numbers written in a text, in order ("−" and thousands separators understood)."""
    import re

    return [float(m.replace("−", "-").replace(",", "")) for m in re.findall(NUMBER_RE, text)]


def page_texts(at) -> list[str]:  # noqa: ANN001 - AppTest
    """The text of every markdown, caption, info, success, warning, code, metric and subheader on the page."""
    out = [str(e.value) for e in (*at.markdown, *at.caption, *at.info, *at.success, *at.warning, *at.code,
                                  *at.subheader)]
    out += [f"{m.label}: {m.value}" for m in at.metric]
    return out


NO_DATASET_ENV = "CNN_LENS_ALLOW_NO_DATASET"


def fashion_mnist_present() -> bool:
    """True when the Fashion-MNIST files are installed. When they are not, the calling test FAILS (``make test``
    installs them: a missing data set must not turn accuracy checks into silent skips), unless the person running
    the tests opted out with ``CNN_LENS_ALLOW_NO_DATASET=1``; then it returns False and the caller skips or falls
    back, saying so."""
    import os

    import pytest

    from models import data

    if data.available():
        return True
    if os.environ.get(NO_DATASET_ENV) == "1":
        return False
    pytest.fail(f"Fashion-MNIST is not installed in {data.data_dir()}: {data.INSTALL_HINT}. "
                f"Set {NO_DATASET_ENV}=1 to run the tests without it (its accuracy checks are then skipped).")
    return False  # unreachable: pytest.fail raises


def picture_rgb(img):  # noqa: ANN001, ANN201 - a ui.figures.picture.MapImage in, uint8 [H, W, 3] out
    """The pixels of a map picture, decoded from its PNG."""
    return np.asarray(Image.open(io.BytesIO(img.png)).convert("RGB"))


def expected_colour(value: float, zmin: float, zmax: float, scale: str) -> np.ndarray:
    """The colour a value must have, from plotly's own colour scale: index ⌊255·(v − zmin)/(zmax − zmin)⌉."""
    from plotly.colors import get_colorscale, sample_colorscale

    frac = min(1.0, max(0.0, (value - zmin) / ((zmax - zmin) or 1.0)))
    idx = int(np.rint(frac * 255))
    rgb = sample_colorscale(get_colorscale(scale), [idx / 255], colortype="rgb")[0]
    return np.rint(np.array([float(c) for c in rgb[rgb.index("(") + 1:-1].split(",")])).astype(int)


def picture_cell(img, tile: int, row: int, col: int) -> np.ndarray:  # noqa: ANN001
    """The colour drawn for value [row, col] of map ``tile`` (the centre of its enlarged square)."""
    x, y = img.origins[tile]
    f = img.factor
    return picture_rgb(img)[y + row * f + f // 2, x + col * f + f // 2].astype(int)


def fmnist_reference(data: bytes, name: str, model_name: str):  # noqa: ANN201 - (model, x, logits)
    """An independent forward pass of a Fashion-MNIST model on the same bytes the page reads: the committed model
    (models.load), the input explain.imaging.prepare makes of the bytes, and the logits [K] (no trace, no page)."""
    import torch

    import models
    from explain.imaging import prepare

    model = models.load(model_name)
    x = prepare(data, name).tensor
    with torch.no_grad():
        logits = model(x)[0]
    return model, x, logits


MAX_PAYLOAD = 1_500_000  # bytes of chart JSON one page view may send

#: Every page with lazy tabs: (its tab key, its tabs' catalog labels in order).
PAGE_TABS: dict[str, tuple[str, list[str]]] = {
    "pages/convolution.py": ("conv_tab", ["conv.tab.maps", "conv.tab.arith", "conv.tab.pad", "conv.tab.play",
                                          "conv.tab.oned", "conv.tab.deep"]),
    "pages/activations.py": ("act_tab", ["act.tab.curves", "act.tab.real", "act.tab.variants", "act.tab.warp"]),
    "pages/pooling.py": ("pool_tab", ["pool.tab.maps", "pool.tab.window", "pool.tab.numbers", "pool.tab.backward",
                                      "pool.tab.shift"]),
    "pages/classifier.py": ("cls_tab", ["cls.tab.flatten", "cls.tab.fc", "cls.tab.softmax", "cls.tab.loss"]),
    "pages/gradient_flow.py": ("grad_tab", ["grad.tab.image", "grad.tab.compare", "grad.tab.batch", "grad.tab.maps"]),
    "pages/attribution.py": ("attr_tab", ["attr.tab.gradients", "attr.tab.cam", "attr.tab.sanity",
                                          "attr.tab.occlusion"]),
    "pages/tensors.py": ("tens_tab", ["tens.tab.indexing", "tens.tab.embedding", "tens.tab.flow", "tens.tab.maps",
                                      "tens.tab.image_embedding", "tens.tab.compose"]),
    "pages/upsampling.py": ("up_tab", ["up.tab.checker", "up.tab.real", "up.tab.inverse"]),
}


def chart_payload(at) -> int:  # noqa: ANN001 - AppTest
    """Bytes of the JSON of every plotly chart on the page."""
    return sum(len(c.proto.spec) for c in at.get("plotly_chart"))


def each_tab(page: str, key: str, label_keys: list[str], lang: str, image: bytes, image_name: str,
             max_payload: int = MAX_PAYLOAD, **fmt: object):  # noqa: ANN201 - yields (label key, AppTest)
    """Open every lazy tab of ``page`` in turn, with ``image``: each run has no exception or error, no catalog
    key left on the page, the asked tab open, and charts under ``max_payload`` bytes. ``fmt`` fills the labels'
    placeholders (e.g. ``n=256``). Yields (label key, AppTest) for checks of the tab's own."""
    from ui.i18n import tr

    for label in label_keys:
        shown = tr(lang, label, **fmt)
        at = run_page(page, lang=lang, image=image, image_name=image_name, state={key: shown})
        assert_page_ok(at)
        assert not catalog_leaks(at), label
        assert at.session_state[key] == shown, label
        assert chart_payload(at) < max_payload, label
        yield label, at


def tab_state(key: str, label_key: str, lang: str = "en") -> dict:
    """Session state that opens a lazy tab before the run: {tab key: its translated label}."""
    from ui.i18n import tr

    return {key: tr(lang, label_key)}


def metric_value(at, label: str) -> str:  # noqa: ANN001 - AppTest
    """The value of the st.metric with this label (AssertionError listing the labels if none)."""
    for m in at.metric:
        if m.label == label:
            return m.value
    raise AssertionError(f"no metric {label!r}; metrics: {[m.label for m in at.metric]}")


def percent(text: str) -> float:
    """"47.2%" → 0.472."""
    return float(text.strip().rstrip("%").replace(",", "")) / 100
