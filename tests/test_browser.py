"""End to end in a real browser: `streamlit run app.py` driven by Debian's Chromium through playwright.

One browser session, as a student would use it: open the app, upload a photo through the real file
input, switch the language to Chinese, click every page of the sidebar navigation (the session keeps
the image) and open every tab once, switch the model once, and come back to the Overview. On every page
and tab: no exception element, no error alert, no browser console error, every visible chart and image
rendered, no Plotly placeholder text ("new text", "Click to enter", undefined, NaN) and no number printed
with more than 6 decimals (0.0399999991059303; 0.0009418 is fine: 4 significant digits), no
untranslated catalog key. One number per page is checked against a computation made here, directly
with torch.nn.functional on the same photo: the Overview's prediction and probabilities, the Convolution
page's output shape, the Pooling page's sizes and the Fully connected page's logit. A full-page
screenshot of each step lands in tests/output/screenshots/ (``make screenshots`` makes the documented set).

The browser is Debian's /usr/bin/chromium (``make test`` installs it and fonts-noto-cjk); playwright's
own browser download is never used. Without it the test fails, unless CNN_LENS_SKIP_BROWSER=1 says to
skip it on purpose.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser_walk import Server, ServerError, Walk, app_server, missing_browser, wait_idle, walk_in_browser
from tests.helpers import photo_bytes

SKIP_ENV = "CNN_LENS_SKIP_BROWSER"
TIE = 1e-5  # probabilities closer than this are not compared by rank


def _require_browser() -> None:
    missing = missing_browser()
    if not missing:
        return
    msg = "browser test needs " + " and ".join(missing) + "; `make test` installs them"
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{msg} ({SKIP_ENV}=1)")
    pytest.fail(f"{msg}. Set {SKIP_ENV}=1 to skip the browser test on purpose.")


@pytest.fixture(scope="module")
def server(output_dir: Path) -> Iterator[Server]:
    _require_browser()
    with ExitStack() as stack:
        try:
            srv = stack.enter_context(app_server(output_dir / "browser-server.log"))
        except ServerError as e:
            pytest.fail(str(e))
        yield srv


@pytest.fixture(scope="module")
def shots(output_dir: Path) -> Path:
    out = output_dir / "screenshots"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    return out


# ---- numbers computed here, without the app's code ----------------------------------------------------

@dataclass(frozen=True)
class Reference:
    """The default model on the photo, run layer by layer with torch.nn.functional."""

    probs: list[float]
    logits: list[float]
    conv_out: list[int]  # the first convolution's output shape [N, C, H, W]
    pool_in: tuple[int, int]  # the first pooling layer's input and output sides (H, W)
    pool_out: tuple[int, int]


def functional_reference(data: bytes) -> Reference:
    import torch
    import torch.nn.functional as F
    from torch import nn

    import models
    from explain.imaging import prepare

    x = prepare(data).tensor
    model = models.load(models.DEFAULT_MODEL)
    h, conv_out, pool = x, None, None
    with torch.no_grad():
        for m in (m for m in model.modules() if not list(m.children())):
            if isinstance(m, nn.Conv2d):
                h = F.conv2d(h, m.weight, m.bias, m.stride, m.padding, m.dilation, m.groups)
                conv_out = conv_out or list(h.shape)
            elif isinstance(m, nn.ReLU):
                h = F.relu(h)
            elif isinstance(m, nn.MaxPool2d):
                before = tuple(h.shape[-2:])
                h = F.max_pool2d(h, m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode)
                pool = pool or (before, tuple(h.shape[-2:]))
            elif isinstance(m, nn.Flatten):
                h = torch.flatten(h, m.start_dim, m.end_dim)
            elif isinstance(m, nn.Linear):
                h = F.linear(h, m.weight, m.bias)
            else:
                raise AssertionError(f"no functional form here for {type(m).__name__}")
        assert torch.allclose(h, model(x), atol=1e-5), "the layer-by-layer run differs from model(x)"
    assert conv_out is not None and pool is not None
    logits = h[0]
    return Reference(probs=F.softmax(logits, 0).tolist(), logits=logits.tolist(), conv_out=conv_out,
                     pool_in=pool[0], pool_out=pool[1])


def _top(values: list[float], k: int) -> list[int]:
    return sorted(range(len(values)), key=lambda i: -values[i])[:k]


def check_prediction(walk: Walk, probs: list[float], lang: str, family: str, bars: int) -> list[str]:
    """The sidebar's "Prediction: label (p%)" and the Overview's top-k bars against ``probs``."""
    from ui.i18n import class_name, tr

    problems = []
    order = _top(probs, bars + 1)
    # a class within TIE of the first one left out may swap places with it between two float runs
    shown = [i for i in order[:bars] if len(order) == bars or probs[i] - probs[order[bars]] > TIE]
    side = walk.text("sidebar")
    wants = [tr(lang, "sidebar.prediction", label=class_name(i, lang, family), prob=probs[i])
             for i in order if probs[order[0]] - probs[i] <= TIE]
    if not any(w in side for w in wants):
        problems.append(f"overview: the sidebar should say {wants[0]!r}; it shows {side[-200:]!r}")
    main = walk.text()
    for i in shown:
        label, pct = class_name(i, lang, family), f"{probs[i]:.1%}"
        if label not in main or pct not in main:
            problems.append(f"overview: the top-{bars} bars lack {label!r} at {pct} (computed here)")
    return problems


def find_in_tabs(walk: Walk, pattern: str, name: str) -> re.Match | None:
    """``pattern`` in the main area's text, opening the page's tabs one by one until it shows."""
    m = re.search(pattern, walk.text())
    bars = walk.tab_bars()
    for b, bar in enumerate(bars):
        for i in range(len(bar)):
            if m:
                return m
            walk.open_tab(b, i, f"{name}-find-{b}.{i}", shot=None)
            m = re.search(pattern, walk.text())
    return m


def check_numbers(walk: Walk, stem: str, lang: str, ref: Reference) -> list[str]:
    """One number on page ``stem`` against the reference (pages without a check: none)."""
    from ui.i18n import class_name

    name = f"{stem}-{lang}"
    if stem == "convolution":  # the selected (first) layer's recorded output, as F.conv2d gives it
        shape = re.escape(str(ref.conv_out))
        if not find_in_tabs(walk, shape, name):
            return [f"{name}: the output shape {ref.conv_out} of F.conv2d is not shown"]
    elif stem == "pooling":  # "28×28 to 14×14" / "28×28 变为 14×14"
        (hi, wi), (ho, wo) = ref.pool_in, ref.pool_out
        if not find_in_tabs(walk, rf"{hi}×{wi}\s*(to|变为)\s*{ho}×{wo}", name):
            return [f"{name}: the sizes {hi}×{wi} → {ho}×{wo} of F.max_pool2d are not shown"]
    elif stem == "classifier":  # "F.linear 3.14159" for the predicted class
        best = _top(ref.probs, 1)[0]
        m = find_in_tabs(walk, r"F\.linear\s+(-?\d+\.\d+)", name)
        if not m:
            return [f"{name}: no 'F.linear <logit>' line"]
        if abs(float(m.group(1)) - ref.logits[best]) > 1e-4:
            return [f"{name}: the logit of {class_name(best, lang)} is {ref.logits[best]:.5f} here, "
                    f"the page shows {m.group(1)}"]
    return []


def open_every_tab(walk: Walk, name: str) -> None:
    """Open each tab of the page's tab bars once (each one is checked like a page; `make screenshots` draws them)."""
    for b, bar in enumerate(walk.tab_bars()):
        for i in range(len(bar)):
            walk.open_tab(b, i, f"{name}-tab{b}.{i}", shot=None)


