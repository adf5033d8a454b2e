"""AppTest of the Tensors & shapes and Upsampling pages: sample, upload, every model, both languages, no image, every
lazy tab. The numbers the pages print are compared with independent computations: torch indexing of the course's
tensor, an independent forward pass of the committed model on the same bytes (layer shapes, a feature map's values,
cosine similarities of the classifier's input), and F.max_pool2d / F.interpolate / F.conv_transpose2d."""

from __future__ import annotations

import ast

import pytest
import torch
from torch.nn import functional as F

import models
from explain.imaging import prepare
from tests.helpers import (
    PAGE_TABS,
    assert_page_ok,
    fmnist_reference,
    numbers_in,
    photo_bytes,
    run_page,
    sample_bytes,
    tab_state,
)
from ui.i18n import tr

PAGES = ("pages/tensors.py", "pages/upsampling.py")
MODEL_NAMES = [m.name for m in models.available()]
TABS = {page: PAGE_TABS[page] for page in PAGES}


def _features(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return torch.flatten(model.block2(model.block1(x)), 1)[0]  # what the classifier reads


def _leaf_shapes(model: torch.nn.Module, x: torch.Tensor) -> dict[str, list[int]]:
    shapes: dict[str, list[int]] = {}
    handles = [m.register_forward_hook(lambda _m, _a, out, n=n: shapes.__setitem__(n, list(out.shape)))
               for n, m in model.named_modules() if n and not list(m.children())]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return shapes



@pytest.mark.parametrize("page", PAGES)
def test_with_upload(page: str) -> None:
    photo = photo_bytes(size=(1200, 700))
    key, labels = TABS[page]
    at = run_page(page, lang="zh", image=photo, image_name="photo.jpg", state=tab_state(key, labels[-1], "zh"))
    assert_page_ok(at)
    if page == "pages/upsampling.py":
        _assert_pool_roundtrip(at, photo, "photo.jpg", models.DEFAULT_MODEL, "zh")


def _assert_pool_roundtrip(at, data: bytes, name: str, model_name: str, lang: str = "en") -> None:  # noqa: ANN001
    """Pooling then nearest upsampling of block1.pool's strongest channel: mean and largest |error| and the share of
    exact pixels, against F.max_pool2d and F.interpolate of an independent forward."""
    model, x, _ = fmnist_reference(data, name, model_name)
    with torch.no_grad():
        b = model.block1
        a = b.act2(b.conv2(b.act1(b.conv1(x))))[0]  # block1.pool's input [16, 28, 28]
    c = int(a.amax((1, 2)).argmax())
    intro = next(m.value for m in at.markdown if "block1.pool" in m.value and "28x28" in m.value)
    assert f"{c}" in intro.split("block1.pool")[1].split("28x28")[0]  # "(channel c)" / "（通道 c）"
    restored = F.interpolate(F.max_pool2d(a[None, c:c + 1], 2), scale_factor=2, mode="nearest")[0, 0]
    err = restored - a[c]
    stats = next(m.value for m in at.markdown if m.value.count("**") >= 6 and "%" in m.value)
    mae, mx, exact = (float(v.rstrip("%")) for v in stats.split("**")[1:6:2])
    assert float(err.min()) >= 0  # the maximum of each window is never below the values it replaces
    assert mae == pytest.approx(float(err.abs().mean()), abs=6e-5)
    assert mx == pytest.approx(float(err.abs().max()), abs=6e-5)
    assert exact / 100 == pytest.approx(float((err == 0).double().mean()), abs=5.1e-3)


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_every_model(model: str) -> None:
    """Tensors: the shape table against an independent forward with hooks, and the first values of x[0, 1] of
    block1.conv1; Upsampling: the pooling round trip."""
    data, name = sample_bytes(9)
    at = run_page("pages/tensors.py", model=model, image=data, image_name=name,
                  state=tab_state("tens_tab", "tens.tab.flow"))
    assert_page_ok(at)
    net, x, _ = fmnist_reference(data, name, model)
    shapes = _leaf_shapes(net, x)
    table = at.dataframe[0].value
    assert list(table.iloc[:, 0]) == list(shapes)
    assert [ast.literal_eval(s) for s in table.iloc[:, 3]] == list(shapes.values())
    assert set(table.iloc[:, -1]) == {"✓"}
    at = run_page("pages/tensors.py", model=model, image=data, image_name=name,
                  state=tab_state("tens_tab", "tens.tab.maps"))
    assert_page_ok(at)
    assert at.text_input(key="tens_fm_expr").value == "x[0, 1]" and at.selectbox(key="tens_fm_layer").value == \
        "block1.conv1"
    code = next(c.value for c in at.code if c.value.startswith("x[0, 1]"))
    shown = numbers_in(code.split("tensor(")[1])[:8]  # the first row, printed with 4 decimals
    with torch.no_grad():
        ref = net.block1.conv1(x)[0, 1, 0, :8]
    assert shown == pytest.approx(ref.tolist(), abs=6e-5)
    at = run_page("pages/upsampling.py", model=model, image=data, image_name=name,
                  state=tab_state("up_tab", "up.tab.inverse"))
    assert_page_ok(at)
    _assert_pool_roundtrip(at, data, name, model)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_without_image(page: str, lang: str) -> None:
    at = run_page(page, lang=lang)
    assert_page_ok(at)
    # the first tab (indexing chart, checkerboard count pictures) needs no image
    assert len(at.get("plotly_chart")) + len(at.get("image")) >= 1
    key, labels = TABS[page]
    at = run_page(page, lang=lang, state=tab_state(key, labels[-1], lang))
    assert_page_ok(at)
    assert at.info  # the prompt to choose an image


def test_tensors_typed_indexes() -> None:
    data, name = sample_bytes(0)
    at = run_page("pages/tensors.py", image=data, image_name=name)
    assert_page_ok(at)
    a_code = next(c.value for c in at.code if c.value.startswith("A = torch.tensor("))
    a = torch.tensor(ast.literal_eval(a_code.split("torch.tensor(")[1].split(")")[0]))  # the course's tensor
    assert list(a.shape) == [2, 3, 4]
    for expr, ref in (("A[1][0][:]", a[1][0][:]), ("A[:, 1, 1]", a[:, 1, 1]), ("A[0, :, 2:]", a[0, :, 2:])):
        at.text_input(key="tens_scores_expr").set_value(expr).run()
        assert_page_ok(at)
        out = next(c.value for c in at.code if c.value.startswith(expr))
        assert out.split("\n", 1)[1].strip() == repr(ref), expr  # what PyTorch itself prints
    at.session_state["tens_tab"] = tr("en", "tens.tab.maps")
    at.run()
    for bad in ("__import__('os')", "x[0, c, i, j]", "x[9]", "x.__class__", "x[" + "0," * 150 + "]"):
        at.text_input(key="tens_fm_expr").set_value(bad).run()
        assert not at.exception
        assert at.error, bad  # a clear message, no traceback
    at.text_input(key="tens_fm_expr").set_value("x[0, 3, 10, 5]").run()
    at.selectbox(key="tens_fm_layer").set_value("block1.conv1").run()
    assert_page_ok(at)
    model, x, _ = fmnist_reference(data, name, models.DEFAULT_MODEL)
    with torch.no_grad():
        ref = float(model.block1.conv1(x)[0, 3, 10, 5])
    out = next(c.value for c in at.code if c.value.startswith("x[0, 3, 10, 5]"))
    assert numbers_in(out.split("\n", 1)[1])[0] == pytest.approx(ref, abs=6e-5)
    at.radio(key="tens_fm_range").set_value("map").run()
    assert_page_ok(at)
    # the image embedding: the top-5 cosine similarities with the committed samples' classifier inputs
    at.session_state["tens_tab"] = tr("en", "tens.tab.image_embedding")
    at.run()
    assert_page_ok(at)
    v = _features(model, x)
    cos = sorted(((float(F.cosine_similarity(v, _features(model, prepare(p.read_bytes(), p.name).tensor), 0)),
                   int(p.name.split("-")[0])) for p in models.samples()), reverse=True)[:5]
    table = at.dataframe[0].value
    assert [float(c) for c in table.iloc[:, 3]] == pytest.approx([c for c, _ in cos], abs=6e-5)
    assert list(table.iloc[:, 2]) == [models.class_names("en")[k] for _, k in cos]


def test_upsampling_widgets() -> None:
    data, name = sample_bytes(0)
    at = run_page("pages/upsampling.py", lang="en", image=data, image_name=name,  # AppTest formats options in en
                  state=tab_state("up_tab", "up.tab.real"))
    assert_page_ok(at)
    at.selectbox(key="up_layer").set_value("block1.pool").run()
    at.radio(key="up_scale").set_value(4).run()
    assert_page_ok(at)
    at.radio(key="up_kernel_kind").set_value("ones").run()
    at.radio(key="up_range").set_value("map").run()
    at.number_input(key="up_channel").set_value(15).run()
    assert_page_ok(at)
    # the printed output size of the transposed convolution is the one F.conv_transpose2d gives
    for k, p in ((8, 2), (3, 1), (5, 0), (1, 4)):
        at.slider(key="up_k").set_value(k)
        at.slider(key="up_p").set_value(p).run()
        assert_page_ok(at)
        n = 14  # block1.pool's maps
        real = F.conv_transpose2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=4, padding=p).shape[-1]
        line = next(m.value for m in at.markdown if m.value.startswith("Transposed convolution size"))
        formula, shown_real = line.split("**")[1], line.split("**")[3]
        assert numbers_in(formula)[-1] == real and numbers_in(shown_real) == [real]
