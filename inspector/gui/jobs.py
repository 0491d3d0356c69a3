"""One job at a time on a worker thread: delete, requeue, queue, prune, clean."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from inspector.core import CacheError
from inspector.core.actions import JobProgress, JobResult

log = logging.getLogger(__name__)

#: Progress reaches the GUI at most this often.
PROGRESS_INTERVAL_S = 0.05


@dataclass(frozen=True)
class Job:
    """A titled piece of work; ``run`` gets a progress callback that says when to stop."""

    title: str
    run: Callable[[JobProgress], JobResult]


class _Worker(QObject):
    progress = Signal(int, int)
    finished = Signal(object, object)  # Job, JobResult
    failed = Signal(object, str)

    def __init__(self) -> None:
        super().__init__()
        self.cancel_flag = threading.Event()
        self._last_emit = 0.0

    @Slot(object)
    def run(self, job: Job) -> None:
        try:
            result = job.run(self._progress)
        except CacheError as exc:
            self.failed.emit(job, str(exc))
        except OSError as exc:
            self.failed.emit(job, f"{exc.filename or ''} {exc.strerror or exc}".strip())
        except Exception as exc:  # a job must never die silently
            log.exception("job %s failed", job.title)
            self.failed.emit(job, f"Unexpected error: {exc!r}")
        else:
            self.finished.emit(job, result)

    def _progress(self, done: int, total: int) -> bool:
        now = time.monotonic()
        if done >= total or now - self._last_emit >= PROGRESS_INTERVAL_S:
            self._last_emit = now  # a signal per entry would flood the GUI thread
            self.progress.emit(done, total)
        return not self.cancel_flag.is_set()


class JobRunner(QObject):
    """Runs :class:`Job` objects on its own thread, one at a time.

    The worker never touches a widget: it reports through these signals,
    which arrive in the GUI thread.
    """

    started = Signal(object)
    progress = Signal(int, int)
    finished = Signal(object, object)
    failed = Signal(object, str)
    busy_changed = Signal()
    _run = Signal(object)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("cache-jobs")
        self._worker = _Worker()
        self._worker.moveToThread(self._thread)
        self._run.connect(self._worker.run)
        self._worker.progress.connect(self.progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._thread.start()
        self._current: Job | None = None

    @property
    def busy(self) -> bool:
        return self._current is not None

    def submit(self, job: Job) -> bool:
        """Start ``job``; refused (False) while another one runs."""
        if self._current is not None:
            return False
        self._current = job
        self._worker.cancel_flag.clear()  # here, so a Stop right after the start counts
        self.busy_changed.emit()
        self.started.emit(job)
        self._run.emit(job)
        return True

    def cancel(self) -> None:
        """Ask the running job to stop before its next entry."""
        self._worker.cancel_flag.set()

    @Slot(object, object)
    def _on_finished(self, job: Job, result: JobResult) -> None:
        self._current = None
        self.busy_changed.emit()
        self.finished.emit(job, result)

    @Slot(object, str)
    def _on_failed(self, job: Job, message: str) -> None:
        self._current = None
        self.busy_changed.emit()
        self.failed.emit(job, message)

    def shutdown(self) -> None:
        self.cancel()
        self._thread.quit()
        self._thread.wait()
