"""Hand-made kernels on the user's image, and the 1-D convolution lab.

The playground applies one fixed kernel w to a grayscale image p (values 0…1) as ``F.conv2d`` does
(cross-correlation, zero padding that keeps the size):

    y[i, j] = Σ_u Σ_v w[u, v] · p_pad[i + u, j + v]

Classic kernels: Sobel x = [[−1, 0, 1], [−2, 0, 2], [−1, 0, 1]] (vertical edges, a smoothed central
difference), the Laplacian [[0, 1, 0], [1, −4, 1], [0, 1, 0]] (second derivative), box blur 1/9·ones,
Gaussian 1/16·[[1, 2, 1], [2, 4, 2], [1, 2, 1]], sharpen = 2·identity − blur-ish [[0, −1, 0], [−1, 5, −1], [0, −1, 0]].

In 1-D, y[i] = Σ_u w[u]·s[i + u − ⌊(m − 1)/2⌋]: with w = [1, 0, −1], y[i] = s[i − 1] − s[i + 1], which is
zero on flat parts and large where the signal jumps: convolution is filtering, and this filter finds edges.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.nn import functional as F

from explain.imaging import PreparedImage

MAX_KERNEL_LEN = 15
PLAYGROUND_SIDE = 256

#: The playground's kernels; the first two are the course notes' own examples.
KERNELS: dict[str, np.ndarray] = {
    "course_1d": np.array([[1.0, 0.0, -1.0]]),
    "course_2d": np.array([[1.0, -1.0, 0.0], [0.0, -1.0, 1.0], [1.0, 0.0, -1.0]]),
    "sobel_x": np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]),
    "sobel_y": np.array([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]),
    "laplacian": np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]),
    "box_blur": np.full((3, 3), 1.0 / 9.0),
    "sharpen": np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]]),
    "gaussian": np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16.0,
}


class KernelError(ValueError):
    """Bad kernel text; ``code`` names a catalog message (``conv.kernel_error.<code>``), ``params`` fill it."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(message)


@dataclass(frozen=True)
class Filtered:
    """A filtered image and its value range."""

    output: np.ndarray  # float [H, W]
    vmin: float
    vmax: float

    @property
    def signed(self) -> bool:
        return self.vmin < 0


def filter2d(image: np.ndarray, kernel: np.ndarray) -> Filtered:
    """y = F.conv2d(p, w, padding="same"): the kernel slid over the image, zeros outside it."""
    img = torch.as_tensor(np.asarray(image, dtype=np.float32))[None, None]
    w = torch.as_tensor(np.asarray(kernel, dtype=np.float32))
    if w.dim() == 1:
        w = w[None]
    if w.dim() != 2 or w.numel() == 0 or not torch.isfinite(w).all():
        raise KernelError("shape", "the kernel must be a finite 2-D array")
    out = F.conv2d(img, w[None, None], padding="same")[0, 0].numpy()
    return Filtered(out, float(out.min()), float(out.max()))


def pixels01(prepared: PreparedImage) -> np.ndarray:
    """The model's input picture before normalization as gray values 0…1: the 28x28 image, or for an RGB input
    (the 224x224 ImageNet crop) its luma Y = 0.299·R + 0.587·G + 0.114·B (ITU-R 601, as Pillow's "L")."""
    px = np.asarray(prepared.pixels)
    if px.ndim == 3:
        rgb = px[..., :3].astype(np.float32)
        return (rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)) / 255.0
    return px.astype(np.float32) / 255.0


def large_gray(prepared: PreparedImage, side: int = PLAYGROUND_SIDE) -> np.ndarray:
    """The upload's "grayscale" step (before inversion and cropping), at most ``side`` pixels, values 0…1."""
    step = next((s for s in prepared.steps if s.key == "grayscale"), None)
    arr = prepared.pixels if step is None else step.image
    im = Image.fromarray(np.asarray(arr, dtype=np.uint8))
    if im.mode != "L":
        im = im.convert("L")
    if max(im.size) > side:
        im = im.copy()
        im.thumbnail((side, side), Image.Resampling.BOX)
    return np.asarray(im, dtype=np.float32) / 255.0


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _number(token: str) -> float:
    if "/" in token:
        num, _, den = token.partition("/")
        if _NUMBER.match(num) and _NUMBER.match(den):
            d = float(den)
            if d == 0:
                raise KernelError("zero_division", "division by zero", token=token)
            return float(num) / d
    elif _NUMBER.match(token):
        return float(token)
    raise KernelError("token", f"not a number: {token!r}", token=token[:20])


def parse_kernel(text: str, max_len: int = MAX_KERNEL_LEN) -> np.ndarray:
    """Text like "1, 0, -1" (commas, spaces or semicolons; fractions like 1/3 allowed) → a 1-D kernel.

    Only numbers are accepted (nothing is evaluated); raises :class:`KernelError` with a reason.
    """
    cleaned = text.replace("，", ",").replace("；", ";").replace("−", "-").strip().strip("[]()").strip()
    tokens = [tok for tok in re.split(r"[,\s;]+", cleaned) if tok]
    if not tokens:
        raise KernelError("empty", "the kernel is empty")
    if len(tokens) > max_len:
        raise KernelError("too_long", f"at most {max_len} numbers", n=len(tokens), max=max_len)
    values = np.array([_number(tok) for tok in tokens], dtype=np.float64)
    if not np.isfinite(values).all() or np.abs(values).max() > 1e6:
        raise KernelError("range", "numbers must be finite and at most 10^6 in size")
    return values


def filter1d(signal: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """y = F.conv1d(s, w, padding="same"): y[i] = Σ_u w[u]·s[i + u − ⌊(m − 1)/2⌋], zeros outside s."""
    s = torch.as_tensor(np.asarray(signal, dtype=np.float64))[None, None]
    w = torch.as_tensor(np.asarray(kernel, dtype=np.float64))[None, None]
    return F.conv1d(s, w, padding="same")[0, 0].numpy()


def synthetic_signal(kind: str, n: int = 64, seed: int = 0) -> np.ndarray:
    """A step (0 then 1), a ramp (0→1 then flat), noise around a step, or a square pulse, of length n."""
    i = np.arange(n)
    if kind == "step":
        return (i >= n // 2).astype(np.float64)
    if kind == "ramp":
        return np.clip((i - n / 4) / (n / 2), 0.0, 1.0)
    if kind == "pulse":
        return ((i >= n // 3) & (i < 2 * n // 3)).astype(np.float64)
    if kind == "noise":
        rng = np.random.default_rng(seed)
        return (i >= n // 2).astype(np.float64) + rng.normal(0.0, 0.15, n)
    raise KernelError("signal", f"unknown signal {kind!r}", kind=kind)


SIGNALS = ("step", "ramp", "pulse", "noise")


def edges(output: np.ndarray, frac: float = 0.5) -> list[int]:
    """Indices where |y| reaches ``frac`` of its maximum (the detected edges); empty for a flat output."""
    a = np.abs(output)
    top = float(a.max()) if a.size else 0.0
    if top <= 1e-12 or math.isnan(top):
        return []
    return [int(i) for i in np.nonzero(a >= frac * top)[0]]
