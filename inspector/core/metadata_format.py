"""The entries section of a metadata record: its values, and the checks each entry passes.

Kept apart from :mod:`inspector.core.metadata_records` (the container, its
savers and restorers) so that what a record's entry may hold is in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inspector.core.errors import CacheError
from inspector.core.model import State

TAG_ENTRIES = "cache-entries"

Scalar = str | int | float | bool | None


class RecordError(CacheError):
    """A record refused: unreadable, malformed, truncated, or of a version not known here."""


@dataclass(frozen=True, slots=True)
class RecordEntry:
    id: str
    state: State
    size: int
    hits: int | None
    accessed_ns: int | None
    modified_ns: int | None
    checksum: str | None = None
    error: str | None = None
    position: int | None = None
    node: str | None = None
    extras: tuple[tuple[str, Scalar], ...] = ()


def is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


_FIELDS = {
    "id",
    "state",
    "size",
    "hits",
    "last_accessed",
    "last_modified",
    "last_accessed_ns",
    "last_modified_ns",
    "checksum",
    "error",
    "position",
    "node",
}


def check_entries(section: Any, name: str) -> tuple[RecordEntry, ...]:
    if not isinstance(section, list):
        raise RecordError(f"{name}: {TAG_ENTRIES} is not a list: refused, nothing changed.")
    out = []
    for n, row in enumerate(section, 1):
        try:
            out.append(_entry(row))
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordError(
                f"{name}: entry {n} of {TAG_ENTRIES} is malformed ({exc}): refused, "
                "nothing changed."
            ) from None
    return tuple(out)


def _int(row: dict[str, Any], key: str, low: int, optional: bool = True) -> int | None:
    value = row.get(key)
    if value is None and optional:
        return None
    if type(value) is not int or value < low:
        raise ValueError(f"{key} is {value!r}, not a whole number from {low}")
    return value


def _text(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{key} is {value!r}, not text")
    return value


def _entry(row: Any) -> RecordEntry:
    if not isinstance(row, dict):
        raise TypeError("not an object")
    entry_id = row["id"]
    if not isinstance(entry_id, str) or not entry_id:
        raise ValueError(f"id is {entry_id!r}")
    extras = tuple(sorted((k, v) for k, v in row.items() if k not in _FIELDS))
    if not all(is_scalar(v) for _, v in extras):
        raise TypeError("a field of the kind's own is not a plain value")
    _text(row, "last_accessed")
    _text(row, "last_modified")
    size = _int(row, "size", 0, optional=False)
    assert size is not None
    return RecordEntry(
        id=entry_id,
        state=State(row["state"]),
        size=size,
        hits=_int(row, "hits", 0),
        accessed_ns=_int(row, "last_accessed_ns", 0),
        modified_ns=_int(row, "last_modified_ns", 0),
        checksum=_text(row, "checksum"),
        error=_text(row, "error"),
        position=_int(row, "position", 1),
        node=_text(row, "node"),
        extras=extras,
    )
