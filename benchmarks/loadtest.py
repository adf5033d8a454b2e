"""``python -m benchmarks.loadtest``: N concurrent sessions against a real ``streamlit run app.py`` server.

What it does, for every model in ``--models`` and every N in ``--sessions`` (a fresh server each time):

* Starts ``python -m streamlit run app.py`` from the repository root, as ``make run`` does (so with the
  repository's ``.streamlit/config.toml``), headless, on a free port of 127.0.0.1, in its own process group,
  with ``CNN_LENS_OFFLINE=1`` and a temporary ``TORCH_HOME`` that holds ResNet-18's weights (the cached real
  file linked when the hub cache has it, otherwise random-init weights from ``models.zoo.write_weights``;
  timings do not depend on the weights' values). The server is killed at the end, whatever happens.
* One unmeasured warm-up session loads the app (and picks the model), so Python's imports and the model's
  weights are in memory; the caches of images and figures are still empty.
* N sessions, each a websocket to ``/_stcore/stream`` speaking Streamlit's own protobuf protocol (what the
  browser's frontend sends: ``rerun_script`` BackMsgs with the ClientState, widget states and the hashes of
  the big messages it has cached; ``file_urls_request`` then an HTTP PUT for an upload), go through the app
  in lockstep: open the app; pick the model in the sidebar (``model``) unless it is the default; choose an
  image: most sessions pick a committed sample on the Overview (selectbox ``sample`` + button
  ``sample_use``), each a different one, and every fourth session (index 1, 5, 9, ...) uploads a photo of
  its own (``tests.helpers.photo_bytes`` with its own seed, named ``loadtest-sNN.jpg``) through the file
  uploader; then visit every page of the navigation in order (Overview last), ``--rounds`` times
  (round 1: the first view of each page with the new image; round 2: the same page again, warm). All
  sessions send each step at the same moment, like a class told to open the next page.
* Each page view is timed from the BackMsg to the ``script_finished`` message of the run (after an
  ``st.rerun`` chain, the last run's), plus the media files (``st.image``, fetched over HTTP like a browser,
  once per URL and session) it references. Bytes: websocket messages (after permessage-deflate is undone:
  the protobuf sizes) plus media bodies.
* Server CPU: utime+stime of the server process and its children from /proc, read before and after every
  step; CPU seconds per page view = the step's CPU ÷ the sessions in the step.
* Failures, counted per view and never fatal for the harness: an exception element, an error alert, a
  compile error, a page-not-found, a timeout (``--timeout`` per view), a closed websocket, a view whose
  sidebar image is missing ("lost image") or names another session's image ("foreign image": no session
  may see another's image). Tracebacks in the server log are counted, and their last lines reported
  (the app redacts the message it sends).
* Time: ``--budget`` (default 540 s) is for all rows together. Each (model, N) gets an equal share of what
  is left, at least 90 s (a configuration that finishes early leaves its rest to the next
  ones); page views that would start after a configuration's share is spent are counted as "not run", never
  as failures. Server start and the warm-up count against the share. Rows run by N, then model (N=1 for
  both models first), so a slow machine loses the N=30 rows first; a row that finds the budget spent is not
  started. Setting up (importing torch, writing the weights) comes before and is not counted.

Results: tables on stdout (``--json``: one JSON object instead), appended as a dated section with the
machine's load average and core count to benchmarks/results.md (not with ``--no-write``).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import math
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402  - a dependency of streamlit itself
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ClientState_pb2 import ClientState  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

from tests.browser_walk import Server, app_server  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.md"
DEFAULT_MODELS = ("tinyvgg-relu", "imagenet-resnet18")
DEFAULT_SESSIONS = (1, 10, 30)
SERVER_START_S = 90.0
VIEW_TIMEOUT_S = 60.0
TOTAL_BUDGET_S = 540.0  # with setting up and the last row's stragglers, about 10 minutes in all
MIN_ROW_S = 90.0  # a row gets at least this (server start and warm-up included) while the budget lasts
UPLOAD_EVERY = 4  # session i uploads a photo when i % UPLOAD_EVERY == 1; the others pick a sample
MEDIA_RE = re.compile(rb"/media/[A-Za-z0-9_\-]+\.[A-Za-z0-9]+")
SIDEBAR = 1  # RootContainer.SIDEBAR: the first number of a delta path
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=48, thread_name_prefix="loadtest-http")


# --- server -------------------------------------------------------------------------------------------

def _proc_cpu(pid: int) -> float:
    """utime + stime + cutime + cstime of ``pid`` in seconds (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # fields[0] is field 3 (state) of proc(5)
    ticks = sum(int(v) for v in fields[11:15])  # fields 14..17: utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                out += [int(c) for c in (task / "children").read_text().split()]
    return out


def cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and every live descendant (finished children are in cutime/cstime)."""
    total, todo, seen = 0.0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _proc_cpu(p)
        todo += _children(p)
    return total


@contextlib.contextmanager
def weights_home() -> Iterator[Path]:
    """A temporary TORCH_HOME with ResNet-18's weights (the real cached file linked, else random init)."""
    from models import zoo

    spec = zoo.spec("imagenet-resnet18")
    real = zoo.cached_path(spec) if zoo.is_cached(spec) else None
    home = Path(tempfile.mkdtemp(prefix="cnnlens-loadtest-torch-home-"))
    before = os.environ.get("TORCH_HOME")
    try:
        os.environ["TORCH_HOME"] = str(home)  # zoo.* read it; the server gets it through its environment
        if real is not None:
            zoo.checkpoints_dir().mkdir(parents=True, exist_ok=True)
            zoo.cached_path(spec).symlink_to(real)
        else:
            zoo.write_weights(spec, seed=0)
        yield home
    finally:
        if before is None:
            os.environ.pop("TORCH_HOME", None)
        else:
            os.environ["TORCH_HOME"] = before
        shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def serve(torch_home: Path, log: Path, extra_args: tuple[str, ...] = ()) -> Iterator[Server]:
    """``streamlit run app.py`` as ``make run`` starts it (the repository's config), in its own process group:
    the same server start as the browser test's (tests.browser_walk.app_server), offline, with its own hub cache."""
    env = {**os.environ, "TORCH_HOME": str(torch_home), "CNN_LENS_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    with app_server(log, env=env, extra_args=extra_args) as server:
        yield server


# --- HTTP helpers (run in threads) ---------------------------------------------------------------------

def _get(url: str, timeout: float, headers: dict[str, str] | None = None) -> tuple[int, bytes, Any]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def _put_file(url: str, data: bytes, name: str, xsrf: str, timeout: float) -> tuple[int, bytes]:
    """What the frontend's file uploader sends: one multipart part "UploadedFile", XSRF header and cookie."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"UploadedFile\"; filename=\"{name}\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(url, data=body, method="PUT", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", "X-Xsrftoken": xsrf,
        "Cookie": f"_streamlit_xsrf={xsrf}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# --- one session ----------------------------------------------------------------------------------------

@dataclass
class Element:
    """What the harness needs of one delta (kept per message hash, so cached "ref_hash" messages resolve)."""

    kind: str
    widget_id: str = ""
    label: str = ""
    options: tuple[str, ...] = ()
    error: str = ""
    captions: tuple[str, ...] = ()
    media: tuple[str, ...] = ()
    fragment_id: str = ""
    tab_container_id: str = ""
    tab_label: str = ""


SUMMARIES: dict[str, Element] = {}  # message hash -> Element, shared: equal hashes mean equal messages


def summarize(msg: ForwardMsg, raw: bytes) -> Element:
    d = msg.delta
    kind = d.WhichOneof("type") or "?"
    el = Element(kind, fragment_id=d.fragment_id, media=tuple(m.decode() for m in MEDIA_RE.findall(raw)))
    if kind == "new_element":
        e = d.new_element
        et = e.WhichOneof("type") or "?"
        el.kind = et
        w = getattr(e, et, None)
        if w is not None:
            el.widget_id = str(getattr(w, "id", "") or "")
            el.label = str(getattr(w, "label", "") or "")
            if et in ("selectbox", "radio"):
                el.options = tuple(w.options)
        if et == "exception":
            el.error = f"exception {e.exception.type}: {e.exception.message}"[:300]
        elif et == "alert" and e.alert.format == 1:  # Alert.Format.ERROR
            el.error = f"error alert: {e.alert.body}"[:300]
        elif et == "imgs":
            el.captions = tuple(i.caption for i in e.imgs.imgs)
    elif kind == "add_block":
        b = d.add_block
        bt = b.WhichOneof("type") or "?"
        el.kind = "block:" + bt
        if bt == "tab_container":
            el.tab_container_id = b.tab_container.id
        elif bt == "tab":
            el.tab_label = b.tab.label
    return el


@dataclass
class View:
    """One session's step: a page view, the model switch or the image choice."""

    step: str
    session: int
    seconds: float = 0.0  # until script_finished
    seconds_media: float = 0.0  # until script_finished and every new media file fetched
    ws_bytes: int = 0
    media_bytes: int = 0
    messages: int = 0
    errors: list[str] = field(default_factory=list)
    timed_out: bool = False
    not_run: bool = False

    @property
    def failed(self) -> bool:
        return self.timed_out or bool(self.errors)


class SessionClosed(Exception):
    pass


class Session:
    """One browser tab, as the frontend talks to the server."""

    def __init__(self, index: int, server: Server, timeout: float) -> None:
        self.index, self.server, self.timeout = index, server, timeout
        self.ws: Any = None
        self.session_id = ""
        self.xsrf = ""
        self.pages: list[tuple[str, str]] = []  # (page_script_hash, title) in the navigation's order
        self.page_hash = ""
        self.max_cache_age = 2
        self.cache: dict[str, int] = {}  # hash of a cached message -> the run count it was last used in
        self.runs = 0
        self.states: dict[str, WidgetState] = {}  # widget values the "user" set, as the frontend keeps them
        self.elements: dict[tuple[int, ...], Element] = {}  # the current run's deltas by path
        self.media_seen: set[str] = set()
        self.expected_image = ""
        self.dead = ""

    # -- connection

    async def connect(self) -> None:
        status, _, headers = await asyncio.get_running_loop().run_in_executor(
            _POOL, _get, f"{self.server.url}/_stcore/health", self.timeout)
        for cookie in headers.get_all("Set-Cookie") or []:
            if cookie.startswith("_streamlit_xsrf="):
                self.xsrf = cookie.split(";", 1)[0].split("=", 1)[1].strip('"')
        ws_url = self.server.url.replace("http://", "ws://") + "/_stcore/stream"
        self.ws = await asyncio.wait_for(
            websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None, ping_interval=None,
                               open_timeout=self.timeout), self.timeout)

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)

    # -- messages

    def _client_state(self, page_hash: str, fragment_id: str) -> ClientState:
        cs = ClientState(query_string="", page_script_hash=page_hash, fragment_id=fragment_id)
        cs.widget_states.widgets.extend(self.states.values())
        cs.cached_message_hashes.extend(self.cache)
        cs.context_info.timezone = "UTC"
        cs.context_info.timezone_offset = 0
        cs.context_info.locale = "en-US"
        cs.context_info.url = self.server.url + "/"
        cs.context_info.is_embedded = False
        cs.context_info.color_scheme = "light"
        return cs

    async def _recv(self, deadline: float) -> tuple[ForwardMsg, bytes]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        try:
            raw = await asyncio.wait_for(self.ws.recv(), left)
        except websockets.ConnectionClosed as e:
            self.dead = f"websocket closed ({e})"
            raise SessionClosed(self.dead) from e
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        return msg, raw

    def _handle(self, msg: ForwardMsg, raw: bytes, view: View, media: list[asyncio.Future]) -> str | None:
        """Take one message in; return the script_finished status name when the run is over."""
        view.ws_bytes += len(raw)
        view.messages += 1
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            ns = msg.new_session
            if ns.initialize.session_id:
                self.session_id = ns.initialize.session_id
            self.page_hash = ns.page_script_hash
            self.max_cache_age = ns.config.max_cached_message_age or self.max_cache_age
            self.elements = {}  # a new run (also after st.rerun) redraws the page
        elif kind == "navigation":
            pages = [(p.page_script_hash, p.page_name) for p in msg.navigation.app_pages if not p.is_hidden]
            if pages:
                self.pages = pages
        elif kind in ("delta", "ref_hash"):
            if kind == "ref_hash":
                el = SUMMARIES.get(msg.ref_hash)
                self.cache[msg.ref_hash] = self.runs
                if el is None:
                    view.errors.append(f"unknown cached message {msg.ref_hash}")
                    return None
            else:
                el = summarize(msg, raw)
                if msg.metadata.cacheable and msg.hash:
                    SUMMARIES[msg.hash] = el
                    self.cache[msg.hash] = self.runs
            path = tuple(msg.metadata.delta_path)
            self.elements[path] = el
            if el.error:
                view.errors.append(el.error)
            for url in el.media:
                if url not in self.media_seen:
                    self.media_seen.add(url)
                    media.append(asyncio.get_running_loop().run_in_executor(
                        _POOL, _get, self.server.url + url, self.timeout))
        elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
            view.errors.append("compile error: " + msg.session_event.script_compilation_exception.message[:300])
        elif kind == "page_not_found":
            view.errors.append(f"page not found: {msg.page_not_found.page_name}")
        elif kind == "script_finished":
            self.runs += 1
            self.cache = {h: r for h, r in self.cache.items() if self.runs - r <= self.max_cache_age}
            return ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
        return None

    async def run(self, step: str, page_hash: str | None = None, fragment_id: str = "",
                  before: Any = None) -> View:
        """Send one rerun (``before``: an awaitable run first, timed with the view) and wait for its end."""
        view = View(step, self.index)
        if self.dead:
            view.errors.append(self.dead)
            return view
        media: list[asyncio.Future] = []
        t0 = time.monotonic()
        deadline = t0 + self.timeout
        try:
            if before is not None:
                await before(view, media, deadline)
            back = BackMsg()
            back.rerun_script.CopyFrom(self._client_state(page_hash or self.page_hash, fragment_id))
            await self.ws.send(back.SerializeToString())
            for s in [s for s in self.states.values() if s.WhichOneof("value") == "trigger_value"]:
                del self.states[s.id]  # a button's click is sent once
            while True:
                msg, raw = await self._recv(deadline)
                status = self._handle(msg, raw, view, media)
                if status in ("FINISHED_SUCCESSFULLY", "FINISHED_WITH_COMPILE_ERROR") or (
                        status == "FINISHED_FRAGMENT_RUN_SUCCESSFULLY" and fragment_id):
                    break
            view.seconds = time.monotonic() - t0
            shown = {el.widget_id for el in self.elements.values() if el.widget_id}
            self.states = {k: v for k, v in self.states.items() if k in shown}  # unmounted widgets forget
        except TimeoutError:
            view.timed_out = True
            view.errors.append(f"timeout after {self.timeout:.0f} s")
            view.seconds = time.monotonic() - t0
        except SessionClosed as e:
            view.errors.append(str(e))
            view.seconds = time.monotonic() - t0
        for fut in media:
            left = deadline - time.monotonic()
            try:
                status, body, _ = await asyncio.wait_for(asyncio.shield(fut), max(left, 0.01))
                view.media_bytes += len(body)
                if status != 200:
                    view.errors.append(f"media HTTP {status}")
            except TimeoutError:
                view.timed_out = True
                view.errors.append("media timeout")
                break
        view.seconds_media = time.monotonic() - t0
        return view

    # -- what a user does

    def find(self, key: str, kind: str) -> Element | None:
        """The widget of this run with user key ``key`` (ids of keyed widgets end with "-<key>")."""
        for el in self.elements.values():
            if el.kind == kind and el.widget_id.endswith("-" + key):
                return el
        return None

    async def find_or_open(self, key: str, kind: str, view: View) -> Element | None:
        """``find``, opening the tabs of stateful (lazy) tab containers one by one until the widget shows."""
        el = self.find(key, kind)
        if el is not None:
            return el
        for path, box in list(self.elements.items()):
            if not box.tab_container_id:
                continue
            labels = [e.tab_label for p, e in sorted(self.elements.items())
                      if e.tab_label and p[:-1] == path]
            for label in labels:
                self.states[box.tab_container_id] = WidgetState(id=box.tab_container_id, string_value=label)
                sub = await self.run(f"open tab {label}")
                view.ws_bytes += sub.ws_bytes
                view.media_bytes += sub.media_bytes
                view.errors += sub.errors
                el = self.find(key, kind)
                if el is not None:
                    return el
        return None

    async def open(self) -> View:
        await self.connect()
        return await self.run("open app", page_hash="")

    async def select_model(self, name: str, title: str) -> View:
        box = self.find("model", "selectbox")
        if box is None:
            return View("model", self.index, errors=["no model selectbox (key model) in the sidebar"])
        label = next((o for o in box.options if name in o), None) or next((o for o in box.options if title in o), None)
        if label is None:
            return View("model", self.index, errors=[f"no option for {name} in the model selectbox"])
        self.states[box.widget_id] = WidgetState(id=box.widget_id, string_value=label)
        return await self.run("model", fragment_id=box.fragment_id)

    async def choose_sample(self, name: str, label: str) -> View:
        extra = View("image", self.index)
        box = await self.find_or_open("sample", "selectbox", extra)
        button = self.find("sample_use", "button")
        if box is None or button is None:
            extra.errors.append("no sample picker (selectbox key sample, button key sample_use) on the Overview")
            return extra
        if label not in box.options:
            extra.errors.append(f"sample {label!r} not among the picker's options")
            return extra
        self.expected_image = name
        self.states[box.widget_id] = WidgetState(id=box.widget_id, string_value=label)
        self.states[button.widget_id] = WidgetState(id=button.widget_id, trigger_value=True)
        view = await self.run("image", fragment_id=button.fragment_id)
        view.errors = extra.errors + view.errors
        view.ws_bytes += extra.ws_bytes
        return view

    async def upload(self, data: bytes, name: str) -> View:
        extra = View("image", self.index)
        box = await self.find_or_open("upload", "file_uploader", extra)
        if box is None:
            extra.errors.append("no file uploader (key upload) on the Overview")
            return extra
        self.expected_image = name

        async def put(view: View, media: list[asyncio.Future], deadline: float) -> None:
            request_id = uuid.uuid4().hex
            back = BackMsg()
            back.file_urls_request.request_id = request_id
            back.file_urls_request.session_id = self.session_id
            back.file_urls_request.file_names.append(name)
            await self.ws.send(back.SerializeToString())
            while True:
                msg, raw = await self._recv(deadline)
                if msg.WhichOneof("type") == "file_urls_response" and msg.file_urls_response.response_id == request_id:
                    view.ws_bytes += len(raw)
                    break
                self._handle(msg, raw, view, media)
            urls = msg.file_urls_response.file_urls[0]
            status, body = await asyncio.get_running_loop().run_in_executor(
                _POOL, _put_file, self.server.url + urls.upload_url, data, name, self.xsrf,
                max(deadline - time.monotonic(), 0.1))
            if status not in (200, 204):
                view.errors.append(f"upload HTTP {status}: {body[:200]!r}")
            state = WidgetState(id=box.widget_id)
            info = state.file_uploader_state_value.uploaded_file_info.add()
            info.file_id, info.name, info.size = urls.file_id, name, len(data)
            info.file_urls.CopyFrom(urls)
            self.states[box.widget_id] = state

        view = await self.run("image", fragment_id=box.fragment_id, before=put)
        view.errors = extra.errors + view.errors
        return view

    def check_image(self, view: View) -> None:
        """Isolation: the sidebar shows this session's image, and no other."""
        if not self.expected_image or view.errors or self.dead:  # a page that failed has said so already
            return
        captions = [c for p, el in self.elements.items() if p and p[0] == SIDEBAR for c in el.captions]
        if not captions:
            view.errors.append(f"lost image: no image in the sidebar (expected {self.expected_image})")
        elif self.expected_image not in captions:
            view.errors.append(f"foreign image: the sidebar shows {captions}, expected {self.expected_image}")

    async def visit(self, page_hash: str, title: str) -> View:
        view = await self.run(title, page_hash=page_hash)
        self.check_image(view)
        return view


