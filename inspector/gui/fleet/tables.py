"""The Fleet view's tables: a cell drawn as a bar (a node's share of the largest node's
bytes), and how the tables are made and sized."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
)

from inspector.core.fleet import Fleet
from inspector.gui.fleet.models import SHARE_ROLE, MatrixModel

BAR = QColor("#3d85c6")


class BarDelegate(QStyledItemDelegate):
    """Paints the cell's :data:`SHARE_ROLE` (0 to 1) as a bar, then the text over it."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        share = index.data(SHARE_ROLE)
        if isinstance(share, float) and share > 0:
            rect: QRect = option.rect.adjusted(2, 3, -2, -3)
            rect.setWidth(max(1, int(rect.width() * min(share, 1.0))))
            painter.save()
            fill = QColor(BAR)
            fill.setAlpha(90)
            painter.fillRect(rect, fill)
            painter.restore()
        super().paint(painter, option, index)


def make_table(model: QSortFilterProxyModel, name: str) -> QTableView:
    """A sortable table of whole rows, many selectable, that wraps no text."""
    view = QTableView()
    view.setModel(model)
    view.setAccessibleName(name)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(False)
    return view


def size_matrix(view: QTableView, model: MatrixModel, fleet: Fleet) -> None:
    """Column widths from the font and the longest name: asking every cell of a
    1,000 x 50 matrix for its text (resizeColumnsToContents) stalls the window."""
    fm = view.fontMetrics()
    pad = fm.horizontalAdvance("00") + 16
    longest = max((i.name or "" for i in fleet.images), key=len, default="")
    widths = [
        fm.horizontalAdvance("0" * 36),
        min(max(fm.horizontalAdvance(longest), fm.horizontalAdvance("Name")), 360),
        fm.horizontalAdvance("(no record)"),
        fm.horizontalAdvance("1023.9 MiB"),
        fm.horizontalAdvance("50 / 50"),
    ]
    for col in range(model.columnCount()):
        title = str(model.headerData(col, Qt.Orientation.Horizontal, 0) or "")
        text = max(widths[col] if col < len(widths) else 0, fm.horizontalAdvance(title))
        view.setColumnWidth(col, text + pad)


def selected_rows(view: QTableView) -> int:
    """How many rows are selected (whole rows: the tables select rows), without listing them."""
    model = view.selectionModel()
    if model is None:
        return 0
    selection = model.selection()
    rows: set[int] = set()
    for i in range(selection.size()):
        r = selection.at(i)
        rows.update(range(r.top(), r.bottom() + 1))  # ranges split by column repeat rows
    return len(rows)
