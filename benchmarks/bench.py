"""``python -m benchmarks.bench``: the figures of issue 4, printed as ONE JSON object on stdout and appended
as a dated section to benchmarks/results.md.

What is measured, and how (everything on the CPU, in this process unless said otherwise):

* ``trace``: median time of :func:`explain.trace.trace` over the median of a bare forward + backward on the
  same input (``torch.autograd.grad`` of the predicted logit w.r.t. the input and every parameter, what
  the trace also returns). TinyVGG on 1x1x28x28; torchvision's resnet18 (``weights=None``) on 1x3x224x224.
  The two are interleaved, so drifting machine load hits both alike. TinyVGG is measured again with torch
  limited to one thread (what one session gets when the cores are busy with others).
* ``pages``: for each page that exists (``ui.nav.existing_pages()``), server time of one script run under
  Streamlit's AppTest (the same script runner as the server, without the websocket):
  ``warm_ms`` = median of reruns of one session with nothing changed; ``upload_ms`` = median of the
  first run after the session's image was replaced by a never-seen photo (every image cache misses).
* ``payload``: bytes the server would send to the browser for one full run of the page after an upload:
  the serialized size (``ForwardMsg.ByteSize()``) of every message the script run enqueues (deltas with
  the plotly figure JSON, tables, texts) plus the bytes of every media file (``st.image``) it registers,
  counted once per file id. This is what goes over the websocket and the media endpoint, before any
  HTTP compression and without the browser's cache.
* ``memory``: process RSS (psutil) with 1 and with 20 AppTest sessions alive at once, each on the
  Overview with its own image and alternating models: ``per_session_mb`` = (RSS20 − RSS1) / 19.
* ``cli``: ``python -m explain`` on the 20 committed samples in one process (several paths), as a
  subprocess: images per second including start-up, and per image after start-up
  (from a 1-image run and a 20-image run).
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from torch import nn  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.md"
AIMS = {"trace_ratio": 1.3, "warm_ms": 150.0, "upload_ms": 1000.0, "payload_mb": 1.5, "per_session_mb": 40.0}
WARM_REPEATS = 3
UPLOAD_REPEATS = 2
SESSIONS = 20


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1e3, 2)


# --- machine ------------------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    import psutil
    import streamlit

    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(), "torch": torch.__version__, "streamlit": streamlit.__version__,
    }


# --- trace overhead -----------------------------------------------------------------------------------

def _bare(model: nn.Module, x: torch.Tensor) -> None:
    with torch.enable_grad():
        xi = x.detach().clone().requires_grad_(True)
        logits = model(xi)
        value = logits.gather(1, logits.detach().argmax(1, keepdim=True)).mean()
        torch.autograd.grad(value, [xi, *[p for p in model.parameters() if p.requires_grad]])


def trace_ratio(model: nn.Module, x: torch.Tensor, repeats: int, budget_s: float = 25.0) -> dict[str, float]:
    """Median trace time ÷ median bare time over ``repeats`` interleaved pairs (fewer, at least 3, when the
    pairs take longer than ``budget_s`` in all: a loaded machine must not stretch the bench past minutes)."""
    from explain.trace import trace

    model.eval()
    for _ in range(2):  # warm-up: allocator, kernels, hook paths
        _bare(model, x)
        trace(model, x)
    bare: list[float] = []
    traced: list[float] = []
    start = time.perf_counter()
    for i in range(repeats):
        if i >= 3 and time.perf_counter() - start > budget_s:
            break
        t0 = time.perf_counter()
        _bare(model, x)
        t1 = time.perf_counter()
        trace(model, x)
        t2 = time.perf_counter()
        bare.append(t1 - t0)
        traced.append(t2 - t1)
    b, t = statistics.median(bare), statistics.median(traced)
    n = len(trace(model, x).layers)
    return {"bare_ms": round(b * 1e3, 3), "trace_ms": round(t * 1e3, 3), "ratio": round(t / b, 3),
            "repeats": len(bare), "records": n,
            "extra_ms_per_record": round((t - b) * 1e3 / n, 3)}


def bench_trace() -> dict[str, Any]:
    import torchvision

    import models

    tiny, x = models.load(models.DEFAULT_MODEL), torch.randn(1, 1, 28, 28)
    out = {"tinyvgg": trace_ratio(tiny, x, 100)}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # what one session gets when every core is busy serving others
    try:
        out["tinyvgg-1-thread"] = trace_ratio(tiny, x, 100)
    finally:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    out["resnet18"] = trace_ratio(torchvision.models.resnet18(weights=None), torch.randn(1, 3, 224, 224), 12)
    return out


# --- payload counting ---------------------------------------------------------------------------------

class Payload:
    """Bytes enqueued for the browser while enabled: ForwardMsgs and media files (once per file id)."""

    def __init__(self) -> None:
        self.enabled = False
        self.messages = 0
        self.message_bytes = 0
        self.media: dict[str, int] = {}

    @contextmanager
    def count(self) -> Iterator[Payload]:
        self.messages, self.message_bytes, self.media = 0, 0, {}
        self.enabled = True
        try:
            yield self
        finally:
            self.enabled = False

    @property
    def total(self) -> int:
        return self.message_bytes + sum(self.media.values())

    def install(self) -> None:
        from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
        from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

        counter = self
        enqueue = ForwardMsgQueue.enqueue
        load = MemoryMediaFileStorage.load_and_get_id

        def counting_enqueue(q: ForwardMsgQueue, msg: Any) -> None:
            if counter.enabled:
                counter.messages += 1
                counter.message_bytes += msg.ByteSize()
            enqueue(q, msg)

        def counting_load(storage: MemoryMediaFileStorage, path_or_data: Any, mimetype: str, kind: Any,
                          filename: str | None = None) -> str:
            file_id = load(storage, path_or_data, mimetype, kind, filename)
            if counter.enabled:
                size = len(path_or_data) if isinstance(path_or_data, bytes) else Path(path_or_data).stat().st_size
                counter.media[file_id] = size
            return file_id

        ForwardMsgQueue.enqueue = counting_enqueue  # type: ignore[method-assign]
        MemoryMediaFileStorage.load_and_get_id = counting_load  # type: ignore[method-assign]


PAYLOAD = Payload()


# --- pages --------------------------------------------------------------------------------------------

def _photo(seed: int) -> bytes:
    from tests.helpers import photo_bytes

    return photo_bytes("JPEG", size=(640, 480), seed=10_000 + seed)


def _set_image(at: Any, data: bytes, name: str) -> None:
    import hashlib

    at.session_state["image"] = {"bytes": data, "name": name, "digest": hashlib.sha256(data).hexdigest()}


def _timed_run(at: Any) -> float:
    t0 = time.perf_counter()
    at.run()
    return time.perf_counter() - t0


def _problems(at: Any) -> list[str]:
    return [str(e.value)[:200] for e in at.exception] + [str(e.value)[:200] for e in at.error]


def profile_rerun(at: Any, top: int = 4) -> dict[str, Any]:
    """cProfile of one rerun in the script thread: the share of time in plotly and the slowest project calls."""
    import cProfile
    import pstats

    from streamlit.testing.v1 import local_script_runner

    prof = cProfile.Profile()
    original = local_script_runner.LocalScriptRunner._run_script_thread

    def profiled(runner: Any) -> None:
        prof.enable()
        try:
            original(runner)
        finally:
            prof.disable()

    local_script_runner.LocalScriptRunner._run_script_thread = profiled  # type: ignore[method-assign]
    try:
        at.run()
    finally:
        local_script_runner.LocalScriptRunner._run_script_thread = original  # type: ignore[method-assign]
    stats = pstats.Stats(prof).stats  # {(file, line, func): (cc, nc, tottime, cumtime, callers)}
    total = sum(v[2] for v in stats.values()) or 1e-9
    plotly = sum(v[2] for k, v in stats.items() if "/plotly/" in k[0] or "_plotly_utils" in k[0])
    torch_s = sum(v[2] for k, v in stats.items() if "/torch/" in k[0])
    own = [(v[3], f"{Path(k[0]).relative_to(ROOT)}:{k[2]}") for k, v in stats.items()
           if k[0].startswith(str(ROOT)) and "/.venv/" not in k[0] and k[2] not in ("<module>", "main")]
    own.sort(reverse=True)
    return {"plotly_share": round(plotly / total, 2), "torch_share": round(torch_s / total, 2),
            "slowest": [f"{name} {cum / total:.0%}" for cum, name in own[:top]]}


def bench_page(path: str, index: int) -> dict[str, Any]:
    from tests.helpers import run_page

    seed = 100 * (index + 1)
    first = _photo(seed)
    at = run_page(path, image=first, image_name="bench.jpg")
    warm = [_timed_run(at) for _ in range(WARM_REPEATS)]
    upload, payloads, messages = [], [], []
    for k in range(UPLOAD_REPEATS):
        _set_image(at, _photo(seed + k + 1), f"bench-{k}.jpg")
        with PAYLOAD.count() as p:
            upload.append(_timed_run(at))
        payloads.append(p.total)
        messages.append({"messages": p.messages, "message_bytes": p.message_bytes,
                         "media_files": len(p.media), "media_bytes": sum(p.media.values())})
    profile = profile_rerun(at) if _median_ms(warm) > AIMS["warm_ms"] else None
    return {
        "profile": profile,
        "warm_ms": _median_ms(warm), "upload_ms": _median_ms(upload),
        "payload_bytes": max(payloads), "payload_parts": messages[payloads.index(max(payloads))],
        "charts": len(at.get("plotly_chart")), "problems": _problems(at),
    }


def bench_pages() -> dict[str, Any]:
    from ui.nav import existing_pages

    out = {}
    for i, spec in enumerate(existing_pages()):
        try:
            out[spec.path] = bench_page(spec.path, i)
        except Exception as e:  # noqa: BLE001 - one broken page must not hide the others' figures
            out[spec.path] = {"error": f"{type(e).__name__}: {e}"[:300]}
        print(f"  {spec.path}: {out[spec.path]}", file=sys.stderr)
    return out


# --- memory per session -------------------------------------------------------------------------------

def bench_memory() -> dict[str, Any]:
    import psutil

    import models
    from tests.helpers import run_page, sample_bytes

    names = [m.name for m in models.available()]
    n_samples = len(models.samples())
    proc = psutil.Process()
    sessions = []

    def open_session(i: int) -> None:
        data, name = sample_bytes(i % n_samples) if i < n_samples else (_photo(5000 + i), f"photo-{i}.jpg")
        sessions.append(run_page("pages/overview.py", model=names[i % len(names)], image=data, image_name=name))

    open_session(0)
    gc.collect()
    rss1 = proc.memory_info().rss
    for i in range(1, SESSIONS):
        open_session(i)
    gc.collect()
    rss20 = proc.memory_info().rss
    per = (rss20 - rss1) / (SESSIONS - 1)
    problems = [p for at in sessions for p in _problems(at)]
    return {"rss_1_mb": round(rss1 / 2**20, 1), f"rss_{SESSIONS}_mb": round(rss20 / 2**20, 1),
            "per_session_mb": round(per / 2**20, 2), "problems": problems[:5]}


# --- CLI ----------------------------------------------------------------------------------------------

def bench_cli() -> dict[str, Any]:
    import models

    paths = [str(p) for p in models.samples()][:20]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}

    def run(args: list[str]) -> tuple[float, int]:
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "explain", *args, "--json"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300)
        return time.perf_counter() - t0, r.returncode

    if not (ROOT / "explain" / "__main__.py").exists():
        return {"error": "explain/__main__.py does not exist"}
    one, rc1 = run(paths[:1])
    many, rc = run(paths)
    return {"images": len(paths), "exit_code": rc, "wall_1_s": round(one, 2), "wall_s": round(many, 2),
            "images_per_s": round(len(paths) / many, 2),
            "per_image_ms_after_startup": round((many - one) / (len(paths) - 1) * 1e3, 1) if rc == rc1 == 0 else None}


# --- report -------------------------------------------------------------------------------------------

def _mark(ok: bool | None) -> str:
    return "–" if ok is None else ("ok" if ok else "**miss**")


def markdown(result: dict[str, Any]) -> str:
    m, tr, mem, cli = result["machine"], result["trace"], result["memory"], result["cli"]
    lines = [
        f"## {result['date']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores (torch uses {m['torch_threads']} threads), {m['ram_gb']} GB RAM; "
        f"Python {m['python']}, torch {m['torch']}, streamlit {m['streamlit']}. "
        f"Load average at start: {m['load_avg_1m']} (other work on the machine slows every figure).",
        "",
        f"Total bench time: {result['bench_s']} s.",
        "",
        "| trace overhead | bare fwd+bwd | trace | ratio | repeats | aim ≤ 1.3x |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, r in tr.items():
        lines.append(f"| {name} | {r['bare_ms']} ms | {r['trace_ms']} ms | {r['ratio']}x | {r['repeats']} | "
                     f"{_mark(r['ratio'] <= AIMS['trace_ratio'])} |")
    why = []
    for name, r in tr.items():
        if r["ratio"] > AIMS["trace_ratio"]:
            why.append(f"- trace {name} {r['ratio']}x: a fixed cost of {r['extra_ms_per_record']} ms per recorded call "
                       f"({r['records']} calls) against a {r['bare_ms']} ms pass: two Python hooks per leaf, an output "
                       "clone per leaf and the detached copies of inputs/outputs. Fix: clone outputs only for modules "
                       "followed by an in-place op, and keep the input as a reference to the previous output.")
    lines += ["", "| page | warm rerun | first run after upload | payload | charts | aims (150 ms / 1 s / 1.5 MB) |",
              "|---|---:|---:|---:|---:|---|"]
    for path, r in result["pages"].items():
        if "error" in r:
            lines.append(f"| {path} | – | – | – | – | error: {r['error']} |")
            continue
        mb = r["payload_bytes"] / 2**20
        marks = [_mark(r["warm_ms"] <= AIMS["warm_ms"]), _mark(r["upload_ms"] <= AIMS["upload_ms"]),
                 _mark(mb <= AIMS["payload_mb"])]
        note = f" (page showed: {'; '.join(r['problems'])})" if r["problems"] else ""
        lines.append(f"| {path} | {r['warm_ms']:.0f} ms | {r['upload_ms']:.0f} ms | {mb * 1024:.0f} KB | "
                     f"{r['charts']} | {' / '.join(marks)}{note} |")
        prof = r.get("profile")
        if prof:
            fix = ("cache the built figures (st.cache_resource keyed on model, image digest and widget values) "
                   "or build them as plain dicts instead of graph_objects (no per-property validation)"
                   if prof["plotly_share"] >= 0.3 else "cache the slowest calls listed (keyed on model, image digest "
                   "and parameters)")
            why.append(f"- {path} warm rerun {r['warm_ms']:.0f} ms: {prof['plotly_share']:.0%} of the run is in plotly "
                       f"(building and validating figure objects), {prof['torch_share']:.0%} in torch; slowest own "
                       f"calls (cumulative share): {', '.join(prof['slowest'])}. Fix: {fix}.")
        if r["upload_ms"] > AIMS["upload_ms"]:
            why.append(f"- {path} first run after upload {r['upload_ms']:.0f} ms: see the profile above; work that "
                       "depends on the image is recomputed on every new image.")
        if mb > AIMS["payload_mb"]:
            parts = r["payload_parts"]
            why.append(f"- {path} payload {mb:.2f} MB ({parts['message_bytes'] / 2**20:.2f} MB figures/deltas, "
                       f"{parts['media_bytes'] / 2**20:.2f} MB images): send many small maps as one tiled heatmap "
                       "or a binary_string image.")
    lines += [
        "",
        f"Memory: RSS {mem['rss_1_mb']} MB with 1 session, {mem[f'rss_{SESSIONS}_mb']} MB with {SESSIONS} "
        f"→ **{mem['per_session_mb']} MB per extra session** (aim ≤ 40 MB: "
        f"{_mark(mem['per_session_mb'] <= AIMS['per_session_mb'])}).",
        "",
    ]
    if "error" in cli:
        lines.append(f"CLI: {cli['error']}.")
    else:
        lines.append(f"CLI: `python -m explain` on {cli['images']} samples in one process: {cli['wall_s']} s "
                     f"→ **{cli['images_per_s']} images/s** including start-up ({cli['wall_1_s']} s for one image); "
                     f"{cli['per_image_ms_after_startup']} ms per further image (exit code {cli['exit_code']}).")
    if mem["per_session_mb"] > AIMS["per_session_mb"]:
        why.append(f"- {mem['per_session_mb']} MB per session: each session keeps its image bytes and its traces; "
                   "bound the trace cache (max_entries) and keep only digests in session state.")
    if why:
        lines += ["", "Why the misses, and what would fix them (measured in this run):", "", *why]
    lines += ["", "Raw figures: the JSON object printed by the run.", ""]
    return "\n".join(lines)


def _step(name: str, fn: Callable[[], Any], timings: dict[str, float]) -> Any:
    print(f"bench: {name} …", file=sys.stderr)
    t0 = time.perf_counter()
    out = fn()
    timings[name] = round(time.perf_counter() - t0, 1)
    return out


def main() -> int:
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    PAYLOAD.install()
    result: dict[str, Any] = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine()}
    result["trace"] = _step("trace overhead", bench_trace, timings)
    result["memory"] = _step("memory per session", bench_memory, timings)
    result["pages"] = _step("pages", bench_pages, timings)
    result["cli"] = _step("cli", bench_cli, timings)
    result["step_s"] = timings
    result["bench_s"] = round(time.perf_counter() - t0, 1)
    result["aims"] = AIMS
    print(json.dumps(result, ensure_ascii=False))
    header = "" if RESULTS.exists() else "# Benchmark results\n\nEach `make bench` run appends a section.\n\n"
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(header + markdown(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
