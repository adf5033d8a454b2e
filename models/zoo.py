"""torchvision's pretrained ImageNet classifiers: the registry, the hub cache, download and loading.

Weights live where torchvision keeps them, ``<torch.hub.get_dir()>/checkpoints/<file>`` (by default
``~/.cache/torch/hub/checkpoints``; ``TORCH_HOME`` moves it). A file already there loads without any
network. Every load goes through ``torch.load(..., weights_only=True)`` and ``load_state_dict(strict=True)``,
so a file made for another architecture is refused with a clear :class:`WeightsError`.

The file name carries the first hex digits of the file's SHA-256 (``resnet18-f37072fd.pth``), as in
``torch.hub``; a download is checked against them before it is moved into the cache.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlparse

import torch
from torch import nn


@dataclass(frozen=True)
class InputSpec:
    """The preprocessing constants of a set of pretrained weights (from torchvision's ``weights.transforms()``)."""

    resize: int  # shorter side after the first resize
    crop: int  # side of the centre crop = model input size
    interpolation: str  # "bilinear" | "bicubic" | …
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    @property
    def key(self) -> str:
        """A cache key: two specs with the same key give the same tensor."""
        return f"rgb-{self.resize}-{self.crop}-{self.interpolation}-{self.mean}-{self.std}"

FAMILY: Final = "imagenet"  # the model family of every listed classifier (models.IMAGENET)
PREFIX = "imagenet-"
DOWNLOAD_TIMEOUT_S = 20.0
MAX_WEIGHTS_BYTES = 600 * 2**20  # the largest listed file (VGG-11) is 507 MiB


@dataclass(frozen=True)
class ZooSpec:
    """One listed classifier: the app's name, torchvision's builder and its Weights entry."""

    name: str  # "imagenet-resnet18"
    builder: str  # torchvision.models.get_model name
    weights: str  # torchvision.models.get_weight name
    title: str  # shown in the model picker


ZOO: tuple[ZooSpec, ...] = (
    ZooSpec(PREFIX + "resnet18", "resnet18", "ResNet18_Weights.IMAGENET1K_V1", "ResNet-18"),
    ZooSpec(PREFIX + "mobilenet_v3_small", "mobilenet_v3_small", "MobileNet_V3_Small_Weights.IMAGENET1K_V1",
            "MobileNetV3-Small"),
    ZooSpec(PREFIX + "squeezenet1_1", "squeezenet1_1", "SqueezeNet1_1_Weights.IMAGENET1K_V1", "SqueezeNet 1.1"),
    ZooSpec(PREFIX + "efficientnet_b0", "efficientnet_b0", "EfficientNet_B0_Weights.IMAGENET1K_V1",
            "EfficientNet-B0"),
    ZooSpec(PREFIX + "alexnet", "alexnet", "AlexNet_Weights.IMAGENET1K_V1", "AlexNet"),
    ZooSpec(PREFIX + "vgg11", "vgg11", "VGG11_Weights.IMAGENET1K_V1", "VGG-11"),
)


class WeightsMissing(RuntimeError):
    """The weights are not in the cache and could not be downloaded (e.g. no network)."""

    def __init__(self, spec: ZooSpec, reason: str) -> None:
        self.spec, self.reason = spec, reason
        self.file, self.folder, self.url = weights_file(spec), str(checkpoints_dir()), weights_url(spec)
        super().__init__(f"{spec.title}: {self.file} is not in {self.folder} and could not be downloaded "
                         f"from {self.url} ({reason})")


class WeightsError(ValueError):
    """A weights file that cannot be used for the chosen architecture."""

    def __init__(self, code: str, detail: str = "") -> None:
        self.code, self.detail = code, detail  # code: unreadable | not_state_dict | mismatch | too_big
        super().__init__(f"{code}: {detail}" if detail else code)


def is_zoo(name: str) -> bool:
    return name.startswith(PREFIX)


def spec(name: str) -> ZooSpec:
    for s in ZOO:
        if s.name == name or s.builder == name:
            return s
    raise KeyError(f"no ImageNet model named {name!r}; listed: {', '.join(s.name for s in ZOO)}")


def _weights(s: ZooSpec) -> Any:
    from torchvision.models import get_weight

    return get_weight(s.weights)


@cache
def weights_url(s: ZooSpec) -> str:
    """Where torchvision publishes ``s``'s weights (fixed by the installed torchvision: looked up once)."""
    return str(_weights(s).url)


def weights_file(s: ZooSpec) -> str:
    """The cache file name torchvision uses, e.g. ``resnet18-f37072fd.pth``."""
    return os.path.basename(urlparse(weights_url(s)).path)


def checkpoints_dir() -> Path:
    """torch hub's checkpoint folder (follows ``TORCH_HOME``, read at every call)."""
    return _checkpoints(torch.hub.get_dir())


@cache
def _checkpoints(hub_dir: str) -> Path:
    return Path(hub_dir) / "checkpoints"


@cache
def _in_folder(folder: Path, file: str) -> Path:
    return folder / file


def cached_path(s: ZooSpec) -> Path:
    """Where ``s``'s weights file is (or would be) in the hub cache."""
    return _in_folder(checkpoints_dir(), weights_file(s))


_present: set[Path] = set()  # weights files seen in the cache (a file once there stays while serving)


def cached_file(s: ZooSpec) -> Path | None:
    """``s``'s weights file in the hub cache, or None when it is not there.

    Asked on every page view (the sidebar's model list), so a file once found is remembered by its path (one
    set lookup afterwards); a missing one is looked for again each time, as it may be downloaded meanwhile.
    """
    path = cached_path(s)
    if path in _present:
        return path
    if path.is_file():
        _present.add(path)
        return path
    return None


def is_cached(s: ZooSpec) -> bool:
    return cached_file(s) is not None


def categories(s: ZooSpec) -> tuple[str, ...]:
    """The weights' own class names (``meta["categories"]``)."""
    return tuple(_weights(s).meta["categories"])


@cache
def meta(s: ZooSpec) -> dict[str, Any]:
    """Card-like facts from the weights' meta: accuracy, parameters, GFLOPS, file size, recipe."""
    m = _weights(s).meta
    metrics = m.get("_metrics", {}).get("ImageNet-1K", {})
    return {
        "name": s.name, "arch": s.builder, "family": FAMILY, "title": s.title, "weights": s.weights,
        "accuracy": {"top1": metrics.get("acc@1", float("nan")) / 100,
                     "top5": metrics.get("acc@5", float("nan")) / 100},
        "num_params": m.get("num_params"), "gflops": m.get("_ops"), "file_size_mb": m.get("_file_size"),
        "recipe": m.get("recipe"), "n_classes": len(m["categories"]),
    }


@cache
def input_spec(s: ZooSpec) -> InputSpec:
    """The preprocessing of ``weights.transforms()``: resize, centre crop, scale to [0, 1], normalize."""
    tf = _weights(s).transforms()
    return InputSpec(resize=int(tf.resize_size[0]), crop=int(tf.crop_size[0]),
                     interpolation=str(tf.interpolation.value), mean=tuple(float(v) for v in tf.mean),
                     std=tuple(float(v) for v in tf.std))


def build(s: ZooSpec) -> nn.Module:
    """The architecture with random weights (``weights=None``), in eval mode."""
    from torchvision.models import get_model

    return get_model(s.builder, weights=None).eval()


def load_file(s: ZooSpec, path: str | os.PathLike[str]) -> nn.Module:
    """``s``'s architecture with the weights in ``path`` (``weights_only=True``, strict key and shape check)."""
    p = Path(path)
    if p.stat().st_size > MAX_WEIGHTS_BYTES:
        raise WeightsError("too_big", f"{p.stat().st_size / 2**20:.0f} MB")
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - pickle, zip and unpickler errors: not a usable weights file
        raise WeightsError("unreadable", type(e).__name__) from e
    return load_state(s, state)


def load_bytes(s: ZooSpec, data: bytes) -> nn.Module:
    """Like :func:`load_file` for an uploaded file's bytes."""
    import io

    if len(data) > MAX_WEIGHTS_BYTES:
        raise WeightsError("too_big", f"{len(data) / 2**20:.0f} MB")
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - pickle, zip and unpickler errors: not a usable weights file
        raise WeightsError("unreadable", type(e).__name__) from e
    return load_state(s, state)


def load_state(s: ZooSpec, state: Any) -> nn.Module:
    """``s``'s architecture with ``state``; refuses anything that is not exactly its state dict."""
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]  # common wrapper of training scripts
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError("not_state_dict", type(state).__name__)
    model = build(s)
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [k for k in expected if k in state and tuple(state[k].shape) != tuple(expected[k].shape)]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]})")
        if wrong:
            k = wrong[0]
            parts.append(f"{len(wrong)} with another shape (e.g. {k}: {tuple(state[k].shape)} ≠ "
                         f"{tuple(expected[k].shape)})")
        raise WeightsError("mismatch", "; ".join(parts))
    model.load_state_dict(state, strict=True)
    return model.eval()


