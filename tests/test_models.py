"""Every committed checkpoint: size, safe loading, its card, and its accuracy re-measured on the full
10,000-image Fashion-MNIST test set; class names; and the reproducibility of models/train.py."""

from __future__ import annotations

import json
import re

import pytest
import torch

import models
from models import data
from models import train as train_mod
from tests.helpers import NO_DATASET_ENV, fashion_mnist_present

INFOS = models.available(arch=None)
MAX_FILE_BYTES = 1_000_000
CARD_TOLERANCE = 0.001  # 0.1 percentage points


@pytest.fixture(scope="module")
def test_split() -> data.Split:
    """The full test set; a missing data set fails here (see tests.helpers.fashion_mnist_present)."""
    if not fashion_mnist_present():
        pytest.skip(f"Fashion-MNIST not installed and {NO_DATASET_ENV}=1: accuracy not re-measured")
    return data.load("test")


def test_family_is_committed() -> None:
    names = [m.name for m in INFOS]
    assert "tinyvgg-relu" in names and models.DEFAULT_MODEL in names
    assert len(names) == len(set(names))


@pytest.mark.parametrize("info", INFOS, ids=lambda m: m.name)
def test_checkpoint_file(info: models.ModelInfo) -> None:
    assert info.path is not None and info.path.stat().st_size <= MAX_FILE_BYTES
    state = torch.load(info.path, map_location="cpu", weights_only=True)  # no pickle code can run
    assert isinstance(state, dict) and all(isinstance(v, torch.Tensor) for v in state.values())
    model = models.build(info.arch, info.activation)
    model.load_state_dict(state, strict=True)
    loaded = models.load(info.name)
    assert not loaded.training
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in state.items())


@pytest.mark.parametrize("info", INFOS, ids=lambda m: m.name)
def test_card_fields(info: models.ModelInfo) -> None:
    card = info.card
    assert card["name"] == info.name == info.path.stem
    assert card["arch"] in ("tinyvgg", "mlp") and card["activation"] == info.activation
    d = card["data"]
    assert "Fashion-MNIST" in d["source"]
    assert d["train_size"] + d["val_size"] == 60_000 and d["val_size"] > 0 and d["test_size"] == 10_000
    assert isinstance(card["config"]["seed"], int)
    epochs = card["epochs"]
    assert isinstance(epochs, int) and epochs >= 1 and card["config"]["epochs"] == epochs
    assert 1 <= card["best_epoch"] <= epochs
    cfg = card["config"]  # models/train.py trains with Adam; the card's sentence states the config's own numbers
    assert card["optimizer"].startswith(f"Adam(lr={cfg['lr']}, weight_decay={cfg['weight_decay']}), "
                                        f"batch {cfg['batch_size']}, ")
    assert card["optimizer"].endswith(f" over {epochs} epochs")
    acc = card["accuracy"]
    assert all(0.0 <= acc[k] <= 1.0 for k in ("train", "val", "test"))
    per_class = card["per_class_test_accuracy"]
    cm = card["confusion_matrix"]
    assert len(per_class) == 10 and len(cm) == 10 and all(len(row) == 10 for row in cm)
    assert sum(map(sum, cm)) == d["test_size"]
    assert all(sum(row) == 1000 for row in cm)  # Fashion-MNIST's test set has 1,000 images per class
    for c in range(10):
        assert per_class[c] == pytest.approx(cm[c][c] / sum(cm[c]), abs=1e-6)
    assert sum(cm[c][c] for c in range(10)) / d["test_size"] == pytest.approx(acc["test"], abs=1e-6)
    curves = card["curves"]
    for k in ("train_loss", "train_acc", "val_loss", "val_acc"):
        assert len(curves[k]) == epochs and all(isinstance(v, float) for v in curves[k])
    assert card["training_seconds"] > 0
    model = models.load(info.name)
    assert card["parameters"] == sum(p.numel() for p in model.parameters())
    assert re.match(r"\d+\.\d+", card["torch_version"])
    assert card.get("why") and card.get("selection")


@pytest.mark.parametrize("info", INFOS, ids=lambda m: m.name)
def test_accuracy_matches_card(info: models.ModelInfo, test_split: data.Split) -> None:
    model = models.load(info.name)
    x, y = data.normalize(test_split.images), test_split.labels
    assert len(y) == 10_000
    with torch.inference_mode():
        pred = torch.cat([model(x[i:i + 500]).argmax(1) for i in range(0, len(x), 500)])
    acc = float((pred == y).float().mean())
    card = info.card
    assert abs(acc - card["accuracy"]["test"]) <= CARD_TOLERANCE, (acc, card["accuracy"]["test"])
    if info.name == "tinyvgg-relu":
        assert acc >= 0.920
    elif info.arch == "tinyvgg":
        assert acc >= 0.880
    # The card's confusion matrix is this model's, not a neighbour's (a few borderline flips allowed).
    cm = torch.zeros(10, 10, dtype=torch.int64)
    cm.index_put_((y, pred), torch.ones_like(y), accumulate=True)
    assert int((cm - torch.tensor(card["confusion_matrix"])).abs().sum()) <= 2 * CARD_TOLERANCE * len(y)
    assert torch.equal(torch.bincount(y, minlength=10), torch.tensor([sum(r) for r in card["confusion_matrix"]]))


def test_variants_trained_identically() -> None:
    """Users compare the TinyVGG variants: only the activation may differ in their training config."""
    cards = [m.card for m in models.available()]
    base = {k: v for k, v in cards[0]["config"].items() if k != "activation"}
    for card in cards[1:]:
        assert {k: v for k, v in card["config"].items() if k != "activation"} == base, card["name"]


