"""The table model on its own: incremental and bulk updates keep the selection."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt

from inspector.core import State
from inspector.core.model import Entry
from inspector.gui.cache.entry_model import BULK_CHANGE, EntryRole, EntryTableModel
from inspector.gui.cache.filter_proxy import IdFilterProxy


def entries(ids: range, size_of: Any = lambda i: i * 10) -> list[Entry]:
    return [Entry(f"img-{i:06d}", State.CACHED, size_of(i), 0, 1000.0 + i, 1000.0) for i in ids]


def selected_ids(sel: QItemSelectionModel) -> set[str]:
    return {i.data(EntryRole).id for i in sel.selectedRows()}


def select(proxy: IdFilterProxy, sel: QItemSelectionModel, ids: set[str]) -> None:
    for row in range(proxy.rowCount()):
        index = proxy.index(row, 0)
        if index.data(EntryRole).id in ids:
            sel.select(
                index,
                QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
            )


def test_updates_small_and_bulk_keep_selection(qtmodeltester: Any) -> None:
    model = EntryTableModel(State.CACHED)
    proxy = IdFilterProxy(model)
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(proxy)  # the C++ tester: the Python one trips on the proxy itself
    sel = QItemSelectionModel(proxy)
    model.update(entries(range(1200)))
    proxy.sort(model.column_index("size"), Qt.SortOrder.DescendingOrder)
    keep = {"img-000007", "img-001100"}
    select(proxy, sel, keep)
    assert selected_ids(sel) == keep

    # a small change: one row gone, one new, one resized
    small = entries(range(1, 1201))
    small[10] = Entry(small[10].id, State.CACHED, 999_999, 0, 1.0, 1.0)
    model.update(small)
    assert model.rowCount() == 1200
    assert selected_ids(sel) == keep
    assert proxy.index(0, 0).data(EntryRole).size == 999_999  # re-sorted by size

    # a prune: every other row goes (more than BULK_CHANGE at once)
    pruned = [e for e in small if int(e.id[4:]) % 2 == 0 or e.id in keep]
    assert len(small) - len(pruned) > BULK_CHANGE
    model.update(pruned)
    assert model.rowCount() == len(pruned)
    assert selected_ids(sel) == keep
    sizes = [proxy.index(r, 0).data(EntryRole).size for r in range(proxy.rowCount())]
    assert sizes == sorted(sizes, reverse=True)


def test_filtering_keeps_the_tables_order_whatever_was_sorted_last() -> None:
    model = EntryTableModel(State.CACHED)
    rows = entries(range(300), size_of=lambda i: (i * 7919) % 1000)
    model.sort(model.column_index("size"), Qt.SortOrder.DescendingOrder)
    by_size = sorted(rows, key=lambda e: e.size, reverse=True)
    model.update(by_size, presorted=True)  # as a reading sorted off the GUI thread gives it

    def shown() -> list[Entry]:
        return [model.entry(r) for r in range(model.rowCount())]

    model.set_filter("img-0001")
    assert [e.id for e in shown()] == [e.id for e in by_size if "img-0001" in e.id]
    model.set_filter("")
    assert [e.id for e in shown()] == [e.id for e in by_size]
    model.sort(model.column_index("id"), Qt.SortOrder.AscendingOrder)
    model.set_filter("img-00002")
    assert [e.id for e in shown()] == sorted(e.id for e in rows if "img-00002" in e.id)
    model.set_filter("")
    assert [e.id for e in shown()] == sorted(e.id for e in rows)


def test_rows_indexed_in_chunks_on_a_worker_are_the_same_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    from inspector.gui.cache import entry_model

    monkeypatch.setattr(entry_model, "INDEX_CHUNK", 7)
    rows = entries(range(100))
    got: list[dict[str, int]] = []
    worker = threading.Thread(target=lambda: got.append(entry_model.index_of(rows)))
    worker.start()
    worker.join()
    assert got == [{e.id: i for i, e in enumerate(rows)}]
    assert entry_model.index_of(rows) == got[0]  # the GUI thread's one call


def test_the_selection_is_read_as_runs_of_rows(qtbot: Any) -> None:
    """Ranges that touch or overlap count once; the entries come in the table's order."""
    from PySide6.QtCore import QItemSelection

    from inspector.gui.cache.entry_view import EntryTableView

    model = EntryTableModel(State.CACHED)
    model.update(entries(range(10)))
    proxy = IdFilterProxy(model)
    view = EntryTableView(proxy, "entries")
    qtbot.addWidget(view)
    selection = QItemSelection()
    for first, last in ((7, 7), (1, 2), (2, 4), (5, 5)):
        selection.select(proxy.index(first, 0), proxy.index(last, 0))
    view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    assert view.selected_runs() == [(1, 5), (7, 7)]
    assert view.selected_count() == 6
    assert view.selected_rows() == [1, 2, 3, 4, 5, 7]
    assert [e.id for e in view.selected_entries()] == [
        model.entry(r).id for r in (1, 2, 3, 4, 5, 7)
    ]
