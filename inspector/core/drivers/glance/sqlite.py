"""Glance's ``sqlite`` cache driver: metadata in ``<dir>/cache.db``."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from inspector.core.drivers.base import Outcome, OutcomeStatus, ProgressTicker
from inspector.core.drivers.glance.layout import GlanceDriver, link_note
from inspector.core.drivers.glance.probe import probe_sqlite
from inspector.core.drivers.sqlite_uri import uri
from inspector.core.errors import (
    CacheBusyError,
    CacheReadOnlyError,
    CacheUnreadableError,
    CorruptDatabaseError,
    InvalidImageIdError,
)
from inspector.core.model import Entry, Note, State, make_entry
from inspector.core.source import CacheSource

#: How long to wait for Glance to release a lock before giving up (Glance itself waits 2 s).
BUSY_TIMEOUT_S = 5.0

_COLUMNS = ("image_id", "last_accessed", "last_modified", "size", "hits", "checksum", "rowid")

#: A deletion transaction holds SQLite's write lock at most this long (or this
#: many entries), so Glance's own writers, which retry for 2 s, never give up.
BATCH_SECONDS = 0.05
BATCH_ENTRIES = 500

#: Times Glance writes are unix seconds from ``time.time()``: from the epoch
#: (legacy rows hold 0) to before the year 10000, the end of ``datetime``.
MAX_TIMESTAMP = 253402300800.0

#: SQLite's sort order of storage classes: NULL, numbers, text, blobs.
_TYPE_RANK = {type(None): 0, int: 1, float: 1, str: 2, bytes: 3}


class SqliteDriver(GlanceDriver):
    name = "sqlite"
    title = "Glance (sqlite)"
    looks_for = "a cache.db file (Glance's sqlite driver)"

    @classmethod
    def probe(cls, source: CacheSource) -> bool:
        return source.path is not None and probe_sqlite(
            source.path, source.options, central=source.db_url is not None
        )

    @property
    def db_path(self) -> Path:
        return self.path / self.options.sqlite_db

    def watch_paths(self) -> list[Path]:
        return [*super().watch_paths(), self.db_path]

    def writable(self) -> tuple[bool, str]:
        ok, why = super().writable()
        if ok and not os.access(self.db_path, os.W_OK):
            return False, f"{self.db_path} cannot be written by this user"
        return ok, why

    @contextmanager
    def _connect(self, mode: str) -> Iterator[sqlite3.Connection]:
        """A connection that can never create the database.

        ``mode`` ``ro`` cannot write either; ``rw`` is for short write
        transactions (autocommit, ``synchronous = NORMAL`` as Glance's own).
        """
        if not self.db_path.is_file():
            raise CorruptDatabaseError(
                f"{self.db_path} is missing: this sqlite cache has lost its database."
            )
        try:
            if mode == "ro":
                conn = sqlite3.connect(uri(self.db_path, "ro"), uri=True, timeout=BUSY_TIMEOUT_S)
            else:
                conn = sqlite3.connect(
                    uri(self.db_path, "rw"),
                    uri=True,
                    timeout=BUSY_TIMEOUT_S,
                    isolation_level=None,
                )
                conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            raise _translate(exc, self.db_path) from exc
        try:
            yield conn
        except sqlite3.Error as exc:
            raise _translate(exc, self.db_path) from exc
        finally:
            conn.close()

    def read_rows(self) -> dict[str, tuple[Any, ...]]:
        """Every row of ``cached_images`` by image id, in one query.

        A row is ``(image_id, last_accessed, last_modified, size, hits, checksum,
        rowid)`` as SQLite returns it.
        """
        with self._connect("ro") as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "cached_images" not in tables:
                raise CorruptDatabaseError(
                    f"{self.db_path} is an SQLite database but has no cached_images table: "
                    "it is not a Glance image cache database."
                )
            rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM cached_images").fetchall()
        by_id = {str(r[0]): r for r in rows}
        self._rows = rows  # for eviction_order's keys, built only when asked for
        return by_id

    def _scan_cached(self, ticker: ProgressTicker) -> list[Entry]:
        rows = self.read_rows()
        entries: list[Entry] = []
        append = entries.append
        cached = State.CACHED
        pop = rows.pop
        damaged: list[str] = []
        top = MAX_TIMESTAMP
        for f in self._files(cached, ticker):
            row = pop(f.name, None)
            if row is None:
                append(
                    make_entry(
                        f.name, cached, f.size, None, None, f.mtime, note=Note.FILE_WITHOUT_ROW
                    )
                )
                continue
            acc, mod, hits = row[1], row[2], row[4]
            ta, tm = type(acc), type(mod)
            # The columns' affinities (REAL, INTEGER) give floats and ints for
            # everything Glance writes (legacy rows hold last_accessed = 0, kept
            # as it is: Glance's pruner takes those first); anything else is
            # damage, shown as unknown with the field named.
            if (
                (ta is float or ta is int)
                and (tm is float or tm is int)
                and type(hits) is int
                and 0 <= acc < top
                and 0 <= mod < top
                and hits >= 0
            ):
                append(
                    make_entry(f.name, cached, f.size, hits, acc, mod, row[5], note=link_note(f))
                )
            else:
                append(_damaged_entry(row, f.size, damaged))
        for image_id, row in rows.items():
            ticker.tick()
            entry = _damaged_entry(row, None, damaged)
            if entry.note is None:
                entry = make_entry(
                    image_id,
                    cached,
                    entry.size,
                    entry.hits,
                    entry.accessed_ts,
                    entry.modified_ts,
                    entry.checksum,
                    note=Note.ROW_WITHOUT_FILE,
                )
            append(entry)
        if damaged:
            more = f" and {len(damaged) - 3:,} more" if len(damaged) > 3 else ""
            self.warnings.append(
                f"{self.db_path} holds values Glance never writes in {len(damaged):,} "
                f"row(s): {'; '.join(damaged[:3])}{more}. They are shown as unknown; the rest "
                "of the cache reads as usual."
            )
        return entries

    # -- changing the cache ---------------------------------------------------

    def eviction_order(self, entries: Sequence[Entry]) -> list[Entry]:
        """Glance's sqlite pruner: ``ORDER BY last_accessed``, ties in table order.

        The order is SQLite's own on the stored values (NULL, then numbers,
        then text, then blobs), so even a damaged row goes where Glance would
        take it.  Only entries with a row are candidates (a row whose file is
        gone frees 0 bytes, as in Glance); a file without a row is never
        pruned by Glance.
        """
        keys = {
            str(r[0]): (_TYPE_RANK.get(type(r[1]), 4), r[1] if r[1] is not None else 0, r[6])
            for r in getattr(self, "_rows", [])
        }
        cached = [
            e
            for e in entries
            if e.state is State.CACHED and e.note is not Note.FILE_WITHOUT_ROW and e.id in keys
        ]
        return sorted(cached, key=lambda e: keys[e.id])

    def delete_entries(self, entries: Iterable[Entry]) -> Generator[Outcome, None, None]:
        """A cached entry's row and file go together, or neither does.

        Within a short transaction, the row is deleted first (not yet
        committed), then the file is unlinked; when the file cannot go, the
        row's deletion is rolled back, and when the row cannot go (a read-only
        or locked database) the file is never touched.  Others see the file
        go first and the row at the commit, as with Glance's own order.  Rows
        commit in small batches (at most ``BATCH_ENTRIES`` or
        ``BATCH_SECONDS``), also when the caller stops early or an error ends
        the job: what was done stays done.
        """
        pending = list(entries)
        if not any(e.state is State.CACHED for e in pending):
            yield from super().delete_entries(pending)
            return
        with self._connect("rw") as conn:
            in_tx = False
            started = 0.0
            in_batch = 0
            try:
                for entry in pending:
                    if not in_tx:
                        conn.execute("BEGIN IMMEDIATE")
                        in_tx, started, in_batch = True, time.monotonic(), 0
                    if entry.state is State.CACHED:
                        outcome = self._delete_cached(conn, entry)
                    else:
                        outcome = self._unlink_entry(entry)
                    in_batch += 1
                    if in_batch >= BATCH_ENTRIES or time.monotonic() - started >= BATCH_SECONDS:
                        conn.execute("COMMIT")
                        in_tx = False
                    yield outcome
            finally:
                # Stopped between entries (cancel) or by an error: keep what was done.
                if in_tx and conn.in_transaction:
                    conn.execute("COMMIT")

    def _delete_cached(self, conn: sqlite3.Connection, entry: Entry) -> Outcome:
        try:
            self.check_id(entry.id)
        except InvalidImageIdError as exc:
            return Outcome(entry, OutcomeStatus.FAILED, reason=str(exc))
        conn.execute("SAVEPOINT entry")
        try:
            cur = conn.execute("DELETE FROM cached_images WHERE image_id = ?", (entry.id,))
        except sqlite3.Error:
            conn.execute("ROLLBACK TO entry")
            conn.execute("RELEASE entry")
            raise
        outcome = self._unlink_entry(entry)
        if outcome.status is OutcomeStatus.FAILED:
            conn.execute("ROLLBACK TO entry")  # the row stays with its file
        elif outcome.status is OutcomeStatus.GONE and cur.rowcount > 0:
            # The file was gone already; its row was the entry.
            outcome = outcome._replace(status=OutcomeStatus.DELETED)
        conn.execute("RELEASE entry")
        return outcome


def _damaged_entry(row: tuple[Any, ...], size: int | None, damaged: list[str]) -> Entry:
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
        values = ", ".join(f"{name} {_shown(row[_COLUMNS.index(name)])}" for name in bad)
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


def _translate(exc: sqlite3.Error, db_path: Path) -> Exception:
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return CacheReadOnlyError(
            f"{db_path} cannot be written ({text}): the entry whose row could not be deleted "
            "kept its file, and nothing after it was changed."
        )
    if "locked" in text or "busy" in text:
        return CacheBusyError(
            f"{db_path} stayed locked by another process for {BUSY_TIMEOUT_S:g} s "
            "(Glance writing?). Try again in a moment."
        )
    if isinstance(exc, sqlite3.OperationalError) and "unable to open" in text:
        return CacheUnreadableError(f"{db_path} cannot be opened: {text}.")
    if isinstance(exc, sqlite3.DatabaseError):
        return CorruptDatabaseError(f"{db_path} is not a usable Glance cache database: {text}.")
    return CacheUnreadableError(f"{db_path}: {text}.")
