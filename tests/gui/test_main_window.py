"""The real main window, driven as a user would."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QGuiApplication

from inspector.core import STATES, State, open_cache, summarize
from inspector.gui import MainWindow
from inspector.gui.cache import entry_model
from inspector.gui.cache.entry_model import EntryRole
from tests.glance_service import GlanceService

Make = Callable[..., MainWindow]


def proxy_entries(window: MainWindow, state: State) -> list[Any]:
    proxy = window.page.proxies[state]
    return [proxy.index(r, 0).data(EntryRole) for r in range(proxy.rowCount())]


def test_rows_and_counts_match_the_core(make_window: Make, demo: Path) -> None:
    window = make_window(demo)
    snap = open_cache(demo).scan()
    summary = summarize(snap.entries)
    for i, state in enumerate(STATES):
        expected = {e.id for e in snap.of_state(state)}
        assert {e.id for e in proxy_entries(window, state)} == expected
        assert window.page.tabs.tabText(i).endswith(f"({len(expected)})")
    assert window.page.header.kind_label.text() == "Glance (sqlite)"
    assert window.page.header.path_label.text() == str(demo)
    assert "12.5 GiB of 10.0 GiB cached" in window.page.header.usage.text()
    assert f"{summary.totals(State.CACHED).count} cached" in window.page.header.counts_label.text()
    assert window.windowTitle().startswith("demo-cache")


def test_sorting_by_size_is_numeric(make_window: Make, demo: Path) -> None:
    window = make_window(demo)
    view, model = window.page.views[State.CACHED], window.page.models[State.CACHED]
    col = model.column_index("size")
    view.sortByColumn(col, Qt.SortOrder.AscendingOrder)
    sizes = [e.size for e in proxy_entries(window, State.CACHED)]
    assert sizes == sorted(sizes)
    texts = [window.page.proxies[State.CACHED].index(r, col).data() for r in range(len(sizes))]
    assert texts != sorted(texts)  # the humanized text would have sorted differently
    view.sortByColumn(col, Qt.SortOrder.DescendingOrder)
    assert [e.size for e in proxy_entries(window, State.CACHED)] == sorted(sizes, reverse=True)


def test_queue_sorts_by_position(make_window: Make, demo: Path) -> None:
    window = make_window(demo)
    assert [e.position for e in proxy_entries(window, State.QUEUED)] == list(range(1, 7))


def test_filter_narrows_every_table(make_window: Make, demo: Path, qtbot: Any) -> None:
    window = make_window(demo)
    target = proxy_entries(window, State.CACHED)[5].id
    needle = target[:5].upper()
    qtbot.keyClicks(window.page.filter_edit, needle)
    expected = {
        s: {e.id for e in open_cache(demo).scan().of_state(s) if needle.lower() in e.id}
        for s in STATES
    }
    qtbot.waitUntil(
        lambda: window.page.proxies[State.CACHED].rowCount() == len(expected[State.CACHED])
    )
    for state in STATES:
        assert {e.id for e in proxy_entries(window, state)} == expected[state]
    assert target in expected[State.CACHED]
    window.page.filter_edit.clear()
    qtbot.waitUntil(lambda: window.page.proxies[State.CACHED].rowCount() == 60)


def test_a_big_tables_filter_runs_off_the_gui_thread_and_keeps_its_order(
    make_window: Make, demo: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Filtering 100,000 rows stalled the window: a big table is filtered (and, when its
    order is not the reading's, sorted) on a worker; what it shows is the same."""
    monkeypatch.setattr(entry_model, "ASYNC_SORT_ROWS", 5)  # every table here counts as big
    window = make_window(demo)
    model = window.page.models[State.CACHED]
    shown = proxy_entries(window, State.CACHED)
    assert [e.size for e in shown] == sorted((e.size for e in shown), reverse=True)
    needle = shown[7].id[:2]
    expected = [e.id for e in shown if needle in e.id]
    assert 0 < len(expected) < len(shown)
    window.page.filter_edit.setText(needle.upper())
    window.page.filter_timer.timeout.emit()  # no need to wait for the typing to pause
    qtbot.waitUntil(lambda: model.rowCount() == len(expected))
    assert [e.id for e in proxy_entries(window, State.CACHED)] == expected
    assert model.total() == len(shown)
    # sorted by id meanwhile (on a worker too), then the filter cleared: every row, by id
    window.page.views[State.CACHED].sortByColumn(
        model.column_index("id"), Qt.SortOrder.AscendingOrder
    )
    qtbot.waitUntil(
        lambda: [e.id for e in proxy_entries(window, State.CACHED)] == sorted(expected)
    )
    window.page.filter_edit.clear()
    window.page.filter_timer.timeout.emit()
    qtbot.waitUntil(lambda: model.rowCount() == len(shown))
    assert [e.id for e in proxy_entries(window, State.CACHED)] == sorted(e.id for e in shown)


