"""The window at scale: time to first rows, sort time, event-loop stalls, memory.

    python benchmarks/bench_window.py CACHE_DIR [--json OUT]

Runs in its own process (so that peak memory is the window's own).  A 5 ms
QTimer measures its own lateness: the longest gap beyond its interval is the
longest stall of the GUI event loop.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from inspector.core import State, actions
from inspector.gui import MainWindow

TICK_MS = 5


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


def until(condition: Callable[[], bool], timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)


def wait_for(signal: object, timeout_s: float = 120.0) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)  # type: ignore[attr-defined]
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("cache", type=Path)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    app = QApplication(sys.argv[:1])
    settings_dir = tempfile.mkdtemp(prefix="bench-window-")
    settings = QSettings(os.path.join(settings_dir, "s.ini"), QSettings.Format.IniFormat)
    meter = StallMeter()

    t0 = time.perf_counter()
    window = MainWindow(None, settings=settings)
    window.resize(1200, 800)
    window.show()
    app.processEvents()
    meter.start()
    window.open_cache(args.cache)
    wait_for(window.refreshed)
    first_rows = time.perf_counter() - t0
    scan_stall = meter.stop()
    rows = window.page.models[State.CACHED].rowCount()

    view = window.page.views[State.CACHED]
    col = window.page.models[State.CACHED].column_index("size")
    view.sortByColumn(col, Qt.SortOrder.DescendingOrder)  # warm
    t = time.perf_counter()
    view.sortByColumn(col, Qt.SortOrder.AscendingOrder)
    app.processEvents()
    sort_s = time.perf_counter() - t

    reading = window.controller.reading
    assert reading is not None
    cache = reading.driver
    entries = reading.snapshot.entries
    plan = actions.plan_prune(cache, entries, int(actions.cached_bytes(entries) * 0.9))
    meter.start()
    t = time.perf_counter()
    refreshed_after: list[bool] = []
    done: list[bool] = []
    window.job_done.connect(lambda _result: done.append(True))
    window.refreshed.connect(lambda: refreshed_after.append(bool(done)))
    window.controller.run_job("Pruning", lambda progress: actions.prune(cache, plan, progress))
    # until the refresh that follows the job has put the rows in place
    until(lambda: any(refreshed_after))
    prune_s = time.perf_counter() - t
    prune_stall = meter.stop()
    window.operations.result_box.close()

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    window.shutdown()
    result = {
        "rows": rows,
        "first_rows_s": first_rows,
        "scan_stall_ms": scan_stall,
        "sort_s": sort_s,
        "prune_entries": len(plan.entries),
        "prune_and_refresh_s": prune_s,
        "prune_stall_ms": prune_stall,
        "peak_rss_mb": peak_mb,
    }
    out = json.dumps(result)
    print(out)
    if args.json:
        args.json.write_text(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
