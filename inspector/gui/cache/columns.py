"""The columns each state's table shows: title, display text, and the core sort key.

Sorting is the core's (:mod:`inspector.core.sorting`): each column names the
key it sorts by, so the window and ``cache-inspector-cli list --sort`` order
rows the same way, unknown values last in either direction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import QCoreApplication, Qt

from inspector.core import Entry, State
from inspector.core.sorting import Clock
from inspector.report import formatting

_NEVER = datetime.fromtimestamp(0, UTC)


def _tr(text: str) -> str:
    return QCoreApplication.translate("columns", text)


@dataclass(frozen=True)
class Context:
    """What display text depends on besides the entry: the clock and the stall time."""

    now: datetime
    stall_time: float

    @property
    def clock(self) -> Clock:
        return Clock(self.now.timestamp(), self.stall_time)

    @classmethod
    def now_with(cls, stall_time: float) -> Context:
        return cls(datetime.now(UTC), stall_time)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    text: Callable[[Entry, Context], str]
    #: The name of the core sort key (:data:`inspector.core.sorting.KEYS`).
    sort: str
    tooltip: Callable[[Entry, Context], str] | None = None
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _stall_at(e: Entry, ctx: Context) -> float:
    return (e.modified_ts or 0.0) + ctx.stall_time


def _stalled_text(e: Entry, ctx: Context) -> str:
    if e.last_modified is None:
        return ""
    at = datetime.fromtimestamp(_stall_at(e, ctx), UTC)
    if at <= ctx.now:
        return _tr("stalled %s") % formatting.ago(at, ctx.now)
    return _tr("stalls in %s") % formatting.duration((at - ctx.now).total_seconds())


def _size_col() -> Column:
    return Column(
        "size",
        _tr("Size"),
        lambda e, c: formatting.size(e.size),
        "size",
        lambda e, c: _tr("%s bytes") % f"{e.size:,}",
        RIGHT,
    )


def _id_col() -> Column:
    return Column("id", _tr("ID"), lambda e, c: e.id, "id", lambda e, c: e.id)


def _time_col(key: str, title: str, attr: str) -> Column:
    sort = {"last_accessed": "accessed", "last_modified": "modified"}[attr]

    def get(e: Entry) -> datetime | None:
        value: datetime | None = getattr(e, attr)
        return value

    return Column(
        key,
        title,
        lambda e, c: formatting.ago(get(e), c.now),
        sort,
        lambda e, c: (
            _tr("never accessed since cached")
            if get(e) == _NEVER
            else formatting.exact_time(get(e))
        ),
    )


def _note_col() -> Column:
    return Column("note", _tr("Note"), lambda e, c: str(e.note) if e.note else "", "note")


#: The order a table starts in: the biggest images, the queue's order, the newest failures.
DEFAULT_SORT: dict[State, tuple[str, Qt.SortOrder]] = {
    State.CACHED: ("size", Qt.SortOrder.DescendingOrder),
    State.QUEUED: ("position", Qt.SortOrder.AscendingOrder),
    State.INCOMPLETE: ("last_written", Qt.SortOrder.DescendingOrder),
    State.INVALID: ("failed_at", Qt.SortOrder.DescendingOrder),
}


def _kind_column(name: str) -> Column | None:
    """A column for one of the :class:`Entry` fields a kind declares it fills."""
    if name == "id":
        return _id_col()
    if name == "size":
        return _size_col()
    if name == "last_modified":
        return _time_col("last_modified", _tr("Last modified"), "last_modified")
    if name == "last_accessed":
        return _time_col("last_accessed", _tr("Last accessed"), "last_accessed")
    if name == "version":
        return Column(
            "version",
            _tr("Version"),
            lambda e, c: "" if e.version is None else str(e.version),
            "version",
            lambda e, c: _tr("the file's mtime, as the client versions it"),
            RIGHT,
        )
    if name == "links":
        return Column(
            "links",
            _tr("Links"),
            lambda e, c: "" if e.links is None else f"{e.links:,}",
            "links",
            lambda e, c: (
                _tr("also linked elsewhere: deleting it frees nothing while they exist")
                if (e.links or 0) > 1
                else ""
            ),
            RIGHT,
        )
    if name == "locked":
        return Column(
            "locked",
            _tr("In use"),
            lambda e, c: {True: _tr("in use"), False: "", None: "?"}[e.locked],
            "locked",
            lambda e, c: _tr("a client holds its lock now: it is skipped") if e.locked else "",
        )
    if name == "note":
        return _note_col()
    return None


def _status_tip(e: Entry, c: Context) -> str:
    if e.image_status == "deleted":
        return _tr("deleted in Glance: no one can ask for it again, so it only takes space")
    if e.image_status is None:
        return _tr("no image record in Glance's database (purged, or another deployment's)")
    return _tr("the image's status in Glance")


def name_columns() -> list[Column]:
    """The image's name and its status in Glance, from Glance's image records."""
    return [
        Column("name", _tr("Name"), lambda e, c: e.name or "", "name", lambda e, c: e.name or ""),
        Column(
            "image_status",
            _tr("In Glance"),
            lambda e, c: e.image_status or _tr("(no record)"),
            "image_status",
            _status_tip,
        ),
    ]


def columns_for(
    state: State, fields: tuple[str, ...] | None = None, names: bool = False
) -> list[Column]:
    """The columns of ``state``'s table; ``fields``: a kind's own (its capabilities');
    ``names``: the entries carry Glance's image records (name, status), shown after the id."""
    made = _columns_for(state, fields)
    if names:
        at = next((i + 1 for i, c in enumerate(made) if c.key == "id"), 0)
        made[at:at] = name_columns()
    return made


def _columns_for(state: State, fields: tuple[str, ...] | None) -> list[Column]:
    if fields is not None:
        made = [_kind_column(f) for f in fields if f != "state"]
        return [c for c in made if c is not None]
    if state is State.CACHED:
        return [
            _id_col(),
            _size_col(),
            Column(
                "hits",
                _tr("Hits"),
                lambda e, c: "?" if e.hits is None else f"{e.hits:,}",
                "hits",
                lambda e, c: _tr("unknown") if e.hits is None else "",
                RIGHT,
            ),
            _time_col("last_accessed", _tr("Last accessed"), "last_accessed"),
            _time_col("last_modified", _tr("Last modified"), "last_modified"),
            Column("checksum", _tr("Checksum"), lambda e, c: e.checksum or "", "checksum"),
            _note_col(),
        ]
    if state is State.QUEUED:
        return [
            Column(
                "position",
                _tr("Position"),
                lambda e, c: "" if e.position is None else str(e.position),
                "position",
                lambda e, c: _tr("taken by the prefetcher in this order"),
                RIGHT,
            ),
            _id_col(),
            _time_col("queued_at", _tr("Queued at"), "last_modified"),
        ]
    if state is State.INCOMPLETE:
        return [
            _id_col(),
            _size_col(),
            _time_col("last_written", _tr("Last written"), "last_modified"),
            Column(
                "age",
                _tr("Age"),
                lambda e, c: (
                    formatting.duration((c.now - e.last_modified).total_seconds())
                    if e.last_modified
                    else ""
                ),
                "age",
                None,
                RIGHT,
            ),
            Column(
                "stalled",
                _tr("Stalled"),
                _stalled_text,
                "stalled",
                lambda e, c: (
                    _tr("clean removes it from %s")
                    % formatting.exact_time(datetime.fromtimestamp(_stall_at(e, c), UTC))
                    if e.last_modified
                    else ""
                ),
            ),
        ]
    return [
        _id_col(),
        _size_col(),
        _time_col("failed_at", _tr("Failed at"), "last_modified"),
        Column(
            "error",
            _tr("Error"),
            lambda e, c: e.error if e.error is not None else _tr("(not recorded)"),
            "error",
            lambda e, c: (
                e.error or _tr("This cache's driver does not record why a download failed.")
            ),
        ),
    ]


def sort_key_of(state: State, column_key: str) -> str:
    """The core sort key behind one of ``state``'s columns."""
    return next(c.sort for c in columns_for(state, names=True) if c.key == column_key)


#: Each state's tab, and what its table says when it has no entries.
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
