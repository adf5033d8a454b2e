"""The CNN Lens model family: committed, really trained checkpoints with their JSON cards.

``available()`` lists the checkpoints in ``models/weights`` (each ``<name>.pt`` beside ``<name>.json``);
``load(name)`` returns the model in eval mode on the CPU, loaded with ``weights_only=True``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
from torch import nn

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


@dataclass(frozen=True)
class ModelInfo:
    """A committed checkpoint: its name, architecture, activation and card."""

    name: str
    arch: str  # "tinyvgg" or "mlp"
    activation: str
    path: Path | None  # None for a model trained in the app session (not on disk)
    card: dict[str, Any]

    @property
    def test_accuracy(self) -> float:
        """Test accuracy from the card (validation accuracy for a session model without a test run)."""
        acc = self.card.get("accuracy", {})
        return float(acc.get("test", acc.get("val", float("nan"))))


def class_names(lang: str = "en") -> tuple[str, ...]:
    return CLASS_NAMES.get(lang, CLASS_NAMES["en"])


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
        infos.append(ModelInfo(card["name"], card["arch"], card["activation"], pt, card))
    order = {a: i for i, a in enumerate(ACTIVATIONS)}
    return tuple(sorted(infos, key=lambda m: (m.arch != "tinyvgg", order.get(m.activation, 99), m.name)))


def available(arch: str | None = "tinyvgg") -> list[ModelInfo]:
    """Committed checkpoints (TinyVGG family first, in the course's activation order)."""
    return [m for m in _scan() if arch is None or m.arch == arch]


def info(name: str) -> ModelInfo:
    for m in _scan():
        if m.name == name:
            return m
    raise KeyError(f"no committed model named {name!r}; available: {', '.join(m.name for m in _scan())}")


def load(name: str) -> nn.Module:
    """The committed checkpoint ``name`` in eval mode on the CPU."""
    i = info(name)
    model = build(i.arch, i.activation)
    state = torch.load(i.path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval()


def samples() -> list[Path]:
    """The committed sample images (real Fashion-MNIST test images, two per class)."""
    return sorted(SAMPLES_DIR.glob("*.png"))


def test_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """The committed batch of the first 256 Fashion-MNIST test images: (normalized [256,1,28,28], labels [256])."""
    import numpy as np

    from models.data import normalize

    with np.load(BATCH_PATH) as z:
        images, labels = torch.from_numpy(z["images"]), torch.from_numpy(z["labels"]).long()
    return normalize(images), labels
