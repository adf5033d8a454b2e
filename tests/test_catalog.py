"""The en/zh catalog: same keys, no empty text, the same {placeholders}, and every literal key that the
pages and ui/ use exists."""

from __future__ import annotations

import importlib
import pkgutil
import re
import string
from pathlib import Path

import pytest

import ui.strings
from ui.i18n import CATALOG, LANGS, tr

ROOT = Path(__file__).resolve().parents[1]
# t("key"), t('key', …), tr(lang, "key"): plain literals only; f-strings (dynamic keys) are skipped.
KEY_USE = re.compile(r"""\b(?:t|tr\(\s*[\w.]+\s*,)\(?\s*(?<![fF])(["'])([A-Za-z0-9_.\-]+)\1""")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_languages_have_the_same_keys() -> None:
    assert LANGS == ("en", "zh")
    en, zh = set(CATALOG["en"]), set(CATALOG["zh"])
    assert en == zh, {"only en": sorted(en - zh), "only zh": sorted(zh - en)}
    assert len(en) > 50


def test_every_module_is_well_formed() -> None:
    for mod in pkgutil.iter_modules(ui.strings.__path__):
        strings = importlib.import_module(f"ui.strings.{mod.name}").STRINGS
        for key, pair in strings.items():
            assert isinstance(pair, tuple) and len(pair) == 2, (mod.name, key)
            assert all(isinstance(s, str) for s in pair), (mod.name, key)
            assert re.fullmatch(r"[A-Za-z0-9_.\- ]+", key) or key.startswith("sniff."), (mod.name, key)


@pytest.mark.parametrize("lang", LANGS)
def test_no_empty_strings(lang: str) -> None:
    empty = [k for k, v in CATALOG[lang].items() if not v.strip()]
    assert not empty


def test_same_placeholders_in_both_languages() -> None:
    bad = {k: (sorted(fields(CATALOG["en"][k])), sorted(fields(CATALOG["zh"][k])))
           for k in CATALOG["en"] if fields(CATALOG["en"][k]) != fields(CATALOG["zh"].get(k, ""))}
    assert not bad


@pytest.mark.parametrize("lang", LANGS)
def test_every_string_formats(lang: str) -> None:
    """Balanced braces and format specs that accept a number (every placeholder is filled with 1)."""
    for key, text in CATALOG[lang].items():
        params = dict.fromkeys(fields(text), 1)
        if params:
            tr(lang, key, **params)


def test_chinese_is_translated() -> None:
    """Most Chinese strings contain Chinese characters (a copied English text would not)."""
    zh = CATALOG["zh"]
    untranslated = [k for k, v in zh.items() if v == CATALOG["en"][k] and re.search(r"[A-Za-z]{4,}\s+[a-z]{3,}", v)]
    assert len(untranslated) <= max(3, len(zh) // 50), untranslated


def _used_keys() -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    files = [*sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").rglob("*.py"))]
    for path in files:
        if "strings" in path.parts:
            continue
        for m in KEY_USE.finditer(path.read_text(encoding="utf-8")):
            used.setdefault(m.group(2), []).append(str(path.relative_to(ROOT)))
    return used


def test_key_scanner_finds_known_uses() -> None:
    used = _used_keys()
    assert "overview.title" in used and "picker.upload" in used and "sidebar.model" in used
    assert not any(k.startswith("step.") and k.endswith("{") for k in used)


def test_every_used_key_exists() -> None:
    missing = {k: files for k, files in _used_keys().items() if k not in CATALOG["en"]}
    assert not missing
