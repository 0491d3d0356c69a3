"""One worker mechanism for everything that leaves the GUI thread: reads, jobs, figures.

A :class:`Task` is a titled function of a :class:`Reporter`.  The
:class:`Runner` runs it on a thread pool and delivers ``started``,
``progress``, ``result`` and ``error`` on the GUI thread, in one place
(Picard's ``run_task``, napari's ``create_worker``).  Tasks never touch a
widget; they report through the reporter, which also tells them when to stop
(cancel is checked between entries).

Rules the runner keeps:

- reads of different sources run side by side (a fleet is read at once);
- a task with a ``lane`` supersedes an older one in the same lane that has not
  started yet, and cancels one that is running (a newer reading of the same
  cache makes the older useless: only the newest result is delivered);
- change jobs (``exclusive``) run one at a time per source: a second is
  refused while one runs, so two changes never interleave on one cache.

Dropping the runner (its window closed or destroyed) cancels every task and
waits for the threads, so no thread outlives it.
"""

from __future__ import annotations

import gc
import itertools
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from inspector.core import CacheError
from inspector.core.errors import reason_of

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Progress reaches the GUI at most this often per task.
PROGRESS_INTERVAL_S = 0.05


class Cancelled(Exception):
    """Raised by :meth:`Reporter.check` when the task was asked to stop."""


class Reporter:
    """What a running task may do: report progress, and learn it should stop."""

    def __init__(
        self,
        emit: Callable[[int, int], None],
        say: Callable[[str], None] = lambda _: None,
        send: Callable[[object], None] = lambda _: None,
    ) -> None:
        self._emit = emit
        self._say = say
        self._send = send
        self._stop = threading.Event()
        self._last = 0.0

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    def cancel(self) -> None:
        self._stop.set()

    def progress(self, done: int, total: int = 0) -> bool:
        """Report ``done`` of ``total`` (0: unknown); returns False when asked to stop."""
        now = time.monotonic()
        if (total and done >= total) or now - self._last >= PROGRESS_INTERVAL_S:
            self._last = now  # a signal per entry would flood the GUI thread
            self._emit(done, total)
        return not self._stop.is_set()

    def say(self, text: str) -> None:
        """A short note on how the work goes ("312 MiB/s, 2 minutes left")."""
        self._say(text)

    def send(self, value: object) -> None:
        """A part of the result, ahead of the whole (the first rows of a long reading)."""
        self._send(value)

    def check(self) -> None:
        if self._stop.is_set():
            raise Cancelled


@dataclass(eq=False)
class Task:
    """A piece of work for the runner.

    ``source`` names the cache it concerns (a settings key); ``exclusive``
    tasks change that cache and run one at a time per source; ``lane`` names
    a stream of tasks where only the newest counts (``read:<key>``).
    """

    title: str
    run: Callable[[Reporter], Any]
    source: str = ""
    exclusive: bool = False
    lane: str | None = None
    id: int = field(default_factory=itertools.count(1).__next__)
    reporter: Reporter | None = None


class _Signals(QObject):
    """Lives in the GUI thread; its signals, emitted from the pool, arrive there queued."""

    progress = Signal(object, int, int)
    note = Signal(object, str)
    partial = Signal(object, object)
    result = Signal(object, object)
    error = Signal(object, str)
    cancelled = Signal(object)


