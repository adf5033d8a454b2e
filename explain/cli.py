"""Command line: ``python -m explain IMAGE [IMAGE …] [--model NAME] [--weights FILE] [--target CLASS] [--json]``.

Each image goes through the app's upload pipeline (:func:`explain.imaging.prepare`, or for an ImageNet
model ``imagenet-…`` the weights' own preprocessing, :func:`explain.imagenet_input.prepare_rgb`) and one trace
(:func:`explain.trace.trace`); the output is the top-3 predictions and the per-layer table of
:func:`explain.summary.layer_table` (‖g‖₂ = √(Σ gᵢ²) for the gradient norms), as text or as JSON.

Exit status: 0 when every image was processed; 2 on bad input (a missing or unreadable file, a file
that is not a usable image, an unknown model or target, a bad option, ImageNet weights that are neither
in torch's hub cache nor downloadable, a weights file that does not fit the architecture). Every problem is reported as
one line ``error: <message>`` on stderr, never as a traceback. With several images, the good ones
are still processed and printed; the status is 2 if any one failed.

This module lives in ``explain/`` and never imports streamlit, plotly or ``ui``.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn, TextIO

import torch
from torch import nn

import models
from explain.allocator import keep_freed_memory
from explain.imagenet_input import prepare_rgb
from explain.imaging import MAX_BYTES, MEAN, STD, ImageError, PreparedImage, prepare, too_big
from explain.summary import LayerRow, layer_table
from explain.trace import trace
from models.zoo import InputSpec

EXIT_OK = 0
EXIT_BAD_INPUT = 2
TOP_K = 3


class CliError(Exception):
    """Bad input: reported as one ``error: …`` line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one ``error: …`` line (exit 2) instead of usage + message."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see {self.prog} --help)\n")


def _model_names() -> list[str]:
    from models import zoo

    return [m.name for m in models.available(arch=None)] + [s.name for s in zoo.ZOO]


def build_parser() -> argparse.ArgumentParser:
    names = _model_names()
    p = _Parser(
        prog="python -m explain",
        description="Run a CNN Lens model on image files: top-3 predictions and a per-layer table "
                    "(shapes, parameters, activation statistics, gradient norms).",
        epilog="Exit status: 0 on success, 2 on bad input (one 'error: ...' line on stderr).",
    )
    p.add_argument("images", nargs="+", metavar="IMAGE",
                   help="image file(s): JPEG (large photos are reduced while decoding), HEIC/HEIF, "
                        f"PNG, WEBP, AVIF, GIF, BMP, TIFF or ICO, at most {MAX_BYTES // 2**20} MB each")
    p.add_argument("--model", default=models.DEFAULT_MODEL, metavar="NAME",
                   help=f"model to run (default {models.DEFAULT_MODEL}); available: {', '.join(names) or 'none'}")
    p.add_argument("--weights", metavar="FILE",
                   help="for an imagenet-… model: a state-dict file (.pth) to use instead of the pretrained "
                        "weights; loaded with weights_only=True and checked against the architecture")
    p.add_argument("--target", metavar="CLASS",
                   help="class whose logit is differentiated for the gradient columns: an index (0-9, or "
                        "0-999 for ImageNet models) or an English or Chinese class name such as 'Ankle boot' "
                        "(default: the predicted class)")
    p.add_argument("--json", action="store_true",
                   help="print JSON: one object for one image, a list of objects for several")
    return p


def parse_target(text: str | None, n_classes: int = 10, family: str = "fmnist") -> int | None:
    """``"9"``, ``"ankle boot"`` or ``"短靴"`` → 9; None stays None; anything else raises CliError."""
    if text is None:
        return None
    s = text.strip()
    if s.lstrip("-").isdigit():
        idx = int(s)
        if not 0 <= idx < n_classes:
            raise CliError(f"target class index {idx} is out of range 0..{n_classes - 1}")
        return idx
    for lang in ("en", "zh"):
        for i, name in enumerate(models.class_names(lang, family)):
            if s.casefold() == name.casefold():
                return i
    if family == "imagenet":
        raise CliError(f"unknown target class {text!r}; use an index 0..999 or an ImageNet category name such "
                       "as 'tabby' or 'espresso'")
    known = ", ".join(f"{i}={n}" for i, n in enumerate(models.class_names("en")))
    raise CliError(f"unknown target class {text!r}; use an index or a name: {known}")