def test_every_page_in_a_real_browser(server: Server, shots: Path, tmp_path: Path) -> None:
    import models
    from ui.i18n import tr
    from ui.nav import existing_pages

    data = photo_bytes()
    ref = functional_reference(data)
    photo = tmp_path / "my-photo.jpg"
    photo.write_bytes(data)
    pages = existing_pages()
    model_names = [m.name for m in models.available()]
    session = {"lang": "en", "model": models.DEFAULT_MODEL}
    with walk_in_browser(server, shots, session) as walk:
        page = walk.page
        walk.upload(photo, "overview-en-upload")
        assert tr("en", "nav.overview") in page.locator('[data-testid="stSidebarNav"]').inner_text()
        walk.problems += check_prediction(walk, ref.probs, "en", "fmnist", bars=3)

        # the language: once, on the Overview
        walk.set_lang("zh")
        walk.step("overview-zh")
        assert tr("zh", "nav.overview") in page.locator('[data-testid="stSidebarNav"]').inner_text()
        walk.problems += check_prediction(walk, ref.probs, "zh", "fmnist", bars=3)

        checked = set()
        for spec in pages[1:]:
            stem = Path(spec.path).stem
            walk.go(spec, f"{stem}-zh")
            walk.problems += check_numbers(walk, stem, "zh", ref)
            checked.add(stem)
            open_every_tab(walk, f"{stem}-zh")
        assert {"convolution", "pooling", "classifier"} <= checked

        # the model: once, then back to the Overview, which shows the new model's prediction
        if len(model_names) > 1:
            picked = walk.pick_model(None).split()[0]  # "tinyvgg-sigmoid · test accuracy …"
            session["model"] = picked
            walk.step(f"model-{picked}-{Path(pages[-1].path).stem}")
        walk.go(pages[0], "overview-zh")
    assert len(walk.visited) >= len(pages) + 1


