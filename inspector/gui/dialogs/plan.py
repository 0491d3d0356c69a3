"""Prune and Clean: the plan, updated as its setting changes, before anything runs.

Enter in the field only updates the preview: nothing runs without the
button that names what goes.  A plan that removes everything, or more than
the preview showed a moment before (a last keystroke that grew it), asks
once more, naming it.  The plan that runs is exactly the one shown when the
button was pressed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.core import CacheDriver, Entry, State
from inspector.core.actions import Plan, plan_clean, plan_prune
from inspector.core.units import parse_duration, parse_size
from inspector.gui.dialogs.result import describe, tr
from inspector.report import formatting

#: The list shows at most this many entries; the totals always count them all.
SHOWN = 2000
#: A plan that grew within this many seconds before the button was pressed asks again.
GREW_RECENTLY_S = 1.5


class PlanDialog(QDialog):
    """A setting, the entries it would remove, and a button naming count and bytes."""

    accepted_plan = Signal(object)

    def __init__(
        self,
        title: str,
        field_label: str,
        value: str,
        parent: QWidget | None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(640, 480)
        self.plan: Plan | None = None
        self._shown: list[tuple[float, int]] = []  # (when, entries) of each plan previewed
        self.edit = QLineEdit(value)
        self.edit.setAccessibleName(field_label.replace("&", "").rstrip(":"))
        self.edit.textChanged.connect(self._replan)
        self.edit.installEventFilter(self)
        form = QFormLayout()
        form.addRow(field_label, self.edit)
        self.form = form
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName(self.tr("What would be removed"))
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Entries that would be removed"))
        self.list.setAlternatingRowColors(True)
        self.buttons = QDialogButtonBox()
        self.go = QPushButton()
        self.buttons.addButton(self.go, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        for button in (self.go, cancel):
            # No default button: Enter must never run a destructive plan.
            button.setAutoDefault(False)
            button.setDefault(False)
        self.buttons.accepted.connect(self._go)
        self.buttons.rejected.connect(self.reject)
        self.again: QMessageBox | None = None
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.buttons)

    def make_plan(self, text: str) -> Plan:
        raise NotImplementedError

    def verb(self) -> str:
        raise NotImplementedError

    def describe_plan(self, plan: Plan) -> str:
        raise NotImplementedError

    def takes_everything(self, plan: Plan) -> bool:
        """Whether ``plan`` removes all it could (the whole cache, every download)."""
        raise NotImplementedError

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            isinstance(watched, QLineEdit)
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self._replan()  # Enter updates the preview, and does nothing else
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()  # QDialog would press a default button: there is none to press
            return
        super().keyPressEvent(event)

    @Slot()
    def _replan(self) -> None:
        try:
            plan = self.make_plan(self.edit.text())
        except ValueError as exc:
            self.plan = None
            self.summary.setText(str(exc))
            self.summary.setAccessibleDescription(str(exc))
            self.edit.setStyleSheet("QLineEdit { border: 1px solid #d9534f; }")
            self.go.setEnabled(False)
            self.go.setText(self.verb())
            self.list.clear()
            return
        self.edit.setStyleSheet("")
        if self.plan is None or plan.entries != self.plan.entries:
            self._shown.append((time.monotonic(), len(plan.entries)))
        self.plan = plan
        text = self.describe_plan(plan)
        self.summary.setText(text)
        self.summary.setAccessibleDescription(text)
        self.list.clear()
        for e in plan.entries[:SHOWN]:
            if e.state is State.CACHED:
                when = tr("last accessed %s") % formatting.ago(e.last_accessed)
            else:
                when = tr("written %s") % formatting.ago(e.last_modified)
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

    def _needs_asking_again(self, plan: Plan) -> str | None:
        """Why this plan must be confirmed once more (None: the button was enough)."""
        n = len(plan.entries)
        if self.takes_everything(plan):
            return self.tr("This removes every entry it could: %s.") % describe(plan.entries)
        if len(self._shown) >= 2:
            before, (now_at, _) = self._shown[-2][1], self._shown[-1]
            if n > before and time.monotonic() - now_at < GREW_RECENTLY_S:
                return self.tr("The plan grew a moment ago, from %s to %s entries: %s.") % (
                    f"{before:,}",
                    f"{n:,}",
                    describe(plan.entries),
                )
        return None

    @Slot()
    def _go(self) -> None:
        plan = self.plan
        if plan is None or not plan.entries:
            return
        why = self._needs_asking_again(plan)
        if why is None:
            self._accept(plan)
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.windowTitle())
        box.setText(why)
        box.setInformativeText(self.tr("Run it anyway?"))
        yes = box.addButton(self.verb(), QMessageBox.ButtonRole.DestructiveRole)
        no = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(no)
        box.setEscapeButton(no)

        def answered(_: int) -> None:
            if box.clickedButton() is yes:
                self._accept(plan)

        box.finished.connect(answered)
        box.open()
        self.again = box

    def _accept(self, plan: Plan) -> None:
        self.accepted_plan.emit(plan)
        self.accept()


class PruneDialog(PlanDialog):
    """Glance's LRU prune to a size, or Filetracker's cleaner (a limit and a level kept)."""

    def __init__(
        self,
        cache: CacheDriver,
        entries: Sequence[Entry],
        max_size: int,
        parent: QWidget | None = None,
    ) -> None:
        self.cache = cache
        self.entries = entries
        self.newest_kept = cache.capabilities.prune_rule == "newest-kept"
        self.level: QLineEdit | None = None
        super().__init__(
            tr("Prune the Cache"),
            tr("&Limit:") if self.newest_kept else tr("&Target size:"),
            formatting.size(max_size).replace(" ", ""),
            parent,
        )
        if self.newest_kept:
            level = cache.options.cleaning_level
            self.level = QLineEdit(f"{50 if level is None else level:g}")
            self.level.setAccessibleName(self.tr("Cleaning level, percent of the limit"))
            self.level.setToolTip(
                self.tr("The newest files are kept while they stay below this share of the limit")
            )
            self.level.textChanged.connect(self._replan)
            self.level.installEventFilter(self)
            self.form.addRow(self.tr("Cleaning le&vel (%):"), self.level)
            self.edit.setToolTip(self.tr("The store's size limit (the cleaner's -s)"))
        else:
            self.edit.setToolTip(self.tr("Evict least recently accessed images until this size"))
        self._replan()

    def make_plan(self, text: str) -> Plan:
        level = None
        if self.level is not None:
            try:
                level = float(self.level.text())
            except ValueError:
                raise ValueError(self.tr("The cleaning level is a percentage.")) from None
            if not 0 <= level <= 100:
                raise ValueError(self.tr("The cleaning level is from 0 to 100 %."))
        return plan_prune(self.cache, self.entries, parse_size(text), level)

    def takes_everything(self, plan: Plan) -> bool:
        cached = sum(1 for e in self.entries if e.state is State.CACHED)
        return len(plan.entries) >= cached

    def verb(self) -> str:
        return self.tr("Prune")

    def describe_plan(self, plan: Plan) -> str:
        if not plan.entries:
            return self.tr("The cache holds %s: not over %s, nothing to evict.") % (
                formatting.size(plan.total_before),
                formatting.size(plan.target or 0),
            )
        if self.newest_kept:
            text = self.tr(
                "Deletes %s files, oldest first, freeing %s on disk (%s as the store counts "
                "it): the newest are kept below %s."
            ) % (
                f"{len(plan.entries):,}",
                formatting.size(plan.bytes_freed),
                formatting.size(plan.bytes_removed),
                formatting.size(int(plan.keep_below or 0)),
            )
            if plan.locked:
                text += " " + self.tr("%s in use by a client now would be skipped.") % (
                    f"{len(plan.locked):,}"
                )
            return text
        return self.tr(
            "Evicts %s least recently accessed images, freeing %s: the cache goes from %s to %s."
        ) % (
            f"{len(plan.entries):,}",
            formatting.size(plan.bytes_freed),
            formatting.size(plan.total_before),
            formatting.size(plan.total_after),
        )


class CleanDialog(PlanDialog):
    def __init__(
        self, entries: Sequence[Entry], stall_time: float, parent: QWidget | None = None
    ) -> None:
        self.entries = entries
        self.now = time.time()
        super().__init__(
            tr("Clean the Cache"),
            tr("&Stall time:"),
            formatting.duration_spec(stall_time),
            parent,
        )
        self.edit.setToolTip(self.tr("Incomplete downloads older than this are stalled"))
        self._replan()

    def make_plan(self, text: str) -> Plan:
        return plan_clean(self.entries, parse_duration(text), self.now)

    def takes_everything(self, plan: Plan) -> bool:
        # Every download in flight counted as stalled (a stall time of 0, say).
        incomplete = sum(1 for e in self.entries if e.state is State.INCOMPLETE)
        taken = sum(1 for e in plan.entries if e.state is State.INCOMPLETE)
        return incomplete > 0 and taken == incomplete

    def verb(self) -> str:
        return self.tr("Clean")

    def describe_plan(self, plan: Plan) -> str:
        invalid = sum(1 for e in plan.entries if e.state is State.INVALID)
        stalled = len(plan.entries) - invalid
        if not plan.entries:
            return self.tr("No invalid entries and no stalled downloads: nothing to clean.")
        return self.tr("Removes %s invalid entries and %s stalled downloads, freeing %s.") % (
            f"{invalid:,}",
            f"{stalled:,}",
            formatting.size(plan.bytes_freed),
        )
