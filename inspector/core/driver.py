"""The one interface every cache kind implements."""

from __future__ import annotations

import enum
import errno
import gc
import os
import stat
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, NamedTuple

from inspector.core.errors import (
    CacheNotFoundError,
    CacheUnreadableError,
    NotACacheError,
    ScanCancelled,
)
from inspector.core.model import STATES, Entry, Snapshot, State

#: Called now and then during a scan with the number of entries seen so far.
#: Returning ``False`` cancels the scan (it raises :class:`ScanCancelled`).
Progress = Callable[[int], bool | None]

PROGRESS_EVERY = 2000


@dataclass(frozen=True, slots=True)
class CacheOptions:
    """Settings a driver needs besides the path (Glance's config options)."""

    sqlite_db: str = "cache.db"  # image_cache_sqlite_db, relative to the cache directory


class CacheDriver(ABC):
    """A cache of one kind, opened at one path.

    Drivers take their path and settings as arguments and return frozen
    dataclasses.  Opening and scanning only read: no file, directory or table
    is created, and no atime is changed.
    """

    #: Short machine name, as given to ``--driver``.
    name: ClassVar[str]
    #: What the user sees as the cache's kind.
    title: ClassVar[str]
    #: The states this kind of cache has.
    states: ClassVar[tuple[State, ...]] = STATES

    def __init__(self, path: Path, options: CacheOptions | None = None) -> None:
        self.path = Path(path)
        self.options = options or CacheOptions()
        check_directory(self.path)

    @classmethod
    @abstractmethod
    def detect(cls, path: Path, options: CacheOptions) -> bool:
        """Whether what is on disk at ``path`` looks like this kind of cache."""

    @abstractmethod
    def scan(self, progress: Progress | None = None) -> Snapshot:
        """Read every entry with its metadata."""

    def nodes(self) -> list[str]:
        """The nodes whose caches share this metadata (only centralized kinds have many)."""
        return []

    # -- changing the cache ---------------------------------------------------
    # Each change leaves files and metadata as consistent as the owning service
    # leaves them itself, so that it can keep running while they happen.

    @abstractmethod
    def eviction_order(self, entries: Sequence[Entry]) -> list[Entry]:
        """The cached entries the service's pruner would evict, first victim first."""

    @abstractmethod
    def delete_entries(self, entries: Iterable[Entry]) -> Generator[Outcome, None, None]:
        """Delete entries (file and metadata together), yielding one outcome each.

        The caller may stop iterating between entries (cancel): what was
        yielded is done, nothing else is.  An entry that vanished meanwhile is
        reported as gone, not as a failure.
        """

    @abstractmethod
    def queue_image(self, image_id: str) -> None:
        """Queue ``image_id`` for the prefetcher, by the service's rules.

        Raises :class:`InvalidImageIdError` or :class:`QueueRefusedError`.
        """

    @abstractmethod
    def reserve_queue(self, image_id: str) -> bool:
        """Queue ``image_id`` ahead of removing its entry (requeue); see GlanceDriver."""

    @abstractmethod
    def release_queue(self, image_id: str) -> None:
        """Undo :meth:`reserve_queue` when the entry could not be removed."""

    def check_id(self, image_id: str) -> str:
        """``image_id`` if it can name an entry here, else :class:`InvalidImageIdError`."""
        return image_id


class OutcomeStatus(enum.StrEnum):
    DELETED = "deleted"
    GONE = "gone"  # vanished before we got to it: counts as done
    FAILED = "failed"


class Outcome(NamedTuple):
    """What happened to one entry of a job."""

    entry: Entry
    status: OutcomeStatus
    freed: int = 0
    reason: str | None = None


