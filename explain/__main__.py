"""``python -m explain IMAGE [--model NAME] [--target CLASS] [--json]``: see :mod:`explain.cli`."""

from explain.cli import run

raise SystemExit(run())
