"""Glance's image cache directory, shared by all of Glance's metadata drivers.

```
<dir>/<image_id>             cached images
<dir>/incomplete/<image_id>  downloads in flight (or stalled)
<dir>/invalid/<image_id>     failed downloads
<dir>/queue/<image_id>       empty files queued for the prefetcher (order = mtime)
```

Besides images, Glance keeps files of its own in the directory (the sqlite
database and its journals, oslo.concurrency's lock files, the xattr driver's
probe): no driver ever shows or touches them, whatever kind it reads.
"""

from __future__ import annotations

import os
from abc import abstractmethod
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from inspector.core.drivers.base import (
    Action,
    CacheDriver,
    Capabilities,
    DigestSource,
    Outcome,
    OutcomeStatus,
    Progress,
    ProgressTicker,
)
from inspector.core.drivers.fsops import (
    check_image_id,
    exists_at,
    open_dir,
    open_noatime_at,
    touch_new_at,
    unlink_at,
)
from inspector.core.drivers.fsscan import (
    FileInfo,
    check_directory,
    gc_paused,
    iter_files,
    scan_files,
)
from inspector.core.drivers.glance.checks import is_image_id, layout_problems
from inspector.core.errors import (
    CacheError,
    CacheUnreadableError,
    InvalidImageIdError,
    QueueRefusedError,
    reason_of,
)
from inspector.core.model import STATES, Entry, Note, Snapshot, State
from inspector.core.problems import Problem, ProblemKind
from inspector.core.source import CacheOptions, CacheSource

#: Glance's own defaults: image_cache_max_size and image_cache_stall_time.
DEFAULT_MAX_SIZE = 10 * 1024**3
DEFAULT_STALL_TIME = 86400.0

#: What every Glance cache has: four states, every action, UUID-like ids.
CAPABILITIES = Capabilities(
    states=STATES,
    actions=frozenset(Action),
    default_max_size=DEFAULT_MAX_SIZE,
    default_stall_time=DEFAULT_STALL_TIME,
)

SUBDIRS: dict[State, str] = {
    State.INCOMPLETE: "incomplete",
    State.INVALID: "invalid",
    State.QUEUED: "queue",
}

#: Written into the cache directory by Glance's sqlite driver: oslo.concurrency's
#: external lock file guarding the database's creation.
SQLITE_INIT_LOCK = "image_cache_db_init"
#: Written (and removed again) by Glance's xattr driver to probe for xattr support.
XATTR_PROBE = "checkme"

#: Everything Glance itself may keep in the cache directory besides images, with
#: any of its drivers: the state directories, the xattr probe, and the lock
#: files of oslo.concurrency (the sqlite and centralized_db drivers make the
#: cache directory their lock_path; the cache API, the prefetcher, the sqlite ->
#: centralized_db migration and the task tracker take external locks there).
GLANCE_OWN_NAMES: frozenset[str] = frozenset(
    {
        *SUBDIRS.values(),
        XATTR_PROBE,
        SQLITE_INIT_LOCK,
        "glance-cache",
        "glance-cache-clean",
        "glance-cache-prune",
        "sqlite_centralized_migrate",
        "tasks",
    }
)
#: Glance's drivers never take a file ending in ``.db`` for an image; SQLite's
#: journals sit beside a database.
DB_SUFFIXES = (".db", ".db-journal", ".db-wal", ".db-shm")


def is_glance_own(name: str, options: CacheOptions) -> bool:
    """Whether ``name`` in the cache directory is one of Glance's own files."""
    db = options.sqlite_db
    return (
        name in GLANCE_OWN_NAMES
        or name.endswith(DB_SUFFIXES)
        or name in (db, f"{db}-journal", f"{db}-wal", f"{db}-shm")
    )


def check_glance_id(image_id: str, options: CacheOptions) -> str:
    """An id that can name an image file in a Glance cache, or :class:`InvalidImageIdError`."""
    check_image_id(image_id)
    if is_glance_own(image_id, options):
        raise InvalidImageIdError(
            f"{image_id!r} is not an image id: it is the name of one of Glance's own "
            "files or directories in the cache directory."
        )
    return image_id


def has_glance_layout(path: Path) -> bool:
    """Whether ``path`` has any of Glance's ``incomplete``/``invalid``/``queue`` dirs."""
    return any((path / sub).is_dir() for sub in SUBDIRS.values())


