"""Reading directories without changing them: one ``scandir`` pass, no atime moved.

Shared by every driver that keeps its cache in files: the listing of one
directory (Glance's flat directories) or of a tree (a Filetracker store's
nested names), each file's size and times, symlinks reported as themselves.
"""

from __future__ import annotations

import errno
import gc
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from inspector.core.drivers import base
from inspector.core.drivers.base import ProgressTicker
from inspector.core.errors import CacheNotFoundError, CacheUnreadableError, NotACacheError


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


def open_dir_noatime(directory: Path, nofollow: bool = False) -> int:
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
        fd = open_dir_noatime(directory, nofollow)
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
    since, every = 0, base.PROGRESS_EVERY  # progress is told in batches: this loop is hot
    found: list[FileInfo] = []
    append = found.append
    is_reg, is_lnk = stat.S_ISREG, stat.S_ISLNK
    # FileInfo(...) without the named tuple's Python-level __new__: a third of the cost.
    new, info = tuple.__new__, FileInfo
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
                    append(
                        new(
                            info,
                            (name, prefix + name, st.st_size, st.st_atime, st.st_mtime, False),
                        )
                    )
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
