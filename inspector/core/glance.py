"""Glance's image cache directory, shared by all of Glance's metadata drivers.

```
<dir>/<image_id>             cached images
<dir>/incomplete/<image_id>  downloads in flight (or stalled)
<dir>/invalid/<image_id>     failed downloads
<dir>/queue/<image_id>       empty files queued for the prefetcher (order = mtime)
```
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Generator, Iterable
from pathlib import Path

from inspector.core.driver import (
    CacheDriver,
    CacheOptions,
    FileInfo,
    Outcome,
    OutcomeStatus,
    Progress,
    ProgressTicker,
    gc_paused,
    scan_files,
)
from inspector.core.errors import (
    CacheError,
    CacheUnreadableError,
    QueueRefusedError,
    reason_of,
)
from inspector.core.fsops import check_image_id, exists_at, open_dir, touch_new_at, unlink_at
from inspector.core.model import Entry, Note, Snapshot, State

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


def has_glance_layout(path: Path) -> bool:
    """Whether ``path`` has any of Glance's ``incomplete``/``invalid``/``queue`` dirs."""
    return any((path / sub).is_dir() for sub in SUBDIRS.values())


class GlanceDriver(CacheDriver):
    """What every Glance cache driver shares: the directory and its four states."""

    def __init__(self, path: Path, options: CacheOptions | None = None) -> None:
        super().__init__(path, options)
        self.warnings: list[str] = []

    @classmethod
    def plausible(cls, path: Path, options: CacheOptions) -> bool:
        return has_glance_layout(path) or (path / options.sqlite_db).is_file()

    def state_dir(self, state: State) -> Path:
        sub = SUBDIRS.get(state)
        return self.path if sub is None else self.path / sub

    def service_files(self) -> frozenset[str]:
        """Names in the cache directory that are the service's, not images."""
        return frozenset({*SUBDIRS.values(), XATTR_PROBE})

    def scan(self, progress: Progress | None = None) -> Snapshot:
        self.warnings = []
        ticker = ProgressTicker(progress)
        entries: list[Entry] = []
        with gc_paused():
            entries.extend(self._scan_cached(ticker))
            entries.extend(self._scan_queue(ticker))
            entries.extend(self._scan_incomplete(ticker))
            entries.extend(self._scan_invalid(ticker))
        ticker.report()
        return Snapshot(
            path=self.path, driver=self.name, entries=entries, warnings=tuple(self.warnings)
        )

    def _files(self, state: State, ticker: ProgressTicker) -> list[FileInfo]:
        skip = self.service_files() if state is State.CACHED else frozenset()
        return scan_files(self.state_dir(state), skip, ticker=ticker)

    @abstractmethod
    def _scan_cached(self, ticker: ProgressTicker) -> list[Entry]:
        """The cached entries with their metadata."""

    def _scan_queue(self, ticker: ProgressTicker) -> list[Entry]:
        # Glance's prefetcher takes the queue in (mtime, id) order.
        files = sorted(self._files(State.QUEUED, ticker), key=lambda f: (f.mtime, f.name))
        return [
            Entry(
                id=f.name,
                state=State.QUEUED,
                size=f.size,
                modified_ts=f.mtime,
                position=i,
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
            check_image_id(entry.id)
            with open_dir(self.path, SUBDIRS.get(entry.state)) as fd:
                freed = unlink_at(fd, entry.id)
        except FileNotFoundError:
            return Outcome(entry, OutcomeStatus.GONE)
        except (OSError, CacheError) as exc:
            return Outcome(entry, OutcomeStatus.FAILED, reason=reason_of(exc))
        return Outcome(entry, OutcomeStatus.DELETED, freed)

    def queue_image(self, image_id: str) -> None:
        """Glance's queue_image: refused when cached, being cached or queued."""
        check_image_id(image_id)
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
        try:
            with open_dir(self.path, SUBDIRS[State.QUEUED]) as fd:
                touch_new_at(fd, image_id)
        except FileExistsError:
            raise QueueRefusedError(f"{image_id} is already queued.") from None
        except FileNotFoundError:
            raise CacheUnreadableError(
                f"{self.path / 'queue'} is missing: Glance creates it when it starts."
            ) from None


def link_note(info: FileInfo) -> Note | None:
    """The note for a file that is a symlink."""
    return Note.SYMLINK if info[5] else None
