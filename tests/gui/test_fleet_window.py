"""The Fleet view (issue 13) on a real two-node fleet: glance-api nodes on loopback sharing
one database, images uploaded through the API and cached by the nodes that served them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QSettings, Qt
from PySide6.QtWidgets import QLabel

from inspector.gui.fleet.models import CACHED_MARK, Where
from inspector.gui.fleet.window import FleetWindow
from tests.api.helpers import images
from tests.gui.test_actions import click

pytestmark = pytest.mark.glance


@pytest.fixture
def fleet_window(qtbot: Any, settings: QSettings) -> Any:
    made: list[FleetWindow] = []

    def make(db_url: str) -> FleetWindow:
        window = FleetWindow(db_url, None, settings)
        qtbot.addWidget(window)
        made.append(window)
        qtbot.waitSignal(window.nodes_asked, timeout=60_000).wait()
        return window

    yield make
    for w in made:
        w.close()
        assert not w.runner.active()


def select(view: Any, rows: list[int]) -> None:
    model, selection = view.model(), view.selectionModel()
    selection.clearSelection()
    for r in rows:
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        selection.select(model.index(r, 0), flags)


def row_of(view: Any, text: str, column: int = 0) -> int:
    model = view.model()
    return next(r for r in range(model.rowCount()) if model.index(r, column).data() == text)


def test_the_fleet_shows_each_node_and_the_matrix_as_the_nodes_say(
    glance_fleet: Any, fleet_window: Any
) -> None:
    one, two = glance_fleet
    a, b, c = images(one, [1000, 2000, 4000], prefix="fleet")
    one.download(a)
    one.download(b)
    two.download(b)
    two.download(c)
    window = fleet_window(glance_fleet.db_url)
    nodes = window.nodes_view.model()
    shown = {
        nodes.index(r, 0).data(): (nodes.index(r, 2).data(), nodes.index(r, 1).data())
        for r in range(nodes.rowCount())
    }
    assert shown == {
        one.url: ("2", "answers: 2 cached, 0 queued"),
        two.url: ("2", "answers: 2 cached, 0 queued"),
    }
    matrix = window.matrix_view.model()
    assert matrix.rowCount() == 3
    cells = {}
    for r in range(matrix.rowCount()):
        held = {
            matrix.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole): (
                matrix.index(r, col).data() == CACHED_MARK
            )
            for col in range(5, matrix.columnCount())
        }
        cells[matrix.index(r, 1).data()] = {url for url, on in held.items() if on}
    assert cells == {"fleet-0": {one.url}, "fleet-1": {one.url, two.url}, "fleet-2": {two.url}}
    # The matrix agrees with Glance's own GET /v2/cache/nodes/{id}.
    for image_id, name in ((a, "fleet-0"), (b, "fleet-1"), (c, "fleet-2")):
        assert set(one.cached_nodes(image_id)) == cells[name]
    text = window.totals.text()
    assert "2 nodes" in text and "4 cached copies" in text
    assert "3 images: 1 on every node, 2 on one node only, 0 deleted in Glance" in text

    window.where.setCurrentIndex(list(Where).index(Where.EVERY))
    assert matrix.rowCount() == 1 and matrix.index(0, 1).data() == "fleet-1"
    window.where.setCurrentIndex(0)
    window.filter_edit.setText("FLEET-2")
    assert matrix.rowCount() == 1 and matrix.index(0, 0).data() == c


def test_queue_on_and_delete_from_chosen_nodes_confirmed_and_seen_by_the_nodes(
    glance_fleet: Any, fleet_window: Any, qtbot: Any
) -> None:
    one, two = glance_fleet
    a, b = images(one, [1500, 2500], prefix="act")
    one.download(a)
    one.download(b)
    window = fleet_window(glance_fleet.db_url)
    assert not window.actions_by_name["delete"].isEnabled()  # nothing chosen yet
    select(window.nodes_view, [row_of(window.nodes_view, two.url)])
    select(window.matrix_view, [row_of(window.matrix_view, a)])
    window.actions_by_name["queue"].trigger()
    box = window.confirmation
    assert box is not None and box.text() == "Queue 1 image(s) on 1 node(s)?"
    assert "act-0" in box.informativeText() and two.url in box.informativeText()
    with qtbot.waitSignal(window.job_done, timeout=60_000) as done:
        click(box, "Queue")
    [outcome] = done.args[0]
    assert outcome.url == two.url and outcome.ok
    two.wait_cached(a)
    assert window.result_box.text() == "1 of 1 nodes done."
    assert sorted(one.cached_nodes(a)) == sorted([one.url, two.url])

    qtbot.waitSignal(window.nodes_asked, timeout=60_000).wait()  # the refresh after the job
    select(window.nodes_view, [row_of(window.nodes_view, one.url)])
    select(window.matrix_view, [row_of(window.matrix_view, a), row_of(window.matrix_view, b)])
    window.actions_by_name["delete"].trigger()
    click(window.confirmation, "Cancel")
    assert sorted(one.cached_ids()) == sorted([a, b])  # cancelled: nothing goes
    window.actions_by_name["delete"].trigger()
    with qtbot.waitSignal(window.job_done, timeout=60_000) as done:
        click(window.confirmation, "Delete")
    [outcome] = done.args[0]
    assert outcome.ok and outcome.result.done == 2 and outcome.result.bytes_freed == 4000
    assert one.cached_ids() == [] and two.cached_ids() == [a]


def test_a_stopped_node_shows_unreachable_and_the_other_still_acts(
    glance_fleet: Any, fleet_window: Any, qtbot: Any
) -> None:
    one, two = glance_fleet
    [a] = images(one, [1200], prefix="down")
    one.download(a)
    two.download(a)
    one.stop()
    window = fleet_window(glance_fleet.db_url)
    nodes = window.nodes_view.model()
    r_one, r_two = row_of(window.nodes_view, one.url), row_of(window.nodes_view, two.url)
    assert nodes.index(r_one, 1).data() == "unreachable"
    assert nodes.index(r_one, 1).data(3)  # the tooltip says why
    assert nodes.index(r_two, 1).data().startswith("answers: 1 cached")
    assert "(1 unreachable)" in window.totals.text()
    select(window.nodes_view, [r_one, r_two])
    select(window.matrix_view, [0])
    window.actions_by_name["delete"].trigger()
    with qtbot.waitSignal(window.job_done, timeout=120_000) as done:
        click(window.confirmation, "Delete")
    by_url = {o.url: o for o in done.args[0]}
    assert by_url[one.url].error and not by_url[one.url].ok
    assert by_url[two.url].ok and two.cached_ids() == []
    assert window.result_box.text() == "1 of 2 nodes done."
    assert f"{one.url}: failed:" in window.result_box.informativeText()


def test_a_database_that_cannot_be_read_says_why_without_its_password(
    fleet_window: Any, qtbot: Any, settings: QSettings
) -> None:
    url = "postgresql+psycopg2://glance:Pa55w0rd@127.0.0.1:1/glance"
    window = FleetWindow(url, None, settings)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.failed, timeout=60_000) as failed:
        pass
    assert "Pa55w0rd" not in failed.args[0] and "glance:***@127.0.0.1:1" in failed.args[0]
    assert "Pa55w0rd" not in window.windowTitle()
    window.close()  # remembers its geometry
    settings.sync()
    stored = Path(settings.fileName()).read_text()
    assert "fleet" in stored and "Pa55w0rd" not in stored


def test_the_fleet_view_works_from_the_keyboard_with_named_controls(
    qtbot: Any, settings: QSettings, tmp_path: Path
) -> None:
    """Every control Tab reaches is named; each Alt key is claimed once; Ctrl+F filters."""
    from tests.gui.test_accessibility import _named, _walk

    window = FleetWindow(f"sqlite:///{tmp_path / 'none.sqlite'}", None, settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitSignal(window.failed, timeout=60_000).wait()
    controls = list(_walk(window))
    for needed in (window.filter_edit, window.where, window.nodes_view, window.matrix_view):
        assert needed in controls
    assert not [type(w).__name__ for w in controls if not _named(w)]
    texts = [a.text() for a in window.actions()] + [
        w.text() for w in window.findChildren(QLabel) if w.buddy() is not None
    ]
    keys = [m.group(1).lower() for t in texts if (m := re.search(r"&(\w)", t))]
    assert len(keys) == len(set(keys)), keys
    window.close()
