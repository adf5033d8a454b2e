"""AppTest of the Backpropagation page: no image, a sample, an upload, every model, both languages, bad input, every
lazy tab. The numbers the page prints are compared with independent computations: the bowl's formula, closed-form
gradient descent, torch.autograd.grad of the tiny network, of y = x² and of the model's loss on a private float64
copy, and finite differences computed here."""

from __future__ import annotations

import copy

import pytest
import torch
from torch.nn import functional as F

import models
from tests.helpers import (
    assert_page_ok,
    catalog_leaks,
    fmnist_reference,
    metric_value,
    numbers_in,
    photo_bytes,
    run_page,
    sample_bytes,
    tab_state,
)
from ui.i18n import tr

PAGE = "pages/backprop.py"
TABS = ("bp.tab.gradient", "bp.tab.chain", "bp.tab.scalar", "bp.tab.model")


def _charts(at) -> tuple[int, int]:  # noqa: ANN001 - AppTest
    return len(at.get("plotly_chart")), len(at.get("graphviz_chart"))


def _open(at, label_key: str, lang: str = "en") -> None:  # noqa: ANN001 - AppTest
    at.session_state["bp_tab"] = tr(lang, label_key)
    at.run()


def _bowl(w1: float, w2: float) -> float:
    return 0.5 * (w1 ** 2 + 8 * w2 ** 2)  # ½(λ₁w₁² + λ₂w₂²), λ = (1, 8)


def _assert_chain_table(at) -> None:  # noqa: ANN001 - AppTest
    """Every product of the chain-rule table against torch.autograd.grad of L = (w2·σ(w1·x + b1) + b2 − t)²."""
    v = {n: float(at.number_input(key=f"bp_tiny_{n}").value) for n in ("x", "w1", "b1", "w2", "b2", "t")}
    leaf = {n: torch.tensor(v[n], dtype=torch.float64, requires_grad=True) for n in ("x", "w1", "b1", "w2", "b2")}
    z1 = leaf["w1"] * leaf["x"] + leaf["b1"]
    h = torch.sigmoid(z1)
    y = leaf["w2"] * h + leaf["b2"]
    loss = (y - v["t"]) ** 2
    inner = {"∂L/∂y": y, "∂L/∂h": h, "∂L/∂z1": z1, **{f"∂L/∂{n}": t for n, t in leaf.items()}}
    ref = dict(zip(inner, (float(g) for g in torch.autograd.grad(loss, list(inner.values()))), strict=True))
    table = at.dataframe[0].value
    got = {str(r.iloc[0]): float(r.iloc[3]) for _, r in table.iterrows()}
    assert set(got) == set(ref)
    for name, g in ref.items():
        assert got[name] == pytest.approx(g, abs=1e-8), name  # printed with 8 decimals


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_image_shows_the_image_free_parts(lang: str) -> None:
    at = run_page(PAGE, lang=lang)  # the first tab: derivative and gradient on the bowl
    assert_page_ok(at)
    assert not catalog_leaks(at)
    assert _charts(at) == (2, 0)  # loss surface + loss per step
    w1, w2 = at.slider(key="bp_w1_bowl").value, at.slider(key="bp_w2_bowl").value
    assert float(metric_value(at, "f(w)")) == pytest.approx(_bowl(w1, w2), rel=5e-4)
    h = 1e-6  # the partial derivatives against central differences of the formula
    d1 = (_bowl(w1 + h, w2) - _bowl(w1 - h, w2)) / (2 * h)
    d2 = (_bowl(w1, w2 + h) - _bowl(w1, w2 - h)) / (2 * h)
    assert float(metric_value(at, "∂f/∂w₁")) == pytest.approx(d1, rel=5e-4)
    assert float(metric_value(at, "∂f/∂w₂")) == pytest.approx(d2, rel=5e-4)
    # each tab in a run of its own: AppTest re-evaluates the radios' translated labels in English between runs
    at = run_page(PAGE, lang=lang, state=tab_state("bp_tab", "bp.tab.chain", lang))
    assert_page_ok(at)
    assert _charts(at) == (0, 1)  # the tiny network's chain rule
    assert at.success  # chain rule matches autograd
    _assert_chain_table(at)
    at = run_page(PAGE, lang=lang, state=tab_state("bp_tab", "bp.tab.scalar", lang))
    assert_page_ok(at)
    assert any("scalar outputs" in c.value for c in at.code)  # the real RuntimeError
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)  # the default x and v
    (g_sum,) = torch.autograd.grad((x ** 2).sum(), x)
    (g_v,) = torch.autograd.grad(x ** 2, x, torch.tensor([1.0, 0.5, 0.0]))
    grads = [numbers_in(m.value) for m in at.markdown if m.value.startswith("x.grad = ")]
    assert grads == [g_sum.tolist(), g_v.tolist()]
    at = run_page(PAGE, lang=lang, state=tab_state("bp_tab", "bp.tab.model", lang))
    assert_page_ok(at)
    prompt = "本页讲解当前图片" if lang == "zh" else "This page explains the current image"
    assert any(prompt in i.value for i in at.info)


