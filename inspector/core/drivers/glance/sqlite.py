"""Glance's ``sqlite`` cache driver: metadata in ``<dir>/cache.db``."""

from __future__ import annotations

import os
import sqlite3
import time
from array import array
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import attrgetter
from pathlib import Path
from typing import Any

from inspector.core.drivers.base import (
    MetadataUpdate,
    Outcome,
    OutcomeStatus,
    ProgressTicker,
    kept,
    previous_cached,
)
from inspector.core.drivers.fsops import file_to_write
from inspector.core.drivers.glance.layout import GlanceDriver, link_note
from inspector.core.drivers.glance.probe import probe_sqlite
from inspector.core.drivers.glance.sqlite_rows import (
    BUSY_TIMEOUT_S,
    COLUMNS,
    MAX_TIMESTAMP,
    damaged_entry,
    translate,
)
from inspector.core.drivers.sqlite_uri import uri
from inspector.core.errors import CacheError, CorruptDatabaseError, InvalidImageIdError, reason_of
from inspector.core.model import Entry, Note, Snapshot, State, make_entry
from inspector.core.problems import Problem
from inspector.core.sorting import gentle_sorted
from inspector.core.source import CacheSource

#: A deletion transaction holds SQLite's write lock at most this long (or this
#: many entries), so Glance's own writers, which retry for 2 s, never give up.
BATCH_SECONDS = 0.05
BATCH_ENTRIES = 500

#: SQLite's sort order of storage classes: NULL, numbers, text, blobs.
_TYPE_RANK = {type(None): 0, int: 1, float: 1, str: 2, bytes: 3}
_ACCESSED = attrgetter("accessed_ts")