# --- one configuration -------------------------------------------------------------------------------------

def _photo(i: int) -> bytes:
    from tests.helpers import photo_bytes

    return photo_bytes("JPEG", size=(640, 480), seed=20_000 + i)


def _sample_choices() -> list[tuple[str, str]]:
    """(file name, picker label) of every committed sample, Fashion-MNIST first."""
    import logging

    import models

    for name in ("streamlit.runtime.scriptrunner_utils.script_run_context",
                 "streamlit.runtime.state.session_state_proxy"):  # the labels are made outside a script run
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        from ui.picker import sample_label
    except ImportError:  # the picker moved: the label is then found by the file name (see _match_label)
        def sample_label(n: str) -> str:
            return n
    return [(p.name, sample_label(p.name)) for p in models.samples() + models.photo_samples()]


def _match_label(options: tuple[str, ...], name: str, label: str) -> str:
    if label in options:
        return label
    return next((o for o in options if name in o), label)


async def _step(server: Server, views: list[View], name: str, coros: list[Any]) -> dict[str, Any]:
    cpu0, t0 = cpu_seconds(server.proc.pid), time.monotonic()
    results = await asyncio.gather(*coros, return_exceptions=True)
    cpu = cpu_seconds(server.proc.pid) - cpu0
    done: list[View] = []
    for r in results:
        if isinstance(r, BaseException):  # a harness bug must not stop the run: count it
            done.append(View(name, -1, errors=[f"harness: {type(r).__name__}: {r}"[:300]]))
        else:
            done.append(r)
    for v in done:
        v.step = name
    views.extend(done)
    return {"step": name, "wall_s": round(time.monotonic() - t0, 3), "cpu_s": round(cpu, 3),
            "cpu_per_view_s": round(cpu / max(len(done), 1), 4), "views": len(done)}


