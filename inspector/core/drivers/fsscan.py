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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from inspector.core.drivers import base
from inspector.core.drivers.base import ProgressTicker
from inspector.core.errors import (
    CacheNotFoundError,
    CacheUnreadableError,
    NotACacheError,
    reason_of,
)


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
    """One regular file (or symlink) found in a cache directory.

    ``atime_ns`` is the same atime as ``atime`` in whole nanoseconds: a float
    of unix seconds cannot tell the last ~120 ns of a second from the next
    one, and a service comparing whole seconds (Glance's xattr pruner) needs
    the second exactly.
    """

    name: str
    path: str
    size: int
    atime: float
    mtime: float
    is_link: bool = False
    atime_ns: int = 0


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
    """The regular files and symlinks directly in ``directory``, as a list (:func:`iter_files`)."""
    return list(
        iter_files(directory, skip, missing_ok=missing_ok, ticker=ticker, nofollow=nofollow)
    )


def iter_files(
    directory: Path,
    skip: frozenset[str] = frozenset(),
    *,
    missing_ok: bool = True,
    ticker: ProgressTicker | None = None,
    nofollow: bool = False,
    skip_suffixes: tuple[str, ...] = (),
) -> Iterator[FileInfo]:
    """The regular files and symlinks directly in ``directory``, one ``scandir`` pass.

    Each file is handed on as it is found, so that a scan can build its entry
    and let the :class:`FileInfo` go at once: a list of 100,000 of them (path
    strings included) would add 35 MB to the scan's peak and leave the heap
    fragmented after it.  Nothing happens before the first ``next``; errors
    opening ``directory`` are raised from there.

    Subdirectories, names in ``skip`` and names ending in one of ``skip_suffixes``
    are passed over; a file that vanishes
    between listing and ``stat`` is skipped.  Nothing is opened and the
    directory is read with ``O_NOATIME`` where the kernel allows, so no atime
    moves.  A symlink is reported as itself (``is_link``) with its target's size
    when that is a regular file (0 otherwise: a directory's size is no
    cached bytes, as Glance's ``isfile`` sees it): nothing here follows it
    further.  With ``nofollow``
    a ``directory`` that is itself a symlink (or not a directory) raises
    :class:`NotADirectoryError`: the caller decides what to tell the user.
    """
    try:
        fd = open_dir_noatime(directory, nofollow)
    except FileNotFoundError:
        if missing_ok:
            return
        raise CacheNotFoundError(f"{directory} does not exist.") from None
    except PermissionError:
        raise CacheUnreadableError(f"{directory} cannot be read: permission denied.") from None
    except NotADirectoryError:
        if nofollow:
            raise
        return
    except OSError as exc:
        if nofollow and exc.errno == errno.ELOOP:
            raise NotADirectoryError(errno.ENOTDIR, "a symbolic link", str(directory)) from None
        raise
    prefix = os.fspath(directory) + os.sep
    since, every = 0, base.PROGRESS_EVERY  # progress is told in batches: this loop is hot
    is_reg, is_lnk = stat.S_ISREG, stat.S_ISLNK
    # FileInfo(...) without the named tuple's Python-level __new__: a third of the cost.
    new, info = tuple.__new__, FileInfo
    try:
        with os.scandir(fd) as it:
            for entry in it:
                name = entry.name
                if name in skip or name.endswith(skip_suffixes):
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                mode = st.st_mode
                if is_reg(mode):
                    yield (
                        new(
                            info,
                            (
                                name,
                                prefix + name,
                                st.st_size,
                                st.st_atime,
                                st.st_mtime,
                                False,
                                st.st_atime_ns,
                            ),
                        )
                    )
                elif is_lnk(mode):
                    try:  # the target's bytes, when the link leads to a file
                        target = os.stat(prefix + name)
                        size = target.st_size if is_reg(target.st_mode) else 0
                    except OSError:
                        size = 0
                    yield (
                        FileInfo(
                            name,
                            prefix + name,
                            size,
                            st.st_atime,
                            st.st_mtime,
                            True,
                            st.st_atime_ns,
                        )
                    )
                if ticker is not None:
                    since += 1
                    if since == every:
                        ticker.advance(since)
                        since = 0
    finally:
        os.close(fd)
    if ticker is not None and since:
        ticker.advance(since)


class TreeDir(NamedTuple):
    """One directory of a tree and the files directly in it.

    ``rel`` is ``""`` for the root, else the slash-separated path below it
    (``a/b``).  ``files`` holds each regular file, symlink or other non-directory
    with its ``lstat`` result, in listing order; ``fd`` is the directory's
    descriptor, open while the caller handles this item (closed after).
    """

    rel: str
    fd: int
    files: list[tuple[str, os.stat_result]]


def walk_tree(
    root: Path,
    *,
    ticker: ProgressTicker | None = None,
    warn: Callable[[str], None] | None = None,
) -> Iterator[TreeDir]:
    """Every directory under ``root`` (itself included) with its files: one pass.

    The order is ``os.walk``'s (top-down): a directory's files in listing
    order, then each of its subdirectories, depth first, in listing order; a
    service that lists its files with ``os.walk`` (the Filetracker client)
    sees them in the same order.  Nothing is opened but directories, each
    with ``O_NOATIME`` where the kernel allows and ``O_NOFOLLOW``: a symlink
    is reported as itself (its ``lstat``), never followed or descended.  A
    directory that vanishes meanwhile is skipped; one that cannot be read is
    told to ``warn`` and skipped.  ``root`` itself may not be a symlink either
    (``OSError``).
    """
    root_fd = open_dir_noatime(root, nofollow=True)
    since, every = 0, base.PROGRESS_EVERY
    is_dir = stat.S_ISDIR
    stack = [""]
    try:
        while stack:
            rel = stack.pop()
            try:
                fd = root_fd if not rel else _open_below(root_fd, rel)
            except FileNotFoundError:
                continue
            except OSError as exc:
                if warn is not None:
                    why = reason_of(exc)
                    warn(f"{root / rel} cannot be read ({why}): its files are not shown.")
                continue
            files: list[tuple[str, os.stat_result]] = []
            append = files.append
            subdirs: list[str] = []
            prefix = rel + "/" if rel else ""
            try:
                with os.scandir(fd) as it:
                    for entry in it:
                        if entry.is_dir(follow_symlinks=False):
                            subdirs.append(prefix + entry.name)
                            continue
                        try:
                            st = entry.stat(follow_symlinks=False)
                        except FileNotFoundError:
                            continue
                        if is_dir(st.st_mode):  # replaced by a directory meanwhile
                            subdirs.append(prefix + entry.name)
                            continue
                        append((entry.name, st))
                if ticker is not None:
                    since += len(files)
                    if since >= every:
                        ticker.advance(since)
                        since = 0
                yield TreeDir(rel, fd, files)
            finally:
                if fd != root_fd:
                    os.close(fd)
            stack.extend(reversed(subdirs))
    finally:
        os.close(root_fd)
    if ticker is not None and since:
        ticker.advance(since)


def _open_below(root_fd: int, rel: str) -> int:
    """A descriptor of the directory ``rel`` below ``root_fd``; a symlink there is refused."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    noatime = getattr(os, "O_NOATIME", 0)
    if noatime:
        try:
            return os.open(rel, flags | noatime, dir_fd=root_fd)
        except PermissionError:
            pass
    return os.open(rel, flags, dir_fd=root_fd)


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
