"""Scanning a cache on a worker thread, one scan at a time."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from inspector.core import (
    STATES,
    CacheDriver,
    CacheError,
    Entry,
    ScanCancelled,
    Snapshot,
    State,
    Summary,
    open_cache,
    summarize,
)
from inspector.gui.columns import Context, columns_for
from inspector.gui.entry_model import SortSpec, sort_entries

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanRequest:
    path: Path
    driver: str | None
    generation: int
    #: How each table is sorted, so that the rows come sorted off the GUI thread.
    sort_specs: dict[State, SortSpec | None] = field(default_factory=dict)
    context: Context | None = None


@dataclass(frozen=True)
class ScanResult:
    """A finished scan, split by state off the GUI thread."""

    request: ScanRequest
    cache: CacheDriver  # the driver that read it: plans need its eviction order
    snapshot: Snapshot
    by_state: dict[State, list[Entry]]
    #: Each state's ids to their place in ``by_state`` (built here, off the GUI thread).
    row_of: dict[State, dict[str, int]]
    summary: Summary
    writable: bool


class _Worker(QObject):
    progress = Signal(int)
    finished = Signal(object)
    failed = Signal(object, str)
    cancelled = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.cancel_flag = threading.Event()

    @Slot(object)
    def scan(self, request: ScanRequest) -> None:
        self.cancel_flag.clear()
        try:
            cache = open_cache(request.path, driver=request.driver)
            snap = cache.scan(progress=self._progress)
            by_state: dict[State, list[Entry]] = {s: [] for s in STATES}
            for e in snap.entries:
                by_state[e.state].append(e)
            if request.context is not None:
                for state, spec in request.sort_specs.items():
                    sort_entries(by_state[state], columns_for(state), spec, request.context)
            row_of = {s: {e.id: i for i, e in enumerate(rows)} for s, rows in by_state.items()}
            writable = os.access(request.path, os.W_OK)
            result = ScanResult(
                request,
                cache,
                snap,
                by_state,
                row_of,
                summarize(snap.entries),
                writable,
            )
        except ScanCancelled:
            self.cancelled.emit(request)
        except CacheError as exc:
            self.failed.emit(request, str(exc))
        except OSError as exc:
            self.failed.emit(request, f"{exc.filename or request.path}: {exc.strerror or exc}")
        except Exception as exc:  # never let a worker die silently
            log.exception("scan of %s failed", request.path)
            self.failed.emit(request, f"Unexpected error while reading the cache: {exc!r}")
        else:
            self.finished.emit(result)

    def _progress(self, count: int) -> bool:
        self.progress.emit(count)
        return not self.cancel_flag.is_set()


class Scanner(QObject):
    """Runs scans on its own thread; a request made while one runs is run after it.

    Signals carry the request, so the window can ignore the results of a cache
    it has since closed.
    """

    started = Signal(object)
    progress = Signal(int)
    finished = Signal(object)
    failed = Signal(object, str)
    cancelled = Signal(object)
    _start = Signal(object)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("cache-scanner")
        self._worker = _Worker()
        self._worker.moveToThread(self._thread)
        self._start.connect(self._worker.scan)
        self._worker.progress.connect(self.progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.cancelled.connect(self._on_cancelled)
        self._thread.start()
        self._running: ScanRequest | None = None
        self._pending: ScanRequest | None = None
        self._generation = 0

    @property
    def busy(self) -> bool:
        return self._running is not None

    def request(
        self,
        path: Path,
        driver: str | None,
        sort_specs: dict[State, SortSpec | None] | None = None,
        context: Context | None = None,
    ) -> ScanRequest:
        self._generation += 1
        req = ScanRequest(Path(path), driver, self._generation, sort_specs or {}, context)
        if self._running is None:
            self._launch(req)
        else:
            self._pending = req
        return req

    def cancel(self) -> None:
        self._pending = None
        self._worker.cancel_flag.set()

    def _launch(self, req: ScanRequest) -> None:
        self._running = req
        self.started.emit(req)
        self._start.emit(req)

    def _next(self) -> None:
        self._running = None
        if self._pending is not None:
            req, self._pending = self._pending, None
            self._launch(req)

    @Slot(object)
    def _on_finished(self, result: ScanResult) -> None:
        superseded = self._pending is not None
        self._next()
        if not superseded:
            self.finished.emit(result)

    @Slot(object, str)
    def _on_failed(self, request: ScanRequest, message: str) -> None:
        superseded = self._pending is not None
        self._next()
        if not superseded:
            self.failed.emit(request, message)

    @Slot(object)
    def _on_cancelled(self, request: ScanRequest) -> None:
        self._next()
        self.cancelled.emit(request)

    def shutdown(self) -> None:
        """Stop the thread (waits for a running scan to notice the cancel)."""
        self.cancel()
        self._thread.quit()
        self._thread.wait()
