"""The C heap's settings for a long-running window (glibc only; elsewhere nothing).

glibc's ``malloc`` serves a block of 128 KiB or more with its own ``mmap`` and
gives it back on ``free``, but raises that threshold to the size of every such
block freed, up to 32 MiB: after the first reading, the lists and tables of
100,000 entries (0.8 to 5 MB each, made and dropped at every sort, filter and
refresh) come from the heap instead and stay there.  A fixed threshold keeps
them mapped and unmapped as they come and go, and one arena for all threads
keeps a block freed on the GUI thread from staying out of a worker's reach.
Measured with ``benchmarks/bench_window.py`` at 100,000 entries: the window's
peak went from 215 to 196 MB.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

#: ``mallopt`` parameters (glibc's malloc.h).
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD = 128 * 1024


def tune_heap() -> bool:
    """Fix glibc's mmap threshold and use one arena; False where that is not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and mallopt(M_ARENA_MAX, 1) == 1)
    if not done:
        log.debug("mallopt refused the heap settings")
    return done
