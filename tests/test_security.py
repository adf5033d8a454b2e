"""Security settings and source rules, checked on the files themselves (so they extend to new pages).

* .streamlit/config.toml: upload limit equal to the pipeline's, XSRF protection on, no tracebacks shown.
* No ``unsafe_allow_html=True`` / ``st.html`` / ``components.html`` with anything but constant text.
* Every ``torch.load(`` passes ``weights_only=True``.
* Every upload widget restricts its types, and the types match the formats the pipeline decodes.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from explain.imaging import FORMATS, MAX_BYTES
from tests.helpers import ROOT, run_page

SKIP_DIRS = {".venv", ".git", "node_modules", "output", "__pycache__", ".ruff_cache", ".pytest_cache"}
TEXT_FUNCS = {"t", "tr"}  # catalog look-ups: constant, reviewed text when called with a constant key only


def _py_files(*roots: str) -> Iterator[Path]:
    for root in roots:
        base = ROOT / root
        files = [base] if base.is_file() else sorted(base.rglob("*.py")) if base.exists() else []
        for f in files:
            if not SKIP_DIRS & set(f.relative_to(ROOT).parts):
                yield f


def _calls(path: Path) -> Iterator[ast.Call]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Call):
            yield node


def _func_name(call: ast.Call) -> str:
    """"torch.load", "st.markdown", "t" … (the dotted source of the called expression)."""
    try:
        return ast.unparse(call.func)
    except Exception:  # noqa: BLE001 - exotic expression: no name
        return ""


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_constant_text(node: ast.expr | None) -> bool:
    """A string literal, a concatenation/f-string of literals only, or ``t("key")`` without parameters."""
    if node is None:
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_constant_text(node.left) and _is_constant_text(node.right)
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(v, ast.Constant) for v in node.values)
    if isinstance(node, ast.Call) and _func_name(node).split(".")[-1] in TEXT_FUNCS:
        return not node.keywords and all(isinstance(a, ast.Constant) for a in node.args)
    return False


def _where(path: Path, call: ast.Call) -> str:
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    return f"{shown}:{call.lineno}: {ast.unparse(call)[:120]}"


# --- configuration --------------------------------------------------------------------------------------

def _config() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_upload_limit_matches_the_pipeline() -> None:
    server = _config().get("server", {})
    assert "maxUploadSize" in server, "server.maxUploadSize is not set (Streamlit's default is 200 MB)"
    assert server["maxUploadSize"] * 2**20 == MAX_BYTES, (server["maxUploadSize"], MAX_BYTES / 2**20)


def test_xsrf_protection_on_and_no_tracebacks_for_users() -> None:
    cfg = _config()
    assert cfg.get("server", {}).get("enableXsrfProtection") is True
    # tracebacks would show server paths and code to every student
    assert cfg.get("client", {}).get("showErrorDetails") in ("none", "type", False)


# --- source rules ---------------------------------------------------------------------------------------

def _html_offenders(path: Path) -> list[str]:
    offenders = []
    for call in _calls(path):
        name = _func_name(call)
        body = call.args[0] if call.args else _kw(call, "body")
        unsafe = _kw(call, "unsafe_allow_html")
        if unsafe is not None and not (isinstance(unsafe, ast.Constant) and unsafe.value is False):
            if not _is_constant_text(body):
                offenders.append(_where(path, call))
        elif (name == "st.html" or name.endswith("components.html")) and not _is_constant_text(body):
            offenders.append(_where(path, call))
    return offenders


def test_html_checker_catches_user_text(tmp_path: Path) -> None:
    src = tmp_path / "page.py"
    src.write_text('st.markdown("<b>ok</b>", unsafe_allow_html=True)\n'
                   'st.markdown(t("a.b"), unsafe_allow_html=True)\n'
                   'st.markdown(f"<b>{image.name}</b>", unsafe_allow_html=True)\n'
                   'st.caption(t("x", name=image.name), unsafe_allow_html=True)\n'
                   'st.html(user_text)\n'
                   'st.markdown(image.name)\n')
    assert [line.split(":")[1] for line in _html_offenders(src)] == ["3", "4", "5"]


def test_no_unsafe_html_with_variable_text() -> None:
    offenders = [o for path in _py_files("app.py", "pages", "ui") for o in _html_offenders(path)]
    assert not offenders, "raw HTML built from variable text:\n" + "\n".join(offenders)


def test_every_torch_load_is_weights_only() -> None:
    offenders = []
    checked = 0
    for path in _py_files("."):
        for call in _calls(path):
            if _func_name(call) == "torch.load":
                checked += 1
                wo = _kw(call, "weights_only")
                if not (isinstance(wo, ast.Constant) and wo.value is True):
                    offenders.append(_where(path, call))
    assert checked >= 1, "models.load should call torch.load"
    assert not offenders, "torch.load without weights_only=True:\n" + "\n".join(offenders)


def _extension_formats() -> dict[str, str]:
    Image.init()
    return {ext.lstrip(".").lower(): fmt for ext, fmt in Image.registered_extensions().items()}


def test_upload_types_match_the_decoders() -> None:
    from ui.picker import UPLOAD_TYPES

    ext_fmt = _extension_formats()
    unknown = [t for t in UPLOAD_TYPES if ext_fmt.get(t.lower()) not in FORMATS]
    assert not unknown, f"upload types the pipeline does not decode: {unknown}"
    covered = {ext_fmt[t.lower()] for t in UPLOAD_TYPES}
    assert covered == set(FORMATS), f"formats the pipeline decodes but the uploader refuses: {set(FORMATS) - covered}"
    for common in ("png", "jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff"):
        assert common in UPLOAD_TYPES, common


def test_every_uploader_restricts_types() -> None:
    offenders = []
    for path in _py_files("app.py", "pages", "ui"):
        for call in _calls(path):
            if _func_name(call).endswith("file_uploader") and _kw(call, "type") is None and len(call.args) < 2:
                offenders.append(_where(path, call))
    assert not offenders, "st.file_uploader without type=:\n" + "\n".join(offenders)


def test_the_real_widget_offers_those_types() -> None:
    from ui.picker import UPLOAD_TYPES

    at = run_page("pages/overview.py")
    widget = at.file_uploader(key="upload")
    assert {t.lstrip(".").lower() for t in widget.allowed_type} == {t.lower() for t in UPLOAD_TYPES}
    assert not widget.accept_multiple_files


def test_catalog_text_inside_a_css_string_cannot_leave_it() -> None:
    """``ui.picker.upload_boxes_in_language`` puts ``picker.upload_button`` inside a CSS string in a style tag."""
    from ui.i18n import CATALOG

    for lang, strings in CATALOG.items():
        text = strings["picker.upload_button"]
        assert text and not set(text) & set('"\\<>{};\n'), (lang, text)
