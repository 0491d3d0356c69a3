"""Many sources read at once: one reading, or one error, per source.

Reading a fleet means asking N nodes, each of which may be slow or gone; one
thread per source (up to ``max_workers``) reads them side by side, and a
source that fails gives its error without stopping the others.  Results come
as each source finishes, so a window can show every node as soon as it
answers.  Each reading keeps its driver open for the actions that follow:
close it (``reading.driver.close()``) when the reading is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from inspector.core.errors import CacheError, ServiceUnreachableError, reason_of
from inspector.core.session import Reading, read
from inspector.core.source import CacheSource

#: Nodes read at the same time, at most.
MAX_WORKERS = 8


@dataclass(frozen=True, slots=True)
class SourceReading:
    """The outcome of reading one source of many.

    Exactly one of ``reading`` and ``error`` is set; ``unreachable`` says the
    error is that the source did not answer at all (a node down or hung).
    """

    source: CacheSource
    reading: Reading | None = None
    error: str | None = None
    unreachable: bool = False
    seconds: float = 0.0


def read_one(source: CacheSource, read_only: bool = False) -> SourceReading:
    """Read ``source``; any failure the user should see becomes its ``error``."""
    started = time.monotonic()
    try:
        reading = read(source, read_only=read_only)
    except (CacheError, OSError, ValueError) as exc:
        return SourceReading(
            source,
            error=reason_of(exc),
            unreachable=isinstance(exc, ServiceUnreachableError),
            seconds=time.monotonic() - started,
        )
    return SourceReading(source, reading, seconds=time.monotonic() - started)


def read_each(
    sources: Sequence[CacheSource],
    max_workers: int = MAX_WORKERS,
    read_only: bool = False,
) -> Iterator[tuple[int, SourceReading]]:
    """Read every source in parallel; yield ``(index in sources, result)`` as each is there.

    Stopping the iteration early cancels the reads not yet started; those
    still running finish in the background and their drivers are closed.
    """
    if not sources:
        return
    pool = ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(sources))))
    futures = {pool.submit(read_one, source, read_only): n for n, source in enumerate(sources)}
    claimed: set[Future[SourceReading]] = set()
    try:
        for future in as_completed(futures):
            claimed.add(future)
            yield futures[future], future.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        for future in futures:
            if future not in claimed:
                future.add_done_callback(_close_unclaimed)


def read_all(
    sources: Sequence[CacheSource], max_workers: int = MAX_WORKERS, read_only: bool = False
) -> list[SourceReading]:
    """Every source's result, in the order of ``sources``."""
    results: list[SourceReading | None] = [None] * len(sources)
    for n, result in read_each(sources, max_workers, read_only):
        results[n] = result
    return [r for r in results if r is not None]


def _close_unclaimed(future: Future[SourceReading]) -> None:
    if future.cancelled() or future.exception() is not None:
        return
    reading = future.result().reading
    if reading is not None:
        reading.driver.close()
