"""pytest set-up: the repository root on sys.path, an output folder for screenshots and reports."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def output_dir() -> Path:
    out = ROOT / "tests" / "output"
    out.mkdir(parents=True, exist_ok=True)
    return out
