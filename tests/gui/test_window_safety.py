"""Issue 10 in the window: no stray Enter runs a plan, errors stay, no thread outlives it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from inspector.core import State, actions, open_cache
from inspector.gui import MainWindow
from inspector.gui.dialogs.plan import PruneDialog
from tests.gui.test_actions import click, first_rows

Make = Callable[..., MainWindow]


def files(root: Path) -> set[str]:
    return {p.name for p in root.iterdir() if p.is_file()}


def open_prune(window: MainWindow) -> PruneDialog:
    window.commands.prune.trigger()
    dialog = window.operations.dialog
    assert isinstance(dialog, PruneDialog)
    return dialog


def test_enter_in_the_prune_field_only_updates_the_preview(
    make_window: Make, demo: Path, qtbot: Any
) -> None:
    window = make_window(demo)
    before = files(demo)
    dialog = open_prune(window)
    with qtbot.waitExposed(dialog):
        dialog.show()
    dialog.edit.selectAll()
    qtbot.keyClicks(dialog.edit, "0")
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Enter)
    qtbot.wait(300)
    assert dialog.isVisible()
    assert not window.controller.busy
    assert files(demo) == before
    assert dialog.go.text().startswith("Prune 60 entries")
    assert "Evicts 60 least recently accessed images" in dialog.summary.text()


def test_evicting_everything_asks_once_more(make_window: Make, demo: Path, qtbot: Any) -> None:
    window = make_window(demo)
    before = files(demo)
    dialog = open_prune(window)
    dialog.edit.setText("0")
    dialog.go.click()
    box = dialog.again
    assert box is not None and box.isVisible()
    assert box.text().startswith("This removes every entry it could: 60 entries")
    click(box, "Cancel")
    qtbot.wait(200)
    assert files(demo) == before and not window.controller.busy


def test_a_plan_that_grew_a_moment_ago_asks_again(
    make_window: Make, demo: Path, qtbot: Any
) -> None:
    window = make_window(demo)
    dialog = open_prune(window)
    dialog.edit.setText("11GiB")
    dialog.edit.setText("5GiB")  # a last keystroke that grew the plan
    dialog.go.click()
    assert dialog.again is not None and "The plan grew a moment ago" in dialog.again.text()
    cache = open_cache(demo)
    plan = actions.plan_prune(cache, cache.scan().entries, 5 * 1024**3)
    with qtbot.waitSignal(window.job_done, timeout=10_000):
        click(dialog.again, "Prune")
    assert not files(demo) & {e.id for e in plan.entries}


def test_the_prune_that_runs_is_the_plan_shown_last(
    make_window: Make, demo: Path, qtbot: Any
) -> None:
    """From one valid size straight to another: exactly the second plan's files go."""
    window = make_window(demo)
    cache = open_cache(demo)
    entries = cache.scan().entries
    first = actions.plan_prune(cache, entries, 8 * 1024**3)
    second = actions.plan_prune(cache, entries, 11 * 1024**3)
    assert 0 < len(second.entries) < len(first.entries)
    dialog = open_prune(window)
    dialog.edit.setText("8GiB")
    dialog.edit.setText("11GiB")
    with qtbot.waitSignal(window.job_done, timeout=10_000) as done:
        dialog.go.click()
    assert done.args[0].done == len(second.entries)
    gone = {e.id for e in entries if e.state is State.CACHED} - files(demo)
    assert gone == {e.id for e in second.entries}


def test_enter_in_the_clean_field_runs_nothing(make_window: Make, demo: Path, qtbot: Any) -> None:
    window = make_window(demo)
    invalid = set((demo / "invalid").iterdir())
    window.commands.clean.trigger()
    dialog = window.operations.dialog
    assert dialog is not None
    with qtbot.waitExposed(dialog):
        dialog.show()
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    qtbot.wait(300)
    assert dialog.isVisible() and set((demo / "invalid").iterdir()) == invalid


def test_the_delete_confirmation_names_the_ids(make_window: Make, demo: Path) -> None:
    window = make_window(demo)
    chosen = first_rows(window, State.CACHED, 2)
    window.page.views[State.CACHED].select_ids({e.id for e in chosen})
    window.commands.delete.trigger()
    box = window.operations.confirmation
    assert box is not None
    assert all(e.id in box.informativeText() for e in chosen)
    click(box, "Cancel")


def test_an_unexpected_error_stays_on_screen(qtbot: Any) -> None:
    from inspector.gui import app

    try:
        raise RuntimeError("the disk caught fire")
    except RuntimeError as exc:
        app._excepthook(RuntimeError, exc, exc.__traceback__)
    qtbot.wait(50)
    shown = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]
    assert any("the disk caught fire" in box.text() for box in shown)
    for box in shown:
        box.close()


def test_the_statistics_tab_has_its_own_status_text(
    make_window: Make, demo: Path, qtbot: Any
) -> None:
    window = make_window(demo)
    window.page.views[State.CACHED].select_ids({first_rows(window, State.CACHED, 1)[0].id})
    assert window.selection_label.text().startswith("1 selected")
    with qtbot.waitSignal(window.controller.statistics_ready, timeout=10_000):
        window.page.tabs.setCurrentWidget(window.page.stats_view)
    assert window.selection_label.text() == "Statistics of 60 cached images"


def test_a_missing_path_draws_no_usage_bar(make_window: Make, tmp_path: Path, qtbot: Any) -> None:
    window = make_window()
    with qtbot.waitSignal(window.scan_failed, timeout=5000):
        window.open_cache(tmp_path / "missing")
    assert not window.page.header.usage.isVisibleTo(window)
    assert "does not exist" in window.page.message_bar.text()


def test_dropping_a_window_mid_read_stops_its_threads(tmp_path: Path) -> None:
    """A script that drops the window while it reads a large cache ends cleanly."""
    script = textwrap.dedent(
        f"""
        import gc, os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication
        from inspector.core.demo import DemoSpec, build_demo_cache
        from inspector.gui import MainWindow
        app = QApplication([])
        big = build_demo_cache({str(tmp_path / "big")!r}, "xattr", DemoSpec(cached=20000))
        settings = QSettings({str(tmp_path / "s.ini")!r}, QSettings.Format.IniFormat)
        window = MainWindow(big, settings=settings)
        app.processEvents()
        del window
        gc.collect()
        app.processEvents()
        print("dropped cleanly")
        """
    )
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "dropped cleanly" in r.stdout
    assert "QThread: Destroyed while thread is still running" not in r.stderr
