"""`make screenshots`: full-page pictures of every page and tab, in both languages, with two models.

    .venv/bin/python -m tests.screenshots [--langs en zh] [--models tinyvgg-relu imagenet-resnet18] [--pages overview …]

The app is served as ``make run`` serves it (the repository's .streamlit/config.toml) and driven by
Debian's /usr/bin/chromium, 1440 px wide, through the same browser walk as tests/test_browser.py: a
photo-like picture (tests.helpers.photo_bytes) goes in through the real file input, then every page is
opened in every language with every model, and each tab of the page is clicked once and drawn to
docs/screenshots/<lang>-<model>-<page>[-<tab>].png (``en-tinyvgg-relu-convolution-2.png`` is the
Convolution page's second tab). Each picture is checked like the browser test checks a page; the
problems found are printed and written to tests/output/screenshots-problems.txt, and make the exit
status 1 (the pictures are kept).

ImageNet weights are never downloaded: they are read from a private, temporary TORCH_HOME with
CNN_LENS_OFFLINE=1. A real weights file already in the usual hub cache (``make weights``) is linked
there; otherwise random-init weights are written (``models.zoo.write_weights(spec, seed=0)``), as the
tests do, and that model's predictions mean nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from tests.helpers import ROOT, photo_bytes

OUT = ROOT / "docs" / "screenshots"
PROBLEMS = ROOT / "tests" / "output" / "screenshots-problems.txt"
VIEWPORT = {"width": 1440, "height": 900}
IMAGENET = "imagenet-resnet18"
BUDGET_BYTES = 40 * 2**20  # above this the set is saved as JPEG (quality 80) instead of PNG
MAX_FILES = 200


def _short(model: str) -> str:
    """The model part of a file name: "tinyvgg-relu", "resnet18"."""
    from models import zoo

    return model.removeprefix(zoo.PREFIX)


def provide_weights(names: list[str], user_hub: Path) -> None:
    """Each ImageNet model's weights in the (temporary) hub cache: the user's real file, else random-init."""
    from models import zoo

    for name in names:
        if not zoo.is_zoo(name):
            continue
        spec = zoo.spec(name)
        real = user_hub / "checkpoints" / zoo.weights_file(spec)
        if real.is_file():
            dest = zoo.cached_path(spec)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.symlink_to(real)
            print(f"{spec.title}: the real weights from {real}")
        else:
            zoo.write_weights(spec, seed=0)
            print(f"{spec.title}: random-init weights (no {real}; `make weights` downloads the real ones)")


def model_option(name: str) -> str:
    """Text that picks ``name`` in the sidebar's model box (and that the box shows once picked)."""
    from models import zoo

    return zoo.spec(name).title if zoo.is_zoo(name) else name


def shoot_all(walk, photo: Path, model_names: list[str], langs: list[str], stems: list[str] | None,  # noqa: ANN001
              out: Path) -> list[Path]:
    """The whole walk; returns the files written, in order."""
    from tests.browser_walk import missing_content, screenshot, wait_idle, wait_rendered
    from ui.i18n import tr
    from ui.nav import existing_pages

    pages = [p for p in existing_pages() if stems is None or Path(p.path).stem in stems]
    files: list[Path] = []
    walk.upload(photo, "upload", shot=None)
    for model in model_names:
        if model != walk.session["model_name"]:
            walk.pick_model(model_option(model))
            walk.session.update(model=model_option(model), model_name=model)
            wait_idle(walk.page)
        for lang in sorted(langs, key=lambda lang: lang != walk.session["lang"]):  # the current language first
            if lang != walk.session["lang"]:
                walk.set_lang(lang)
            for spec in pages:
                base = f"{lang}-{_short(model)}-{Path(spec.path).stem.replace('_', '-')}"
                t0 = time.monotonic()
                # a page opens on the tab its session had open last (a code-only tab, or one computed on request,
                # has no chart, image or table): the content check is made on each page's first tab instead
                walk.go(spec, base, shot=None, need_content=False)
                picker = tr(lang, "picker.tab_upload")
                bars = [(b, bar) for b, bar in enumerate(walk.tab_bars()) if bar and bar[0]["label"] != picker]
                if not bars:
                    walk.problems.extend(missing_content(wait_rendered(walk.page), base))
                    files.append(out / f"{base}.png")
                    screenshot(walk.page, files[-1], walk.viewport)
                for b, bar in bars:
                    for i in range(len(bar)):
                        tab = f"{i + 1}" if len(bars) == 1 else f"{b + 1}.{i + 1}"
                        files.append(out / f"{base}-{tab}.png")
                        walk.open_tab(b, i, f"{base}-{tab}", shot=files[-1].name, need_content=i == 0)
                print(f"{base}: {max(1, sum(len(bar) for _, bar in bars))} picture(s), "
                      f"{time.monotonic() - t0:.0f} s", flush=True)
    return files