_HASH = re.compile(r"-([a-f0-9]*)\.")


def download(s: ZooSpec, progress: Callable[[int, int], None] | None = None,
             timeout: float = DOWNLOAD_TIMEOUT_S) -> Path:
    """Fetch ``s``'s weights into the hub cache; ``progress(done_bytes, total_bytes)`` while it runs.

    The file is written to a temporary name in the same folder, its SHA-256 prefix checked, then
    renamed, so an interrupted download never leaves a broken file under the real name.
    ``CNN_LENS_OFFLINE`` set in the environment switches every download off.
    """
    if os.environ.get("CNN_LENS_OFFLINE"):
        raise WeightsMissing(s, "downloads are switched off (CNN_LENS_OFFLINE)")
    dest = cached_path(s)
    dest.parent.mkdir(parents=True, exist_ok=True)
    url = weights_url(s)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - fixed https URL
            total = int(resp.headers.get("Content-Length") or 0)
            if total > MAX_WEIGHTS_BYTES:
                raise WeightsMissing(s, "file larger than expected")
            sha = hashlib.sha256()
            done = 0
            with tempfile.NamedTemporaryFile(dir=dest.parent, prefix=".part-", delete=False) as tmp:
                try:
                    while chunk := resp.read(1 << 20):
                        tmp.write(chunk)
                        sha.update(chunk)
                        done += len(chunk)
                        if done > MAX_WEIGHTS_BYTES:
                            raise WeightsMissing(s, "file larger than expected")
                        if progress is not None:
                            progress(done, total)
                except BaseException:
                    tmp.close()
                    os.unlink(tmp.name)
                    raise
    except WeightsMissing:
        raise
    except Exception as e:  # noqa: BLE001 - URLError, timeouts, resets: all mean "not available now"
        raise WeightsMissing(s, getattr(e, "reason", None) and str(e.reason) or type(e).__name__) from e
    m = _HASH.search(dest.name)
    if m and not sha.hexdigest().startswith(m.group(1)):
        os.unlink(tmp.name)
        raise WeightsMissing(s, "the downloaded file's checksum does not match")
    os.replace(tmp.name, dest)
    return dest


