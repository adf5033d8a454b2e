"""Fashion-MNIST from Debian's ``dataset-fashion-mnist`` package (idx files, gzip-compressed).

The folder is ``$FASHION_MNIST_DIR`` if set, else /usr/share/datasets/fashion-mnist. The idx
format is read with torchvision's own reader (``read_image_file`` / ``read_label_file``) after
gunzipping into a private cache folder, since that reader takes plain files.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

DEFAULT_DIR = Path("/usr/share/datasets/fashion-mnist")
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
#: Mean and std of the Fashion-MNIST training pixels in [0, 1]; the models' normalisation.
MEAN = 0.2860
STD = 0.3530
INSTALL_HINT = "apt-get install dataset-fashion-mnist (or set FASHION_MNIST_DIR)"


class DatasetMissing(FileNotFoundError):
    """The Fashion-MNIST files are not installed."""


def data_dir() -> Path:
    return Path(os.environ.get("FASHION_MNIST_DIR") or DEFAULT_DIR)


def available() -> bool:
    d = data_dir()
    return all(_find(d, stem) is not None for stem in FILES.values())


def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


@dataclass(frozen=True)
class Split:
    """Images as uint8 [N, 28, 28] and labels as int64 [N]."""

    images: torch.Tensor
    labels: torch.Tensor


def load(split: str = "train") -> Split:
    """Read the ``train`` (60,000) or ``test`` (10,000) split."""
    from torchvision.datasets.mnist import read_image_file, read_label_file

    if split not in ("train", "test"):
        raise ValueError("split must be 'train' or 'test'")
    folder = data_dir()
    paths = {}
    for part in ("images", "labels"):
        stem = FILES[f"{split}_{part}"]
        found = _find(folder, stem)
        if found is None:
            raise DatasetMissing(f"Fashion-MNIST not found in {folder}: {INSTALL_HINT}")
        paths[part] = _plain(found)
    return Split(read_image_file(str(paths["images"])), read_label_file(str(paths["labels"])))


def _plain(path: Path) -> Path:
    """The uncompressed file: the path itself, or a cached gunzipped copy."""
    if path.suffix != ".gz":
        return path
    stat = path.stat()
    key = hashlib.sha1(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    cache = Path(tempfile.gettempdir()) / "cnn-lens-fashion-mnist"
    cache.mkdir(exist_ok=True)
    out = cache / f"{path.stem}.{key}"
    if not out.exists():
        tmp = out.with_suffix(".part" + str(os.getpid()))
        with gzip.open(path, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst)
        tmp.replace(out)
    return out


def normalize(images_u8: torch.Tensor) -> torch.Tensor:
    """uint8 [N, 28, 28] → float [N, 1, 28, 28], x = (p/255 − mean)/std."""
    return ((images_u8.float() / 255.0 - MEAN) / STD).unsqueeze(1)
