"""Attribution: which input pixels (or feature-map positions) the class score S_t depends on.

* Saliency: M = max_c |∂S_t/∂x_c|, the sensitivity of the score to each pixel, the largest over the colour
  channels c (Simonyan et al., 2014; one channel for the grayscale models).
* Gradient × input: M = x ⊙ ∂S_t/∂x, a first-order estimate of each pixel's contribution (signed).
* SmoothGrad: M = (1/n) Σⱼ ∂S_t/∂x |_{x + εⱼ}, εⱼ ~ N(0, σ²), σ a fraction of the input's range
  (Smilkov et al., 2017): averaging removes the gradient's pixel-level noise.
* Grad-CAM on a layer with maps A_k (Selvaraju et al., 2017):
  :math:`\\alpha_k = \\frac{1}{HW}\\sum_{i,j} \\partial S_t/\\partial A_k[i,j]`,
  :math:`L = \\mathrm{ReLU}(\\sum_k \\alpha_k A_k)`, upsampled bilinearly to the input size.
* Model randomization check (Adebayo et al., 2018): re-initialise the weights from the top layer down, one
  layer more at each step, and compare the saliency maps with the Spearman rank correlation ρ. A method whose
  maps survive randomization shows the image, not what the model learned. For deep models the layers are
  randomized in at most ``max_steps`` contiguous groups (each step one group more), which bounds the passes.
* Occlusion (Zeiler & Fergus, 2014): replace a p×p patch by 0 (after normalization that is the training mean,
  a neutral grey) and record Δ = P_t(x) − P_t(x with the patch); each pixel gets the mean Δ of the patches
  that cover it. The number of occluded images (forward passes) is bounded by ``max_passes``; they go through
  the model in chunks of at most ``OCCLUSION_PIXELS`` input pixels.

Every function here works on a model it does not change: gradients come from ``torch.autograd.grad``
(never ``.grad``), the randomization runs on a deep copy, and no hook is registered.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explain.hooks import leaf_modules, model_lock
from explain.trace import Trace

MAX_SMOOTH_SAMPLES = 64
MAX_OCCLUSION_PASSES = 1024
OCCLUSION_CHUNK = 256
OCCLUSION_PIXELS = OCCLUSION_CHUNK * 28 * 28  # pixels per batch: 256 images of 28x28, 4 of 224x224
RHO_OK = 0.5  # a fully randomized model's saliency should rank pixels very differently: ρ below this passes
Score = Literal["prob", "logit"]


class AttributionError(ValueError):
    """A request that cannot be computed; ``code`` names a catalog message (``attr.error.<code>``)."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(message)


def _image_of(x: torch.Tensor) -> torch.Tensor:
    """[1, C, H, W] or [C, H, W] → [1, C, H, W] (one image)."""
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if x.dim() != 4 or x.shape[0] != 1:
        raise ValueError("expected one image of shape [1, C, H, W]")
    return x


def input_gradients(model: nn.Module, x: torch.Tensor, target: int) -> torch.Tensor:
    """∂S_t(xⱼ)/∂xⱼ for every image of a batch ``x`` [N, C, H, W] (one backward pass of Σⱼ S_t(xⱼ)).

    The model is used as it is (the app's models are in eval mode); nothing is written to ``.grad``.
    """
    with torch.inference_mode(False), torch.enable_grad():
        xi = x.detach().clone().requires_grad_(True)
        scores = model(xi)[:, target]
        (g,) = torch.autograd.grad(scores.sum(), xi)
    return g.detach()


def channel_max_abs(g: torch.Tensor) -> torch.Tensor:
    """max_c |g_c| of a gradient [C, H, W] → [H, W] (the saliency convention of Simonyan et al.)."""
    return g.abs().amax(0)


def saliency(tr: Trace) -> torch.Tensor:
    """max_c |∂S_t/∂x_c| of the first image: [H, W]. Needs a trace with loss="logit"."""
    _require_logit(tr)
    return channel_max_abs(tr.input_grad[0])


def gradient_times_input(tr: Trace) -> torch.Tensor:
    """x ⊙ ∂S_t/∂x of the first image, summed over channels: [H, W] (signed)."""
    _require_logit(tr)
    return (tr.input[0] * tr.input_grad[0]).sum(0)


def _require_logit(tr: Trace) -> None:
    if tr.loss_kind != "logit":
        raise ValueError("attribution maps need a trace of the class score (loss='logit')")


