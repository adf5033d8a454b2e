"""Tensors and shapes: the image as an [N, C, H, W] tensor through the network, embeddings, and the code
that builds the model and the preprocessing.

Shape rules, computed from each layer's own configuration (never hard-coded):

* Conv2d and MaxPool2d/AvgPool2d, per spatial axis: out = ⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1
  (with d = 1 this is ⌊(n + 2p − k)/s⌋ + 1; ``ceil_mode`` rounds up); the channels become ``out_channels``
  for a convolution and stay for a pooling;
* AdaptiveAvgPool2d/AdaptiveMaxPool2d(output_size): the output is output_size whatever the input
  (an axis given as None keeps its size); the channels stay;
* Flatten(start_dim, end_dim): the axes start…end merge into one of size ∏ sizes (C·H·W);
* Linear: the last axis becomes ``out_features``;
* activations, dropout: the shape does not change.

Embeddings: ``nn.Embedding(V, D)`` is a learned table W ∈ ℝ^{V×D}; token id i gives the row W[i],
which is the same as one_hot(i) · W. The CNN's flattened features h (the input of the last Linear) play
the role of an image embedding; images are compared with the cosine similarity
cos(a, b) = a·b / (‖a‖ ‖b‖).

The committed samples are named ``<class>-<slug>-<n>-test<index>.png`` ("3-dress-2-test29.png": the second
dress, Fashion-MNIST test image 29): :func:`sample_class` reads the true class back from the name.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from explain import kinds, window
from explain.hooks import capture
from explain.imaging import MEAN, MODEL_SIZE, STD, object_box, pad_square, prepare
from explain.trace import Trace
from explain.window import pair as _pair

# --- the course's 2×3×4 example -------------------------------------------------------------------------

STUDENT_SCORES = (
    ((83, 76, 89, 91), (78, 84, 79, 85), (89, 92, 87, 94)),
    ((91, 87, 92, 89), (85, 88, 87, 90), (90, 93, 91, 94)),
)
#: Axis meanings of the scores tensor (catalog suffixes): axis 0 student, axis 1 subject, axis 2 exam.
SCORE_AXES = ("student", "subject", "exam")
SUBJECTS = ("math", "english", "pe")


def student_scores() -> torch.Tensor:
    """A[student, subject, exam]: 2 students × 3 subjects (math, English, PE) × 4 exams."""
    return torch.tensor(STUDENT_SCORES)


# --- shapes through the network -------------------------------------------------------------------------


@dataclass(frozen=True)
class ShapeStep:
    """How one layer changes the tensor's shape, predicted from its configuration."""

    key: str
    kind: str
    rule: str  # "conv", "pool", "flatten", "linear", "same", "other"
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]  # what the traced forward pass really produced
    predicted: tuple[int, ...]  # what the rule gives from the configuration
    formula: str  # the rule with this layer's numbers, e.g. "H: ⌊(28 + 2·1 − 3)/1⌋ + 1 = 28"
    params: dict[str, Any]  # the configuration values the rule used

    @property
    def matches(self) -> bool:
        return self.predicted == self.out_shape

    @property
    def numel(self) -> int:
        return math.prod(self.out_shape)


def window_out(n: int, k: int, s: int, p: int, d: int = 1, ceil_mode: bool = False) -> int:
    """Output length of a sliding window, :func:`window.output_size`: ⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1 (⌈…⌉ with
    ``ceil_mode``); 0 when the window does not fit."""
    try:
        return window.output_size(n, k, s, p, d, ceil_mode)
    except window.WindowError:
        return 0


def _window_formula(axis: str, n: int, k: int, s: int, p: int, d: int, out: int, ceil_mode: bool) -> str:
    """"H: ⌊(28 + 2·1 − 3)/1⌋ + 1 = 28", :func:`window.size_formula` for one axis (``out`` is its value)."""
    return f"{axis}: " + window.size_formula(n, k, s, p, d, ceil_mode)


