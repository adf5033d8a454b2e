"""The whole forward pass in one picture: the input, the layers' maps left to right, the class probabilities.

What is chosen, and why:

* **Columns.** Every call of a convolution, activation or pooling module whose output is a spatial map
  ([N, C, H, W] with H·W > 1) is a column, in the trace's execution order, which for these layers is the
  data-flow order. BatchNorm, dropout and the like are left out: they would add columns without a new idea,
  and each column must be a layer that a page of the course explains. Pooling to 1x1 (global average
  pooling) gives no map to look at and is left out too.
* **Stages.** A large network (more than :data:`MAX_COLUMNS` such layers: ResNet-18 has 38) does not fit in
  one picture. Its layers are grouped into stages and each stage gives one column, the output of its last
  such layer: the leaf modules before the first container module form the *stem* (ResNet's conv1, relu,
  maxpool); each top-level container module (ResNet's ``layer1``…``layer4``) is a stage, and a container
  that changes resolution inside (the ``features`` Sequential of VGG, AlexNet, MobileNet, EfficientNet) is
  cut between two of its blocks where the size of the blocks' output maps changes. A stage therefore ends
  where the network hands a new representation (a new resolution) to the next group of blocks.
* **Channels.** A column shows at most ``top_k`` of its channels: those with the largest mean activation
  s_c = (1/HW) Σ_{h,w} a[c, h, w], strongest first (:func:`explain.channels.channel_scores`). In the full
  view a column that applies a per-channel operation to the previous column's channels (activation,
  pooling) shows the *same* channels as that column, so that channel c can be followed through
  conv → activation → pooling.
* **Colours.** Thumbnails are coloured here (uint8 RGB) so that the browser gets pictures, not numbers.
  A column whose layer output has negative values uses a diverging map centred on 0 (blue < 0 < red, range
  ±max|a|); a non-negative one (ReLU outputs) a sequential map (viridis, range [0, max a]). One range per
  column: the same value looks the same in every thumbnail of a column. Maps larger than
  :data:`THUMB_SIDE` are block-averaged by an integer factor.
* **Vectors.** A model without spatial maps (an MLP) gets one column per Linear or activation layer except
  the last one (the logits are the class bars): the units of the layer as a grid of squares, row by row.
* **Classes.** The :data:`TOP_CLASSES` most probable classes of the first image, with their probabilities.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from explain import kinds
from explain.channels import channel_scores
from explain.trace import LayerRecord, Trace

# the kinds of each column, from the table of layer kinds (explain.kinds.TABLE)
CONV_KINDS = frozenset(kinds.of_family("conv"))
ACTIVATION_KINDS = frozenset(kinds.of_family("activation"))
POOL_KINDS = frozenset(kinds.of_family("pool"))
MAP_KINDS = CONV_KINDS | ACTIVATION_KINDS | POOL_KINDS
PER_CHANNEL_KINDS = ACTIVATION_KINDS | POOL_KINDS  # output channel c depends on input channel c only
VECTOR_KINDS = frozenset(kinds.of_family("linear")) | ACTIVATION_KINDS

MAX_COLUMNS = 12  # more map layers than this: one column per stage (TinyVGG has 10, AlexNet 14)
TOP_K = 8  # channels per column
THUMB_SIDE = 28  # larger maps are block-averaged to at most this side
TOP_CLASSES = 10

# Viridis (sequential) and RdBu reversed (diverging): the anchors of the colour scales the other pages'
# plotly heatmaps use, so that a thumbnail and a heatmap of the same map look alike.
VIRIDIS = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b",
           "#fde725")
RDBU_R = ("#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d",
          "#b2182b", "#67001f")
PAD_RGB = (235, 235, 235)  # empty cells of a unit grid


class NoColumnsError(ValueError):
    """The trace has no layer that can be drawn as a column (neither maps nor a hidden vector layer)."""


@dataclass(frozen=True, eq=False)
class Column:
    """One layer of the picture: which record, its shape and a few coloured thumbnails of its output."""

    key: str  # record key, e.g. "block1.conv1" or "layer1.1.relu#2"
    name: str  # module name
    kind: str  # module class, e.g. "Conv2d"
    stage: str | None  # stage label in the per-stage view ("stem", "layer1", "features.2–3"), else None
    shape: tuple[int, ...]  # the record's output shape, e.g. (1, 16, 28, 28)
    channels: tuple[int, ...]  # the channels shown, in display order (empty for a unit grid)
    n_channels: int  # channels (or units) of the layer
    thumbs: tuple[np.ndarray, ...]  # uint8 [h, w, 3], one per shown channel (one grid for a vector layer)
    signed: bool  # the layer's output has negative values: diverging colours
    vmin: float  # the colour range of this column
    vmax: float
    inherited: bool  # channels copied from the previous column (per-channel layer), not ranked anew
    units: bool  # a vector layer drawn as a grid of units
    layers: int = 1  # how many map layers the column stands for (a stage's layers; 1 in the full view)

    @property
    def title(self) -> str:
        """What the column is called in the picture: the stage in the per-stage view, else the record key."""
        return self.stage or self.key


@dataclass(frozen=True, eq=False)
class NetworkView:
    """The forward pass of the first image of a trace, ready to be drawn."""

    input: np.ndarray  # uint8 [H, W, 3], what the model sees (before normalisation when known)
    input_shape: tuple[int, ...]  # the model input's shape, e.g. (1, 1, 28, 28)
    columns: tuple[Column, ...]  # in forward order
    per_stage: bool  # True: one column per stage (a large network), not every layer
    n_map_layers: int  # how many conv / activation / pooling layers with maps the network has
    top_k: int  # at most this many channels per column
    classes: tuple[tuple[int, float], ...]  # (class, probability), most probable first
    n_classes: int
    output_key: str | None  # the record that produced the logits (the class bars link to it)

    @property
    def has_maps(self) -> bool:
        return any(not c.units for c in self.columns)


def _lut(colors: tuple[str, ...], n: int = 256) -> np.ndarray:
    """[n, 3] uint8: the colour scale's anchors interpolated linearly (RGB) at n even steps."""
    anchors = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in colors], dtype=np.float64)
    u, pos = np.linspace(0.0, 1.0, n), np.linspace(0.0, 1.0, len(colors))
    return np.rint(np.stack([np.interp(u, pos, anchors[:, i]) for i in range(3)], axis=1)).astype(np.uint8)


