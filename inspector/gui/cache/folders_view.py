"""The Folders view: a store of path-like names as a tree, sizes and counts summed per folder.

For kinds whose ids are paths (a Filetracker store's ``/problems/p001/…``):
each folder with the files below it, their bytes, what deleting them would
really free (hard links counted once, files still linked elsewhere freeing
nothing) and how many a client holds now.  The tree is built off the GUI
thread (:func:`inspector.core.tree.build_tree`); activating a folder shows its
files in the table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtWidgets import QHeaderView, QTreeView, QVBoxLayout, QWidget

from inspector.core.tree import Folder
from inspector.gui.widgets.labels import ValueLabel
from inspector.report import formatting

Index = QModelIndex | QPersistentModelIndex

COLUMNS = ("Folder", "Files", "Size", "Frees", "In use", "Newest")
SORT_KEYS: tuple[Callable[[Folder], Any], ...] = (
    lambda f: f.name,
    lambda f: f.count,
    lambda f: f.bytes,
    lambda f: f.freeable,
    lambda f: f.locked,
    lambda f: f.newest or 0.0,
)


class _Node:
    __slots__ = ("children", "folder", "parent", "row")

    def __init__(self, folder: Folder, parent: _Node | None, row: int) -> None:
        self.folder = folder
        self.parent = parent
        self.row = row
        self.children: list[_Node] = []


class FolderModel(QAbstractItemModel):
    """The folders of one tree; sorted in Python, by raw values."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.root: _Node | None = None
        self._sort = (2, Qt.SortOrder.DescendingOrder)  # the biggest first

    def set_tree(self, tree: Folder | None) -> None:
        self.beginResetModel()
        self.root = None if tree is None else self._build(tree, None, 0)
        self._apply_sort()
        self.endResetModel()

    def _build(self, folder: Folder, parent: _Node | None, row: int) -> _Node:
        node = _Node(folder, parent, row)
        stack = [node]
        while stack:  # no recursion: trees can be deep
            n = stack.pop()
            n.children = [_Node(f, n, i) for i, f in enumerate(n.folder.folders)]
            stack.extend(n.children)
        return node

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        self._apply_sort()
        self.layoutChanged.emit()

    def _apply_sort(self) -> None:
        if self.root is None:
            return
        column, order = self._sort
        key = SORT_KEYS[column]
        stack = [self.root]
        while stack:
            n = stack.pop()
            n.children.sort(
                key=lambda c: key(c.folder), reverse=order == Qt.SortOrder.DescendingOrder
            )
            for i, c in enumerate(n.children):
                c.row = i
            stack.extend(n.children)

    def _node(self, index: Index) -> _Node | None:
        if not index.isValid():
            return None
        node: _Node = index.internalPointer()
        return node

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if self.root is None:
            return QModelIndex()
        children = (
            [self.root] if not parent.isValid() else (self._node(parent) or self.root).children
        )
        if not 0 <= row < len(children) or not 0 <= column < len(COLUMNS):
            return QModelIndex()
        return self.createIndex(row, column, children[row])

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        node = self._node(index)
        if node is None or node.parent is None:
            return QModelIndex()
        return self.createIndex(node.parent.row, 0, node.parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if self.root is None:
            return 0
        if not parent.isValid():
            return 1
        if parent.column() > 0:
            return 0
        node = self._node(parent)
        return 0 if node is None else len(node.children)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        node = self._node(index)
        if node is None:
            return None
        f, col = node.folder, index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                f.name or "/",
                f"{f.count:,}",
                formatting.size(f.bytes),
                formatting.size(f.freeable),
                f"{f.locked:,}" if f.locked else "",
                formatting.exact_time(datetime.fromtimestamp(f.newest, UTC)) if f.newest else "",
            )[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 3 and f.freeable < f.bytes:
                return self.tr("%s of its files are hard links kept elsewhere too") % (
                    formatting.size(f.bytes - f.freeable)
                )
            return f.path
        if role == Qt.ItemDataRole.TextAlignmentRole and col > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return f.path
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(COLUMNS[section])
        return None


class FoldersView(QWidget):
    """The tree, with a line saying what it holds; activating a folder shows its files."""

    #: A folder's path (``/problems/p001``): show its files.
    folder_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Folders"))
        self.summary = ValueLabel(self.tr("Folders summary"))
        self.model = FolderModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setAccessibleName(self.tr("Folders with their sizes"))
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        # Widths from the font, not from the rows: sizing columns to their contents asked
        # every row of every expanded folder for its text (10,000 folders: a stall).
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        digit = self.fontMetrics().horizontalAdvance("0")
        for column, sample in enumerate(("", "1,000,000", "999.9 GiB", "999.9 GiB", "1,000,000")):
            if sample:
                title = self.fontMetrics().horizontalAdvance(COLUMNS[column])
                header.resizeSection(column, max(len(sample) * digit, title) + 3 * digit)
        header.resizeSection(5, digit * 25)  # a date and time, UTC
        self.tree.activated.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)

    def show_tree(self, tree: Folder | None) -> None:
        self.model.set_tree(tree)
        if tree is None:
            self.summary.setText("")
            return
        self.tree.expandToDepth(1)
        text = self.tr("%s files in %s folders, %s; deleting them all would free %s.") % (
            f"{tree.count:,}",
            f"{sum(1 for _ in tree.walk()) - 1:,}",
            formatting.size(tree.bytes),
            formatting.size(tree.freeable),
        )
        if tree.locked:
            text += " " + self.tr("%s in use by a client now.") % f"{tree.locked:,}"
        self.summary.setText(text)

    @Slot(QModelIndex)
    def _activated(self, index: QModelIndex) -> None:
        path = index.data(Qt.ItemDataRole.UserRole)
        if path:
            self.folder_chosen.emit(str(path))