def test_class_names_in_both_languages() -> None:
    en, zh = models.class_names("en"), models.class_names("zh")
    assert len(en) == len(zh) == 10 and len(set(en)) == len(set(zh)) == 10
    assert all(n.strip() for n in (*en, *zh))
    assert all(re.search(r"[\u4e00-\u9fff]", n) for n in zh)
    assert en[0] == "T-shirt/top" and en[9] == "Ankle boot"
    assert models.class_names("fr") == en  # unknown language: English


def test_each_entry_carries_its_family() -> None:
    """The family is decided where an entry is made: the committed checkpoints are Fashion-MNIST models, every
    listed torchvision model an ImageNet one, a session's model takes its card's."""
    from models import zoo

    assert {m.family for m in INFOS} == {models.FMNIST} and not any(m.is_imagenet for m in INFOS)
    zoo_infos = models.zoo_infos()
    assert [m.name for m in zoo_infos] == [s.name for s in zoo.ZOO]
    assert all(m.family == models.IMAGENET == zoo.FAMILY and m.is_imagenet for m in zoo_infos)
    assert models.info("imagenet-resnet18").family == models.IMAGENET
    assert models.info(models.DEFAULT_MODEL).family == models.FMNIST
    own = models.session_info("my-model-1", {**zoo.meta(zoo.spec("imagenet-alexnet")), "own_file": "a.pth"})
    lab = models.session_info("my-model-2", {"arch": "tinyvgg", "activation": "tanh"})
    assert (own.family, own.arch, own.path) == (models.IMAGENET, "alexnet", None)
    assert (lab.family, lab.arch, lab.activation) == (models.FMNIST, "tinyvgg", "tanh")
    assert models.card_family({"family": "something else"}) == models.FMNIST


def test_whole_model_counts_against_hand_made_layers() -> None:
    from torch import nn

    from explain.summary import hidden_units, n_parameters, param_formula

    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    assert n_parameters(mlp) == 784 * 64 + 64 + 64 * 10 + 10
    assert hidden_units(mlp, 256) == 64
    assert hidden_units(None, 256) == 256 and hidden_units(nn.Conv2d(1, 4, 3), 99) == 99
    assert n_parameters(models.load("mlp-relu")) == 235146
    conv, bare = nn.Conv2d(1, 16, 3), nn.Conv2d(3, 64, 7, bias=False)
    assert param_formula(tuple(conv.weight.shape), n_parameters(conv)) == "16 × 1 × 3 × 3 + 16"
    assert n_parameters(conv) == 16 * 1 * 3 * 3 + 16
    assert param_formula(tuple(bare.weight.shape), n_parameters(bare)) == "64 × 3 × 7 × 7"
    from explain.summary import layer_table, total_params
    from explain.trace import trace

    for name in ("mlp-relu", models.DEFAULT_MODEL):  # the Overview's "parameters in total" line
        model = models.load(name)
        rows = layer_table(trace(model, models.test_batch()[0][:1]))
        assert total_params(rows) == sum(p.numel() for p in model.parameters()), name


# --- reproducibility of models/train.py ---------------------------------------------------------------


def _small_load(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        full = {s: data.load(s) for s in ("train", "test")}
        small = {"train": data.Split(full["train"].images[:640], full["train"].labels[:640]),
                 "test": data.Split(full["test"].images[:200], full["test"].labels[:200])}
    except data.DatasetMissing:  # the test is about determinism: synthetic images do as well
        g = torch.Generator().manual_seed(0)
        small = {s: data.Split(torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8, generator=g),
                               torch.arange(n) % 10) for s, n in (("train", 640), ("test", 200))}
    monkeypatch.setattr(data, "load", lambda split="train": small[split])


def test_training_is_reproducible(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    _small_load(monkeypatch)
    cfg = train_mod.TrainConfig(epochs=1, val_size=128, batch_size=64, seed=5, threads=1)
    threads = torch.get_num_threads()
    try:
        cards = [train_mod.train(cfg, tmp_path / run, log=lambda _m: None) for run in ("a", "b")]
        other = train_mod.train(train_mod.TrainConfig(epochs=1, val_size=128, batch_size=64, seed=6, threads=1),
                                tmp_path / "c", log=lambda _m: None)
    finally:
        torch.set_num_threads(threads)
    a, b, c = (torch.load(tmp_path / r / "tinyvgg-relu.pt", weights_only=True) for r in "abc")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)  # same seed: bit-identical weights
    assert not all(torch.equal(a[k], c[k]) for k in a)  # another seed: other weights
    assert cards[0]["accuracy"] == cards[1]["accuracy"] and cards[0]["curves"] == cards[1]["curves"]
    assert other["config"]["seed"] == 6
    written = json.loads((tmp_path / "a" / "tinyvgg-relu.json").read_text())
    assert written["data"]["train_size"] == 640 - 128 and written["data"]["val_size"] == 128
    assert written["data"]["test_size"] == 200 and written["epochs"] == 1


def test_sample_id_of_every_committed_sample() -> None:
    """Class and copy read from each committed sample's name: the class's own name is written after its number
    ("0-t-shirt-top-1-test19.png" is class 0, T-shirt/top, copy 1)."""
    names = models.class_names("en", models.FMNIST)
    seen = set()
    for path in models.samples():
        cls, copy = models.sample_id(path.name)
        slug = re.sub(r"[^a-z0-9]+", "-", names[cls].lower()).strip("-")
        assert path.name.startswith(f"{cls}-{slug}-{copy}-test"), path.name
        seen.add((cls, copy))
    assert len(seen) == len(models.samples())
    assert models.sample_id("cat-chelsea.jpg") is None and models.sample_id("upload.png") is None