@dataclass(frozen=True)
class SmoothGradResult:
    mean_grad: torch.Tensor  # (1/n) Σ ∂S_t/∂x at the noisy copies, [C, H, W] (signed)
    map: torch.Tensor  # max over channels of |mean_grad|, [H, W]
    n: int
    sigma: float  # noise level as a fraction of (max x − min x)
    noise_std: float  # σ in input units


def smoothgrad(model: nn.Module, x: torch.Tensor, target: int, *, n: int = 20, sigma: float = 0.15,
               seed: int = 0) -> SmoothGradResult:
    """SmoothGrad with n noisy copies x + εⱼ, εⱼ ~ N(0, (σ·(max x − min x))²), all in one batched pass."""
    x = _image_of(x)
    if not 1 <= n <= MAX_SMOOTH_SAMPLES:
        raise AttributionError("smooth_n", f"n must be between 1 and {MAX_SMOOTH_SAMPLES}", max=MAX_SMOOTH_SAMPLES)
    if not 0.0 <= sigma <= 1.0:
        raise AttributionError("smooth_sigma", "sigma must be between 0 and 1")
    std = sigma * float(x.max() - x.min())
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn((n, *x.shape[1:]), generator=gen, dtype=x.dtype) * std
    g = input_gradients(model, x + noise, target).mean(0)
    return SmoothGradResult(g, channel_max_abs(g), n, sigma, std)


@dataclass(frozen=True)
class GradCam:
    key: str
    layer_shape: tuple[int, ...]  # [1, K, h, w] of the chosen layer
    weights: torch.Tensor  # α_k, [K]
    cam: torch.Tensor  # ReLU(Σ α_k A_k) at the layer's resolution, [h, w]
    upsampled: torch.Tensor  # the same map resized to the input's [H, W]


def grad_cam_layers(tr: Trace) -> list[str]:
    """Layers with spatial maps (conv, activation and pooling outputs [N, K, h, w]) in forward order."""
    return [r.key for r in tr.layers if r.output.dim() == 4 and r.grad is not None]


def grad_cam_conv_layers(tr: Trace) -> list[str]:
    """Conv2d layers whose maps are spatial (h·w > 1) and have a gradient, in forward order.

    The last of them is Grad-CAM's usual layer: the deepest maps that still have a position
    (a 1x1 output, e.g. in a squeeze-and-excitation block, has nothing to localize)."""
    return [r.key for r in tr.of_kind("Conv2d")
            if r.output.dim() == 4 and r.grad is not None and r.output.shape[-2] * r.output.shape[-1] > 1]


def default_cam_layer(tr: Trace, layers: list[str], conv_only: bool = False) -> int:
    """Index in ``layers`` of the layer Grad-CAM opens with: the last one when they are all convolutions (the
    deepest maps that still have a position), else the layer right after the last Conv2d (its activation, whose
    maps are what the classifier reads), or the last layer when the last Conv2d is not among them."""
    if conv_only:
        return len(layers) - 1
    conv = [r.key for r in tr.of_kind("Conv2d")]
    after_last_conv = layers.index(conv[-1]) + 1 if conv and conv[-1] in layers else len(layers) - 1
    return min(after_last_conv, len(layers) - 1)


def grad_cam(tr: Trace, key: str) -> GradCam:
    """Grad-CAM of the first image from the trace's record of ``key`` (its output A and gradient ∂S_t/∂A).

    α_k = (1/hw) Σ_{i,j} ∂S_t/∂A_k[i, j];  map = ReLU(Σ_k α_k A_k); bilinear upsampling to the input size.
    """
    _require_logit(tr)
    rec = tr[key]
    if rec.output.dim() != 4 or rec.grad is None:
        raise ValueError(f"{key} has no spatial maps with a gradient")
    a, g = rec.output[0].double(), rec.grad[0].double()
    alpha = g.mean(dim=(1, 2))
    cam = F.relu((alpha[:, None, None] * a).sum(0))
    size = tuple(tr.input.shape[-2:])
    up = cam if tuple(cam.shape) == size else F.interpolate(cam[None, None], size=size, mode="bilinear",
                                                            align_corners=False)[0, 0]
    return GradCam(key, (1, *rec.output.shape[1:]), alpha.float(), cam.float(), up.float())


def spearman(a: torch.Tensor | np.ndarray, b: torch.Tensor | np.ndarray) -> float:
    """Spearman's ρ: the Pearson correlation of the ranks (ties get their average rank). NaN if a map is flat."""
    ra, rb = _ranks(np.asarray(a, dtype=np.float64).ravel()), _ranks(np.asarray(b, dtype=np.float64).ravel())
    if ra.size != rb.size:
        raise ValueError("maps of different sizes")
    ra, rb = ra - ra.mean(), rb - rb.mean()
    den = math.sqrt(float((ra ** 2).sum() * (rb ** 2).sum()))
    return float((ra * rb).sum() / den) if den > 0 else float("nan")


