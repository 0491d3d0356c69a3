"""A table cell drawn as a bar under its text: each node's share of the largest node's bytes."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from inspector.gui.fleet.models import SHARE_ROLE

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
