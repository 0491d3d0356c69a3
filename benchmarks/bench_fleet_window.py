"""The Fleet view at scale: event-loop stalls while it reads, shows, filters, sorts, selects.

    python benchmarks/bench_fleet_window.py DB_URL [--json OUT]

Runs in its own process (the window's own memory).  Opens the Fleet view on
Glance's database at DB_URL (built by ``bench_fleet.py``: its nodes' URLs
answer nothing, so every node is asked and found unreachable, as a fleet
behind a firewall would be), then filters the matrix by text and by where an
image is cached, sorts it by a node's column and by size, and selects every
row.  A 5 ms timer measures the GUI thread's longest lateness; a watchdog
names the code behind any stall of 100 ms or more.  Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
STARTED = time.monotonic()

from bench_window import StallMeter, Watchdog, until  # noqa: E402
from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from inspector.gui.fleet.models import Where  # noqa: E402
from inspector.gui.fleet.window import FleetWindow  # noqa: E402
from inspector.gui.heap import tune_heap  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("db_url")
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    tune_heap()  # as the program does (inspector.gui.app.main)
    app = QApplication(sys.argv[:1])
    watchdog = Watchdog()
    watchdog.start()
    meter = StallMeter()
    meter.start()
    settings_dir = tempfile.mkdtemp(prefix="bench-fleet-window-")
    settings = QSettings(os.path.join(settings_dir, "s.ini"), QSettings.Format.IniFormat)
    window = FleetWindow(args.db_url, None, settings)
    window.resize(1200, 800)
    window.show()
    asked: list[bool] = []
    window.nodes_asked.connect(lambda: asked.append(True))
    until(lambda: window.fleet is not None)
    shown_s = time.monotonic() - STARTED
    read_stall = meter.stop()
    until(lambda: bool(asked))
    asked_s = time.monotonic() - STARTED
    matrix = window.matrix_proxy
    rows = matrix.rowCount()

    meter.start()
    window.filter_edit.setText("0000")
    app.processEvents()
    window.filter_edit.clear()
    window.where.setCurrentIndex(list(Where).index(Where.ONE))
    app.processEvents()
    window.where.setCurrentIndex(0)
    app.processEvents()
    assert matrix.rowCount() == rows
    filter_stall = meter.stop()

    meter.start()
    window.matrix_view.sortByColumn(5, Qt.SortOrder.DescendingOrder)  # the first node's column
    app.processEvents()
    window.matrix_view.sortByColumn(3, Qt.SortOrder.AscendingOrder)
    app.processEvents()
    sort_stall = meter.stop()

    meter.start()
    window.matrix_view.selectAll()
    window.nodes_view.selectAll()
    app.processEvents()
    until(lambda: window.actions_by_name["delete"].isEnabled())
    select_stall = meter.stop()

    fleet = window.fleet
    assert fleet is not None
    result = {
        "nodes": len(fleet.nodes),
        "rows": fleet.count,
        "images": rows,
        "shown_s": shown_s,
        "nodes_asked_s": asked_s,
        "read_stall_ms": read_stall,
        "filter_stall_ms": filter_stall,
        "sort_stall_ms": sort_stall,
        "select_all_stall_ms": select_stall,
        "worst_stall_ms": max(read_stall, filter_stall, sort_stall, select_stall),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "stalls_over_100ms": dict(watchdog.stalls.most_common(10)),
    }
    window.close()
    line = json.dumps(result)
    if args.json:
        args.json.write_text(line + "\n")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