def _ranks(v: np.ndarray) -> np.ndarray:
    order = np.argsort(v, kind="mergesort")
    ranks = np.empty(v.size, dtype=np.float64)
    ranks[order] = np.arange(1, v.size + 1, dtype=np.float64)
    uniq, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
    if uniq.size < v.size:  # average the ranks of ties
        sums = np.bincount(inverse, weights=ranks)
        ranks = (sums / counts)[inverse]
    return ranks


@dataclass(frozen=True)
class RandomizationStep:
    layers: tuple[str, ...]  # every layer randomized so far (top first)
    saliency: torch.Tensor  # |∂S_t/∂x| of the partly randomized model, [H, W]
    spearman: float  # ρ with the trained model's saliency


@dataclass(frozen=True)
class RandomizationCheck:
    target: int
    original: torch.Tensor  # saliency of the trained model, [H, W]
    steps: tuple[RandomizationStep, ...]

    @property
    def n_layers(self) -> int:
        """How many layers the last step has randomized (all the layers with parameters)."""
        return len(self.steps[-1].layers) if self.steps else 0

    @property
    def final_spearman(self) -> float:
        """ρ between the trained model's saliency and the fully randomized model's (NaN without a step)."""
        return self.steps[-1].spearman if self.steps else float("nan")

    def passed(self, rho_ok: float = RHO_OK) -> bool:
        """The sanity check passes when the fully randomized model's map ranks pixels differently: ρ < ``rho_ok``
        (a NaN ρ, a flat map, does not pass)."""
        return self.final_spearman < rho_ok


def _randomize(module: nn.Module, gen: torch.Generator) -> None:
    """New random parameters for one module, drawn from ``gen`` (not the global RNG other threads share).

    Weights and biases ~ U(−b, b) with b = 1/√fan_in, the scale of PyTorch's default initialisation."""
    weight = getattr(module, "weight", None)
    fan_in = int(np.prod(weight.shape[1:])) if isinstance(weight, torch.Tensor) and weight.dim() > 1 else 1
    bound = 1.0 / math.sqrt(max(fan_in, 1))
    with torch.no_grad():
        for p in module.parameters(recurse=False):
            p.copy_(torch.empty(p.shape, dtype=p.dtype).uniform_(-bound, bound, generator=gen))


