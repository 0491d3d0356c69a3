"""Usable by every operator: what a screen reader hears, the keyboard alone, large fonts.

Screen-reader texts are read through Qt's own accessibility interfaces
(``QAccessible.queryAccessibleInterface``), as an assistive technology reads them.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QColor, QFont, QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QWidget

from inspector.core import State
from inspector.gui import MainWindow
from inspector.gui.widgets.charts import ChartWidget
from tests.gui.test_actions import first_rows

Make = Callable[..., MainWindow]


def spoken(widget: QWidget) -> str:
    """Everything a screen reader can get about ``widget``: name, description, value."""
    iface = QAccessible.queryAccessibleInterface(widget)
    assert iface is not None
    return " | ".join(
        iface.text(t)
        for t in (QAccessible.Text.Name, QAccessible.Text.Description, QAccessible.Text.Value)
    )


def test_labels_with_names_still_say_their_text(make_window: Make, demo: Path, qtbot: Any) -> None:
    window = make_window(demo)
    header = window.page.header
    assert "Cache kind" in spoken(header.kind_label)
    assert "Glance (sqlite)" in spoken(header.kind_label)
    assert "60 cached (12.5 GiB) · 6 queued" in spoken(header.counts_label)
    assert str(demo) in spoken(header.path_label)
    assert "60 of 60 shown" in spoken(window.selection_label)
    with qtbot.waitSignal(window.controller.statistics_ready, timeout=10_000):
        window.page.tabs.setCurrentWidget(window.page.stats_view)
    assert "a prune to the maximum evicts" in spoken(window.page.stats_view.headline)
    window.commands.prune.trigger()
    dialog = window.operations.dialog
    assert dialog is not None
    assert "Evicts" in spoken(dialog.summary) and "freeing" in spoken(dialog.summary)


def test_the_usage_meter_says_its_share_past_the_maximum(make_window: Make, demo: Path) -> None:
    window = make_window(demo)
    text = spoken(window.page.header.usage)
    assert "12.5 GiB of 10.0 GiB cached (125 %)" in text
    iface = QAccessible.queryAccessibleInterface(window.page.header.usage)
    assert iface.text(QAccessible.Text.Value) == "125 %"


def test_an_error_is_read_out(make_window: Make, tmp_path: Path, qtbot: Any) -> None:
    window = make_window()
    with qtbot.waitSignal(window.scan_failed, timeout=5000):
        window.open_cache(tmp_path / "missing")
    assert "does not exist" in spoken(window.page.message_bar)


@pytest.fixture
def stats_window(make_window: Make, demo: Path, qtbot: Any) -> MainWindow:
    window = make_window(demo)
    window.resize(1200, 900)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    with qtbot.waitSignal(window.controller.statistics_ready, timeout=10_000):
        window.page.tabs.setCurrentWidget(window.page.stats_view)
    return window


def test_charts_work_from_the_keyboard(stats_window: MainWindow, qtbot: Any) -> None:
    window = stats_window
    chart = window.page.stats_view.largest_chart
    iface = QAccessible.queryAccessibleInterface(chart)
    assert iface.role() == QAccessible.Role.Chart
    chart.setFocus()
    assert chart.hasFocus()
    largest = window.page.stats_view.stats.largest  # type: ignore[union-attr]
    assert largest[0].id in iface.text(QAccessible.Text.Value)
    qtbot.keyClick(chart, Qt.Key.Key_Down)
    assert largest[1].id in iface.text(QAccessible.Text.Value)
    assert largest[1].id in iface.text(QAccessible.Text.Description)
    qtbot.keyClick(chart, Qt.Key.Key_Return)
    assert window.page.current_state() is State.CACHED
    assert [e.id for e in window.page.views[State.CACHED].selected_entries()] == [largest[1].id]


def test_the_lru_curve_selects_what_a_prune_evicts_from_the_keyboard(
    stats_window: MainWindow, qtbot: Any
) -> None:
    window = stats_window
    chart = window.page.stats_view.lru_chart
    chart.setFocus()
    qtbot.keyClick(chart, Qt.Key.Key_End)
    assert "a prune evicts it" in spoken(chart)
    qtbot.keyClick(chart, Qt.Key.Key_Space)
    evicted = window.page.stats_view.stats.lru.evicted_ids  # type: ignore[union-attr]
    assert {e.id for e in window.page.views[State.CACHED].selected_entries()} == set(evicted)


def test_the_numbers_behind_the_charts_as_tables(stats_window: MainWindow, qtbot: Any) -> None:
    view = stats_window.page.stats_view
    view.as_tables.setChecked(True)
    shown = [p for p in view.panels if p.chart not in view.hidden]
    assert len(shown) == 6  # a Glance cache: every chart but the largest folders
    for panel in shown:
        assert panel.currentWidget() is panel.table
        _titles, rows = panel.chart.data_rows()
        assert panel.table.rowCount() == len(rows) > 0
    states = view.panels[0].table
    assert next(states.item(r, 0).text() for r in range(states.rowCount())).startswith("cached")
    view.as_tables.setChecked(False)
    assert all(panel.currentWidget() is panel.chart for panel in view.panels)


def test_queue_images_lets_tab_leave_the_ids_box(
    make_window: Make, demo: Path, qtbot: Any
) -> None:
    window = make_window(demo)
    window.commands.queue.trigger()
    dialog = window.operations.dialog
    assert dialog is not None
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    dialog.text.setFocus()
    qtbot.keyClick(dialog.text, Qt.Key.Key_Tab)
    assert not dialog.text.hasFocus()
    assert "\t" not in dialog.text.toPlainText()


def _mnemonics(window: MainWindow) -> list[str]:
    found = [a.text() for a in window.menuBar().actions()]
    found += [w.text() for w in window.findChildren(QLabel) if w.buddy() is not None]
    return [m.group(1).lower() for t in found if (m := re.search(r"&(\w)", t))]


def test_every_alt_key_is_claimed_once(make_window: Make, demo: Path) -> None:
    keys = _mnemonics(make_window(demo))
    assert "f" in keys
    assert len(keys) == len(set(keys)), keys


def _contrast(a: QColor, b: QColor) -> float:
    def lum(c: QColor) -> float:
        def ch(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF())

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_an_empty_tab_puts_the_focus_on_what_it_says(
    make_window: Make, demo: Path, qtbot: Any
) -> None:
    for p in (demo / "invalid").iterdir():
        p.unlink()
    window = make_window(demo)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    window.page.views[State.CACHED].setFocus()
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    focused = QApplication.focusWidget()
    assert focused is window.page.empty_labels[State.INVALID]
    assert "No failed downloads." in spoken(focused)
    color = QColor(re.search(r"color: (#\w+)", focused.styleSheet()).group(1))  # type: ignore[union-attr]
    assert _contrast(color, window.palette().window().color()) >= 4.5


def _walk(start: QWidget) -> Iterator[QWidget]:
    """The widgets Tab visits from ``start``, once round."""
    seen: list[QWidget] = []
    w = start.nextInFocusChain()
    while w is not start and w not in seen:
        seen.append(w)
        if w.isVisible() and w.isEnabled() and w.focusPolicy() & Qt.FocusPolicy.TabFocus:
            yield w
        w = w.nextInFocusChain()


def _named(w: QWidget) -> bool:
    if w.accessibleName():
        return True
    iface = QAccessible.queryAccessibleInterface(w)
    return bool(iface and iface.text(QAccessible.Text.Name))


@pytest.mark.parametrize("open_dialog", ["none", "prune", "clean", "queue", "delete"])
def test_the_focus_chain_reaches_named_controls(
    make_window: Make, demo: Path, qtbot: Any, open_dialog: str
) -> None:
    window = make_window(demo)
    window.show()
    target: QWidget = window
    if open_dialog == "delete":
        window.page.views[State.CACHED].select_ids({first_rows(window, State.CACHED, 1)[0].id})
    if open_dialog != "none":
        window.commands.actions[open_dialog].trigger()
        ops = window.operations
        box = ops.confirmation if open_dialog == "delete" else ops.dialog
        assert box is not None
        target = box
    controls = list(_walk(target))
    if open_dialog == "none":
        page = window.page
        for needed in (page.filter_edit, page.tabs.tabBar(), page.views[State.CACHED]):
            assert needed in controls
    assert len(controls) >= (5 if open_dialog == "none" else 2)
    unnamed = [type(w).__name__ for w in controls if not _named(w)]
    assert not unnamed, unnamed
    for w in controls:
        if isinstance(w, QLineEdit):
            assert not w.isReadOnly()
    target.close()


def _fits(edit: QLineEdit) -> bool:
    return edit.fontMetrics().horizontalAdvance(edit.text()) <= edit.contentsRect().width() - 4


@pytest.fixture
def big_font() -> Iterator[None]:
    app = QGuiApplication.instance()
    assert isinstance(app, QApplication)
    old = app.font()
    font = QFont(old)
    font.setPointSize(16)
    app.setFont(font)
    yield
    app.setFont(old)


def test_a_16_point_font_fits_and_cuts_nothing(
    big_font: None, make_window: Make, demo: Path, qtbot: Any
) -> None:
    window = make_window(demo)
    window.resize(1200, 800)
    with qtbot.waitExposed(window):
        window.show()
    hint = window.minimumSizeHint()
    assert hint.width() <= 1200 and hint.height() <= 800, hint
    header = window.page.header
    assert _fits(header.max_edit) and _fits(header.stall_edit)
    counts = header.counts_label
    assert counts.geometry().right() < header.max_edit.geometry().left()
    view = window.page.views[State.INCOMPLETE]
    model = window.page.models[State.INCOMPLETE]
    col = model.column_index("stalled")
    for row in range(model.rowCount()):
        text = model.index(row, col).data()
        assert view.fontMetrics().horizontalAdvance(text) < view.columnWidth(col), text


def test_charts_lay_out_with_a_16_point_font(
    big_font: None, make_window: Make, demo: Path, qtbot: Any
) -> None:
    window = make_window(demo)
    window.resize(1200, 800)
    with qtbot.waitExposed(window):
        window.show()
    with qtbot.waitSignal(window.controller.statistics_ready, timeout=10_000):
        window.page.tabs.setCurrentWidget(window.page.stats_view)
    qtbot.wait(100)  # the layout takes the charts' new sizes
    for chart in window.page.stats_view.charts:
        _check_chart(chart)


def _check_chart(chart: ChartWidget) -> None:
    from inspector.gui.widgets.chart_layout import label_lines

    fm = chart.fontMetrics()
    plot = chart.plot_rect()
    assert fm.horizontalAdvance(chart.y_label) <= plot.height(), chart.title
    assert fm.horizontalAdvance(chart.x_label) <= plot.width(), chart.title
    ticks = chart.ticks()
    if chart.horizontal:  # tick labels along x must not touch
        top = ticks[-1] or 1.0
        spans = []
        for t in ticks:
            x = plot.left() + plot.width() * t / top
            w = fm.horizontalAdvance(chart.fmt(t))
            spans.append((x - w / 2, x + w / 2))
        assert all(a[1] < b[0] for a, b in itertools.pairwise(spans)), chart.title
    elif chart.bars:
        for bar, rect in zip(chart.bars, chart.bar_rects(), strict=True):
            lines = label_lines(fm, bar.label, rect.width() / 0.7 - 4)
            assert "".join(lines).replace(" ", "") == bar.label.replace(" ", ""), bar.label


def test_twice_the_scale_still_shows_every_header_value(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ["QT_SCALE_FACTOR"] = "2"
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication
        from inspector.core.demo import DemoSpec, build_demo_cache
        from inspector.gui import MainWindow
        app = QApplication([])
        cache = build_demo_cache({str(tmp_path / "c")!r}, "sqlite", DemoSpec(cached=20))
        s = QSettings({str(tmp_path / "s.ini")!r}, QSettings.Format.IniFormat)
        w = MainWindow(None, settings=s)
        w.refreshed.connect(app.quit)
        w.open_cache(cache)
        w.resize(1200, 800)
        w.show()
        app.exec()
        h = w.page.header
        for e in (h.max_edit, h.stall_edit):
            assert e.fontMetrics().horizontalAdvance(e.text()) <= e.contentsRect().width() - 4
        assert w.minimumSizeHint().width() <= 1200, w.minimumSizeHint()
        w.shutdown()
        print("fits")
        """
    )
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "fits" in r.stdout


def test_the_readmes_keyboard_table_is_what_the_window_does(make_window: Make, demo: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    rows = re.findall(r"^\| `([^`]+)` \| \w+ ▸ ([^|(]+?)(?: \(.*\))? \|$", readme, re.M)
    assert len(rows) >= 12
    window = make_window(demo)
    by_text = {a.text().replace("&", ""): a for a in window.commands.actions.values()}
    for key, text in rows:
        action = by_text[text.strip()]
        shortcuts = [s.toString() for s in action.shortcuts()]
        assert key in shortcuts, (key, text, shortcuts)
