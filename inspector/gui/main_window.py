"""The main window: a switchboard that builds the parts and wires their signals.

The controller reads, follows and changes the open cache through the runner; the
page shows it; operations run changes; the command table holds the actions.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QStackedWidget, QWidget

from inspector.core import CacheSource, Limits
from inspector.core.demo import build_demo_cache
from inspector.gui.cache.controller import CacheController
from inspector.gui.cache.limits import PageLimits
from inspector.gui.cache.operations import Operations
from inspector.gui.cache.page import CachePage
from inspector.gui.cache.reading import ReadResult
from inspector.gui.cache.trust_operations import TrustOperations
from inspector.gui.commands import Commands
from inspector.gui.dialogs.about import show_about
from inspector.gui.dialogs.choose import choose_directory, choose_glance_config
from inspector.gui.history import HistoryWindow
from inspector.gui.icons import app_icon
from inspector.gui.settings import (
    Settings,
    restore_window_state,
    save_window_state,
    source_of_recent,
)
from inspector.gui.widgets.empty_page import EmptyPage
from inspector.gui.widgets.status import StatusWidgets
from inspector.gui.workers import Runner, prepare_process

if TYPE_CHECKING:
    from inspector.gui.fleet.window import FleetWindow


class MainWindow(QMainWindow):
    """The program's window; usable on its own (embedding, tests).

    ``cache_path`` opens that cache at once; without it the window shows its
    empty state.  ``settings`` defaults to the program's QSettings.
    """

    #: Emitted after a reading's rows are in the tables (tests and tools wait on it).
    refreshed = Signal()
    #: Emitted when a reading fails; the message is shown in the window.
    scan_failed = Signal(str)
    #: Emitted when a job (delete, prune, ...) ends, with its JobResult (None if it failed).
    job_done = Signal(object)

    def __init__(
        self,
        cache_path: str | os.PathLike[str] | None = None,
        *,
        driver: str | None = None,
        read_only: bool = False,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        prepare_process()
        self.setWindowTitle(self.tr("Cache Inspector"))
        self.setWindowIcon(app_icon())
        self.settings = Settings(settings or QSettings())
        self.kind = driver
        self._demo_dir: tempfile.TemporaryDirectory[str] | None = None
        self._remember = True

        self.runner = Runner(self)
        self.controller = CacheController(self.runner, self)
        self.controller.force_read_only = read_only
        self.page = CachePage()
        self.page.set_sorter(self.controller.sort_rows)
        self.empty_page = EmptyPage()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_page)
        self.stack.addWidget(self.page)
        self.setCentralWidget(self.stack)
        self.commands = Commands(self)
        self.keeper = PageLimits(self.page, self.controller, self.settings, self)
        self.operations = Operations(self.page, self.controller, self.limits, self)
        self.trust = TrustOperations(self.page, self.controller, self.operations, self)
        self.history: HistoryWindow | None = None
        self.fleet_window: FleetWindow | None = None
        status = StatusWidgets(self.statusBar())
        self.selection_label, self.reading_indicator, self.job_indicator = status.parts()
        self._wire()
        restore_window_state(self.settings, self, self.page)
        if cache_path is not None:
            self.open_cache(cache_path)
        else:
            self._show_empty_state()

    def _wire(self) -> None:
        c, page, ops, cmd = self.controller, self.page, self.operations, self.commands
        c.sorts = page.sort_specs
        c.read_started.connect(self.reading_indicator.started)
        c.read_progress.connect(self.reading_indicator.counted)
        c.read_partial.connect(page.show_first_rows)
        c.read_done.connect(self._read_done)
        c.read_failed.connect(self._read_failed)
        c.read_cancelled.connect(self._read_cancelled)
        c.statistics_ready.connect(page.stats_view.show_statistics)
        c.audit_ready.connect(page.show_audit)
        c.audit_ready.connect(self.trust.report_changed)
        c.audit_ready.connect(self._update_status)
        c.job_note.connect(self.job_indicator.label.setText)
        page.problems_view.audit_requested.connect(c.request_audit)
        page.problems_view.repair_requested.connect(self.trust.repair)
        c.statistics_ready.connect(self._update_status)
        c.job_started.connect(self.job_indicator.started)
        c.job_progress.connect(self.job_indicator.show_progress)
        c.job_finished.connect(self._job_finished)
        c.job_failed.connect(self._job_failed)
        self.runner.busy_changed.connect(self._update_status)
        self.reading_indicator.stop_requested.connect(c.cancel_reading)
        self.job_indicator.stop_requested.connect(c.cancel_job)
        page.selection_changed.connect(self._update_status)
        for notes in (ops.note, self.trust.note):
            notes.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.empty_page.open_requested.connect(self.choose_cache)
        self.empty_page.demo_requested.connect(self.open_demo)
        self.empty_page.config_requested.connect(self.choose_config)
        self.empty_page.recent_chosen.connect(self.open_recent)
        for name, slot in {
            "open": self.choose_cache,
            "open_config": self.choose_config,
            "demo": self.open_demo,
            "export": ops.choose_export,
            "quit": self.close,
            "copy": self.copy_selected_ids,
            "select_all": lambda: page.current_view().selectAll(),
            "filter": page.focus_filter,
            "refresh": self.refresh,
            "delete": ops.delete_selected,
            "delete_all": ops.delete_all_in_tab,
            "requeue": ops.requeue_selected,
            "queue": ops.queue_images,
            "prune": ops.prune,
            "clean": ops.clean,
            "clean_deleted": ops.clean_deleted,
            "about": lambda: show_about(self),
            "verify": self.trust.verify_selected,
            "repair": self.trust.repair,
            "export_record": self.trust.choose_export_record,
            "import_record": self.trust.choose_import_record,
            "history": self.show_history,
            "fleet": self.show_fleet,
        }.items():
            cmd.actions[name].triggered.connect(slot)
        cmd.recent = (self.settings.recent, self.open_recent, self.settings.clear_recent)
        self._tabs_changed()
        self._update_status()

    # -- opening ---------------------------------------------------------------

    @property
    def read_only(self) -> bool:
        return self.controller.read_only

    def limits(self) -> Limits:
        return self.keeper.limits()

    @Slot()
    def choose_cache(self) -> None:
        source = self.controller.source
        start = source.path.parent if source is not None and source.path is not None else None
        title = self.tr("Open Cache Directory")
        self.operations.dialog = choose_directory(self, title, start, self.open_cache)

    @Slot()
    def choose_config(self) -> None:
        """File ▸ Open Glance Configuration…: a node's glance-api.conf names its cache."""
        source = self.controller.source
        start = source.config.parent if source is not None and source.config else None
        title = self.tr("Open Glance Configuration")
        self.operations.dialog = choose_glance_config(self, title, start, self.open_config)

    @Slot(str)
    def open_config(self, path: str | os.PathLike[str]) -> None:
        """Open the cache the glance-api.conf at ``path`` configures (read off the GUI thread):
        its directory, kind, database, node, maximum size and stall time."""
        self.open_source(CacheSource(config=Path(path).expanduser().absolute()))

    @Slot()
    def open_demo(self) -> None:
        """Build a demo cache in a temporary directory and open it."""
        if self._demo_dir is None:
            self._demo_dir = tempfile.TemporaryDirectory(prefix="cache-inspector-demo-")
        root = Path(self._demo_dir.name) / f"glance-cache-{len(os.listdir(self._demo_dir.name))}"
        try:
            build_demo_cache(root, "sqlite")
        except OSError as exc:
            self.page.message_bar.show_message(
                "error", self.tr("Could not build the demo cache: %s") % exc
            )
            return
        self.open_cache(root, remember=False)

    @Slot(str)
    def open_recent(self, text: str) -> None:
        self.open_source(source_of_recent(text))

    @Slot(str)
    def open_cache(self, path: str | os.PathLike[str], *, remember: bool = True) -> None:
        """Show the cache directory at ``path``; reading happens off the GUI thread."""
        self.open_source(CacheSource.at(Path(path).expanduser().absolute(), self.kind), remember)

    def open_source(self, source: CacheSource, remember: bool = True) -> None:
        if self.controller.source != source:
            self.page.clear()
        self._remember = remember
        self.stack.setCurrentIndex(1)
        self.page.show_opening(source, self.read_only)
        self.setWindowTitle(self.tr("%s — Cache Inspector") % source.short_name())
        self.controller.open(source)
        self.keeper.show()
        self.keeper.set_context()

    @Slot()
    def refresh(self) -> None:
        self.controller.refresh()

    def _show_empty_state(self) -> None:
        self.stack.setCurrentIndex(0)
        self.empty_page.set_recent(self.settings.recent())
        self.empty_page.open_button.setFocus()

    # -- what the controller says ----------------------------------------------

    @Slot(object)
    def _read_done(self, result: ReadResult) -> None:
        self.reading_indicator.ended("read")
        if self._remember:
            self.settings.add_recent(result.reading.source)
        states_before = self.page.states
        self.page.show_result(result, self.read_only)
        if self.page.states != states_before:
            self._tabs_changed()
        self.keeper.show()
        self.keeper.reading_shown(result)
        self._update_status()
        self.refreshed.emit()

    @Slot(str)
    def _read_failed(self, message: str) -> None:
        self.reading_indicator.ended("failed")
        self.page.show_failure(message, self.controller.source, self.controller.last is not None)
        self.scan_failed.emit(message)

    @Slot()
    def _read_cancelled(self) -> None:
        self.reading_indicator.ended("cancelled")
        self.page.show_cancelled(self.controller.last is not None)

    @Slot(str, object)
    def _job_finished(self, title: str, result: object) -> None:
        self.job_indicator.ended()
        self.job_done.emit(result)

    @Slot(str, str)
    def _job_failed(self, title: str, message: str) -> None:
        self.job_indicator.ended()
        self.page.message_bar.show_message("error", self.tr("%s failed: %s") % (title, message))
        self.job_done.emit(None)

    @Slot()
    def show_history(self) -> None:
        """View ▸ History of Changes: the journal, read off the GUI thread."""
        self.history = HistoryWindow.show_for(self.runner, self, self.history)

    @Slot()
    def show_fleet(self) -> None:
        """View ▸ Fleet…: the nodes of the open cache's database, else of a glance-api.conf."""
        source = self.controller.reading.source if self.controller.reading else None
        if source is not None and source.db_url is not None:
            self.open_fleet(source.db_url, source.config)
            return
        title = self.tr("Open a Node's Glance Configuration for Its Fleet")
        self.operations.dialog = choose_glance_config(
            self, title, None, lambda path: self.open_fleet(None, Path(path))
        )

    def open_fleet(self, db_url: str | None, config: Path | None) -> FleetWindow:
        """A Fleet window of its own, reading at once (its database URL stays in memory)."""
        from inspector.gui.fleet.window import FleetWindow

        if self.fleet_window is not None:
            self.fleet_window.close()
        self.fleet_window = FleetWindow(db_url, config, self.settings.qs, self)
        self.fleet_window.show()
        return self.fleet_window

    # -- status and actions ----------------------------------------------------

    def _tabs_changed(self) -> None:
        titles = [self.page.tabs.tabText(i) for i in range(self.page.tabs.count())]
        self.commands.set_tabs([t.split(" (")[0] for t in titles], self.page.show_tab)
        for view in self.page.views.values():
            view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
            for action in self.commands.context_actions():
                if action not in view.actions():
                    view.addAction(action)

    @Slot()
    def _update_status(self) -> None:
        self.selection_label.setText(self.page.selection_text())
        c = self.controller
        self.commands.update(self.page.command_state(c.reading, self.read_only, c.busy))

    @Slot()
    def copy_selected_ids(self) -> None:
        n = self.page.current_view().copy_ids()
        if n:
            self.statusBar().showMessage(self.tr("Copied %d id(s)") % n, 3000)

    # -- closing ---------------------------------------------------------------

    def save_window_state(self) -> None:
        save_window_state(self.settings, self, self.page)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_window_state()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the timers and every worker thread (also for tests and embedders)."""
        self.keeper.clock.stop()
        self.page.filter_timer.stop()
        self.controller.close()
        self.runner.shutdown()
        if self.fleet_window is not None:
            self.fleet_window.close()
        if self._demo_dir is not None:
            self._demo_dir.cleanup()
            self._demo_dir = None
