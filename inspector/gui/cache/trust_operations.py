"""Trusting a cache from the window: verify checksums, repair, export and import records.

The same core as the CLI's ``verify``, ``audit --repair``, ``export`` and
``import``; each runs as the cache's job (with progress and Stop), and each
change is previewed first and lands in the journal.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QWidget

from inspector.core import Action, State, repair, verify
from inspector.core.audit import AuditReport
from inspector.core.metadata_records import load_record, plan_restore, restore, write_record
from inspector.core.repair import RepairPlan
from inspector.core.verify import HashProgress, VerifyReport
from inspector.gui.cache.controller import CacheController
from inspector.gui.cache.operations import Operations
from inspector.gui.cache.page import CachePage
from inspector.gui.dialogs.confirm import ConfirmBox
from inspector.gui.dialogs.repair import RepairDialog
from inspector.gui.dialogs.result import describe
from inspector.gui.dialogs.verify import VerifyDialog, VerifyResultDialog
from inspector.gui.workers import Reporter
from inspector.report import formatting


def hash_note(p: HashProgress) -> str:
    """``312.5 MiB/s, 2 minutes left``."""
    rate = formatting.size(int(p.rate)) + "/s"
    left = p.time_left
    return rate if left is None else f"{rate}, {formatting.duration(left)} left"


class TrustOperations(QObject):
    """Verify, Repair, Export and Import Metadata Record."""

    note = Signal(str)

    def __init__(
        self, page: CachePage, controller: CacheController, ops: Operations, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.page, self.controller, self.ops, self.window = page, controller, ops, parent
        controller.job_finished.connect(self._finished)

    # -- verify ----------------------------------------------------------------

    @Slot()
    def verify_selected(self) -> None:
        """Verify the selected cached images, or all of them when none is selected."""
        reading = self.controller.reading
        if reading is None or self.controller.busy:
            return
        selected = [
            e for e in self.page.current_view().selected_entries() if e.state is State.CACHED
        ]
        entries = selected or [e for e in reading.snapshot.entries if e.state is State.CACHED]
        if not entries:
            return
        dialog = VerifyDialog(entries, self.window)
        dialog.chosen.connect(lambda path: self._verify(entries, path or None))
        dialog.open()
        self.ops.dialog = dialog

    def _verify(self, entries: list, checksum_file: str | None) -> None:  # type: ignore[type-arg]
        reading = self.controller.reading
        assert reading is not None
        driver = reading.driver

        def run(r: Reporter) -> VerifyReport:
            origins = verify.sources_for(driver, entries, checksum_file)

            def progress(p: HashProgress) -> bool:
                r.say(hash_note(p))
                return r.progress(p.bytes_done, p.bytes_total)

            return verify.verify(driver, entries, origins, progress)

        if not self.controller.run_work(self.tr("Verifying"), run):
            self.note.emit(self.tr("Another job is still running."))

    # -- repair ----------------------------------------------------------------

    @Slot()
    def repair(self) -> None:
        report = self.page.problems_view.report
        driver = self.ops.driver()
        if report is None or driver is None or report.clean or not self.ops.can(Action.REPAIR):
            return
        dialog = RepairDialog(report, self.window)
        dialog.accepted_plan.connect(self._repair)
        dialog.open()
        self.ops.dialog = dialog

    def _repair(self, plan: RepairPlan) -> None:
        driver = self.ops.driver()
        assert driver is not None
        self.controller.run_job(self.tr("Repairing"), lambda p: repair.repair(driver, plan, p))

    def report_changed(self, report: AuditReport) -> None:
        self.page.problems_view.set_can_repair(self.ops.can(Action.REPAIR))

    # -- metadata records --------------------------------------------------------

    @Slot()
    def choose_export_record(self) -> None:
        if self.controller.reading is None:
            return
        dialog = QFileDialog(self.window, self.tr("Export Metadata Record"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(self.tr("Metadata records (*.json)"))
        dialog.setDefaultSuffix("json")
        dialog.selectFile("cache-record.json")
        dialog.fileSelected.connect(self.export_record)
        dialog.open()
        self.ops.dialog = dialog

    @Slot(str)
    def export_record(self, path: str) -> None:
        reading = self.controller.reading
        assert reading is not None

        def run(r: Reporter) -> str:
            started = time.monotonic()
            n = write_record(reading, Path(path))
            return self.tr("Wrote the metadata of %s entries to %s in %.1f s.") % (
                f"{n:,}",
                path,
                time.monotonic() - started,
            )

        if not self.controller.run_work(self.tr("Exporting the record"), run):
            self.note.emit(self.tr("Another job is still running."))

    @Slot()
    def choose_import_record(self) -> None:
        if not self.ops.can(Action.IMPORT):
            return
        dialog = QFileDialog(self.window, self.tr("Import Metadata Record"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(self.tr("Metadata records (*.json)"))
        dialog.fileSelected.connect(self.import_record)
        dialog.open()
        self.ops.dialog = dialog

    @Slot(str)
    def import_record(self, path: str) -> None:
        """Preview what the record restores, and restore it on an explicit yes."""
        reading, driver = self.controller.reading, self.ops.driver()
        if reading is None or driver is None:
            return
        try:
            record = load_record(Path(path))
        except Exception as exc:  # a refused record: say why, change nothing
            self.page.message_bar.show_message("error", str(exc))
            return
        plan = plan_restore(record, reading)
        if not plan.updates:
            self.note.emit(
                self.tr("Nothing to import: every entry already holds the record's values.")
            )
            return
        detail = "\n".join(plan.notes)
        if plan.missing:
            detail += "\n" + self.tr(
                "%s entries of the record are not in this cache: left alone."
            ) % (f"{len(plan.missing):,}")
        self.ops.confirm(
            self.tr("Restore hits and times of %s?") % describe(plan.entries),
            detail,
            self.tr("Import"),
            lambda: self.controller.run_job(
                self.tr("Importing"), lambda p: restore(driver, plan, p)
            ),
        )

    # -- results -----------------------------------------------------------------

    @Slot(str, object)
    def _finished(self, title: str, value: object) -> None:
        if isinstance(value, VerifyReport):
            dialog = VerifyResultDialog(value, self.window)
            dialog.open()
            self.ops.dialog = dialog
        elif isinstance(value, str):
            self.note.emit(value)


__all__ = ["ConfirmBox", "TrustOperations"]
