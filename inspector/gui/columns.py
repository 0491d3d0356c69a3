"""The columns each state's table shows: title, display text, raw sort value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt

from inspector.core import Entry, State
from inspector.report import formatting

_NEVER = datetime.fromtimestamp(0, UTC)


def _tr(text: str) -> str:
    return QCoreApplication.translate("columns", text)


@dataclass(frozen=True)
class Context:
    """What display text depends on besides the entry: the clock and the stall time."""

    now: datetime
    stall_time: float


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    text: Callable[[Entry, Context], str]
    sort_key: Callable[[Entry, Context], Any]
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
        lambda e, c: e.size,
        lambda e, c: _tr("%s bytes") % f"{e.size:,}",
        RIGHT,
    )


def _id_col() -> Column:
    return Column("id", _tr("ID"), lambda e, c: e.id, lambda e, c: e.id, lambda e, c: e.id)


def _time_col(key: str, title: str, attr: str) -> Column:
    ts_attr = {"last_accessed": "accessed_ts", "last_modified": "modified_ts"}[attr]

    def get(e: Entry) -> datetime | None:
        value: datetime | None = getattr(e, attr)
        return value

    def sort_key(e: Entry, c: Context) -> tuple[bool, float]:
        ts: float | None = getattr(e, ts_attr)
        return (ts is None, ts or 0.0)

    return Column(
        key,
        title,
        lambda e, c: formatting.ago(get(e), c.now),
        sort_key,
        lambda e, c: (
            _tr("never accessed since cached")
            if get(e) == _NEVER
            else formatting.exact_time(get(e))
        ),
    )


def _note_col() -> Column:
    return Column(
        "note",
        _tr("Note"),
        lambda e, c: str(e.note) if e.note else "",
        lambda e, c: str(e.note) if e.note else "",
    )


#: The order a table starts in: the biggest images, the queue's order, the newest failures.
DEFAULT_SORT: dict[State, tuple[str, Qt.SortOrder]] = {
    State.CACHED: ("size", Qt.SortOrder.DescendingOrder),
    State.QUEUED: ("position", Qt.SortOrder.AscendingOrder),
    State.INCOMPLETE: ("last_written", Qt.SortOrder.DescendingOrder),
    State.INVALID: ("failed_at", Qt.SortOrder.DescendingOrder),
}


def columns_for(state: State) -> list[Column]:
    if state is State.CACHED:
        return [
            _id_col(),
            _size_col(),
            Column(
                "hits",
                _tr("Hits"),
                lambda e, c: "?" if e.hits is None else f"{e.hits:,}",
                lambda e, c: -1 if e.hits is None else e.hits,
                lambda e, c: _tr("unknown") if e.hits is None else "",
                RIGHT,
            ),
            _time_col("last_accessed", _tr("Last accessed"), "last_accessed"),
            _time_col("last_modified", _tr("Last modified"), "last_modified"),
            Column(
                "checksum",
                _tr("Checksum"),
                lambda e, c: e.checksum or "",
                lambda e, c: e.checksum or "",
            ),
            _note_col(),
        ]
    if state is State.QUEUED:
        return [
            Column(
                "position",
                _tr("Position"),
                lambda e, c: "" if e.position is None else str(e.position),
                lambda e, c: -1 if e.position is None else e.position,
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
                lambda e, c: (e.modified_ts is None, -(e.modified_ts or 0.0)),
                None,
                RIGHT,
            ),
            Column(
                "stalled",
                _tr("Stalled"),
                _stalled_text,
                lambda e, c: _stall_at(e, c) if e.last_modified else 0.0,
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
            lambda e, c: e.error or "",
            lambda e, c: (
                e.error or _tr("This cache's driver does not record why a download failed.")
            ),
        ),
    ]