async def run_config(server: Server, model: str, n: int, rounds: int, timeout: float,
                     deadline: float) -> dict[str, Any]:
    import models
    from models import zoo

    title = zoo.spec(model).title if zoo.is_zoo(model) else model
    views: list[View] = []
    steps: list[dict[str, Any]] = []
    harness0 = time.process_time()

    t_setup = time.monotonic()
    warm = Session(-1, server, max(timeout, 120.0))  # imports and the model, unmeasured
    try:
        v = await warm.open()
        if model != models.DEFAULT_MODEL and not v.failed:
            await warm.select_model(model, title)
    finally:
        await warm.close()
    warmup_s = time.monotonic() - t_setup

    sessions = [Session(i, server, timeout) for i in range(n)]
    samples = _sample_choices()
    pages: list[tuple[str, str]] = []
    try:
        steps.append(await _step(server, views, "open app", [s.open() for s in sessions]))
        if model != models.DEFAULT_MODEL:
            steps.append(await _step(server, views, "model", [s.select_model(model, title) for s in sessions]))
        choices = []
        k = 0
        for s in sessions:
            if s.index % UPLOAD_EVERY == 1:
                choices.append(s.upload(_photo(s.index), f"loadtest-s{s.index:02d}.jpg"))
            else:
                name, label = samples[k % len(samples)]
                k += 1
                box = s.find("sample", "selectbox")
                choices.append(s.choose_sample(name, _match_label(box.options, name, label) if box else label))
        steps.append(await _step(server, views, "image", choices))
        pages = sessions[0].pages or next((s.pages for s in sessions if s.pages), [])
        order = pages[1:] + pages[:1]
        for r in range(1, rounds + 1):
            for page_hash, page_title in order:
                step = f"{page_title} #{r}"
                if time.monotonic() > deadline:
                    views += [View(step, s.index, not_run=True) for s in sessions]
                    continue
                steps.append(await _step(server, views, step, [s.visit(page_hash, page_title) for s in sessions]))
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    log = server.log_text()
    return {"model": model, "sessions": n, "rounds": rounds, "pages": [t for _, t in pages],
            "views": [asdict(v) for v in views], "steps": steps, **server_errors(log),
            "warmup_s": round(warmup_s, 1), "harness_cpu_s": round(time.process_time() - harness0, 2)}


