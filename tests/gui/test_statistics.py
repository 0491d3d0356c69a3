"""The Statistics view and File ▸ Export, on the real window."""

from __future__ import annotations

import csv
import gc
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from inspector.core import Reading, State, actions, open_cache
from inspector.gui import MainWindow
from inspector.gui.widgets.charts import ChartWidget

Make = Callable[..., MainWindow]


def show_statistics(window: MainWindow, qtbot: Any) -> None:
    window.resize(1200, 900)
    with qtbot.waitExposed(window):
        window.show()
    # The figures are computed off the GUI thread, then shown.
    with qtbot.waitSignal(window.controller.statistics_ready, timeout=10_000):
        window.page.tabs.setCurrentWidget(window.page.stats_view)
    assert window.page.stats_view.stats is not None


def distinct_colors(chart: ChartWidget) -> int:
    image = chart.grab().toImage()
    seen = set()
    for x in range(0, image.width(), 4):
        for y in range(0, image.height(), 4):
            seen.add(image.pixel(x, y))
    return len(seen)


def test_every_chart_draws_something(make_window: Make, demo: Path, qtbot: Any) -> None:
    window = make_window(demo)
    show_statistics(window, qtbot)
    view = window.page.stats_view
    for chart in (c for c in view.charts if c not in view.hidden):
        assert chart.bars or chart.curve, chart.title
        assert distinct_colors(chart) > 5, chart.title


def test_statistics_agree_with_the_header(make_window: Make, demo: Path, qtbot: Any) -> None:
    window = make_window(demo)
    show_statistics(window, qtbot)
    assert "12.5 GiB of 10.0 GiB cached" in window.page.header.usage.text()
    assert "12.5 GiB of 10.0 GiB cached" in window.page.stats_view.headline.text()
    cache = open_cache(demo)
    plan = actions.plan_prune(cache, cache.scan().entries, 10 * 1024**3)
    assert f"evicts {len(plan.entries)} images" in window.page.stats_view.headline.text()


def test_statistics_follow_the_maximum_and_refreshes(
    make_window: Make, demo: Path, qtbot: Any
) -> None:
    window = make_window(demo)
    show_statistics(window, qtbot)
    window.page.header.max_edit.setText("20GiB")
    with qtbot.waitSignal(window.controller.statistics_ready, timeout=10_000):
        window.page.header.max_edit.editingFinished.emit()
    assert "of 20.0 GiB cached" in window.page.stats_view.headline.text()
    assert window.page.stats_view.lru_chart.threshold == 20 * 1024**3
    with open(demo / "00000000-aaaa-4bbb-8ccc-000000000001", "wb") as f:
        f.truncate(10 * 1024**3)
    with qtbot.waitSignals([window.refreshed, window.controller.statistics_ready], timeout=5000):
        window.refresh()
    assert "22.5 GiB of 20.0 GiB cached" in window.page.stats_view.headline.text()


def test_clicking_a_bar_selects_its_entry(make_window: Make, demo: Path, qtbot: Any) -> None:
    window = make_window(demo)
    show_statistics(window, qtbot)
    chart = window.page.stats_view.largest_chart
    largest = window.page.stats_view.stats.largest[0]  # type: ignore[union-attr]
    qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=chart.bar_rects()[0].center().toPoint())
    assert window.page.current_state() is State.CACHED
    assert window.page.tabs.currentIndex() == 0
    assert [e.id for e in window.page.views[State.CACHED].selected_entries()] == [largest.id]


def test_clicking_beyond_the_maximum_selects_what_a_prune_evicts(
    make_window: Make, demo: Path, qtbot: Any
) -> None:
    window = make_window(demo)
    show_statistics(window, qtbot)
    chart = window.page.stats_view.lru_chart
    plot = chart.plot_rect()
    qtbot.mouseClick(
        chart, Qt.MouseButton.LeftButton, pos=QPoint(int(plot.right()) - 3, int(plot.center().y()))
    )
    cache = open_cache(demo)
    plan = actions.plan_prune(cache, cache.scan().entries, 10 * 1024**3)
    selected = {e.id for e in window.page.views[State.CACHED].selected_entries()}
    assert selected == {e.id for e in plan.entries}
    assert window.selection_label.text().startswith(f"{len(plan.entries)} selected")


def test_a_chart_saves_as_png(make_window: Make, demo: Path, qtbot: Any, tmp_path: Path) -> None:
    window = make_window(demo)
    show_statistics(window, qtbot)
    chart = window.page.stats_view.hits_chart
    out = tmp_path / "hits.png"
    assert chart.save_png(str(out))
    image = QImage(str(out))
    assert (image.width(), image.height()) == (chart.width(), chart.height())