def load(s: ZooSpec, progress: Callable[[int, int], None] | None = None, allow_download: bool = True) -> nn.Module:
    """``s`` with its pretrained weights: from the cache, else downloaded (when allowed), else WeightsMissing."""
    path = cached_path(s)
    if not path.is_file():
        if not allow_download:
            raise WeightsMissing(s, "downloads are switched off")
        path = download(s, progress)
    return load_file(s, path)


def write_weights(s: ZooSpec, seed: int = 0, folder: Path | None = None) -> Path:
    """Write a randomly initialised state dict under ``s``'s cache file name (for tests without network)."""
    gen = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        model = build(s)
    finally:
        torch.random.set_rng_state(gen)
    dest = (folder or checkpoints_dir()) / weights_file(s)
    dest.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), dest)
    return dest


def main(argv: list[str] | None = None) -> int:
    """``python -m models.zoo [NAME …]``: put the pretrained weights in the hub cache (all six by default),
    e.g. to prepare a classroom machine that will be offline. Exit 2 with one ``error:`` line per failure."""
    import argparse
    import sys

    p = argparse.ArgumentParser(prog="python -m models.zoo", description=main.__doc__)
    p.add_argument("names", nargs="*", metavar="NAME", help="e.g. imagenet-resnet18 or resnet18 (default: all)")
    args = p.parse_args(argv)
    failed = False
    for name in args.names or [s.name for s in ZOO]:
        try:
            s = spec(name)
            if is_cached(s):
                print(f"{s.title}: {cached_path(s)} (already in the cache)")
                continue
            def show(done: int, total: int, title: str = s.title) -> None:
                print(f"\r{title}: {done / 2**20:.1f} of {total / 2**20:.1f} MB", end="", flush=True)

            path = download(s, show)
            print(f"\r{s.title}: {path}")
        except (KeyError, WeightsMissing) as e:
            print(f"error: {e.args[0] if isinstance(e, KeyError) else e}", file=sys.stderr)
            failed = True
    return 2 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
