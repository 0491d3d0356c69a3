"""The main window: one cache, its four states in tables, kept up to date."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import QFileSystemWatcher, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from inspector import __version__
from inspector.core import STATES, CacheDriver, Entry, State, actions, stats
from inspector.core.actions import JobProgress, JobResult, Plan
from inspector.core.demo import build_demo_cache
from inspector.gui.cache_header import CacheHeader
from inspector.gui.cache_settings import CacheSettings
from inspector.gui.columns import DEFAULT_SORT, Context
from inspector.gui.entry_model import EntryRole, EntryTableModel
from inspector.gui.entry_view import EntryTableView
from inspector.gui.filter_proxy import IdFilterProxy
from inspector.gui.icons import app_icon, icon
from inspector.gui.jobs import Job, JobRunner
from inspector.gui.plan_dialogs import (
    CleanDialog,
    PlanDialog,
    PruneDialog,
    QueueDialog,
    describe,
    summarize_result,
)
from inspector.gui.scanner import Scanner, ScanRequest, ScanResult
from inspector.gui.stats_view import StatisticsView
from inspector.report import formatting
from inspector.report.records import write_csv, write_json

log = logging.getLogger(__name__)

#: How long the watcher waits for the service to settle before rescanning.
WATCH_DEBOUNCE_MS = 500
#: How often relative times ("3 minutes ago") are redrawn.
CLOCK_TICK_MS = 30_000

STATE_TITLES = {
    State.CACHED: "Cached",
    State.QUEUED: "Queued",
    State.INCOMPLETE: "Incomplete",
    State.INVALID: "Invalid",
}

EMPTY_HINTS = {
    State.CACHED: "No cached images.",
    State.QUEUED: "Nothing is queued for the prefetcher.",
    State.INCOMPLETE: "No downloads in flight.",
    State.INVALID: "No failed downloads.",
}


class MessageBar(QLabel):
    """An in-window message: errors and warnings never go to the console only."""

    STYLES: ClassVar[dict[str, str]] = {
        "error": "background: #f8d7da; color: #58151c; border: 1px solid #f1aeb5;",
        "warning": "background: #fff3cd; color: #664d03; border: 1px solid #ffe69c;",
    }

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setAccessibleName(self.tr("Message"))
        self.level = ""
        self.hide()

    def show_message(self, level: str, text: str) -> None:
        self.level = level
        self.setText(text)
        self.setStyleSheet(f"QLabel {{ {self.STYLES[level]} padding: 6px; border-radius: 3px; }}")
        self.show()

    def clear_message(self) -> None:
        self.level = ""
        self.setText("")
        self.hide()


class MainWindow(QMainWindow):
    """The program's window; usable on its own (embedding, tests).

    ``cache_path`` opens that cache at once; without it the window shows its
    empty state.  ``settings`` defaults to the program's QSettings.
    """

    #: Emitted after a scan's rows are in the tables (tests and tools wait on it).
    refreshed = Signal()
    #: Emitted when a scan fails; the message is shown in the window.
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
        self.setWindowTitle(self.tr("Cache Inspector"))
        self.setWindowIcon(app_icon())
        self.settings = settings or QSettings()
        self.cache_settings = CacheSettings(self.settings)
        self.cache_path: Path | None = None
        self.driver = driver
        self.force_read_only = read_only
        self.read_only = read_only
        self._demo_dir: tempfile.TemporaryDirectory[str] | None = None
        self._last: ScanResult | None = None
        self.dialog: QDialog | None = None  # the last dialog opened (Open, Export, Prune, ...)
        self._current_request: ScanRequest | None = None

        self.scanner = Scanner(self)
        self.scanner.started.connect(self._on_scan_started)
        self.scanner.progress.connect(self._on_scan_progress)
        self.scanner.finished.connect(self._on_scan_finished)
        self.scanner.failed.connect(self._on_scan_failed)
        self.scanner.cancelled.connect(self._on_scan_cancelled)
        self.jobs = JobRunner(self)
        self.jobs.started.connect(self._on_job_started)
        self.jobs.progress.connect(self._on_job_progress)
        self.jobs.finished.connect(self._on_job_finished)
        self.jobs.failed.connect(self._on_job_failed)
        self.jobs.busy_changed.connect(self._update_actions)
        self.last_job_result: JobResult | None = None

        self._state_index = 0  # the state tab last shown (the Statistics tab is not one)
        self._stats_dirty = True
        self.models: dict[State, EntryTableModel] = {}
        self.proxies: dict[State, IdFilterProxy] = {}
        self.views: dict[State, EntryTableView] = {}
        self.empty_labels: dict[State, QLabel] = {}
        self._build_ui()
        self._build_actions()

        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._on_disk_changed)
        self.watcher.fileChanged.connect(self._on_disk_changed)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(WATCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh)
        self._clock = QTimer(self)
        self._clock.setInterval(CLOCK_TICK_MS)
        self._clock.timeout.connect(self._tick)
        self._clock.start()
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(150)
        self._filter_timer.timeout.connect(self._apply_filter)

        self._restore_window_state()
        if cache_path is not None:
            self.open_cache(cache_path)
        else:
            self._show_empty_state()

    # -- building ------------------------------------------------------------

    def _build_ui(self) -> None:
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.stack.addWidget(self._build_empty_page())

        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(6, 6, 6, 0)
        self.message_bar = MessageBar()
        layout.addWidget(self.message_bar)
        self.header = CacheHeader()
        self.header.max_size_changed.connect(self._on_max_size_changed)
        self.header.stall_time_changed.connect(self._on_stall_time_changed)
        layout.addWidget(self.header)

        filter_row = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(self.tr("Filter by image id (Ctrl+F)"))
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName(self.tr("Filter by image id"))
        self.filter_edit.textChanged.connect(self._filter_later)
        filter_label = QLabel(self.tr("&Filter:"))
        filter_label.setBuddy(self.filter_edit)
        filter_row.addWidget(filter_label)
        filter_row.addWidget(self.filter_edit, 1)
        layout.addLayout(filter_row)

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(self.tr("Entry states"))
        self.tabs.setDocumentMode(True)
        for state in STATES:
            model = EntryTableModel(state, self)
            proxy = IdFilterProxy(model, self)
            name = self.tr("%s entries") % STATE_TITLES[state]
            view = EntryTableView(proxy, name)
            view.set_column_widths()
            view.selection_summary_changed.connect(self._update_selection_status)
            view.selection_summary_changed.connect(self._update_actions)
            self.models[state], self.proxies[state], self.views[state] = model, proxy, view
            holder = QWidget()
            holder_layout = QVBoxLayout(holder)
            holder_layout.setContentsMargins(0, 0, 0, 0)
            empty = QLabel(self.tr(EMPTY_HINTS[state]))
            empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
            empty.setStyleSheet("QLabel { color: palette(mid); padding: 24px; }")
            empty.hide()
            self.empty_labels[state] = empty
            holder_layout.addWidget(empty)
            holder_layout.addWidget(view, 1)
            self.tabs.addTab(holder, STATE_TITLES[state])
        self.stats_view = StatisticsView()
        self.stats_view.select_requested.connect(self._select_from_chart)
        self.tabs.addTab(self.stats_view, self.tr("Statistics"))
        self.tabs.currentChanged.connect(self._on_tab_changed)
        layout.addWidget(self.tabs, 1)
        self.stack.addWidget(page)

        self.selection_label = QLabel()
        self.selection_label.setAccessibleName(self.tr("Selection"))
        self.statusBar().addWidget(self.selection_label, 1)
        self.scan_progress = QProgressBar()
        self.scan_progress.setRange(0, 0)
        self.scan_progress.setMaximumWidth(160)
        self.scan_progress.setAccessibleName(self.tr("Reading the cache"))
        self.scan_progress.hide()
        self.scan_cancel = QPushButton(self.tr("Cancel"))
        self.scan_cancel.setAccessibleName(self.tr("Cancel reading the cache"))
        self.scan_cancel.clicked.connect(self.scanner.cancel)
        self.scan_cancel.hide()
        self.job_label = QLabel()
        self.job_label.setAccessibleName(self.tr("Running job"))
        self.job_progress = QProgressBar()
        self.job_progress.setMaximumWidth(200)
        self.job_progress.setAccessibleName(self.tr("Job progress"))
        self.job_cancel = QPushButton(self.tr("Stop"))
        self.job_cancel.setAccessibleName(self.tr("Stop the running job"))
        self.job_cancel.setToolTip(self.tr("Stops between entries; what is done stays done"))
        self.job_cancel.clicked.connect(self._cancel_job)
        for w in (self.job_label, self.job_progress, self.job_cancel):
            w.hide()
            self.statusBar().addPermanentWidget(w)
        self.scan_label = QLabel()
        self.statusBar().addPermanentWidget(self.scan_label)
        self.statusBar().addPermanentWidget(self.scan_progress)
        self.statusBar().addPermanentWidget(self.scan_cancel)

    def _build_empty_page(self) -> QWidget:
        page = QWidget()
        outer = QVBoxLayout(page)
        outer.addStretch(1)
        title = QLabel(self.tr("No cache open"))
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel(
            self.tr(
                "Open a Glance image cache directory (the image_cache_dir of a glance-api "
                "node) to see what it holds, or try a demo cache."
            )
        )
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.open_button = QPushButton(self.tr("&Open Cache…"))
        self.open_button.clicked.connect(self.choose_cache)
        self.demo_button = QPushButton(self.tr("Open &Demo Cache"))
        self.demo_button.clicked.connect(self.open_demo)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        self.recent_list = QListWidget()
        self.recent_list.setAccessibleName(self.tr("Recent caches"))
        self.recent_list.setMaximumWidth(560)
        self.recent_list.setMaximumHeight(160)
        self.recent_list.itemActivated.connect(self._open_recent_item)
        self.recent_title = QLabel(self.tr("Recent caches:"))
        for w in (title, hint):
            outer.addWidget(w)
        outer.addLayout(buttons)
        recent_row = QVBoxLayout()
        recent_row.addWidget(self.recent_title, 0, Qt.AlignmentFlag.AlignHCenter)
        recent_row.addWidget(self.recent_list, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addLayout(recent_row)
        outer.addStretch(2)
        return page

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu(self.tr("&File"))
        self.open_action = QAction(self.tr("&Open Cache…"), self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.choose_cache)
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu(self.tr("Open &Recent"))
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.demo_action = QAction(self.tr("Open &Demo Cache"), self)
        self.demo_action.triggered.connect(self.open_demo)
        file_menu.addAction(self.demo_action)
        file_menu.addSeparator()
        self.export_action = QAction(self.tr("&Export Table…"), self)
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_action.setToolTip(
            self.tr("Save the rows the current table shows as CSV or JSON")
        )
        self.export_action.triggered.connect(self.choose_export)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        self.quit_action = QAction(self.tr("&Quit"), self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)

        edit_menu = menu.addMenu(self.tr("&Edit"))
        self.copy_action = QAction(self.tr("&Copy IDs"), self)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.copy_action.triggered.connect(self.copy_selected_ids)
        edit_menu.addAction(self.copy_action)
        self.select_all_action = QAction(self.tr("Select &All"), self)
        self.select_all_action.triggered.connect(lambda: self.current_view().selectAll())
        edit_menu.addAction(self.select_all_action)
        self.find_action = QAction(self.tr("&Filter…"), self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.find_action.triggered.connect(self._focus_filter)
        self.addAction(self.find_action)
        edit_menu.addAction(self.find_action)

        view_menu = menu.addMenu(self.tr("&View"))
        self.refresh_action = QAction(self.tr("&Refresh"), self)
        self.refresh_action.setShortcut(QKeySequence.StandardKey.Refresh)
        self.refresh_action.triggered.connect(self.refresh)
        self.addAction(self.refresh_action)
        view_menu.addAction(self.refresh_action)
        view_menu.addSeparator()
        for i, title in enumerate([*(STATE_TITLES[s] for s in STATES), self.tr("Statistics")]):
            action = QAction(title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _=False, i=i: self._show_tab(i))
            self.addAction(action)
            view_menu.addAction(action)

        cache_menu = menu.addMenu(self.tr("&Cache"))
        self.delete_action = QAction(self.tr("&Delete…"), self)
        self.delete_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_action.setToolTip(self.tr("Delete the selected entries (file and metadata)"))
        self.delete_action.triggered.connect(self.delete_selected)
        self.delete_all_action = QAction(self.tr("Delete All in This &Tab…"), self)
        self.delete_all_action.setShortcut(QKeySequence("Shift+Del"))
        self.delete_all_action.triggered.connect(self.delete_all_in_tab)
        self.requeue_action = QAction(self.tr("&Requeue…"), self)
        self.requeue_action.setShortcut(QKeySequence("Ctrl+R"))
        self.requeue_action.setToolTip(self.tr("Remove the selected entries and queue them again"))
        self.requeue_action.triggered.connect(self.requeue_selected)
        self.queue_action = QAction(self.tr("&Queue Images…"), self)
        self.queue_action.setShortcut(QKeySequence("Ctrl+Shift+Q"))
        self.queue_action.triggered.connect(self.queue_images)
        self.prune_action = QAction(self.tr("&Prune…"), self)
        self.prune_action.setShortcut(QKeySequence("Ctrl+P"))
        self.prune_action.setToolTip(self.tr("Evict least recently accessed images to a size"))
        self.prune_action.triggered.connect(self.prune)
        self.clean_action = QAction(self.tr("C&lean…"), self)
        self.clean_action.setShortcut(QKeySequence("Ctrl+L"))
        self.clean_action.setToolTip(self.tr("Delete invalid entries and stalled downloads"))
        self.clean_action.triggered.connect(self.clean)
        self.change_actions = [
            self.delete_action,
            self.delete_all_action,
            self.requeue_action,
            self.queue_action,
            self.prune_action,
            self.clean_action,
        ]
        for action in self.change_actions:
            self.addAction(action)
            cache_menu.addAction(action)
        cache_menu.insertSeparator(self.queue_action)
        cache_menu.insertSeparator(self.prune_action)

        toolbar = self.addToolBar(self.tr("Actions"))
        toolbar.setObjectName("actions_toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.refresh_action)
        toolbar.addSeparator()
        for action in (
            self.delete_action,
            self.requeue_action,
            self.queue_action,
            self.prune_action,
            self.clean_action,
        ):
            toolbar.addAction(action)
        for action, name in (
            (self.open_action, "open"),
            (self.refresh_action, "refresh"),
            (self.delete_action, "delete"),
            (self.requeue_action, "requeue"),
            (self.queue_action, "queue"),
            (self.prune_action, "prune"),
            (self.clean_action, "clean"),
            (self.export_action, "export"),
        ):
            action.setIcon(icon(name))
        self.tabs.setTabIcon(len(STATES), icon("statistics"))
        for view in self.views.values():
            view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
            view.addAction(self.copy_action)
            view.addAction(self.delete_action)
            view.addAction(self.requeue_action)
        self._update_actions()

        help_menu = menu.addMenu(self.tr("&Help"))
        about = QAction(self.tr("&About Cache Inspector"), self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    # -- opening -------------------------------------------------------------

    @Slot()
    def choose_cache(self) -> None:
        dialog = QFileDialog(self, self.tr("Open Cache Directory"))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        if self.cache_path is not None:
            dialog.setDirectory(str(self.cache_path.parent))
        dialog.fileSelected.connect(self.open_cache)
        dialog.open()
        self.dialog = dialog

    @Slot()
    def open_demo(self) -> None:
        """Build a demo cache in a temporary directory and open it."""
        if self._demo_dir is None:
            self._demo_dir = tempfile.TemporaryDirectory(prefix="cache-inspector-demo-")
        root = Path(self._demo_dir.name) / f"glance-cache-{len(os.listdir(self._demo_dir.name))}"
        try:
            build_demo_cache(root, "sqlite")
        except OSError as exc:
            self._show_error(self.tr("Could not build the demo cache: %s") % exc)
            return
        self.open_cache(root, remember=False)

    @Slot(str)
    def open_cache(self, path: str | os.PathLike[str], *, remember: bool = True) -> None:
        """Show the cache at ``path``; reading happens on the scanner's thread."""
        root = Path(path).expanduser().absolute()
        if self.cache_path != root:
            for model in self.models.values():
                model.update([])
            self._last = None
        self.cache_path = root
        self._remember = remember
        self.stack.setCurrentIndex(1)
        self.message_bar.clear_message()
        self.read_only = self.force_read_only
        self.header.set_cache(str(root), self.tr("reading…"), self.read_only)
        self.header.set_limits(
            self.cache_settings.max_size(root), self.cache_settings.stall_time(root)
        )
        self.header.set_summary(None)
        self._set_context()
        self.setWindowTitle(self.tr("%s — Cache Inspector") % root.name)
        self._watch(root)
        self._request_scan()

    @Slot()
    def refresh(self) -> None:
        if self.cache_path is not None:
            self._request_scan()

    def _request_scan(self) -> None:
        assert self.cache_path is not None
        specs = {s: self.models[s].sort_spec() for s in STATES}
        context = self.models[State.CACHED].context
        self._current_request = self.scanner.request(self.cache_path, self.driver, specs, context)

    def _show_empty_state(self) -> None:
        self.stack.setCurrentIndex(0)
        self.recent_list.clear()
        recent = self.cache_settings.recent()
        for p in recent:
            QListWidgetItem(p, self.recent_list)
        self.recent_list.setVisible(bool(recent))
        self.recent_title.setVisible(bool(recent))
        self.open_button.setFocus()

    @Slot(QListWidgetItem)
    def _open_recent_item(self, item: QListWidgetItem) -> None:
        self.open_cache(item.text())

    @Slot()
    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.cache_settings.recent()
        for p in recent:
            action = self.recent_menu.addAction(p)
            action.triggered.connect(lambda _=False, p=p: self.open_cache(p))
        if not recent:
            self.recent_menu.addAction(self.tr("(none)")).setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction(self.tr("Clear List"), self.cache_settings.clear_recent)

    # -- watching ------------------------------------------------------------

    def _watch(self, root: Path) -> None:
        old = self.watcher.directories() + self.watcher.files()
        if old:
            self.watcher.removePaths(old)
        paths = [root, root / "incomplete", root / "invalid", root / "queue", root / "cache.db"]
        existing = [str(p) for p in paths if p.exists()]
        if existing:
            self.watcher.addPaths(existing)

    @Slot(str)
    def _on_disk_changed(self, _path: str) -> None:
        if not self.jobs.busy:  # a job's own changes are read once, when it ends
            self._debounce.start()

    # -- scan results --------------------------------------------------------

    @Slot(object)
    def _on_scan_started(self, request: ScanRequest) -> None:
        self.scan_label.setText(self.tr("Reading…"))
        self.scan_progress.show()
        self.scan_cancel.show()

    @Slot(int)
    def _on_scan_progress(self, count: int) -> None:
        self.scan_label.setText(self.tr("Reading… %s entries") % f"{count:,}")

    def _scan_done(self) -> None:
        self.scan_progress.hide()
        self.scan_cancel.hide()

    @Slot(object)
    def _on_scan_finished(self, result: ScanResult) -> None:
        self._scan_done()
        if result.request.path != self.cache_path:
            return  # a cache the user has since left
        if self._remember:
            self.cache_settings.add_recent(result.request.path)
            self.settings.setValue("last_cache", str(result.request.path))
        self._last = result
        log.info("read %s: %d entries", result.request.path, len(result.snapshot.entries))
        self.read_only = self.force_read_only or not result.writable
        self.header.set_cache(str(result.request.path), result.cache.title, self.read_only)
        self.header.set_summary(result.summary)
        self._set_context()
        for state in STATES:
            model = self.models[state]
            ctx = result.request.context  # only the stall time matters to sort keys
            presorted = (
                result.request.sort_specs.get(state) == model.sort_spec()
                and ctx is not None
                and ctx.stall_time == model.context.stall_time
            )
            model.update(result.by_state[state], presorted, result.row_of[state])
        self._update_counts()
        if result.snapshot.warnings:
            self.message_bar.show_message("warning", "\n".join(result.snapshot.warnings))
        elif self.message_bar.level:
            self.message_bar.clear_message()
        self._watch(result.request.path)
        self.scan_label.setText(
            self.tr("Read %s") % datetime.now().astimezone().strftime("%H:%M:%S")
        )
        self._update_selection_status()
        self._update_actions()
        self._stats_changed()
        self.refreshed.emit()

    @Slot(object, str)
    def _on_scan_failed(self, request: ScanRequest, message: str) -> None:
        self._scan_done()
        if request.path != self.cache_path:
            return
        self.scan_label.setText(self.tr("Read failed"))
        if self._last is None:
            self.header.set_cache(str(request.path), self.tr("unknown"), self.read_only)
            self.header.counts_label.setText("")
        self._show_error(message)
        self._watch(request.path)
        self.scan_failed.emit(message)

    @Slot(object)
    def _on_scan_cancelled(self, request: ScanRequest) -> None:
        self._scan_done()
        self.scan_label.setText(self.tr("Reading cancelled"))
        if self._last is None and request.path == self.cache_path:
            self.header.counts_label.setText(
                self.tr("Reading was cancelled: press F5 to read it.")
            )

    def _show_error(self, message: str) -> None:
        prefix = self.tr("Showing the last good reading. ") if self._last is not None else ""
        self.message_bar.show_message("error", prefix + message)

    def _update_counts(self) -> None:
        for i, state in enumerate(STATES):
            n = self.models[state].rowCount()
            self.tabs.setTabText(i, f"{STATE_TITLES[state]} ({n:,})")
            self.empty_labels[state].setVisible(n == 0)
            self.views[state].setVisible(n > 0)

    # -- limits and clock ----------------------------------------------------

    def _set_context(self) -> None:
        stall = self.cache_settings.stall_time(self.cache_path) if self.cache_path else 86400.0
        ctx = Context(datetime.now(UTC), stall)
        for model in self.models.values():
            model.set_context(ctx)

    @Slot()
    def _tick(self) -> None:
        if self.cache_path is not None:
            self._set_context()

    @Slot(object)
    def _on_max_size_changed(self, value: int) -> None:
        if self.cache_path is not None:
            self.cache_settings.set_max_size(self.cache_path, value)
            self._stats_changed()

    @Slot(float)
    def _on_stall_time_changed(self, value: float) -> None:
        if self.cache_path is not None:
            self.cache_settings.set_stall_time(self.cache_path, value)
            self._set_context()

    # -- filter, selection, clipboard ----------------------------------------

    @Slot(str)
    def _filter_later(self, _text: str) -> None:
        self._filter_timer.start()

    @Slot()
    def _apply_filter(self) -> None:
        text = self.filter_edit.text().strip()
        for proxy in self.proxies.values():
            proxy.setFilterFixedString(text)
        self._update_selection_status()

    @Slot()
    def _focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    def current_state(self) -> State:
        """The state of the table tab shown (or last shown, on the Statistics tab)."""
        index = self.tabs.currentIndex()
        if 0 <= index < len(STATES):
            self._state_index = index
        return STATES[self._state_index]

    def statistics_shown(self) -> bool:
        return self.tabs.currentWidget() is self.stats_view

    @Slot(int)
    def _on_tab_changed(self, _index: int) -> None:
        self._update_selection_status()
        self._update_actions()
        if self.statistics_shown() and self._stats_dirty:
            self._refresh_stats()

    def _refresh_stats(self) -> None:
        cache = self._cache()
        if self._last is None or cache is None or self.cache_path is None:
            return
        entries = self._last.snapshot.entries
        st = stats.compute(
            entries,
            self.cache_settings.max_size(self.cache_path),
            eviction_order=cache.eviction_order(entries),
        )
        self.stats_view.show_statistics(st)
        self._stats_dirty = False

    def _stats_changed(self) -> None:
        self._stats_dirty = True
        if self.statistics_shown():
            self._refresh_stats()

    @Slot(object, object)
    def _select_from_chart(self, state: State, ids: tuple[str, ...] | None) -> None:
        """Show the entries a chart mark stands for, selected, in their table."""
        self.filter_edit.clear()
        self._apply_filter()
        self.tabs.setCurrentIndex(STATES.index(state))
        view = self.views[state]
        if ids is None:
            view.selectAll()
        else:
            view.select_ids(set(ids))
        selected = view.selectionModel().selectedRows()
        if selected:
            view.scrollTo(min(selected, key=lambda i: i.row()))
        view.setFocus()

    def current_view(self) -> EntryTableView:
        return self.views[self.current_state()]

    @Slot()
    def copy_selected_ids(self) -> None:
        n = self.current_view().copy_ids()
        if n:
            self.statusBar().showMessage(self.tr("Copied %d id(s)") % n, 3000)

    @Slot()
    def _update_selection_status(self) -> None:
        view = self.current_view()
        entries = view.selected_entries()
        shown = view.model().rowCount()
        total = self.models[self.current_state()].rowCount()
        text = self.tr("%s of %s shown") % (f"{shown:,}", f"{total:,}")
        if entries:
            size = sum(e.size for e in entries)
            text = self.tr("%s selected, %s · %s") % (
                f"{len(entries):,}",
                formatting.size(size),
                text,
            )
        self.selection_label.setText(text)

    @Slot(int)
    def _show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)
        if self.statistics_shown():
            self.stats_view.setFocus()
        else:
            self.current_view().setFocus()

    # -- settings ------------------------------------------------------------

    def _restore_window_state(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 760)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        for s in STATES:
            header_state = self.settings.value(f"tables/{s}/header")
            if header_state is None or not self.views[s].horizontalHeader().restoreState(
                header_state
            ):
                key, order = DEFAULT_SORT[s]
                self.views[s].sortByColumn(self.models[s].column_index(key), order)
            else:
                header = self.views[s].horizontalHeader()
                self.views[s].sortByColumn(
                    header.sortIndicatorSection(), header.sortIndicatorOrder()
                )
        tab = self.settings.value("window/tab")
        with contextlib.suppress(TypeError, ValueError):
            self.tabs.setCurrentIndex(int(tab) if tab is not None else 0)

    def save_window_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/tab", self.tabs.currentIndex())
        for s in STATES:
            self.settings.setValue(
                f"tables/{s}/header", self.views[s].horizontalHeader().saveState()
            )
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_window_state()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the timers and the scanner's thread (also for tests)."""
        self._debounce.stop()
        self._clock.stop()
        self._filter_timer.stop()
        self.jobs.shutdown()
        self.scanner.shutdown()
        if self._demo_dir is not None:
            self._demo_dir.cleanup()
            self._demo_dir = None

    # -- changing the cache ---------------------------------------------------

    @Slot()
    def _update_actions(self) -> None:
        if not hasattr(self, "change_actions"):
            return
        can = self._last is not None and not self.read_only and not self.jobs.busy
        state = self.current_state()
        selected = bool(self.current_view().selectionModel().selectedRows())
        has_rows = self.models[state].rowCount() > 0
        on_table = not self.statistics_shown()
        selected = selected and on_table
        self.export_action.setEnabled(
            self._last is not None and on_table and not self.jobs.busy and has_rows
        )
        self.delete_action.setEnabled(can and selected)
        self.delete_all_action.setEnabled(can and has_rows and on_table)
        self.requeue_action.setEnabled(can and selected and state is not State.QUEUED)
        self.queue_action.setEnabled(can)
        self.prune_action.setEnabled(can and self.models[State.CACHED].rowCount() > 0)
        self.clean_action.setEnabled(
            can
            and (self.models[State.INVALID].rowCount() + self.models[State.INCOMPLETE].rowCount())
            > 0
        )
        why = ""
        if self.read_only:
            why = self.tr(" (read-only)")
        elif self.jobs.busy:
            why = self.tr(" (a job is running)")
        for action in self.change_actions:
            action.setStatusTip(action.toolTip() + why)

    def _confirm(self, text: str, detail: str, verb: str, then: Callable[[], None]) -> None:
        """Ask before anything destructive; ``then`` runs only on an explicit yes."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Confirm"))
        box.setText(text)
        box.setInformativeText(detail)
        yes = box.addButton(verb, QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)

        def done(_: int) -> None:
            if box.clickedButton() is yes:
                then()

        box.finished.connect(done)
        box.open()
        self.confirmation = box

    def _submit(self, title: str, run: Callable[[JobProgress], JobResult]) -> None:
        if not self.jobs.submit(Job(title, run)):
            self.statusBar().showMessage(self.tr("Another job is still running."), 5000)

    @Slot()
    def delete_selected(self) -> None:
        entries = self.current_view().selected_entries()
        if entries and self.delete_action.isEnabled():
            self._ask_delete(entries)

    @Slot()
    def delete_all_in_tab(self) -> None:
        entries = list(self.models[self.current_state()].entries())
        if entries and self.delete_all_action.isEnabled():
            self._ask_delete(entries)

    def _ask_delete(self, entries: list[Entry]) -> None:
        cache = self._cache()
        if cache is None:
            return
        self._confirm(
            self.tr("Delete %s?") % describe(entries),
            self.tr(
                "Files and their metadata are removed from %s. Glance downloads an image "
                "again the next time it is asked for."
            )
            % self.cache_path,
            self.tr("Delete"),
            lambda: self._submit(self.tr("Deleting"), lambda p: actions.delete(cache, entries, p)),
        )

    @Slot()
    def requeue_selected(self) -> None:
        entries = self.current_view().selected_entries()
        cache = self._cache()
        if not entries or cache is None or not self.requeue_action.isEnabled():
            return
        self._confirm(
            self.tr("Requeue %s?") % describe(entries),
            self.tr("Each is removed from the cache and its id queued for the prefetcher."),
            self.tr("Requeue"),
            lambda: self._submit(
                self.tr("Requeueing"), lambda p: actions.requeue(cache, entries, p)
            ),
        )

    @Slot()
    def queue_images(self) -> None:
        cache = self._cache()
        if cache is None or not self.queue_action.isEnabled():
            return
        dialog = QueueDialog(self)
        dialog.ids_chosen.connect(
            lambda ids: self._submit(self.tr("Queueing"), lambda p: actions.queue(cache, ids, p))
        )
        dialog.open()
        self.dialog = dialog

    @Slot()
    def prune(self) -> None:
        cache = self._cache()
        if cache is None or self._last is None or not self.prune_action.isEnabled():
            return
        assert self.cache_path is not None
        dialog = PruneDialog(
            cache, self._last.snapshot.entries, self.cache_settings.max_size(self.cache_path), self
        )
        self._open_plan_dialog(dialog, self.tr("Pruning"), actions.prune, cache)

    @Slot()
    def clean(self) -> None:
        cache = self._cache()
        if cache is None or self._last is None or not self.clean_action.isEnabled():
            return
        assert self.cache_path is not None
        dialog = CleanDialog(
            self._last.snapshot.entries, self.cache_settings.stall_time(self.cache_path), self
        )
        self._open_plan_dialog(dialog, self.tr("Cleaning"), actions.clean, cache)

    def _open_plan_dialog(
        self,
        dialog: PlanDialog,
        title: str,
        run: Callable[[CacheDriver, Plan, JobProgress], JobResult],
        cache: CacheDriver,
    ) -> None:
        """Show a Prune or Clean dialog; the plan it accepts runs as a job."""
        dialog.accepted_plan.connect(
            lambda plan: self._submit(title, lambda p: run(cache, plan, p))
        )
        dialog.open()
        self.dialog = dialog

    @Slot()
    def choose_export(self) -> None:
        if not self.export_action.isEnabled():
            return
        dialog = QFileDialog(self, self.tr("Export Table"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters([self.tr("CSV files (*.csv)"), self.tr("JSON files (*.json)")])
        dialog.setDefaultSuffix("csv")
        dialog.selectFile(f"{self.current_state()}-entries.csv")
        dialog.filterSelected.connect(
            lambda f: dialog.setDefaultSuffix("json" if "json" in f else "csv")
        )
        dialog.fileSelected.connect(self.export_table)
        dialog.open()
        self.dialog = dialog

    @Slot(str)
    def export_table(self, path: str) -> None:
        """Write the rows the current table shows (filter and order kept), off the GUI thread."""
        proxy = self.proxies[self.current_state()]
        entries = [proxy.index(r, 0).data(EntryRole) for r in range(proxy.rowCount())]
        cache_path = str(self.cache_path)
        driver = self._last.snapshot.driver if self._last else ""

        def run(progress: JobProgress) -> JobResult:
            started = time.monotonic()
            with open(path, "w", encoding="utf-8", newline="") as out:
                if path.lower().endswith(".json"):
                    write_json(cache_path, driver, entries, out)
                else:
                    write_csv(entries, out)
            progress(len(entries), len(entries))
            return JobResult(
                "export",
                done=len(entries),
                total=len(entries),
                seconds=time.monotonic() - started,
            )

        self._submit(self.tr("Exporting"), run)

    def _cache(self) -> CacheDriver | None:
        return None if self._last is None else self._last.cache

    @Slot(object)
    def _on_job_started(self, job: Job) -> None:
        self.job_label.setText(job.title + "…")
        self.job_progress.setRange(0, 0)
        for w in (self.job_label, self.job_progress, self.job_cancel):
            w.show()

    @Slot(int, int)
    def _on_job_progress(self, done: int, total: int) -> None:
        self.job_progress.setRange(0, max(total, 1))
        self.job_progress.setValue(done)
        self.job_progress.setFormat(f"{done:,} / {total:,}")

    def _job_over(self) -> None:
        for w in (self.job_label, self.job_progress, self.job_cancel):
            w.hide()
        self.job_cancel.setEnabled(True)
        self.refresh()

    @Slot()
    def _cancel_job(self) -> None:
        self.jobs.cancel()
        self.job_cancel.setEnabled(False)
        self.job_label.setText(self.tr("Stopping…"))

    @Slot(object, object)
    def _on_job_finished(self, job: Job, result: JobResult) -> None:
        self.last_job_result = result
        self._job_over()
        box = QMessageBox(self)
        box.setWindowTitle(job.title.rstrip("…"))
        box.setIcon(QMessageBox.Icon.Information if result.ok else QMessageBox.Icon.Warning)
        box.setText(summarize_result(result))
        if result.failures:
            box.setDetailedText(
                "\n".join(f"{f.id} ({f.state}): {f.reason}" for f in result.failures)
            )
        box.open()
        self.result_box = box
        self.job_done.emit(result)

    @Slot(object, str)
    def _on_job_failed(self, job: Job, message: str) -> None:
        self.last_job_result = None
        self._job_over()
        self.message_bar.show_message("error", self.tr("%s failed: %s") % (job.title, message))
        self.job_done.emit(None)

    @Slot()
    def _about(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle(self.tr("About Cache Inspector"))
        box.setText(
            self.tr(
                "<b>Cache Inspector %s</b><p>See what an OpenStack Glance image cache holds, "
                "why it is full and what a prune would evict.</p>"
            )
            % __version__
        )
        box.open()
