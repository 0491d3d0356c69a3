"""Problems, Repair, Verify, History and metadata records in the window (issue 15)."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inspector.core import State
from inspector.core.problems import ProblemKind
from inspector.gui import MainWindow
from inspector.gui.dialogs.repair import RepairDialog
from inspector.gui.dialogs.verify import VerifyDialog, VerifyResultDialog
from tests.glance_service import GlanceService
from tests.gui.test_actions import click
from tests.trust_caches import CACHED, data, typical

Make = Callable[..., MainWindow]


@pytest.fixture
def cache(tmp_path: Path) -> GlanceService:
    return typical(GlanceService("sqlite", str(tmp_path / "cache")))


def rows(root: Path) -> set[str]:
    conn = sqlite3.connect(root / "cache.db")
    try:
        return {r[0] for r in conn.execute("SELECT image_id FROM cached_images")}
    finally:
        conn.close()


def show_problems(window: MainWindow, qtbot: Any) -> None:
    with qtbot.waitSignal(window.controller.audit_ready, timeout=10_000):
        window.page.tabs.setCurrentWidget(window.page.problems_view)


def test_an_untouched_cache_shows_no_problems(
    make_window: Make, cache: GlanceService, qtbot: Any
) -> None:
    window = make_window(cache.path)
    show_problems(window, qtbot)
    view = window.page.problems_view
    assert view.summary.text() == "No problems: the metadata and the disk agree."
    assert view.model.rowCount() == 0
    assert window.page.tabs.tabText(window.page.tabs.indexOf(view)) == "Problems (0)"
    assert not view.repair.isEnabled()


def test_problems_are_listed_and_repaired_as_glance_would(
    make_window: Make, cache: GlanceService, qtbot: Any
) -> None:
    root = Path(cache.path)
    os.unlink(root / CACHED[2])  # a row without its file
    stray = "0f0f0f0f-0000-4000-8000-00000000abcd"
    (root / stray).write_bytes(b"s" * 321)  # a file without a row, left for an hour
    os.utime(root / stray, (os.stat(root / stray).st_atime, os.stat(root / stray).st_mtime - 3600))
    window = make_window(root)
    show_problems(window, qtbot)
    view = window.page.problems_view
    kinds = {view.model.rows[r].kind for r in range(view.model.rowCount())}
    assert kinds == {ProblemKind.ROW_WITHOUT_FILE, ProblemKind.FILE_WITHOUT_ROW}
    assert "2 problems" in view.summary.text()
    assert view.repair.isEnabled()
    view.repair.click()
    dialog = window.operations.dialog
    assert isinstance(dialog, RepairDialog)
    assert dialog.go.text() == "Repair 1 entries"  # files without rows are left alone at first
    dialog.choices.button(1).click()  # adopt them
    assert dialog.go.text() == "Repair 2 entries"
    with qtbot.waitSignal(window.job_done, timeout=10_000) as done:
        dialog.go.click()
    assert done.args[0].ok
    assert rows(root) == (set(CACHED) - {CACHED[2]}) | {stray}
    assert {r["image_id"] for r in cache.cached_images()} == rows(root)  # Glance agrees
    window.page.problems_view.stale = True
    show_problems(window, qtbot)
    assert view.summary.text() == "No problems: the metadata and the disk agree."


def test_verify_finds_the_flipped_byte(
    make_window: Make, cache: GlanceService, qtbot: Any, tmp_path: Path
) -> None:
    import hashlib

    root = Path(cache.path)
    sums = tmp_path / "images.sha256"
    sums.write_text(
        "".join(f"{hashlib.sha256(data(n)).hexdigest()}  {i}\n" for n, i in enumerate(CACHED))
    )
    with open(root / CACHED[3], "r+b") as f:
        f.seek(10)
        f.write(b"!")
    atimes = {i: os.stat(root / i).st_atime_ns for i in CACHED}
    window = make_window(root)
    window.commands.verify.trigger()
    dialog = window.operations.dialog
    assert isinstance(dialog, VerifyDialog)
    dialog.file.setText(str(sums))
    with qtbot.waitSignal(window.job_done, timeout=20_000):
        dialog.go.click()
    result = window.operations.dialog
    assert isinstance(result, VerifyResultDialog)
    assert result.summary.text().startswith("5 ok, 1 mismatched, 0 unknown")
    assert result.table.item(0, 0).text() == CACHED[3]
    assert {i: os.stat(root / i).st_atime_ns for i in CACHED} == atimes


def test_history_shows_a_change_made_in_the_window(
    make_window: Make, cache: GlanceService, qtbot: Any
) -> None:
    window = make_window(cache.path)
    view = window.page.views[State.CACHED]
    view.select_ids({CACHED[5]})
    window.commands.delete.trigger()
    with qtbot.waitSignal(window.job_done, timeout=10_000):
        click(window.operations.confirmation, "Delete")  # type: ignore[arg-type]
    window.commands.history.trigger()
    history = window.history
    assert history is not None
    qtbot.waitUntil(lambda: history.model.rowCount() >= 1, timeout=10_000)
    assert history.model.item(0, 4).text() == "delete"
    assert history.model.item(0, 3).text() == str(Path(cache.path))
    history.table.selectRow(0)
    assert CACHED[5] in history.entries.item(0).text()
    history.close()


def test_a_record_exported_then_imported_restores_hits(
    make_window: Make, cache: GlanceService, qtbot: Any, tmp_path: Path
) -> None:
    root = Path(cache.path)
    record = tmp_path / "record.json"
    window = make_window(root)
    with qtbot.waitSignal(window.job_done, timeout=10_000):
        window.trust.export_record(str(record))
    assert json.loads(record.read_text())["version"] == 1
    conn = sqlite3.connect(root / "cache.db")
    with conn:
        conn.execute("UPDATE cached_images SET hits = 0")
    conn.close()
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        window.refresh()
    window.trust.import_record(str(record))
    box = window.operations.confirmation
    assert box is not None and box.text().startswith("Restore hits and times of")
    with qtbot.waitSignal(window.job_done, timeout=10_000):
        click(box, "Import")
    assert cache.hit_count(CACHED[0]) == 3 and cache.hit_count(CACHED[1]) == 1


def test_a_record_of_an_unknown_version_changes_nothing(
    make_window: Make, cache: GlanceService, tmp_path: Path
) -> None:
    bad = tmp_path / "v999.json"
    bad.write_text(json.dumps({"version": 999, "cache-entries": []}))
    before = (Path(cache.path) / "cache.db").read_bytes()
    window = make_window(cache.path)
    window.trust.import_record(str(bad))
    assert "999" in window.page.message_bar.text()
    assert window.operations.confirmation is None
    assert (Path(cache.path) / "cache.db").read_bytes() == before
