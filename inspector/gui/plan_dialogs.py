"""Prune and Clean: the plan, updated as its setting changes, before anything runs."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.core import CacheDriver, Entry, State
from inspector.core.actions import JobResult, Plan, plan_clean, plan_prune
from inspector.core.drivers.fsops import check_image_id
from inspector.core.errors import InvalidImageIdError
from inspector.core.units import parse_duration, parse_size
from inspector.report import formatting

#: The list shows at most this many entries; the totals always count them all.
SHOWN = 2000


class PlanDialog(QDialog):
    """A setting, the entries it would remove, and a button naming count and bytes."""

    accepted_plan = Signal(object)

    def __init__(self, title: str, field_label: str, value: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(640, 480)
        self.plan: Plan | None = None
        self.edit = QLineEdit(value)
        self.edit.setAccessibleName(field_label.replace("&", "").rstrip(":"))
        self.edit.textChanged.connect(self._replan)
        form = QFormLayout()
        form.addRow(field_label, self.edit)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName(self.tr("What would be removed"))
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Entries that would be removed"))
        self.list.setAlternatingRowColors(True)
        self.buttons = QDialogButtonBox()
        self.go = QPushButton()
        self.go.setDefault(False)
        self.buttons.addButton(self.go, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._go)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.buttons)

    def make_plan(self, text: str) -> Plan:
        raise NotImplementedError

    def verb(self) -> str:
        raise NotImplementedError

    def describe(self, plan: Plan) -> str:
        raise NotImplementedError

    @Slot()
    def _replan(self) -> None:
        try:
            plan = self.make_plan(self.edit.text())
        except ValueError as exc:
            self.plan = None
            self.summary.setText(str(exc))
            self.edit.setStyleSheet("QLineEdit { border: 1px solid #d9534f; }")
            self.go.setEnabled(False)
            self.go.setText(self.verb())
            self.list.clear()
            return
        self.edit.setStyleSheet("")
        self.plan = plan
        self.summary.setText(self.describe(plan))
        self.list.clear()
        for e in plan.entries[:SHOWN]:
            if e.state is State.CACHED:
                when = _tr("last accessed %s") % formatting.ago(e.last_accessed)
            else:
                when = _tr("written %s") % formatting.ago(e.last_modified)
            self.list.addItem(f"{e.id}    {formatting.size(e.size)}    {e.state}, {when}")
        if len(plan.entries) > SHOWN:
            self.list.addItem(self.tr("… and %s more") % f"{len(plan.entries) - SHOWN:,}")
        n = len(plan.entries)
        self.go.setEnabled(n > 0)
        self.go.setText(
            f"{self.verb()} {n:,} {'entry' if n == 1 else 'entries'} "
            f"({formatting.size(plan.bytes_freed)})"
            if n
            else self.verb()
        )

    @Slot()
    def _go(self) -> None:
        if self.plan is not None and self.plan.entries:
            self.accepted_plan.emit(self.plan)
            self.accept()


class PruneDialog(PlanDialog):
    def __init__(
        self, cache: CacheDriver, entries: Sequence[Entry], max_size: int, parent: Any = None
    ) -> None:
        self.cache = cache
        self.entries = entries
        super().__init__(
            _tr("Prune the Cache"),
            _tr("&Target size:"),
            formatting.size(max_size).replace(" ", ""),
            parent,
        )
        self.edit.setToolTip(self.tr("Evict least recently accessed images until this size"))
        self._replan()

    def make_plan(self, text: str) -> Plan:
        return plan_prune(self.cache, self.entries, parse_size(text))

    def verb(self) -> str:
        return self.tr("Prune")

    def describe(self, plan: Plan) -> str:
        if not plan.entries:
            return self.tr("The cache holds %s: not over %s, nothing to evict.") % (
                formatting.size(plan.total_before),
                formatting.size(plan.target or 0),
            )
        return self.tr(
            "Evicts %s least recently accessed images, freeing %s: the cache goes from %s to %s."
        ) % (
            f"{len(plan.entries):,}",
            formatting.size(plan.bytes_freed),
            formatting.size(plan.total_before),
            formatting.size(plan.total_after),
        )


class CleanDialog(PlanDialog):
    def __init__(self, entries: Sequence[Entry], stall_time: float, parent: Any = None) -> None:
        self.entries = entries
        self.now = time.time()
        super().__init__(
            _tr("Clean the Cache"),
            _tr("&Stall time:"),
            formatting.duration_spec(stall_time),
            parent,
        )
        self.edit.setToolTip(self.tr("Incomplete downloads older than this are stalled"))
        self._replan()

    def make_plan(self, text: str) -> Plan:
        return plan_clean(self.entries, parse_duration(text), self.now)

    def verb(self) -> str:
        return self.tr("Clean")

    def describe(self, plan: Plan) -> str:
        invalid = sum(1 for e in plan.entries if e.state is State.INVALID)
        stalled = len(plan.entries) - invalid
        if not plan.entries:
            return self.tr("No invalid entries and no stalled downloads: nothing to clean.")
        return self.tr("Removes %s invalid entries and %s stalled downloads, freeing %s.") % (
            f"{invalid:,}",
            f"{stalled:,}",
            formatting.size(plan.bytes_freed),
        )


def _tr(text: str) -> str:
    return QCoreApplication.translate("PlanDialog", text)


def describe(entries: Sequence[Entry]) -> str:
    """``3 entries (1.2 GiB)``: what a confirmation names."""
    n = len(entries)
    size = sum(e.size for e in entries)
    noun = _tr("entry") if n == 1 else _tr("entries")
    return f"{n:,} {noun} ({formatting.size(size)})"


def summarize_result(result: JobResult) -> str:
    """One sentence: entries done, bytes freed, failures, interruption."""
    verb = {
        "queue": _tr("Queued"),
        "requeue": _tr("Requeued"),
        "prune": _tr("Pruned"),
        "clean": _tr("Cleaned"),
        "export": _tr("Exported"),
    }.get(result.action, _tr("Deleted"))
    text = _tr("%s %s of %s entries") % (verb, f"{result.done:,}", f"{result.total:,}")
    if result.bytes_freed:
        text += _tr(", freeing %s") % formatting.size(result.bytes_freed)
    if result.gone:
        text += _tr(" (%s were already gone)") % f"{result.gone:,}"
    text += "."
    if result.failures:
        text += " " + _tr("%s failed: see the details.") % f"{len(result.failures):,}"
    if result.cancelled:
        text += " " + _tr("Stopped before the end: the rest was left alone.")
    return text


class QueueDialog(QDialog):
    """Image ids to queue, one per line, checked as they are typed."""

    ids_chosen = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_tr("Queue Images"))
        self.resize(520, 360)
        self.text = QPlainTextEdit()
        self.text.setAccessibleName(_tr("Image ids to queue"))
        self.text.setPlaceholderText(_tr("One image id per line"))
        self.text.textChanged.connect(self._check)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(_tr("Queue"))
        self.buttons.accepted.connect(self._go)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_tr("Glance refuses ids already cached, being cached or queued.")))
        layout.addWidget(self.text, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.ids: list[str] = []
        self._check()

    @Slot()
    def _check(self) -> None:
        lines = [line.strip() for line in self.text.toPlainText().splitlines() if line.strip()]
        problems = []
        for line in lines:
            try:
                check_image_id(line)
            except InvalidImageIdError as exc:
                problems.append(str(exc))
        self.ids = list(dict.fromkeys(lines))
        self.ok.setEnabled(bool(lines) and not problems)
        if problems:
            self.status.setText("\n".join(problems[:5]))
            self.status.setStyleSheet("QLabel { color: #b02a37; }")
        else:
            self.status.setText(_tr("%s id(s) to queue") % len(self.ids) if lines else "")
            self.status.setStyleSheet("")

    @Slot()
    def _go(self) -> None:
        if self.ok.isEnabled():
            self.ids_chosen.emit(self.ids)
            self.accept()
