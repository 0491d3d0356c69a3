"""A table model of one state's entries, sorted in Python, updated incrementally."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor

from inspector.core import Entry, State
from inspector.core.sorting import KEYS, is_stalled, sort_entries
from inspector.gui.cache.columns import Column, Context, columns_for

#: Raw, comparable value of a cell (bytes, epoch seconds; None when unknown).
SortRole = Qt.ItemDataRole.UserRole + 1
#: The backing :class:`Entry` of a row.
EntryRole = Qt.ItemDataRole.UserRole + 2

Index = QModelIndex | QPersistentModelIndex

DEFAULT_STALL_TIME = 86400.0

#: Above this many rows removed or added, one layout change replaces the row signals.
BULK_CHANGE = 500

#: (core sort key, descending): how a table is ordered, for sorting off the GUI thread.
SortSpec = tuple[str, bool]

#: Tables longer than this sort off the GUI thread (a sort of 100,000 rows takes 0.2 s).
ASYNC_SORT_ROWS = 20_000


#: The rows in order, with each id's place among them (made where the sort was).
Sorted = tuple[list["Entry"], dict[str, int]]

#: Arranges a table's rows elsewhere (sorts or filters them: the work, made of plain
#: data, runs on a worker) and calls back with them on the GUI thread: (work, done, table).
Sorter = Callable[[Callable[[], Sorted], Callable[[Sorted], None], str], None]


_ID = attrgetter("id")


#: Rows indexed at once by a worker: one C call holds the interpreter (a million rows in
#: one go held it 150 ms, and the GUI thread waited).
INDEX_CHUNK = 16_384


def index_of(rows: Sequence[Entry]) -> dict[str, int]:
    """Each row's id to its place (in C: a tenth of the time of a comprehension; in
    chunks off the GUI thread, so that it can run between them)."""
    n = len(rows)
    if n <= INDEX_CHUNK or threading.current_thread() is threading.main_thread():
        return dict(zip(map(_ID, rows), range(n), strict=True))
    out: dict[str, int] = {}
    for first in range(0, n, INDEX_CHUNK):
        part = rows[first : first + INDEX_CHUNK]
        out.update(zip(map(_ID, part), range(first, first + len(part)), strict=True))
    return out


def sorted_rows(rows: Sequence[Entry], spec: SortSpec | None, context: Context) -> list[Entry]:
    """``rows`` in the order of ``spec``, by the core's sort (no Qt involved: any thread)."""
    if spec is None:
        return list(rows)
    key, descending = spec
    return sort_entries(rows, key, descending, context.clock)


def sorted_and_placed(rows: Sequence[Entry], spec: SortSpec | None, context: Context) -> Sorted:
    """:func:`sorted_rows` with each id's place, both made on the thread that sorts."""
    ordered = sorted_rows(rows, spec, context)
    return ordered, index_of(ordered)


def visible_rows(entries: Sequence[Entry], needle: str, deleted_only: bool) -> Sequence[Entry]:
    """The entries whose id (or image name) holds ``needle`` (lower case), and with
    ``deleted_only`` only images deleted in Glance, in their order (any thread)."""
    if deleted_only:
        entries = [e for e in entries if e.image_status == "deleted"]
    if not needle:
        return entries
    return [e for e in entries if needle in e.id.lower() or (e.name and needle in e.name.lower())]


#: Rows with an inconsistency (a row without its file, ...) and stalled downloads.
WARNING_COLOR = QColor("#b35c00")
STALLED_COLOR = QColor("#b02a37")
#: Names a Filetracker client holds now (the "In use" column says so in words too).
LOCKED_COLOR = QColor("#6f42c1")


