"""File operations inside a cache directory that never leave it.

Every name is checked before it becomes a path; directories are opened with
``O_NOFOLLOW`` below the cache root, and files are unlinked relative to that
descriptor, so a symlink planted in the cache is removed as a link and nothing
outside the cache is ever touched.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from inspector.core.drivers.kinds import Outcome, OutcomeStatus
from inspector.core.errors import CacheError, InvalidImageIdError, reason_of
from inspector.core.model import Entry

#: Longest name a Linux filesystem takes (NAME_MAX).
MAX_ID_BYTES = 255
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]*")

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)


def check_image_id(image_id: str) -> str:
    """Return ``image_id`` if it can safely name a file in the cache, else raise.

    Refused: empty, ``/``, NUL, ``..`` anywhere, a leading dot or dash, control
    characters and spaces, and anything over 255 bytes.
    """
    shown = image_id if len(image_id) <= 80 else image_id[:77] + "..."
    if not image_id:
        raise InvalidImageIdError("An image id cannot be empty.")
    if "/" in image_id or "\0" in image_id or ".." in image_id:
        raise InvalidImageIdError(
            f"{shown!r} is not a valid image id: it contains '/', '..' or a NUL byte."
        )
    if len(image_id.encode("utf-8", "surrogateescape")) > MAX_ID_BYTES:
        raise InvalidImageIdError(
            f"{shown!r} is not a valid image id: it is longer than {MAX_ID_BYTES} bytes."
        )
    if not _ID.fullmatch(image_id):
        raise InvalidImageIdError(
            f"{shown!r} is not a valid image id: use letters, digits, '-', '.', '_' "
            "(Glance's ids are UUIDs)."
        )
    return image_id


@contextmanager
def open_dir(root: Path, sub: str | None = None) -> Iterator[int]:
    """A descriptor of ``root`` or of ``root/sub``.

    ``sub`` may not be a symlink: one raises :class:`NotADirectoryError`, as
    does anything else that is not a directory.
    """
    root_fd = os.open(root, _DIR_FLAGS)
    try:
        if sub is None:
            yield root_fd
            return
        try:
            fd = os.open(sub, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=root_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise NotADirectoryError(errno.ENOTDIR, "a symbolic link", sub) from None
            raise
        try:
            yield fd
        finally:
            os.close(fd)
    finally:
        os.close(root_fd)


def unlink_at(dir_fd: int, name: str) -> int:
    """Unlink ``name`` in the directory ``dir_fd``; return the bytes it held.

    A symlink is unlinked itself (0 bytes freed).  Raises ``FileNotFoundError``
    when it is already gone and ``IsADirectoryError`` for a directory.
    """
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(f"{name} is a directory, not a cache entry")
    os.unlink(name, dir_fd=dir_fd)
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def exists_at(dir_fd: int, name: str) -> bool:
    """Whether ``name`` exists in ``dir_fd`` (a dangling symlink counts)."""
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def touch_new_at(dir_fd: int, name: str) -> None:
    """Create the empty file ``name``, failing if anything has that name.

    When run as root, the file is given the directory's owner, so that the
    service (running as its own user) can remove it as it removes its own.
    """
    fd = os.open(
        name,
        os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0),
        0o666,
        dir_fd=dir_fd,
    )
    try:
        if os.geteuid() == 0:
            d = os.fstat(dir_fd)
            os.fchown(fd, d.st_uid, d.st_gid)
    finally:
        os.close(fd)


_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def open_noatime_at(name: str, dir_fd: int | None = None) -> tuple[int, bool]:
    """Open ``name`` for reading without moving its atime where allowed.

    Returns the descriptor and whether ``O_NOATIME`` was honoured: the kernel
    allows it only to the file's owner (or ``CAP_FOWNER``); otherwise the file
    is opened the ordinary way and reading it may move its atime.  A symlink
    is never followed (``OSError`` ELOOP).
    """
    noatime = getattr(os, "O_NOATIME", 0)
    if noatime:
        try:
            return os.open(name, _READ_FLAGS | noatime, dir_fd=dir_fd), True
        except PermissionError as exc:
            if exc.errno != errno.EPERM:
                raise
    return os.open(name, _READ_FLAGS, dir_fd=dir_fd), False


def open_entry_file(path: str | os.PathLike[str]) -> tuple[int, bool]:
    """:func:`open_noatime_at` for a full path (its last component is not followed)."""
    return open_noatime_at(os.fspath(path))


def file_to_write(root: Path, entry: Entry, gone: str) -> os.stat_result | Outcome:
    """The stat of ``entry``'s file in ``root`` when it is a regular file whose
    metadata may be written (repair, import); else the outcome that leaves it
    alone: ``GONE`` saying ``gone``, or ``FAILED`` with the reason."""
    try:
        with open_dir(root) as fd:
            st = os.stat(entry.id, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return Outcome(entry, OutcomeStatus.GONE, reason=gone)
    except (OSError, CacheError) as exc:
        return Outcome(entry, OutcomeStatus.FAILED, reason=reason_of(exc))
    if not stat.S_ISREG(st.st_mode):
        return Outcome(entry, OutcomeStatus.FAILED, reason="not a regular file: left alone")
    return st
