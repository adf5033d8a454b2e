"""End to end in a real browser: `streamlit run app.py` driven by Debian's Chromium through playwright.

One browser session, as a student would use it: open the app, upload a photo through the real file
input, switch the language to Chinese, click every page of the sidebar navigation (the session keeps
the image), switch the model once, and come back to the Overview. On every page: no exception element,
no error alert, no browser console error, every visible chart and image rendered. A full-page screenshot
of each step lands in tests/output/screenshots/.

The browser is Debian's /usr/bin/chromium (``make test`` installs it and fonts-noto-cjk); playwright's
own browser download is never used. Without it the test is skipped, except in CI where it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers import ROOT, photo_bytes

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]
PAGE_TIMEOUT_MS = 60_000
SERVER_START_S = 60
VIEWPORT = {"width": 1400, "height": 900}
# Console errors that are not the app's (matched against "<message text> @ <source url>"): app.py's
# page_icon=":material/…:" makes Streamlit point the favicon at Google's icon CDN; offline (CI, this
# machine) the fetch fails with ERR_NAME_NOT_RESOLVED. Only the tab icon is missing; nothing else is
# fetched from outside.
HARMLESS_CONSOLE = [
    re.compile(r"Failed to load resource: net::ERR_\w+ @ https://fonts\.gstatic\.com/s/i/.*materialsymbols"),
]


def _require_browser() -> None:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (Debian package chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package (requirements-dev.txt)")
    if missing:
        msg = "browser test needs " + " and ".join(missing) + "; `make test` installs them"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    log: Path

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""


@pytest.fixture(scope="module")
def server(output_dir: Path) -> Iterator[Server]:
    _require_browser()
    port = _free_port()
    log = output_dir / "browser-server.log"
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    srv = Server(f"http://127.0.0.1:{port}", proc, log)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{srv.log_tail()}")
            try:
                with urllib.request.urlopen(f"{srv.url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer within {SERVER_START_S} s:\n{srv.log_tail()}")
            time.sleep(0.3)
        yield srv
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@dataclass
class Watch:
    """Console errors and uncaught page errors since the last ``take()``."""

    errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def console(self, msg) -> None:  # noqa: ANN001 - playwright ConsoleMessage
        if msg.type != "error":
            return
        text = f"{msg.text} @ {msg.location.get('url', '')}"
        (self.ignored if any(p.search(text) for p in HARMLESS_CONSOLE) else self.errors).append("console: " + text)

    def page_error(self, err) -> None:  # noqa: ANN001 - playwright Error
        self.errors.append(f"pageerror: {err}")

    def take(self) -> list[str]:
        out, self.errors = self.errors, []
        return out


IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  const s = app.getAttribute('data-test-script-state');
  if (s !== 'notRunning' && s !== 'compilationError') return false;
  if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')) return false;
  if (document.querySelector('[data-testid="stAppSkeleton"]')) return false;
  return true;
}"""

RENDERED_JS = """() => {
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const main = document.querySelector('[data-testid="stMain"]') || document;
  const charts = [...main.querySelectorAll('[data-testid="stPlotlyChart"]')].filter(visible);
  const images = [...main.querySelectorAll('[data-testid="stImage"] img, [data-testid="stImages"] img')]
      .filter(visible);
  return {
    charts: charts.length,
    charts_drawn: charts.filter(c => c.querySelector('.js-plotly-plot .main-svg')).length,
    images: images.length,
    images_loaded: images.filter(i => i.complete && i.naturalWidth > 0).length,
  };
}"""


SIDEBAR_JS = """() => {
  const bar = document.querySelector('[data-testid="stSidebar"]');
  const radios = [...bar.querySelectorAll('[data-testid="stRadio"] input')];
  const box = bar.querySelector('[data-testid="stSelectbox"]');
  const inputs = box ? [...box.querySelectorAll('input')].map(i => i.value).join(' ') : '';
  return {lang_index: radios.findIndex(r => r.checked), model_text: box ? box.textContent + ' ' + inputs : ''};
}"""


def wait_idle(page, what: str) -> None:  # noqa: ANN001 - playwright Page
    """Wait until the script run that the last action triggered has finished (stable for 0.5 s)."""
    page.wait_for_timeout(300)  # let a rerun that was just requested start
    for _ in range(2):
        page.wait_for_function(IDLE_JS, timeout=PAGE_TIMEOUT_MS)
        page.wait_for_timeout(500)
    if not page.evaluate(IDLE_JS):
        page.wait_for_function(IDLE_JS, timeout=PAGE_TIMEOUT_MS)


