"""What the Cache menu does: each change asked for, confirmed, and run as a job.

Every destructive change names what goes (count, bytes, the first ids) and
waits for an explicit yes; the job runs on the controller's runner, and its
result is told in a box that stays until closed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

from inspector.core import Action, CacheDriver, Entry, actions
from inspector.core.actions import JobProgress, JobResult, Plan
from inspector.gui.cache.controller import CacheController
from inspector.gui.cache.page import CachePage
from inspector.gui.dialogs.confirm import ConfirmBox, result_box
from inspector.gui.dialogs.plan import CleanDialog, PlanDialog, PruneDialog
from inspector.gui.dialogs.queue import QueueDialog
from inspector.gui.dialogs.result import describe, named
from inspector.report import formatting
from inspector.report.records import write_csv, write_json


class Operations(QObject):
    """The cache's actions, from asking to the result box."""

    #: A short note for the status bar (a job refused while another runs).
    note = Signal(str)

    def __init__(
        self,
        page: CachePage,
        controller: CacheController,
        limits: Callable[[], Any],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.page = page
        self.controller = controller
        self.limits = limits  # () -> Limits in force for the open cache
        self.window = parent
        #: The last dialog opened (Open, Export, Prune, Queue…), the last
        #: confirmation asked and the last result shown: tests and tools look at them.
        self.dialog: QDialog | None = None
        self.confirmation: ConfirmBox | None = None
        self.result_box: QMessageBox | None = None
        controller.job_finished.connect(self._job_finished)

    # -- what can run ----------------------------------------------------------

    def driver(self) -> CacheDriver | None:
        reading = self.controller.reading
        return None if reading is None else reading.driver

    def can(self, action: Action) -> bool:
        driver = self.driver()
        return (
            driver is not None
            and driver.capabilities.can(action)
            and not self.controller.read_only
            and not self.controller.busy
        )

    def _submit(self, title: str, run: Callable[[JobProgress], JobResult]) -> None:
        if not self.controller.run_job(title, run):
            self.note.emit(self.tr("Another job is still running."))

    def confirm(self, text: str, detail: str, verb: str, then: Callable[[], object]) -> None:
        """Ask; ``then`` runs only on the explicit destructive answer."""
        box = ConfirmBox(text, detail, verb, self.window)
        box.confirmed.connect(then)
        box.open()
        self.confirmation = box

    # -- delete, requeue, queue ------------------------------------------------

    @Slot()
    def delete_selected(self) -> None:
        entries = self.page.current_view().selected_entries()
        if entries and self.can(Action.DELETE) and not self.page.statistics_shown():
            self._ask_delete(entries)

    @Slot()
    def delete_all_in_tab(self) -> None:
        entries = list(self.page.models[self.page.current_state()].entries())
        if entries and self.can(Action.DELETE) and not self.page.statistics_shown():
            self._ask_delete(entries)

    def _ask_delete(self, entries: list[Entry]) -> None:
        driver = self.driver()
        assert driver is not None
        where = self.controller.source.display_name() if self.controller.source else ""
        self.confirm(
            self.tr("Delete %s?") % describe(entries),
            self.tr(
                "%s\n\nFiles and their metadata are removed from %s. Glance downloads an image "
                "again the next time it is asked for."
            )
            % (named(entries), where),
            self.tr("Delete"),
            lambda: self._submit(
                self.tr("Deleting"), lambda p: actions.delete(driver, entries, p)
            ),
        )

    @Slot()
    def requeue_selected(self) -> None:
        entries = self.page.current_view().selected_entries()
        driver = self.driver()
        if not entries or driver is None or not self.can(Action.REQUEUE):
            return
        self.confirm(
            self.tr("Requeue %s?") % describe(entries),
            self.tr("%s\n\nEach is removed from the cache and its id queued for the prefetcher.")
            % named(entries),
            self.tr("Requeue"),
            lambda: self._submit(
                self.tr("Requeueing"), lambda p: actions.requeue(driver, entries, p)
            ),
        )

    @Slot()
    def queue_images(self) -> None:
        driver = self.driver()
        if driver is None or not self.can(Action.QUEUE):
            return
        dialog = QueueDialog(driver.check_id, self.window)
        dialog.ids_chosen.connect(
            lambda ids: self._submit(self.tr("Queueing"), lambda p: actions.queue(driver, ids, p))
        )
        dialog.open()
        self.dialog = dialog

    # -- prune and clean -------------------------------------------------------

    @Slot()
    def prune(self) -> None:
        driver, reading = self.driver(), self.controller.reading
        if driver is None or reading is None or not self.can(Action.PRUNE):
            return
        # A kind without a maximum of its own (a Filetracker store) starts from its size.
        max_size = self.limits().max_size or reading.summary.total_size
        dialog = PruneDialog(driver, reading.snapshot.entries, max_size, self.window)
        self._open_plan(dialog, self.tr("Pruning"), actions.prune, driver)

    @Slot()
    def clean(self) -> None:
        driver, reading = self.driver(), self.controller.reading
        if driver is None or reading is None or not self.can(Action.CLEAN):
            return
        stall = self.limits().stall_time
        dialog = CleanDialog(reading.snapshot.entries, stall or 0.0, self.window)
        self._open_plan(dialog, self.tr("Cleaning"), actions.clean, driver)

    @Slot()
    def clean_deleted(self) -> None:
        """Delete the cached images whose image was deleted in Glance, after a preview."""
        driver, reading = self.driver(), self.controller.reading
        if driver is None or reading is None or not self.can(Action.DELETE):
            return
        plan = actions.plan_deleted_images(reading.snapshot.entries)
        entries = list(plan.entries)
        if not entries:
            self.note.emit(self.tr("No cached image was deleted in Glance."))
            return
        self.confirm(
            self.tr("Clean %s deleted in Glance?") % describe(entries),
            self.tr(
                "%s\n\nTheir images were deleted in Glance, so no one can ask for them again: "
                "their files and this node's rows go, frees %s. Other nodes' caches are "
                "not touched."
            )
            % (named(entries), formatting.size(sum(e.size for e in entries))),
            self.tr("Clean"),
            lambda: self._submit(
                self.tr("Cleaning"), lambda p: actions.delete(driver, entries, p, action="clean")
            ),
        )

    def _open_plan(
        self,
        dialog: PlanDialog,
        title: str,
        run: Callable[[CacheDriver, Plan, JobProgress], JobResult],
        driver: CacheDriver,
    ) -> None:
        """Show a plan dialog; exactly the plan it accepts runs as a job."""
        dialog.accepted_plan.connect(
            lambda plan: self._submit(title, lambda p: run(driver, plan, p))
        )
        dialog.open()
        self.dialog = dialog

    # -- export ----------------------------------------------------------------

    @Slot()
    def choose_export(self) -> None:
        if self.controller.reading is None or self.page.statistics_shown():
            return
        dialog = QFileDialog(self.window, self.tr("Export Table"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters([self.tr("CSV files (*.csv)"), self.tr("JSON files (*.json)")])
        dialog.setDefaultSuffix("csv")
        dialog.selectFile(f"{self.page.current_state()}-entries.csv")
        dialog.filterSelected.connect(
            lambda f: dialog.setDefaultSuffix("json" if "json" in f else "csv")
        )
        dialog.fileSelected.connect(self.export_table)
        dialog.open()
        self.dialog = dialog

    @Slot(str)
    def export_table(self, path: str) -> None:
        """Write the rows the current table shows (filter and order kept), off the GUI thread."""
        entries = self.page.entries_shown()
        reading = self.controller.reading
        where = str(reading.snapshot.path) if reading else ""
        driver = reading.snapshot.driver if reading else ""

        def run(progress: JobProgress) -> JobResult:
            started = time.monotonic()
            with open(path, "w", encoding="utf-8", newline="") as out:
                if path.lower().endswith(".json"):
                    write_json(where, driver, entries, out)
                else:
                    write_csv(entries, out)
            progress(len(entries), len(entries))
            return JobResult(
                "export", done=len(entries), total=len(entries), seconds=time.monotonic() - started
            )

        self._submit(self.tr("Exporting"), run)

    # -- results ---------------------------------------------------------------

    @Slot(str, object)
    def _job_finished(self, title: str, result: object) -> None:
        if not isinstance(result, JobResult):
            return  # verify and exports tell their own results
        box = result_box(title, result, self.window)
        box.open()
        self.result_box = box