_SEQUENTIAL_LUT = _lut(VIRIDIS)
_DIVERGING_LUT = _lut(RDBU_R)


def colorize(values: np.ndarray, vmin: float, vmax: float, signed: bool) -> np.ndarray:
    """float [...] → uint8 [..., 3]: values mapped linearly from [vmin, vmax] onto 256 steps of the colour scale
    (diverging when ``signed``, else sequential). NaN (empty cells) becomes :data:`PAD_RGB`."""
    lut = _DIVERGING_LUT if signed else _SEQUENTIAL_LUT
    span = vmax - vmin if vmax > vmin else 1.0
    values = np.asarray(values, dtype=np.float32)
    nan = np.isnan(values)
    u = np.clip((np.where(nan, vmin, values) - vmin) / span, 0.0, 1.0)
    rgb = lut[np.rint(u * (len(lut) - 1)).astype(np.intp)]
    rgb[nan] = PAD_RGB
    return rgb


def block_mean(maps: np.ndarray, max_side: int = THUMB_SIDE) -> np.ndarray:
    """[C, H, W] → block means with the integer factor f = ⌈max(H, W)/max_side⌉ (edges padded by repetition)."""
    c, h, w = maps.shape
    f = math.ceil(max(h, w) / max_side) if max_side > 0 else 1
    if f <= 1:
        return maps
    ph, pw = (-h) % f, (-w) % f
    if ph or pw:
        maps = np.pad(maps, ((0, 0), (0, ph), (0, pw)), mode="edge")
    return maps.reshape(c, (h + ph) // f, f, (w + pw) // f, f).mean(axis=(2, 4))


def color_range(values: np.ndarray, signed: bool) -> tuple[float, float]:
    """±max|v| for signed data, [0, max v] otherwise (a flat zero column gets [0, 1])."""
    finite = values[np.isfinite(values)]
    top = float(np.abs(finite).max()) if finite.size else 0.0
    top = top or 1.0
    return (-top, top) if signed else (0.0, top)


def is_map(rec: LayerRecord) -> bool:
    """A conv / activation / pooling call whose output is a spatial map (H·W > 1)."""
    out = rec.output
    return rec.kind in MAP_KINDS and out.dim() == 4 and out.shape[2] * out.shape[3] > 1


def top_channels(out: torch.Tensor, k: int) -> tuple[int, ...]:
    """The k channels of ``out`` [C, H, W] with the largest mean activation, strongest first (stable ties)."""
    scores = channel_scores(out, "mean")
    order = torch.argsort(scores, descending=True, stable=True)
    return tuple(int(i) for i in order[:k])


def stages(records: list[LayerRecord]) -> list[tuple[str, list[LayerRecord]]]:
    """Group map records (in forward order) into stages; see the module docstring.

    The stem is the run of leaf top-level modules before the first container; each container (top-level
    module with children) is a stage, cut between its blocks (second name component, e.g. ``features.4``)
    where the size of a block's output map changes; a later leaf module is its own stage.
    """
    groups: list[tuple[str, str, list[LayerRecord]]] = []  # (group id, top-level name, records)
    seen_container = False
    for rec in records:
        top, dot, _ = rec.name.partition(".")
        if dot:
            seen_container = True
        gid = "stem" if not dot and not seen_container else top
        if groups and groups[-1][0] == gid:
            groups[-1][2].append(rec)
        else:
            groups.append((gid, top, [rec]))
    out: list[tuple[str, list[LayerRecord]]] = []
    for gid, top, recs in groups:
        if gid == "stem":
            out.append(("stem", recs))
            continue
        blocks: list[tuple[str, list[LayerRecord]]] = []  # (second name component, records)
        for rec in recs:
            sub = _sub_name(rec.name, top)
            if blocks and blocks[-1][0] == sub:
                blocks[-1][1].append(rec)
            else:
                blocks.append((sub, [rec]))
        runs: list[list[tuple[str, list[LayerRecord]]]] = []  # consecutive blocks with the same output size
        for block in blocks:
            size = tuple(block[1][-1].output.shape[2:])
            if runs and tuple(runs[-1][-1][1][-1].output.shape[2:]) == size:
                runs[-1].append(block)
            else:
                runs.append([block])
        if len(runs) == 1:
            out.append((top, recs))
            continue
        for run in runs:
            first, last = run[0][0], run[-1][0]
            out.append((f"{top}.{first}" if first == last else f"{top}.{first}–{last}",
                        [r for _, rs in run for r in rs]))
    return out


def _sub_name(name: str, top: str) -> str:
    rest = name[len(top) + 1:]
    return rest.split(".", 1)[0] if rest else top


def _input_rgb(trace: Trace, pixels: np.ndarray | None) -> np.ndarray:
    """What the model sees as uint8 RGB: the given pixels, else the input tensor scaled by its range."""
    if pixels is not None:
        img = np.asarray(pixels)
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        return np.ascontiguousarray(img.astype(np.uint8))
    x = trace.input[0].detach().float().cpu().numpy()
    lo, hi = float(x.min()), float(x.max())
    x = (x - lo) / (hi - lo if hi > lo else 1.0)
    img = np.rint(255 * x).astype(np.uint8).transpose(1, 2, 0)
    return np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img[..., :3]


def _map_column(rec: LayerRecord, channels: tuple[int, ...], stage: str | None, inherited: bool,
                layers: int = 1) -> Column:
    out = rec.output[0].detach().float()
    signed = bool(out.min() < 0)
    maps = block_mean(out[list(channels)].cpu().numpy())
    vmin, vmax = color_range(maps, signed)
    thumbs = tuple(colorize(maps, vmin, vmax, signed))
    return Column(rec.key, rec.name, rec.kind, stage, tuple(rec.output.shape), channels, int(out.shape[0]), thumbs,
                  signed, vmin, vmax, inherited, False, layers)


def unit_grid(values: np.ndarray) -> np.ndarray:
    """[n] → [rows, cols] row by row with cols = ⌈√n⌉, empty cells NaN."""
    n = values.size
    cols = max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / cols)
    grid = np.full(rows * cols, np.nan, dtype=np.float32)
    grid[:n] = values
    return grid.reshape(rows, cols)