def server_errors(log: str) -> dict[str, Any]:
    """How many tracebacks the server log holds, and the distinct last lines of them (the exception)."""
    lines = log.splitlines()
    last: dict[str, int] = {}
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            j = i + 1
            while j < len(lines) and (lines[j].startswith(" ") or not lines[j].strip()):
                j += 1
            if j < len(lines):
                key = lines[j].strip()[:200]
                last[key] = last.get(key, 0) + 1
    return {"server_tracebacks": sum(last.values()), "server_exceptions": last}


# --- statistics ---------------------------------------------------------------------------------------------

def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[max(0, math.ceil(q / 100 * len(s)) - 1)]


def summarize_config(cfg: dict[str, Any]) -> dict[str, Any]:
    views = cfg["views"]
    page_titles = set(cfg["pages"])
    page_views = [v for v in views if v["step"].rsplit(" #", 1)[0] in page_titles and not v["not_run"]]
    ok = [v for v in page_views if not v["timed_out"]]
    times = [v["seconds"] for v in ok]
    steps = {s["step"]: s for s in cfg["steps"]}
    page_steps = [s for s in cfg["steps"] if s["step"].rsplit(" #", 1)[0] in page_titles]
    cpu = [s["cpu_per_view_s"] for s in page_steps]
    failures = [v for v in views if v["errors"] and not v["not_run"]]
    kinds: dict[str, int] = {}
    for v in failures:
        for e in v["errors"]:
            k = e.split(":", 1)[0] if e.split(":", 1)[0] in (
                "lost image", "foreign image", "error alert", "compile error", "page not found") else (
                "timeout" if "timeout" in e else "exception" if e.startswith("exception") else "other")
            kinds[k] = kinds.get(k, 0) + 1
    per_page: dict[str, dict[str, Any]] = {}
    for title in cfg["pages"]:
        for r in range(1, cfg["rounds"] + 1):
            step = f"{title} #{r}"
            vs = [v for v in page_views if v["step"] == step]
            if not vs:
                continue
            t = [v["seconds"] for v in vs if not v["timed_out"]]
            per_page[step] = {
                "p50_s": round(pct(t, 50), 3), "p90_s": round(pct(t, 90), 3), "max_s": round(max(t), 3) if t else None,
                "p90_with_media_s": round(pct([v["seconds_media"] for v in vs if not v["timed_out"]], 90), 3),
                "cpu_per_view_s": steps.get(step, {}).get("cpu_per_view_s"),
                "kb_per_view": round(statistics.mean(v["ws_bytes"] + v["media_bytes"] for v in vs) / 1024, 1),
                "failed": sum(1 for v in vs if v["errors"]), "timeouts": sum(1 for v in vs if v["timed_out"]),
            }
    image = [v for v in views if v["step"] == "image"]
    return {
        "model": cfg["model"], "sessions": cfg["sessions"], "page_views": len(page_views),
        "p50_s": round(pct(times, 50), 3), "p90_s": round(pct(times, 90), 3),
        "max_s": round(max(times), 3) if times else None,
        "p90_by_round_s": {r: round(pct([v["seconds"] for v in ok if v["step"].endswith(f" #{r}")], 90), 3)
                           for r in range(1, cfg["rounds"] + 1)},
        "cpu_per_view_median_s": round(statistics.median(cpu), 4) if cpu else None,
        "cpu_per_view_max_s": round(max(cpu), 4) if cpu else None,
        "kb_per_view": round(statistics.mean(v["ws_bytes"] + v["media_bytes"] for v in page_views) / 1024, 1)
        if page_views else None,
        "image_p90_s": round(pct([v["seconds"] for v in image if not v["timed_out"]], 90), 3) if image else None,
        "failed_views": len(failures), "failure_kinds": kinds,
        "timeouts": sum(1 for v in views if v["timed_out"]),
        "not_run": sum(1 for v in views if v["not_run"]),
        "first_errors": sorted({e for v in failures for e in v["errors"]})[:8],
        "server_tracebacks": cfg["server_tracebacks"], "server_exceptions": cfg.get("server_exceptions", {}),
        "warmup_s": cfg.get("warmup_s"), "harness_cpu_s": cfg["harness_cpu_s"], "skipped": cfg.get("skipped", False),
        "per_page": per_page,
    }


