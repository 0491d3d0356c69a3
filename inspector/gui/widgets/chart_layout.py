"""Where a chart's parts go, from the font's own metrics: margins, ticks, labels.

Nothing is laid out in fixed pixels: the left margin is the widest tick label
plus the rotated axis title, ticks thin out when their labels would collide,
and bar labels are elided to their slot (the full text stays in the tooltip
and the accessible description).  At 16 pt or 200 % scaling the chart
still shows every title whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics

BAR = QColor("#3d7ab8")
BAR_HOVER = QColor("#5b9bd8")
#: The part a prune evicts: a red that keeps 4.5:1 against white for its text.
EVICT = QColor("#b02a37")
#: Axis text: 5.7:1 on white (WCAG AA for text).
AXIS = QColor("#595959")
GRID = QColor("#e4e4e4")
FOCUS = QColor("#1a1a1a")

PAD = 6


def nice_ticks(top: float, count: int = 4, binary: bool = False) -> list[float]:
    """Round tick values from 0 to at least ``top``.

    With ``binary`` the ticks are round in KiB, MiB, GiB... (what a byte axis
    labels), otherwise in powers of ten.
    """
    if top <= 0:
        return [0.0, 1.0]
    count = max(count, 1)
    if binary:
        unit = 1.0
        while top / unit >= 1024:
            unit *= 1024
        return [t * unit for t in nice_ticks(top / unit, count)]
    raw = top / count
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1.0
    step = 10.0
    for step in (1, 2, 2.5, 5, 10):
        if raw <= step * magnitude:
            break
    size = step * magnitude
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(ticks[-1] + size)
    return ticks


def fitting_ticks(
    top: float,
    length: float,
    fm: QFontMetrics,
    fmt: Callable[[float], str],
    binary: bool,
    along_x: bool,
) -> list[float]:
    """The most ticks (up to 4 intervals) whose labels fit along an axis of ``length`` px."""
    for count in (4, 3, 2, 1):
        ticks = nice_ticks(top, count, binary)
        if along_x:
            need = max(fm.horizontalAdvance(fmt(t)) for t in ticks) + 2 * PAD
        else:
            need = fm.height() + PAD
        if need * (len(ticks) - 1) <= length or count == 1:
            return ticks
    return nice_ticks(top, 1, binary)  # pragma: no cover - the loop always returns


def plot_rect(
    width: float,
    height: float,
    fm: QFontMetrics,
    tick_labels: Sequence[str],
    bar_labels: Sequence[str],
    horizontal: bool,
) -> QRectF:
    """The plotting area inside a chart of ``width`` x ``height``.

    Top: the title.  Bottom: tick or bar labels, then the x-axis title.  Left:
    the y-axis title (rotated) and the widest label beside the y axis (ticks,
    or the bars' names of a horizontal bar chart, at most a quarter of the width).
    """
    line = fm.height()
    beside_y = tick_labels if not horizontal else bar_labels
    widest = max((fm.horizontalAdvance(t) for t in beside_y), default=0)
    left = line + PAD + min(widest, width / 4) + PAD
    below_x = tick_labels if horizontal else ()
    right = PAD + (max((fm.horizontalAdvance(t) for t in below_x), default=0) / 2)
    top = line + 2 * PAD
    # below the x axis: its labels (two lines for a vertical bar's name), then its title
    rows_below = 2 if (bar_labels and not horizontal) else 1
    bottom = (rows_below + 1) * line + 3 * PAD
    return QRectF(left, top, max(width - left - right, 1.0), max(height - top - bottom, 1.0))


def label_lines(fm: QFontMetrics, text: str, width: float) -> list[str]:
    """``text`` in at most two lines of ``width`` px: broken at a space, elided if it must be."""
    if fm.horizontalAdvance(text) <= width:
        return [text]
    words = text.split(" ")
    for cut in range(len(words) - 1, 0, -1):
        first = " ".join(words[:cut])
        if fm.horizontalAdvance(first) <= width:
            rest = " ".join(words[cut:])
            return [first, fm.elidedText(rest, Qt.TextElideMode.ElideRight, int(width))]
    return [fm.elidedText(text, Qt.TextElideMode.ElideRight, int(width))]
