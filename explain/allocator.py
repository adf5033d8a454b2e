"""Keep freed tensor memory in the process for the next trace (glibc's ``mallopt``).

torch's CPU tensors come from ``malloc``. glibc serves a block of at least the *mmap threshold* (128 KiB at
start, raised by itself up to 32 MiB as large blocks are freed) with a fresh ``mmap`` and unmaps it on
``free``; the top of the heap is given back to the system once more than the *trim threshold* (128 KiB) of
it is free. Either way the next trace touches new pages, and the kernel zeroes each 4 KiB page on its first
touch.

A trace keeps every layer's output and the gradient of the loss with respect to it alive at once
(EfficientNet-B0: 223 records, tens of MB), where a bare forward+backward frees each gradient as soon as
the next one is computed and so reuses the same few blocks. With the default thresholds every trace paid
those page faults again: 1.29-1.41x a bare pass on EfficientNet-B0 (one thread), against 1.08-1.12x with
blocks below 32 MiB taken from and returned to the heap, and the heap trimmed only when 1 GiB of it is
free (measured on this 2-core machine: medians of 10 interleaved runs, and `make bench`). The cost is that the process
keeps its peak heap (the largest trace it has held) instead of returning it between requests, which a
server that serves the same models all day would reuse anyway.

Only the process is changed, never a tensor or a model; other C libraries (BLAS, a non-glibc system) are
left as they are.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # bytes: the largest value glibc picks by itself on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX)
TRIM_THRESHOLD = 1 << 30

_lock = threading.Lock()
_done: list[bool] = []


def keep_freed_memory() -> bool:
    """Set glibc's mmap threshold to 32 MiB and its trim threshold to 1 GiB, once per process.

    True if both settings took (a glibc system), False otherwise (another C library, or ``mallopt``
    refused): then nothing changed and traces only run a little slower.
    """
    with _lock:
        if _done:
            return _done[0]
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            mallopt = libc.mallopt
            mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
            ok = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
        except (OSError, AttributeError):  # no C library by that name, or no mallopt in it (not glibc)
            ok = False
        _done.append(ok)
        return ok
