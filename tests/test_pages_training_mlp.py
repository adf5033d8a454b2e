"""AppTest of the Training lab and Plain network vs CNN pages, and of a kept lab model on every page."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

import models
from explain import training
from models import data as fmnist
from tests.helpers import (
    assert_page_ok,
    catalog_leaks,
    chart_specs,
    fmnist_reference,
    numbers_in,
    photo_bytes,
    plotly_array,
    run_page,
    sample_bytes,
    tab_state,
)
from ui.nav import existing_pages

LAB = "pages/training_lab.py"
MLP_PAGE = "pages/mlp_vs_cnn.py"
TABS = ("mlp.tab.params", "mlp.tab.weights", "mlp.tab.shift_batch", "mlp.tab.shift_image")


def _charts(at) -> int:  # noqa: ANN001
    return len(at.get("plotly_chart"))


def _lab(sample: int, **kw):  # noqa: ANN003, ANN202 - run_page's options; an AppTest
    """The Training lab with committed sample ``sample`` as the session's image."""
    data, name = sample_bytes(sample)
    return run_page(LAB, image=data, image_name=name, **kw)


@pytest.fixture(scope="module")
def session_model() -> dict:
    """A tiny lab run (with dropout) stored as ui.state.add_session_model stores it."""
    x, y = models.test_batch()
    settings = training.TrainSettings(n_images=200, epochs=1, batch_size=64, dropout=0.3)
    tr = training.Trainer(settings, training.split_data(x, y, settings, "samples"), step_sleep=0)
    tr.run()
    model = tr.model()
    name = "my-model-test0001"
    card = {**tr.card(), "name": name}
    return {"session_models": {name: (model, card)}, "cfg_model": name}