def _progress(done: int, total: int) -> None:
    if total:
        print(f"\rdownloading: {done / 2**20:.1f} of {total / 2**20:.1f} MB", end="", file=sys.stderr, flush=True)
        if done >= total:
            print(file=sys.stderr)


def model_family(name: str) -> str:
    """The model entry's family (models.FMNIST or models.IMAGENET); an unknown name is a CliError."""
    try:
        return models.info(name).family
    except KeyError as e:
        raise CliError(f"unknown model {name!r}; available: {', '.join(_model_names())}") from e


def load_model(name: str, weights: str | None = None) -> nn.Module:
    from models import zoo

    if weights is not None and not zoo.is_zoo(name):
        raise CliError(f"--weights needs an ImageNet model (imagenet-…), not {name!r}")
    try:
        if zoo.is_zoo(name):
            spec = zoo.spec(name)
            if weights is not None:
                with _file_errors(weights, "a weights file"):
                    return zoo.load_file(spec, weights)
            return zoo.load(spec, progress=_progress)
        return models.load(name)
    except KeyError as e:
        raise CliError(f"unknown model {name!r}; available: {', '.join(_model_names())}") from e
    except zoo.WeightsMissing as e:
        raise CliError(f"{e}; to use it offline, download {e.file} from {e.url} and place it in {e.folder}") from e
    except zoo.WeightsError as e:
        raise CliError(f"{weights or name}: cannot be used as {name}: {_one_line(e)}") from e
    except (OSError, RuntimeError) as e:  # missing/damaged weights file, state_dict mismatch
        raise CliError(f"model {name!r} could not be loaded: {_one_line(e)}") from e


def input_spec(name: str) -> InputSpec | None:
    from models import zoo

    return zoo.input_spec(zoo.spec(name)) if zoo.is_zoo(name) else None


@contextmanager
def _file_errors(path: str, what: str) -> Iterator[None]:
    """Turn the OS errors of opening ``path`` into one-line CliErrors."""
    try:
        yield
    except FileNotFoundError as e:
        raise CliError(f"{path}: no such file") from e
    except IsADirectoryError as e:
        raise CliError(f"{path}: is a directory, not {what}") from e
    except PermissionError as e:
        raise CliError(f"{path}: permission denied") from e
    except OSError as e:
        raise CliError(f"{path}: cannot read the file: {e.strerror or _one_line(e)}") from e


def read_image(path: str, spec: InputSpec | None = None) -> PreparedImage:
    p = Path(path)
    with _file_errors(path, "an image file"):
        data, size = _read_limited(p)
    try:
        if size > MAX_BYTES:  # only MAX_BYTES + 1 bytes were read: report the file's real size
            raise too_big(size)
        return prepare(data, name=p.name) if spec is None else prepare_rgb(data, p.name, spec)
    except ImageError as e:
        raise CliError(f"{path}: {e}") from e


def _read_limited(p: Path) -> tuple[bytes, int]:
    """The file's bytes and its size; never more than MAX_BYTES + 1 bytes are read. The size of a larger
    regular file is the one the file system gives; a pipe counts as MAX_BYTES + 1 (it is not read on)."""
    with p.open("rb") as f:
        data = f.read(MAX_BYTES + 1)
        size = len(data)
        if size > MAX_BYTES:
            st = os.fstat(f.fileno())
            if stat.S_ISREG(st.st_mode):
                size = max(size, st.st_size)
    return data, size


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def _rounded(x: float | None, digits: int = 6) -> float | None:
    return None if x is None else float(f"{x:.{digits}g}")


def _layer_json(row: LayerRow) -> dict[str, Any]:
    return {
        "name": row.key,
        "kind": row.kind,
        "in_shape": None if row.in_shape is None else list(row.in_shape),
        "out_shape": list(row.out_shape),
        "n_params": row.n_params,
        "act": {k: _rounded(v) for k, v in asdict(row.act).items()},
        "grad_norm": _rounded(row.grad_norm),
        "weight_grad_norm": _rounded(row.weight_grad_norm),
    }


