"""``python -m benchmarks.bench``: the figures of issues 4 and 8, printed as tables on stdout (``--json``: ONE
JSON object instead) and appended as a dated section to benchmarks/results.md (not with ``--no-write``).

What is measured, and how (everything on the CPU, in this process unless said otherwise):

* ``trace``: median time of :func:`explain.trace.trace` over the median of a bare forward + backward on the
  same input (``torch.autograd.grad`` of the same scalar, the predicted logit, w.r.t. the input and every
  parameter the trace also differentiates), and over the median of a plain forward (``torch.no_grad``).
  The three are interleaved, so drifting machine load hits them alike. TinyVGG on 1x1x28x28 (default threads
  and 1 thread); the six ImageNet models on the photo ``models.photo_samples()[0]`` prepared as the app does
  (1x3x224x224), traced as the app traces them (``param_grad_limit`` of ``ui.state``): ResNet-18 with 1 and
  2 threads, the five others with 1 thread and a few repeats.
* ImageNet weights: the real ones when the hub cache has them (``models.zoo.is_cached``); otherwise
  random-init weights (``models.zoo.write_weights``) in a temporary ``TORCH_HOME``, which the output says.
  Timings do not depend on the weights' values; no network is used (``CNN_LENS_OFFLINE=1``).
* ``pages`` (Fashion-MNIST, the default model) and ``imagenet_pages`` (``imagenet-resnet18`` on the photo):
  for each page that exists (``ui.nav.existing_pages()``), server time of one script run under
  Streamlit's AppTest (the same script runner as the server, without the websocket):
  ``warm_ms`` = median of reruns of one session with nothing changed; ``upload_ms`` = median of the
  first run after the session's image was replaced by a never-seen image (every image cache misses; for
  ImageNet the same photo with a JPEG comment that changes its digest, not its pixels).
* ``payload``: bytes the server would send to the browser for one full run of the page after an upload:
  the serialized size (``ForwardMsg.ByteSize()``) of every message the script run enqueues (deltas with
  the plotly figure JSON, tables, texts) plus the bytes of every media file (``st.image``) it registers,
  counted once per file id. This is what goes over the websocket and the media endpoint, before any
  HTTP compression and without the browser's cache.
* ``memory``: process RSS (psutil) with 1 and with 20 AppTest sessions alive at once, each on the
  Overview with its own image and alternating models: ``per_session_mb`` = (RSS20 − RSS1) / 19.
* ``gradcam``: CNN Lens's Grad-CAM (:func:`explain.attribution.grad_cam` on a trace) against torch-cam's
  ``torchcam.methods.GradCAM`` (a benchmark-only dependency, requirements-bench.txt) on ResNet-18, layer
  ``layer4``, the same input and class: median times, and the largest difference of the two maps.
* ``cli``: ``python -m explain`` on the 20 committed samples in one process (several paths), as a
  subprocess: images per second including start-up, and per image after start-up
  (from a 1-image run and a 20-image run).
"""

from __future__ import annotations

import argparse
import atexit
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
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
IMAGENET_PAGE_MODEL = "imagenet-resnet18"
GRADCAM_REPEATS = 10


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
        "load_avg_1m": round(os.getloadavg()[0], 2), "load_avg": [round(v, 2) for v in os.getloadavg()],
        "python": platform.python_version(), "torch": torch.__version__, "streamlit": streamlit.__version__,
    }


# --- ImageNet weights and input ---------------------------------------------------------------------

