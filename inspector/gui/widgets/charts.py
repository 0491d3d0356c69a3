"""Charts drawn with QPainter: bars (vertical or horizontal) and a cumulative curve.

Plain QPainter costs nothing to install (Qt Charts would pull in
PySide6-Addons, tens of MB); the numbers come from :mod:`inspector.core.stats`,
the widgets only draw them.  Every chart works from the keyboard as from the
mouse: it takes focus, the arrow keys move between bars or points, Enter or
Space selects what the focused mark stands for, the menu key offers "Save as
PNG…", and the focused value is told to screen readers through the accessible
description.  :meth:`ChartWidget.data_rows` gives the numbers as a table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QAccessible,
    QAccessibleEvent,
    QColor,
    QContextMenuEvent,
    QFocusEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
)
from PySide6.QtWidgets import QFileDialog, QMenu, QToolTip, QWidget

from inspector.gui.widgets.chart_layout import fitting_ticks, plot_rect
from inspector.gui.widgets.chart_paint import paint_chart


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    tooltip: str
    ids: tuple[str, ...] = ()
    color: QColor | None = None


class ChartWidget(QWidget):
    """One chart with a title, labelled axes, tooltips and marks to select."""

    ids_clicked = Signal(object)  # tuple[str, ...]

    def __init__(self, title: str, x_label: str, y_label: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.title = title
        self.x_label = x_label
        self.y_label = y_label
        self.setAccessibleName(title)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.bars: list[Bar] = []
        self.horizontal = False
        self.curve: Sequence[float] = ()
        self._curve_top = 0.0  # the curve's highest value, found once, not at every paint
        #: The curve's areas as last drawn, with what they were drawn for (chart_paint).
        self.curve_cache: tuple[object, list[tuple[QColor, QPainterPath]]] | None = None
        self.curve_ids: Sequence[str] = ()
        self.threshold: float | None = None
        self.first_marked = 0
        self.fmt: Callable[[float], str] = lambda v: f"{v:,.0f}"
        self.binary = False
        self.empty_text = self.tr("Nothing to show")
        self.focus_index = 0
        self.hover = -1
        #: How a bar's name that does not fit is shortened (paths keep both ends).
        self.elide = Qt.TextElideMode.ElideRight
        self._describe()

    def sizeHint(self) -> QSize:
        fm = self.fontMetrics()
        hint = QSize(fm.horizontalAdvance("0") * 60, fm.height() * 16)
        return hint.expandedTo(self.minimumSizeHint())

    def minimumSizeHint(self) -> QSize:
        """Room for every bar's name on at most two lines, whatever the font."""
        fm = self.fontMetrics()
        width = fm.horizontalAdvance("0") * 30
        if self.bars and not self.horizontal:
            words = [w for b in self.bars for w in b.label.split(" ")]
            slot = max(fm.horizontalAdvance(w) for w in words) + 12
            ticks = [self.fmt(t) for t in self.ticks()]
            left = fm.height() + 3 * 6 + max(fm.horizontalAdvance(t) for t in ticks)
            width = max(width, int(left + slot * len(self.bars) + 12))
        return QSize(width, fm.height() * 12)

    # -- data ------------------------------------------------------------------

    def set_bars(
        self,
        bars: Sequence[Bar],
        fmt: Callable[[float], str],
        horizontal: bool = False,
        binary: bool = False,
    ) -> None:
        self.bars, self.fmt, self.horizontal, self.binary = list(bars), fmt, horizontal, binary
        self.curve = ()
        self.focus_index = min(self.focus_index, max(len(self.bars) - 1, 0))
        self._describe()
        self.updateGeometry()
        self.update()

    def set_curve(
        self,
        values: Sequence[float],
        ids: Sequence[str],
        fmt: Callable[[float], str],
        threshold: float | None,
        first_marked: int,
    ) -> None:
        # Taken as given (100,000 values are not copied on the GUI thread).
        self.curve, self.curve_ids, self.fmt = values, ids, fmt
        self.curve_cache = None  # drawn for other data
        self._curve_top = float(max(values, default=0.0))
        self.binary = True
        self.threshold, self.first_marked = threshold, first_marked
        self.bars = []
        self.focus_index = min(self.focus_index, max(len(self.curve) - 1, 0))
        self._describe()
        self.update()

    def marks(self) -> int:
        return len(self.curve) if self.curve else len(self.bars)

    def data_rows(self) -> tuple[list[str], list[list[str]]]:
        """The chart's numbers as a table: column titles and rows of text."""
        if self.curve:
            rows = [
                [f"{i + 1:,}", self.curve_ids[i], self.fmt(v), self._evicted_text(i)]
                for i, v in enumerate(self.curve)
            ]
            return [self.x_label, self.tr("image"), self.y_label, self.tr("prune")], rows
        name = self.y_label if self.horizontal else self.x_label
        value = self.x_label if self.horizontal else self.y_label
        return [name, value], [[b.tooltip.split("\n")[0], self.fmt(b.value)] for b in self.bars]

    def _evicted_text(self, i: int) -> str:
        return self.tr("evicted") if i >= self.first_marked else ""

    # -- what is said about it -------------------------------------------------

    def mark_text(self, i: int) -> str:
        """The full text of mark ``i``, as a tooltip and to a screen reader."""
        if self.curve:
            text = self.tr("%s most recently accessed: %s, %s") % (
                f"{i + 1:,}",
                self.fmt(self.curve[i]),
                self.curve_ids[i],
            )
            if i >= self.first_marked:
                text += "; " + self.tr("beyond the maximum: a prune evicts it")
            return text
        return self.bars[i].tooltip.replace("\n", ", ")

    def _describe(self) -> None:
        """Tell screen readers what the chart shows and which mark has the focus."""
        if not self.marks():
            text = self.tr("%s: %s") % (self.title, self.empty_text)
        else:
            i = self.focus_index
            text = self.tr("%s, %s of %s: %s") % (
                self.title,
                f"{i + 1:,}",
                f"{self.marks():,}",
                self.mark_text(i),
            )
        self.setAccessibleDescription(text)
        if self.hasFocus():
            event = QAccessibleEvent(self, QAccessible.Event.DescriptionChanged)
            QAccessible.updateAccessibility(event)

    # -- geometry --------------------------------------------------------------

    def ticks(self) -> list[float]:
        top = self._top_value()
        fm = self.fontMetrics()
        rough = self.plot_rect(ticks=[0.0, top])
        length = rough.width() if self.horizontal else rough.height()
        return fitting_ticks(top, length, fm, self.fmt, self.binary, along_x=self.horizontal)

    def plot_rect(self, ticks: Sequence[float] | None = None) -> QRectF:
        ticks = self.ticks() if ticks is None else ticks
        labels = [self.fmt(t) for t in ticks]
        names = [b.label for b in self.bars]
        return plot_rect(
            self.width(), self.height(), self.fontMetrics(), labels, names, self.horizontal
        )

    def _top_value(self) -> float:
        if self.curve:
            return max(self._curve_top, self.threshold or 0.0)
        return max((b.value for b in self.bars), default=0.0)

    def bar_rects(self) -> list[QRectF]:
        """Where each bar is drawn (also what a click or hover hits)."""
        ticks = self.ticks()
        plot = self.plot_rect(ticks)
        n = len(self.bars)
        if not n:
            return []
        top = ticks[-1] or 1.0
        rects = []
        if self.horizontal:
            slot = plot.height() / n
            for i, b in enumerate(self.bars):
                w = plot.width() * b.value / top
                y = plot.top() + i * slot + slot * 0.15
                rects.append(QRectF(plot.left(), y, max(w, 1.0), slot * 0.7))
        else:
            slot = plot.width() / n
            for i, b in enumerate(self.bars):
                h = plot.height() * b.value / top
                rects.append(
                    QRectF(
                        plot.left() + i * slot + slot * 0.15,
                        plot.bottom() - h,
                        slot * 0.7,
                        max(h, 1.0 if b.value else 0),
                    )
                )
        return rects

    def _curve_index_at(self, x: float) -> int:
        plot = self.plot_rect()
        if not self.curve or not plot.left() <= x <= plot.right():
            return -1
        frac = (x - plot.left()) / max(plot.width(), 1.0)
        return min(len(self.curve) - 1, max(0, int(frac * len(self.curve))))

    def _hit(self, pos: QPointF) -> int:
        plot = self.plot_rect()
        for i, r in enumerate(self.bar_rects()):
            grown = r.adjusted(-2, -4, 2, 4) if self.horizontal else r.adjusted(-2, -2, 2, 2)
            if self.horizontal:
                grown.setRight(plot.right())
            else:
                grown.setTop(plot.top())
            if grown.contains(pos):
                return i
        return -1

    # -- painting --------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            paint_chart(self, painter)
        finally:
            painter.end()  # now, not when Python drops the object (a frame kept alive delays it)

    # -- keyboard --------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        n = self.marks()
        key = event.key()
        forward = (Qt.Key.Key_Down if self.horizontal else Qt.Key.Key_Right, Qt.Key.Key_Right)
        back = (Qt.Key.Key_Up if self.horizontal else Qt.Key.Key_Left, Qt.Key.Key_Left)
        page = max(n // 10, 1)
        moves = {
            Qt.Key.Key_Home: -n,
            Qt.Key.Key_End: n,
            Qt.Key.Key_PageUp: -page,
            Qt.Key.Key_PageDown: page,
        }
        if not n:
            super().keyPressEvent(event)
        elif key in forward:
            self.move_focus(1)
        elif key in back:
            self.move_focus(-1)
        elif key in moves:
            self.move_focus(moves[Qt.Key(key)])
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.select_focused()
        else:
            super().keyPressEvent(event)

    def move_focus(self, by: int) -> None:
        self.focus_index = max(0, min(self.marks() - 1, self.focus_index + by))
        self._describe()
        self.update()

    def select_focused(self) -> None:
        """What Enter or Space do: select the entries of the focused mark."""
        i = self.focus_index
        if self.curve:
            if i >= self.first_marked and self.first_marked < len(self.curve):
                self.ids_clicked.emit(tuple(self.curve_ids[self.first_marked :]))
            else:
                self.ids_clicked.emit((self.curve_ids[i],))
        elif self.bars and self.bars[i].ids:
            self.ids_clicked.emit(self.bars[i].ids)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self._describe()
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.update()

    # -- mouse -----------------------------------------------------------------

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        i = self._curve_index_at(pos.x()) if self.curve else self._hit(pos)
        if not self.curve and i != self.hover:
            self.hover = i
            self.update()
        if i >= 0:
            tip = self.mark_text(i) if self.curve else self.bars[i].tooltip
            if self.curve and i >= self.first_marked:
                tip += "\n" + self.tr("(click to select)")
            QToolTip.showText(event.globalPosition().toPoint(), tip, self)
        else:
            QToolTip.hideText()

    def leaveEvent(self, event: Any) -> None:
        self.hover = -1
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        i = (
            self._curve_index_at(event.position().x())
            if self.curve
            else self._hit(event.position())
        )
        if i < 0:
            return
        self.focus_index = i
        self._describe()
        if self.curve and i < self.first_marked:
            return  # only the evicted part of the curve selects, as it says
        self.select_focused()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = QMenu(self)
        menu.addAction(self.tr("&Save as PNG…"), self.choose_png)
        menu.exec(event.globalPos())

    def choose_png(self) -> None:
        dialog = QFileDialog(self, self.tr("Save Chart"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(self.tr("PNG images (*.png)"))
        dialog.setDefaultSuffix("png")
        dialog.fileSelected.connect(self.save_png)
        dialog.open()
        self._dialog = dialog

    def save_png(self, path: str) -> bool:
        return bool(self.grab().save(path, "PNG"))
