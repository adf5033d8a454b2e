"""explain.allocator: the process keeps freed tensor memory; checked with glibc's own counters."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from tests.helpers import ROOT

# In a fresh process: allocate and free an 8 MB tensor twice, and count glibc's mmapped blocks (mallinfo2's
# hblks) while each one is alive: before the setting the block is its own mmap, after it the heap serves it.
PROBE = """
import ctypes, sys, torch
from explain.allocator import keep_freed_memory

class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info

def mmapped_while_alive():
    before = libc.mallinfo2().hblks
    t = torch.empty(2 << 20)  # 8 MB, float32
    t.fill_(1.0)
    during = libc.mallinfo2().hblks
    del t
    return during - before

first = mmapped_while_alive()
ok = keep_freed_memory()
again = keep_freed_memory()
after = [mmapped_while_alive() for _ in range(3)]
print(first, ok, again, *after)
"""


@pytest.mark.skipif(platform.system() != "Linux" or not platform.libc_ver()[0].startswith("glibc"),
                    reason="mallopt and mallinfo2 are glibc's")
def test_large_blocks_come_from_the_heap_after_the_setting() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    first, ok, again, *after = out.stdout.split()
    assert first == "1"  # the default: a fresh mmap for an 8 MB block
    assert ok == again == "True"
    assert after == ["0", "0", "0"]


def test_without_mallopt_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    import ctypes

    from explain import allocator

    def no_libc(*_a: object, **_k: object) -> None:
        raise OSError("no such library")

    monkeypatch.setattr(allocator, "_done", [])
    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    assert allocator.keep_freed_memory() is False
    assert allocator.keep_freed_memory() is False  # remembered, not retried


def test_the_cli_and_the_server_use_it() -> None:
    """The two long-running entry points call it: the CLI before its first trace, the server at start-up."""
    import inspect

    from explain import cli
    from ui import state

    assert "keep_freed_memory()" in inspect.getsource(cli.run)
    assert state.tune_allocator() is False  # no running server in a test: the process is left as it is
