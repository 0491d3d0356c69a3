"""One open cache: reading it, following it, changing it, all through the runner.

The :class:`CacheController` owns the source being shown, its last good
reading, the file watcher and the debounce that rereads the cache when its
service changes it, and the change jobs on it.  Everything heavy runs as a
:class:`~inspector.gui.workers.Task`: the reading (with the rows split by
state and sorted for each table, off the GUI thread), the statistics, and the
jobs.  It never touches a widget; the window connects its signals to the page.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal, Slot

from inspector.core import (
    CacheSource,
    Entry,
    Limits,
    Reading,
    State,
    audit,
    stats,
)
from inspector.core.actions import JobProgress, JobResult
from inspector.gui.cache.columns import Context
from inspector.gui.cache.entry_model import Sorted, SortSpec
from inspector.gui.cache.reading import ReadResult, figures, prepare, settings_source
from inspector.gui.workers import (
    MainThreadGarbageCollector,
    Reporter,
    Runner,
    Task,
    free_in_steps,
    stoppable,
)

log = logging.getLogger(__name__)

#: How long the watcher waits for the service to settle before rereading.
WATCH_DEBOUNCE_MS = 500
#: How often a cache whose metadata lives in a database (or behind a node's API) is
#: read again: its hits and rows change there, where no file watcher sees them.
POLL_MS = 15_000


class CacheController(QObject):
    read_started = Signal()
    read_progress = Signal(int)
    read_partial = Signal(object)  # FirstRows: the first rows of a long first reading
    read_done = Signal(object)  # ReadResult
    read_failed = Signal(str)
    read_cancelled = Signal()
    statistics_ready = Signal(object)  # Statistics
    job_started = Signal(str)
    job_progress = Signal(int, int)
    job_note = Signal(str)
    audit_ready = Signal(object)  # AuditReport
    job_finished = Signal(str, object)  # title, JobResult
    job_failed = Signal(str, str)  # title, message

    def __init__(self, runner: Runner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.source: CacheSource | None = None
        self.last: ReadResult | None = None
        self.force_read_only = False
        #: Set by the window: each table's order now, and the clock for time columns.
        self.sorts: Callable[[], dict[State, SortSpec | None]] = dict
        #: The maximum to work the statistics out with, with each reading; None: not wanted.
        self.statistics_max: Callable[[], int | None] = lambda: None
        self.context: Callable[[], Context] = lambda: Context.now_with(86400.0)
        self._tasks: dict[int, str] = {}  # my tasks: id -> "read", "stats", "sort", "job"
        self._sorts: dict[int, Callable[[Sorted], None]] = {}
        self._job: Task | None = None
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._disk_changed)
        self.watcher.fileChanged.connect(self._disk_changed)
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(WATCH_DEBOUNCE_MS)
        self.debounce.timeout.connect(self._follow_change)
        #: The service changed the cache while a reading ran: read again after it.
        self._again = False
        self.poll = QTimer(self)
        self.poll.setInterval(POLL_MS)
        self.poll.timeout.connect(self._poll)
        runner.started.connect(self._started)
        runner.progress.connect(self._progress)
        runner.note.connect(self._note)
        runner.partial.connect(self._partial)
        runner.result.connect(self._result)
        runner.error.connect(self._error)
        runner.cancelled.connect(self._cancelled)

    # -- what is shown ---------------------------------------------------------

    @property
    def key(self) -> str:
        return "" if self.source is None else settings_source(self.source).settings_key()

    @property
    def reading(self) -> Reading | None:
        return None if self.last is None else self.last.reading

    @property
    def read_only(self) -> bool:
        reading = self.reading
        return self.force_read_only or (reading is not None and not reading.writable)

    @property
    def busy(self) -> bool:
        """Whether a change job runs on this cache."""
        return self._job is not None

    def open(self, source: CacheSource) -> None:
        """Show ``source`` from now on; its reading runs on the runner."""
        if self.source != source:
            self.last = None
        self.source = source
        self.refresh()

    def close(self) -> None:
        self._again = False
        self.debounce.stop()
        self.poll.stop()
        self._unwatch()
        if self.source is not None:
            self.runner.cancel(source=self.key)
        self.source = None
        self.last = None

    # -- reading ---------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        source = self.source
        if source is None:
            return
        active = {t.id for t in self.runner.active()}
        self._tasks = {i: what for i, what in self._tasks.items() if i in active}
        sorts, context, read_only = self.sorts(), self.context(), self.force_read_only
        statistics_max = self.statistics_max()
        previous = None if self.last is None else self.last.reading.snapshot
        task = Task(
            self.tr("Reading"),
            lambda r: prepare(source, read_only, sorts, context, r, statistics_max, previous),
            source=self.key,
            lane=f"read:{self.key}",
        )
        self._tasks[task.id] = "read"
        self.runner.submit(task)

    def cancel_reading(self) -> None:
        for task in self.runner.active():
            if self._tasks.get(task.id) == "read":
                self.runner.cancel(task)

    def request_statistics(self, max_size: int) -> None:
        """Compute the Statistics view's figures for the last reading, off the GUI thread.

        Requests coalesce: a newer one supersedes one not yet delivered.
        """
        if self.last is None:
            return
        reading = self.last.reading

        def compute(_: Reporter) -> stats.Statistics:
            result = figures(reading, max_size)
            gc.freeze()
            return result

        task = Task(self.tr("Statistics"), compute, source=self.key, lane=f"stats:{self.key}")
        self._tasks[task.id] = "stats"
        self.runner.submit(task)

    def request_audit(self) -> None:
        """Audit the last reading (metadata against disk) off the GUI thread; coalesced."""
        if self.last is None:
            return
        reading = self.last.reading
        task = Task(
            self.tr("Auditing"),
            lambda _: audit.audit(reading),
            source=self.key,
            lane=f"audit:{self.key}",
        )
        self._tasks[task.id] = "audit"
        self.runner.submit(task)

    def sort_rows(
        self, work: Callable[[], Sorted], done: Callable[[Sorted], None], table: str
    ) -> None:
        """Sort or filter a big table's rows off the GUI thread; ``done`` gets them on it.

        A newer arrangement of the same ``table`` supersedes an older one.
        """
        task = Task(
            self.tr("Sorting"),
            lambda reporter: stoppable(work, reporter),
            source=self.key,
            lane=f"sort:{self.key}:{table}",
        )
        running = {t.id for t in self.runner.active()}  # superseded sorts end unheard
        self._sorts = {i: d for i, d in self._sorts.items() if i in running}
        self._tasks[task.id] = "sort"
        self._sorts[task.id] = done
        self.runner.submit(task)

    def limits(self, stored: Callable[[CacheSource, Limits], Limits]) -> Limits:
        """The limits in force: the user's for this cache, else the service's."""
        defaults = self.reading.limits if self.reading else Limits(10 * 1024**3, 86400.0)
        return stored(settings_source(self.source), defaults) if self.source else defaults

    # -- watching --------------------------------------------------------------

    def _unwatch(self) -> None:
        old = self.watcher.directories() + self.watcher.files()
        if old:
            self.watcher.removePaths(old)

    def _watch(self, paths: list[Path]) -> None:
        self._unwatch()
        existing = [str(p) for p in paths if p.exists()]
        if existing:
            self.watcher.addPaths(existing)

    def _follow(self, reading: Reading) -> None:
        """Watch the files of ``reading``'s cache, and poll what lives elsewhere."""
        self._watch(reading.driver.watch_paths())
        remote = reading.source.db_url is not None or not reading.driver.capabilities.local
        if remote and not self.poll.isActive():
            self.poll.start()
        elif not remote:
            self.poll.stop()

    def _reading_now(self) -> bool:
        return "read" in self._tasks.values()

    @Slot()
    def _poll(self) -> None:
        if not self.busy and not self._reading_now():
            self.refresh()

    @Slot()
    def _follow_change(self) -> None:
        """The service changed the cache: read it again, but never by cancelling a reading
        in flight (on a cache changed every second, each reading would cancel the last
        and none would ever be shown): the next one starts when it ends."""
        if self._reading_now():
            self._again = True
        else:
            self.refresh()

    def _let_go(self, entries: list[Entry]) -> None:
        """Free the reading before, now that the page shows the new one, on a worker.

        Freeing 100,000 entries takes about 60 ms, in one go wherever the last
        reference drops: on the GUI thread that is a stall at every refresh.
        ``entries`` is the last holder of the old entries; a worker frees them a
        few thousand at a time.
        """
        if entries:
            task = Task(
                self.tr("Letting go of a reading"),
                lambda _: free_in_steps(entries),
                source=self.key,
            )
            self.runner.submit(task)

    def _read_ended(self) -> None:
        if self._again:
            self._again = False
            self.debounce.start()

    @Slot(str)
    def _disk_changed(self, _path: str) -> None:
        if not self.busy:  # a job's own changes are read once, when it ends
            self.debounce.start()

    # -- changing --------------------------------------------------------------

    def run_job(self, title: str, job: Callable[[JobProgress], JobResult]) -> bool:
        """Run a change on this cache; refused (False) while another one runs on it."""
        return self.run_work(title, lambda r: job(r.progress))

    def run_work(self, title: str, work: Callable[[Reporter], object]) -> bool:
        """Run long work on this cache as its job (with Stop); its value ends in job_finished."""
        task = Task(title, work, source=self.key, exclusive=True)
        self._tasks[task.id] = "job"
        if not self.runner.submit(task):
            del self._tasks[task.id]
            return False
        return True

    def cancel_job(self) -> None:
        if self._job is not None:
            self.runner.cancel(self._job)

    # -- what the runner says ----------------------------------------------------

    def _mine(self, task: Task) -> str | None:
        return self._tasks.get(task.id) if task.source == self.key else None

    @Slot(object)
    def _started(self, task: Task) -> None:
        what = self._mine(task)
        if what == "read":
            self.read_started.emit()
        elif what == "job":
            self._job = task
            self.job_started.emit(task.title)

    @Slot(object, int, int)
    def _progress(self, task: Task, done: int, total: int) -> None:
        what = self._mine(task)
        if what == "read":
            self.read_progress.emit(done)
        elif what == "job":
            self.job_progress.emit(done, total)

    def _end(self, task: Task) -> str | None:
        what = self._mine(task)
        self._tasks.pop(task.id, None)
        if what == "job":
            self._job = None
        return what

    @Slot(object, str)
    def _note(self, task: Task, text: str) -> None:
        if self._mine(task) == "job":
            self.job_note.emit(text)

    @Slot(object, object)
    def _partial(self, task: Task, value: object) -> None:
        if self._mine(task) == "read" and self.last is None:
            self.read_partial.emit(value)

    @Slot(object, object)
    def _result(self, task: Task, value: object) -> None:
        what = self._end(task)
        if what == "read":
            assert isinstance(value, ReadResult)
            self._read_ended()
            old, self.last = self.last, value
            log.info(
                "read %s: %d entries",
                value.reading.source.display_name(),
                len(value.reading.snapshot.entries),
            )
            self._follow(value.reading)
            MainThreadGarbageCollector.settle()
            self.read_done.emit(value)
            if value.statistics is not None:  # worked out with the reading
                self.statistics_ready.emit(value.statistics)
            if old is not None:
                # The list is then the old entries' last holder: they go on the worker.
                keep = list(old.reading.snapshot.entries)
                del old
                self._let_go(keep)
        elif what == "stats":
            self.statistics_ready.emit(value)
        elif what == "audit":
            self.audit_ready.emit(value)
        elif what == "sort":
            done = self._sorts.pop(task.id, None)
            if done is not None and isinstance(value, tuple):
                done(value)
        elif what == "job":
            self.job_finished.emit(task.title, value)
            self.refresh()

    @Slot(object, str)
    def _error(self, task: Task, message: str) -> None:
        self._sorts.pop(task.id, None)
        what = self._end(task)
        if what == "read":
            self._read_ended()
            if self.source is not None and self.source.path is not None:
                self._watch([self.source.path])
            self.read_failed.emit(message)
        elif what == "job":
            self.job_failed.emit(task.title, message)
            self.refresh()
        elif what in ("stats", "audit"):
            log.warning("%s of %s failed: %s", what, task.source, message)

    @Slot(object)
    def _cancelled(self, task: Task) -> None:
        self._sorts.pop(task.id, None)
        what = self._end(task)
        if what == "read":
            self._read_ended()
            self.read_cancelled.emit()
        elif what == "job":  # pragma: no cover - jobs return their own cancelled result
            self.refresh()
