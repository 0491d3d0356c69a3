"""Removing a name from a Filetracker store as the client does, without following links.

``files/<name>`` is unlinked only if it still holds the version listed, and
the directories it emptied are removed up to ``files/`` (the client's
``utils.rmdirs``); every directory on the way is opened ``O_NOFOLLOW``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat

from inspector.core.drivers.base import Outcome, OutcomeStatus
from inspector.core.errors import reason_of
from inspector.core.model import Entry

#: Opening a directory of the store: never through a symlink.
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def points_to_dir(dir_fd: int, name: str) -> bool:
    try:
        return stat.S_ISDIR(os.stat(name, dir_fd=dir_fd).st_mode)
    except OSError:
        return False  # dangling: a file-like link


def unlink_version(files_fd: int, parts: list[str], entry: Entry) -> Outcome:
    """Unlink ``files/<parts>`` if it holds ``entry.version``; remove emptied directories.

    Directories are opened with ``O_NOFOLLOW`` from ``files/`` down: a symlink
    on the way is refused, nothing outside the store is touched.  A file gone
    already is ``GONE`` without a reason; one replaced by another version is
    ``GONE`` with one (and kept).
    """
    fds: list[int] = []
    try:
        parent = files_fd
        for part in parts[:-1]:
            try:
                parent = os.open(part, DIR_FLAGS, dir_fd=parent)
            except FileNotFoundError:
                return Outcome(entry, OutcomeStatus.GONE)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    return Outcome(
                        entry,
                        OutcomeStatus.FAILED,
                        reason=f"{part} on its path is not a directory (a symbolic link?): "
                        "not followed",
                    )
                raise
            fds.append(parent)
        try:
            st = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return Outcome(entry, OutcomeStatus.GONE)
        if stat.S_ISDIR(st.st_mode):
            return Outcome(entry, OutcomeStatus.FAILED, reason="it is a directory now")
        if entry.version is not None and int(st.st_mtime) != entry.version:
            return Outcome(
                entry,
                OutcomeStatus.GONE,
                reason=f"replaced by version {int(st.st_mtime)}, which is kept",
            )
        freed = st.st_size if stat.S_ISREG(st.st_mode) and st.st_nlink == 1 else 0
        try:
            os.unlink(parts[-1], dir_fd=parent)
        except FileNotFoundError:
            return Outcome(entry, OutcomeStatus.GONE)
        # utils.rmdirs: the emptied directories, up to files/ (stop at the first that is not).
        parents = [files_fd, *fds]
        for i in range(len(parts) - 2, -1, -1):
            try:
                os.rmdir(parts[i], dir_fd=parents[i])
            except OSError:
                break
        return Outcome(entry, OutcomeStatus.DELETED, freed)
    except OSError as exc:
        return Outcome(entry, OutcomeStatus.FAILED, reason=reason_of(exc))
    finally:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
