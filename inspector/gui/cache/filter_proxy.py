"""A proxy that filters rows by id and hands sorting to the source model."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt

from inspector.gui.cache.entry_model import EntryTableModel


class IdFilterProxy(QSortFilterProxyModel):
    """Filters by a case-insensitive substring of the id.

    It never sorts itself: :meth:`sort` is passed to the
    :class:`EntryTableModel`, which sorts its own list by raw values, and the
    proxy keeps the source order.
    """

    def __init__(self, source: EntryTableModel, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self.setFilterKeyColumn(source.column_index("id"))
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def source(self) -> EntryTableModel:
        model = self.sourceModel()
        assert isinstance(model, EntryTableModel)
        return model

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.source().sort(column, order)
