"""The page of one open cache: header, filter, a table tab per state, and the statistics.

Which tabs there are follows the kind's capabilities (its states); the page
shows what the controller read and says what the user selected, and nothing
else: it runs nothing itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from inspector.core import STATES, CacheSource, Capabilities, Entry, IdRule, Reading, State
from inspector.core.audit import AuditReport
from inspector.core.freeing import freed_bytes
from inspector.gui.cache.columns import DEFAULT_SORT, EMPTY_HINTS, STATE_TITLES, Context
from inspector.gui.cache.entry_model import EntryTableModel, Sorter, SortSpec
from inspector.gui.cache.entry_view import EntryTableView
from inspector.gui.cache.filter_bar import FilterBar
from inspector.gui.cache.filter_proxy import IdFilterProxy
from inspector.gui.cache.folders_view import FoldersView
from inspector.gui.cache.header import CacheHeader
from inspector.gui.cache.problems_view import ProblemsView
from inspector.gui.cache.reading import FirstRows, ReadResult
from inspector.gui.cache.stats_view import StatisticsView
from inspector.gui.commands import CommandState
from inspector.gui.icons import icon
from inspector.gui.widgets.message_bar import MessageBar
from inspector.report import formatting

#: The columns of Glance's tables (the default of Capabilities.columns).
GLANCE_COLUMNS: tuple[str, ...] = Capabilities(states=(), actions=frozenset()).columns


_SIZE = attrgetter("size")


class CachePage(QWidget):
    #: The selection or the rows shown changed (the status bar and actions follow).
    selection_changed = Signal()
    #: Another tab is shown.
    tab_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        self.message_bar = MessageBar()
        layout.addWidget(self.message_bar)
        self.header = CacheHeader()
        layout.addWidget(self.header)

        self.filter_bar = FilterBar()
        self.filter_edit, self.filter_timer = self.filter_bar.edit, self.filter_bar.timer
        self.filter_bar.changed.connect(self.apply_filter)
        layout.addWidget(self.filter_bar)

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(self.tr("Entry states"))
        self.tabs.setDocumentMode(True)
        self.tabs.currentChanged.connect(self._tab_changed)
        layout.addWidget(self.tabs, 1)
        self.states: tuple[State, ...] = ()
        self.models: dict[State, EntryTableModel] = {}
        self.proxies: dict[State, IdFilterProxy] = {}
        self.views: dict[State, EntryTableView] = {}
        self.empty_labels: dict[State, QLabel] = {}
        self.holders: dict[State, QWidget] = {}
        self.stats_view = StatisticsView()
        self.stats_view.select_requested.connect(self.select_from_chart)
        self.problems_view = ProblemsView()
        self.folders_view = FoldersView()
        self.folders_view.folder_chosen.connect(self.show_folder)
        self._last_state = State.CACHED
        self._kind: tuple[object, ...] = ()
        #: Sorts big tables off the GUI thread (set by the window: the controller's).
        self.sorter: Sorter | None = None
        self._fields: tuple[str, ...] | None = None
        self._names = False  # the entries carry Glance's image records
        #: Cached images deleted in Glance, in the last reading.
        self.deleted = 0
        self.set_states(STATES)

    # -- tabs ------------------------------------------------------------------

    def set_states(self, states: Sequence[State]) -> None:
        """One table tab per state (Glance's columns), then Statistics and Problems."""
        self.set_kind(states)

    def set_kind(
        self,
        states: Sequence[State],
        fields: tuple[str, ...] | None = None,
        folders: bool = False,
        names: bool = False,
    ) -> None:
        """The tabs of a kind: a table per state (with its own columns, ``fields``, and
        Glance's image names and status with ``names``), the Folders of a kind with
        path-like ids, Statistics and Problems."""
        kind = (tuple(states), fields, folders, names)
        if kind == self._kind:
            return
        if fields != self._fields or names != self._names:
            self._drop_tables()
            self._fields, self._names = fields, names
        self.tabs.blockSignals(True)
        self.tabs.clear()
        for state in states:
            if state not in self.models:
                self._make_table(state)
            self.tabs.addTab(self.holders[state], self.tr(STATE_TITLES[state]))
        if folders:
            self.tabs.addTab(self.folders_view, self.tr("Folders"))
        self.tabs.addTab(self.stats_view, icon("statistics"), self.tr("Statistics"))
        self.tabs.addTab(self.problems_view, self.problems_view.title())
        self.tabs.blockSignals(False)
        self.states, self._kind = tuple(states), kind
        self.stats_view.set_states(states)
        self._last_state = self.states[0]

    def set_sorter(self, sorter: Sorter) -> None:
        self.sorter = sorter
        for model in self.models.values():
            model.sorter = sorter

    def _drop_tables(self) -> None:
        for state in list(self.models):
            self.holders.pop(state).deleteLater()
            for table in (self.models, self.proxies, self.views, self.empty_labels):
                table.pop(state)

    def _make_table(self, state: State) -> None:
        model = EntryTableModel(state, self, self._fields, self._names)
        model.sorter = self.sorter
        proxy = IdFilterProxy(model, self)
        view = EntryTableView(proxy, self.tr("%s entries") % self.tr(STATE_TITLES[state]))
        view.set_column_widths()
        view.selection_summary_changed.connect(self.selection_changed)
        key, order = DEFAULT_SORT[state]
        keys = [c.key for c in model.columns]
        view.sortByColumn(keys.index(key) if key in keys else 0, order)
        holder = QWidget()
        holder_layout = QVBoxLayout(holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        empty = QLabel(self.tr(EMPTY_HINTS[state]))
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # The keyboard lands here when the tab is empty, and hears what it says;
        # #595959 keeps 6:1 against the window's grey.
        empty.setAccessibleName(empty.text())
        empty.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        empty.setStyleSheet(
            "QLabel { color: #595959; padding: 24px; }QLabel:focus { border: 1px dotted #595959; }"
        )
        empty.hide()
        holder_layout.addWidget(empty)
        holder_layout.addWidget(view, 1)
        self.models[state], self.proxies[state], self.views[state] = model, proxy, view
        self.empty_labels[state] = empty
        self.holders[state] = holder

    def show_tab(self, index: int) -> None:
        """Show a tab and put the focus where the keyboard can use it."""
        if not 0 <= index < self.tabs.count():
            return
        self.tabs.setCurrentIndex(index)
        if self.statistics_shown():
            self.stats_view.setFocus()
        elif self.problems_shown():
            self.problems_view.table.setFocus()
        else:
            self.focus_table()

    def current_state(self) -> State:
        """The state of the table tab shown (or last shown, on the Statistics tab)."""
        index = self.tabs.currentIndex()
        if 0 <= index < len(self.states):
            self._last_state = self.states[index]
        return self._last_state

    def statistics_shown(self) -> bool:
        return self.tabs.currentWidget() is self.stats_view

    def problems_shown(self) -> bool:
        return self.tabs.currentWidget() is self.problems_view

    def on_table(self) -> bool:
        return not (self.statistics_shown() or self.problems_shown())

    def show_audit(self, report: AuditReport) -> None:
        self.problems_view.show_report(report)
        self.tabs.setTabText(self.tabs.indexOf(self.problems_view), self.problems_view.title())

    def current_view(self) -> EntryTableView:
        return self.views[self.current_state()]

    def focus_table(self) -> None:
        """Focus the current table, or what says it is empty."""
        state = self.current_state()
        if self.views[state].isHidden():
            self.empty_labels[state].setFocus()
        else:
            self.views[state].setFocus()

    @Slot(int)
    def _tab_changed(self, _index: int) -> None:
        self.tab_changed.emit()
        self.selection_changed.emit()

    # -- contents --------------------------------------------------------------

    def clear(self) -> None:
        for model in self.models.values():
            model.update([])

    def sort_specs(self) -> dict[State, SortSpec | None]:
        return {s: self.models[s].sort_spec() for s in self.states}

    def set_context(self, context: Context) -> None:
        for model in self.models.values():
            model.set_context(context)

    def show_opening(self, source: CacheSource, read_only: bool) -> None:
        """A cache is being opened: its name, no figures yet."""
        self.message_bar.clear_message()
        self.header.set_cache(source.display_name(), self.tr("reading…"), read_only)
        self.header.set_summary(None)

    def show_result(self, result: ReadResult, read_only: bool) -> None:
        """Put a reading in the header and its rows in the tables.

        The rows come sorted off the GUI thread; they are taken as they are
        wherever the table's order has not changed since.
        """
        reading = result.reading
        caps = reading.driver.capabilities
        why = reading.read_only_reason or ("opened read-only" if read_only else "")
        self.header.set_cache(reading.source.display_name(), reading.driver.title, read_only, why)
        self.header.set_summary(reading.summary, caps.states, caps.has_hits)
        names = reading.snapshot.image_records
        self._set_kind_of(caps, names)
        self.folders_view.show_tree(result.tree)
        if names:
            self.filter_bar.set_subject("image id or name")
        else:
            self.filter_bar.set_subject("image id" if caps.id_rule is IdRule.NAME else "name")
        self.deleted = result.deleted
        self.filter_bar.set_deleted(names, self.deleted)
        self.stats_view.set_kind(caps.has_hits, result.tree is not None)
        self.stats_view.show_folders(result.tree)
        self._put_rows(result)
        if reading.snapshot.warnings:
            self.message_bar.show_message("warning", "\n".join(reading.snapshot.warnings))
        elif self.message_bar.level:
            self.message_bar.clear_message()

    def show_first_rows(self, first: FirstRows) -> None:
        """The entries a long first reading has found so far, while it goes on."""
        self._set_kind_of(first.driver.capabilities, False)
        self._put_rows(first)

    def _set_kind_of(self, caps: Capabilities, names: bool) -> None:
        own = caps.columns if caps.columns != GLANCE_COLUMNS else None
        self.set_kind(caps.states, own, caps.id_rule is IdRule.PATH, names)

    def _put_rows(self, laid: ReadResult | FirstRows) -> None:
        """Each table's rows, taken as they come wherever the table's order is theirs."""
        rows, row_of, sorts, context = laid.rows, laid.row_of, laid.sorts, laid.context
        for state in self.states:
            model = self.models[state]
            if context.stall_time != model.context.stall_time:
                # A table made for this kind just now has the default stall time: the rows
                # were sorted with the one in force (without it, every reading of a store,
                # which has none, was sorted again here, on the GUI thread).
                model.set_context(context)
            presorted = sorts.get(state) == model.sort_spec()
            model.update(rows.get(state, []), presorted, row_of.get(state))
        self.update_counts()

    def show_failure(self, message: str, source: CacheSource | None, has_reading: bool) -> None:
        """A reading failed: say why; the last good reading, if any, stays to look at."""
        if not has_reading:
            name = source.display_name() if source else ""
            self.header.set_cache(name, self.tr("unknown"), False)
            self.header.counts_label.setText("")
            self._drop_first_rows()
        prefix = self.tr("Showing the last good reading. ") if has_reading else ""
        self.message_bar.show_message("error", prefix + message)

    def show_cancelled(self, has_reading: bool) -> None:
        if not has_reading:
            self.header.counts_label.setText(
                self.tr("Reading was cancelled: press F5 to read it.")
            )
            self._drop_first_rows()

    def _drop_first_rows(self) -> None:
        """No first reading after all: the part shown goes (not to be taken for the cache)."""
        for model in self.models.values():
            model.update([])
        self.update_counts()

    def update_counts(self) -> None:
        for i, state in enumerate(self.states):
            n = self.models[state].total()
            self.tabs.setTabText(i, f"{self.tr(STATE_TITLES[state])} ({n:,})")
            self.empty_labels[state].setVisible(n == 0)
            self.views[state].setVisible(n > 0)

    def entries_shown(self) -> list[Entry]:
        """The rows the current table shows, filtered and in its order."""
        return list(self.models[self.current_state()].entries())

    # -- filter and selection --------------------------------------------------

    @Slot()
    def apply_filter(self) -> None:
        text, deleted_only = self.filter_bar.text(), self.filter_bar.deleted_only()
        for model in self.models.values():
            model.set_filter(text, deleted_only)
        self.selection_changed.emit()

    def focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    def command_state(self, reading: Reading | None, read_only: bool, busy: bool) -> CommandState:
        """What the command table needs to know about this page."""
        state = self.current_state()
        report = self.problems_view.report
        return CommandState(
            has_reading=reading is not None,
            read_only=read_only,
            busy=busy,
            on_table=self.on_table(),
            state=state,
            selected=self.current_view().selected_count(),
            rows=self.models[state].rowCount(),
            counts={s: self.models[s].total() for s in self.states},
            capabilities=reading.driver.capabilities if reading else None,
            problems=len(report.problems) if report else 0,
            deleted=self.deleted,
            names=self._names,
        )

    def selection_text(self) -> str:
        """What the status bar says about the current tab."""
        if self.problems_shown():
            report = self.problems_view.report
            return self.tr("Auditing…") if report is None else self.problems_view.summary.text()
        if self.statistics_shown():
            st = self.stats_view.stats
            if st is None:
                return self.tr("Statistics: computing…")
            return self.tr("Statistics of %s cached images") % (
                f"{st.summary.totals(State.CACHED).count:,}"
            )
        view = self.current_view()
        entries = view.selected_entries()
        shown = view.model().rowCount()
        total = self.models[self.current_state()].total()
        text = self.tr("%s of %s shown") % (f"{shown:,}", f"{total:,}")
        if entries:
            size = sum(map(_SIZE, entries))
            chosen = formatting.size(size)
            if self._fields is not None and "links" in self._fields:
                freed = freed_bytes(entries)  # hard links kept elsewhere free nothing
                if freed != size:
                    chosen += self.tr(" (deleting frees %s)") % formatting.size(freed)
            text = self.tr("%s selected, %s · %s") % (f"{len(entries):,}", chosen, text)
        return text

    @Slot(str)
    def show_folder(self, path: str) -> None:
        """The files below the folder ``path``, in the table (the filter takes the path)."""
        self.filter_edit.setText(path.rstrip("/") + "/")
        self.apply_filter()
        self.tabs.setCurrentIndex(0)
        self.focus_table()

    @Slot(object, object)
    def select_from_chart(self, state: State, ids: tuple[str, ...] | None) -> None:
        """Show the entries a chart mark stands for, selected, in their table."""
        if state not in self.states:
            return
        self.filter_edit.clear()
        self.apply_filter()
        self.tabs.setCurrentIndex(self.states.index(state))
        view = self.views[state]
        if ids is None:
            view.selectAll()
        else:
            view.select_ids(set(ids))
        runs = view.selected_runs()
        if runs:
            view.scrollTo(view.model().index(runs[0][0], 0))
        view.setFocus()
