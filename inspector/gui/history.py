"""The History window: every change the inspector made, from the journal.

Who evicted what, when, and with which outcome: one row a change (CLI or
window), its entries below.  The journal is read off the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt, Slot
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.core import journal
from inspector.core.journal import JournalReading, JournalRecord
from inspector.gui.widgets.labels import ValueLabel
from inspector.gui.workers import Runner, Task
from inspector.report import formatting

COLUMNS = ("Time (UTC)", "User", "Host", "Cache", "Action", "Done", "Failed", "Freed", "Outcome")


def outcome(rec: JournalRecord) -> str:
    if rec.error:
        return f"stopped: {rec.error}"
    if rec.cancelled:
        return "stopped by the user"
    return "failures" if rec.failed else "ok"


class HistoryWindow(QDialog):
    """The journal, newest first, filterable; the entries of the chosen change below."""

    def __init__(self, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("History of Changes"))
        self.resize(1000, 560)
        self.runner = runner
        self.records: list[JournalRecord] = []
        self.summary = ValueLabel(self.tr("Journal"), self.tr("Reading the journal…"))
        self.summary.setWordWrap(True)
        self.filter = QLineEdit()
        self.filter.setAccessibleName(self.tr("Filter the history"))
        self.filter.setPlaceholderText(self.tr("cache, action, user or host"))
        label = QLabel(self.tr("F&ilter:"))
        label.setBuddy(self.filter)
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName(self.tr("Changes"))
        self.table.setSortingEnabled(True)
        self.table.setTabKeyNavigation(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._show_entries)
        self.entries = QListWidget()
        self.entries.setAccessibleName(self.tr("Entries of the chosen change"))
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.entries)
        split.setStretchFactor(0, 3)
        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(self.filter, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(row)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        runner.result.connect(self._result)
        runner.error.connect(self._error)
        self._task: Task | None = None

    @classmethod
    def show_for(
        cls, runner: Runner, parent: QWidget, window: HistoryWindow | None
    ) -> HistoryWindow:
        """Show the History window (made once per main window), read afresh."""
        if window is None:
            window = cls(runner, parent)
        window.load()
        window.show()
        window.raise_()
        return window

    def load(self) -> None:
        """Read the journal again, off the GUI thread."""
        self._task = Task(self.tr("Reading the journal"), lambda _: journal.read_journal())
        self.runner.submit(self._task)

    @Slot(object, object)
    def _result(self, task: Task, value: object) -> None:
        if task is not self._task or not isinstance(value, JournalReading):
            return
        self.records = list(reversed(value.records))
        self.model.setRowCount(0)
        for rec in self.records:
            values = (
                rec.time,
                rec.user,
                rec.host,
                rec.source,
                rec.action,
                f"{rec.done:,}",
                f"{rec.failed:,}",
                formatting.size(rec.bytes),
                outcome(rec),
            )
            self.model.appendRow([QStandardItem(v) for v in values])
        self.table.resizeColumnsToContents()
        text = self.tr("%s changes in %s.") % (f"{len(self.records):,}", value.path)
        if value.damaged_lines:
            text += " " + self.tr("%s damaged lines were skipped.") % len(value.damaged_lines)
        if not self.records:
            text = self.tr("No changes recorded yet (the journal is %s).") % value.path
        self.summary.setText(text)

    @Slot(object, str)
    def _error(self, task: Task, message: str) -> None:
        if task is self._task:
            self.summary.setText(self.tr("The journal cannot be read: %s") % message)

    @Slot()
    def _show_entries(self) -> None:
        self.entries.clear()
        index = self.proxy.mapToSource(self.table.currentIndex())
        if not index.isValid():
            return
        rec = self.records[index.row()]
        for e in rec.entries:
            why = f" — {e.reason}" if e.reason else ""
            self.entries.addItem(
                f"{e.outcome}: {e.id} ({e.state}, {formatting.size(e.bytes)}){why}"
            )