def test_export_writes_the_filtered_table(
    make_window: Make, demo: Path, qtbot: Any, tmp_path: Path
) -> None:
    window = make_window(demo)
    window.page.filter_edit.setText("a")
    window.page.apply_filter()
    proxy = window.page.proxies[State.CACHED]
    shown = [proxy.index(r, 0).data() for r in range(proxy.rowCount())]
    assert 0 < len(shown) < 60
    out = tmp_path / "cached.csv"
    with qtbot.waitSignal(window.job_done, timeout=10_000):
        window.operations.export_table(str(out))
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == shown
    assert {r["state"] for r in rows} == {"cached"}
    out_json = tmp_path / "cached.json"
    with qtbot.waitSignal(window.job_done, timeout=10_000):
        window.operations.export_table(str(out_json))
    doc = json.loads(out_json.read_text())
    assert doc["driver"] == "sqlite"
    assert [e["id"] for e in doc["entries"]] == shown
    assert window.operations.result_box.text().startswith(f"Exported {len(shown)} of {len(shown)}")


def test_export_through_the_file_dialog(
    make_window: Make, demo: Path, qtbot: Any, tmp_path: Path
) -> None:
    window = make_window(demo)
    window.page.tabs.setCurrentIndex(1)  # Queued
    window.commands.export.trigger()
    dialog = window.operations.dialog
    assert dialog is not None and dialog.isVisible()
    out = tmp_path / "queue.csv"
    with qtbot.waitSignal(window.job_done, timeout=10_000):
        dialog.fileSelected.emit(str(out))
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6 and {r["state"] for r in rows} == {"queued"}
    assert [int(r["position"]) for r in rows] == list(range(1, 7))


def test_a_reading_goes_once_the_next_is_shown(make_window: Make, demo: Path, qtbot: Any) -> None:
    """With Statistics shown, each refresh used to keep the reading before alive for good
    (a task's work frozen with the garbage collector's help): 35 MB more a reading at
    100,000 entries, and the window's memory grew as long as the service wrote."""
    window = make_window(demo)
    show_statistics(window, qtbot)
    for _ in range(3):
        with qtbot.waitSignals(
            [window.refreshed, window.controller.statistics_ready], timeout=10_000
        ):
            window.refresh()
    qtbot.waitUntil(lambda: not window.runner.active())
    gc.unfreeze()  # frozen objects are not listed; nothing is collected here
    shown = window.controller.reading
    assert shown is not None
    # (readings of the windows of earlier tests may still wait for a collection)
    readings = [o for o in gc.get_objects() if isinstance(o, Reading) and o.source == shown.source]
    assert readings == [shown]
    # and the table holds that reading's entries, not equal ones of a reading before
    model = window.page.models[State.CACHED]
    own = {id(e) for e in readings[0].snapshot.entries}
    assert model.rowCount() > 0
    assert all(id(model.entry(r)) in own for r in range(model.rowCount()))


def test_a_refresh_of_an_unchanged_cache_builds_no_entry_again(
    make_window: Make, demo: Path, qtbot: Any
) -> None:
    """Each refresh built every entry again, and both readings' copies lived until the
    old one went: the window's peak memory held two caches.  Unchanged entries are
    now handed on from the reading before."""
    window = make_window(demo)
    model = window.page.models[State.CACHED]
    shown = [model.entry(r) for r in range(model.rowCount())]
    assert shown
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        window.refresh()
    reading = window.controller.reading
    assert reading is not None
    before = {e.id: e for e in shown}
    assert all(before[e.id] is e for e in reading.snapshot.entries if e.state is State.CACHED)
    assert [model.entry(r).id for r in range(model.rowCount())] == [e.id for e in shown]


def test_the_reading_before_is_freed_off_the_gui_thread(
    make_window: Make, demo: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Freeing 100,000 entries takes 60 ms wherever their last reference drops: done on
    the GUI thread, every refresh of a busy cache stalled the window that long."""
    import threading

    from inspector.gui import workers
    from inspector.gui.cache import controller as controller_module

    freed: list[tuple[bool, int]] = []
    real = workers.free_in_steps

    def watched(objects: list[Any]) -> None:
        freed.append((threading.current_thread() is threading.main_thread(), len(objects)))
        real(objects)

    monkeypatch.setattr(controller_module, "free_in_steps", watched)
    window = make_window(demo)
    before = window.controller.reading
    assert before is not None
    count = len(before.snapshot.entries)
    del before
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        window.refresh()
    qtbot.waitUntil(lambda: bool(freed) and not window.runner.active())
    assert freed == [(False, count)]
