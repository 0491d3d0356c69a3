"""Delete, requeue, queue, prune and clean from the window, on a worker thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox

from inspector.core import State, actions, open_cache
from inspector.core.demo import DemoSpec, build_demo_cache
from inspector.gui import MainWindow
from inspector.gui.cache.entry_model import EntryRole
from inspector.report import formatting

Make = Callable[..., MainWindow]


def first_rows(window: MainWindow, state: State, n: int) -> list[Any]:
    proxy = window.page.proxies[state]
    return [proxy.index(r, 0).data(EntryRole) for r in range(n)]


def activate(window: MainWindow, qtbot: Any) -> None:
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()


def click(box: QMessageBox, text: str) -> None:
    [button] = [b for b in box.buttons() if b.text().replace("&", "") == text]
    button.click()


def test_delete_key_asks_then_deletes(make_window: Make, demo: Path, qtbot: Any) -> None:
    window = make_window(demo)
    activate(window, qtbot)
    view = window.page.views[State.CACHED]
    chosen = first_rows(window, State.CACHED, 2)
    view.select_ids({e.id for e in chosen})
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    box = window.operations.confirmation
    size = formatting.size(sum(e.size for e in chosen))
    assert box.text() == f"Delete 2 entries ({size})?"
    with qtbot.waitSignal(window.job_done, timeout=10_000) as done:
        click(box, "Delete")
    result = done.args[0]
    assert (result.done, result.bytes_freed) == (2, sum(e.size for e in chosen))
    assert window.operations.result_box.text() == f"Deleted 2 of 2 entries, freeing {size}."
    for e in chosen:
        assert not (demo / e.id).exists()
    qtbot.waitUntil(lambda: window.page.models[State.CACHED].rowCount() == 58)
    ids = {e.id for e in window.page.models[State.CACHED].entries()}
    assert not ids & {e.id for e in chosen}


def test_cancelling_the_confirmation_deletes_nothing(
    make_window: Make, demo: Path, qtbot: Any
) -> None:
    window = make_window(demo)
    chosen = first_rows(window, State.INVALID, 3)
    window.page.tabs.setCurrentIndex(3)
    window.page.views[State.INVALID].select_ids({e.id for e in chosen})
    window.commands.delete.trigger()
    click(window.operations.confirmation, "Cancel")
    qtbot.wait(200)
    assert not window.controller.busy
    assert all((demo / "invalid" / e.id).exists() for e in chosen)


def test_read_only_disables_every_change(make_window: Make, demo: Path, qtbot: Any) -> None:
    window = make_window(demo, read_only=True)
    window.page.views[State.CACHED].select_ids({first_rows(window, State.CACHED, 1)[0].id})
    for action in window.commands.change_actions():
        assert not action.isEnabled(), action.text()
    window.operations.delete_selected()
    window.operations.prune()
    assert not window.controller.busy
    assert len(list(demo.iterdir())) == 60 + 5  # images, dirs, cache.db, lock file


def test_actions_follow_the_selection_and_tab(make_window: Make, demo: Path) -> None:
    window = make_window(demo)
    assert not window.commands.delete.isEnabled()  # nothing selected yet
    window.page.views[State.CACHED].select_ids({first_rows(window, State.CACHED, 1)[0].id})
    assert window.commands.delete.isEnabled() and window.commands.requeue.isEnabled()
    window.page.tabs.setCurrentIndex(1)
    window.page.views[State.QUEUED].select_ids({first_rows(window, State.QUEUED, 1)[0].id})
    assert window.commands.delete.isEnabled()
    assert not window.commands.requeue.isEnabled()  # a queued entry is already queued


def test_prune_dialog_shows_the_plan_before_running_it(
    make_window: Make, demo: Path, qtbot: Any
) -> None:
    window = make_window(demo)
    window.operations.prune()
    dialog = window.operations.dialog
    assert dialog.edit.text() == "10.0GiB"  # the cache's maximum
    dialog.edit.setText("5GiB")
    cache = open_cache(demo)
    plan = actions.plan_prune(cache, cache.scan().entries, 5 * 1024**3)
    n = len(plan.entries)
    assert dialog.go.text() == f"Prune {n} entries ({formatting.size(plan.bytes_freed)})"
    assert f"Evicts {n} least recently accessed images" in dialog.summary.text()
    assert dialog.list.count() == n
    dialog.edit.setText("not a size")
    assert not dialog.go.isEnabled()
    dialog.edit.setText("5GiB")
    with qtbot.waitSignal(window.job_done, timeout=10_000) as done:
        dialog.go.click()
    assert done.args[0].done == n
    remaining = {p.name for p in demo.iterdir()}
    assert not remaining & {e.id for e in plan.entries}
    qtbot.waitUntil(lambda: window.page.models[State.CACHED].rowCount() == 60 - n)
    reading = window.controller.reading
    assert reading is not None and reading.summary.total_size <= 5 * 1024**3


def test_clean_dialog(make_window: Make, demo: Path, qtbot: Any) -> None:
    window = make_window(demo)
    window.operations.clean()
    dialog = window.operations.dialog
    assert dialog.edit.text() == "1d"
    # 3 invalid and the 2 stalled downloads of the demo
    assert dialog.go.text().startswith("Clean 5 entries")
    with qtbot.waitSignal(window.job_done, timeout=10_000):
        dialog.go.click()
    assert not list((demo / "invalid").iterdir())
    assert len(list((demo / "incomplete").iterdir())) == 4
    qtbot.waitUntil(lambda: window.page.models[State.INVALID].rowCount() == 0)
    assert not window.page.empty_labels[State.INVALID].isHidden()
    assert window.page.views[State.INVALID].isHidden()


def test_queue_dialog_checks_ids(make_window: Make, demo: Path, qtbot: Any) -> None:
    window = make_window(demo)
    window.operations.queue_images()
    dialog = window.operations.dialog
    dialog.text.setPlainText("../../etc/passwd\n")
    assert not dialog.ok.isEnabled()
    assert "not a valid image id" in dialog.status.text()
    new = "0f0f0f0f-1111-4222-8333-444455556666"
    cached = first_rows(window, State.CACHED, 1)[0].id
    dialog.text.setPlainText(f"{new}\n{cached}\n")
    assert dialog.ok.isEnabled()
    with qtbot.waitSignal(window.job_done, timeout=10_000) as done:
        dialog.ok.click()
    result = done.args[0]
    assert result.queued == (new,)
    assert [f.reason for f in result.failures] == [f"{cached} is already cached."]
    assert (demo / "queue" / new).exists()
    assert "already cached" in window.operations.result_box.detailedText()


def test_requeue_an_invalid_entry(make_window: Make, demo: Path, qtbot: Any) -> None:
    window = make_window(demo)
    window.page.tabs.setCurrentIndex(3)
    entry = first_rows(window, State.INVALID, 1)[0]
    window.page.views[State.INVALID].select_ids({entry.id})
    window.commands.requeue.trigger()
    assert window.operations.confirmation.text().startswith("Requeue 1 entry")
    with qtbot.waitSignal(window.job_done, timeout=10_000):
        click(window.operations.confirmation, "Requeue")
    assert not (demo / "invalid" / entry.id).exists()
    assert (demo / "queue" / entry.id).exists()
    qtbot.waitUntil(lambda: window.page.models[State.QUEUED].rowCount() == 7)


def test_a_long_job_keeps_the_window_alive_and_stops(
    make_window: Make, tmp_path: Path, qtbot: Any
) -> None:
    big = build_demo_cache(tmp_path / "big", "xattr", DemoSpec(cached=4000, queued=0))
    window = make_window(big)
    window.controller.job_started.connect(
        lambda title: window.controller.cancel_job()
    )  # Stop at once
    ticks: list[bool] = []
    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(lambda: ticks.append(window.controller.busy))
    timer.start()
    window.operations.delete_all_in_tab()
    with qtbot.waitSignal(window.job_done, timeout=30_000) as done:
        click(window.operations.confirmation, "Delete")
    timer.stop()
    result = done.args[0]
    assert result.cancelled
    assert 1 <= result.done < 4000
    assert len([p for p in big.iterdir() if p.is_file()]) == 4000 - result.done
    assert "Stopped before the end" in window.operations.result_box.text()
    # and a job that is not stopped runs while the event loop goes on
    window.controller.job_started.disconnect()
    ticks.clear()
    timer.start()
    window.operations.delete_all_in_tab()
    with qtbot.waitSignal(window.job_done, timeout=30_000) as done:
        click(window.operations.confirmation, "Delete")
    timer.stop()
    assert done.args[0].ok
    assert any(ticks), "the event loop never ran while the job was running"
