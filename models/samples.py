"""Write the samples: the first two Fashion-MNIST test images of each class as PNG, and a batch.

The batch (``test_batch.npz``) holds the first 256 test images and labels, uint8, for the pages that
average over many images (gradient flow, plain network vs CNN, training-lab fallback).
``python -m models.samples`` (needs the dataset; the files are committed, so the app does not).
"""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from models import BATCH_PATH, CLASS_NAMES, SAMPLES_DIR, data


def main() -> int:
    test = data.load("test")
    SAMPLES_DIR.mkdir(exist_ok=True)
    for c, name in enumerate(CLASS_NAMES["en"]):
        idx = (test.labels == c).nonzero().flatten()[:2].tolist()
        for k, i in enumerate(idx):
            slug = re.sub(r"[^a-z]+", "-", name.lower()).strip("-")
            Image.fromarray(test.images[i].numpy(), "L").save(SAMPLES_DIR / f"{c}-{slug}-{k + 1}-test{i}.png")
    np.savez_compressed(BATCH_PATH, images=test.images[:256].numpy(), labels=test.labels[:256].numpy())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