@pytest.mark.parametrize("name", [*(m.name for m in models.available()), "mlp-relu"])
def test_sample_with_every_model(name: str) -> None:
    """The model tab: the local step's gradient norms and the finite-difference numbers, recomputed here. The
    committed MLP is not among the sidebar's models: it is used as a session model (as a kept lab model is)."""
    data, fname = sample_bytes(1)  # a T-shirt the models are unsure about: ∂L/∂z is far above float32 rounding
    lang = "zh" if "sigmoid" in name else "en"
    state = tab_state("bp_tab", "bp.tab.model", lang)
    if name == "mlp-relu":
        card = {**models.info(name).card, "name": "mlp-relu-own"}
        state["session_models"] = {"mlp-relu-own": (models.load(name), card)}
    at = run_page(PAGE, model="mlp-relu-own" if name == "mlp-relu" else name, image=data, image_name=fname, lang=lang,
                  state=state)
    assert at.session_state["cfg_model"] == ("mlp-relu-own" if name == "mlp-relu" else name)  # not the default
    assert_page_ok(at)
    assert not catalog_leaks(at)
    assert _charts(at) == (1, 1)  # the finite-difference sweep, the model's computation graph
    assert any("float64" in m.label for m in at.metric)
    model, x, logits = fmnist_reference(data, fname, name)
    label = int(logits.argmax())  # defaults: the predicted class, cross-entropy
    # the default local layer is the classifier: it receives p − onehot(y) and passes back that times W
    assert at.selectbox(key="bp_local_layer").value == "classifier"
    twin = copy.deepcopy(model)
    seen: list[torch.Tensor] = []
    handle = twin.classifier.register_forward_pre_hook(lambda _m, args: seen.append(args[0]))
    try:
        out = twin(x)
    finally:
        handle.remove()
    (g_in,) = torch.autograd.grad(F.cross_entropy(out, torch.tensor([label])), seen[0])
    g_out = torch.softmax(logits.double(), 0) - F.one_hot(torch.tensor(label), 10).double()
    assert float(metric_value(at, tr(lang, "bp.local.out_norm"))) == pytest.approx(float(g_out.norm()), rel=2e-4)
    assert float(metric_value(at, tr(lang, "bp.local.in_norm"))) == pytest.approx(float(g_in.norm()), rel=2e-4)
    _assert_finite_difference(at, model, x, label, lang)


