"""The Fleet view: every glance-api node of a deployment, from Glance's database.

The nodes table (each node's cached count, bytes drawn as a bar, hits, last
activity, and whether it answers its cache API) over the image x node matrix
(names from Glance's image records), with the fleet's totals.  Select images
and nodes, then queue on or delete from those nodes, or clean or prune chosen
nodes: each is named and confirmed, runs on the worker with progress and Stop,
and ends with each node's own result (one node's failure stops no other).

The database is read (one read-only transaction, aggregated by the server) and
every node is asked through its cache API in parallel, all off the GUI thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QSortFilterProxyModel, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from inspector.core.errors import ScanCancelled
from inspector.core.fleet import Fleet, FleetImage, fleet_database, read_fleet
from inspector.core.fleet_actions import FleetAction, NodeOutcome, act_on_nodes, probe_nodes
from inspector.core.source import redact_url
from inspector.gui.dialogs.confirm import ConfirmBox
from inspector.gui.fleet.asking import ACTIONS, confirmation, ids_needed, outcome_box, tr
from inspector.gui.fleet.models import SORT_ROLE, MatrixFilter, MatrixModel, NodesModel, Where
from inspector.gui.fleet.tables import BarDelegate, make_table, selected_rows, size_matrix
from inspector.gui.widgets.labels import ValueLabel
from inspector.gui.widgets.message_bar import MessageBar
from inspector.gui.widgets.status import StatusWidgets
from inspector.gui.workers import Cancelled, Reporter, Runner, Task
from inspector.report import formatting

#: Images in the matrix: the first this many by id (the totals count them all).
IMAGE_LIMIT = 1000
#: How long a node may take to answer its cache API.
NODE_TIMEOUT_S = 10.0


class FleetWindow(QMainWindow):
    #: The fleet's reading is shown (tests and tools wait on it).
    refreshed = Signal()
    #: Every node answered or failed to.
    nodes_asked = Signal()
    #: An action on nodes ended, with each node's outcome.
    job_done = Signal(object)
    #: A reading failed, with the message shown.
    failed = Signal(str)

    def __init__(
        self,
        db_url: str | None = None,
        config: Path | None = None,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db_url, self.config = db_url, config
        self.settings = settings or QSettings()
        self.fleet: Fleet | None = None
        self.runner = Runner(self)
        self.confirmation: ConfirmBox | None = None
        self.result_box: QMessageBox | None = None
        self._job: Task | None = None
        self._read: Task | None = None
        where = str(config) if db_url is None else redact_url(db_url)
        self.setWindowTitle(self.tr("Fleet of %s — Cache Inspector") % where)
        self._build()
        self._wire()
        self.restoreGeometry(self.settings.value("fleet/geometry", b""))  # type: ignore[arg-type]
        if self.settings.value("fleet/geometry") is None:
            self.resize(1200, 780)
        self.refresh()

    # -- building ----------------------------------------------------------------

    def _build(self) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        self.message_bar = MessageBar()
        self.totals = ValueLabel(self.tr("Fleet totals"), self.tr("Reading the fleet…"))
        self.totals.setWordWrap(True)
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        filters = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(self.tr("Filter images by id or name (Ctrl+F)"))
        self.filter_edit.setAccessibleName(self.tr("Filter images by id or name"))
        self.filter_edit.setClearButtonEnabled(True)
        label = QLabel(self.tr("F&ilter:"))
        label.setBuddy(self.filter_edit)
        self.where = QComboBox()
        self.where.setAccessibleName(self.tr("Which images"))
        for w in Where:
            self.where.addItem(self.tr(w.value), w)
        show = QLabel(self.tr("&Show:"))
        show.setBuddy(self.where)
        filters.addWidget(label)
        filters.addWidget(self.filter_edit, 1)
        filters.addWidget(show)
        filters.addWidget(self.where)

        self.nodes_model = NodesModel(self)
        self.nodes_proxy = QSortFilterProxyModel(self)
        self.nodes_proxy.setSourceModel(self.nodes_model)
        self.nodes_proxy.setSortRole(SORT_ROLE)
        self.nodes_view = make_table(self.nodes_proxy, self.tr("Nodes"))
        self.nodes_view.setItemDelegateForColumn(3, BarDelegate(self.nodes_view))
        self.nodes_view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.matrix_model = MatrixModel(self)
        self.matrix_proxy = MatrixFilter(self)
        self.matrix_proxy.setSourceModel(self.matrix_model)
        self.matrix_view = make_table(self.matrix_proxy, self.tr("Images by node"))
        self.matrix_view.sortByColumn(3, Qt.SortOrder.DescendingOrder)  # the biggest first
        self.nodes_title = QLabel(self.tr("&Nodes (select the nodes to act on):"))
        self.nodes_title.setBuddy(self.nodes_view)
        self.matrix_title = QLabel(self.tr("I&mages by node:"))
        self.matrix_title.setBuddy(self.matrix_view)
        top, bottom = QWidget(), QWidget()
        for holder, title, view in (
            (top, self.nodes_title, self.nodes_view),
            (bottom, self.matrix_title, self.matrix_view),
        ):
            box = QVBoxLayout(holder)
            box.setContentsMargins(0, 0, 0, 0)
            box.addWidget(title)
            box.addWidget(view, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(1, 2)
        layout.addWidget(self.message_bar)
        layout.addWidget(self.totals)
        layout.addLayout(filters)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.status = StatusWidgets(self.statusBar())
        self.selection_label, self.reading_indicator, self.job_indicator = self.status.parts()
        toolbar = self.addToolBar(self.tr("Fleet"))
        toolbar.setObjectName("fleet-toolbar")
        self.actions_by_name: dict[str, QAction] = {}
        for name, text, key, tip in ACTIONS:
            action = QAction(tr(text), self)
            action.setShortcut(QKeySequence(key))
            action.setToolTip(tr(tip))
            action.setStatusTip(tr(tip))
            toolbar.addAction(action)
            self.addAction(action)
            self.actions_by_name[name] = action
        find = QAction(self)
        find.setShortcut(QKeySequence("Ctrl+F"))
        find.triggered.connect(self.filter_edit.setFocus)
        self.addAction(find)

    def _wire(self) -> None:
        acts = self.actions_by_name
        acts["refresh"].triggered.connect(self.refresh)
        acts["queue"].triggered.connect(lambda: self.ask(FleetAction.QUEUE))
        acts["delete"].triggered.connect(lambda: self.ask(FleetAction.DELETE))
        acts["clean"].triggered.connect(lambda: self.ask(FleetAction.CLEAN))
        acts["prune"].triggered.connect(lambda: self.ask(FleetAction.PRUNE))
        self.filter_edit.textChanged.connect(self._filter)
        self.where.currentIndexChanged.connect(self._filter)
        for view in (self.nodes_view, self.matrix_view):
            view.selectionModel().selectionChanged.connect(self._update)
        self.runner.result.connect(self._result)
        self.runner.error.connect(self._error)
        self.runner.cancelled.connect(self._cancelled)
        self.runner.progress.connect(self._progress)
        self.runner.busy_changed.connect(self._update)
        self.reading_indicator.stop_requested.connect(lambda: self.runner.cancel(self._read))
        self.job_indicator.stop_requested.connect(lambda: self.runner.cancel(self._job))
        self._update()

    # -- reading -----------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        url, config = self.db_url, self.config

        def load(reporter: Reporter) -> Fleet:
            db = fleet_database(url, config)
            try:
                return read_fleet(
                    db, image_limit=IMAGE_LIMIT, cancelled=lambda: reporter.cancelled
                )
            except ScanCancelled:
                raise Cancelled from None

        self._read = Task(self.tr("Reading the fleet"), load, source="fleet", lane="fleet:read")
        self.reading_indicator.started()
        self.runner.submit(self._read)

    def _ask_nodes(self, urls: list[str]) -> None:
        def ask(reporter: Reporter) -> list[object]:
            answered: list[object] = []

            def heard(state: object) -> None:
                answered.append(state)
                reporter.progress(len(answered), len(urls))

            return list(probe_nodes(urls, timeout=NODE_TIMEOUT_S, done=heard))

        task = Task(self.tr("Asking the nodes"), ask, source="fleet", lane="fleet:ask")
        self.runner.submit(task)

    @Slot(object, object)
    def _result(self, task: Task, value: object) -> None:
        if task is self._read:
            assert isinstance(value, Fleet)
            self.reading_indicator.ended("read")
            self.show_fleet(value)
            self._ask_nodes([n.url for n in value.nodes])
            self.refreshed.emit()
        elif task.lane == "fleet:ask":
            self.nodes_model.set_states(list(value))  # type: ignore[call-overload]
            self.nodes_view.resizeColumnToContents(1)
            self._show_totals()
            self.nodes_asked.emit()
        elif task is self._job:
            self._job = None
            self.job_indicator.ended()
            self._show_outcomes(task.title, list(value))  # type: ignore[call-overload]
            self.refresh()

    @Slot(object, str)
    def _error(self, task: Task, message: str) -> None:
        if task is self._read:
            self.reading_indicator.ended("failed")
            prefix = self.tr("Showing the last good reading. ") if self.fleet else ""
            self.message_bar.show_message("error", prefix + message)
            self.failed.emit(message)
        elif task is self._job:
            self._job = None
            self.job_indicator.ended()
            self.message_bar.show_message(
                "error", self.tr("%s failed: %s") % (task.title, message)
            )
            self.job_done.emit([])

    @Slot(object)
    def _cancelled(self, task: Task) -> None:
        if task is self._read:
            self.reading_indicator.ended("cancelled")

    @Slot(object, int, int)
    def _progress(self, task: Task, done: int, total: int) -> None:
        if task is self._job:
            self.job_indicator.show_progress(done, total)

    def show_fleet(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.message_bar.clear_message()
        self.nodes_model.set_fleet(fleet)
        self.matrix_model.set_fleet(fleet)
        self.nodes_view.resizeColumnsToContents()
        self.nodes_view.setColumnWidth(3, max(self.nodes_view.columnWidth(3), 180))  # the bar
        size_matrix(self.matrix_view, self.matrix_model, fleet)
        if not fleet.nodes:
            self.message_bar.show_message(
                "info",
                self.tr(
                    "No node is recorded in this database yet: a centralized_db node "
                    "records itself (node_reference) when its glance-api starts."
                ),
            )
        self._show_totals()
        self._update()

    def _show_totals(self) -> None:
        fleet = self.fleet
        if fleet is None:
            return
        down = sum(1 for s in self.nodes_model.states.values() if not s.reachable)
        parts = [
            self.tr("<b>%s nodes</b>") % f"{len(fleet.nodes):,}"
            + (self.tr(" (%s unreachable)") % down if down else ""),
            self.tr("%s cached copies, %s") % (f"{fleet.count:,}", formatting.size(fleet.bytes)),
            self.tr("%s images: %s on every node, %s on one node only, %s deleted in Glance")
            % (
                f"{fleet.images_total:,}",
                f"{fleet.images_on_every_node:,}",
                f"{fleet.images_on_one_node:,}",
                f"{fleet.images_deleted:,}",
            ),
        ]
        text = " · ".join(parts) + "<br>" + self.tr("Database: %s") % fleet.database
        if fleet.limited:
            text += self.tr(" · the matrix shows the first %s images by id") % (
                f"{len(fleet.images):,}"
            )
        self.totals.setText(text)

    @Slot()
    def _filter(self) -> None:
        where = Where(self.where.currentData() or Where.ALL)  # Qt hands back a str
        self.matrix_proxy.set_filter(self.filter_edit.text(), where)
        self._update()

    # -- choosing and acting -------------------------------------------------------

    def chosen_nodes(self) -> list[str]:
        rows = sorted(
            self.nodes_proxy.mapToSource(i).row()
            for i in self.nodes_view.selectionModel().selectedRows()
        )
        return [self.nodes_model.node(r).url for r in rows]

    def chosen_images(self) -> list[FleetImage]:
        rows = sorted(
            self.matrix_proxy.mapToSource(i).row()
            for i in self.matrix_view.selectionModel().selectedRows()
        )
        return [self.matrix_model.image(r) for r in rows]

    @Slot()
    def _update(self) -> None:
        # Counted from the selection's ranges: listing every selected row of a
        # 1,000 x 50 matrix on each change stalls the window.
        nodes, images = selected_rows(self.nodes_view), selected_rows(self.matrix_view)
        idle = self._job is None
        acts = self.actions_by_name
        acts["queue"].setEnabled(idle and nodes > 0 and images > 0)
        acts["delete"].setEnabled(idle and nodes > 0 and images > 0)
        acts["clean"].setEnabled(idle and nodes > 0)
        acts["prune"].setEnabled(idle and nodes > 0)
        shown = self.matrix_proxy.rowCount()
        self.selection_label.setText(
            self.tr("%s of %s nodes and %s of %s images selected")
            % (nodes, self.nodes_model.rowCount(), f"{images:,}", f"{shown:,}")
        )

    def ask(self, action: FleetAction) -> None:
        """Name what would change where; run it only on the explicit answer."""
        nodes, images = self.chosen_nodes(), self.chosen_images()
        if not nodes or (ids_needed(action) and not images) or self._job is not None:
            return
        text, detail, verb = confirmation(action, nodes, images)
        ids = [i.id for i in images]
        box = ConfirmBox(text, detail, verb, self)
        box.confirmed.connect(lambda: self._run(action, nodes, ids, text.rstrip("?")))
        box.open()
        self.confirmation = box

    def _run(self, action: FleetAction, nodes: list[str], ids: list[str], title: str) -> None:
        def work(reporter: Reporter) -> list[NodeOutcome]:
            return act_on_nodes(
                nodes, action, ids, timeout=NODE_TIMEOUT_S, progress=reporter.progress
            )

        task = Task(title, work, source="fleet", exclusive=True)
        if not self.runner.submit(task):
            self.statusBar().showMessage(self.tr("Another job is still running."), 8000)
            return
        self._job = task
        self.job_indicator.started(title)
        self._update()

    def _show_outcomes(self, title: str, outcomes: list[NodeOutcome]) -> None:
        """Each node's own result, in one box that stays until closed."""
        self.result_box = outcome_box(title, outcomes, self)
        self.result_box.open()
        self.job_done.emit(outcomes)

    # -- closing -------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.setValue("fleet/geometry", self.saveGeometry())
        self.runner.cancel()
        self.runner.shutdown()
        super().closeEvent(event)