class _Batches:
    """Short write transactions: at most ``BATCH_ENTRIES`` entries or ``BATCH_SECONDS``.

    Glance's own writers retry a locked database for 2 s; holding the lock
    this briefly never makes them give up.  :meth:`close` commits what is
    pending, also when the caller stopped early or an error ended the job.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.in_tx = False
        self.started = 0.0
        self.count = 0

    def begin(self) -> None:
        if not self.in_tx:
            self.conn.execute("BEGIN IMMEDIATE")
            self.in_tx, self.started, self.count = True, time.monotonic(), 0

    def done_one(self) -> None:
        self.count += 1
        if self.count >= BATCH_ENTRIES or time.monotonic() - self.started >= BATCH_SECONDS:
            self.conn.execute("COMMIT")
            self.in_tx = False

    def close(self) -> None:
        if self.in_tx and self.conn.in_transaction:
            self.conn.execute("COMMIT")
        self.in_tx = False


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
            raise translate(exc, self.db_path, BUSY_TIMEOUT_S) from exc
        try:
            yield conn
        except sqlite3.Error as exc:
            raise translate(exc, self.db_path, BUSY_TIMEOUT_S) from exc
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
            rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM cached_images").fetchall()
        return {str(r[0]): r for r in rows}

    def _scan_cached(self, ticker: ProgressTicker) -> list[Entry]:
        rows = self.read_rows()
        entries: list[Entry] = []
        append, pop, cached, top = entries.append, rows.pop, State.CACHED, MAX_TIMESTAMP
        damaged: list[str] = []
        # What eviction_order needs beyond the entries, kept small (100,000 rows
        # would take 30 MB as tuples): each row's rowid, by the entry's own id
        # string, and the raw last_accessed of the few that are not a number.
        ids: list[str] = []
        rowids = array("q")
        self._evict_ids, self._evict_rowids = ids, rowids
        self._odd: dict[str, tuple[int, Any]] = {}
        #: Rows whose recorded size is not their file's (the audit's size-mismatch).
        self._recorded_sizes: dict[str, Any] = {}
        before = previous_cached(self.name)  # a refresh shares what did not change
        for f in self._files(cached, ticker):
            row = pop(f.name, None)
            if row is None:
                append(
                    make_entry(
                        f.name, cached, f.size, None, None, f.mtime, note=Note.FILE_WITHOUT_ROW
                    )
                )
                continue
            rowids.append(row[6])
            if row[3] != f.size:
                self._recorded_sizes[f.name] = row[3]
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
                note = link_note(f)
                old = before.get(f.name) if before else None
                entry = (old and kept(old, f.size, hits, acc, mod, row[5], note)) or make_entry(
                    f.name, cached, f.size, hits, acc, mod, row[5], note=note
                )
            else:
                entry = damaged_entry(row, f.size, damaged)
                self._note_odd(f.name, row[1])
            append(entry)
            ids.append(entry.id)  # the id string the entry holds (a kept one's, shared)
        for image_id, row in rows.items():
            ticker.tick()
            ids.append(image_id)
            rowids.append(row[6])
            self._note_odd(image_id, row[1])
            # Without its file, whatever its values: a damaged one keeps them named,
            # and frees nothing (as the centralized_db driver's rows).
            entry = damaged_entry(row, None, damaged)
            append(
                make_entry(
                    image_id,
                    cached,
                    entry.size,
                    entry.hits,
                    entry.accessed_ts,
                    entry.modified_ts,
                    entry.checksum,
                    note=Note.ROW_WITHOUT_FILE,
                    bad_fields=entry.bad_fields,
                )
            )
        if damaged:
            more = f" and {len(damaged) - 3:,} more" if len(damaged) > 3 else ""
            self.warnings.append(
                f"{self.db_path} holds values Glance never writes in {len(damaged):,} "
                f"row(s): {'; '.join(damaged[:3])}{more}. They are shown as unknown; the rest "
                "of the cache reads as usual."
            )
        return entries

    def _note_odd(self, image_id: str, accessed: Any) -> None:
        """Keep a last_accessed that is not a plain number, for SQLite's own ordering of it."""
        if type(accessed) not in (int, float) or not 0 <= accessed < MAX_TIMESTAMP:
            value = accessed if accessed is not None else 0
            self._odd[image_id] = (_TYPE_RANK.get(type(accessed), 4), value)

    # -- changing the cache ---------------------------------------------------

    def eviction_order(self, entries: Sequence[Entry]) -> list[Entry]:
        """Glance's sqlite pruner: ``ORDER BY last_accessed``, ties in table order.

        The order is SQLite's own on the stored values (NULL, then numbers,
        then text, then blobs), so even a damaged row goes where Glance would
        take it.  Only entries with a row are candidates (a row whose file is
        gone frees 0 bytes, as in Glance); a file without a row is never
        pruned by Glance.
        """
        ids, rowids = getattr(self, "_evict_ids", ()), getattr(self, "_evict_rowids", ())
        rowid = dict(zip(ids, rowids, strict=True))
        odd: dict[str, tuple[int, Any]] = getattr(self, "_odd", {})
        cached = [
            e
            for e in entries
            if e.state is State.CACHED and e.note is not Note.FILE_WITHOUT_ROW and e.id in rowid
        ]
        # (rank, value, rowid) in two stable sorts, without a key tuple per entry
        # (100,000 of them held 19 MB at once): table order, then the value's.
        in_table = gentle_sorted(cached, key=lambda e: rowid[e.id])
        if not odd and all(e.accessed_ts is not None for e in in_table):
            return gentle_sorted(in_table, key=_ACCESSED)  # all plain numbers: rank 1
        return gentle_sorted(in_table, key=lambda e: odd.get(e.id, (1, e.accessed_ts)))

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
            batch = _Batches(conn)
            try:
                for entry in pending:
                    batch.begin()
                    if entry.state is State.CACHED:
                        outcome = self._delete_cached(conn, entry)
                    else:
                        outcome = self._unlink_entry(entry)
                    batch.done_one()
                    yield outcome
            finally:
                # Stopped between entries (cancel) or by an error: keep what was done.
                batch.close()

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

    # -- trusting the cache ---------------------------------------------------

    def metadata_problems(self, snapshot: Snapshot) -> list[Problem]:
        """Besides the layout's: rows whose recorded size is not the file's."""
        return super().metadata_problems(snapshot) + self.size_mismatches(
            snapshot,
            getattr(self, "_recorded_sizes", {}),
            lambda size, e: (
                f"{self.options.sqlite_db} records {_count(size)} bytes, the file holds "
                f"{e.size:,}: Glance's pruner counts the file, its listing the row"
            ),
        )

    def write_metadata(self, updates: Sequence[MetadataUpdate]) -> Generator[Outcome, None, None]:
        """Rows written as Glance writes them, in short transactions.

        An existing row gets the values given (hits, times as REAL seconds,
        size); a file without a row gets, with ``create``, the row Glance's
        commit inserts (``image_id, last_accessed, last_modified, hits,
        size``), with what the update gives and otherwise hits 0, both times
        the file's mtime (when Glance moved it in) and the file's size.  An
        entry whose file is gone, or is not a regular file, keeps its row.
        """
        pending = list(updates)
        if not pending:
            return
        with self._connect("rw") as conn:
            batch = _Batches(conn)
            try:
                for update in pending:
                    batch.begin()
                    outcome = self._write_row(conn, update)
                    batch.done_one()
                    yield outcome
            finally:
                batch.close()

    def _write_row(self, conn: sqlite3.Connection, u: MetadataUpdate) -> Outcome:
        entry = u.entry
        try:
            self.check_id(entry.id)
        except CacheError as exc:
            return Outcome(entry, OutcomeStatus.FAILED, reason=reason_of(exc))
        st = file_to_write(self.path, entry, "its file is gone: row left alone")
        if isinstance(st, Outcome):
            return st
        values = {
            "hits": u.hits,
            "last_accessed": None if u.accessed_ns is None else u.accessed_ns / 1e9,
            "last_modified": None if u.modified_ns is None else u.modified_ns / 1e9,
            "size": u.size,
        }
        given = {k: v for k, v in values.items() if v is not None}
        if given:
            sets = ", ".join(f"{k} = ?" for k in given)
            changed = conn.execute(
                f"UPDATE cached_images SET {sets} WHERE image_id = ?", (*given.values(), entry.id)
            ).rowcount
        else:
            changed = len(
                conn.execute(
                    "SELECT 1 FROM cached_images WHERE image_id = ?", (entry.id,)
                ).fetchall()
            )
        if changed > 0:
            return Outcome(entry, OutcomeStatus.UPDATED)
        if not u.create:
            return Outcome(entry, OutcomeStatus.GONE, reason="no row: left alone")
        mtime = st.st_mtime_ns / 1e9
        conn.execute(
            "INSERT INTO cached_images (image_id, last_accessed, last_modified, hits, size) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                entry.id,
                values["last_accessed"] if values["last_accessed"] is not None else mtime,
                values["last_modified"] if values["last_modified"] is not None else mtime,
                u.hits if u.hits is not None else 0,
                u.size if u.size is not None else st.st_size,
            ),
        )
        return Outcome(entry, OutcomeStatus.UPDATED)


def _count(value: Any) -> str:
    return f"{value:,}" if type(value) is int else repr(value)