def _assert_finite_difference(at, model: torch.nn.Module, x: torch.Tensor, label: int, lang: str = "en") -> None:  # noqa: ANN001
    """L(w ± h) of the page's weight, on our own float64 copy, and autograd of that copy."""
    layer, param = at.selectbox(key="bp_fd_layer").value, None
    param = next(s.value for s in at.selectbox if (s.key or "").startswith(f"bp_fd_param_{layer}"))
    keys = sorted((n.key for n in at.number_input if (n.key or "").startswith(f"bp_fd_idx_{layer}_{param}_")),
                  key=lambda k: int(k.split("_")[-2]))
    index = tuple(int(at.number_input(key=k).value) for k in keys)
    h = float(next(s.value for s in at.select_slider if (s.key or "").startswith("bp_fd_h_")))
    twin = copy.deepcopy(model).double()
    p = twin.get_submodule(layer).get_parameter(param)
    assert len(index) == p.dim()
    x64, y = x.double(), torch.tensor([label])
    (g,) = torch.autograd.grad(F.cross_entropy(twin(x64), y), p)
    with torch.no_grad():
        w = float(p[index])
        p[index] = w + h
        lp = float(F.cross_entropy(twin(x64), y))
        p[index] = w - h
        lm = float(F.cross_entropy(twin(x64), y))
    # "L(w + h) = …, L(w − h) = …: (L(w + h) − L(w − h)) / (2h) = diff / (2 · h) = fd", 6 significant digits
    caption = next(c.value for c in at.caption if c.value.startswith("L(w + h) ="))
    shown_lp = numbers_in(caption.split("L(w + h) =")[1])[0]
    shown_lm = numbers_in(caption.split("L(w − h) =")[1])[0]
    shown_diff, two, shown_h, shown_fd = numbers_in(caption.rsplit("(2h) =", 1)[1])[:4]
    assert two == 2 and shown_h == h
    assert shown_lp == pytest.approx(lp, rel=5e-6)
    assert shown_lm == pytest.approx(lm, rel=5e-6)
    assert shown_diff == pytest.approx(lp - lm, rel=5e-6, abs=1e-15)
    assert shown_fd == pytest.approx((lp - lm) / (2 * h), rel=5e-6, abs=1e-12)
    assert float(metric_value(at, tr(lang, "bp.fd.fd"))) == pytest.approx((lp - lm) / (2 * h), rel=5e-6, abs=1e-12)
    assert float(metric_value(at, tr(lang, "bp.fd.autograd"))) == pytest.approx(float(g[index]), rel=5e-6, abs=1e-12)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_upload(lang: str) -> None:
    at = run_page(PAGE, lang=lang, image=photo_bytes(size=(1200, 900)), image_name="photo.jpg",
                  state=tab_state("bp_tab", "bp.tab.model", lang))
    assert_page_ok(at)
    assert not catalog_leaks(at)
    assert _charts(at) == (1, 1)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_tab_with_a_sample(lang: str) -> None:
    data, fname = sample_bytes(5)
    for label in TABS:
        at = run_page(PAGE, lang=lang, image=data, image_name=fname, state=tab_state("bp_tab", label, lang))
        assert_page_ok(at)
        assert not catalog_leaks(at), label


def test_widgets_change_the_numbers() -> None:
    data, fname = sample_bytes(0)
    at = run_page(PAGE, image=data, image_name=fname)
    assert_page_ok(at)
    # a learning rate above 2/λ_max = 0.25 diverges on the bowl: wᵢ ← (1 − ηλᵢ)ᵏ·wᵢ, the losses as printed
    at.select_slider(key="bp_lr_bowl").set_value(0.3).run()
    assert_page_ok(at)
    w0 = (at.slider(key="bp_w1_bowl").value, at.slider(key="bp_w2_bowl").value)
    k = at.slider(key="bp_steps").value
    f0, fk = numbers_in(at.warning[0].value)[:2]
    assert f0 == pytest.approx(_bowl(*w0), rel=5e-4)
    assert fk == pytest.approx(_bowl((1 - 0.3 * 1) ** k * w0[0], (1 - 0.3 * 8) ** k * w0[1]), rel=5e-4)
    assert fk > f0
    # the classifier's bias: finite difference and autograd agree, and equal our own
    _open(at, "bp.tab.model")
    at.selectbox(key="bp_fd_layer").set_value("classifier").run()
    at.selectbox(key="bp_fd_param_classifier").set_value("bias").run()
    assert_page_ok(at)
    assert float(metric_value(at, "relative error")) < 1e-4
    model, x, logits = fmnist_reference(data, fname, models.DEFAULT_MODEL)
    _assert_finite_difference(at, model, x, int(logits.argmax()))
    # the tiny network follows its inputs and still matches autograd
    _open(at, "bp.tab.chain")
    at.number_input(key="bp_tiny_w2").set_value(-3.0).run()
    assert_page_ok(at)
    assert at.success
    _assert_chain_table(at)


@pytest.mark.parametrize(("x", "v", "key", "kw"), [("1, abc", "1, 1", "bp.scalar.err.not_number", {"text": "1, abc"}),
                                                  ("1, 2, 3", "1, 2", "bp.scalar.err.length", {"n": 3})])
def test_bad_vector_gets_a_clear_error(x: str, v: str, key: str, kw: dict) -> None:
    at = run_page(PAGE, state={"bp_scalar_x": x, "bp_scalar_v": v, **tab_state("bp_tab", "bp.tab.scalar")})
    assert not at.exception
    assert [e.value for e in at.error] == [tr("en", key, **kw)]
