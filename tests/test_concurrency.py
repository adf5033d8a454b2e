"""A class opening the app at once: 20 concurrent sessions, one process, shared cached models.

* 20 threads, each driving its own AppTest session (different sample images and models), must show
  exactly what a single session shows for the same image and model (prediction chart, captions, table).
* Afterwards the shared models cached by ``ui.state`` carry no hook, no ``.grad``, are still in eval mode
  and still hold their committed weights.
* 8 threads tracing one shared model at once get bit-identical records to serial traces.
* A cold server (fresh process, nothing imported yet) opened by 8 sessions at once: none fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

import models
from explain.hooks import has_hooks
from explain.imaging import prepare
from explain.trace import Trace, trace
from tests.helpers import ROOT, run_page, sample_bytes

OVERVIEW = "pages/overview.py"
SESSIONS = 20
DISTINCT = 10  # each (image, model) pair is opened by two sessions at once


def _install_shared_runtime() -> None:
    from unittest.mock import MagicMock

    from streamlit.runtime import Runtime
    from streamlit.runtime.caching.storage.dummy_cache_storage import MemoryCacheStorageManager
    from streamlit.runtime.dataframe_source_manager import DataframeSourceManager
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test

    # One server has one ScriptCache: it compiles each page once, under its lock. Each AppTest makes its own,
    # so 20 sessions would parse the same page at once, and ast.parse is not thread-safe in CPython 3.11
    # ("SystemError: AST constructor recursion depth mismatch", CPython gh-106905).
    one_cache = ScriptCache()
    app_test.ScriptCache = lambda: one_cache
    fallback = MagicMock(spec=Runtime)
    fallback.media_file_mgr = MediaFileManager(MemoryMediaFileStorage("/mock/media"))
    fallback.dataframe_source_mgr = DataframeSourceManager()
    fallback.cache_storage_manager = MemoryCacheStorageManager()
    Runtime.instance = classmethod(lambda cls: cls._instance or fallback)
    Runtime.exists = classmethod(lambda cls: True)


@pytest.fixture
def shared_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let AppTest sessions run side by side, as sessions do in one real server.

    Each ``AppTest.run`` installs its own mock ``Runtime`` as the process-wide singleton and sets it back
    to None when it finishes: with concurrent runs, a session still running then finds no runtime
    ("Runtime hasn't been created!"). A real server has exactly one Runtime for all sessions, so here
    ``Runtime.instance()`` falls back to one shared mock (media and cache managers like AppTest's own), and
    all sessions share one ScriptCache, as a server's sessions do.
    """
    from streamlit.runtime import Runtime

    monkeypatch.setattr(Runtime, "instance", Runtime.instance)  # restored after the test
    monkeypatch.setattr(Runtime, "exists", Runtime.exists)
    from streamlit.testing.v1 import app_test

    monkeypatch.setattr(app_test, "ScriptCache", app_test.ScriptCache)
    _install_shared_runtime()


def _configs() -> list[tuple[int, str]]:
    names = [m.name for m in models.available()]
    n_samples = len(models.samples())
    return [((3 * i) % n_samples, names[i % len(names)]) for i in range(DISTINCT)]


def _fingerprint(at) -> dict:  # noqa: ANN001 - AppTest
    """What a student sees that depends on the model and image: chart data, texts and tables."""
    charts = []
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        charts.append([{k: trace_.get(k) for k in ("x", "y", "text")} for trace_ in spec.get("data", [])])
    return {
        "exceptions": [e.value for e in at.exception],
        "errors": [e.value for e in at.error],
        "charts": charts,
        "captions": [c.value for c in at.caption] + [c.value for c in at.sidebar.caption],
        "markdown": [m.value for m in at.markdown],
        "tables": [df.value.to_json() for df in at.dataframe],
    }


def _session(sample: int, model: str) -> dict:
    data, name = sample_bytes(sample)
    return _fingerprint(run_page(OVERVIEW, model=model, image=data, image_name=name))


def test_twenty_concurrent_sessions_match_single_sessions(shared_runtime: None) -> None:
    configs = _configs()
    single = {cfg: _session(*cfg) for cfg in configs}  # one at a time (also warms imports and caches)
    for cfg, fp in single.items():
        assert not fp["exceptions"] and not fp["errors"], (cfg, fp["exceptions"], fp["errors"])
        assert fp["charts"], f"{cfg}: no prediction chart"

    jobs = [configs[i % DISTINCT] for i in range(SESSIONS)]
    start = threading.Barrier(SESSIONS)

    def job(cfg: tuple[int, str]) -> dict:
        start.wait(timeout=60)  # all sessions begin together
        return _session(*cfg)

    with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        results = list(pool.map(job, jobs))
    for cfg, got in zip(jobs, results, strict=True):
        assert got == single[cfg], f"session {cfg} differs from a single session"

    _assert_shared_models_untouched()


