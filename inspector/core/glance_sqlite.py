"""Glance's ``sqlite`` cache driver: metadata in ``<dir>/cache.db``."""

from __future__ import annotations

import sqlite3
import time
import urllib.parse
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from inspector.core.driver import CacheOptions, Outcome, OutcomeStatus, ProgressTicker
from inspector.core.errors import CacheBusyError, CacheUnreadableError, CorruptDatabaseError
from inspector.core.glance import SQLITE_INIT_LOCK, GlanceDriver, link_note
from inspector.core.model import Entry, Note, State, make_entry

#: How long to wait for Glance to release a lock before giving up (Glance itself waits 2 s).
BUSY_TIMEOUT_S = 5.0

_COLUMNS = ("image_id", "last_accessed", "last_modified", "size", "hits", "checksum", "rowid")

#: A deletion transaction holds SQLite's write lock at most this long (or this
#: many entries), so Glance's own writers, which retry for 2 s, never give up.
BATCH_SECONDS = 0.05
BATCH_ENTRIES = 500


class SqliteDriver(GlanceDriver):
    name = "sqlite"
    title = "Glance (sqlite)"

    @property
    def db_path(self) -> Path:
        return self.path / self.options.sqlite_db

    @classmethod
    def detect(cls, path: Path, options: CacheOptions) -> bool:
        return (path / options.sqlite_db).is_file()

    def service_files(self) -> frozenset[str]:
        db = self.options.sqlite_db
        return super().service_files() | {
            db,
            f"{db}-journal",
            f"{db}-wal",
            f"{db}-shm",
            SQLITE_INIT_LOCK,
        }

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
        uri = "file:" + urllib.parse.quote(str(self.db_path)) + f"?mode={mode}"
        try:
            if mode == "ro":
                conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)
            else:
                conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
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
        self._rows = rows  # for eviction_order's rowids, built only when asked for
        return by_id

    def _scan_cached(self, ticker: ProgressTicker) -> list[Entry]:
        rows = self.read_rows()
        entries: list[Entry] = []
        append = entries.append
        cached = State.CACHED
        pop = rows.pop
        for f in self._files(cached, ticker):
            row = pop(f.name, None)
            if row is None:
                append(
                    make_entry(
                        f.name, cached, f.size, None, None, f.mtime, note=Note.FILE_WITHOUT_ROW
                    )
                )
                continue
            # Releases before 2023 inserted last_accessed = 0 (the epoch): kept as
            # it is, since Glance's pruner takes those first.
            # The columns' affinities (REAL, INTEGER) give floats and ints already;
            # only NULL needs a default.
            append(
                make_entry(
                    f.name,
                    cached,
                    f.size,
                    row[4] or 0,
                    row[1] or 0.0,
                    row[2] or 0.0,
                    row[5],
                    note=link_note(f),
                )
            )
        for image_id, row in rows.items():
            ticker.tick()
            append(
                make_entry(
                    image_id,
                    cached,
                    int(row[3] or 0),
                    int(row[4] or 0),
                    float(row[1] or 0.0),
                    float(row[2] or 0.0),
                    row[5],
                    note=Note.ROW_WITHOUT_FILE,
                )
            )
        return entries

    # -- changing the cache ---------------------------------------------------

    def eviction_order(self, entries: Sequence[Entry]) -> list[Entry]:
        """Glance's sqlite pruner: ``ORDER BY last_accessed``, ties in table order.

        Only entries with a row are candidates (a row whose file is gone frees
        0 bytes, as in Glance); a file without a row is never pruned by Glance.
        """
        rowids = {r[0]: int(r[6]) for r in getattr(self, "_rows", [])}
        cached = [
            e for e in entries if e.state is State.CACHED and e.note is not Note.FILE_WITHOUT_ROW
        ]
        return sorted(cached, key=lambda e: (e.accessed_ts or 0.0, rowids.get(e.id, 0)))

    def delete_entries(self, entries: Iterable[Entry]) -> Generator[Outcome, None, None]:
        """File first, then its row, like Glance; short transactions.

        Each file is unlinked before its row is deleted, and rows commit in
        small batches (at most ``BATCH_ENTRIES`` or ``BATCH_SECONDS``), also
        when the caller stops early.  Killed half-way, the cache is left with
        at most a few rows whose files are gone, which Glance tolerates.
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
                    outcome = self._unlink_entry(entry)
                    if entry.state is State.CACHED and outcome.status is not OutcomeStatus.FAILED:
                        cur = conn.execute(
                            "DELETE FROM cached_images WHERE image_id = ?", (entry.id,)
                        )
                        if outcome.status is OutcomeStatus.GONE and cur.rowcount > 0:
                            # The file was gone already; its row was the entry.
                            outcome = outcome._replace(status=OutcomeStatus.DELETED)
                    in_batch += 1
                    if in_batch >= BATCH_ENTRIES or time.monotonic() - started >= BATCH_SECONDS:
                        conn.execute("COMMIT")
                        in_tx = False
                    yield outcome
                if in_tx:
                    conn.execute("COMMIT")
                    in_tx = False
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise _translate(exc, self.db_path) from exc
            finally:
                # Stopped between entries (cancel): keep what was done.
                if in_tx and conn.in_transaction:
                    conn.execute("COMMIT")


def _translate(exc: sqlite3.Error, db_path: Path) -> Exception:
    text = str(exc)
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