class EntryTableModel(QAbstractTableModel):
    """The entries of one state.

    Sorting happens here, on the Python list, by each column's raw key: a
    proxy that calls back into Python for every comparison is far too slow at
    100,000 rows.  :meth:`update` applies a new scan as row removals,
    ``dataChanged`` and insertions, so views keep their selection and scroll
    position.
    """

    def __init__(
        self,
        state: State,
        parent: Any = None,
        fields: tuple[str, ...] | None = None,
        names: bool = False,
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.columns: list[Column] = columns_for(state, fields, names)
        self._rows: list[Entry] = []  # the rows shown: those the filter lets through
        self._row_of: dict[str, int] = {}
        self._all: Sequence[Entry] = ()  # every entry of the last update
        self._filter = ""
        self._deleted_only = False  # only images deleted in Glance
        #: The order ``_all`` is in (a sort spec), when known: filtering keeps it.
        self._all_order: object = None
        #: Sorts a big table off the GUI thread: (rows, spec, context, done) -> None.
        self.sorter: Sorter | None = None
        self._generation = 0  # counts changes of the rows, so a late sort is dropped
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._changed_any = False
        self.context = Context(datetime.now(UTC), DEFAULT_STALL_TIME)

    # -- reading -------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        entry = self._rows[index.row()]
        col = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.text(entry, self.context)
        if role == SortRole:
            return KEYS[col.sort](entry, self.context.clock)
        if role == EntryRole:
            return entry
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = col.tooltip(entry, self.context) if col.tooltip else ""
            if entry.note is not None and col.key == "id":
                tip = f"{tip}\n{entry.note}"
            return tip or None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(col.align.value)
        if role == Qt.ItemDataRole.ForegroundRole:
            if entry.locked:
                return LOCKED_COLOR
            if entry.note is not None:
                return WARNING_COLOR
            if self.state is State.INCOMPLETE and self.is_stalled(entry):
                return STALLED_COLOR
            if col.key == "image_status" and entry.image_status == "deleted":
                return STALLED_COLOR  # waste: the tooltip says why, the text says "deleted"
        return None

    def is_stalled(self, entry: Entry) -> bool:
        """Whether Glance's clean would remove this incomplete download now."""
        clock = self.context.clock
        return is_stalled(entry, clock.now, clock.stall_time)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.columns[section].title
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(self.columns[section].align.value)
        return None

    def column_index(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    def entries(self) -> Sequence[Entry]:
        """The rows shown, in their current order."""
        return self._rows

    def total(self) -> int:
        """Every entry of the state, whether the filter shows it or not."""
        return len(self._all)

    def row_of(self, entry_id: str) -> int | None:
        return self._row_of.get(entry_id)

    # -- filtering -------------------------------------------------------------

    def set_filter(self, text: str, deleted_only: bool = False) -> None:
        """Show only the entries whose id (or image name) holds ``text`` (any case), and
        with ``deleted_only`` only images deleted in Glance; "" and False show all."""
        needle = text.strip().lower()
        if needle == self._filter and deleted_only == self._deleted_only:
            return
        self._filter, self._deleted_only = needle, deleted_only
        # Filtering keeps the order: rows already in the table's order need no sort
        # (sorting 100,000 rows here would stall the window).
        spec = self.sort_spec()
        in_order = self._all_order is not None and self._all_order == spec
        if self.sorter is not None and len(self._all) > ASYNC_SORT_ROWS:
            # A pass over 100,000 rows, and maybe a sort: on a worker, as a sort is.
            every, context, generation = self._all, self.context, self._generation

            def arrange() -> Sorted:
                shown = visible_rows(every, needle, deleted_only)
                return sorted_and_placed(shown, None if in_order else spec, context)

            self.sorter(arrange, lambda done: self._sorted(done, generation), str(self.state))
            return
        self._relayout(self._visible(self._all), presorted=in_order)

    def _filtering(self) -> bool:
        return bool(self._filter) or self._deleted_only

    def _visible(self, entries: Sequence[Entry]) -> Sequence[Entry]:
        return visible_rows(entries, self._filter, self._deleted_only)

    def entry(self, row: int) -> Entry:
        return self._rows[row]

    # -- sorting -------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by a column: here for a small table, off the GUI thread for a big one
        (the rows keep their old order until the sorted ones arrive)."""
        if not 0 <= column < len(self.columns):
            return
        self._sort = (column, order)
        spec = self.sort_spec()
        if self.sorter is not None and spec is not None and len(self._rows) > ASYNC_SORT_ROWS:
            generation, rows, context = self._generation, list(self._rows), self.context
            self.sorter(
                lambda: sorted_and_placed(rows, spec, context),
                lambda done: self._sorted(done, generation),
                str(self.state),
            )
            return
        self._relayout(self._rows, presorted=False)

    def _sorted(self, done: Sorted, generation: int) -> None:
        """Sorted rows from a worker: taken unless the rows changed meanwhile."""
        rows, row_of = done
        if generation == self._generation:
            if not self._filtering() and len(rows) == len(self._all):
                self._all, self._all_order = rows, self.sort_spec()
            self._relayout(rows, presorted=True, row_of=row_of)

    def sort_spec(self) -> SortSpec | None:
        """The current order as (core sort key, descending), for sorting off the GUI thread."""
        if self._sort is None:
            return None
        column, order = self._sort
        return (self.columns[column].sort, order == Qt.SortOrder.DescendingOrder)

    def _relayout(
        self, rows: Sequence[Entry], presorted: bool, row_of: dict[str, int] | None = None
    ) -> None:
        """Replace the rows in one layout change; persistent indexes follow their ids.

        Rows that are gone lose their persistent indexes (and so their
        selection); the others keep them, wherever they move.
        """
        self._generation += 1
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        keys = [self._rows[i.row()].id for i in persistent]
        self._rows = list(rows) if presorted else sorted_rows(rows, self.sort_spec(), self.context)
        if presorted and row_of is not None:
            self._row_of = row_of
        else:
            self._row_of = index_of(self._rows)
        moved = [
            self.index(self._row_of[k], i.column()) if k in self._row_of else QModelIndex()
            for k, i in zip(keys, persistent, strict=True)
        ]
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    # -- updating ------------------------------------------------------------

    def set_context(self, context: Context) -> None:
        """New clock or stall time: every time column's text changes."""
        self.context = context
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, len(self.columns) - 1)
            )

    def update(
        self,
        entries: Sequence[Entry],
        presorted: bool = False,
        row_of: dict[str, int] | None = None,
    ) -> None:
        """Bring the rows in line with a new scan of this state.

        A few changes go in as row removals, ``dataChanged`` and insertions;
        many (a prune, a first reading) as one layout change, which costs the
        same at 10 or 10,000 changes.  ``presorted`` says ``entries`` are
        already in the order of :meth:`sort_spec` (the scanner sorts them off
        the GUI thread); ``row_of`` maps each id to its place in ``entries``
        (also built there), which spares the GUI thread two passes over them.
        """
        self._all = entries
        self._all_order = self.sort_spec() if presorted else None
        self._generation += 1
        if self._filtering():
            entries, row_of = self._visible(entries), None  # the order stays: presorted holds
        if row_of is None:
            row_of = index_of(entries)
        if not self._rows:
            if entries:
                self.beginResetModel()
                if presorted:
                    self._rows = list(entries)
                    self._row_of = row_of  # built for this model off the GUI thread
                else:
                    self._rows = sorted_rows(entries, self.sort_spec(), self.context)
                    self._row_of = index_of(self._rows)
                self.endResetModel()
            return
        if presorted:
            # The rows come in the table's order with their places, made off the GUI
            # thread: one layout change puts them in (persistent indexes, and so the
            # selection, follow their ids) without a pass over 100,000 rows here, and
            # the table holds this reading's entries, not the last one's.
            self._relayout(entries, presorted=True, row_of=row_of)
            return
        gone = len(self._row_of.keys() - row_of.keys())
        appearing = len(row_of) - (len(self._rows) - gone)
        if gone > BULK_CHANGE or appearing > BULK_CHANGE:
            self._relayout(entries, presorted, row_of if presorted else None)
            return
        new = {e.id: e for e in entries}
        self._remove_missing(new)
        self._replace_changed(new)
        added = [e for e in entries if e.id not in self._row_of]
        if added:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(added) - 1)
            self._rows.extend(added)
            for i, e in enumerate(added, first):
                self._row_of[e.id] = i
            self.endInsertRows()
        if self._sort is not None and (added or self._changed_any):
            self.sort(*self._sort)

    def _remove_missing(self, new: dict[str, Entry]) -> None:
        gone = [i for i, e in enumerate(self._rows) if e.id not in new]
        if not gone:
            return
        # Remove contiguous runs, bottom first, so earlier row numbers stay valid.
        runs: list[list[int]] = []
        for row in gone:
            if runs and runs[-1][1] == row - 1:
                runs[-1][1] = row
            else:
                runs.append([row, row])
        for first, last in reversed(runs):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first : last + 1]
            self.endRemoveRows()
        self._row_of = index_of(self._rows)

    def _replace_changed(self, new: dict[str, Entry]) -> None:
        self._changed_any = False
        first = last = -1
        for i, e in enumerate(self._rows):
            fresh = new[e.id]
            if fresh != e:
                self._rows[i] = fresh
                self._changed_any = True
                if first < 0:
                    first = i
                last = i
            elif first >= 0:
                self._emit_changed(first, last)
                first = last = -1
        if first >= 0:
            self._emit_changed(first, last)

    def _emit_changed(self, first: int, last: int) -> None:
        self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.columns) - 1))
