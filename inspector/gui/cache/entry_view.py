"""The table view of one state: multi-selection, Ctrl+C copies ids."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from inspector.core import Entry
from inspector.gui.cache.filter_proxy import IdFilterProxy


class EntryTableView(QTableView):
    selection_summary_changed = Signal()

    def __init__(self, proxy: IdFilterProxy, accessible_name: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.setModel(proxy)
        self.setObjectName(accessible_name.lower().replace(" ", "_"))
        self.setAccessibleName(accessible_name)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSortingEnabled(True)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setSortIndicatorShown(True)
        # The header draws each column as "selected" or not by asking, for every
        # column, whether all its rows are selected: 100,000 calls into Python per
        # column after Select All (a second and more).  It gets a selection of its
        # own, always empty: the table's selection is not drawn in the header.
        self.horizontalHeader().setHighlightSections(False)
        self._header_selection = QItemSelectionModel(proxy, self)
        self.horizontalHeader().setSelectionModel(self._header_selection)
        self.selectionModel().selectionChanged.connect(self.selection_summary_changed)
        proxy.modelReset.connect(self.selection_summary_changed)

    def proxy(self) -> IdFilterProxy:
        model = self.model()
        assert isinstance(model, IdFilterProxy)
        return model

    def selected_runs(self) -> list[tuple[int, int]]:
        """The selected rows as runs (first, last), in order, none overlapping.

        Never one index object per row: selecting all of 100,000 rows is one
        range, and ``selectedRows()`` would make 100,000 Python objects.
        """
        selection = self.selectionModel().selection()
        spans = sorted((r.top(), r.bottom()) for r in map(selection.at, range(selection.count())))
        runs: list[tuple[int, int]] = []
        for top, bottom in spans:
            if runs and top <= runs[-1][1] + 1:
                runs[-1] = (runs[-1][0], max(runs[-1][1], bottom))
            else:
                runs.append((top, bottom))
        return runs

    def selected_rows(self) -> list[int]:
        """The selected rows, in order."""
        return [row for first, last in self.selected_runs() for row in range(first, last + 1)]

    def selected_count(self) -> int:
        return sum(last - first + 1 for first, last in self.selected_runs())

    def selected_entries(self) -> list[Entry]:
        """The selected rows' entries, in order: slices of the table, not a lookup a row
        (a million rows selected at once made the status line stall a second)."""
        rows = self.proxy().source().entries()
        chosen: list[Entry] = []
        for first, last in self.selected_runs():
            chosen.extend(rows[first : last + 1])
        return chosen

    def copy_ids(self) -> int:
        ids = [e.id for e in self.selected_entries()]
        if ids:
            QGuiApplication.clipboard().setText("\n".join(ids))
        return len(ids)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_ids()
            event.accept()
            return
        super().keyPressEvent(event)

    def select_ids(self, ids: set[str]) -> None:
        """Select the rows with these ids (those the filter shows), as few ranges."""
        proxy, model = self.proxy(), self.proxy().source()
        rows = sorted(r for r in (model.row_of(i) for i in ids) if r is not None)
        selection = QItemSelection()
        last_column = proxy.columnCount() - 1
        runs: list[list[int]] = []
        for row in rows:
            if runs and runs[-1][1] == row - 1:
                runs[-1][1] = row
            else:
                runs.append([row, row])
        for first, last in runs:
            selection.select(proxy.index(first, 0), proxy.index(last, last_column))
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.selectionModel().select(selection, flags)

    def restore_header(self, state: object) -> None:
        """Column widths, order and sort as saved; the default sort stays when there are none."""
        header = self.horizontalHeader()
        if state is None or not header.restoreState(state):  # type: ignore[arg-type]
            return
        self.sortByColumn(header.sortIndicatorSection(), header.sortIndicatorOrder())

    def set_column_widths(self) -> None:
        """Each column as wide as the longest text it usually shows, in the font in use."""
        header = self.horizontalHeader()
        fm = self.fontMetrics()
        pad = fm.horizontalAdvance("00")
        for col, column in enumerate(self.proxy().source().columns):
            sample = COLUMN_SAMPLES.get(column.key, "11 months ago")
            width = max(fm.horizontalAdvance(column.title), fm.horizontalAdvance(sample))
            header.resizeSection(col, width + pad + 16)


#: The longest text a column usually holds, for its starting width.
COLUMN_SAMPLES = {
    "id": "0" * 36,
    "size": "1023.9 MiB",
    "hits": "1,000,000",
    "position": "100,000",
    "stalled": "stalled 23 hours ago",
    "age": "23 hours",
    "error": "0" * 24,
    "note": "0" * 24,
    "checksum": "0" * 24,
    "name": "ubuntu-24.04-server-cloudimg-amd64",
    "image_status": "(no record)",
}