def cascade_groups(n: int, max_steps: int | None) -> list[tuple[int, int]]:
    """Split n layers (top first) into ≤ ``max_steps`` contiguous groups [start, stop): one layer each when
    n ≤ max_steps (or no limit), else group sizes differing by at most one."""
    if n <= 0:
        return []
    k = n if max_steps is None else max(1, min(n, max_steps))
    bounds = [round(i * n / k) for i in range(k + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(k)]


def randomization_check(model: nn.Module, x: torch.Tensor, target: int, seed: int = 0,
                        max_steps: int | None = None) -> RandomizationCheck:
    """Cascading model randomization on a deep copy: the top layer with parameters first, then one more at each step.

    With ``max_steps`` the layers are randomized in at most that many contiguous groups (top first), so a model
    with hundreds of layers needs max_steps + 1 forward/backward passes. Returns the saliency map after every
    step and its Spearman ρ with the trained model's map.
    """
    x = _image_of(x)
    with model_lock(model):  # a capture in another thread holds the lock while its hooks exist: copy none
        own = copy.deepcopy(model)
    original = channel_max_abs(input_gradients(own, x, target)[0])
    order = [(name, m) for name, m in leaf_modules(own) if any(True for _ in m.parameters(recurse=False))]
    top_first = order[::-1]
    gen = torch.Generator().manual_seed(seed)
    done: list[str] = []
    steps = []
    for start, stop in cascade_groups(len(top_first), max_steps):
        for name, m in top_first[start:stop]:
            _randomize(m, gen)
            done.append(name)
        sal = channel_max_abs(input_gradients(own, x, target)[0])
        steps.append(RandomizationStep(tuple(done), sal, spearman(original.numpy(), sal.numpy())))
    return RandomizationCheck(target, original, tuple(steps))


@dataclass(frozen=True)
class Occlusion:
    map: torch.Tensor  # mean drop of the score over the patches covering each pixel, [H, W] (signed)
    drops: torch.Tensor  # drop per patch position, [rows, cols]
    base: float  # the score of the unoccluded image
    patch: int
    stride: int
    passes: int  # forward passes (occluded images) used
    score: str  # "prob" or "logit"


def occlusion_positions(size: int, patch: int, stride: int) -> list[int]:
    """Top-left corners 0, s, 2s, … ≤ size − p, plus a last one flush with the edge so every pixel is covered."""
    pos = list(range(0, size - patch + 1, stride))
    if pos[-1] != size - patch:
        pos.append(size - patch)
    return pos


def occlusion_grid(height: int, width: int, patch: int, stride: int) -> tuple[int, int]:
    """(rows, cols) of patch positions: :func:`occlusion_positions` along each axis."""
    return len(occlusion_positions(height, patch, stride)), len(occlusion_positions(width, patch, stride))


def occlusion_stride(patch: int, *, requested: int | None = None, overlap: str = "none") -> int:
    """The stride between patch positions: the requested one, at most the patch (a larger stride would skip
    pixels that no patch ever hides); or from the overlap of neighbouring patches, "none" (stride = patch) or
    "half" (stride = ⌊patch/2⌋, at least 1)."""
    if requested is not None:
        return max(1, min(requested, patch))
    if overlap not in ("none", "half"):
        raise AttributionError("occ_overlap", f"unknown overlap {overlap!r}")
    return patch if overlap == "none" else max(1, patch // 2)


def occlusion_passes(height: int, width: int, patch: int, stride: int) -> int:
    """How many occluded images (forward passes) a patch size and stride need."""
    if not 1 <= patch <= min(height, width) or stride < 1:
        return 0
    return len(occlusion_positions(height, patch, stride)) * len(occlusion_positions(width, patch, stride))


def target_options(tr: Trace, n: int = 10) -> list[int]:
    """The ``n`` most probable classes of the first image other than its prediction, most probable first."""
    pred = tr.prediction
    return [c for c, _ in tr.top(n + 1) if c != pred][:n]


def occlusion_chunk(height: int, width: int) -> int:
    """Occluded images per batch: ``OCCLUSION_CHUNK`` for 28x28, fewer for larger images (at least 1)."""
    return max(1, min(OCCLUSION_CHUNK, OCCLUSION_PIXELS // max(1, height * width)))


def occlusion(model: nn.Module, x: torch.Tensor, target: int, *, patch: int = 4, stride: int = 2,
              value: float = 0.0, score: Score = "prob", max_passes: int = MAX_OCCLUSION_PASSES) -> Occlusion:
    """Slide a ``patch``×``patch`` square of ``value`` over the image with ``stride`` and record the score's drop.

    The occluded images go through the model without gradients, in batches of ``OCCLUSION_CHUNK`` 28x28 images
    (fewer for larger images: at most ``OCCLUSION_PIXELS`` pixels a batch). More than ``max_passes`` positions
    are refused.
    """
    x = _image_of(x)
    _, _, h, w = x.shape
    if not 1 <= patch <= min(h, w) or not 1 <= stride <= patch:
        raise AttributionError("occlusion_size", "the patch must fit in the image and the stride must be 1..patch")
    passes = occlusion_passes(h, w, patch, stride)
    if passes > max_passes:
        raise AttributionError("occlusion_cost", f"{passes} forward passes exceed the limit of {max_passes}",
                               passes=passes, limit=max_passes)
    ys, xs = occlusion_positions(h, patch, stride), occlusion_positions(w, patch, stride)

    def scores_of(batch: torch.Tensor) -> torch.Tensor:
        logits = model(batch)
        return (torch.softmax(logits, 1) if score == "prob" else logits)[:, target]

    corners = [(r, c) for r in ys for c in xs]
    with torch.no_grad():
        base = float(scores_of(x)[0])
        drops = []
        size = occlusion_chunk(h, w)
        for start in range(0, len(corners), size):
            chunk = corners[start:start + size]
            batch = x.repeat(len(chunk), 1, 1, 1)
            for i, (r, c) in enumerate(chunk):
                batch[i, :, r:r + patch, c:c + patch] = value
            drops.append(base - scores_of(batch))
    d = torch.cat(drops).double()
    total = torch.zeros(h, w, dtype=torch.float64)
    count = torch.zeros(h, w, dtype=torch.float64)
    for (r, c), v in zip(corners, d, strict=True):
        total[r:r + patch, c:c + patch] += v
        count[r:r + patch, c:c + patch] += 1
    return Occlusion((total / count).float(), d.reshape(len(ys), len(xs)).float(), base, patch, stride, passes, score)