def test_entries_written_by_glance_appear_without_a_click(
    make_window: Make, glance: GlanceService, qtbot: Any
) -> None:
    glance.cache("6d0b5b54-0a0b-4e6b-9a57-0b2b3d0f3a01", b"a" * 100)
    window = make_window(glance.path)
    assert window.page.models[State.CACHED].rowCount() == 1
    glance.cache("b3c1d2e4-1111-4a2b-8c3d-22e5f6a7b802", b"b" * 200)
    glance.queue("c9e8d7f6-2222-4b3c-9d4e-33f6a7b8c903")
    qtbot.waitUntil(lambda: window.page.models[State.CACHED].rowCount() == 2, timeout=5000)
    qtbot.waitUntil(lambda: window.page.models[State.QUEUED].rowCount() == 1, timeout=5000)
    assert window.page.tabs.tabText(0) == "Cached (2)"


def test_selection_and_scroll_survive_a_refresh(make_window: Make, demo: Path, qtbot: Any) -> None:
    window = make_window(demo)
    window.resize(900, 400)
    with qtbot.waitExposed(window):
        window.show()
    view = window.page.views[State.CACHED]
    chosen = {e.id for e in proxy_entries(window, State.CACHED)[40:43]}
    view.select_ids(chosen)
    view.scrollTo(window.page.proxies[State.CACHED].index(42, 0))
    scroll = view.verticalScrollBar().value()
    assert scroll > 0
    # The service adds an image, which sorts (by size, descending) to the very top.
    with open(demo / "00000000-aaaa-4bbb-8ccc-000000000001", "wb") as f:
        f.truncate(50 * 1024**3)
    with qtbot.waitSignal(window.refreshed, timeout=5000):
        window.refresh()
    assert window.page.models[State.CACHED].rowCount() == 61
    assert {e.id for e in view.selected_entries()} == chosen
    assert view.verticalScrollBar().value() == scroll


def test_status_bar_shows_selection_size(make_window: Make, demo: Path) -> None:
    window = make_window(demo)
    entries = proxy_entries(window, State.CACHED)[:3]
    window.page.views[State.CACHED].select_ids({e.id for e in entries})
    from inspector.report import formatting

    text = window.selection_label.text()
    assert text.startswith("3 selected, " + formatting.size(sum(e.size for e in entries)))


def test_ctrl_c_copies_the_selected_ids(make_window: Make, demo: Path, qtbot: Any) -> None:
    window = make_window(demo)
    view = window.page.views[State.CACHED]
    entries = proxy_entries(window, State.CACHED)[:4]
    view.select_ids({e.id for e in entries})
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text().splitlines() == [e.id for e in entries]


def test_keyboard_only_navigation(make_window: Make, demo: Path, qtbot: Any) -> None:
    window = make_window(demo)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    window.page.views[State.CACHED].setFocus()
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.page.current_state() is State.INCOMPLETE
    assert window.page.views[State.INCOMPLETE].hasFocus()
    qtbot.keyClick(window.page.views[State.INCOMPLETE], Qt.Key.Key_Down)
    assert window.page.views[State.INCOMPLETE].currentIndex().isValid()
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.page.filter_edit.hasFocus()
    with qtbot.waitSignal(window.refreshed, timeout=5000):
        qtbot.keyClick(window.focusWidget(), Qt.Key.Key_F5)


def test_accessible_names(make_window: Make, demo: Path) -> None:
    window = make_window(demo)
    names = [window.page.views[s].accessibleName() for s in STATES]
    assert names == ["Cached entries", "Queued entries", "Incomplete entries", "Invalid entries"]
    assert window.page.filter_edit.accessibleName() == "Filter by image id"


def test_models_pass_the_model_tester(make_window: Make, demo: Path, qtmodeltester: Any) -> None:
    window = make_window(demo)
    for state in STATES:
        qtmodeltester.check(window.page.models[state], force_py=True)
        qtmodeltester.check(window.page.proxies[state], force_py=True)


def test_read_only_flag_is_shown(make_window: Make, demo: Path) -> None:
    window = make_window(demo, read_only=True)
    assert window.read_only
    assert window.page.header.read_only_label.isVisibleTo(window)


