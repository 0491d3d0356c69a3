"""The window at scale: first rows, sort time, event-loop stalls, memory — with each tab shown.

    python benchmarks/bench_window.py CACHE_DIR [--tab cached|statistics] [--live SECONDS]
                                      [--json OUT]

Runs in its own process (so that peak memory is the window's own).  The
remembered tab is set before the window opens, as a user who left it on
Statistics finds it.  Two clocks watch the GUI thread from process start:

- a 5 ms QTimer measures its own lateness (the longest stall);
- a watchdog thread samples the GUI thread's Python stack whenever the event
  loop has not come round for 100 ms, so every stall names the code behind it.

``--live SECONDS`` then runs a writer beside the window: every second it
caches, reads and removes an image through Glance's own driver (the cache must
be one Glance's driver of its kind can write), while the window follows.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
STARTED = time.monotonic()

from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from inspector.core import State, actions  # noqa: E402
from inspector.gui import MainWindow  # noqa: E402
from inspector.gui.heap import tune_heap  # noqa: E402

TICK_MS = 5
STALL_MS = 100


class StallMeter:
    """Longest lateness of a repeating timer, in milliseconds."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.worst = 0.0

    def start(self) -> None:
        self.worst = 0.0
        self.clock.start()
        self.timer.start()

    def _tick(self) -> None:
        gap = self.clock.restart() - TICK_MS
        self.worst = max(self.worst, float(gap))

    def stop(self) -> float:
        self.timer.stop()
        return self.worst


class Watchdog:
    """Samples the GUI thread's stack whenever its event loop is late by STALL_MS or more.

    A 10 ms QTimer on the GUI thread stamps a heartbeat; a plain thread checks
    it and, during a stall, records where the GUI thread is (the innermost
    frames of our own code).  The report counts stalls by place.
    """

    def __init__(self) -> None:
        self.gui = threading.get_ident()
        self.beat = time.monotonic()
        self.stalls: collections.Counter[str] = collections.Counter()
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._beat)
        self._stop = threading.Event()
        self._paused = False
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        self.timer.start()
        self._thread.start()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        self._paused = True
        try:
            yield
        finally:
            self.beat = time.monotonic()
            self._paused = False

    def _beat(self) -> None:
        self.beat = time.monotonic()

    def _watch(self) -> None:
        sampled_for = 0.0
        while not self._stop.wait(0.02):
            late = time.monotonic() - self.beat
            if self._paused:
                continue
            if late * 1000 >= STALL_MS and self.beat != sampled_for:
                sampled_for = self.beat  # one sample per stall
                frames = sys._current_frames()
                frame = frames.get(self.gui)
                if frame is not None:
                    # What the workers were doing then: one holding the GIL stalls the
                    # GUI thread wherever it is.
                    others = sorted(
                        _where(f)
                        for ident, f in frames.items()
                        if ident not in (self.gui, threading.get_ident()) and _ours(f)
                    )
                    beside = "".join(f" | worker: {w}" for w in others)
                    self.stalls[_where(frame) + beside] += 1

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self.timer.stop()
        return dict(self.stalls.most_common(12))


def _ours(frame: object) -> bool:
    """Whether the program's own code is on this stack (an idle pool thread's is not)."""
    return any("/inspector/" in f.filename for f in traceback.extract_stack(frame))  # type: ignore[arg-type]


def _where(frame: object) -> str:
    """The innermost frames of the program's own code (or the outermost if none)."""
    stack = traceback.extract_stack(frame)  # type: ignore[arg-type]
    ours = [f for f in stack if "/inspector/" in f.filename]
    pick = ours[-3:] if ours else stack[-3:]
    return " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(pick))