def wait_rendered(page) -> dict:  # noqa: ANN001
    """Wait until every visible plotly chart has drawn its SVG and every visible image has loaded."""
    deadline = time.monotonic() + PAGE_TIMEOUT_MS / 1000
    while True:
        r = page.evaluate(RENDERED_JS)
        if (r["charts_drawn"] == r["charts"] and r["images_loaded"] == r["images"]) or time.monotonic() > deadline:
            return r
        page.wait_for_timeout(250)


def screenshot(page, path: Path) -> None:  # noqa: ANN001
    """A full-page screenshot: Streamlit scrolls inside stMain, so the viewport grows to its height first."""
    height = page.evaluate("() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
                           " return m ? m.scrollHeight : document.body.scrollHeight; }")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": int(min(max(height, VIEWPORT["height"]), 8000))})
    page.wait_for_timeout(400)  # plotly relayouts on resize
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)


def check_page(page, watch: Watch, label: str) -> list[str]:  # noqa: ANN001
    """Problems on the current page (empty list when it is fine)."""
    problems = []
    r = wait_rendered(page)
    for sel, what in (('[data-testid="stException"]', "exception"), ('[data-testid="stAlertContentError"]', "error")):
        for el in page.locator(sel).all():
            problems.append(f"{label}: {what} shown: {el.inner_text()[:300]!r}")
    if r["charts"] != r["charts_drawn"]:
        problems.append(f"{label}: {r['charts'] - r['charts_drawn']} of {r['charts']} charts not drawn")
    if r["images"] != r["images_loaded"]:
        problems.append(f"{label}: {r['images'] - r['images_loaded']} of {r['images']} images not loaded")
    if r["charts"] + r["images"] == 0:
        problems.append(f"{label}: no chart and no image on the page")
    problems += [f"{label}: {e}" for e in watch.take()]
    return problems


class Walk:
    """One browser session through the app: every step waits, checks the page and takes a screenshot."""

    def __init__(self, page, server: Server, shots: Path, session: dict[str, str]) -> None:  # noqa: ANN001
        from ui.i18n import LANGS

        self.page, self.server, self.shots, self.session, self.langs = page, server, shots, session, LANGS
        self.problems: list[str] = []
        self.visited: list[str] = []
        self.timings: list[tuple[str, float]] = []
        self.watch = Watch()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.on("console", self.watch.console)
        page.on("pageerror", self.watch.page_error)

    def href(self, spec) -> str:  # noqa: ANN001 - PageSpec
        from ui.nav import PAGES

        return self.server.url + "/" + ("" if spec.path == PAGES[0].path else Path(spec.path).stem)

    def step(self, name: str) -> None:
        page = self.page
        t0 = time.monotonic()
        wait_idle(page, name)
        self.timings.append((name, round(time.monotonic() - t0, 1)))
        self.problems.extend(check_page(page, self.watch, name))
        side = page.evaluate(SIDEBAR_JS)  # the sidebar must show the session's choices on every page
        if side["lang_index"] != self.langs.index(self.session["lang"]):
            self.problems.append(f"{name}: the language switch shows option {side['lang_index']}, "
                                 f"the session's language is {self.session['lang']}")
        if self.session["model"] not in side["model_text"]:
            self.problems.append(f"{name}: the model picker does not show {self.session['model']}")
        screenshot(page, self.shots / f"{self.session.get('prefix', '')}{len(self.visited):02d}-{name}.png")
        self.visited.append(name)

    def go(self, spec, lang: str) -> None:  # noqa: ANN001
        page = self.page
        view_more = page.locator('[data-testid="stSidebarNavViewButton"]')
        if view_more.count() and "less" not in view_more.first.inner_text().lower():
            view_more.first.click()
        links = page.locator('a[data-testid="stSidebarNavLink"]')
        target = next((links.nth(i) for i in range(links.count())
                       if links.nth(i).get_attribute("href") == self.href(spec)), None)
        assert target is not None, f"no navigation link to {self.href(spec)}"
        target.click()
        page.wait_for_url(self.href(spec) + "*")
        self.step(f"{Path(spec.path).stem}-{lang}")
        assert page.locator('[data-testid="stSidebar"] [data-testid="stImage"] img').count(), \
            f"{spec.path}: the session lost the uploaded image"

    def upload(self, photo: Path, name: str) -> None:
        self.page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(photo))
        self.page.wait_for_selector('[data-testid="stSidebar"] [data-testid="stImage"] img')
        self.step(name)

    def pick_model(self, text: str | None) -> str:
        """Choose the first model option containing ``text`` (None: the first one not selected now)."""
        page = self.page
        box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
        box.click()
        options = page.locator('[role="option"]')
        options.first.wait_for()
        pick = next(i for i in range(options.count())
                    if (text is None and options.nth(i).get_attribute("aria-selected") != "true")
                    or (text is not None and text in options.nth(i).inner_text()))
        label = options.nth(pick).inner_text()
        options.nth(pick).click()
        return label

    def finish(self, server: Server) -> None:
        print("seconds until idle per step:", self.timings)
        if self.watch.ignored:
            print("ignored console messages:", *self.watch.ignored, sep="\n  ")
        log = server.log_tail()
        if "Traceback" in log:
            self.problems.append("server log has a traceback:\n" + log)
        assert not self.problems, "\n".join(self.problems) + f"\n(screenshots in {self.shots}; visited {self.visited})"


