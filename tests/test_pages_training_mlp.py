"""AppTest of the Training lab and Plain network vs CNN pages, and of a kept lab model on every page."""

from __future__ import annotations

import pytest
import torch

import models
from explain import training
from tests.helpers import assert_page_ok, catalog_leaks, photo_bytes, run_page, sample_bytes
from ui.nav import existing_pages

LAB = "pages/training_lab.py"
MLP_PAGE = "pages/mlp_vs_cnn.py"


def _charts(at) -> int:  # noqa: ANN001
    return len(at.get("plotly_chart"))


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


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_mlp_page_with_sample(lang: str) -> None:
    data, name = sample_bytes(3)
    at = run_page(MLP_PAGE, lang=lang, image=data, image_name=name)
    assert_page_ok(at)
    assert not catalog_leaks(at)
    # weights (1 or 2), batch shift curve, strip, probability curve
    assert _charts(at) >= 4
    assert len(at.dataframe) == 2
    if not models.available(arch="mlp"):
        assert any("mlp-relu" in i.value for i in at.info)


def test_mlp_page_upload_and_no_image() -> None:
    at = run_page(MLP_PAGE, image=photo_bytes(size=(1200, 700)), image_name="photo.jpg")
    assert_page_ok(at)
    assert _charts(at) >= 4
    at = run_page(MLP_PAGE)
    assert_page_ok(at)
    assert at.info  # the prompt for an image, after the parts that need none
    assert _charts(at) >= 2


@pytest.mark.parametrize("info", models.available(), ids=lambda i: i.name)
def test_mlp_page_every_model(info) -> None:  # noqa: ANN001
    data, name = sample_bytes(0)
    at = run_page(MLP_PAGE, model=info.name, image=data, image_name=name)
    assert_page_ok(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_training_lab_renders(lang: str) -> None:
    data, name = sample_bytes(5)
    at = run_page(LAB, lang=lang, image=data, image_name=name)
    assert_page_ok(at)
    assert not catalog_leaks(at)
    assert _charts(at) == 1  # the train/eval figure


def test_training_lab_dropout_demo() -> None:
    # Widget interaction in English only: AppTest formats the sidebar's model selectbox outside the script
    # run, where t() falls back to English (see the report: ui/sidebar.py should pass precomputed labels).
    data, name = sample_bytes(5)
    at = run_page(LAB, image=data, image_name=name)
    assert any("only the flag changes" in m.value for m in at.markdown)  # tinyvgg-relu: no dropout
    at.slider(key="train_demo_p").set_value(0.5).run()
    assert_page_ok(at)
    assert any("dropout" in c.value for c in at.caption)
    assert any("switched off" in m.value for m in at.markdown)


def test_training_lab_upload_no_image_and_models() -> None:
    at = run_page(LAB, image=photo_bytes(), image_name="p.jpg")
    assert_page_ok(at)
    at = run_page(LAB)
    assert_page_ok(at)
    assert at.info
    for info in models.available():
        data, name = sample_bytes(1)
        assert_page_ok(run_page(LAB, model=info.name, image=data, image_name=name))


def test_training_lab_tiny_run_keep_and_download() -> None:
    data, name = sample_bytes(2)
    at = run_page(LAB, image=data, image_name=name)
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


@pytest.fixture()
def fake_mlp(tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    """Until the real mlp-relu is committed: an untrained MLP checkpoint in a temporary weights folder."""
    import json
    import shutil

    import streamlit as st

    from models.arch import MLP

    for f in models.WEIGHTS_DIR.glob("tinyvgg-relu.*"):
        shutil.copy(f, tmp_path / f.name)
    torch.manual_seed(0)
    mlp = MLP()
    torch.save(mlp.state_dict(), tmp_path / "mlp-relu.pt")
    card = {"name": "mlp-relu", "arch": "mlp", "activation": "relu", "accuracy": {"test": 0.1},
            "parameters": sum(p.numel() for p in mlp.parameters())}
    (tmp_path / "mlp-relu.json").write_text(json.dumps(card))
    monkeypatch.setattr(models, "WEIGHTS_DIR", tmp_path)
    models._scan.cache_clear()
    st.cache_resource.clear()
    yield
    monkeypatch.undo()
    models._scan.cache_clear()
    st.cache_resource.clear()


def test_mlp_page_with_an_mlp(fake_mlp) -> None:  # noqa: ANN001
    assert [m.name for m in models.available(arch="mlp")] == ["mlp-relu"]
    data, name = sample_bytes(6)
    at = run_page(MLP_PAGE, lang="zh", image=data, image_name=name)
    assert_page_ok(at)
    assert not at.info
    assert _charts(at) == 5  # templates, kernels, batch curve, strip, probability curve
    table = at.dataframe[0].value
    assert "mlp-relu" in set(table.iloc[:, 0]) and 235146 in set(table.iloc[:, 2])
    flips = at.dataframe[1].value
    assert len(flips) == 8  # 2 models x 4 directions


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
