"""Rows of Glance's sqlite ``cached_images`` table: damaged values, and SQLite's errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from inspector.core.errors import (
    CacheBusyError,
    CacheReadOnlyError,
    CacheUnreadableError,
    CorruptDatabaseError,
)
from inspector.core.model import Entry, Note, State, make_entry

#: How long to wait for Glance to release a lock before giving up (Glance itself waits 2 s).
BUSY_TIMEOUT_S = 5.0

COLUMNS = ("image_id", "last_accessed", "last_modified", "size", "hits", "checksum", "rowid")

#: Times Glance writes are unix seconds from ``time.time()``: from the epoch
#: (legacy rows hold 0) to before the year 10000, the end of ``datetime``.
MAX_TIMESTAMP = 253402300800.0


def damaged_entry(row: tuple[Any, ...], size: int | None, damaged: list[str]) -> Entry:
    """An entry from a row, each value Glance would never write read as unknown.

    ``size`` is the file's (``None``: no file, the row's own size is used).
    The entry's ``bad_fields`` name the damaged values; ``damaged`` collects a
    description for the scan's warning.
    """
    image_id = str(row[0])
    bad: list[str] = []

    def timestamp(name: str, value: Any) -> float | None:
        if (type(value) is float or type(value) is int) and 0 <= value < MAX_TIMESTAMP:
            return float(value)
        bad.append(name)
        return None

    accessed = timestamp("last_accessed", row[1])
    modified = timestamp("last_modified", row[2])
    hits = row[4] if type(row[4]) is int and row[4] >= 0 else None
    if hits is None:
        bad.append("hits")
    if size is None:
        size = row[3] if type(row[3]) is int and row[3] >= 0 else 0
        if type(row[3]) is not int or row[3] < 0:
            bad.append("size")
    checksum = row[5] if row[5] is None or isinstance(row[5], str) else None
    if bad:
        values = ", ".join(f"{name} {_shown(row[COLUMNS.index(name)])}" for name in bad)
        damaged.append(f"{image_id}: {values}")
    return make_entry(
        image_id,
        State.CACHED,
        size,
        hits,
        accessed,
        modified,
        checksum,
        note=Note.BAD_VALUE if bad else None,
        bad_fields=tuple(bad),
    )


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def translate(exc: sqlite3.Error, db_path: Path, waited: float = BUSY_TIMEOUT_S) -> Exception:
    """A person's message for an SQLite error (``waited``: the busy timeout in force)."""
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return CacheReadOnlyError(
            f"{db_path} cannot be written ({text}): the entry whose row could not be deleted "
            "kept its file, and nothing after it was changed."
        )
    if "locked" in text or "busy" in text:
        return CacheBusyError(
            f"{db_path} stayed locked by another process for {waited:g} s "
            "(Glance writing?). Try again in a moment."
        )
    if isinstance(exc, sqlite3.OperationalError) and "unable to open" in text:
        return CacheUnreadableError(f"{db_path} cannot be opened: {text}.")
    if isinstance(exc, sqlite3.DatabaseError):
        return CorruptDatabaseError(f"{db_path} is not a usable Glance cache database: {text}.")
    return CacheUnreadableError(f"{db_path}: {text}.")
