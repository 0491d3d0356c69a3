"""The view's model: the table model as it is, with filtering and sorting left to it.

An identity proxy (no mapping of its own): the :class:`EntryTableModel`
filters by id and sorts its own Python list, which at 100,000 rows is tens
of milliseconds, where a sorting or filtering proxy calling back into Python
for every row and comparison takes seconds on the GUI thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QIdentityProxyModel, Qt

from inspector.gui.cache.entry_model import EntryTableModel


class IdFilterProxy(QIdentityProxyModel):
    """Passes filtering (a case-insensitive substring of the id) and sorting to the source."""

    def __init__(self, source: EntryTableModel, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)

    def source(self) -> EntryTableModel:
        model = self.sourceModel()
        assert isinstance(model, EntryTableModel)
        return model

    def setFilterFixedString(self, text: str) -> None:
        self.source().set_filter(text)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.source().sort(column, order)
