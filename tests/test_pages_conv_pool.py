"""AppTest of the Convolution and Pooling pages: sample, upload, every model, both languages, no image, every lazy tab.
The numbers the pages print are compared with an independent forward pass of the committed model on the same bytes
(models.load + explain.imaging.prepare): one output of the convolution against F.conv2d, a pooling window against
F.max_pool2d / F.avg_pool2d, the output-size formula against the shape F.conv2d returns, and the shift study against
shifted forwards computed here."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

import models
from models import data as fmnist
from tests.helpers import (
    MAX_PAYLOAD,
    PAGE_TABS,
    assert_page_ok,
    catalog_leaks,
    chart_payload,
    fmnist_reference,
    numbers_in,
    percent,
    photo_bytes,
    run_page,
    sample_bytes,
    tab_state,
)
from ui.i18n import tr

PAGES = ("pages/convolution.py", "pages/pooling.py")
MODEL_NAMES = [m.name for m in models.available()]

TABS = {page: PAGE_TABS[page] for page in PAGES}



def _widget(at, prefix: str):  # noqa: ANN001, ANN202 - AppTest, a widget
    """The one widget whose key starts with ``prefix`` (keys carry the layer and channel)."""
    found = [w for w in (*at.number_input, *at.slider, *at.selectbox) if (w.key or "").startswith(prefix)]
    assert len(found) == 1, (prefix, [w.key for w in found])
    return found[0]


def _block1(model: torch.nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """TinyVGG's first block, layer by layer, with F.conv2d and F.max_pool2d (not the modules' forward)."""
    b = model.block1
    with torch.no_grad():
        z1 = F.conv2d(x, b.conv1.weight, b.conv1.bias, padding=1)
        a1 = b.act1(z1)
        z2 = F.conv2d(a1, b.conv2.weight, b.conv2.bias, padding=1)
        a2 = b.act2(z2)
        return {"conv1": z1, "act1": a1, "conv2": z2, "act2": a2, "pool": F.max_pool2d(a2, 2, 2)}


def _assert_arithmetic(at, model: torch.nn.Module, x: torch.Tensor) -> None:  # noqa: ANN001
    """Kernel arithmetic of block1.conv1 (the default layer): z and f(z) at the chosen cell against F.conv2d."""
    ref = _block1(model, x)
    ch = int(_widget(at, "conv_arith_ch_block1.conv1").value)
    row = int(_widget(at, "conv_arith_row_block1.conv1_").value)
    col = int(_widget(at, "conv_arith_col_block1.conv1_").value)
    bias_line = next(m.value for m in at.markdown if "z = Σ + b" in m.value)
    total, bias, pre = numbers_in(bias_line.split("z = Σ + b =")[1])[:3]
    b = float(model.block1.conv1.bias.detach()[ch])
    assert bias == pytest.approx(b, abs=6e-6)
    assert total == pytest.approx(float(ref["conv1"][0, ch, row, col]) - b, abs=2e-5)
    assert pre == pytest.approx(float(ref["conv1"][0, ch, row, col]), abs=2e-5)
    act_line = next(m.value for m in at.markdown if "(z) = **" in m.value)
    assert numbers_in(act_line.split("(z) =")[1])[0] == pytest.approx(float(ref["act1"][0, ch, row, col]), abs=2e-5)


def _assert_pool_window(at, model: torch.nn.Module, x: torch.Tensor) -> None:  # noqa: ANN001
    """The window tab of block1.pool: the maximum, where it is, and the recorded output, against F.max_pool2d."""
    ref = _block1(model, x)
    ch = int(_widget(at, "pool_win_ch_block1.pool").value)
    i, j = int(_widget(at, "pool_win_i_block1.pool_").value), int(_widget(at, "pool_win_j_block1.pool_").value)
    text = next(m.value for m in at.markdown if m.value.startswith("The window holds"))
    n, value, r, c, recorded = numbers_in(text)[:5]
    window = ref["act2"][0, ch, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
    expected = float(ref["pool"][0, ch, i, j])
    assert n == 4 and float(window.max()) == expected
    assert value == pytest.approx(expected, rel=5e-4) and recorded == pytest.approx(expected, rel=5e-4)
    assert float(ref["act2"][0, ch, int(r), int(c)]) == expected and (int(r) // 2, int(c) // 2) == (i, j)


def _open_tab(page: str, name: str, tab: str):  # noqa: ANN202 - (AppTest, model, input)
    """``page`` with model ``name`` on sample 1, tab ``tab`` open, checked for errors and untranslated keys; with the
    committed model and its input prepared independently from the same bytes."""
    data, fname = sample_bytes(1)
    key = TABS[page][0]
    at = run_page(page, model=name, image=data, image_name=fname, state=tab_state(key, tab))
    assert_page_ok(at)
    assert not catalog_leaks(at)
    model, x, _ = fmnist_reference(data, fname, name)
    return at, model, x


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_convolution_arithmetic_with_each_model(name: str) -> None:
    at, model, x = _open_tab("pages/convolution.py", name, "conv.tab.arith")
    assert at.success, "the arithmetic should be shown as equal to the recorded output"
    _assert_arithmetic(at, model, x)
    assert chart_payload(at) < MAX_PAYLOAD


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_pooling_window_with_each_model(name: str) -> None:
    at, model, x = _open_tab("pages/pooling.py", name, "pool.tab.window")
    _assert_pool_window(at, model, x)
    ref = _block1(model, x)
    ch = int(_widget(at, "pool_win_ch_block1.pool").value)
    i, j = int(_widget(at, "pool_win_i_block1.pool_").value), int(_widget(at, "pool_win_j_block1.pool_").value)
    assert float(ref["pool"][0, ch, i, j]) == float(ref["pool"][0, ch].max())  # the default: the largest output
    assert chart_payload(at) < MAX_PAYLOAD



@pytest.mark.parametrize("page", PAGES)
def test_page_with_uploaded_photo_in_chinese(page: str) -> None:
    photo = photo_bytes(size=(800, 600))
    key, labels = TABS[page]
    at = run_page(page, lang="zh", image=photo, image_name="photo.jpg", state=tab_state(key, labels[1], "zh"))
    assert_page_ok(at)
    assert not catalog_leaks(at)
    assert at.title[0].value == ("卷积" if "convolution" in page else "池化")
    assert chart_payload(at) < MAX_PAYLOAD
    model, x, _ = fmnist_reference(photo, "photo.jpg", models.DEFAULT_MODEL)
    ref = _block1(model, x)
    if "convolution" in page:  # "加上偏置：z = Σ + b = … = **z**"
        ch = int(_widget(at, "conv_arith_ch_block1.conv1").value)
        row = int(_widget(at, "conv_arith_row_block1.conv1_").value)
        col = int(_widget(at, "conv_arith_col_block1.conv1_").value)
        line = next(m.value for m in at.markdown if "z = Σ + b" in m.value)
        assert numbers_in(line.split("z = Σ + b =")[1])[2] == pytest.approx(float(ref["conv1"][0, ch, row, col]),
                                                                            abs=2e-5)
    else:
        ch = int(_widget(at, "pool_win_ch_block1.pool").value)
        i, j = int(_widget(at, "pool_win_i_block1.pool_").value), int(_widget(at, "pool_win_j_block1.pool_").value)
        assert float(ref["pool"][0, ch, i, j]) == float(ref["pool"][0, ch].max())


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", PAGES)
def test_page_without_image_shows_prompt(page: str, lang: str) -> None:
    at = run_page(page, lang=lang)
    assert_page_ok(at)
    assert at.info, "a prompt to choose an image"
    if "convolution" in page:  # the padding & stride explorer needs no image: 7x7, k = 3, p = 1, s = 1 → 7
        assert len(at.get("plotly_chart")) == 1
        line = next(m.value for m in at.markdown if m.value.startswith("out = ⌊"))
        out = F.conv2d(torch.zeros(1, 1, 7, 7), torch.ones(1, 1, 3, 3), padding=1, stride=1).shape[-1]
        assert numbers_in(line.split("**")[1]) == [out]


def test_convolution_widgets() -> None:
    data, fname = sample_bytes(4)
    at = run_page("pages/convolution.py", image=data, image_name=fname, state={
        "conv_layer": "block2.conv2", "conv_range": "map", "conv_view": "post", "conv_play_kernel": "custom",
        "conv_oned_src": "noise", "conv_pad_n": 3, "conv_pad_k": 5, "conv_pad_p": 0,
    })
    assert_page_ok(at)
    assert "**block2.act2 · [1, 32, 14, 14]**" in [m.value for m in at.markdown]  # maps after the activation
    assert chart_payload(at) < MAX_PAYLOAD
    at.session_state["conv_tab"] = tr("en", "conv.tab.pad")
    at.run()
    assert_page_ok(at)
    assert at.warning  # the 5x5 kernel does not fit in the 3x3 input: explained, not crashed
    for n, k, p, s in ((9, 3, 1, 2), (8, 4, 2, 3)):  # the printed output size is the one F.conv2d gives
        at.slider(key="conv_pad_n").set_value(n)
        at.slider(key="conv_pad_k").set_value(k)
        at.slider(key="conv_pad_p").set_value(p)
        at.slider(key="conv_pad_s").set_value(s).run()
        assert_page_ok(at)
        out = F.conv2d(torch.zeros(1, 1, n, n), torch.ones(1, 1, k, k), padding=p, stride=s).shape[-1]
        line = next(m.value for m in at.markdown if m.value.startswith("out = ⌊"))
        assert numbers_in(line.split("**")[1]) == [out]
        assert at.slider(key=f"conv_pad_step_{n}_{k}_{p}_{s}").max == out * out  # one step per output cell
    at.session_state["conv_tab"] = tr("en", "conv.tab.oned")
    at.run()
    at.text_input(key="conv_oned_kernel").set_value("1, x, -1").run()
    assert not at.exception
    assert at.error and "x" in at.error[0].value  # a clear message, not a traceback
    at.text_input(key="conv_oned_kernel").set_value("-1, 2, -1").run()
    assert_page_ok(at)


def test_pooling_widgets() -> None:
    data, fname = sample_bytes(2)
    model, x, logits = fmnist_reference(data, fname, models.DEFAULT_MODEL)
    at = run_page("pages/pooling.py", lang="zh", image=data, image_name=fname, state={
        "pool_layer": "block2.pool", "pool_range": "global", "pool_k": 3, "pool_s": 1, "pool_dir": "diag",
        "pool_max_shift": 2, **tab_state("pool_tab", "pool.tab.numbers", "zh")})
    assert_page_ok(at)
    assert not at.success  # k = 3, s = 1 is not the layer's own setting: no "equals the layer" claim
    # "第一个窗口：最大值 = **m**，平均值 = (…) / 9 = **a**" against F.max_pool2d / F.avg_pool2d of block2.act2
    ch = int(_widget(at, "pool_win_ch_block2.pool").value)
    top, left = int(_widget(at, "pool_top_block2.pool_").value), int(_widget(at, "pool_left_block2.pool_").value)
    with torch.no_grad():
        b = model.block2
        a = b.act2(b.conv2(b.act1(b.conv1(model.block1(x)))))
    piece = a[:, ch:ch + 1, top:top + 4, left:left + 4]
    line = next(m.value for m in at.markdown if m.value.startswith("第一个窗口"))
    mx, avg = (float(v) for v in line.split("**")[1::2])
    assert mx == pytest.approx(float(F.max_pool2d(piece, 3, 1)[0, 0, 0, 0]), rel=5e-4)
    assert avg == pytest.approx(float(F.avg_pool2d(piece, 3, 1)[0, 0, 0, 0]), rel=5e-4)
    # the shift study, diagonal: the probability of the original class after moving the image by 1 and 2 pixels
    at.session_state["pool_tab"] = tr("zh", "pool.tab.shift")
    at.run()
    assert_page_ok(at)
    table = at.dataframe[0].value
    assert len(table) == 3  # shifts 0, 1, 2
    k = int(logits.argmax())
    bg = (0.0 - fmnist.MEAN) / fmnist.STD
    for s, (_, row) in enumerate(table.iterrows()):
        moved = F.pad(x, (s, 0, s, 0), value=bg)[..., :28, :28]  # down and right by s, background entering
        with torch.no_grad():
            p = torch.softmax(model(moved), 1)[0, k]
            before = b.act2(b.conv2(b.act1(b.conv1(model.block1(moved)))))
        assert percent(str(row.iloc[4])) == pytest.approx(float(p), abs=5.1e-4), s
        change = float((before - a).norm() / a.norm())
        assert percent(str(row.iloc[1])) == pytest.approx(change, abs=5.1e-4), s
