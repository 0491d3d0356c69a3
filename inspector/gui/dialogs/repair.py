"""Repair: the plan per kind of problem, chosen and previewed before anything runs."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QListWidget,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from inspector.core.audit import AuditReport
from inspector.core.problems import ProblemKind
from inspector.core.repair import Fix, RepairPlan, Untracked, plan_repair
from inspector.gui.widgets.labels import ValueLabel
from inspector.report import formatting

#: The list shows at most this many steps; the button counts them all.
SHOWN = 2000


class RepairDialog(QDialog):
    """Choose what happens to files without rows; see every step; run it with the button."""

    accepted_plan = Signal(object)  # RepairPlan

    def __init__(self, report: AuditReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Repair the Cache"))
        self.resize(680, 520)
        self.report = report
        self.plan: RepairPlan = plan_repair(report)
        untracked = len(report.of_kind(ProblemKind.FILE_WITHOUT_ROW))
        box = QGroupBox(self.tr("Files without metadata (%s)") % f"{untracked:,}")
        self.choices = QButtonGroup(self)
        layout = QVBoxLayout(box)
        for n, (choice, text) in enumerate(
            (
                (Untracked.LEAVE, self.tr("&Leave them alone")),
                (Untracked.ADOPT, self.tr("&Adopt them: record them as the service does")),
                (Untracked.DELETE, self.tr("&Delete them")),
            )
        ):
            button = QRadioButton(text)
            button.setProperty("choice", str(choice))
            button.setChecked(n == 0)
            self.choices.addButton(button, n)
            layout.addWidget(button)
        box.setEnabled(untracked > 0)
        self.choices.idToggled.connect(self._replan)
        self.summary = ValueLabel(self.tr("What the repair does"))
        self.summary.setWordWrap(True)
        self.steps = QListWidget()
        self.steps.setAccessibleName(self.tr("Repair steps"))
        self.left_alone = QListWidget()
        self.left_alone.setAccessibleName(self.tr("Problems left alone"))
        self.left_alone.setMaximumHeight(self.fontMetrics().height() * 6)
        self.go = QPushButton()
        self.go.setAutoDefault(False)
        buttons = QDialogButtonBox()
        buttons.addButton(self.go, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAutoDefault(False)
        buttons.accepted.connect(self._go)
        buttons.rejected.connect(self.reject)
        outer = QVBoxLayout(self)
        outer.addWidget(box)
        outer.addWidget(self.summary)
        outer.addWidget(self.steps, 1)
        outer.addWidget(QLabel(self.tr("Left alone:")))
        outer.addWidget(self.left_alone)
        outer.addWidget(buttons)
        self._show()

    def untracked(self) -> Untracked:
        button = self.choices.checkedButton()
        return Untracked(str(button.property("choice"))) if button else Untracked.LEAVE

    @Slot(int, bool)
    def _replan(self, _id: int, checked: bool) -> None:
        if checked:
            self.plan = plan_repair(self.report, self.untracked())
            self._show()

    def _show(self) -> None:
        plan = self.plan
        counts = [f"{len(plan.of_fix(fix)):,} × {fix}" for fix in Fix if plan.of_fix(fix)]
        if plan.steps:
            text = self.tr("%s step(s): %s.") % (f"{len(plan.steps):,}", ", ".join(counts))
            if plan.bytes_freed:
                text += " " + self.tr("Frees %s.") % formatting.size(plan.bytes_freed)
        else:
            text = self.tr("Nothing to repair with these choices.")
        self.summary.setText(text)
        self.steps.clear()
        for step in plan.steps[:SHOWN]:
            self.steps.addItem(f"{step.fix}: {step.problem.id} — {step.describe()}")
        if len(plan.steps) > SHOWN:
            self.steps.addItem(self.tr("… and %s more") % f"{len(plan.steps) - SHOWN:,}")
        self.left_alone.clear()
        for problem, why in plan.left_alone[:SHOWN]:
            self.left_alone.addItem(f"{problem.kind}: {problem.id} — {why}")
        n = len(plan.steps)
        self.go.setEnabled(n > 0)
        self.go.setText(self.tr("Repair %s entries") % f"{n:,}" if n else self.tr("Repair"))

    @Slot()
    def _go(self) -> None:
        if self.plan.steps:
            self.accepted_plan.emit(self.plan)
            self.accept()
