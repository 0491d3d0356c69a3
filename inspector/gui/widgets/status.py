"""The status bar's widgets, each its own small class (as qutebrowser's status bar).

:class:`SelectionLabel` says what the current table shows and selects;
:class:`ReadingIndicator` shows a reading in progress with Cancel;
:class:`JobIndicator` shows a running change with its progress and Stop.
The window connects them to the controller; they know nothing of caches.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStatusBar,
    QWidget,
)


class SelectionLabel(QLabel):
    """``3 selected, 1.2 GiB · 60 of 60 shown``, or what the Statistics tab shows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Selection"))

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setAccessibleDescription(text)


class _Indicator(QWidget):
    """A label, a progress bar and a button, shown only while something runs."""

    #: The button was pressed: stop the work.
    stop_requested = Signal()

    def __init__(self, button: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(200)
        self.progress.setAccessibleName(name)
        self.button = QPushButton(button)
        self.button.clicked.connect(self.stop_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.progress)
        layout.addWidget(self.button)
        self.running = False
        self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.progress.setVisible(running)
        self.button.setVisible(running)
        self.button.setEnabled(True)

    def show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1) if total else 0)
        if total:
            self.progress.setValue(done)
            self.progress.setFormat(f"{done:,} / {total:,}")


class ReadingIndicator(_Indicator):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Cancel"), self.tr("Reading the cache"), parent)
        self.button.setAccessibleName(self.tr("Cancel reading the cache"))
        self.progress.setMaximumWidth(160)
        self.progress.setRange(0, 0)

    def started(self) -> None:
        self.label.setText(self.tr("Reading…"))
        self._set_running(True)

    def counted(self, count: int) -> None:
        self.label.setText(self.tr("Reading… %s entries") % f"{count:,}")

    def ended(self, how: str) -> None:
        """``read``, ``failed`` or ``cancelled``."""
        self._set_running(False)
        if how == "read":
            self.label.setText(
                self.tr("Read %s") % datetime.now().astimezone().strftime("%H:%M:%S")
            )
        elif how == "failed":
            self.label.setText(self.tr("Read failed"))
        else:
            self.label.setText(self.tr("Reading cancelled"))


class JobIndicator(_Indicator):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Stop"), self.tr("Job progress"), parent)
        self.label.setAccessibleName(self.tr("Running job"))
        self.button.setAccessibleName(self.tr("Stop the running job"))
        self.button.setToolTip(self.tr("Stops between entries; what is done stays done"))
        self.button.clicked.connect(self._stopping)
        self.setVisible(False)

    def started(self, title: str) -> None:
        self.label.setText(title + "…")
        self.progress.setRange(0, 0)
        self._set_running(True)
        self.setVisible(True)

    def ended(self) -> None:
        self._set_running(False)
        self.setVisible(False)

    @Slot()
    def _stopping(self) -> None:
        self.button.setEnabled(False)
        self.label.setText(self.tr("Stopping…"))


class StatusWidgets:
    """The status bar's parts, put in place: the selection left, the work right."""

    def __init__(self, bar: QStatusBar) -> None:
        self.selection = SelectionLabel()
        self.reading = ReadingIndicator()
        self.job = JobIndicator()
        bar.addWidget(self.selection, 1)
        bar.addPermanentWidget(self.job)
        bar.addPermanentWidget(self.reading)

    def parts(self) -> tuple[SelectionLabel, ReadingIndicator, JobIndicator]:
        return self.selection, self.reading, self.job