def test_every_page_with_an_imagenet_model_and_a_real_photo(server: Server, shots: Path,
                                                             zoo_weights: dict[str, Path]) -> None:
    """ResNet-18 (weights written by the test into the hub cache that the server reads) on every page."""
    import torch

    import models
    from explain.imagenet_input import prepare_rgb
    from models import zoo
    from ui.nav import existing_pages

    pages = existing_pages()
    photo = models.photo_samples()[0]
    spec = zoo.spec("imagenet-resnet18")
    with torch.no_grad():
        x = prepare_rgb(photo.read_bytes(), photo.name, zoo.input_spec(spec)).tensor
        probs = torch.softmax(models.load(spec.name)(x)[0], 0).tolist()
    session = {"lang": "en", "model": models.DEFAULT_MODEL, "prefix": "imagenet-"}
    with walk_in_browser(server, shots, session) as walk:
        walk.pick_model("ResNet-18")
        session["model"] = "ResNet-18"
        wait_idle(walk.page)
        walk.upload(photo, "overview-resnet18-photo")
        assert "ImageNet-1K" in walk.text()
        walk.problems += check_prediction(walk, probs, "en", "imagenet", bars=5)
        for page_spec in pages[1:]:
            walk.go(page_spec, f"{Path(page_spec.path).stem}-en")


def test_a_chinese_browser_opens_in_chinese_and_back_goes_back_a_page(server: Server, shots: Path) -> None:
    """A browser whose language is Chinese gets the app in Chinese without ``?lang=``. That is its own language,
    so the URL does not carry it: a page switch is one history entry, and Back returns to the previous page in
    one press (Streamlit's navigation drops the query string, and writing ``lang`` back was a second entry)."""
    import models
    from ui.i18n import tr
    from ui.nav import existing_pages

    pages = existing_pages()
    session = {"lang": "zh", "model": models.DEFAULT_MODEL}
    with walk_in_browser(server, shots, session, strict=False, locale="zh-CN") as walk:
        page = walk.page
        assert tr("zh", "nav.overview") in page.locator('[data-testid="stSidebarNav"]').inner_text()
        # Streamlit's own English in the upload box: its line hidden (the label says it in Chinese), its button
        # relabelled (the English text stays in the DOM at font size 0, the label is drawn after it)
        box = page.locator(".st-key-upload")
        assert "per file" not in box.inner_text()
        shown = box.evaluate("e => { const p = e.querySelector('button p'); return [getComputedStyle(p).fontSize, "
                             "getComputedStyle(p, '::after').content]; }")
        assert shown == ["0px", '"' + tr("zh", "picker.upload_button") + '"'], shown
        depth = page.evaluate("history.length")
        for spec in pages[1:3]:
            walk.go(spec, f"{Path(spec.path).stem}-zh-browser", shot=None)
            assert "lang=" not in page.url, page.url
        assert page.evaluate("history.length") == depth + 2
        page.go_back()
        page.wait_for_url(walk.href(pages[1]) + "*")
        wait_idle(page)
        active = page.locator('a[data-testid="stSidebarNavLink"][aria-current="page"]')
        assert active.count() == 1 and active.get_attribute("href") == walk.href(pages[1])
        assert tr("zh", pages[1].title_key) in active.inner_text()
        walk.step("back-zh-browser", shot=None)
    problems = [p for p in walk.problems if "no image in the sidebar" not in p]
    assert not problems, "\n".join(problems)
