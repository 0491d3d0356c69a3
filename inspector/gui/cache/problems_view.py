"""The Problems view: every disagreement between a cache's metadata and its disk.

What :func:`inspector.core.audit.audit` found, by kind (rows without files,
files without rows, sizes that disagree, …), the warnings about the cache as
a whole, and a Repair… button that previews a plan before anything runs.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.core.audit import AuditReport
from inspector.core.problems import PROBLEM_KINDS, Problem
from inspector.gui.widgets.labels import ValueLabel

Index = QModelIndex | QPersistentModelIndex


class ProblemsModel(QAbstractTableModel):
    COLUMNS = ("Kind", "ID", "State", "Detail")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[Problem] = []

    def set_problems(self, problems: list[Problem]) -> None:
        self.beginResetModel()
        self.rows = problems
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        p = self.rows[index.row()]
        values = (str(p.kind), p.id, str(p.state) if p.state else "", p.detail)
        return values[index.column()]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(self.COLUMNS[section])
        return None


class ProblemsView(QWidget):
    """One audit's problems and warnings; asks for an audit and for a repair."""

    audit_requested = Signal()
    repair_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Problems"))
        self.report: AuditReport | None = None
        self.stale = True
        self.summary = ValueLabel(self.tr("Audit summary"), self.tr("Not audited yet."))
        self.summary.setWordWrap(True)
        self.warnings = ValueLabel(self.tr("Warnings about the cache"))
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("QLabel { color: #664d03; }")
        self.kind = QComboBox()
        self.kind.setAccessibleName(self.tr("Show problems of kind"))
        self.kind.currentIndexChanged.connect(self._show_kind)
        kind_label = QLabel(self.tr("&Kind:"))
        kind_label.setBuddy(self.kind)
        self.again = QPushButton(self.tr("&Audit Again"))
        self.again.clicked.connect(self.audit_requested)
        self.repair = QPushButton(self.tr("Re&pair…"))
        self.repair.setToolTip(self.tr("Preview a repair plan; nothing runs before you confirm"))
        self.repair.clicked.connect(self.repair_requested)
        self.model = ProblemsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Problems found"))
        self.table.setTabKeyNavigation(False)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        row = QHBoxLayout()
        row.addWidget(kind_label)
        row.addWidget(self.kind, 1)
        row.addWidget(self.again)
        row.addWidget(self.repair)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.warnings)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        self.warnings.hide()
        self.set_can_repair(False)

    def set_can_repair(self, can: bool) -> None:
        self.repair.setEnabled(can and self.report is not None and not self.report.clean)

    def show_report(self, report: AuditReport) -> None:
        self.report = report
        self.stale = False
        if report.clean:
            self.summary.setText(self.tr("No problems: the metadata and the disk agree."))
        else:
            counts = ", ".join(f"{n:,} {kind}" for kind, n in report.counts().items())
            self.summary.setText(
                self.tr("%s problems: %s.") % (f"{len(report.problems):,}", counts)
            )
        self.warnings.setVisible(bool(report.warnings))
        self.warnings.setText("\n".join(report.warnings))
        current = self.kind.currentData()
        self.kind.blockSignals(True)
        self.kind.clear()
        self.kind.addItem(self.tr("All kinds (%s)") % f"{len(report.problems):,}", None)
        for kind in PROBLEM_KINDS:
            n = len(report.of_kind(kind))
            if n:
                self.kind.addItem(f"{kind} ({n:,})", kind)
        found = self.kind.findData(current)
        self.kind.setCurrentIndex(max(found, 0))
        self.kind.blockSignals(False)
        self._show_kind()

    def _show_kind(self) -> None:
        if self.report is None:
            return
        kind = self.kind.currentData()
        problems = list(self.report.problems if kind is None else self.report.of_kind(kind))
        self.model.set_problems(problems)

    def title(self) -> str:
        if self.report is None or self.stale:
            return self.tr("Problems")
        return self.tr("Problems (%s)") % f"{len(self.report.problems):,}"