def _assert_shared_models_untouched() -> None:
    from ui.state import _committed_model  # the process-wide st.cache_resource of committed models

    for info in models.available():
        shared = _committed_model(info.name)
        assert not has_hooks(shared), f"{info.name}: hooks left on the shared model"
        assert not shared.training, f"{info.name}: left in train mode"
        assert all(p.grad is None for p in shared.parameters()), f"{info.name}: .grad written"
        fresh = models.load(info.name).state_dict()
        for k, v in shared.state_dict().items():
            assert torch.equal(v, fresh[k]), f"{info.name}: weight {k} changed"


def _same(a: Trace, b: Trace) -> None:
    assert torch.equal(a.logits, b.logits) and torch.equal(a.input_grad, b.input_grad)
    assert a.keys() == b.keys()
    for ra, rb in zip(a.layers, b.layers, strict=True):
        assert torch.equal(ra.output, rb.output), ra.key
        assert (ra.grad is None) == (rb.grad is None) and (ra.grad is None or torch.equal(ra.grad, rb.grad)), ra.key
        for k, g in ra.param_grads.items():
            assert g is None or torch.equal(g, rb.param_grads[k]), (ra.key, k)


@pytest.fixture(params=[1, 2], ids=["1-torch-thread", "2-torch-threads"])
def torch_threads(request: pytest.FixtureRequest):  # noqa: ANN201 - yields the thread count
    """The served app budgets 1 torch thread per computation (ui.state.budget_threads); a script may use more.
    The result must not depend on it: the test runs under both, and the count is restored afterwards."""
    from ui.state import _large_trace, _small_trace

    before = torch.get_num_threads()
    torch.set_num_threads(request.param)
    _small_trace.clear()  # a trace cached under another thread count may differ in its last bits
    _large_trace.clear()
    try:
        yield request.param
    finally:
        torch.set_num_threads(before)


def test_eight_threads_trace_one_shared_model(torch_threads: int) -> None:
    from ui.state import _committed_model, get_trace

    name = models.available()[0].name
    shared = _committed_model(name)
    images = [prepare(*sample_bytes(i)) for i in range(8)]
    serial = [trace(shared, im.tensor) for im in images]
    barrier = threading.Barrier(8)

    def job(i: int) -> tuple[Trace, Trace]:
        barrier.wait(timeout=60)
        direct = trace(shared, images[i].tensor, loss="logit")
        # the app's cached path (ui.state.trace_for without the session lookup), one key per image
        cached = get_trace(name, images[i].digest, None, "logit", None, shared, images[i].tensor)
        return direct, cached

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(job, range(8)))
    for ref, (direct, cached) in zip(serial, results, strict=True):
        _same(ref, direct)
        _same(ref, cached)
    assert not has_hooks(shared) and not shared.training
    assert all(p.grad is None for p in shared.parameters())


COLD_START = """
import json, sys, threading, traceback
sys.path.insert(0, ".")
from tests.test_concurrency import _install_shared_runtime
from tests.helpers import run_page, sample_bytes
_install_shared_runtime()
results, crashes = {}, {}
def go(i):
    try:
        data, name = sample_bytes(i)
        at = run_page("pages/overview.py", image=data, image_name=name)
        results[i] = {"exceptions": [e.value for e in at.exception], "errors": [e.value for e in at.error],
                      "charts": len(at.get("plotly_chart")), "tables": len(at.dataframe)}
    except BaseException:  # a thread's exception would only be printed: keep it for the test to see
        crashes[i] = traceback.format_exc()
threads = [threading.Thread(target=go, args=(i,)) for i in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
print(json.dumps({"results": results, "crashes": crashes}))
"""


def test_cold_server_opened_by_a_class_at_once() -> None:
    """The first runs of a fresh process import plotly, pandas … in 8 script threads at once.

    plotly looks pandas up in ``sys.modules`` without importing it, so a session can see a half-imported
    pandas ("partially initialized module 'pandas' has no attribute 'Series'") unless the app imports it
    fully first (e.g. at the top of a module every page imports). Each of the 8 sessions must finish with
    no exception, no error box, its prediction chart and its table; a thread that raised is a failure."""
    r = subprocess.run([sys.executable, "-c", COLD_START], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert not report["crashes"], "\n".join(report["crashes"].values())[-3000:]
    results = report["results"]
    assert sorted(results, key=int) == [str(i) for i in range(8)], sorted(results)
    for i, res in results.items():
        assert not res["exceptions"] and not res["errors"], (i, res)
        assert res["charts"] >= 1 and res["tables"] == 1, (i, res)


def test_start_up_heap_is_frozen_only_in_a_server() -> None:
    """Outside a running server (tests, scripts) importing ui.state freezes nothing."""
    import gc

    from ui.state import freeze_startup_heap

    before = gc.get_freeze_count()
    assert freeze_startup_heap() is False
    assert gc.get_freeze_count() == before
