"""The ImageNet models: registry, the weights' own preprocessing, the hub cache, download, strict loading,
the offline message, own weights files, the CLI, and the Overview page for every listed model.

No network: conftest.py points TORCH_HOME at a temporary folder and switches downloads off; weights
files are written by the tests (random initialisation, ``weights=None`` architectures).
"""

from __future__ import annotations

import hashlib
import http.server
import io
import pickle
import threading
from pathlib import Path

import pytest
import torch
from PIL import Image

import models
from explain.imagenet_input import prepare_rgb
from explain.imaging import decode
from models import zoo
from tests.helpers import assert_page_ok, photo_bytes, run_page

ZOO = [s.name for s in zoo.ZOO]
PHOTO = models.photo_samples()[0]


def test_the_six_listed_models_and_their_files() -> None:
    assert {s.builder for s in zoo.ZOO} == {"alexnet", "vgg11", "resnet18", "mobilenet_v3_small", "squeezenet1_1",
                                           "efficientnet_b0"}
    for s in zoo.ZOO:
        assert zoo.weights_url(s).endswith("/" + zoo.weights_file(s))
        assert zoo.weights_file(s).startswith(s.builder.replace("_", "")[:5]) or s.builder in zoo.weights_file(s)
        assert len(zoo.categories(s)) == 1000
        card = zoo.meta(s)
        assert 0.5 < card["accuracy"]["top1"] < card["accuracy"]["top5"] < 1


def test_chinese_imagenet_names_pair_with_the_english_ones() -> None:
    en, zh = models.class_names("en", "imagenet"), models.class_names("zh", "imagenet")
    assert len(en) == len(zh) == 1000 and len(set(zh)) == 1000 and all(zh)
    assert en[281] == "tabby" and "猫" in zh[281]
    assert en[967] == "espresso"
    assert models.class_names("en", "fmnist")[9] == "Ankle boot"


@pytest.mark.parametrize("name", ["imagenet-resnet18", "imagenet-efficientnet_b0"])  # bilinear and bicubic
def test_preprocessing_equals_the_weights_own_transforms(name: str) -> None:
    from torchvision.models import get_weight

    s = zoo.spec(name)
    data = PHOTO.read_bytes()
    prepared = prepare_rgb(data, PHOTO.name, zoo.input_spec(s))
    img, _ = decode(data)
    reference = get_weight(s.weights).transforms()(img.convert("RGB"))
    assert prepared.tensor.shape == (1, 3, 224, 224)
    torch.testing.assert_close(prepared.tensor[0], reference, atol=1e-5, rtol=0)
    keys = [st.key for st in prepared.steps]
    assert keys == ["original", "to_rgb", "resize_short", "center_crop", "normalized"]
    resized = prepared.steps[2]
    assert min(resized.params["w"], resized.params["h"]) == 256
    assert prepared.pixels.shape == (224, 224, 3)


def test_grayscale_upload_is_repeated_into_three_channels() -> None:
    data = photo_bytes("PNG", mode="L")
    p = prepare_rgb(data, "gray.png", zoo.input_spec(zoo.spec("imagenet-resnet18")))
    assert p.steps[1].applied
    raw = p.tensor[0] * torch.tensor([0.229, 0.224, 0.225])[:, None, None] + torch.tensor([0.485, 0.456, 0.406])[
        :, None, None]
    torch.testing.assert_close(raw[0], raw[1], atol=1e-5, rtol=0)  # the same gray value in every channel