def _unit_column(rec: LayerRecord) -> Column:
    v = rec.output[0].detach().float().reshape(-1).cpu().numpy()
    signed = bool(v.min() < 0)
    vmin, vmax = color_range(v, signed)
    grid = colorize(unit_grid(v), vmin, vmax, signed)
    return Column(rec.key, rec.name, rec.kind, None, tuple(rec.output.shape), (), int(v.size), (grid,), signed, vmin,
                  vmax, False, True)


def network_view(trace: Trace, *, pixels: np.ndarray | None = None, top_k: int = TOP_K,
                 per_stage: bool | None = None, max_columns: int = MAX_COLUMNS) -> NetworkView:
    """The picture's content for the first image of ``trace``.

    ``pixels``: the input as the user would see it (uint8 [H, W] or [H, W, 3], before normalisation); without
    it the input tensor is shown scaled to its range. ``per_stage``: None chooses one column per stage when
    the network has more than ``max_columns`` map layers.
    Raises :class:`NoColumnsError` when there is nothing to draw between input and output.
    """
    if top_k < 1:
        raise ValueError("top_k must be at least 1")
    maps = [r for r in trace.layers if is_map(r)]
    staged = len(maps) > max_columns if per_stage is None else per_stage
    columns: list[Column] = []
    if maps and staged:
        for label, recs in stages(maps):
            rec = recs[-1]
            columns.append(_map_column(rec, top_channels(rec.output[0], top_k), label, False, len(recs)))
    elif maps:
        prev: Column | None = None
        for rec in maps:
            c = int(rec.output.shape[1])
            inherit = prev is not None and rec.kind in PER_CHANNEL_KINDS and prev.n_channels == c
            chans = prev.channels if inherit and prev is not None else top_channels(rec.output[0], top_k)
            prev = _map_column(rec, chans, None, inherit)
            columns.append(prev)
    else:
        vectors = [r for r in trace.layers if r.kind in VECTOR_KINDS and r.output.dim() == 2]
        if vectors and tuple(vectors[-1].output.shape) == tuple(trace.logits.shape):
            vectors = vectors[:-1]  # the logits: drawn as the class bars
        columns = [_unit_column(r) for r in vectors]
    if not columns:
        raise NoColumnsError("the model has no convolution, activation, pooling or hidden linear layer to draw")
    last = trace.layers[-1] if trace.layers else None
    output_key = last.key if last is not None and tuple(last.output.shape) == tuple(trace.logits.shape) else None
    p, idx = trace.probs[0].topk(min(TOP_CLASSES, trace.probs.shape[1]))
    return NetworkView(
        input=_input_rgb(trace, pixels), input_shape=tuple(trace.input.shape), columns=tuple(columns),
        per_stage=bool(maps) and staged, n_map_layers=len(maps), top_k=top_k,
        classes=tuple((int(i), float(v)) for i, v in zip(idx, p, strict=True)), n_classes=int(trace.probs.shape[1]),
        output_key=output_key,
    )