class _Job(QRunnable):
    def __init__(self, task: Task, signals: _Signals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.task: Task | None = task
        self.signals = signals

    def run(self) -> None:
        task, signals = self.task, self.signals
        assert task is not None and task.reporter is not None
        # PySide's pool may keep this runnable's Python object after it ran: let it not
        # keep the task too (and with it the task's work: a whole reading).
        self.task = None
        try:
            if task.reporter.cancelled and not task.exclusive:
                raise Cancelled  # a read superseded before it began; a change reports its own
            value = task.run(task.reporter)
        except Cancelled:
            signals.cancelled.emit(task)
        except CacheError as exc:
            signals.error.emit(task, str(exc))
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            signals.error.emit(task, f"{where}{reason_of(exc)}")
        except Exception as exc:  # a task must never die silently
            log.exception("%s failed", task.title)
            signals.error.emit(task, f"Unexpected error: {exc!r}")
        else:
            signals.result.emit(task, value)


#: Every runner alive: the garbage collector waits while any of them works.
_RUNNERS: weakref.WeakSet[Runner] = weakref.WeakSet()


def _canceller(running: dict[int, Task]) -> Callable[..., None]:
    """A function that cancels every running task; it keeps no reference to the runner."""

    def cancel_all(*_: object) -> None:
        for task in list(running.values()):
            if task.reporter is not None:
                task.reporter.cancel()

    return cancel_all


class Runner(QObject):
    """Runs tasks off the GUI thread; everything they report arrives on it."""

    started = Signal(object)  # Task
    progress = Signal(object, int, int)  # Task, done, total
    note = Signal(object, str)  # Task, text
    partial = Signal(object, object)  # Task, a part of its result
    result = Signal(object, object)  # Task, value
    error = Signal(object, str)  # Task, message
    cancelled = Signal(object)  # Task
    #: Emitted whenever the set of running change jobs changes.
    busy_changed = Signal()

    def __init__(self, parent: QObject | None = None, threads: int = 4) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)  # destroyed with the runner, after waiting
        self._pool.setMaxThreadCount(threads)
        self._signals = _Signals(self)
        self._signals.progress.connect(self._on_progress)
        self._signals.note.connect(self._on_note)
        self._signals.partial.connect(self._on_partial)
        self._signals.result.connect(self._on_result)
        self._signals.error.connect(self._on_error)
        self._signals.cancelled.connect(self._on_cancelled)
        self._running: dict[int, Task] = {}
        self._lanes: dict[str, Task] = {}
        _RUNNERS.add(self)
        # Cancel everything when the owner goes, even if nobody called shutdown():
        # the pool's own destructor then waits for the threads.
        if parent is not None:
            parent.destroyed.connect(_canceller(self._running))

    # -- asking --------------------------------------------------------------

    def busy(self, source: str | None = None) -> bool:
        """Whether a change job runs (on ``source``, or on any source)."""
        return any(
            t.exclusive and (source is None or t.source == source) for t in self._running.values()
        )

    def active(self) -> list[Task]:
        return list(self._running.values())

    def submit(self, task: Task) -> bool:
        """Start ``task``; refused (False) when it is a change and one runs on its source."""
        if task.exclusive and self.busy(task.source):
            return False
        if task.lane is not None:
            older = self._lanes.get(task.lane)
            if older is not None and older.reporter is not None:
                older.reporter.cancel()
            self._lanes[task.lane] = task
        signals = self._signals
        task.reporter = Reporter(
            lambda done, total: signals.progress.emit(task, done, total),
            lambda text: signals.note.emit(task, text),
            lambda value: signals.partial.emit(task, value),
        )
        self._running[task.id] = task
        self.started.emit(task)
        if task.exclusive:
            self.busy_changed.emit()
        self._pool.start(_Job(task, signals))
        return True

    def cancel(self, task: Task | None = None, *, source: str | None = None) -> None:
        """Ask ``task`` (or every task on ``source``, or every task) to stop between steps."""
        for t in list(self._running.values()):
            if (task is None or t is task) and (source is None or t.source == source):
                assert t.reporter is not None
                t.reporter.cancel()

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel everything and wait for the threads; True when they all ended."""
        self.cancel()
        return bool(self._pool.waitForDone(timeout_ms))

    # -- delivering ----------------------------------------------------------

    def _current(self, task: Task) -> bool:
        """Whether ``task`` is still the newest of its lane (older results are dropped)."""
        return task.lane is None or self._lanes.get(task.lane) is task

    def _finish(self, task: Task) -> bool:
        self._running.pop(task.id, None)
        # The reporter's callbacks hold the task: a cycle that the garbage collector
        # would have to find, and never does once frozen (``gc.freeze``), keeping
        # whatever the task's work holds (a whole reading) alive.  Its work is over.
        task.reporter = None
        current = self._current(task)
        if current and task.lane is not None:
            self._lanes.pop(task.lane, None)
        if task.exclusive:
            self.busy_changed.emit()
        return current

    @Slot(object, int, int)
    def _on_progress(self, task: Task, done: int, total: int) -> None:
        if task.id in self._running and self._current(task):
            self.progress.emit(task, done, total)

    @Slot(object, str)
    def _on_note(self, task: Task, text: str) -> None:
        if task.id in self._running and self._current(task):
            self.note.emit(task, text)

    @Slot(object, object)
    def _on_partial(self, task: Task, value: Any) -> None:
        if task.id in self._running and self._current(task):
            self.partial.emit(task, value)

    @Slot(object, object)
    def _on_result(self, task: Task, value: Any) -> None:
        if self._finish(task):
            self.result.emit(task, value)

    @Slot(object, str)
    def _on_error(self, task: Task, message: str) -> None:
        if self._finish(task):
            self.error.emit(task, message)

    @Slot(object)
    def _on_cancelled(self, task: Task) -> None:
        if self._finish(task):
            self.cancelled.emit(task)


class MainThreadGarbageCollector(QObject):
    """Python's cyclic garbage collection, run on the GUI thread only.

    The collector runs in whichever thread happens to allocate when a
    threshold is crossed; a worker thread could then destroy a cycle holding a
    Qt widget (a dialog and the closure connected to its signal), which Qt
    does not allow off the GUI thread and which crashes the process.  So
    automatic collection is switched off and this timer collects, on the GUI
    thread, whenever the thresholds say it is due.
    """

    INTERVAL_MS = 500
    #: How often everything, the frozen too, is collected (a rare, longer pause).
    FULL_EVERY_S = 600.0

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(self.INTERVAL_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()
        self._last_full = time.monotonic()

    @Slot()
    def check(self) -> None:
        if any(runner.active() for runner in list(_RUNNERS)):
            return  # a worker is building objects now: collect once it has settled
        counts = gc.get_count()
        if time.monotonic() - self._last_full > self.FULL_EVERY_S:
            self._last_full = time.monotonic()
            gc.unfreeze()
            gc.collect()
        elif counts[0] > self.threshold[0]:
            generation = 0
            if counts[1] > self.threshold[1]:
                generation = 2 if counts[2] > self.threshold[2] else 1
            gc.collect(generation)

    @staticmethod
    def settle() -> None:
        """A large reading is in place: its objects live on, and need no more scanning.

        They move to the permanent generation (``gc.freeze``), so that the
        collections that follow do not walk 100,000 entries again and again
        (a 150 ms pause each time, at that size); they are still freed as
        usual once nothing refers to them.
        """
        gc.collect(0)
        gc.freeze()


def stoppable(work: Callable[[], T], reporter: Reporter) -> T:
    """Run ``work`` so that its gentle sorts stop between chunks once the task is cancelled
    (a table sorted again before its last sort ended)."""
    from inspector.core import sorting

    token = sorting.STOP.set(lambda: reporter.cancelled)
    try:
        return work()
    except sorting.SortStopped:
        raise Cancelled from None
    finally:
        sorting.STOP.reset(token)


def free_in_steps(objects: list[Any]) -> None:
    """Drop ``objects`` a few thousand at a time, on a worker: each step holds the
    interpreter a millisecond or two, where freeing 100,000 entries at once holds it
    (and stalls the GUI thread) for 60 ms."""
    while objects:
        del objects[-4096:]


_collector: MainThreadGarbageCollector | None = None


def prepare_process() -> None:
    """What a process showing windows needs once (idempotent): garbage collected on
    the GUI thread only, long sorts in chunks that let it draw, and the accessible
    interfaces of the program's widgets."""
    global _collector
    if _collector is None:
        from inspector.core import sorting
        from inspector.gui.widgets import accessibility

        accessibility.install()
        sorting.GENTLE = True  # workers' long sorts leave the GUI thread room to draw
        _collector = MainThreadGarbageCollector(QCoreApplication.instance())
