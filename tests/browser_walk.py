"""A real browser session through the served app: shared by the browser test and ``make screenshots``.

``app_server`` runs ``streamlit run app.py`` (with the repository's .streamlit/config.toml) on a free port;
``walk_in_browser`` opens Debian's /usr/bin/chromium on it through playwright (playwright's own browser
download is never used). A :class:`Walk` waits until each script run has finished, checks the page (no
exception, no error alert, no console error, every chart drawn and every image loaded, no Plotly
placeholder text, no number printed with more than 6 decimals and 6 significant digits, no catalog key
instead of its text) and takes full-page screenshots.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]
PAGE_TIMEOUT_MS = 90_000
# A script run may take minutes on a busy 2-core machine the first time a tab computes something for
# every model (the gradient-flow batch): this only bounds a run that never ends; timings are printed.
RUN_TIMEOUT_MS = 300_000
SERVER_START_S = 60
VIEWPORT = {"width": 1400, "height": 900}
MAX_SHOT_HEIGHT = 16_000  # Chromium draws at most ~16k px in one screenshot
# Console errors that are not the app's (matched against "<message text> @ <source url>"): a
# page_icon=":material/…:" makes Streamlit point the favicon at Google's icon CDN; offline (CI, this
# machine) the fetch fails with ERR_NAME_NOT_RESOLVED. Only the tab icon is missing; nothing else is
# fetched from outside.
HARMLESS_CONSOLE = [
    re.compile(r"Failed to load resource: net::ERR_\w+ @ https://fonts\.gstatic\.com/s/i/.*materialsymbols"),
]
# Text that must never be shown: Plotly's placeholders for empty annotations and titles, JavaScript's
# missing values, and float32 noise printed in full (0.0399999991059303).
PLACEHOLDERS = re.compile(r"new text|Click to enter|(?<![\w.])(?:undefined|NaN|nan)(?!\w)")
LONG_DECIMALS = re.compile(r"\d+\.\d{7,}")
MAX_SIGNIFICANT = 6  # 0.0009418 (4 significant digits) is fine; 0.0399999991059303 is float32 noise
CATALOG_KEY = re.compile(r"(?<![\w.])[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+(?![\w.])")


class ServerError(RuntimeError):
    """streamlit did not start (the message ends with its log)."""


def missing_browser() -> list[str]:
    """What the browser walk lacks on this machine (empty when it can run)."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (Debian package chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package (requirements-dev.txt)")
    return missing


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(port: int, extra_args: tuple[str, ...] = ()) -> list[str]:
    """``streamlit run app.py`` as ``make run`` starts it: .streamlit/config.toml decides everything it sets.

    Only the port and address are the walk's own; the file watcher is switched off here only when the
    config leaves it at Streamlit's default (which would watch the whole .venv)."""
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    config = ROOT / ".streamlit" / "config.toml"
    server = tomllib.loads(config.read_text()).get("server", {}) if config.exists() else {}
    if "fileWatcherType" not in server:
        cmd += ["--server.fileWatcherType", "none"]
    return cmd + list(extra_args)


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, n: int = 4000) -> str:
        return self.log_text()[-n:]