def test_weights_file_round_trip_and_strict_check(tmp_path: Path) -> None:
    s = zoo.spec("imagenet-squeezenet1_1")
    path = zoo.write_weights(s, seed=3, folder=tmp_path)
    assert path.name == zoo.weights_file(s)
    model = zoo.load_file(s, path)
    expected = torch.load(path, weights_only=True)
    for k, v in model.state_dict().items():
        assert torch.equal(v, expected[k])
    assert not model.training
    other = zoo.spec("imagenet-mobilenet_v3_small")
    with pytest.raises(zoo.WeightsError) as e:
        zoo.load_file(other, path)
    assert e.value.code == "mismatch" and "missing" in e.value.detail
    bad = dict(expected)
    bad["classifier.1.weight"] = torch.zeros(10, 512, 1, 1)  # a 10-class head: another shape
    torch.save(bad, tmp_path / "ten.pth")
    with pytest.raises(zoo.WeightsError, match="another shape"):
        zoo.load_file(s, tmp_path / "ten.pth")
    torch.save({"state_dict": expected, "epoch": 3}, tmp_path / "wrapped.pth")
    zoo.load_file(s, tmp_path / "wrapped.pth")  # the common training-script wrapper is unwrapped


class _Evil:
    ran = False

    def __reduce__(self):  # noqa: ANN204
        return (setattr, (_Evil, "ran", True))


def test_unsafe_or_broken_files_are_refused_without_running_code(tmp_path: Path) -> None:
    s = zoo.spec("imagenet-squeezenet1_1")
    evil = tmp_path / "evil.pth"
    torch.save({"x": _Evil()}, evil, pickle_module=pickle)
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"\x00not a torch file" * 100)
    for path in (evil, garbage):
        with pytest.raises(zoo.WeightsError) as e:
            zoo.load_file(s, path)
        assert e.value.code == "unreadable"
    assert not _Evil.ran
    torch.save([torch.zeros(3)], tmp_path / "list.pth")
    with pytest.raises(zoo.WeightsError) as e:
        zoo.load_file(s, tmp_path / "list.pth")
    assert e.value.code == "not_state_dict"
    with pytest.raises(zoo.WeightsError) as e:
        zoo.load_bytes(s, b"")
    assert e.value.code == "unreadable"


class _Server:
    """A local HTTP server for the download tests (no outside network)."""

    def __init__(self, folder: Path) -> None:
        handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(folder), **k)  # noqa: E731
        http.server.SimpleHTTPRequestHandler.log_message = lambda *a, **k: None
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def close(self) -> None:
        self.httpd.shutdown()


def test_download_shows_progress_checks_the_hash_and_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = zoo.spec("imagenet-squeezenet1_1")
    served = tmp_path / "served"
    src = zoo.write_weights(s, seed=5, folder=served)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    good, bad = f"squeezenet1_1-{digest[:8]}.pth", "squeezenet1_1-deadbeef.pth"
    src.rename(served / good)
    (served / bad).write_bytes((served / good).read_bytes())
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    with pytest.raises(zoo.WeightsMissing, match="CNN_LENS_OFFLINE"):  # conftest switches downloads off
        zoo.download(s)
    monkeypatch.delenv("CNN_LENS_OFFLINE")  # this test's server is local
    server = _Server(served)
    try:
        monkeypatch.setattr(zoo, "weights_url", lambda _s: server.url(bad))
        with pytest.raises(zoo.WeightsMissing, match="checksum"):
            zoo.download(s)
        assert not any(zoo.checkpoints_dir().iterdir())  # no partial or wrong file is left behind
        monkeypatch.setattr(zoo, "weights_url", lambda _s: server.url(good))
        seen: list[tuple[int, int]] = []
        path = zoo.download(s, progress=lambda d, t: seen.append((d, t)))
    finally:
        server.close()
    assert path == zoo.checkpoints_dir() / good and zoo.is_cached(s)
    assert seen and seen[-1][0] == seen[-1][1] == path.stat().st_size
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    model = zoo.load(s, allow_download=False)
    assert model(torch.zeros(1, 3, 224, 224)).shape == (1, 1000)


