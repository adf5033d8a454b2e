"""The CNN Lens model family: committed, really trained checkpoints with their JSON cards.

``available()`` lists the checkpoints in ``models/weights`` (each ``<name>.pt`` beside ``<name>.json``);
``load(name)`` returns the model in eval mode on the CPU, loaded with ``weights_only=True``.
Besides this Fashion-MNIST family, :mod:`models.zoo` lists torchvision's pretrained ImageNet
classifiers (names ``imagenet-…``); ``zoo_infos()`` describes them, whether or not their weights
are in the hub cache yet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from models import zoo
from models.arch import ACTIVATIONS, MLP, TinyVGG

WEIGHTS_DIR = Path(__file__).parent / "weights"
SAMPLES_DIR = Path(__file__).parent / "samples"
BATCH_PATH = SAMPLES_DIR / "test_batch.npz"

CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    "zh": ("T恤/上衣", "裤子", "套头衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴"),
}
DEFAULT_MODEL = "tinyvgg-relu"

Family = Literal["fmnist", "imagenet"]
FMNIST: Family = "fmnist"  # 28x28 gray images, 10 classes
IMAGENET: Family = zoo.FAMILY  # 224x224 RGB photos, 1000 classes


def card_family(card: dict[str, Any]) -> Family:
    """The family a card names (``"family": "imagenet"`` in the ImageNet models' cards); Fashion-MNIST otherwise."""
    return IMAGENET if card.get("family") == IMAGENET else FMNIST


@dataclass(frozen=True)
class ModelInfo:
    """A model entry: its name, architecture, activation, weights file, card and family.

    ``family`` is decided once, where the entry is made (the committed checkpoints, the ImageNet registry, a
    session's own model from its card); everything that depends on it (preprocessing, class names, what a page
    shows) reads this field.
    """

    name: str
    arch: str  # "tinyvgg", "mlp", or a torchvision builder such as "resnet18"
    activation: str
    path: Path | None  # None for a model trained in the app session (not on disk)
    card: dict[str, Any]
    family: Family = FMNIST

    @property
    def is_imagenet(self) -> bool:
        return self.family == IMAGENET

    @property
    def title(self) -> str:
        return str(self.card.get("title", self.name))

    @property
    def test_accuracy(self) -> float:
        """Test accuracy from the card (validation accuracy for a session model without a test run;
        ImageNet top-1 validation accuracy for the torchvision models)."""
        acc = self.card.get("accuracy", {})
        return float(acc.get("test", acc.get("val", acc.get("top1", float("nan")))))


def class_names(lang: str = "en", family: str = FMNIST) -> tuple[str, ...]:
    """Class names of a model family in ``lang`` (ImageNet: the weights' ``meta["categories"]``)."""
    if family == IMAGENET:
        return imagenet_names(lang)
    return CLASS_NAMES.get(lang, CLASS_NAMES["en"])


@lru_cache(maxsize=2)
def imagenet_names(lang: str = "en") -> tuple[str, ...]:
    """The 1000 ImageNet-1K categories (English from torchvision's weights meta; Chinese from a committed list)."""
    en = zoo.categories(zoo.ZOO[0])
    if lang == "zh":
        try:
            from models.imagenet_zh import NAMES
        except ImportError:  # pragma: no cover - the list is committed
            return en
        if len(NAMES) == len(en):
            return tuple(NAMES)
    return en


def zoo_infos() -> list[ModelInfo]:
    """The listed torchvision ImageNet classifiers (``path`` is the cache file, or None when not downloaded)."""
    return [ModelInfo(s.name, s.builder, "", zoo.cached_file(s), zoo.meta(s), IMAGENET) for s in zoo.ZOO]


def session_info(name: str, card: dict[str, Any]) -> ModelInfo:
    """The entry of a model made in an app session (a training-lab run, an uploaded weights file): not on disk,
    its family from its card."""
    return ModelInfo(name, card.get("arch", "tinyvgg"), card.get("activation", "?"), None, card, card_family(card))


def build(arch: str, activation: str, seed: int | None = None) -> nn.Module:
    """A freshly initialised (untrained) model; ``seed`` makes the initialisation reproducible."""
    if seed is not None:
        gen_state = torch.random.get_rng_state()
        torch.manual_seed(seed)
    try:
        model = TinyVGG(activation) if arch == "tinyvgg" else MLP(activation=activation)
    finally:
        if seed is not None:
            torch.random.set_rng_state(gen_state)
    return model.eval()


@lru_cache(maxsize=1)
def _scan() -> tuple[ModelInfo, ...]:
    infos = []
    for card_path in sorted(WEIGHTS_DIR.glob("*.json")):
        pt = card_path.with_suffix(".pt")
        if not pt.exists():
            continue
        card = json.loads(card_path.read_text())
        infos.append(ModelInfo(card["name"], card["arch"], card["activation"], pt, card, card_family(card)))
    order = {a: i for i, a in enumerate(ACTIVATIONS)}
    return tuple(sorted(infos, key=lambda m: (m.arch != "tinyvgg", order.get(m.activation, 99), m.name)))


def available(arch: str | None = "tinyvgg") -> list[ModelInfo]:
    """Committed checkpoints (TinyVGG family first, in the course's activation order)."""
    return [m for m in _scan() if arch is None or m.arch == arch]


def info(name: str) -> ModelInfo:
    for m in (*_scan(), *(zoo_infos() if zoo.is_zoo(name) else ())):
        if m.name == name:
            return m
    raise KeyError(f"no committed model named {name!r}; available: {', '.join(m.name for m in _scan())}")


def load(name: str) -> nn.Module:
    """The committed checkpoint ``name`` (or a cached ImageNet model) in eval mode on the CPU."""
    if zoo.is_zoo(name):
        return zoo.load(zoo.spec(name), allow_download=False)
    i = info(name)
    model = build(i.arch, i.activation)
    state = torch.load(i.path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval()


def sample_id(name: str) -> tuple[int, str] | None:
    """(class, copy) from a sample's file name, "<class>-<label>-<copy>-test<i>.png": "3-dress-2-test29.png" →
    (3, "2"); None for a name not made that way."""
    parts = name.split("-")
    try:
        return int(parts[0]), parts[-2]
    except (ValueError, IndexError):
        return None


def samples() -> list[Path]:
    """The committed sample images (real Fashion-MNIST test images, two per class)."""
    return sorted(SAMPLES_DIR.glob("*.png"))


def photo_samples() -> list[Path]:
    """Committed real photographs (CC0 / public domain, see samples/photos/SOURCES.md) for the ImageNet models."""
    return sorted((SAMPLES_DIR / "photos").glob("*.jpg"))


def train_images() -> tuple[torch.Tensor, torch.Tensor, str]:
    """Fashion-MNIST's training split (uint8 images, labels, "fashion-mnist") when installed, else the 256
    committed test images (normalized, labels, "samples")."""
    from models import data

    if data.available():
        s = data.load("train")
        return s.images, s.labels, "fashion-mnist"
    x, y = test_batch()
    return x, y, "samples"


@lru_cache(maxsize=1)
def test_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """The committed batch of the first 256 Fashion-MNIST test images: (normalized [256,1,28,28], labels [256]).

    Read once per process and shared: callers must not change the tensors."""
    import numpy as np

    from models.data import normalize

    with np.load(BATCH_PATH) as z:
        images, labels = torch.from_numpy(z["images"]), torch.from_numpy(z["labels"]).long()
    return normalize(images), labels
