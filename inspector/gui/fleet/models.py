"""The Fleet view's tables: the nodes with their totals, and the image x node matrix.

Both are plain table models over what the core read (:class:`~inspector.core.fleet.Fleet`)
and what each node said through its cache API (:class:`NodeState`); a
:class:`QSortFilterProxyModel` sorts them by :data:`SORT_ROLE` (raw values) and
the matrix's proxy filters by text and by where an image is cached.
"""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

from inspector.core.fleet import Fleet, FleetImage, NodeSummary
from inspector.core.fleet_actions import NodeState
from inspector.report import formatting

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
#: The fraction of the largest node's bytes a node holds (the bar in the Bytes column).
SHARE_ROLE = Qt.ItemDataRole.UserRole + 2
RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
BAD = QColor("#b02a37")
CACHED_MARK = "●"


def _tr(text: str) -> str:
    return QCoreApplication.translate("fleet", text)


def host_of(url: str) -> str:
    """A node's column title: its host and port."""
    return urllib.parse.urlsplit(url).netloc or url


def _ago(ts: float | None, now: datetime) -> str:
    if ts is None:
        return ""
    return formatting.ago(datetime.fromtimestamp(ts, UTC), now)


class NodesModel(QAbstractTableModel):
    """One row per node of ``node_reference``: what the database says, and whether the
    node answers its cache API."""

    COLUMNS = ("node", "answers", "count", "bytes", "hits", "last_accessed")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.nodes: tuple[NodeSummary, ...] = ()
        self.states: dict[str, NodeState] = {}
        self._largest = 1
        self.now = datetime.now(UTC)

    def titles(self) -> list[str]:
        return [
            _tr("Node"),
            _tr("Cache API"),
            _tr("Cached"),
            _tr("Bytes"),
            _tr("Hits"),
            _tr("Last activity"),
        ]

    def set_fleet(self, fleet: Fleet | None) -> None:
        self.beginResetModel()
        self.nodes = fleet.nodes if fleet is not None else ()
        self.states = {u: s for u, s in self.states.items() if u in {n.url for n in self.nodes}}
        self._largest = max((n.bytes for n in self.nodes), default=0) or 1
        self.now = datetime.now(UTC)
        self.endResetModel()

    def set_states(self, states: list[NodeState]) -> None:
        self.states.update({s.url: s for s in states})
        if self.nodes:
            self.dataChanged.emit(self.index(0, 1), self.index(len(self.nodes) - 1, 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.nodes)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.titles()[section]
        return None

    def answer(self, url: str) -> str:
        state = self.states.get(url)
        if state is None:
            return _tr("asking…")
        if state.reachable:
            return _tr("answers: %s cached, %s queued") % (
                f"{state.cached:,}",
                f"{state.queued:,}",
            )
        return _tr("unreachable")

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.nodes):
            return None
        node, key = self.nodes[index.row()], self.COLUMNS[index.column()]
        state = self.states.get(node.url)
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                "node": node.url,
                "answers": self.answer(node.url),
                "count": f"{node.count:,}",
                "bytes": formatting.size(node.bytes),
                "hits": f"{node.hits:,}",
                "last_accessed": _ago(node.last_accessed, self.now),
            }[key]
        if role == SORT_ROLE:
            return {
                "node": node.url,
                "answers": (state is None, bool(state and state.reachable)),
                "count": node.count,
                "bytes": node.bytes,
                "hits": node.hits,
                "last_accessed": node.last_accessed or 0.0,
            }[key]
        if role == SHARE_ROLE and key == "bytes":
            return node.bytes / self._largest
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "answers" and state is not None and state.error:
                return state.error
            if key == "bytes":
                return _tr("%s bytes") % f"{node.bytes:,}"
            if key == "last_accessed" and node.last_accessed is not None:
                return formatting.exact_time(datetime.fromtimestamp(node.last_accessed, UTC))
        if role == Qt.ItemDataRole.ForegroundRole and key == "answers":
            return BAD if state is not None and not state.reachable else None
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("count", "bytes", "hits"):
            return RIGHT
        return None

    def node(self, row: int) -> NodeSummary:
        return self.nodes[row]


class Where(StrEnum):
    """Which images the matrix shows."""

    ALL = "All images"
    EVERY = "On every node"
    ONE = "On one node only"
    DELETED = "Deleted in Glance"


class MatrixModel(QAbstractTableModel):
    """One row per image, a column per node: a mark where the node caches it."""

    FIXED = ("id", "name", "image_status", "size", "copies")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.images: tuple[FleetImage, ...] = ()
        self.urls: tuple[str, ...] = ()

    def set_fleet(self, fleet: Fleet | None) -> None:
        self.beginResetModel()
        self.images = fleet.images if fleet is not None else ()
        self.urls = tuple(n.url for n in fleet.nodes) if fleet is not None else ()
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.images)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.FIXED) + len(self.urls)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        fixed = len(self.FIXED)
        if role == Qt.ItemDataRole.DisplayRole:
            if section < fixed:
                titles = (_tr("ID"), _tr("Name"), _tr("In Glance"), _tr("Size"), _tr("Nodes"))
                return titles[section]
            return host_of(self.urls[section - fixed])
        if role == Qt.ItemDataRole.ToolTipRole and section >= fixed:
            return self.urls[section - fixed]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.images):
            return None
        image, col = self.images[index.row()], index.column()
        fixed = len(self.FIXED)
        if col >= fixed:
            held = self.urls[col - fixed] in image.nodes
            if role == Qt.ItemDataRole.DisplayRole:
                return CACHED_MARK if held else ""
            if role == SORT_ROLE:
                return int(held)
            if role == Qt.ItemDataRole.AccessibleTextRole:
                return _tr("cached") if held else _tr("not cached")
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(Qt.AlignmentFlag.AlignCenter.value)
            return None
        key = self.FIXED[col]
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                "id": image.id,
                "name": image.name or "",
                "image_status": image.image_status or _tr("(no record)"),
                "size": formatting.size(image.size),
                "copies": f"{len(image.nodes)} / {len(self.urls)}",
            }[key]
        if role == SORT_ROLE:
            return {
                "id": image.id,
                "name": image.name or "",
                "image_status": image.image_status or "",
                "size": image.size,
                "copies": len(image.nodes),
            }[key]
        if role == Qt.ItemDataRole.ForegroundRole and key == "image_status" and image.deleted:
            return BAD
        if role == Qt.ItemDataRole.ToolTipRole and key == "image_status" and image.deleted:
            return _tr("deleted in Glance: no one can ask for it again, so it only takes space")
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("size", "copies"):
            return RIGHT
        return None

    def image(self, row: int) -> FleetImage:
        return self.images[row]


class MatrixFilter(QSortFilterProxyModel):
    """Sorts by raw values; shows the images whose id or name holds the text, and where."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.text = ""
        self.where = Where.ALL

    def set_filter(self, text: str, where: Where) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.10: invalidateFilter is deprecated
            self.beginFilterChange()
            self.text, self.where = text.strip().lower(), where
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - older Qt
            self.text, self.where = text.strip().lower(), where
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, MatrixModel)
        image = model.images[row]
        if self.text and self.text not in image.id and self.text not in (image.name or "").lower():
            return False
        if self.where is Where.EVERY:
            return len(image.nodes) == len(model.urls)
        if self.where is Where.ONE:
            return len(image.nodes) == 1
        if self.where is Where.DELETED:
            return image.deleted
        return True
