"""The window and the CLI order rows the same way: one sort, unknown values last."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from inspector.core import State
from inspector.gui import MainWindow
from tests.core.test_safety import IDS, sqlite_cache
from tests.glance_service import GlanceService
from tests.gui.test_actions import first_rows

CLI = str(Path(sys.executable).parent / "cache-inspector-cli")
Make = Callable[..., MainWindow]
__all__ = ["sqlite_cache"]


@pytest.mark.parametrize("descending", [False, True])
def test_unknown_hits_sort_last_in_both(
    make_window: Make, sqlite_cache: GlanceService, descending: bool, qtbot: Any
) -> None:
    root = Path(sqlite_cache.path)
    sqlite_cache.read(IDS[1], times=5)  # hits: IDS[0] 2, IDS[1] 5, IDS[2] 0
    conn = sqlite3.connect(root / "cache.db")
    with conn:  # a damaged value reads as unknown
        conn.execute("UPDATE cached_images SET hits = 'x' WHERE image_id = ?", (IDS[3],))
    conn.close()
    args = [CLI, "list", str(root), "--state", "cached", "--sort", "hits", "--json"]
    out = subprocess.run(args + (["--reverse"] if descending else []), capture_output=True)
    cli_order = [e["id"] for e in json.loads(out.stdout)["entries"]]
    known = [IDS[2], IDS[0], IDS[1]]
    assert cli_order == [*(known[::-1] if descending else known), IDS[3]]

    window = make_window(root)
    view, model = window.page.views[State.CACHED], window.page.models[State.CACHED]
    order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
    view.sortByColumn(model.column_index("hits"), order)
    window_order = [e.id for e in first_rows(window, State.CACHED, 4)]
    assert window_order == cli_order