def shrink(files: list[Path], budget: int) -> list[Path]:
    """Keep PNG when the set fits ``budget`` bytes; otherwise save every picture as JPEG (quality 80)."""
    from PIL import Image

    total = sum(f.stat().st_size for f in files)
    print(f"{len(files)} PNG files, {total / 2**20:.1f} MiB")
    if total <= budget:
        return files
    out = []
    for f in files:
        jpg = f.with_suffix(".jpg")
        with Image.open(f) as im:
            im.convert("RGB").save(jpg, "JPEG", quality=80, optimize=True, progressive=True)
        f.unlink()
        out.append(jpg)
    print(f"over {budget / 2**20:.0f} MiB: saved as JPEG, {sum(f.stat().st_size for f in out) / 2**20:.1f} MiB")
    return out


def main(argv: list[str] | None = None) -> int:
    import models
    from ui.i18n import LANGS

    ap = argparse.ArgumentParser(prog="python -m tests.screenshots", description=__doc__.split("\n")[0])
    ap.add_argument("--langs", nargs="+", default=list(LANGS), choices=list(LANGS))
    ap.add_argument("--models", nargs="+", default=[models.DEFAULT_MODEL, IMAGENET])
    ap.add_argument("--pages", nargs="+", default=None, help="page file stems (default: every page)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)

    from tests.browser_walk import app_server, missing_browser, walk_in_browser

    missing = missing_browser()
    if missing:
        print("screenshots need " + " and ".join(missing) + "; `make screenshots` installs them", file=sys.stderr)
        return 2
    import torch

    user_hub = Path(torch.hub.get_dir())
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    kept_jpeg = False
    for old in [*out.glob("*.png"), *out.glob("*.jpg")]:
        if args.pages is None or any(f"-{p.replace('_', '-')}" in old.stem for p in args.pages):
            old.unlink()  # a full run replaces every picture; --pages only those of its pages
        else:
            kept_jpeg |= old.suffix == ".jpg"
    PROBLEMS.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cnnlens-shots-torch-") as home:
        os.environ["TORCH_HOME"] = home  # the server started below inherits both
        os.environ["CNN_LENS_OFFLINE"] = "1"
        provide_weights(args.models, user_hub)
        photo = Path(home) / "my-photo.jpg"
        photo.write_bytes(photo_bytes())
        # a new session: English and the default model
        session = {"lang": "en", "model": model_option(models.DEFAULT_MODEL), "model_name": models.DEFAULT_MODEL}
        with app_server(PROBLEMS.parent / "screenshots-server.log") as srv, \
                walk_in_browser(srv, out, session, viewport=VIEWPORT, strict=False) as walk:
            files = shoot_all(walk, photo, args.models, args.langs, args.pages, out)
    files = shrink(files, 0 if kept_jpeg else BUDGET_BYTES)  # the same format as the pictures left in place
    problems = walk.problems
    PROBLEMS.write_text("\n".join(problems) + "\n" if problems else "")
    print(f"{len(files)} pictures in {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}, "
          f"{time.monotonic() - t0:.0f} s")
    if len(files) > MAX_FILES:
        problems.append(f"{len(files)} pictures: more than {MAX_FILES}")
    if problems:
        print(f"{len(problems)} problems (also in {PROBLEMS.relative_to(ROOT)}):", *problems, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
