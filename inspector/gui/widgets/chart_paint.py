"""Drawing a chart: the title, axes with their ticks, bars or curve, axis titles, focus."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF

from inspector.gui.widgets.chart_layout import (
    AXIS,
    BAR,
    BAR_HOVER,
    EVICT,
    FOCUS,
    GRID,
    PAD,
    label_lines,
)

if TYPE_CHECKING:
    from inspector.gui.widgets.charts import ChartWidget


def paint_chart(chart: ChartWidget, p: QPainter) -> None:
    """Draw ``chart``: title, axes, marks, axis titles, and the focus."""
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.fillRect(chart.rect(), chart.palette().base())
    fm = chart.fontMetrics()
    title_font = QFont(chart.font())
    title_font.setBold(True)
    p.setFont(title_font)
    p.setPen(chart.palette().text().color())
    title_rect = QRectF(PAD, PAD / 2, chart.width() - 2 * PAD, fm.height() + PAD)
    p.drawText(title_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, chart.title)
    p.setFont(chart.font())
    ticks = chart.ticks()
    plot = chart.plot_rect(ticks)
    if not chart.marks():
        p.setPen(AXIS)
        p.drawText(plot, Qt.AlignmentFlag.AlignCenter, chart.empty_text)
        return
    _paint_axes(chart, p, plot, ticks)
    if chart.curve:
        _paint_curve(chart, p, plot, ticks[-1] or 1.0)
    else:
        _paint_bars(chart, p, plot)
    p.setPen(AXIS)
    elide = Qt.TextElideMode.ElideRight
    x_title = fm.elidedText(chart.x_label, elide, int(plot.width()))
    p.drawText(
        QRectF(plot.left(), chart.height() - fm.height() - PAD, plot.width(), fm.height()),
        Qt.AlignmentFlag.AlignCenter,
        x_title,
    )
    p.save()
    p.translate(PAD, plot.center().y())
    p.rotate(-90)
    y_title = fm.elidedText(chart.y_label, elide, int(plot.height()))
    p.drawText(
        QRectF(-plot.height() / 2, 0, plot.height(), fm.height()),
        Qt.AlignmentFlag.AlignCenter,
        y_title,
    )
    p.restore()
    if chart.hasFocus():
        _paint_focus(chart, p, plot)


def _paint_axes(chart: ChartWidget, p: QPainter, plot: QRectF, ticks: Sequence[float]) -> None:
    top = ticks[-1] or 1.0
    fm = chart.fontMetrics()
    for t in ticks:
        text = chart.fmt(t)
        if chart.horizontal:
            x = plot.left() + plot.width() * t / top
            p.setPen(GRID)
            p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            p.setPen(AXIS)
            p.drawText(
                QPointF(x - fm.horizontalAdvance(text) / 2, plot.bottom() + fm.ascent() + 2),
                text,
            )
        else:
            y = plot.bottom() - plot.height() * t / top
            p.setPen(GRID)
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(AXIS)
            p.drawText(
                QRectF(0, y - fm.height() / 2, plot.left() - PAD, fm.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                text,
            )
    p.setPen(QPen(AXIS, 1))
    p.drawLine(plot.bottomLeft(), plot.bottomRight())
    p.drawLine(plot.bottomLeft(), plot.topLeft())


def _paint_bars(chart: ChartWidget, p: QPainter, plot: QRectF) -> None:
    fm = chart.fontMetrics()
    elide = chart.elide
    for i, (b, r) in enumerate(zip(chart.bars, chart.bar_rects(), strict=True)):
        p.fillRect(r, BAR_HOVER if i == chart.hover else (b.color or BAR))
        p.setPen(chart.palette().text().color())
        if chart.horizontal:
            label = fm.elidedText(b.label, elide, int(plot.left() - fm.height() - 2 * PAD))
            p.drawText(
                QRectF(
                    fm.height() + PAD, r.top(), plot.left() - fm.height() - 2 * PAD, r.height()
                ),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                label,
            )
        else:
            slot = r.width() / 0.7
            for n, line in enumerate(label_lines(fm, b.label, slot - 4)):
                p.drawText(
                    QRectF(
                        r.center().x() - slot / 2,
                        plot.bottom() + 2 + n * fm.height(),
                        slot,
                        fm.height(),
                    ),
                    Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                    line,
                )


def _curve_point(chart: ChartWidget, plot: QRectF, top: float, i: int) -> QPointF:
    n = len(chart.curve)
    x = plot.left() + plot.width() * (i + 1) / n
    return QPointF(x, plot.bottom() - plot.height() * chart.curve[i] / top)


def _curve_paths(
    chart: ChartWidget, plot: QRectF, top: float
) -> list[tuple[QColor, QPainterPath]]:
    """The curve's two areas (kept, then evicted), built once per curve and geometry.

    Building them is hundreds of calls into Qt, each a moment when a worker may hold
    the interpreter (the window stalled 150 ms repainting it while a table sorted);
    a repaint of the same curve reuses them.
    """
    key = (plot.getRect(), top, chart.first_marked)  # the curve's data: set_curve clears it
    cached = chart.curve_cache
    if cached is not None and cached[0] == key:
        return cached[1]
    n = len(chart.curve)
    step = max(1, n // max(int(plot.width()), 1))  # at most one point per pixel
    left, bottom, width, height = plot.left(), plot.bottom(), plot.width(), plot.height()
    curve = chart.curve
    paths = []
    for color, lo, hi in ((BAR, 0, chart.first_marked), (EVICT, chart.first_marked, n)):
        if hi <= lo:
            continue
        marks = [*range(lo, hi, step), hi - 1]
        xs = [left + width * (i + 1) / n for i in marks]
        points = [QPointF(left + width * lo / n, bottom)]
        points += [
            QPointF(x, bottom - height * curve[i] / top) for x, i in zip(xs, marks, strict=True)
        ]
        points.append(QPointF(xs[-1], bottom))
        path = QPainterPath()
        path.addPolygon(QPolygonF(points))
        path.closeSubpath()
        paths.append((color, path))
    chart.curve_cache = (key, paths)
    return paths


def _paint_curve(chart: ChartWidget, p: QPainter, plot: QRectF, top: float) -> None:
    n = len(chart.curve)
    for color, path in _curve_paths(chart, plot, top):
        fill = QColor(color)
        fill.setAlpha(90)
        p.fillPath(path, fill)
        if color is EVICT:  # a second cue besides the hue: hatching
            p.fillPath(path, QBrush(EVICT, Qt.BrushStyle.BDiagPattern))
        p.setPen(QPen(color, 2))
        p.drawPath(path)
    if chart.threshold is not None:
        y = plot.bottom() - plot.height() * chart.threshold / top
        p.setPen(QPen(EVICT, 1.5, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        label = chart.tr("maximum %s") % chart.fmt(chart.threshold)
        if chart.first_marked < n:
            label += chart.tr(" · hatched: a prune evicts it")
        fm = chart.fontMetrics()
        label = fm.elidedText(label, Qt.TextElideMode.ElideRight, int(plot.width() - 2 * PAD))
        p.drawText(QPointF(plot.left() + PAD, y - 4), label)


def _paint_focus(chart: ChartWidget, p: QPainter, plot: QRectF) -> None:
    p.setPen(QPen(FOCUS, 1.5, Qt.PenStyle.DotLine))
    p.setBrush(Qt.BrushStyle.NoBrush)
    if chart.curve:
        x = _curve_point(chart, plot, 1.0, chart.focus_index).x()
        p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
    elif chart.bars:
        p.drawRect(chart.bar_rects()[chart.focus_index].adjusted(-3, -3, 3, 3))
