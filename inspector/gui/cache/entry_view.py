"""The table view of one state: multi-selection, Ctrl+C copies ids."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from inspector.core import Entry
from inspector.gui.cache.entry_model import EntryRole
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
        self.selectionModel().selectionChanged.connect(self.selection_summary_changed)
        proxy.modelReset.connect(self.selection_summary_changed)

    def proxy(self) -> IdFilterProxy:
        model = self.model()
        assert isinstance(model, IdFilterProxy)
        return model

    def selected_entries(self) -> list[Entry]:
        rows = self.selectionModel().selectedRows()
        return [r.data(EntryRole) for r in sorted(rows, key=lambda i: i.row())]

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
        """Select the rows with these ids (those the filter shows)."""
        proxy = self.proxy()
        selection = QItemSelection()
        for row in range(proxy.rowCount()):
            index = proxy.index(row, 0)
            if index.data(EntryRole).id in ids:
                selection.select(index, index)
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
}