@contextmanager
def walk_in_browser(server: Server, shots: Path, session: dict[str, str]) -> Iterator[Walk]:
    """Chromium on the app's start page; checks the walk's problems when the block ends."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT, locale="en-US")
            walk = Walk(page, server, shots, session)
            page.goto(server.url + "/")
            wait_idle(page, "start")
            yield walk
        finally:
            browser.close()
    walk.finish(server)


@pytest.fixture(scope="module")
def shots(output_dir: Path) -> Path:
    out = output_dir / "screenshots"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    return out


def test_every_page_in_a_real_browser(server: Server, shots: Path, tmp_path: Path) -> None:
    import models
    from ui.i18n import tr
    from ui.nav import existing_pages

    photo = tmp_path / "my-photo.jpg"
    photo.write_bytes(photo_bytes())
    pages = existing_pages()
    model_names = [m.name for m in models.available()]
    session = {"lang": "en", "model": models.DEFAULT_MODEL}
    with walk_in_browser(server, shots, session) as walk:
        page = walk.page
        walk.upload(photo, "overview-en-upload")
        assert tr("en", "nav.overview") in page.locator('[data-testid="stSidebarNav"]').inner_text()

        # the language: once, on the Overview
        page.locator('[data-testid="stSidebar"] [data-testid="stRadio"] label').filter(has_text="简体中文").click()
        session["lang"] = "zh"
        wait_idle(page, "language")
        page.wait_for_function("() => /[\\u4e00-\\u9fff]/.test(document.querySelector("
                               "'[data-testid=\"stMain\"]').innerText)")
        walk.step("overview-zh")
        assert tr("zh", "nav.overview") in page.locator('[data-testid="stSidebarNav"]').inner_text()

        for spec in pages[1:]:
            walk.go(spec, "zh")

        # the model: once, then back to the Overview, which shows the new model's prediction
        if len(model_names) > 1:
            picked = walk.pick_model(None).split()[0]  # "tinyvgg-sigmoid · test accuracy …"
            session["model"] = picked
            walk.step(f"model-{picked}-{Path(pages[-1].path).stem}")
        walk.go(pages[0], "zh")
    assert len(walk.visited) >= len(pages) + 1


def test_every_page_with_an_imagenet_model_and_a_real_photo(server: Server, shots: Path,
                                                             zoo_weights: dict[str, Path]) -> None:
    """ResNet-18 (weights written by the test into the hub cache that the server reads) on every page."""
    import models
    from ui.nav import existing_pages

    pages = existing_pages()
    session = {"lang": "en", "model": models.DEFAULT_MODEL, "prefix": "imagenet-"}
    with walk_in_browser(server, shots, session) as walk:
        page = walk.page
        walk.pick_model("ResNet-18")
        session["model"] = "ResNet-18"
        wait_idle(page, "model")
        walk.upload(models.photo_samples()[0], "overview-resnet18-photo")
        assert "ImageNet-1K" in page.locator('[data-testid="stMain"]').inner_text()
        for spec in pages[1:]:
            walk.go(spec, "en")
