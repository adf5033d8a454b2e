"""``python -m benchmarks.browser``: what a student's browser sees, in headless Debian Chromium at 1440x1000.

Against the same server as the load test (``benchmarks.loadtest.serve``: ``streamlit run app.py`` with the
repository's config, ``CNN_LENS_OFFLINE=1``, ResNet-18's weights in a temporary ``TORCH_HOME``), for each model
of ``--models`` one browser session (playwright driving ``/usr/bin/chromium``; playwright's own browser
download is never used):

1. open the app, pick the model in the sidebar (unless it is the default one), upload photo A (a photo-like
   JPEG from ``tests.helpers.photo_bytes``) through the Overview's file input;
2. visit every page once by clicking its sidebar link ("first visit": also the browser's first drawing of
   the page);
3. visit every page again: the **warm page switch** (same session, same image);
4. upload photo B, never seen by the server, and visit every page: the **first view after a new image**.

Every visit is timed by the page's own clock (``TIMING_JS``): from the click event on the sidebar link (for
an upload: the file input's change event) to the first animation frame on which the run it started has
ended, the app is idle (Streamlit's script state "notRunning", no running or skeleton indicator: the checks
of the browser test, imported from it) and every visible Plotly chart has drawn its SVG and every visible
image has loaded. The time until the page saw the run end is recorded too, and the same end as the harness
saw it (from before playwright looked for the link to after Python polled the page: 0.05-0.1 s more on a
bare Streamlit app, which is why the page's clock is the figure). Bytes per visit: the websocket frames
received (their payloads, after permessage-deflate) plus the bodies of HTTP responses under ``/media/``
(``st.image`` files) during the visit. After each visit the walk checks, 0.3 s later (not timed), that the
app is still idle (else it waits as the browser test does), counts exception elements and error alerts on
the page and checks that the sidebar still shows the chosen model; a visit that errors or times out
(``--timeout``) is counted and the walk goes on.

Results: tables on stdout (``--json``: one JSON object instead), appended to benchmarks/results.md (not
with ``--no-write``). If ``/usr/bin/chromium`` is missing (the Debian package may still be installing) the
script waits up to ``--wait-chromium`` seconds, then reports that it was skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from benchmarks.loadtest import RESULTS, machine, serve, server_errors, weights_home  # noqa: E402

try:  # the browser test's waiting logic, wherever it lives now
    from tests.browser_walk import CHROMIUM, CHROMIUM_ARGS, IDLE_JS, RENDERED_JS, SIDEBAR_JS, wait_idle
except ImportError:  # pragma: no cover - older layout
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, IDLE_JS, RENDERED_JS, SIDEBAR_JS, wait_idle  # type: ignore

VIEWPORT = {"width": 1440, "height": 1000}
DEFAULT_MODELS = ("tinyvgg-relu", "imagenet-resnet18")
VIEW_TIMEOUT_S = 60.0
# Idle (the browser test's check) and every visible chart drawn and image loaded.
DONE_JS = (f"() => {{ if (!({IDLE_JS})()) return false; const r = ({RENDERED_JS})();"
           " return r.charts_drawn === r.charts && r.images_loaded === r.images; }")
PROBLEMS_JS = """() => ({
  exceptions: document.querySelectorAll('[data-testid="stException"]').length,
  errors: document.querySelectorAll('[data-testid="stAlertContentError"]').length,
})"""
AIMS = {"warm_median_s": 0.4, "warm_worst_s": 1.0, "new_image_worst_s": 1.0}
# The clock in the page itself: from the trusted click on a sidebar link (or the file input's change event)
# to the first animation frame where the run that followed has ended and everything visible is drawn. The
# harness's own round trips (finding the link, playwright's actionability checks, polling from Python) are
# not part of what a student waits for; measured from Python they added 0.05-0.1 s to every visit of a bare
# Streamlit app. ``ran`` is set by any mutation record of the script-state attribute that shows "running",
# so a run that starts and ends between two frames is still seen.
TIMING_JS = """(() => {
  const DONE = __DONE__;
  const t = window.__cnnLensTiming = {start: null, ran: false, ended: null, done: null};
  new MutationObserver(records => {
    for (const r of records) {
      const now = r.target.getAttribute('data-test-script-state');
      if (now === 'running' || r.oldValue === 'running') t.ran = true;
      if (t.ran && now === 'notRunning' && t.start !== null && t.ended === null) t.ended = performance.now();
    }
  }).observe(document, {attributes: true, subtree: true, attributeOldValue: true,
                        attributeFilter: ['data-test-script-state']});
  const loop = () => requestAnimationFrame(() => {
    if (t.done !== null) return;
    if (t.ran && DONE()) t.done = performance.now(); else loop();
  });
  const begin = e => { t.start = e.timeStamp; t.ran = false; t.ended = null; t.done = null; loop(); };
  document.addEventListener('click', e => {
    if (e.isTrusted && e.target.closest && e.target.closest('a[data-testid="stSidebarNavLink"]')) begin(e);
  }, true);
  document.addEventListener('change', e => { if (e.target && e.target.type === 'file') begin(e); }, true);
})()""".replace("__DONE__", DONE_JS)


def _idle(page: Any) -> None:
    """The browser test's wait (its signature lost the label argument at some point)."""
    try:
        wait_idle(page)
    except TypeError:
        wait_idle(page, "bench")