def analyse(path: str, model_name: str, model: nn.Module, target: int | None) -> dict[str, Any]:
    """One image → the JSON-ready result (see the README for the schema)."""
    t0 = time.perf_counter()
    spec = input_spec(model_name)
    image = read_image(path, spec)
    t1 = time.perf_counter()
    tr = trace(model, image.tensor, target=target, param_grad_limit=None if spec is None else 5_000_000)
    t2 = time.perf_counter()
    rows = layer_table(tr)
    names = models.class_names("en", model_family(model_name))
    probs = tr.probs[0]
    order = torch.argsort(probs, descending=True).tolist()
    result = {
        "file": path,
        "model": model_name,
        "input": {
            "name": image.name,
            "format": image.format,
            "mode": image.mode,
            "size": list(image.size),
            "frames": image.frames,
            "inverted": image.inverted,
            "notes": list(image.notes),
            "steps": [{"key": s.key, "applied": s.applied} for s in image.steps],
            "normalization": {"mean": MEAN, "std": STD} if spec is None else {"mean": list(spec.mean),
                                                                              "std": list(spec.std)},
            "tensor_shape": list(image.tensor.shape),
        },
        "target": {"index": tr.target[0], "label": names[tr.target[0]], "loss": tr.loss_kind},
        "predictions": [{"index": i, "label": names[i], "prob": _rounded(float(probs[i]))}
                        for i in (order if spec is None else order[:10])],
        "layers": [_layer_json(r) for r in rows],
    }
    t3 = time.perf_counter()
    result["timing_ms"] = {"prepare": round((t1 - t0) * 1e3, 2), "trace": round((t2 - t1) * 1e3, 2),
                           "total": round((t3 - t0) * 1e3, 2)}
    return result


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.4g}"


def _shape(s: list[int] | None) -> str:
    return "-" if s is None else "[" + ", ".join(map(str, s)) + "]"


def format_text(result: dict[str, Any]) -> str:
    """The human-readable report of one image."""
    inp = result["input"]
    applied = [s["key"] for s in inp["steps"] if s["applied"]]
    lines = [
        f"{result['file']}: {inp['format']} {inp['mode']} {inp['size'][0]}x{inp['size'][1]}"
        + (f", {inp['frames']} frames" if inp["frames"] > 1 else "")
        + f" · steps: {', '.join(applied) or 'none'} · model {result['model']}",
        f"top-{TOP_K} predictions:",
    ]
    k = 5 if model_family(str(result["model"])) == models.IMAGENET else TOP_K
    lines[-1] = f"top-{k} predictions:"
    for rank, p in enumerate(result["predictions"][:k], 1):
        lines.append(f"  {rank}. {p['label']:<12} {p['prob']:7.2%}  (class {p['index']})")
    tgt = result["target"]
    lines.append(f"gradients of the logit of class {tgt['index']} ({tgt['label']}):")
    header = ["layer", "kind", "in shape", "out shape", "params", "mean", "std", "min", "max", "zero",
              "|dL/dout|", "|dL/dW|"]
    table = [header]
    for r in result["layers"]:
        a = r["act"]
        table.append([r["name"], r["kind"], _shape(r["in_shape"]), _shape(r["out_shape"]), str(r["n_params"]),
                      _fmt(a["mean"]), _fmt(a["std"]), _fmt(a["min"]), _fmt(a["max"]), f"{a['frac_zero']:.0%}",
                      _fmt(r["grad_norm"]), _fmt(r["weight_grad_norm"])])
    widths = [max(len(row[c]) for row in table) for c in range(len(header))]
    left = {0, 1}
    for row in table:
        cells = [c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    t = result["timing_ms"]
    lines.append(f"time: {t['total']:.1f} ms (prepare {t['prepare']:.1f} ms, trace {t['trace']:.1f} ms)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        family = model_family(args.model)
        target = parse_target(args.target, 1000 if family == models.IMAGENET else 10, family)
        model = load_model(args.model, args.weights)
    except CliError as e:
        print(f"error: {e}", file=err)
        return EXIT_BAD_INPUT
    results: list[dict[str, Any]] = []
    failed = False
    for path in args.images:
        try:
            result = analyse(path, args.model, model, target)
        except CliError as e:
            print(f"error: {e}", file=err)
            failed = True
            continue
        results.append(result)
        if not args.json:
            if len(results) > 1:
                print(file=out)
            print(format_text(result), file=out)
    if args.json and results:
        payload: Any = results[0] if len(args.images) == 1 else results
        print(json.dumps(payload, indent=1, ensure_ascii=False), file=out)
    return EXIT_BAD_INPUT if failed else EXIT_OK


def run() -> int:
    """Entry point of ``python -m explain``: :func:`main`, quiet on a closed pipe (``| head``) or Ctrl-C."""
    keep_freed_memory()  # one process traces image after image: reuse the heap (explain.allocator)
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would print a traceback while flushing at exit: point stdout at /dev/null first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130
    return code