@contextmanager
def app_server(log: Path, env: dict[str, str] | None = None, extra_args: tuple[str, ...] = ()) -> Iterator[Server]:
    """The app served on a free local port until the block ends (the server's output goes to ``log``), in its own
    process group; ``env`` replaces the environment, ``extra_args`` go to ``streamlit run``."""
    port = _free_port()
    with log.open("wb") as fh:
        proc = subprocess.Popen(server_command(port, extra_args), cwd=ROOT, env=env, stdout=fh,
                                stderr=subprocess.STDOUT, start_new_session=True)
    srv = Server(f"http://127.0.0.1:{port}", proc, log)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                raise ServerError(f"streamlit exited with {proc.returncode}:\n{srv.log_tail()}")
            try:
                with urllib.request.urlopen(f"{srv.url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ServerError(f"streamlit did not answer within {SERVER_START_S} s:\n{srv.log_tail()}")
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

# "Shown" means not inside something hidden (display: none); an image that has not loaded yet has no size.
RENDERED_JS = """() => {
  const visible = el => el.checkVisibility ? el.checkVisibility() : !!el.getClientRects().length;
  const main = document.querySelector('[data-testid="stMain"]') || document;
  const charts = [...main.querySelectorAll('[data-testid="stPlotlyChart"]')].filter(visible);
  const images = [...main.querySelectorAll('[data-testid="stImage"] img, [data-testid="stImages"] img')]
      .filter(visible);
  const tables = [...main.querySelectorAll('[data-testid="stDataFrame"], [data-testid="stTable"]')].filter(visible);
  return {
    tables: tables.length,
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

# The text a reader sees in an area: its rendered text plus every visible SVG text (chart titles, ticks,
# annotations, cell labels), one line each.
TEXT_JS = """(selector) => {
  const root = document.querySelector(selector);
  if (!root) return '';
  const svg = [...root.querySelectorAll('svg text')].filter(el => el.getClientRects().length)
      .map(el => el.textContent);
  return root.innerText + '\\n' + svg.join('\\n');
}"""

# The top-level tab bars of the main area: their tab labels and which tab is open. Each tab gets a
# data-walk-tab="<bar>-<tab>" attribute so that playwright can click it.
TABS_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main) return [];
  const bars = [...main.querySelectorAll('[role="tablist"]')]
      .filter(l => !l.parentElement.closest('[role="tabpanel"]'));
  return bars.map((bar, b) => [...bar.querySelectorAll('[role="tab"]')].map((tab, i) => {
    tab.setAttribute('data-walk-tab', b + '-' + i);
    return {label: tab.innerText.trim(), open: tab.getAttribute('aria-selected') === 'true'};
  }));
}"""


def wait_idle(page) -> None:  # noqa: ANN001 - playwright Page
    """Wait until the script run that the last action triggered has finished (stable for 0.5 s)."""
    page.wait_for_timeout(300)  # let a rerun that was just requested start
    for _ in range(2):
        page.wait_for_function(IDLE_JS, timeout=RUN_TIMEOUT_MS)
        page.wait_for_timeout(500)
    if not page.evaluate(IDLE_JS):
        page.wait_for_function(IDLE_JS, timeout=RUN_TIMEOUT_MS)


def wait_rendered(page) -> dict:  # noqa: ANN001
    """Wait until every visible plotly chart has drawn its SVG and every visible image has loaded."""
    deadline = time.monotonic() + PAGE_TIMEOUT_MS / 1000
    while True:
        r = page.evaluate(RENDERED_JS)
        if (r["charts_drawn"] == r["charts"] and r["images_loaded"] == r["images"]) or time.monotonic() > deadline:
            return r
        page.wait_for_timeout(250)


def screenshot(page, path: Path, viewport: dict[str, int]) -> None:  # noqa: ANN001
    """A full-page screenshot: Streamlit scrolls inside stMain, so the viewport grows to its height first."""
    height = page.evaluate("() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
                           " return m ? m.scrollHeight : document.body.scrollHeight; }")
    page.set_viewport_size({"width": viewport["width"],
                            "height": int(min(max(height, viewport["height"]), MAX_SHOT_HEIGHT))})
    page.wait_for_timeout(400)  # plotly relayouts on resize
    wait_rendered(page)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(viewport)


def _catalog_keys() -> frozenset[str]:
    from ui.i18n import CATALOG

    return frozenset(CATALOG["en"])


def text_problems(text: str) -> list[str]:
    """Placeholder text, over-long decimals and untranslated catalog keys in ``text``, with a little context."""
    out = []
    keys = _catalog_keys()
    found = [(m, "placeholder text") for m in list(PLACEHOLDERS.finditer(text))[:5]]
    found += [(m, "a number with more than 6 decimals (and significant digits)") for m in LONG_DECIMALS.finditer(text)
              if len(m.group().replace(".", "").lstrip("0")) > MAX_SIGNIFICANT][:5]
    found += [(m, "a catalog key instead of its text") for m in CATALOG_KEY.finditer(text) if m.group() in keys][:5]
    for m, what in found:
        around = text[max(0, m.start() - 40):m.end() + 40].replace("\n", " ⏎ ")
        out.append(f"{what} {m.group()!r} in …{around}…")
    return out


def missing_content(rendered: dict, label: str) -> list[str]:
    """The problem of a page that shows nothing to look at (``rendered``: what :func:`wait_rendered` counted)."""
    if rendered["charts"] + rendered["images"] + rendered["tables"]:
        return []
    return [f"{label}: no chart, no image and no table on the page"]


def check_page(page, watch: Watch, label: str, *, need_content: bool = True) -> list[str]:  # noqa: ANN001
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
    if need_content:
        problems += missing_content(r, label)
    problems += [f"{label}: {p}" for p in text_problems(page.evaluate(TEXT_JS, '[data-testid="stMain"]'))]
    problems += [f"{label}: {e}" for e in watch.take()]
    return problems


class Walk:
    """One browser session through the app: every step waits, checks the page and may take a screenshot."""

    def __init__(self, page, server: Server, shots: Path, session: dict[str, str],  # noqa: ANN001
                 viewport: dict[str, int]) -> None:
        from ui.i18n import LANGS

        self.page, self.server, self.shots, self.session, self.langs = page, server, shots, session, LANGS
        self.viewport = viewport
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

    def text(self, area: str = "main") -> str:
        """The visible text of the main area (or ``"sidebar"``), charts' SVG text included."""
        where = '[data-testid="stSidebar"]' if area == "sidebar" else '[data-testid="stMain"]'
        return self.page.evaluate(TEXT_JS, where)

    def step(self, name: str, shot: str | None = "", *, need_content: bool = True) -> None:
        """Wait for the run to end, check the page, take a screenshot (``shot``: file name, "" numbered, None no)."""
        page = self.page
        t0 = time.monotonic()
        wait_idle(page)
        self.timings.append((name, round(time.monotonic() - t0, 1)))
        self.problems.extend(check_page(page, self.watch, name, need_content=need_content))
        side = page.evaluate(SIDEBAR_JS)  # the sidebar must show the session's choices on every page
        if side["lang_index"] != self.langs.index(self.session["lang"]):
            self.problems.append(f"{name}: the language switch shows option {side['lang_index']}, "
                                 f"the session's language is {self.session['lang']}")
        if self.session["model"] not in side["model_text"]:
            self.problems.append(f"{name}: the model picker does not show {self.session['model']}")
        if shot is not None:
            file = shot or f"{self.session.get('prefix', '')}{len(self.visited):02d}-{name}.png"
            screenshot(page, self.shots / file, self.viewport)
        self.visited.append(name)

    def go(self, spec, name: str, shot: str | None = "", *, need_content: bool = True) -> None:  # noqa: ANN001
        """Click ``spec``'s link in the sidebar navigation, then ``step``."""
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
        self.step(name, shot, need_content=need_content)
        if not page.locator('[data-testid="stSidebar"] [data-testid="stImage"] img').count():
            self.problems.append(f"{name}: no image in the sidebar (the session lost the upload, or the page broke)")

    def tab_bars(self) -> list[list[dict]]:
        """The main area's top-level tab bars: per bar, each tab's label and whether it is open."""
        return self.page.evaluate(TABS_JS)

    def open_tab(self, bar: int, tab: int, name: str, shot: str | None = "", *, need_content: bool = False) -> None:
        """Click tab ``tab`` of bar ``bar`` (unless it is open), wait for the rerun, then ``step``."""
        bars = self.tab_bars()
        if not bars[bar][tab]["open"]:
            self.page.locator(f'[data-testid="stMain"] [data-walk-tab="{bar}-{tab}"]').click()
        self.step(name, shot, need_content=need_content)

    def set_lang(self, lang: str) -> None:
        """Switch the language in the sidebar and wait until the page is drawn in it."""
        from ui.i18n import LANG_NAMES

        self.page.locator('[data-testid="stSidebar"] [data-testid="stRadio"] label').filter(
            has_text=LANG_NAMES[lang]).click()
        self.session["lang"] = lang
        wait_idle(self.page)
        if lang == "zh":
            self.page.wait_for_function("() => /[\\u4e00-\\u9fff]/.test(document.querySelector("
                                        "'[data-testid=\"stMain\"]').innerText)")

    def upload(self, photo: Path, name: str, shot: str | None = "") -> None:
        self.page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(photo))
        self.page.wait_for_selector('[data-testid="stSidebar"] [data-testid="stImage"] img', timeout=RUN_TIMEOUT_MS)
        self.step(name, shot)

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

    def finish(self, server: Server) -> list[str]:
        """Print the timings; the walk's problems, with the server's traceback if it logged one."""
        print("seconds until idle per step:", self.timings)
        if self.watch.ignored:
            print("ignored console messages:", *sorted(set(self.watch.ignored)), sep="\n  ")
        log = server.log_tail()
        if "Traceback" in log:
            self.problems.append("server log has a traceback:\n" + log)
        return self.problems


@contextmanager
def walk_in_browser(server: Server, shots: Path, session: dict[str, str], *, viewport: dict[str, int] | None = None,
                    strict: bool = True, locale: str = "en-US") -> Iterator[Walk]:
    """Chromium (its language ``locale``) on the app's start page. With ``strict`` the walk's problems fail an
    assertion when the block ends; otherwise they stay in ``walk.problems`` for the caller."""
    from playwright.sync_api import sync_playwright

    viewport = viewport or VIEWPORT
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=viewport, locale=locale)
            walk = Walk(page, server, shots, session, viewport)
            page.goto(server.url + "/")
            wait_idle(page)
            yield walk
        finally:
            browser.close()
    problems = walk.finish(server)
    if strict:
        assert not problems, "\n".join(problems) + f"\n(screenshots in {shots}; visited {walk.visited})"
