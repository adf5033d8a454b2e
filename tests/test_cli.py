"""``python -m explain``: JSON schema and values (against a separate forward/trace and torch's own
statistics), text output, targets, several images, and exit code 2 with one ``error:`` line for bad input."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

import models
from explain import cli
from explain.imaging import MAX_BYTES, prepare
from explain.trace import trace
from tests.helpers import ROOT, photo_bytes

SAMPLE = next(p for p in models.samples() if p.name.startswith("9-"))  # an ankle boot


def expected_top(path: Path = SAMPLE, name: str = models.DEFAULT_MODEL) -> str:
    """The English label of the model's top class, from a bare forward pass."""
    with torch.no_grad():
        return models.class_names("en")[int(models.load(name)(prepare(path.read_bytes()).tensor).argmax())]


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        code = cli.main(list(argv), stdout=out, stderr=err)
    except SystemExit as e:  # argparse (usage errors, --help) exits through sys.stderr/stdout
        code = int(e.code or 0)
    return code, out.getvalue(), err.getvalue()


def assert_one_error_line(code: int, err: str, capsys: pytest.CaptureFixture[str] | None = None) -> str:
    text = err + (capsys.readouterr().err if capsys is not None else "")
    assert code == 2
    lines = text.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), text
    assert "Traceback" not in text
    return lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    good = d / "photo.jpg"
    good.write_bytes(photo_bytes("JPEG", size=(1200, 900)))
    png = d / "photo.png"
    png.write_bytes(photo_bytes("PNG", seed=1))
    empty = d / "empty.png"
    empty.write_bytes(b"")
    pdf = d / "doc.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    trunc = d / "trunc.png"
    trunc.write_bytes(png.read_bytes()[:500])
    bomb = d / "bomb.png"
    buf = io.BytesIO()
    Image.new("1", (7000, 7000)).save(buf, "PNG")
    bomb.write_bytes(buf.getvalue())
    big = d / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(MAX_BYTES + 10))
    return {"good": good, "png": png, "empty": empty, "pdf": pdf, "trunc": trunc, "bomb": bomb, "big": big,
            "dir": d, "missing": d / "nope.png"}


# --- JSON ---------------------------------------------------------------------------------------------


def test_json_schema_and_values(files: dict[str, Path]) -> None:
    code, out, err = run_cli(str(files["good"]), "--json")
    assert code == 0 and err == ""
    r = json.loads(out)
    assert isinstance(r, dict)
    assert set(r) >= {"model", "input", "predictions", "layers", "timing_ms"}
    assert r["model"] == models.DEFAULT_MODEL
    inp = r["input"]
    assert inp["size"] == [1200, 900] and inp["mode"] == "RGB" and inp["format"] == "JPEG"
    assert [s["key"] for s in inp["steps"]] == ["original", "grayscale", "inverted", "cropped", "resized"]
    assert all(s["applied"] for s in inp["steps"])  # a light photo: every step did something
    # Independent reference: the same pipeline, a bare forward of the model, and a separate trace.
    image = prepare(files["good"].read_bytes())
    model = models.load(models.DEFAULT_MODEL)
    with torch.no_grad():
        probs = torch.softmax(model(image.tensor), 1)[0]
    preds = r["predictions"]
    assert len(preds) == 10 and [p["prob"] for p in preds] == sorted((p["prob"] for p in preds), reverse=True)
    assert sum(p["prob"] for p in preds) == pytest.approx(1.0, abs=1e-4)
    names = models.class_names("en")
    for p in preds:
        assert p["label"] == names[p["index"]]
        assert p["prob"] == pytest.approx(float(probs[p["index"]]), rel=1e-5, abs=1e-7)
    tr = trace(model, image.tensor)
    assert [lay["name"] for lay in r["layers"]] == tr.keys()
    for lay, rec in zip(r["layers"], tr.layers, strict=True):
        out_t = rec.output.double()
        assert lay["kind"] == rec.kind and lay["out_shape"] == list(rec.output.shape)
        assert lay["in_shape"] == list(rec.input.shape)
        assert lay["n_params"] == sum(p.numel() for p in rec.params.values())
        act = lay["act"]
        assert act["mean"] == pytest.approx(float(out_t.mean()), rel=1e-4, abs=1e-6)
        assert act["std"] == pytest.approx(float(out_t.std(unbiased=False)), rel=1e-4, abs=1e-6)
        assert act["min"] == pytest.approx(float(out_t.min()), rel=1e-5, abs=1e-6)
        assert act["max"] == pytest.approx(float(out_t.max()), rel=1e-5, abs=1e-6)
        assert act["frac_zero"] == pytest.approx(float((out_t == 0).double().mean()), abs=1e-6)
        assert lay["grad_norm"] == pytest.approx(float(torch.linalg.vector_norm(rec.grad.double())), rel=1e-4)
        if rec.params:
            want = math.sqrt(sum(float((g.double() ** 2).sum()) for g in rec.param_grads.values()))
            assert lay["weight_grad_norm"] == pytest.approx(want, rel=1e-4)
        else:
            assert lay["weight_grad_norm"] is None
    assert r["layers"][-1]["grad_norm"] == pytest.approx(1.0)  # dz_t/dz = onehot(t)
    t = r["timing_ms"]
    assert t["total"] >= t["trace"] > 0 and t["prepare"] > 0