class GlanceDriver(CacheDriver):
    """What every Glance cache driver shares: the directory and its four states."""

    capabilities = CAPABILITIES
    looks_for = "Glance's incomplete/, invalid/ or queue/ directories"

    def __init__(self, source: CacheSource) -> None:
        super().__init__(source)
        check_directory(self.path)

    def watch_paths(self) -> list[Path]:
        return [self.path, *(self.path / sub for sub in SUBDIRS.values())]

    def state_dir(self, state: State) -> Path:
        sub = SUBDIRS.get(state)
        return self.path if sub is None else self.path / sub

    def service_files(self) -> frozenset[str]:
        """Names in the cache directory that are the service's, not images."""
        db = self.options.sqlite_db
        return GLANCE_OWN_NAMES | {db, f"{db}-journal", f"{db}-wal", f"{db}-shm"}

    def check_id(self, image_id: str) -> str:
        """``image_id`` if it can name an image here, else :class:`InvalidImageIdError`."""
        return check_glance_id(image_id, self.options)

    # -- trusting the cache ---------------------------------------------------

    def digest_source(self) -> DigestSource | None:
        """Glance's image records, where its database is known (``--db``, a glance-api.conf)."""
        if self.source.db_url is None:
            return None
        from inspector.core.drivers.glance.records import digests_of  # SQLAlchemy: when needed

        return digests_of(self.source.db_url)

    def entry_path(self, entry: Entry) -> Path:
        return self.state_dir(entry.state) / self.check_id(entry.id)

    @contextmanager
    def open_entry(self, entry: Entry) -> Iterator[tuple[int, bool]]:
        """The entry's file, opened inside the cache: no symlink followed, no atime moved."""
        self.check_id(entry.id)
        with open_dir(self.path, SUBDIRS.get(entry.state)) as dir_fd:
            fd, noatime = open_noatime_at(entry.id, dir_fd)
        try:
            yield fd, noatime
        finally:
            os.close(fd)

    def is_entry_id(self, name: str) -> bool:
        return is_image_id(name) and not is_glance_own(name, self.options)

    def metadata_problems(self, snapshot: Snapshot) -> list[Problem]:
        own = self.service_files()
        return layout_problems(self.path, SUBDIRS.values(), lambda n: n in own)

    def size_mismatches(
        self, snapshot: Snapshot, recorded: Mapping[str, Any], says: Callable[[Any, Entry], str]
    ) -> list[Problem]:
        """Cached entries whose row records another size than the file's (``recorded``:
        id -> the row's size, from the scan); ``says`` words it for the kind."""
        found = []
        for e in snapshot.entries:
            if e.state is not State.CACHED or e.note is not None or e.id not in recorded:
                continue  # no row, no file, a symlink or a damaged row: reported otherwise
            size = recorded[e.id]
            if size != e.size:
                found.append(
                    Problem(
                        ProblemKind.SIZE_MISMATCH,
                        e.id,
                        says(size, e),
                        State.CACHED,
                        e,
                        size,
                    )
                )
        return found

    def scan(self, progress: Progress | None = None) -> Snapshot:
        self.warnings = []
        ticker = ProgressTicker(progress)
        entries: list[Entry] = []
        with gc_paused():
            entries.extend(self._scan_cached(ticker))
            entries.extend(self._scan_queue(ticker))
            entries.extend(self._scan_incomplete(ticker))
            entries.extend(self._scan_invalid(ticker))
            entries, records = self._with_records(entries)
        ticker.report()
        return Snapshot(
            path=self.path,
            driver=self.name,
            entries=entries,
            warnings=tuple(self.warnings),
            image_records=records,
        )

    def _with_records(self, entries: list[Entry]) -> tuple[list[Entry], bool]:
        """Glance's image records on the entries, where its database is known."""
        if self.source.db_url is None:
            return entries, False
        from inspector.core.drivers.glance.records import records_or_warning

        return records_or_warning(entries, self.source.db_url, self.warnings)

    def _files(self, state: State, ticker: ProgressTicker) -> Iterable[FileInfo]:
        """The files of ``state``; the cached ones handed on as found (:func:`iter_files`)."""
        if state is State.CACHED:
            own = self.service_files()
            return iter_files(self.path, own, ticker=ticker, skip_suffixes=DB_SUFFIXES)
        directory = self.state_dir(state)
        try:
            return scan_files(directory, ticker=ticker, nofollow=True)
        except NotADirectoryError:
            self.warnings.append(_not_a_state_dir(directory))
            return []

    @abstractmethod
    def _scan_cached(self, ticker: ProgressTicker) -> list[Entry]:
        """The cached entries with their metadata."""

    def _scan_queue(self, ticker: ProgressTicker) -> list[Entry]:
        # Glance's prefetcher takes the queue in (mtime, id) order; positions count from 1.
        files = sorted(self._files(State.QUEUED, ticker), key=lambda f: (f.mtime, f.name))
        return [
            Entry(
                id=f.name,
                state=State.QUEUED,
                size=f.size,
                modified_ts=f.mtime,
                position=i + 1,
                note=link_note(f),
            )
            for i, f in enumerate(files)
        ]

    def _scan_incomplete(self, ticker: ProgressTicker) -> list[Entry]:
        return [
            Entry(
                id=f.name,
                state=State.INCOMPLETE,
                size=f.size,
                modified_ts=f.mtime,
                note=link_note(f),
            )
            for f in self._files(State.INCOMPLETE, ticker)
        ]

    def _scan_invalid(self, ticker: ProgressTicker) -> list[Entry]:
        return [
            Entry(
                id=f.name,
                state=State.INVALID,
                size=f.size,
                modified_ts=f.mtime,
                error=self._error_text(f),
                note=link_note(f),
            )
            for f in self._files(State.INVALID, ticker)
        ]

    def _error_text(self, info: FileInfo) -> str | None:
        """The recorded reason an invalid entry failed, where the driver keeps one."""
        return None

    # -- changing the cache ---------------------------------------------------

    def delete_entries(self, entries: Iterable[Entry]) -> Generator[Outcome, None, None]:
        """Unlink each entry's file (the xattr driver's metadata lives on it)."""
        for entry in entries:
            yield self._unlink_entry(entry)

    def _unlink_entry(self, entry: Entry) -> Outcome:
        try:
            self.check_id(entry.id)
            with open_dir(self.path, SUBDIRS.get(entry.state)) as fd:
                freed = unlink_at(fd, entry.id)
        except FileNotFoundError:
            return Outcome(entry, OutcomeStatus.GONE)
        except NotADirectoryError:
            return Outcome(
                entry, OutcomeStatus.FAILED, reason=_not_a_state_dir(self.state_dir(entry.state))
            )
        except (OSError, CacheError) as exc:
            return Outcome(entry, OutcomeStatus.FAILED, reason=reason_of(exc))
        return Outcome(entry, OutcomeStatus.DELETED, freed)

    def queue_image(self, image_id: str) -> None:
        """Glance's queue_image: refused when cached, being cached or queued."""
        self.check_id(image_id)
        with open_dir(self.path) as root:
            if exists_at(root, image_id):
                raise QueueRefusedError(f"{image_id} is already cached.")
        for state, reason in (
            (State.INCOMPLETE, "is already being written to the cache"),
            (State.QUEUED, "is already queued"),
        ):
            try:
                with open_dir(self.path, SUBDIRS[state]) as fd:
                    if exists_at(fd, image_id):
                        raise QueueRefusedError(f"{image_id} {reason}.")
            except FileNotFoundError:
                continue
            except NotADirectoryError:
                raise CacheUnreadableError(_not_a_state_dir(self.state_dir(state))) from None
        self._touch_queued(image_id)

    def reserve_queue(self, image_id: str) -> bool:
        """Put ``image_id`` in the queue ahead of removing its entry (requeue).

        Glance's rules would refuse an id that is still cached or being
        written, which is exactly what a requeue is about to remove, so only
        the queue itself is checked: it must be a real, writable directory.
        Returns whether a queue file was created (``False``: it was queued
        already), so that :meth:`release_queue` can undo it if the removal
        fails.  Raises when the queue cannot take the id: then nothing is
        removed.
        """
        self.check_id(image_id)
        try:
            self._touch_queued(image_id)
        except QueueRefusedError:
            return False
        return True

    def release_queue(self, image_id: str) -> None:
        """Take back a queue file made by :meth:`reserve_queue`."""
        self.check_id(image_id)
        try:
            with open_dir(self.path, SUBDIRS[State.QUEUED]) as fd:
                unlink_at(fd, image_id)
        except FileNotFoundError:
            pass

    def _touch_queued(self, image_id: str) -> None:
        queue = self.state_dir(State.QUEUED)
        try:
            with open_dir(self.path, SUBDIRS[State.QUEUED]) as fd:
                touch_new_at(fd, image_id)
        except FileExistsError:
            raise QueueRefusedError(f"{image_id} is already queued.") from None
        except FileNotFoundError:
            raise CacheUnreadableError(
                f"{queue} is missing: Glance creates it when it starts."
            ) from None
        except NotADirectoryError:
            raise CacheUnreadableError(_not_a_state_dir(queue)) from None
        except PermissionError:
            raise CacheUnreadableError(f"{queue} cannot be written: permission denied.") from None


def _not_a_state_dir(directory: Path) -> str:
    if directory.is_symlink():
        try:
            target = os.readlink(directory)
        except OSError:
            target = "?"
        return (
            f"{directory} is a symbolic link (to {target}), not Glance's own directory: "
            "its files are not shown, and nothing in it is changed."
        )
    return f"{directory} is not a directory: nothing in it is shown or changed."


def link_note(info: FileInfo) -> Note | None:
    """The note for a file that is a symlink."""
    return Note.SYMLINK if info[5] else None