def check_directory(path: Path) -> None:
    """Raise a clear error unless ``path`` is a readable directory."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise CacheNotFoundError(f"{path} does not exist.") from None
    except PermissionError:
        raise CacheUnreadableError(f"{path} cannot be read: permission denied.") from None
    except OSError as exc:
        raise CacheUnreadableError(f"{path} cannot be read: {exc.strerror}.") from None
    if not stat.S_ISDIR(st.st_mode):
        raise NotACacheError(f"{path} is a file, not a cache directory.")
    if not os.access(path, os.R_OK | os.X_OK):
        raise CacheUnreadableError(f"{path} cannot be read: permission denied.")


class FileInfo(NamedTuple):
    """One regular file (or symlink) found in a cache directory."""

    name: str
    path: str
    size: int
    atime: float
    mtime: float
    is_link: bool = False


def _open_dir(directory: Path, nofollow: bool = False) -> int:
    """A descriptor for listing ``directory`` without moving its atime where allowed.

    With ``nofollow`` a symlink in the place of the directory is refused
    (``OSError`` ELOOP or ENOTDIR) instead of followed.
    """
    flags = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)
    if nofollow:
        flags |= os.O_NOFOLLOW
    noatime = getattr(os, "O_NOATIME", 0)
    if noatime:
        try:
            return os.open(directory, flags | noatime)
        except PermissionError:
            pass  # O_NOATIME needs the owner (or CAP_FOWNER); list it the ordinary way
    return os.open(directory, flags)


def scan_files(
    directory: Path,
    skip: frozenset[str] = frozenset(),
    *,
    missing_ok: bool = True,
    ticker: ProgressTicker | None = None,
    nofollow: bool = False,
) -> list[FileInfo]:
    """The regular files and symlinks directly in ``directory``, one ``scandir`` pass.

    Subdirectories and names in ``skip`` are passed over; a file that vanishes
    between listing and ``stat`` is skipped.  Nothing is opened and the
    directory is read with ``O_NOATIME`` where the kernel allows, so no atime
    moves.  A symlink is reported as itself (``is_link``) with its target's size
    when that can be had: nothing here follows it further.  With ``nofollow``
    a ``directory`` that is itself a symlink (or not a directory) raises
    :class:`NotADirectoryError`: the caller decides what to tell the user.
    """
    try:
        fd = _open_dir(directory, nofollow)
    except FileNotFoundError:
        if missing_ok:
            return []
        raise CacheNotFoundError(f"{directory} does not exist.") from None
    except PermissionError:
        raise CacheUnreadableError(f"{directory} cannot be read: permission denied.") from None
    except NotADirectoryError:
        if nofollow:
            raise
        return []
    except OSError as exc:
        if nofollow and exc.errno == errno.ELOOP:
            raise NotADirectoryError(errno.ENOTDIR, "a symbolic link", str(directory)) from None
        raise
    prefix = os.fspath(directory) + os.sep
    since, every = 0, PROGRESS_EVERY  # progress is told in batches: this loop is hot
    found: list[FileInfo] = []
    append = found.append
    is_reg, is_lnk = stat.S_ISREG, stat.S_ISLNK
    try:
        with os.scandir(fd) as it:
            for entry in it:
                name = entry.name
                if name in skip:
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                mode = st.st_mode
                if is_reg(mode):
                    append(FileInfo(name, prefix + name, st.st_size, st.st_atime, st.st_mtime))
                elif is_lnk(mode):
                    try:
                        size = os.stat(prefix + name).st_size
                    except OSError:
                        size = 0
                    append(FileInfo(name, prefix + name, size, st.st_atime, st.st_mtime, True))
                if ticker is not None:
                    since += 1
                    if since == every:
                        ticker.advance(since)
                        since = 0
    finally:
        os.close(fd)
    if ticker is not None and since:
        ticker.advance(since)
    return found


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a scan builds its objects.

    A scan creates a few hundred thousand small objects and no cycles; the
    collector would walk the growing heap again and again for nothing (about a
    fifth of a 100,000-entry scan, measured by benchmarks/bench_scan.py).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class ProgressTicker:
    """Calls a :data:`Progress` callback every few thousand entries."""

    __slots__ = ("_callback", "count")

    def __init__(self, callback: Progress | None) -> None:
        self._callback = callback
        self.count = 0

    def tick(self) -> None:
        self.advance(1)

    def advance(self, n: int) -> None:
        before = self.count
        self.count += n
        if self._callback is not None and before // PROGRESS_EVERY != self.count // PROGRESS_EVERY:
            self.report()

    def report(self) -> None:
        if self._callback is not None and self._callback(self.count) is False:
            raise ScanCancelled("The scan was cancelled.")