def peak_rss_mb() -> float:
    """The process's peak resident memory so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def until(condition: Callable[[], bool], timeout_s: float = 300.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)


def wait_for(signal: object, timeout_s: float = 300.0) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)  # type: ignore[attr-defined]
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()


def live_writer(root: Path, seconds: float, stop: threading.Event) -> int:
    """Every second, Glance's own driver caches an image, serves it and deletes an older one."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.glance_service import GlanceService

    kind = "sqlite" if (root / "cache.db").exists() else "xattr"
    glance = GlanceService(kind, str(root))
    made: list[str] = []
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline and not stop.is_set():
        image_id = f"11111111-2222-4333-8444-{n:012x}"
        glance.cache(image_id, os.urandom(64 * 1024))
        glance.read(image_id)
        made.append(image_id)
        if len(made) > 3:
            glance.driver.delete_cached_image(made.pop(0))
        n += 1
        stop.wait(1.0)
    return n


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("cache", type=Path)
    p.add_argument("--tab", choices=("cached", "statistics"), default="cached")
    p.add_argument("--live", type=float, default=0.0, metavar="SECONDS")
    p.add_argument("--json", type=Path)
    p.add_argument("--no-prune", action="store_true", help="skip the prune (a huge store)")
    p.add_argument("--writer", type=float, help=argparse.SUPPRESS)  # the live writer's process
    args = p.parse_args()
    if args.writer:
        print(live_writer(args.cache, args.writer, threading.Event()))
        return 0
    tune_heap()  # as the program does (inspector.gui.app.main)
    app = QApplication(sys.argv[:1])
    watchdog = Watchdog()
    watchdog.start()
    meter = StallMeter()
    meter.start()  # from process start: the window's own construction counts
    settings_dir = tempfile.mkdtemp(prefix="bench-window-")
    settings = QSettings(os.path.join(settings_dir, "s.ini"), QSettings.Format.IniFormat)
    settings.setValue("window/tab", 4 if args.tab == "statistics" else 0)

    window = MainWindow(None, settings=settings)
    window.resize(1200, 800)
    window.show()
    # The first rows shown: those a long first reading sends ahead, else the reading's.
    first_seen: list[float] = []
    window.controller.read_partial.connect(lambda _: first_seen.append(time.monotonic()))
    window.open_cache(args.cache)
    wait_for(window.refreshed)
    whole = time.monotonic() - STARTED
    first_rows = (first_seen[0] - STARTED) if first_seen else whole
    if args.tab == "statistics":
        until(lambda: window.page.stats_view.stats is not None)
    shown = time.monotonic() - STARTED
    scan_stall = meter.stop()
    peaks = {"shown": peak_rss_mb()}
    rows = window.page.models[State.CACHED].rowCount()

    view = window.page.views[State.CACHED]
    model = window.page.models[State.CACHED]
    col = model.column_index("size")

    def sorted_by_size(ascending: bool) -> bool:
        first, last = model.entry(0).size, model.entry(model.rowCount() - 1).size
        return first <= last if ascending else first >= last

    view.sortByColumn(col, Qt.SortOrder.DescendingOrder)  # warm
    until(lambda: sorted_by_size(False))
    meter.start()
    t = time.perf_counter()
    view.sortByColumn(col, Qt.SortOrder.AscendingOrder)  # off the GUI thread, for 100,000
    until(lambda: sorted_by_size(True))
    sort_s = time.perf_counter() - t
    sort_stall = meter.stop()
    peaks["sorted"] = peak_rss_mb()

    # Filtering and selecting every row: whole-table passes a user starts with a key.
    meter.start()
    window.page.filter_edit.setText("ab")
    until(lambda: window.page.proxies[State.CACHED].rowCount() < rows)
    window.page.filter_edit.clear()
    until(lambda: window.page.proxies[State.CACHED].rowCount() == rows)
    filter_stall = meter.stop()
    meter.start()
    view.selectAll()
    app.processEvents()
    # The status line names the selection only with a table shown (not Statistics).
    until(lambda: view.selected_count() == rows)
    if not window.page.statistics_shown():
        until(lambda: window.selection_label.text().startswith(f"{rows:,} selected"))
    view.clearSelection()
    app.processEvents()
    select_stall = meter.stop()
    peaks["filtered_and_selected"] = peak_rss_mb()

    refreshed_after: list[bool] = []
    done: list[bool] = []
    window.job_done.connect(lambda _result: done.append(True))
    window.refreshed.connect(lambda: refreshed_after.append(bool(done)))
    prune_entries, prune_s, prune_stall = 0, 0.0, 0.0
    if not args.no_prune:  # (a kind's own rule may evict even at the total: a store's does)
        reading = window.controller.reading
        assert reading is not None
        cache, entries = reading.driver, reading.snapshot.entries
        with watchdog.paused():  # the benchmark's own work, not the window's
            plan = actions.plan_prune(cache, entries, int(actions.cached_bytes(entries) * 0.9))
        del entries, reading
        prune_entries = len(plan.entries)
        meter.start()
        t = time.perf_counter()
        window.controller.run_job("Pruning", lambda progress: actions.prune(cache, plan, progress))
        until(lambda: any(refreshed_after))  # the refresh after the job has put the rows in
        if args.tab == "statistics":
            until(lambda: not window.page.stats_view.stale and window.runner.active() == [])
        prune_s = time.perf_counter() - t
        prune_stall = meter.stop()
        peaks["pruned"] = peak_rss_mb()
        if window.operations.result_box is not None:
            window.operations.result_box.close()

    live_stall, live_writes, live_reads = 0.0, 0, 0
    if args.live:
        # The writer is another process, as glance-api is.
        reads_before = len(refreshed_after)
        writer = subprocess.Popen(
            [sys.executable, __file__, str(args.cache), "--writer", str(args.live)],
            stdout=subprocess.PIPE,
            text=True,
        )
        meter.start()
        until(lambda: writer.poll() is not None, args.live + 60)
        until(lambda: not window.runner.active(), 60)
        live_stall = meter.stop()
        live_writes = int((writer.stdout.read() if writer.stdout else "0").strip() or 0)
        live_reads = len(refreshed_after) - reads_before

    peak_mb = peak_rss_mb()
    stalls = watchdog.stop()
    window.shutdown()
    result = {
        "tab": args.tab,
        "rows": rows,
        "first_rows_s": first_rows,
        "whole_reading_s": whole,
        "shown_s": shown,
        "scan_stall_ms": scan_stall,
        "sort_s": sort_s,
        "sort_stall_ms": sort_stall,
        "filter_stall_ms": filter_stall,
        "select_all_stall_ms": select_stall,
        "prune_entries": prune_entries,
        "prune_and_refresh_s": prune_s,
        "prune_stall_ms": prune_stall,
        "live_s": args.live,
        "live_writes": live_writes,
        "live_readings": live_reads,
        "live_stall_ms": live_stall,
        "peak_rss_mb": peak_mb,
        "peak_rss_mb_by_phase": peaks,
        "stalls_over_100ms": stalls,
    }
    out = json.dumps(result)
    print(out)
    if args.json:
        args.json.write_text(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