def shape_step(key: str, kind: str, config: dict[str, Any], in_shape: tuple[int, ...],
               out_shape: tuple[int, ...]) -> ShapeStep:
    """Predict the output shape of one layer call from its configuration and input shape."""
    rule, formula, params = "other", "", {}
    kind_rule = kinds.shape_rule(kind)  # from the table of layer kinds; "other" for a kind it does not know
    predicted = out_shape
    if kind_rule in ("conv", "pool") and len(in_shape) == 4:
        k, s = _pair(config["kernel_size"]), _pair(config.get("stride") or config["kernel_size"])
        pad = config.get("padding", 0)
        d = _pair(config.get("dilation", 1))
        ceil_mode = bool(config.get("ceil_mode", False))
        p = window.leading_padding(pad, k, d)  # "same" keeps the size (stride 1), "valid" means no padding
        n, c, h, w = in_shape
        hw = [window_out((h, w)[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(2)]
        if kind_rule == "conv":
            rule, c = "conv", int(config["out_channels"])
        else:
            rule = "pool"
        predicted = (n, c, hw[0], hw[1])
        formula = "; ".join(_window_formula(a, (h, w)[i], k[i], s[i], p[i], d[i], hw[i], ceil_mode)
                            for i, a in enumerate("HW"))
        if kind_rule == "conv":
            formula = f"C: {in_shape[1]} → out_channels = {c}; " + formula
        params = {"k": k, "s": s, "p": p, "d": d}
    elif kind_rule == "adaptive" and len(in_shape) == 4:
        n, c, h, w = in_shape
        oh, ow = window.adaptive_size(config.get("output_size"), (h, w))
        rule, predicted = "adaptive", (n, c, oh, ow)
        formula = f"H: {h} → {oh}; W: {w} → {ow}"
        params = {"oh": oh, "ow": ow}
    elif kind_rule == "flatten":
        start, end = int(config.get("start_dim", 1)), int(config.get("end_dim", -1))
        nd = len(in_shape)
        a, b = start % nd, end % nd
        merged = in_shape[a:b + 1]
        predicted = in_shape[:a] + (math.prod(merged),) + in_shape[b + 1:]
        rule = "flatten"
        formula = " · ".join(str(v) for v in merged) + f" = {math.prod(merged)}"
        params = {"start_dim": start, "end_dim": end}
    elif kind_rule == "linear":
        rule = "linear"
        predicted = in_shape[:-1] + (int(config["out_features"]),)
        formula = f"{config['in_features']} → {config['out_features']}"
        params = {"in_features": config["in_features"], "out_features": config["out_features"]}
    elif kind_rule == "same":
        rule, predicted = "same", in_shape
    return ShapeStep(key, kind, rule, in_shape, out_shape, tuple(predicted), formula, params)


def shape_steps(trace: Trace) -> tuple[ShapeStep, ...]:
    """One :class:`ShapeStep` per traced layer call, in execution order."""
    out = []
    for rec in trace.layers:
        in_shape = tuple(rec.input.shape) if rec.input is not None else tuple(rec.output.shape)
        out.append(shape_step(rec.key, rec.kind, dict(rec.config), in_shape, tuple(rec.output.shape)))
    return tuple(out)


def tensor_choices(trace: Trace) -> dict[str, torch.Tensor]:
    """The tensors a user can index: the model input, then every layer's output (by record key)."""
    out: dict[str, torch.Tensor] = {"input": trace.input}
    for rec in trace.layers:
        out[rec.key] = rec.output
    return out


def first_feature_map(choices: dict[str, torch.Tensor]) -> str:
    """The first recorded [N, C, H, W] layer output of :func:`tensor_choices` ("input" when there is none)."""
    return next((k for k, v in choices.items() if v.dim() == 4 and k != "input"), "input")


# --- embeddings -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmbeddingDemo:
    """nn.Embedding's lookup on a tiny vocabulary: row i of the table is the vector of token i."""

    vocab: tuple[str, ...]
    ids: tuple[int, ...]  # the "sentence" as token ids
    table: torch.Tensor  # [V, D], the embedding's weight
    vectors: torch.Tensor  # [T, D], nn.Embedding(ids)
    via_one_hot: torch.Tensor  # [T, D], one_hot(ids) @ table: the same numbers

    @property
    def one_hot_diff(self) -> float:
        """max |nn.Embedding(ids) − one_hot(ids) @ W| (0: a lookup is a product with a one-hot vector)."""
        return float((self.vectors - self.via_one_hot).abs().max())


def embedding_demo(vocab: Sequence[str] = ("shirt", "shoe", "bag", "dress", "coat"),
                   sentence: Sequence[str] = ("bag", "shirt", "bag"), dim: int = 4, seed: int = 0) -> EmbeddingDemo:
    """Look ``sentence`` up in a freshly initialised (seeded) ``nn.Embedding(len(vocab), dim)``."""
    gen = torch.Generator().manual_seed(seed)
    emb = nn.Embedding(len(vocab), dim)
    with torch.no_grad():
        emb.weight.copy_(torch.randn(len(vocab), dim, generator=gen).round(decimals=2))
    ids = torch.tensor([list(vocab).index(w) for w in sentence])
    with torch.no_grad():
        vectors = emb(ids)
    one_hot = torch.nn.functional.one_hot(ids, len(vocab)).float()
    return EmbeddingDemo(tuple(vocab), tuple(int(i) for i in ids), emb.weight.detach().clone(), vectors,
                         one_hot @ emb.weight.detach())


@dataclass(frozen=True)
class ImageEmbedding:
    """The flattened features that enter the last Linear layer: the image's vector."""

    layer: str  # key of the last Linear layer (the classifier)
    vector: torch.Tensor  # [D]
    source_shape: tuple[int, ...] | None  # the shape before flattening, e.g. (1, 32, 7, 7), when there is one


def image_embedding(trace: Trace) -> ImageEmbedding:
    """h = the input of the last Linear layer of the traced forward pass (first image)."""
    linears = trace.of_kind("Linear")
    if not linears or linears[-1].input is None:
        raise ValueError("the model has no Linear layer")
    last = linears[-1]
    source = None
    for rec in trace.layers[:last.index][::-1]:
        if rec.kind == "Flatten" and rec.input is not None:
            source = tuple(rec.input.shape)
            break
    return ImageEmbedding(last.key, last.input[0].reshape(-1).clone(), source)


def embeddings(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The input of the model's last Linear call for a batch ``x`` [N, C, H, W] → [N, D] (no gradients)."""
    return _embeddings_and_logits(model, x)[0]


def _embeddings_and_logits(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(input of the last Linear call [N, D], the model's output [N, K]) in one forward pass without gradients."""
    with torch.no_grad(), capture(model) as tape:
        logits = model(x)
    linears = [c for c in tape.calls if isinstance(c.module, nn.Linear) and c.input is not None]
    if not linears:
        raise ValueError("the model has no Linear layer")
    inp = linears[-1].input
    assert inp is not None
    return inp.reshape(inp.shape[0], -1).clone(), logits.detach()


@dataclass(frozen=True)
class Neighbour:
    index: int  # row of the bank
    label: int  # class of that image
    name: str
    similarity: float  # cos(query, bank[index])


def cosine_similarities(query: torch.Tensor, bank: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """cos(q, b_i) = q·b_i / (max(‖q‖, ε) · max(‖b_i‖, ε)) for every row b_i of ``bank`` [M, D]."""
    q = query.double().reshape(-1)
    b = bank.double().reshape(bank.shape[0], -1)
    return (b @ q) / (b.norm(dim=1).clamp_min(eps) * q.norm().clamp_min(eps))


def nearest(query: torch.Tensor, bank: torch.Tensor, labels: Sequence[int], names: Sequence[str],
            k: int = 5) -> tuple[Neighbour, ...]:
    """The ``k`` rows of ``bank`` most similar to ``query``, most similar first."""
    sims = cosine_similarities(query, bank)
    order = torch.argsort(sims, descending=True)[:k]
    return tuple(Neighbour(int(i), int(labels[int(i)]), names[int(i)], float(sims[i])) for i in order)


# --- the committed samples ------------------------------------------------------------------------------


def sample_class(name: str, n_classes: int | None = None) -> int | None:
    """The class a sample's file name starts with ("3-dress-2-test29.png" → 3); None when the name does not start
    with a class number, or (given ``n_classes``) when that number is not a class 0 … n_classes − 1."""
    import models

    found = models.sample_id(name)
    if found is None:
        return None
    k = found[0]
    return k if n_classes is None or 0 <= k < n_classes else None


def committed_class(name: str, n_classes: int) -> int | None:
    """The true class of one of the committed Fashion-MNIST samples, read from its file name; None for any other
    name (an upload, even one named like a sample)."""
    import models

    if name not in {p.name for p in models.samples()}:
        return None
    return sample_class(name, n_classes)


def sample_bank(model: nn.Module, items: Sequence[tuple[str, bytes]]) -> tuple[
        torch.Tensor, tuple[int, ...], tuple[str, ...]]:
    """Embeddings [M, D] of the committed samples (name, bytes), each prepared as an upload is, with the true class
    their names carry: one batched forward pass without gradients."""
    labels = tuple(sample_class(name) for name, _ in items)
    if any(k is None for k in labels):
        raise ValueError("a sample's file name must start with its class number")
    xs = torch.cat([prepare(data, name).tensor for name, data in items])
    return embeddings(model, xs), labels, tuple(name for name, _ in items)  # type: ignore[return-value]


# --- nn.Sequential(*layers) and the model's own code -----------------------------------------------------


@dataclass(frozen=True)
class StarDemo:
    """``nn.Sequential(*layers)`` versus ``nn.Sequential(layers)``."""

    code: str
    with_star: str  # repr of the working Sequential
    without_star_error: str  # the TypeError torch raises without the star
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]


def star_demo() -> StarDemo:
    """Build the same 3-layer block with and without the star and run the working one on [1, 1, 28, 28]."""
    code = (
        "layers = [nn.Conv2d(1, 4, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]\n"
        "block = nn.Sequential(*layers)   # = nn.Sequential(layers[0], layers[1], layers[2])\n"
        "nn.Sequential(layers)            # one argument, a list: TypeError"
    )
    layers: list[nn.Module] = [nn.Conv2d(1, 4, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
    block = nn.Sequential(*layers)
    try:
        nn.Sequential(layers)  # type: ignore[arg-type]
        error = ""
    except TypeError as e:
        error = f"TypeError: {e}"
    x = torch.zeros(1, 1, MODEL_SIZE, MODEL_SIZE)
    with torch.no_grad():
        y = block(x)
    return StarDemo(code, repr(block), error, tuple(x.shape), tuple(y.shape))


def model_source(model: nn.Module) -> str:
    """The Python source of the model's class and of the module-level helpers it calls (e.g. ``_block``)."""
    cls = type(model)
    try:
        src = inspect.getsource(cls)
    except (OSError, TypeError):
        return repr(model)
    module = inspect.getmodule(cls)
    parts = [src]
    if module is not None:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and f"{name}(" in src:
                try:
                    parts.append(inspect.getsource(fn))
                except (OSError, TypeError):
                    continue
    return "\n\n".join(p.rstrip() for p in parts)


# --- transforms.Compose: the preprocessing as a pipeline -------------------------------------------------


class InvertIfLightBorder(nn.Module):
    """p' = 255 − p when the mean of the border pixels is above 127.5 (a dark object on a light background)."""

    def forward(self, img: Image.Image) -> Image.Image:
        gray = np.asarray(img)
        border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
        return Image.fromarray(255 - gray) if float(border.mean()) > 127.5 else img


class CropToObject(nn.Module):
    """Crop to the pixels ≥ 25 % of the brightest and pad to a black square (skipped for 28x28 input)."""

    def forward(self, img: Image.Image) -> Image.Image:
        gray = np.asarray(img)
        if gray.shape == (MODEL_SIZE, MODEL_SIZE):
            return img
        box = object_box(gray)
        if box is None:
            return Image.fromarray(pad_square(gray, margin=0.0))
        t, left, b, r = box
        return Image.fromarray(pad_square(gray[t:b, left:r]))


def preprocess_compose():  # noqa: ANN201 - torchvision's Compose
    """The upload pipeline of :mod:`explain.imaging` written as ``transforms.v2.Compose``."""
    from torchvision.transforms import InterpolationMode, v2

    return v2.Compose([
        v2.Grayscale(num_output_channels=1),  # Y = 0.299 R + 0.587 G + 0.114 B
        InvertIfLightBorder(),  # p' = 255 − p when the background is light
        CropToObject(),  # crop to the object, pad to a black square
        v2.Resize((MODEL_SIZE, MODEL_SIZE), interpolation=InterpolationMode.LANCZOS),  # → 28x28
        v2.PILToTensor(),  # uint8 [1, 28, 28]
        v2.ToDtype(torch.float32, scale=True),  # p / 255
        v2.Normalize(mean=[MEAN], std=[STD]),  # (x − μ) / σ
    ])


def preprocess_compose_imagenet(spec):  # noqa: ANN001, ANN201 - an InputSpec; torchvision's Compose
    """The ImageNet weights' preprocessing (:mod:`explain.imagenet_input`) written as ``transforms.v2.Compose``."""
    from torchvision.transforms import InterpolationMode, v2

    return v2.Compose([
        v2.PILToTensor(),  # uint8 [3, h, w]
        v2.Resize(spec.resize, interpolation=InterpolationMode(spec.interpolation), antialias=True),  # short side
        v2.CenterCrop(spec.crop),  # the centre crop×crop square
        v2.ToDtype(torch.float32, scale=True),  # p / 255
        v2.Normalize(mean=list(spec.mean), std=list(spec.std)),  # (x_c − μ_c) / σ_c per colour channel
    ])


COMPOSE_TOLERANCE = 1e-5  # float32 rounding: the two pipelines do the same arithmetic in another order


@dataclass(frozen=True)
class ComposeCheck:
    code: str  # the source of preprocess_compose
    tensor: torch.Tensor  # [1, 1, 28, 28] from the Compose pipeline
    max_abs_diff: float  # against the app's own tensor

    @property
    def same(self) -> bool:
        """The Compose pipeline gives the app's tensor: the largest difference is below ``COMPOSE_TOLERANCE``."""
        return self.max_abs_diff < COMPOSE_TOLERANCE


def compose_check(image: Image.Image, reference: torch.Tensor) -> ComposeCheck:
    """Run :func:`preprocess_compose` on ``image`` and compare with the app's tensor ``reference``."""
    out = preprocess_compose()(image).unsqueeze(0)
    diff = float((out - reference).abs().max()) if out.shape == reference.shape else float("inf")
    return ComposeCheck(inspect.getsource(preprocess_compose), out, diff)


def compose_check_imagenet(data: bytes, spec, reference: torch.Tensor) -> ComposeCheck:  # noqa: ANN001 - InputSpec
    """Decode the original upload ``data`` (same safety checks as the app), convert it to RGB, run
    :func:`preprocess_compose_imagenet` and compare with the app's tensor ``reference`` [1, 3, crop, crop]."""
    from explain.imaging import decode

    img, _ = decode(data)
    out = preprocess_compose_imagenet(spec)(img.convert("RGB")).unsqueeze(0)
    diff = float((out - reference).abs().max()) if out.shape == reference.shape else float("inf")
    return ComposeCheck(inspect.getsource(preprocess_compose_imagenet), out, diff)


def photo_bank(model: nn.Module, items: Sequence[tuple[str, bytes]], spec) -> tuple[  # noqa: ANN001 - InputSpec
        torch.Tensor, tuple[int, ...], tuple[str, ...]]:
    """Embeddings [M, D] of photos (name, bytes) for an ImageNet model, and each photo's class as the model
    predicts it (the photos carry no ImageNet label): one batched forward pass without gradients."""
    from explain.imagenet_input import prepare_rgb

    xs = torch.cat([prepare_rgb(data, name, spec).tensor for name, data in items])
    vectors, logits = _embeddings_and_logits(model, xs)
    return vectors, tuple(int(i) for i in logits.argmax(1)), tuple(name for name, _ in items)