@pytest.mark.parametrize("text, index", [("Sneaker", 7), ("ankle boot", 9), ("  7 ", 7), ("0", 0), ("运动鞋", 7)])
def test_target_by_index_or_name(files: dict[str, Path], text: str, index: int) -> None:
    code, out, _ = run_cli(str(files["png"]), "--json", "--target", text)
    assert code == 0
    r = json.loads(out)
    assert r["target"]["index"] == index and r["target"]["label"] == models.class_names("en")[index]
    tr = trace(models.load(models.DEFAULT_MODEL), prepare(files["png"].read_bytes()).tensor, target=index)
    assert r["layers"][0]["grad_norm"] == pytest.approx(float(tr.layers[0].grad.norm()), rel=1e-4)


def test_several_images_give_a_list(files: dict[str, Path]) -> None:
    code, out, err = run_cli(str(files["good"]), str(SAMPLE), str(files["png"]), "--json")
    assert code == 0 and err == ""
    r = json.loads(out)
    assert isinstance(r, list) and [x["file"] for x in r] == [str(files["good"]), str(SAMPLE), str(files["png"])]
    assert r[1]["predictions"][0]["label"] == expected_top()
    assert r[1]["input"]["size"] == [28, 28] and not any(s["applied"] for s in r[1]["input"]["steps"][1:])


def test_several_images_one_bad(files: dict[str, Path]) -> None:
    code, out, err = run_cli(str(SAMPLE), str(files["pdf"]), str(files["png"]), "--json")
    line = assert_one_error_line(code, err)
    assert str(files["pdf"]) in line and "PDF" in line
    assert [x["file"] for x in json.loads(out)] == [str(SAMPLE), str(files["png"])]


@pytest.mark.parametrize("name", [m.name for m in models.available(arch=None)])
def test_every_model(name: str) -> None:
    code, out, _ = run_cli(str(SAMPLE), "--model", name, "--json")
    assert code == 0
    r = json.loads(out)
    assert r["model"] == name
    model = models.load(name)
    with torch.no_grad():
        top = int(model(prepare(SAMPLE.read_bytes()).tensor).argmax())
    assert r["predictions"][0]["index"] == top


# --- text ---------------------------------------------------------------------------------------------


def test_text_output(files: dict[str, Path]) -> None:
    code, out, err = run_cli(str(SAMPLE))
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert "top-3 predictions:" in lines
    i = lines.index("top-3 predictions:")
    assert lines[i + 1].strip().startswith(f"1. {expected_top()} ") and lines[i + 3].strip().startswith("3.")
    for key in trace(models.load(models.DEFAULT_MODEL), prepare(SAMPLE.read_bytes()).tensor).keys():
        assert any(line.startswith(key + " ") for line in lines), key
    assert "[1, 16, 28, 28]" in out and lines[-1].startswith("time:")
    code, out2, _ = run_cli(str(SAMPLE), str(files["png"]))
    assert code == 0 and out2.count("top-3 predictions:") == 2


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run_cli("--help")
    text = capsys.readouterr().out
    assert code == 0 and "usage: python -m explain" in text and "--target CLASS" in text


# --- bad input: exit 2, one line ----------------------------------------------------------------------

BAD_FILES = {
    "missing": "no such file",
    "dir": "is a directory",
    "empty": "empty",
    "pdf": "not an image",
    "trunc": "truncated",
    "bomb": "decompression bomb",
    "big": "the limit is 20 MB",
}


@pytest.mark.parametrize("case", list(BAD_FILES))
@pytest.mark.parametrize("as_json", [False, True])
def test_bad_files(files: dict[str, Path], case: str, as_json: bool) -> None:
    code, out, err = run_cli(str(files[case]), *(["--json"] if as_json else []))
    line = assert_one_error_line(code, err)
    assert BAD_FILES[case] in line and str(files[case]) in line
    assert out == ""


def test_unreadable_file(files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening the file fails with EACCES. Root reads a file whatever its mode (the tests run as root), so
    the refusal is made where the OS would make it: ``Path.open`` of that one file raises PermissionError."""
    import errno
    import os

    p = tmp_path / "secret.png"
    p.write_bytes(files["png"].read_bytes())
    real_open = Path.open
    opened = []

    def refusing_open(self: Path, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - Path.open's signature
        if self == p:
            opened.append(self)
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing_open)
    code, out, err = run_cli(str(p))
    line = assert_one_error_line(code, err)
    assert line == f"error: {p}: permission denied" and out == ""
    assert opened == [p]


@pytest.mark.parametrize("argv, words", [
    (["--model", "resnet-9000"], "unknown model 'resnet-9000'"),
    (["--target", "banana"], "unknown target class 'banana'"),
    (["--target", "10"], "out of range"),
    (["--target", "-1"], "out of range"),
])
def test_bad_model_or_target(argv: list[str], words: str) -> None:
    code, out, err = run_cli(str(SAMPLE), *argv)
    assert words in assert_one_error_line(code, err) and out == ""


@pytest.mark.parametrize("argv", [[], ["--bogus", "x.png"], [str(SAMPLE), "--model"]])
def test_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(*argv)
    assert_one_error_line(code, err, capsys)


def test_module_entry_point(files: dict[str, Path]) -> None:
    """The real ``python -m explain`` process: JSON on stdout, one error line, exit 2, no traceback."""
    res = subprocess.run([sys.executable, "-m", "explain", str(SAMPLE), str(files["missing"]), "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr.splitlines() == [f"error: {files['missing']}: no such file"]
    r = json.loads(res.stdout)
    assert len(r) == 1 and r[0]["predictions"][0]["label"] == expected_top()


def test_cli_imports_no_ui() -> None:
    import re

    src = (ROOT / "explain" / "cli.py").read_text() + (ROOT / "explain" / "__main__.py").read_text()
    imported = set(re.findall(r"^\s*(?:from|import)\s+([\w.]+)", src, flags=re.M))
    assert not {m.split(".")[0] for m in imported} & {"streamlit", "plotly", "ui", "pages"}, imported
