"""pytest set-up: the repository root on sys.path, an output folder for screenshots and reports, and a
private torch hub cache without network (ImageNet weights are written there by the tests themselves)."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Never touch the developer's hub cache or the network: a fresh TORCH_HOME per test run, downloads off.
HUB_HOME = Path(tempfile.mkdtemp(prefix="cnnlens-torch-home-"))
atexit.register(shutil.rmtree, HUB_HOME, ignore_errors=True)  # ~0.8 GB of test weights: never left behind
os.environ["TORCH_HOME"] = str(HUB_HOME)
os.environ["CNN_LENS_OFFLINE"] = "1"


@pytest.fixture(scope="session")
def zoo_weights() -> dict[str, Path]:
    """Every listed ImageNet model's weights file (random init, fixed seed) in the test hub cache."""
    from models import zoo

    return {s.name: zoo.cached_path(s) if zoo.is_cached(s) else zoo.write_weights(s, seed=i)
            for i, s in enumerate(zoo.ZOO)}


@pytest.fixture(scope="session")
def output_dir() -> Path:
    out = ROOT / "tests" / "output"
    out.mkdir(parents=True, exist_ok=True)
    return out