def zoo_weights() -> dict[str, Any]:
    """Make every ImageNet model loadable without network; say where its weights come from.

    If the hub cache lacks a model's file, a temporary ``TORCH_HOME`` is used for the whole run: the cached
    real files are linked into it and the missing ones written there with random init (``write_weights``).
    """
    from models import zoo

    os.environ["CNN_LENS_OFFLINE"] = "1"  # pages and the CLI must never try a download during the bench
    missing = [s for s in zoo.ZOO if not zoo.is_cached(s)]
    if not missing:
        return {"hub": str(zoo.checkpoints_dir()), "random": []}
    real = {s.name: zoo.cached_path(s) for s in zoo.ZOO if zoo.is_cached(s)}
    home = Path(tempfile.mkdtemp(prefix="cnnlens-bench-torch-home-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    os.environ["TORCH_HOME"] = str(home)  # also for the CLI subprocess
    for i, s in enumerate(zoo.ZOO):
        if s.name in real:
            zoo.checkpoints_dir().mkdir(parents=True, exist_ok=True)
            zoo.cached_path(s).symlink_to(real[s.name])
        else:
            zoo.write_weights(s, seed=i)
    return {"hub": str(zoo.checkpoints_dir()), "random": [s.name for s in missing]}


def photo_input(name: str) -> torch.Tensor:
    """``models.photo_samples()[0]`` prepared for ImageNet model ``name`` as the app does: [1, 3, 224, 224]."""
    import models
    from explain.imagenet_input import prepare_rgb
    from models import zoo

    path = models.photo_samples()[0]
    return prepare_rgb(path.read_bytes(), path.name, zoo.input_spec(zoo.spec(name))).tensor


def zoo_model(name: str) -> nn.Module:
    from models import zoo

    return zoo.load(zoo.spec(name), allow_download=False)


# --- trace overhead -----------------------------------------------------------------------------------

@contextmanager
def threads(n: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _bare(model: nn.Module, x: torch.Tensor, param_grad_limit: int | None = None) -> None:
    with torch.enable_grad():
        xi = x.detach().clone().requires_grad_(True)
        logits = model(xi)
        value = logits.gather(1, logits.detach().argmax(1, keepdim=True)).mean()
        params = [p for p in model.parameters()
                  if p.requires_grad and (param_grad_limit is None or p.numel() <= param_grad_limit)]
        torch.autograd.grad(value, [xi, *params])


def _forward(model: nn.Module, x: torch.Tensor) -> None:
    with torch.no_grad():
        model(x)


def trace_ratio(model: nn.Module, x: torch.Tensor, repeats: int, budget_s: float = 25.0,
                param_grad_limit: int | None = None, warmup: int = 2) -> dict[str, float]:
    """Median trace time ÷ median bare time (and ÷ median forward time) over ``repeats`` interleaved triples
    (fewer, at least 3, when they take longer than ``budget_s`` in all: a loaded machine must not stretch
    the bench past minutes)."""
    from explain.trace import trace

    model.eval()
    for _ in range(warmup):  # allocator, kernels, hook paths
        _bare(model, x, param_grad_limit)
        trace(model, x, param_grad_limit=param_grad_limit)
        _forward(model, x)
    bare: list[float] = []
    traced: list[float] = []
    forward: list[float] = []
    start = time.perf_counter()
    for i in range(repeats):
        if i >= 3 and time.perf_counter() - start > budget_s:
            break
        t0 = time.perf_counter()
        _bare(model, x, param_grad_limit)
        t1 = time.perf_counter()
        trace(model, x, param_grad_limit=param_grad_limit)
        t2 = time.perf_counter()
        _forward(model, x)
        t3 = time.perf_counter()
        bare.append(t1 - t0)
        traced.append(t2 - t1)
        forward.append(t3 - t2)
    b, t, f = statistics.median(bare), statistics.median(traced), statistics.median(forward)
    n = len(trace(model, x, param_grad_limit=param_grad_limit).layers)
    return {"forward_ms": round(f * 1e3, 3), "bare_ms": round(b * 1e3, 3), "trace_ms": round(t * 1e3, 3),
            "ratio": round(t / b, 3), "ratio_forward": round(t / f, 3), "repeats": len(bare), "records": n,
            "threads": torch.get_num_threads(), "extra_ms_per_record": round((t - b) * 1e3 / n, 3)}


def bench_trace() -> dict[str, Any]:
    import models
    from explain.allocator import keep_freed_memory
    from models import zoo
    from ui.state import LARGE_PARAM_GRAD_LIMIT

    keep_freed_memory()  # the served app's allocator setting (ui.state.tune_allocator), for both sides of the ratio
    tiny, x = models.load(models.DEFAULT_MODEL), torch.randn(1, 1, 28, 28)
    out = {"tinyvgg": trace_ratio(tiny, x, 100)}
    with threads(1):  # what one session gets when every core is busy serving others
        out["tinyvgg-1-thread"] = trace_ratio(tiny, x, 100)
    for s in zoo.ZOO:
        model, xi = zoo_model(s.name), photo_input(s.name)
        full = s.name == IMAGENET_PAGE_MODEL  # ResNet-18 in full; the others cheaply (1 thread, 8 s of repeats)
        for n in (1, 2) if full else (1,):
            with threads(n):
                out[f"{s.name}-{n}-thread{'s' if n > 1 else ''}"] = trace_ratio(
                    model, xi, 10 if full else 15, budget_s=20.0 if full else 8.0,
                    param_grad_limit=LARGE_PARAM_GRAD_LIMIT, warmup=2 if full else 1)
        del model
        gc.collect()
    return out


# --- payload counting ---------------------------------------------------------------------------------

class Payload:
    """Bytes enqueued for the browser while enabled: ForwardMsgs and media files (once per file id)."""

    def __init__(self) -> None:
        self.enabled = False
        self.messages = 0
        self.message_bytes = 0
        self.largest: list[tuple[int, str]] = []  # (bytes, element type) of the biggest deltas
        self.media: dict[str, int] = {}

    @contextmanager
    def count(self) -> Iterator[Payload]:
        self.messages, self.message_bytes, self.media, self.largest = 0, 0, {}, []
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
                size = msg.ByteSize()
                counter.message_bytes += size
                if size > 50_000:
                    kind = msg.delta.new_element.WhichOneof("type") if msg.HasField("delta") else None
                    if kind == "plotly_chart":  # name the figure by its title
                        title = json.loads(msg.delta.new_element.plotly_chart.spec).get("layout", {}).get("title")
                        text = title.get("text") if isinstance(title, dict) else title
                        kind = f"plotly_chart “{str(text)[:40]}”" if text else kind
                    counter.largest = sorted([*counter.largest, (size, kind or msg.WhichOneof("type"))])[-3:]
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


def show_error_details() -> None:
    """The app redacts exceptions (.streamlit/config.toml); the bench records what a page raised."""
    from streamlit import config

    config.get_option("client.showErrorDetails")  # parse the config files first, then override for this process
    config.set_option("client.showErrorDetails", "full")


def _problems(at: Any) -> list[str]:
    raised = [f"{e.proto.type}: {e.message}"[:200] if e.proto.type else str(e.value)[:200] for e in at.exception]
    return raised + [str(e.value)[:200] for e in at.error]


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


def _photo_variant(tag: str) -> tuple[bytes, str]:
    """``models.photo_samples()[0]`` with a JPEG comment (COM segment) after SOI: the same pixels, a new digest."""
    import models

    path = models.photo_samples()[0]
    data = path.read_bytes()
    comment = f"cnn-lens bench {tag}".encode()
    return data[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + data[2:], path.name


Images = Callable[[int, int], tuple[bytes, str]]  # (page index, k) → image bytes and name; k = 0 opens


def _fmnist_images(index: int, k: int) -> tuple[bytes, str]:
    seed = 100 * (index + 1)
    return _photo(seed + k), ("bench.jpg" if k == 0 else f"bench-{k - 1}.jpg")


def _imagenet_images(index: int, k: int) -> tuple[bytes, str]:
    return _photo_variant(f"{index}-{k}") if k else _photo_variant("open")


def bench_page(path: str, index: int, model: str | None = None, images: Images = _fmnist_images,
               timeout: float = 120, warm_repeats: int = WARM_REPEATS, upload_repeats: int = UPLOAD_REPEATS,
               count_open: bool = False, budget_s: float | None = None) -> dict[str, Any]:
    """``count_open``: the run that opens the session (a never-seen image too) counts as a first run, with
    its payload. ``budget_s``: once the page's runs took longer, stop repeating (at least one warm rerun and
    one first run are kept), so one slow page cannot stretch the bench by many minutes."""
    from tests.helpers import run_page

    start = time.perf_counter()
    upload: list[float] = []
    payloads: list[int] = []
    messages: list[dict[str, int]] = []

    def counted(fn: Callable[[], Any]) -> Any:
        with PAYLOAD.count() as p:
            t0 = time.perf_counter()
            out = fn()
            upload.append(time.perf_counter() - t0)
        payloads.append(p.total)
        messages.append({"messages": p.messages, "message_bytes": p.message_bytes,
                         "media_files": len(p.media), "media_bytes": sum(p.media.values()),
                         "largest": [f"{kind} {size // 1024} KB" for size, kind in reversed(p.largest)]})
        return out

    def over() -> bool:
        return budget_s is not None and time.perf_counter() - start > budget_s

    first, name = images(index, 0)
    opening = lambda: run_page(path, model=model, image=first, image_name=name, timeout=timeout)  # noqa: E731
    at = counted(opening) if count_open else opening()
    warm: list[float] = []
    for _ in range(warm_repeats):
        if warm and over():
            break
        warm.append(_timed_run(at))
    for k in range(upload_repeats):
        if upload and over():
            break
        _set_image(at, *images(index, k + 1))
        counted(at.run)
    profile = profile_rerun(at) if _median_ms(warm) > AIMS["warm_ms"] and not over() else None
    return {
        "profile": profile,
        "warm_ms": _median_ms(warm), "upload_ms": _median_ms(upload), "runs": [len(warm), len(upload)],
        "payload_bytes": max(payloads), "payload_parts": messages[payloads.index(max(payloads))],
        "charts": len(at.get("plotly_chart")), "problems": _problems(at),
    }


def bench_pages(model: str | None = None, images: Images = _fmnist_images, only: list[str] | None = None,
                **options: Any) -> dict[str, Any]:
    from ui.nav import existing_pages

    out = {}
    for i, spec in enumerate(existing_pages()):
        if only and spec.path not in only:
            continue
        try:
            out[spec.path] = bench_page(spec.path, i, model, images, **options)
        except Exception as e:  # noqa: BLE001 - one broken page must not hide the others' figures
            out[spec.path] = {"error": f"{type(e).__name__}: {e}"[:300]}
        print(f"  {spec.path}: {out[spec.path]}", file=sys.stderr)
    return out


IMAGENET_PAGE_BUDGET_S = 30.0


def bench_imagenet_pages(only: list[str] | None = None) -> dict[str, Any]:
    """The pages with ResNet-18 on the photo: the session's opening run counts as a first run (the photo's
    digest is new to every cache), then 2 warm reruns and one more new digest, within ~30 s per page."""
    from tests.helpers import run_page

    data, name = _photo_variant("warm-up")  # model load and first imports, not counted
    run_page("pages/overview.py", model=IMAGENET_PAGE_MODEL, image=data, image_name=name, timeout=300)
    return bench_pages(IMAGENET_PAGE_MODEL, _imagenet_images, only, timeout=150, warm_repeats=2, upload_repeats=1,
                       count_open=True, budget_s=IMAGENET_PAGE_BUDGET_S)


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


# --- Grad-CAM: CNN Lens vs torch-cam -------------------------------------------------------------------

def _minmax(m: torch.Tensor) -> torch.Tensor:
    """(m − min) / (max − min + 1e-8): torch-cam's own normalization, applied to both maps before comparing."""
    m = m.double()
    m = m - m.min()
    return m / (m.max() + 1e-8)


def bench_gradcam(repeats: int = GRADCAM_REPEATS, n_threads: int = 1) -> dict[str, Any]:
    """Median times over ``repeats`` interleaved runs, and the largest difference of the normalized maps.

    * CNN Lens, as a page without a cached trace does it: ``trace`` (forward with hooks on every leaf, backward
      to the input, every activation and every parameter) + ``grad_cam(tr, key)``, where ``key`` is the last
      leaf call inside ``layer4`` (``layer4.1.relu#2``, whose output is ``layer4``'s output).
    * CNN Lens with the trace cached (every rerun and every other page): ``grad_cam`` alone.
    * torch-cam: ``GradCAM(model, "layer4")`` (hooks on) + forward + ``extractor(class, scores)`` (backward
      from the class score to layer4's output only) + hooks removed.
    """
    try:
        import torchcam
        from torchcam.methods import GradCAM
    except Exception as e:  # noqa: BLE001 - missing, or broken by another torch: skip only this part
        return {"skipped": f"torchcam cannot be imported ({type(e).__name__}: {e}); `make bench` installs it "
                           "(requirements-bench.txt, pip --no-deps)"}
    from torch.nn import functional as F

    from explain.attribution import grad_cam
    from explain.trace import trace
    from ui.state import LARGE_PARAM_GRAD_LIMIT

    model, x = zoo_model(IMAGENET_PAGE_MODEL), photo_input(IMAGENET_PAGE_MODEL)
    with threads(n_threads):
        tr = trace(model, x, param_grad_limit=LARGE_PARAM_GRAD_LIMIT)
        target = tr.target[0]
        key = [r.key for r in tr.layers if r.name.startswith("layer4.")][-1]

        def lens() -> Any:
            return grad_cam(trace(model, x, target=target, param_grad_limit=LARGE_PARAM_GRAD_LIMIT), key)

        def lens_cached() -> Any:
            return grad_cam(tr, key)

        def tcam() -> tuple[torch.Tensor, torch.Tensor]:
            with torch.enable_grad(), GradCAM(model, target_layer="layer4") as extractor:
                scores = model(x)
                cam = extractor(target, scores)[0]
                return cam, extractor.hook_a[0]

        runs: dict[str, list[float]] = {"lens": [], "lens_cached": [], "torchcam": []}
        fns = {"lens": lens, "lens_cached": lens_cached, "torchcam": tcam}
        for fn in fns.values():  # warm-up
            fn()
        for _ in range(repeats):
            for name, fn in fns.items():
                t0 = time.perf_counter()
                fn()
                runs[name].append(time.perf_counter() - t0)
        ours = lens_cached()
        theirs, activation = tcam()
    size = tuple(x.shape[-2:])
    theirs_up = F.interpolate(theirs[None].double(), size=size, mode="bilinear", align_corners=False)[0, 0]
    return {
        "torchcam": torchcam.__version__, "layer": "layer4", "lens_key": key, "target": target,
        "threads": n_threads, "repeats": repeats,
        "lens_ms": _median_ms(runs["lens"]), "lens_cached_ms": _median_ms(runs["lens_cached"]),
        "torchcam_ms": _median_ms(runs["torchcam"]),
        "map_shape": list(ours.cam.shape), "upsampled_shape": list(size),
        "activation_max_abs_diff": float((tr[key].output - activation).abs().max()),
        "max_abs_diff_layer": float((_minmax(ours.cam) - theirs[0].double()).abs().max()),
        "max_abs_diff_upsampled": float((_minmax(ours.upsampled) - _minmax(theirs_up)).abs().max()),
        "leftover_hooks": sum(len(m._forward_hooks) + len(m._backward_hooks) for m in model.modules()),
        "leftover_grads": sum(p.grad is not None for p in model.parameters()),
    }


# --- report -------------------------------------------------------------------------------------------

def _mark(ok: bool | None) -> str:
    return "–" if ok is None else ("ok" if ok else "**miss**")


def _trace_table(tr: dict[str, Any], why: list[str]) -> list[str]:
    lines = ["| trace overhead | threads | forward | bare fwd+bwd | trace | trace ÷ fwd+bwd | trace ÷ forward | "
             "calls | repeats | aim ≤ 1.3x |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, r in tr.items():
        fwd = f"{r['forward_ms']:.1f} ms" if "forward_ms" in r else "–"
        rf = f"{r['ratio_forward']:.2f}x" if "ratio_forward" in r else "–"
        lines.append(f"| {name} | {r.get('threads', '–')} | {fwd} | {r['bare_ms']:.1f} ms | {r['trace_ms']:.1f} ms | "
                     f"{r['ratio']:.2f}x | {rf} | {r['records']} | {r['repeats']} | "
                     f"{_mark(r['ratio'] <= AIMS['trace_ratio'])} |")
        if r["ratio"] > AIMS["trace_ratio"]:
            why.append(f"- trace {name} {r['ratio']}x: a fixed cost of {r['extra_ms_per_record']} ms per recorded call "
                       f"({r['records']} calls) against a {r['bare_ms']} ms pass: two Python hooks per leaf, an output "
                       "clone per leaf and the detached copies of inputs/outputs. Fix: clone outputs only for modules "
                       "followed by an in-place op, and keep the input as a reference to the previous output.")
    return lines


def _pages_table(pages: dict[str, Any], why: list[str], label: str) -> list[str]:
    lines = [f"| page ({label}) | warm rerun | first run, new image | payload | charts | runs (warm/first) | "
             "aims (150 ms / 1 s / 1.5 MB) |", "|---|---:|---:|---:|---:|---:|---|"]
    for path, r in pages.items():
        if "error" in r:
            lines.append(f"| {path} | – | – | – | – | – | error: {r['error']} |")
            continue
        mb = r["payload_bytes"] / 2**20
        marks = [_mark(r["warm_ms"] <= AIMS["warm_ms"]), _mark(r["upload_ms"] <= AIMS["upload_ms"]),
                 _mark(mb <= AIMS["payload_mb"])]
        note = f" (page showed: {'; '.join(r['problems'])})" if r["problems"] else ""
        lines.append(f"| {path} | {r['warm_ms']:.0f} ms | {r['upload_ms']:.0f} ms | {mb * 1024:.0f} KB | "
                     f"{r['charts']} | {'/'.join(map(str, r.get('runs', ['?', '?'])))} | {' / '.join(marks)}{note} |")
        where = f"{path} ({label})"
        prof = r.get("profile")
        if prof:
            fix = ("cache the built figures (st.cache_resource keyed on model, image digest and widget values) "
                   "or build them as plain dicts instead of graph_objects (no per-property validation)"
                   if prof["plotly_share"] >= 0.3 else "cache the slowest calls listed (keyed on model, image digest "
                   "and parameters)")
            why.append(f"- {where} warm rerun {r['warm_ms']:.0f} ms: {prof['plotly_share']:.0%} of the run is in "
                       f"plotly (building and validating figure objects), {prof['torch_share']:.0%} in torch; slowest "
                       f"own calls (cumulative share): {', '.join(prof['slowest'])}. Fix: {fix}.")
        if r["upload_ms"] > AIMS["upload_ms"]:
            why.append(f"- {where} first run with a new image {r['upload_ms']:.0f} ms: work that depends on the image "
                       "is recomputed on every new image (for ImageNet this includes the shared trace).")
        if mb > AIMS["payload_mb"]:
            parts = r["payload_parts"]
            big = f"; largest: {', '.join(parts['largest'])}" if parts.get("largest") else ""
            why.append(f"- {where} payload {mb:.2f} MB ({parts['message_bytes'] / 2**20:.2f} MB figures/deltas, "
                       f"{parts['media_bytes'] / 2**20:.2f} MB images{big}): send many small maps as one tiled "
                       "heatmap (`tiled_maps`, downsampled) or a binary_string image.")
    return lines


def _gradcam_lines(g: dict[str, Any]) -> list[str]:
    if "skipped" in g:
        return [f"Grad-CAM comparison skipped: {g['skipped']}."]
    if "error" in g:
        return [f"Grad-CAM comparison failed: {g['error']}."]
    return [
        f"Grad-CAM on {IMAGENET_PAGE_MODEL}, layer `{g['layer']}` (CNN Lens record `{g['lens_key']}`), class "
        f"{g['target']} (the predicted one), the same photo tensor; torch {g['threads']} thread(s), median of "
        f"{g['repeats']} interleaved runs each (torch-cam {g['torchcam']}).",
        "",
        "| Grad-CAM | median time | what runs | map returned |",
        "|---|---:|---|---|",
        f"| CNN Lens, no cached trace | {g['lens_ms']:.1f} ms | `trace` (hooks on every leaf, backward to the input, "
        "every activation and every parameter ≤ 5 M numbers) + `grad_cam` | ReLU(Σ α_k A_k), not normalized, "
        f"{g['map_shape'][0]}×{g['map_shape'][1]} and bilinear to {g['upsampled_shape'][0]}×"
        f"{g['upsampled_shape'][1]} |",
        f"| CNN Lens, trace cached (reruns, other pages) | {g['lens_cached_ms']:.2f} ms | `grad_cam` on the "
        "shared trace | the same |",
        f"| torch-cam `GradCAM` | {g['torchcam_ms']:.1f} ms | 2 hooks on layer4 + forward + backward from the "
        "class score to layer4 only + hooks removed | ReLU(Σ α_k A_k) min-max normalized to [0, 1] "
        f"((m − min)/(max − min + 1e-8)), {g['map_shape'][0]}×{g['map_shape'][1]} |",
        "",
        f"Both maps min-max normalized to [0, 1], largest absolute difference: **{g['max_abs_diff_layer']:.2e}** "
        f"at {g['map_shape'][0]}×{g['map_shape'][1]}; **{g['max_abs_diff_upsampled']:.2e}** after upsampling "
        f"each (bilinear, align_corners=False) to {g['upsampled_shape'][0]}×{g['upsampled_shape'][1]} and "
        f"normalizing again. layer4 activations of the two: max |Δ| = {g['activation_max_abs_diff']:.1e}. "
        f"Left on the model afterwards: {g['leftover_hooks']} hooks, {g['leftover_grads']} `.grad` tensors.",
    ]


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    load = m.get("load_avg", [m["load_avg_1m"]])
    lines = [
        f"## {result['date']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores (torch uses {m['torch_threads']} threads by default), "
        f"{m['ram_gb']} GB RAM; Python {m['python']}, torch {m['torch']}, streamlit {m['streamlit']}. "
        f"Load average (1/5/15 min) at start: {' / '.join(map(str, load))}, at end: "
        f"{' / '.join(map(str, result.get('load_avg_end', ['?'])))} (other work on the machine slows every figure).",
        "",
    ]
    w = result.get("weights")
    if w:
        lines += [f"ImageNet weights: random init (`models.zoo.write_weights`) in a temporary TORCH_HOME for "
                  f"{', '.join(w['random'])}: not in the hub cache. Timings and sizes are those of the real "
                  "weights; predictions and maps are not." if w["random"] else
                  f"ImageNet weights: the real ones, from {w['hub']}.", ""]
    lines += [f"Total bench time: {result['bench_s']} s (steps: "
              f"{', '.join(f'{k} {v} s' for k, v in result.get('step_s', {}).items())}).", ""]
    why: list[str] = []
    if "trace" in result:
        lines += [*_trace_table(result["trace"], why), ""]
    if "pages" in result:
        lines += [*_pages_table(result["pages"], why, "Fashion-MNIST, default model"), ""]
    if "imagenet_pages" in result:
        lines += [*_pages_table(result["imagenet_pages"], why, f"{IMAGENET_PAGE_MODEL}, photo"), ""]
    if "gradcam" in result:
        lines += [*_gradcam_lines(result["gradcam"]), ""]
    mem = result.get("memory")
    if mem:
        lines += [f"Memory: RSS {mem['rss_1_mb']} MB with 1 session, {mem[f'rss_{SESSIONS}_mb']} MB with {SESSIONS} "
                  f"→ **{mem['per_session_mb']} MB per extra session** (aim ≤ 40 MB: "
                  f"{_mark(mem['per_session_mb'] <= AIMS['per_session_mb'])}).", ""]
        if mem["per_session_mb"] > AIMS["per_session_mb"]:
            why.append(f"- {mem['per_session_mb']} MB per session: each session keeps its image bytes and its traces; "
                       "bound the trace cache (max_entries) and keep only digests in session state.")
    cli = result.get("cli")
    if cli and "error" in cli:
        lines += [f"CLI: {cli['error']}.", ""]
    elif cli:
        lines += [f"CLI: `python -m explain` on {cli['images']} samples in one process: {cli['wall_s']} s "
                  f"→ **{cli['images_per_s']} images/s** including start-up ({cli['wall_1_s']} s for one image); "
                  f"{cli['per_image_ms_after_startup']} ms per further image (exit code {cli['exit_code']}).", ""]
    if why:
        lines += ["Why the misses, and what would fix them (measured in this run):", "", *why, ""]
    lines += ["Raw figures: the JSON object printed by `python -m benchmarks.bench --json`.", ""]
    return "\n".join(lines)


STEPS: dict[str, tuple[str, Callable[[argparse.Namespace], Any]]] = {
    "trace": ("trace overhead", lambda a: bench_trace()),
    "memory": ("memory per session", lambda a: bench_memory()),
    "pages": ("pages (Fashion-MNIST)", lambda a: bench_pages(only=a.pages)),
    "imagenet_pages": (f"pages ({IMAGENET_PAGE_MODEL})", lambda a: bench_imagenet_pages(only=a.pages)),
    "gradcam": ("Grad-CAM vs torch-cam", lambda a: bench_gradcam()),
    "cli": ("cli", lambda a: bench_cli()),
}


def main(argv: list[str] | None = None) -> int:
    import logging

    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print the raw JSON object instead of the tables")
    ap.add_argument("--no-write", action="store_true", help="do not append a section to benchmarks/results.md")
    ap.add_argument("--only", type=lambda v: v.split(","), default=list(STEPS),
                    help=f"comma-separated steps to run (default all): {','.join(STEPS)}")
    ap.add_argument("--pages", type=lambda v: v.split(","), default=None,
                    help="comma-separated page paths for the page steps (default: every existing page)")
    args = ap.parse_args(argv)
    unknown = [s for s in args.only if s not in STEPS]
    if unknown:
        ap.error(f"unknown step(s) {', '.join(unknown)}; known: {', '.join(STEPS)}")

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    PAYLOAD.install()
    show_error_details()
    result: dict[str, Any] = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine()}
    result["weights"] = zoo_weights()
    timings["weights"] = round(time.perf_counter() - t0, 1)
    for key, (label, fn) in STEPS.items():
        if key in args.only:
            print(f"bench: {label} …", file=sys.stderr)
            t1 = time.perf_counter()
            try:
                result[key] = fn(args)
            except Exception as e:  # noqa: BLE001 - one failing step must not lose the others' figures
                if key != "gradcam":
                    raise
                result[key] = {"error": f"{type(e).__name__}: {e}"[:300]}
            timings[key] = round(time.perf_counter() - t1, 1)
    result["step_s"] = timings
    result["bench_s"] = round(time.perf_counter() - t0, 1)
    result["load_avg_end"] = [round(v, 2) for v in os.getloadavg()]
    result["aims"] = AIMS
    text = markdown(result)
    print(json.dumps(result, ensure_ascii=False) if args.json else text)
    if not args.no_write:
        header = "" if RESULTS.exists() else "# Benchmark results\n\nEach `make bench` run appends a section.\n\n"
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write(header + text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