def test_cache_lookups_follow_the_folder_and_see_a_new_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """is_cached is asked on every page view: a miss looks again (a download may come), a hit is remembered by its
    path, and a change of TORCH_HOME is a new folder."""
    s = zoo.spec("imagenet-squeezenet1_1")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "a"))
    assert zoo.cached_path(s) == tmp_path / "a" / "hub" / "checkpoints" / zoo.weights_file(s)
    assert not zoo.is_cached(s) and zoo.cached_file(s) is None
    written = zoo.write_weights(s, seed=1)
    assert zoo.is_cached(s) and zoo.cached_file(s) == written
    info = next(m for m in models.zoo_infos() if m.name == s.name)
    assert info.path == written
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "b"))
    assert not zoo.is_cached(s)
    assert next(m for m in models.zoo_infos() if m.name == s.name).path is None
    assert zoo.weights_url(s) is zoo.weights_url(s)  # looked up once


def test_missing_weights_name_the_file_and_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    s = zoo.spec("imagenet-alexnet")
    with pytest.raises(zoo.WeightsMissing) as e:
        zoo.load(s)
    msg = str(e.value)
    assert zoo.weights_file(s) in msg and str(tmp_path) in msg and zoo.weights_url(s) in msg


def test_offline_page_says_so_and_the_fashion_models_keep_working(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    from ui.nav import PAGES

    data = PHOTO.read_bytes()
    for page in [p.path for p in PAGES]:  # every page: the message, and no exception
        at = run_page(page, model="imagenet-vgg11", image=data, image_name="cat.jpg")
        assert not at.exception
        text = " ".join(e.value for e in (*at.error, *at.markdown))
        assert "vgg11-8a719046.pth" in text and str(tmp_path / "empty") in text
        assert "could not be downloaded" in at.error[0].value
    at.button[0].click().run()  # "Use tinyvgg-relu instead"
    assert_page_ok(at)
    assert at.session_state["cfg_model"] == models.DEFAULT_MODEL


def test_offline_message_in_chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    at = run_page("pages/overview.py", lang="zh", model="imagenet-resnet18")
    assert not at.exception and "无法下载" in at.error[0].value


@pytest.mark.parametrize("name", ZOO)
def test_overview_with_each_imagenet_model(name: str, zoo_weights: dict[str, Path]) -> None:
    from torchvision.models import get_weight

    s = zoo.spec(name)
    data = PHOTO.read_bytes()
    at = run_page("pages/overview.py", model=name, image=data, image_name=PHOTO.name, timeout=300)
    assert_page_ok(at)
    # the prediction in the sidebar equals an independent run: torchvision's own transforms + the weights file
    ref = zoo.load_file(s, zoo_weights[name])
    img, _ = decode(data)
    with torch.no_grad():
        probs = torch.softmax(ref(get_weight(s.weights).transforms()(img.convert("RGB"))[None]), 1)[0]
    top = int(probs.argmax())
    label = models.class_names("en", "imagenet")[top]
    assert any(label in c.value and f"{float(probs[top]):.1%}" in c.value for c in at.sidebar.caption)
    assert any("ImageNet-1K" in m.value for m in at.markdown)


def test_sidebar_lists_the_imagenet_models_and_marks_missing_ones(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    at = run_page("pages/overview.py")
    box = at.sidebar.selectbox(key="model")
    assert set(ZOO) <= set(box.options) or any("ResNet-18" in o for o in box.options)
    assert any("not downloaded" in o for o in box.options)


def test_own_weights_file_becomes_the_session_model(zoo_weights: dict[str, Path]) -> None:
    from streamlit.testing.v1 import AppTest

    def script() -> None:
        import streamlit as st

        from ui.weights import use_own_weights

        path = st.session_state["path"]
        with open(path, "rb") as f:
            st.session_state["made"] = use_own_weights("imagenet-squeezenet1_1", f.read(), "mine.pth")

    at = AppTest.from_function(script)
    at.session_state["path"] = str(zoo_weights["imagenet-squeezenet1_1"])
    at.run()
    assert not at.exception
    name = at.session_state["made"]
    assert at.session_state["cfg_model"] == name
    model, card = at.session_state["session_models"][name]
    assert card["own_file"] == "mine.pth" and card["family"] == "imagenet"
    expected = torch.load(zoo_weights["imagenet-squeezenet1_1"], weights_only=True)
    assert all(torch.equal(v, expected[k]) for k, v in model.state_dict().items())


def test_own_weights_through_the_uploader(zoo_weights: dict[str, Path]) -> None:
    at = run_page("pages/overview.py", image=PHOTO.read_bytes(), image_name=PHOTO.name)
    at.selectbox(key="own_arch").set_value("imagenet-squeezenet1_1").run()
    at.file_uploader(key="own_weights").set_value(("cat.pth", PHOTO.read_bytes(), "application/octet-stream")).run()
    assert not at.exception and "cannot be used" in at.error[0].value  # a JPEG is not a weights file
    data = zoo_weights["imagenet-squeezenet1_1"].read_bytes()
    at.file_uploader(key="own_weights").set_value(("mine.pth", data, "application/octet-stream")).run()
    assert_page_ok(at)
    name = at.session_state["cfg_model"]
    assert name.startswith("my-model-") and at.sidebar.selectbox(key="model").value == name
    assert at.session_state["session_models"][name][1]["own_file"] == "mine.pth"
    assert any(c.value.startswith("Prediction") for c in at.sidebar.caption)  # the page ran with the new model


def test_at_most_two_large_models_are_cached(zoo_weights: dict[str, Path]) -> None:
    from ui import state

    a = state._zoo_model("imagenet-squeezenet1_1")
    state._zoo_model("imagenet-mobilenet_v3_small")
    state._zoo_model("imagenet-resnet18")
    assert state._zoo_model("imagenet-squeezenet1_1") is not a  # evicted, loaded again


def test_cli_runs_an_imagenet_model_and_refuses_bad_weights(zoo_weights: dict[str, Path], tmp_path: Path) -> None:
    from explain.cli import main

    out, err = io.StringIO(), io.StringIO()
    assert main([str(PHOTO), "--model", "imagenet-resnet18", "--target", "tabby", "--json"], out, err) == 0
    import json

    r = json.loads(out.getvalue())
    assert r["target"] == {"index": 281, "label": "tabby", "loss": "logit"}
    assert r["input"]["tensor_shape"] == [1, 3, 224, 224] and len(r["predictions"]) == 10
    err = io.StringIO()
    code = main([str(PHOTO), "--model", "imagenet-mobilenet_v3_small", "--weights",
                 str(zoo_weights["imagenet-resnet18"])], io.StringIO(), err)
    assert code == 2 and err.getvalue().startswith("error: ") and "mismatch" in err.getvalue()
    assert err.getvalue().count("\n") == 1


def test_cli_offline_error_names_file_and_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from explain.cli import main

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    err = io.StringIO()
    assert main([str(PHOTO), "--model", "imagenet-alexnet"], io.StringIO(), err) == 2
    line = err.getvalue()
    assert line.startswith("error: ") and "alexnet-owt-7be5be79.pth" in line and str(tmp_path) in line
    assert line.count("\n") == 1


def test_cli_reports_the_real_size_of_a_too_big_file(tmp_path: Path) -> None:
    from explain.cli import main

    big = tmp_path / "big.png"
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    big.write_bytes(buf.getvalue() + b"\0" * (21 * 2**20))
    err = io.StringIO()
    assert main([str(big)], io.StringIO(), err) == 2
    assert "21.0 MB" in err.getvalue()


def test_weights_command_reports_cached_and_missing(zoo_weights: dict[str, Path], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # noqa: ANN001
    assert zoo.main(["imagenet-resnet18", "squeezenet1_1"]) == 0
    assert capsys.readouterr().out.count("already in the cache") == 2
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert zoo.main(["imagenet-alexnet", "nonsense"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(line.startswith("error: ") for line in err)
    assert "alexnet-owt-7be5be79.pth" in err[0] and str(tmp_path) in err[0] and "nonsense" in err[1]