@dataclass
class Visit:
    page: str
    phase: str
    done_s: float | None = None  # click to everything drawn, the page's own clock (else harness_s)
    finished_s: float | None = None  # click to the end of the run, as the page saw it (else from Python)
    harness_s: float | None = None  # the same end seen from the harness: its round trips included
    ws_bytes: int = 0
    media_bytes: int = 0
    charts: int = 0
    images: int = 0
    errors: list[str] = field(default_factory=list)


class Meter:
    """Websocket frames and media responses of one browser page, counted from the last ``reset``."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.ws_bytes = 0
        self.finished_at: float | None = None
        self.requests: list[Any] = []
        page.on("websocket", self._websocket)
        page.on("requestfinished", self._request)

    def reset(self) -> None:
        self.ws_bytes, self.finished_at, self.requests = 0, None, []

    def _websocket(self, ws: Any) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload: Any) -> None:
        data = payload if isinstance(payload, bytes) else str(payload).encode()
        self.ws_bytes += len(data)
        try:
            msg = ForwardMsg()
            msg.ParseFromString(data)
        except Exception:  # noqa: BLE001 - not a ForwardMsg: counted, not parsed
            return
        if msg.WhichOneof("type") == "script_finished" and msg.script_finished in (
                ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR):
            self.finished_at = time.monotonic()

    def _request(self, request: Any) -> None:
        if "/media/" in request.url:
            self.requests.append(request)

    def media_bytes(self) -> int:
        total = 0
        for r in self.requests:
            try:
                total += max(0, int(r.sizes().get("responseBodySize", 0)))
            except Exception:  # noqa: BLE001 - a request that went away: not counted
                pass
        return total


class Walk:
    def __init__(self, page: Any, url: str, timeout: float) -> None:
        self.page, self.url, self.timeout = page, url, timeout
        self.meter = Meter(page)
        page.add_init_script(TIMING_JS)
        self.model_texts: tuple[str, ...] = ()  # one of them must be in the sidebar's model picker
        page.set_default_timeout(timeout * 1000)

    def model_shown(self) -> bool:
        text = self.page.evaluate(SIDEBAR_JS)["model_text"]
        return any(t in text for t in self.model_texts)

    def timed(self, name: str, phase: str, action: Any, ready: str | None = None) -> Visit:
        """Run ``action`` (a click, an upload) and time it until the app is idle and drawn (and ``ready``,
        a selector, is there)."""
        v = Visit(name, phase)
        page = self.page
        self.meter.reset()
        t0 = time.monotonic()
        try:
            action()
            deadline = t0 + self.timeout
            while self.meter.finished_at is None:
                if time.monotonic() > deadline:
                    raise TimeoutError("no script_finished")
                page.wait_for_timeout(10)
            v.finished_s = round(self.meter.finished_at - t0, 3)
            if ready:
                page.wait_for_selector(ready, timeout=max(1.0, deadline - time.monotonic()) * 1000)
            page.wait_for_function(DONE_JS, polling="raf", timeout=max(1.0, deadline - time.monotonic()) * 1000)
            v.harness_s = v.done_s = round(time.monotonic() - t0, 3)
            page.wait_for_timeout(300)  # untimed: a run that follows (st.rerun) must not be taken for the end
            if not page.evaluate(DONE_JS):
                _idle(page)
            clock = page.evaluate("() => window.__cnnLensTiming || null")
            if clock and clock["start"] is not None and clock["done"] is not None:
                v.done_s = round((clock["done"] - clock["start"]) / 1000, 3)
                if clock["ended"] is not None:
                    v.finished_s = round((clock["ended"] - clock["start"]) / 1000, 3)
            drawn = page.evaluate(RENDERED_JS)
            v.charts, v.images = drawn["charts"], drawn["images"]
            problems = page.evaluate(PROBLEMS_JS)
            v.errors += [f"{n} {k} shown" for k, n in problems.items() if n]
            if self.model_texts and not self.model_shown():
                v.errors.append(f"the sidebar does not show the model {self.model_texts[0]}")
        except Exception as e:  # noqa: BLE001 - a timeout or a broken page is a result, not a crash
            v.errors.append(f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")
        v.ws_bytes, v.media_bytes = self.meter.ws_bytes, self.meter.media_bytes()
        return v

    def nav_links(self) -> list[tuple[str, str]]:
        """(href, title) of the sidebar navigation, in its order."""
        more = self.page.locator('[data-testid="stSidebarNavViewButton"]')
        if more.count() and "less" not in more.first.inner_text().lower():
            more.first.click()
        return self.page.evaluate("""() => [...document.querySelectorAll('a[data-testid="stSidebarNavLink"]')]
            .map(a => [a.href, a.innerText.trim().split('\\n').pop().trim()])""")

    def click_link(self, href: str) -> None:
        more = self.page.locator('[data-testid="stSidebarNavViewButton"]')
        if more.count() and "less" not in more.first.inner_text().lower():
            more.first.click()
        self.page.locator(f'a[data-testid="stSidebarNavLink"][href="{href}"]').first.click()

    def upload(self, path: Path) -> None:
        self.page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(path))

    def pick_model(self, name: str, title: str) -> None:
        box = self.page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
        box.click()
        options = self.page.locator('[role="option"]')
        options.first.wait_for()
        texts = [options.nth(i).inner_text() for i in range(options.count())]
        pick = next((i for i, t in enumerate(texts) if name in t), None)
        if pick is None:
            pick = next(i for i, t in enumerate(texts) if title in t)
        options.nth(pick).click()


def wait_for_chromium(seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not CHROMIUM.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(5)
    time.sleep(2 if seconds else 0)  # a package that just appeared may still be unpacking
    return True


def walk_model(url: str, model: str, photos: tuple[Path, Path], timeout: float) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    import models
    from models import zoo

    title = zoo.spec(model).title if zoo.is_zoo(model) else model
    visits: list[Visit] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT, locale="en-US")
            walk = Walk(page, url, timeout)
            visits.append(walk.timed("Overview", "open", lambda: page.goto(url + "/"),
                                     ready='[data-testid="stSidebar"] [data-testid="stSelectbox"]'))
            _idle(page)
            if model != models.DEFAULT_MODEL:
                visits.append(walk.timed("Overview", "model", lambda: walk.pick_model(model, title)))
                walk.model_texts = (model, title)
                if not walk.model_shown():  # a pick lost to a run in flight: once more, untimed
                    walk.pick_model(model, title)
                    _idle(page)
            walk.model_texts = (model, title)
            visits.append(walk.timed("Overview", "image A", lambda: walk.upload(photos[0])))
            links = walk.nav_links()
            order = links[1:] + links[:1]
            for phase in ("first", "warm"):
                for href, name in order:
                    visits.append(walk.timed(name, phase, lambda h=href: walk.click_link(h)))
            visits.append(walk.timed("Overview", "image B", lambda: walk.upload(photos[1])))
            for href, name in order:
                visits.append(walk.timed(name, "new", lambda h=href: walk.click_link(h)))
        finally:
            browser.close()
    return {"model": model, "pages": [name for _, name in order] if visits else [],
            "visits": [v.__dict__ for v in visits]}


def summarize(run: dict[str, Any]) -> dict[str, Any]:
    by: dict[str, dict[str, dict[str, Any]]] = {}
    for v in run["visits"]:
        by.setdefault(v["page"], {})[v["phase"]] = v
    rows = []
    for name in run["pages"]:
        ph = by.get(name, {})
        rows.append({"page": name, **{f"{k}_s": ph.get(k, {}).get("done_s") for k in ("first", "warm", "new")},
                     "warm_finished_s": ph.get("warm", {}).get("finished_s"),
                     "warm_kb": _kb(ph.get("warm")), "new_kb": _kb(ph.get("new")),
                     "charts": ph.get("warm", {}).get("charts"), "images": ph.get("warm", {}).get("images"),
                     "errors": sorted({e for v in ph.values() for e in v["errors"]})})
    warm = [r["warm_s"] for r in rows if r["warm_s"] is not None]
    new = [r["new_s"] for r in rows if r["new_s"] is not None]
    failed = [v for v in run["visits"] if v["errors"]]
    harness = [v["harness_s"] for v in run["visits"] if v["phase"] == "warm" and v.get("harness_s") is not None]
    return {
        "model": run["model"], "rows": rows,
        "warm_median_s": round(statistics.median(warm), 3) if warm else None,
        "warm_worst_s": max(warm) if warm else None,
        "warm_harness_median_s": round(statistics.median(harness), 3) if harness else None,
        "new_image_median_s": round(statistics.median(new), 3) if new else None,
        "new_image_worst_s": max(new) if new else None,
        "warm_kb_median": round(statistics.median([r["warm_kb"] for r in rows if r["warm_kb"] is not None]), 1)
        if rows else None,
        "failed_visits": len(failed), "first_errors": sorted({e for v in failed for e in v["errors"]})[:6],
    }


def _kb(v: dict[str, Any] | None) -> float | None:
    return None if v is None else round((v["ws_bytes"] + v["media_bytes"]) / 1024, 1)


def _f(v: Any) -> str:
    return "–" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    head = (f"## Browser, {result['date']} (`python -m benchmarks.browser`)\n\n"
            f"Machine: {m['cpu']}, nproc {m['nproc']}, load average {' / '.join(map(str, m['load_avg']))} at the "
            f"start (1/5/15 min). Headless Debian Chromium {result.get('chromium', '?')} at "
            f"{VIEWPORT['width']}x{VIEWPORT['height']}, one session per model against a fresh `streamlit run app.py`; "
            "seconds from the click on the sidebar link until the app is idle and every visible chart and image "
            "is drawn, by the page's own clock (in brackets: until the page saw the run end). First visit: every "
            "page once after photo A. Warm: the second visit, same image. New image: after uploading photo B, "
            "never seen by the server. KB: websocket frames + `/media/` responses during the visit. Chromium, "
            "the server and the harness share the cores.\n")
    if result.get("skipped"):
        return head + f"\nSkipped: {result['skipped']}\n"
    out = [head]
    for s in result["summaries"]:
        out += [f"{s['model']}: warm switch median **{_f(s['warm_median_s'])} s**, worst {_f(s['warm_worst_s'])} s "
                f"(aims ≤ {AIMS['warm_median_s']} / ≤ {AIMS['warm_worst_s']} s); first view after a new image median "
                f"{_f(s['new_image_median_s'])} s, worst **{_f(s['new_image_worst_s'])} s** "
                f"(aim ≤ {AIMS['new_image_worst_s']} s); warm median seen from the harness "
                f"{_f(s['warm_harness_median_s'])} s; {s['failed_visits']} failed visits"
                + (": " + "; ".join(f"`{e[:100]}`" for e in s["first_errors"][:3]) if s["failed_visits"] else "")
                + ".", "",
                "| page | first visit | warm switch | new image | KB warm | KB new image | charts / images | errors |",
                "|---|---:|---:|---:|---:|---:|---:|---|"]
        for r in s["rows"]:
            out.append(f"| {r['page']} | {_f(r['first_s'])} | {_f(r['warm_s'])} ({_f(r['warm_finished_s'])}) "
                       f"| {_f(r['new_s'])} | {_f(r['warm_kb'])} | {_f(r['new_kb'])} "
                       f"| {_f(r['charts'])} / {_f(r['images'])} | {'; '.join(e[:60] for e in r['errors'][:2])} |")
        out.append("")
    for model, exc in result.get("server_exceptions", {}).items():
        if exc:
            out.append(f"- server log ({model}): " + "; ".join(f"{k} (×{v})" for k, v in list(exc.items())[:4]))
    return "\n".join(out) + "\n"


def run_all(models_: list[str], timeout: float, log_dir: Path, wait_chromium: float) -> dict[str, Any]:
    from tests.helpers import photo_bytes

    result: dict[str, Any] = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
                              "viewport": VIEWPORT, "runs": [], "summaries": [], "server_exceptions": {}}
    if not wait_for_chromium(wait_chromium):
        result["skipped"] = f"{CHROMIUM} is not installed (Debian package chromium; `make test` installs it)"
        return result
    try:
        import playwright  # noqa: F401
    except ImportError:
        result["skipped"] = "the playwright Python package is missing (requirements-dev.txt)"
        return result
    import subprocess

    result["chromium"] = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True,
                                        timeout=30).stdout.strip().removeprefix("Chromium ").split(" ")[0]
    with weights_home() as home:
        for i, model in enumerate(models_):
            photos = []
            for j in range(2):
                path = log_dir / f"photo-{model}-{j}.jpg"
                path.write_bytes(photo_bytes("JPEG", size=(640, 480), seed=30_000 + 10 * i + j))
                photos.append(path)
            log = log_dir / f"browser-server-{model}.log"
            t0 = time.monotonic()
            try:
                with serve(home, log) as server:
                    run = walk_model(server.url, model, (photos[0], photos[1]), timeout)
                    result["server_exceptions"][model] = server_errors(server.log_text())["server_exceptions"]
            except Exception as e:  # noqa: BLE001 - one model's failure must not lose the other's figures
                run = {"model": model, "pages": [], "visits": [
                    {"page": "start", "phase": "open", "done_s": None, "finished_s": None, "ws_bytes": 0,
                     "media_bytes": 0, "charts": 0, "images": 0, "errors": [f"{type(e).__name__}: {e}"[:300]]}]}
            s = summarize(run)
            result["runs"].append(run)
            result["summaries"].append(s)
            print(f"[browser] {model}: warm median {s['warm_median_s']} s, worst {s['warm_worst_s']} s; new image "
                  f"worst {s['new_image_worst_s']} s; {s['failed_visits']} failed ({time.monotonic() - t0:.0f} s)",
                  file=sys.stderr, flush=True)
    result["load_avg_end"] = [round(v, 2) for v in os.getloadavg()]
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default=",".join(DEFAULT_MODELS), help="model keys, e.g. tinyvgg-relu")
    ap.add_argument("--timeout", type=float, default=VIEW_TIMEOUT_S, help="seconds per visit before a timeout")
    ap.add_argument("--wait-chromium", type=float, default=300.0, help="seconds to wait for /usr/bin/chromium")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    ap.add_argument("--no-write", action="store_true", help="do not append to benchmarks/results.md")
    ap.add_argument("--log-dir", type=Path, default=None, help="server logs and photos (default: a temp folder)")
    args = ap.parse_args(argv)
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="cnnlens-browser-bench-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    result = run_all([m.strip() for m in args.models.split(",") if m.strip()], args.timeout, log_dir,
                     args.wait_chromium)
    result["server_logs"] = str(log_dir)
    print(json.dumps(result, default=str) if args.json else markdown(result))
    if not args.no_write:
        with RESULTS.open("a") as fh:
            fh.write("\n" + markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
