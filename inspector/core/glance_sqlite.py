"""Glance's ``sqlite`` cache driver: metadata in ``<dir>/cache.db``."""

from __future__ import annotations

import sqlite3
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from inspector.core.driver import CacheOptions, ProgressTicker
from inspector.core.errors import CacheBusyError, CacheUnreadableError, CorruptDatabaseError
from inspector.core.glance import SQLITE_INIT_LOCK, GlanceDriver, link_note
from inspector.core.model import Entry, Note, State, utc_from_timestamp

#: How long to wait for Glance to release a lock before giving up (Glance itself waits 2 s).
BUSY_TIMEOUT_S = 5.0

_COLUMNS = ("image_id", "last_accessed", "last_modified", "size", "hits", "checksum")


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
    def _connect_ro(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection: it can neither create the file nor write to it."""
        if not self.db_path.is_file():
            raise CorruptDatabaseError(
                f"{self.db_path} is missing: this sqlite cache has lost its database."
            )
        uri = "file:" + urllib.parse.quote(str(self.db_path)) + "?mode=ro"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)
        except sqlite3.Error as exc:
            raise _translate(exc, self.db_path) from exc
        try:
            yield conn
        except sqlite3.Error as exc:
            raise _translate(exc, self.db_path) from exc
        finally:
            conn.close()

    def read_rows(self) -> dict[str, tuple[float, float, int, int, str | None]]:
        """Every row of ``cached_images`` by image id, in one query."""
        with self._connect_ro() as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "cached_images" not in tables:
                raise CorruptDatabaseError(
                    f"{self.db_path} is an SQLite database but has no cached_images table: "
                    "it is not a Glance image cache database."
                )
            cur = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM cached_images")
            return {
                str(r[0]): (
                    float(r[1] or 0.0),
                    float(r[2] or 0.0),
                    int(r[3] or 0),
                    int(r[4] or 0),
                    r[5],
                )
                for r in cur
            }

    def _scan_cached(self, ticker: ProgressTicker) -> list[Entry]:
        rows = self.read_rows()
        entries = []
        for f in self._files(State.CACHED, ticker):
            row = rows.pop(f.name, None)
            if row is None:
                entries.append(
                    Entry(
                        id=f.name,
                        state=State.CACHED,
                        size=f.size,
                        last_modified=utc_from_timestamp(f.mtime),
                        note=Note.FILE_WITHOUT_ROW,
                    )
                )
                continue
            accessed, modified, _size, hits, checksum = row
            entries.append(
                Entry(
                    id=f.name,
                    state=State.CACHED,
                    size=f.size,
                    hits=hits,
                    # Releases before 2023 inserted last_accessed = 0 (the epoch):
                    # kept, since Glance's pruner takes those first.
                    last_accessed=utc_from_timestamp(accessed),
                    last_modified=utc_from_timestamp(modified),
                    checksum=checksum,
                    note=link_note(f),
                )
            )
        for image_id, (accessed, modified, size, hits, checksum) in rows.items():
            ticker.tick()
            entries.append(
                Entry(
                    id=image_id,
                    state=State.CACHED,
                    size=size,
                    hits=hits,
                    last_accessed=utc_from_timestamp(accessed),
                    last_modified=utc_from_timestamp(modified),
                    checksum=checksum,
                    note=Note.ROW_WITHOUT_FILE,
                )
            )
        return entries


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