@pytest.fixture
def read_only_mount(demo: Path) -> Iterator[Path]:
    """The demo cache behind a read-only bind mount (needs root)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a read-only bind mount needs root")
    if subprocess.run(["mount", "--bind", str(demo), str(demo)]).returncode != 0:
        pytest.skip("cannot bind-mount here")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(demo)], check=True)
        yield demo
    finally:
        subprocess.run(["umount", str(demo)], check=True)


def test_a_read_only_directory_opens_read_only(make_window: Make, read_only_mount: Path) -> None:
    window = make_window(read_only_mount)
    assert window.read_only
    assert window.page.header.read_only_label.isVisibleTo(window)
    assert window.page.models[State.CACHED].rowCount() == 60


def test_a_path_that_is_not_a_cache_shows_a_message(
    make_window: Make, tmp_path: Path, qtbot: Any
) -> None:
    window = make_window()
    with qtbot.waitSignal(window.scan_failed, timeout=5000) as blocker:
        window.open_cache(tmp_path / "missing")
    assert "does not exist" in blocker.args[0]
    assert window.page.message_bar.isVisibleTo(window)
    assert "does not exist" in window.page.message_bar.text()


def test_a_corrupt_database_shows_a_message(make_window: Make, demo: Path, qtbot: Any) -> None:
    (demo / "cache.db").write_bytes(b"garbage" * 100)
    window = make_window()
    with qtbot.waitSignal(window.scan_failed, timeout=5000):
        window.open_cache(demo)
    assert "not a usable Glance cache database" in window.page.message_bar.text()
    assert (demo / "cache.db").read_bytes() == b"garbage" * 100


def test_cache_deleted_while_open(make_window: Make, demo: Path, qtbot: Any) -> None:
    window = make_window(demo)
    shutil.rmtree(demo)
    with qtbot.waitSignal(window.scan_failed, timeout=5000):
        window.refresh()
    assert "does not exist" in window.page.message_bar.text()
    assert "last good reading" in window.page.message_bar.text()
    assert window.page.models[State.CACHED].rowCount() == 60  # still there to look at


def test_empty_state_offers_open_demo_and_recent(
    make_window: Make, demo: Path, settings: QSettings
) -> None:
    settings.setValue("recent_caches", [str(demo)])
    window = make_window()
    assert window.stack.currentIndex() == 0
    assert window.empty_page.open_button.text() == "&Open Cache…"
    assert window.empty_page.recent_list.count() == 1
    assert window.empty_page.recent_list.item(0).text() == str(demo)


def test_demo_opens(make_window: Make, qtbot: Any) -> None:
    window = make_window()
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        window.empty_page.demo_button.click()
    assert window.page.models[State.CACHED].rowCount() == 240


def test_settings_are_remembered(
    make_window: Make, demo: Path, settings: QSettings, qtbot: Any
) -> None:
    window = make_window(demo)
    window.page.header.max_edit.setText("12GiB")
    window.page.header.max_edit.editingFinished.emit()
    window.page.header.stall_edit.setText("6h")
    window.page.header.stall_edit.editingFinished.emit()
    window.page.tabs.setCurrentIndex(3)
    window.page.views[State.CACHED].horizontalHeader().resizeSection(0, 333)
    window.close()
    assert settings.value("last_cache") == str(demo)

    again = make_window(demo)
    assert again.page.header.max_edit.text() == "12.0GiB"
    assert again.page.header.stall_edit.text() == "6h"
    assert again.page.tabs.currentIndex() == 3
    assert again.page.views[State.CACHED].horizontalHeader().sectionSize(0) == 333
    assert "of 12.0 GiB cached" in again.page.header.usage.text()


def test_a_bad_maximum_is_refused(make_window: Make, demo: Path) -> None:
    window = make_window(demo)
    window.page.header.max_edit.setText("lots")
    window.page.header.max_edit.editingFinished.emit()
    assert "is not a size" in window.page.header.max_edit.toolTip()
    assert "of 10.0 GiB cached" in window.page.header.usage.text()


def test_the_event_loop_runs_while_a_large_cache_is_read(
    make_window: Make, tmp_path: Path, qtbot: Any
) -> None:
    from inspector.core.demo import DemoSpec, build_demo_cache

    big = build_demo_cache(tmp_path / "big", "xattr", DemoSpec(cached=20_000, queued=0))
    window = make_window()
    ticks: list[bool] = []
    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(lambda: ticks.append(bool(window.runner.active())))
    timer.start()
    with qtbot.waitSignal(window.refreshed, timeout=30_000):
        window.open_cache(big)
    timer.stop()
    assert any(ticks), "the GUI's event loop never ran while the scan was running"
    assert window.page.models[State.CACHED].rowCount() == 20_000


def test_open_dialog_opens_the_chosen_directory(make_window: Make, demo: Path, qtbot: Any) -> None:
    window = make_window()
    window.commands.open.trigger()
    dialog = window.operations.dialog
    assert dialog.isVisible()
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        dialog.fileSelected.emit(str(demo))
    assert window.page.header.path_label.text() == str(demo)
    dialog.close()


def test_python_dash_m_inspector_is_the_gui() -> None:
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "inspector", "--version"], capture_output=True, text=True
    )
    assert r.returncode == 0
    assert r.stdout.startswith("cache-inspector ")
