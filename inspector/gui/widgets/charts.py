"""Charts drawn with QPainter: bars (vertical or horizontal) and a cumulative curve.

Plain QPainter costs nothing to install (Qt Charts would pull in
PySide6-Addons); the numbers come from :mod:`inspector.core.stats`, the
widgets only draw them.  Hovering shows a tooltip, clicking a bar (or the
evicted part of the curve) emits the ids it stands for, and the context menu
saves the chart as PNG.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFont,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QFileDialog, QMenu, QToolTip, QWidget

BAR = QColor("#3d7ab8")
BAR_HOVER = QColor("#5b9bd8")
EVICT = QColor("#d9534f")
AXIS = QColor("#666666")
GRID = QColor("#e4e4e4")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    tooltip: str
    ids: tuple[str, ...] = ()
    color: QColor | None = None


def nice_ticks(top: float, count: int = 4, binary: bool = False) -> list[float]:
    """Round tick values from 0 to at least ``top``.

    With ``binary`` the ticks are round in KiB, MiB, GiB... (what a byte axis
    labels), otherwise in powers of ten.
    """
    if top <= 0:
        return [0.0, 1.0]
    if binary:
        unit = 1.0
        while top / unit >= 1024:
            unit *= 1024
        return [t * unit for t in nice_ticks(top / unit, count)]
    raw = top / count
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1.0
    for step in (1, 2, 2.5, 5, 10):
        if raw <= step * magnitude:
            break
    size = step * magnitude
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(ticks[-1] + size)
    return ticks


class ChartWidget(QWidget):
    """One chart with a title, labelled axes, tooltips and clickable marks."""

    ids_clicked = Signal(object)  # tuple[str, ...]

    def __init__(self, title: str, x_label: str, y_label: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.title = title
        self.x_label = x_label
        self.y_label = y_label
        self.setAccessibleName(title)
        self.setMouseTracking(True)
        self.setMinimumSize(320, 220)
        self.bars: list[Bar] = []
        self.horizontal = False
        self.curve: list[float] = []
        self.curve_ids: Sequence[str] = ()
        self.threshold: float | None = None
        self.first_marked = 0
        self.fmt: Callable[[float], str] = lambda v: f"{v:,.0f}"
        self.binary = False
        self.empty_text = self.tr("Nothing to show")
        self._hover = -1

    def sizeHint(self) -> QSize:
        return QSize(460, 280)

    # -- data ------------------------------------------------------------------

    def set_bars(
        self,
        bars: Sequence[Bar],
        fmt: Callable[[float], str],
        horizontal: bool = False,
        binary: bool = False,
    ) -> None:
        self.bars, self.fmt, self.horizontal, self.binary = list(bars), fmt, horizontal, binary
        self.curve = []
        self.update()

    def set_curve(
        self,
        values: Sequence[float],
        ids: Sequence[str],
        fmt: Callable[[float], str],
        threshold: float | None,
        first_marked: int,
    ) -> None:
        self.curve, self.curve_ids, self.fmt = list(values), ids, fmt
        self.binary = True
        self.threshold, self.first_marked = threshold, first_marked
        self.bars = []
        self.update()

    # -- geometry --------------------------------------------------------------

    def plot_rect(self) -> QRectF:
        fm = self.fontMetrics()
        left = fm.horizontalAdvance("000.0 MiB") + 28
        if self.horizontal:
            left = fm.horizontalAdvance("0000000000…") + 16
        right = fm.horizontalAdvance("000.0 MiB") // 2 + 8 if self.horizontal else 16
        return QRectF(
            left,
            fm.height() * 2 + 8,
            self.width() - left - right,
            self.height() - fm.height() * 4 - 16,
        )

    def _top_value(self) -> float:
        if self.curve:
            return max(max(self.curve), self.threshold or 0.0)
        return max((b.value for b in self.bars), default=0.0)

    def bar_rects(self) -> list[QRectF]:
        """Where each bar is drawn (also what a click or hover hits)."""
        plot = self.plot_rect()
        n = len(self.bars)
        if not n:
            return []
        top = nice_ticks(self._top_value(), binary=self.binary)[-1] or 1.0
        rects = []
        if self.horizontal:
            slot = plot.height() / n
            for i, b in enumerate(self.bars):
                w = plot.width() * b.value / top
                rects.append(
                    QRectF(
                        plot.left(), plot.top() + i * slot + slot * 0.15, max(w, 1.0), slot * 0.7
                    )
                )
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
        for i, r in enumerate(self.bar_rects()):
            grown = r.adjusted(-2, -4, 2, 4) if self.horizontal else r.adjusted(-2, -2, 2, 2)
            if self.horizontal:
                grown.setRight(self.plot_rect().right())
            else:
                grown.setTop(self.plot_rect().top())
            if grown.contains(pos):
                return i
        return -1

    # -- painting --------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.palette().base())
        fm = self.fontMetrics()
        title_font = QFont(self.font())
        title_font.setBold(True)
        p.setFont(title_font)
        p.setPen(self.palette().text().color())
        p.drawText(
            QRectF(8, 4, self.width() - 16, fm.height() + 4),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            self.title,
        )
        p.setFont(self.font())
        plot = self.plot_rect()
        if not self.bars and not self.curve:
            p.setPen(AXIS)
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter, self.empty_text)
            return
        self._paint_axes(p, plot)
        if self.curve:
            self._paint_curve(p, plot)
        else:
            self._paint_bars(p, plot)
        # axis titles
        p.setPen(AXIS)
        p.drawText(
            QRectF(plot.left(), self.height() - fm.height() - 4, plot.width(), fm.height()),
            Qt.AlignmentFlag.AlignCenter,
            self.x_label,
        )
        p.save()
        p.translate(10, plot.center().y())
        p.rotate(-90)
        p.drawText(
            QRectF(-plot.height() / 2, -fm.height() + 4, plot.height(), fm.height()),
            Qt.AlignmentFlag.AlignCenter,
            self.y_label,
        )
        p.restore()

    def _paint_axes(self, p: QPainter, plot: QRectF) -> None:
        ticks = nice_ticks(self._top_value(), binary=self.binary)
        top = ticks[-1] or 1.0
        fm = self.fontMetrics()
        for t in ticks:
            if self.horizontal:
                x = plot.left() + plot.width() * t / top
                p.setPen(GRID)
                p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
                p.setPen(AXIS)
                text = self.fmt(t)
                p.drawText(
                    QPointF(x - fm.horizontalAdvance(text) / 2, plot.bottom() + fm.ascent() + 2),
                    text,
                )
            else:
                y = plot.bottom() - plot.height() * t / top
                p.setPen(GRID)
                p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
                p.setPen(AXIS)
                text = self.fmt(t)
                p.drawText(
                    QRectF(16, y - fm.height() / 2, plot.left() - 22, fm.height()),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    text,
                )
        p.setPen(QPen(AXIS, 1))
        p.drawLine(plot.bottomLeft(), plot.bottomRight())
        p.drawLine(plot.bottomLeft(), plot.topLeft())

    def _paint_bars(self, p: QPainter, plot: QRectF) -> None:
        fm = self.fontMetrics()
        for i, (b, r) in enumerate(zip(self.bars, self.bar_rects(), strict=True)):
            color = b.color or BAR
            p.fillRect(r, BAR_HOVER if i == self._hover else color)
            p.setPen(self.palette().text().color())
            label = fm.elidedText(
                b.label,
                Qt.TextElideMode.ElideRight,
                int(plot.left() - 8 if self.horizontal else r.width() / 0.7),
            )
            if self.horizontal:
                p.drawText(
                    QRectF(4, r.top(), plot.left() - 8, r.height()),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    label,
                )
            else:
                p.drawText(
                    QRectF(
                        r.left() - r.width() * 0.2, plot.bottom() + 2, r.width() * 1.4, fm.height()
                    ),
                    Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                    label,
                )

    def _paint_curve(self, p: QPainter, plot: QRectF) -> None:
        top = nice_ticks(self._top_value(), binary=self.binary)[-1] or 1.0
        n = len(self.curve)
        step = max(1, n // max(int(plot.width()), 1))  # at most one point per pixel

        def point(i: int) -> QPointF:
            x = plot.left() + plot.width() * (i + 1) / n
            return QPointF(x, plot.bottom() - plot.height() * self.curve[i] / top)

        for color, lo, hi in ((BAR, 0, self.first_marked), (EVICT, self.first_marked, n)):
            if hi <= lo:
                continue
            path = QPainterPath(QPointF(plot.left() + plot.width() * lo / n, plot.bottom()))
            for i in range(lo, hi, step):
                path.lineTo(point(i))
            path.lineTo(point(hi - 1))
            path.lineTo(QPointF(point(hi - 1).x(), plot.bottom()))
            path.closeSubpath()
            fill = QColor(color)
            fill.setAlpha(90)
            p.fillPath(path, fill)
            p.setPen(QPen(color, 2))
            p.drawPath(path)
        if self.threshold is not None:
            y = plot.bottom() - plot.height() * self.threshold / top
            p.setPen(QPen(EVICT, 1.5, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.drawText(
                QPointF(plot.left() + 6, y - 4), self.tr("maximum %s") % self.fmt(self.threshold)
            )

    # -- interaction -----------------------------------------------------------

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self.curve:
            i = self._curve_index_at(pos.x())
            if i >= 0:
                tip = self.tr("%s most recently accessed: %s\n%s") % (
                    f"{i + 1:,}",
                    self.fmt(self.curve[i]),
                    self.curve_ids[i],
                )
                if i >= self.first_marked:
                    tip += "\n" + self.tr(
                        "beyond the maximum: a prune evicts it (click to select)"
                    )
                QToolTip.showText(event.globalPosition().toPoint(), tip, self)
            return
        hit = self._hit(pos)
        if hit != self._hover:
            self._hover = hit
            self.update()
        if hit >= 0:
            QToolTip.showText(event.globalPosition().toPoint(), self.bars[hit].tooltip, self)
        else:
            QToolTip.hideText()

    def leaveEvent(self, event: Any) -> None:
        self._hover = -1
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if self.curve:
            i = self._curve_index_at(event.position().x())
            if i >= self.first_marked and self.first_marked < len(self.curve):
                self.ids_clicked.emit(tuple(self.curve_ids[self.first_marked :]))
            return
        hit = self._hit(event.position())
        if hit >= 0 and self.bars[hit].ids:
            self.ids_clicked.emit(self.bars[hit].ids)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = QMenu(self)
        menu.addAction(self.tr("Save as PNG…"), self.choose_png)
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