def _shift(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """x moved down by dy and right by dx pixels (negative: up / left), the background entering: F.pad and a crop."""
    bg = (0.0 - fmnist.MEAN) / fmnist.STD
    h, w = x.shape[-2:]
    padded = F.pad(x, (max(dx, 0), max(-dx, 0), max(dy, 0), max(-dy, 0)), value=bg)
    return padded[..., max(-dy, 0):max(-dy, 0) + h, max(-dx, 0):max(-dx, 0) + w]


def _batch_accuracy(model: torch.nn.Module, s: int) -> float:
    """Accuracy on the 256 committed test images shifted by s pixels, the mean of "right" and "down"."""
    x, y = models.test_batch()
    with torch.no_grad():
        return sum(float((model(_shift(x, dy, dx)).argmax(1) == y).float().mean())
                   for dy, dx in ((0, s), (s, 0))) / 2


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_mlp_page_every_tab_with_sample(lang: str) -> None:
    data, name = sample_bytes(3)
    assert [m.name for m in models.available(arch="mlp")] == ["mlp-relu"]  # committed: compared on this page
    for label in TABS:
        at = run_page(MLP_PAGE, lang=lang, image=data, image_name=name, state=tab_state("mlp_tab", label, lang))
        assert_page_ok(at)
        assert not catalog_leaks(at), label
        assert not at.info, label  # nothing is missing: the MLP is committed


def test_mlp_page_parameters() -> None:
    """The table's parameter counts against the models' own tensors (not their cards)."""
    data, name = sample_bytes(6)
    at = run_page(MLP_PAGE, lang="zh", image=data, image_name=name)
    assert_page_ok(at)
    table = at.dataframe[0].value
    counts = dict(zip(table.iloc[:, 0], table.iloc[:, 2], strict=True))
    assert set(counts) == {m.name for m in models.available(arch=None)}
    for model_name, n in counts.items():
        assert n == sum(p.numel() for p in models.load(model_name).parameters()), model_name
    assert counts["mlp-relu"] == 235146


def test_mlp_page_shift_numbers() -> None:
    """Accuracy of the shifted test batch and the predictions of the shifted image, against forwards done here."""
    data, name = sample_bytes(6)
    at = run_page(MLP_PAGE, image=data, image_name=name, state=tab_state("mlp_tab", "mlp.tab.shift_batch"))
    assert_page_ok(at)
    mlp, cnn = models.load("mlp-relu"), models.load(models.DEFAULT_MODEL)
    caption = next(c.value for c in at.caption if c.value.startswith("At 4 pixels"))
    _, mlp_acc, mlp_drop, cnn_acc, cnn_drop = numbers_in(caption)[:5]
    for model, acc, drop in ((mlp, mlp_acc, mlp_drop), (cnn, cnn_acc, cnn_drop)):
        a0, a4 = _batch_accuracy(model, 0), _batch_accuracy(model, 4)
        assert acc / 100 == pytest.approx(a4, abs=5.1e-4)
        assert -drop == pytest.approx(100 * (a0 - a4), abs=0.051)  # "(−49.0 pp)"
    at = run_page(MLP_PAGE, image=data, image_name=name, state=tab_state("mlp_tab", "mlp.tab.shift_image"))
    assert_page_ok(at)
    _, x, _ = fmnist_reference(data, name, models.DEFAULT_MODEL)
    names = models.class_names("en")
    table = at.dataframe[0].value
    assert len(table) == 8  # 2 models x 4 directions
    steps = {"right": (0, 1), "left": (0, -1), "down": (1, 0), "up": (-1, 0)}
    for _, row in table.iterrows():
        model_name, direction = (p.strip() for p in str(row.iloc[0]).split("·"))
        model = mlp if model_name == "mlp-relu" else cnn
        dy, dx = steps[direction]
        with torch.no_grad():
            preds = [int(model(_shift(x, dy * s, dx * s)).argmax()) for s in range(5)]
        shown = [str(v) for v in row.iloc[1:]]
        assert [v.removesuffix(" ✗") for v in shown] == [names[k] for k in preds], row.iloc[0]
        assert [v.endswith("✗") for v in shown] == [k != preds[0] for k in preds], row.iloc[0]


def test_mlp_page_upload_and_no_image() -> None:
    at = run_page(MLP_PAGE, image=photo_bytes(size=(1200, 700)), image_name="photo.jpg",
                  state=tab_state("mlp_tab", "mlp.tab.shift_image"))
    assert_page_ok(at)
    assert _charts(at) == 1  # the probability curve (the strip is a picture)
    at = run_page(MLP_PAGE, state=tab_state("mlp_tab", "mlp.tab.shift_batch"))
    assert_page_ok(at)
    assert _charts(at) == 1  # the batch needs no image
    at = run_page(MLP_PAGE, state=tab_state("mlp_tab", "mlp.tab.shift_image"))
    assert_page_ok(at)
    assert at.info  # the prompt for an image


@pytest.mark.parametrize("info", models.available(), ids=lambda i: i.name)
def test_mlp_page_every_model(info) -> None:  # noqa: ANN001
    data, name = sample_bytes(0)
    at = run_page(MLP_PAGE, model=info.name, image=data, image_name=name, state=tab_state("mlp_tab",
                                                                                           "mlp.tab.shift_image"))
    assert_page_ok(at)
    assert at.session_state["cfg_model"] == info.name
    assert f"{info.name} · right" in set(at.dataframe[0].value.iloc[:, 0])  # the chosen CNN is compared


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_training_lab_renders(lang: str) -> None:
    at = _lab(5, lang=lang)
    assert_page_ok(at)
    assert not catalog_leaks(at) and _charts(at) == 1  # the train/eval figure


def test_training_lab_dropout_demo() -> None:
    # Widget interaction in English only: AppTest formats the sidebar's model selectbox outside the script
    # run, where t() falls back to English (see the report: ui/sidebar.py should pass precomputed labels).
    data, name = sample_bytes(5)
    at = _lab(5)
    assert any("only the flag changes" in m.value for m in at.markdown)  # tinyvgg-relu: no dropout
    _, _, logits = fmnist_reference(data, name, models.DEFAULT_MODEL)
    bars = {d["name"]: plotly_array(d["y"]) for d in chart_specs(at)[0]["data"]}
    assert set(bars) == {"train() #1", "train() #2", "eval() #1", "eval() #2"}
    for v in bars.values():  # no dropout: all four passes are the model's own softmax
        assert v == pytest.approx(torch.softmax(logits.double(), 0).numpy(), abs=1e-4)
    at.slider(key="train_demo_p").set_value(0.5).run()
    assert_page_ok(at)
    assert any("dropout" in c.value for c in at.caption)
    assert any("switched off" in m.value for m in at.markdown)
    bars = {d["name"]: plotly_array(d["y"]) for d in chart_specs(at)[0]["data"]}
    for k in ("eval() #1", "eval() #2"):  # eval mode: dropout off, the model's own softmax
        assert bars[k] == pytest.approx(torch.softmax(logits.double(), 0).numpy(), abs=1e-4)
    assert bars["train() #1"] != pytest.approx(bars["eval() #1"], abs=1e-4)  # train mode drops units
    assert bars["train() #1"].sum() == pytest.approx(1.0, abs=1e-3)


def test_training_lab_upload_no_image_and_models() -> None:
    at = run_page(LAB, image=photo_bytes(), image_name="p.jpg")
    assert_page_ok(at)
    at = run_page(LAB)
    assert_page_ok(at)
    assert at.info
    for info in models.available():
        assert_page_ok(_lab(1, model=info.name))


def test_training_lab_tiny_run_keep_and_download() -> None:
    at = _lab(2)
    n_min = at.slider(key="train_n").min
    at.slider(key="train_n").set_value(n_min)
    at.slider(key="train_epochs").set_value(1)
    at.slider(key="train_dropout").set_value(0.2)
    submit = [b for b in at.button if b.label.startswith("Start training")]
    submit[0].click().run()
    assert_page_ok(at)
    trainer = at.session_state["train_lab_trainer"]
    assert trainer.settings.n_images == n_min and trainer.settings.epochs == 1
    assert trainer.join(timeout=60)
    at.run()
    assert_page_ok(at)
    assert trainer.progress().status == "done"
    assert any("Finished after 1 epochs" in s.value for s in at.success)
    keep = [b for b in at.button if b.key == "train_keep"]
    keep[0].click().run()
    assert_page_ok(at)
    own = at.session_state["session_models"]
    (kept_name,) = own
    assert at.session_state["cfg_model"] == kept_name
    model, card = own[kept_name]
    assert card["name"] == kept_name and card["epochs"] == 1 and card["dropout"] == 0.2
    assert torch.equal(model.block1.conv1.weight[:, 0], torch.from_numpy(trainer.progress().kernels[-1]))
    # the demo now uses the kept model's own dropout
    assert any("0.2" in c.value for c in at.caption)


def test_kept_model_traces_on_every_page(session_model: dict) -> None:
    data, name = sample_bytes(4)
    pages = ["pages/overview.py", *[p.path for p in existing_pages() if p.path != "pages/overview.py"]]
    for page in pages:
        at = run_page(page, image=data, image_name=name, state=session_model)
        assert_page_ok(at)
        assert at.session_state["cfg_model"] == session_model["cfg_model"], page


def test_training_lab_without_the_dataset(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """No Fashion-MNIST: the page says how to get it and trains on the 256 committed samples instead."""
    import streamlit as st

    from models import data as fmnist

    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path))
    st.cache_resource.clear()
    try:
        at = run_page(LAB)
        assert_page_ok(at)
        assert any(fmnist.INSTALL_HINT in w.value for w in at.warning)
        assert at.slider(key="train_n").max == 256
        at.slider(key="train_n").set_value(200)
        at.slider(key="train_epochs").set_value(1)
        next(b for b in at.button if b.label.startswith("Start training")).click().run()
        trainer = at.session_state["train_lab_trainer"]
        assert trainer.split.source == "samples"
        assert trainer.join(timeout=60)
        at.run()
        assert_page_ok(at)
        assert trainer.card()["data"]["test_size"] == 0 and "256 committed" in trainer.card()["data"]["source"]
    finally:
        monkeypatch.undo()
        st.cache_resource.clear()