# --- report -----------------------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    import streamlit

    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cpu": cpu, "nproc": os.cpu_count(), "load_avg": [round(v, 2) for v in os.getloadavg()],
            "python": sys.version.split()[0], "streamlit": streamlit.__version__}


def _fmt(v: Any, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:.2f}{unit}" if isinstance(v, float) else f"{v}{unit}"


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    warm = ", #2: warm" if result["rounds"] > 1 else ""
    lines = [
        f"## Load test, {result['date']} (`python -m benchmarks.loadtest`)", "",
        f"Machine: {m['cpu']}, nproc {m['nproc']}, load average {' / '.join(map(str, m['load_avg']))} at the start, "
        f"{' / '.join(map(str, result['load_avg_end']))} at the end (1/5/15 min); Streamlit {m['streamlit']}. "
        f"A fresh `streamlit run app.py` (the repository's `.streamlit/config.toml`) per row; N websocket sessions "
        f"(Streamlit's protobuf protocol) in lockstep: open the app, pick the model, choose an image (a different "
        f"sample each, every {UPLOAD_EVERY}th session uploads its own photo), then every page in navigation order, "
        f"{result['rounds']} round(s) (#1: first view with the new image{warm}). Time = until the run's "
        f"`script_finished`; CPU = server process CPU (/proc) per page view; timeout {result['timeout_s']:.0f} s "
        f"per view; {result['budget_s']:.0f} s for all rows (page views past a row's share of it are "
        f"\"not run\"). The harness runs on the same cores as the server.", "",
        f"| model | N | page views | p50 | p90{' (#1 / #2 …)' if result['rounds'] > 1 else ''} | max "
        "| CPU s/view median / worst page | KB/view "
        "| image chosen p90 | failed (all steps) | timeouts | not run |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in result["summaries"]:
        if s["skipped"]:
            lines.append(f"| {s['model']} | {s['sessions']} | not run: the time budget was spent |" + " |" * 9)
            continue
        rounds = ""
        if result["rounds"] > 1:
            rounds = " (" + " / ".join(_fmt(v, " s") for v in s["p90_by_round_s"].values()) + ")"
        lines.append(
            f"| {s['model']} | {s['sessions']} | {s['page_views']} | {_fmt(s['p50_s'], ' s')} "
            f"| {_fmt(s['p90_s'], ' s')}{rounds} | {_fmt(s['max_s'], ' s')} "
            f"| {_fmt(s['cpu_per_view_median_s'], ' s')} / "
            f"{_fmt(s['cpu_per_view_max_s'], ' s')} | {_fmt(s['kb_per_view'])} | {_fmt(s['image_p90_s'], ' s')} "
            f"| {s['failed_views']} | {s['timeouts']} | {s['not_run']} |")
    lines += ["", "Aims (issue 12, on this 2-core machine): server CPU per page view median ≤ 0.15 s, worst page "
              "≤ 0.4 s; 30 sessions switching page at once: p90 ≤ 3 s, nothing fails, no session sees another's image. "
              "Harness CPU (its own process, same cores): " + ", ".join(
                  f"{s['model']} N={s['sessions']} {s['harness_cpu_s']} s" for s in result["summaries"]) + ".", ""]
    problems = [s for s in result["summaries"] if s["failed_views"] or s["server_tracebacks"]]
    for s in problems:
        exc = "; ".join(f"{k} (×{v})" for k, v in sorted(s["server_exceptions"].items(), key=lambda kv: -kv[1])[:4])
        lines.append(f"- {s['model']} N={s['sessions']}: {s['failed_views']} failed views {s['failure_kinds']}, "
                     f"{s['server_tracebacks']} tracebacks in the server log{': ' + exc if exc else ''}; "
                     "first errors seen by the sessions: " + "; ".join(f"`{e[:120]}`" for e in s["first_errors"][:3]))
    if problems:
        lines.append("")
    for s in result["summaries"]:
        if not s["per_page"]:
            continue
        lines += [f"Per page, {s['model']}, N={s['sessions']} (p50 / p90 / max seconds until finished; CPU s per "
                  f"view; KB per view):", "",
                  "| page view | p50 | p90 | max | CPU s/view | KB/view | failed |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for step, p in s["per_page"].items():
            lines.append(f"| {step} | {_fmt(p['p50_s'])} | {_fmt(p['p90_s'])} | {_fmt(p['max_s'])} "
                         f"| {_fmt(p['cpu_per_view_s'])} | {_fmt(p['kb_per_view'])} | {p['failed']} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def print_tables(result: dict[str, Any]) -> None:
    print(markdown(result))


# --- main ------------------------------------------------------------------------------------------------------

def run_all(models_: list[str], sessions: list[int], rounds: int, timeout: float, budget: float,
            log_dir: Path, progress: bool = True) -> dict[str, Any]:
    result: dict[str, Any] = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
                              "rounds": rounds, "timeout_s": timeout, "budget_s": budget,
                              "configs": [], "summaries": []}
    end = time.monotonic() + budget
    todo = [(model, n) for n in sessions for model in models_]  # the small N first: they matter most
    with weights_home() as home:
        for i, (model, n) in enumerate(todo):
            t0 = time.monotonic()
            left = end - t0
            deadline = t0 + min(left, max(left / (len(todo) - i), MIN_ROW_S))  # an equal share of what is left
            log = log_dir / f"loadtest-server-{model}-{n}.log"
            if left <= 0:
                cfg = {"model": model, "sessions": n, "rounds": rounds, "pages": [], "steps": [],
                       "views": [asdict(View("start", -1, not_run=True))], "server_tracebacks": 0,
                       "server_exceptions": {}, "warmup_s": None, "harness_cpu_s": 0.0, "skipped": True}
            else:
                try:
                    with serve(home, log) as server:
                        cfg = asyncio.run(run_config(server, model, n, rounds, timeout, deadline))
                except Exception as e:  # a server that does not start: recorded, the other rows still run
                    cfg = {"model": model, "sessions": n, "rounds": rounds, "pages": [], "steps": [],
                           "views": [asdict(View("start", -1, errors=[f"{type(e).__name__}: {e}"[:500]]))],
                           "server_tracebacks": 0, "server_exceptions": {}, "warmup_s": None,
                           "harness_cpu_s": 0.0}
            s = summarize_config(cfg)
            cfg["wall_s"] = round(time.monotonic() - t0, 1)
            result["configs"].append(cfg)
            result["summaries"].append(s)
            if progress:
                print(f"[loadtest] {model} N={n}: {s['page_views']} page views, p50 {s['p50_s']} s, "
                      f"p90 {s['p90_s']} s, max {s['max_s']} s, CPU/view {s['cpu_per_view_median_s']} s, "
                      f"{s['failed_views']} failed, {s['not_run']} not run ({cfg['wall_s']} s)",
                      file=sys.stderr, flush=True)
    result["load_avg_end"] = [round(v, 2) for v in os.getloadavg()]
    return result


def append_results(result: dict[str, Any]) -> None:
    with RESULTS.open("a") as fh:
        fh.write("\n" + markdown(result))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sessions", default=",".join(map(str, DEFAULT_SESSIONS)), help="N values, e.g. 1,10,30")
    ap.add_argument("--models", default=",".join(DEFAULT_MODELS), help="model keys, e.g. tinyvgg-relu")
    ap.add_argument("--rounds", type=int, default=1, help="visits of every page per session (default 1)")
    ap.add_argument("--timeout", type=float, default=VIEW_TIMEOUT_S, help="seconds per view before a timeout")
    ap.add_argument("--budget", type=float, default=TOTAL_BUDGET_S,
                    help="seconds for all rows together; page views beyond it are not run (default 540)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    ap.add_argument("--no-write", action="store_true", help="do not append to benchmarks/results.md")
    ap.add_argument("--log-dir", type=Path, default=None, help="where the server logs go (default: a temp folder)")
    args = ap.parse_args(argv)
    sessions = [int(v) for v in args.sessions.split(",") if v.strip()]
    models_ = [v.strip() for v in args.models.split(",") if v.strip()]
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="cnnlens-loadtest-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    result = run_all(models_, sessions, args.rounds, args.timeout, args.budget, log_dir)
    result["server_logs"] = str(log_dir)
    if args.json:
        print(json.dumps(result, default=str))
    else:
        print_tables(result)
    if not args.no_write:
        append_results(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
