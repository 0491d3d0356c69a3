"""What screen readers are told about the widgets Qt cannot describe on its own.

A chart is a chart (its role), and its value is the mark that has the focus
("Largest images, 1 of 10: 50ec8b58-…, 889.5 MiB"); the usage meter's value is
the share of the maximum in use, past 100 % too ("125 %"), where a progress
bar would stop at its maximum.  Installed once per process, by the window.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAccessible, QAccessibleInterface
from PySide6.QtWidgets import QAccessibleWidget, QProgressBar, QWidget

_installed = False


class UsageMeter(QProgressBar):
    """Cached bytes against the maximum; says its share even past 100 %."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.share_text = ""

    def set_share(self, permille: int, text: str, share: str) -> None:
        self.setValue(min(self.maximum(), permille))
        self.setFormat(text)
        self.share_text = share
        self.setAccessibleDescription(text)


class _UsageAccessible(QAccessibleWidget):
    def __init__(self, widget: UsageMeter) -> None:
        super().__init__(widget, QAccessible.Role.ProgressBar)
        self.meter = widget

    def text(self, t: QAccessible.Text) -> str:
        if t == QAccessible.Text.Value:
            return self.meter.share_text
        return str(super().text(t))


class _ChartAccessible(QAccessibleWidget):
    def __init__(self, widget: Any) -> None:
        super().__init__(widget, QAccessible.Role.Chart)
        self.chart = widget

    def text(self, t: QAccessible.Text) -> str:
        if t == QAccessible.Text.Value:
            chart = self.chart
            return str(chart.mark_text(chart.focus_index)) if chart.marks() else ""
        return str(super().text(t))


def _factory(key: str, obj: QObject) -> QAccessibleInterface | None:
    from inspector.gui.widgets.charts import ChartWidget

    if isinstance(obj, ChartWidget):
        return _ChartAccessible(obj)
    if isinstance(obj, UsageMeter):
        return _UsageAccessible(obj)
    return None


def install() -> None:
    """Put the program's accessible interfaces in place (once)."""
    global _installed
    if not _installed:
        QAccessible.installFactory(_factory)
        _installed = True
