"""The Filetracker client's locks, taken the client's way and never waited for.

``locks/tree.lock`` guards every creation and removal of lock files and their
directories (``flock(LOCK_EX)``); ``locks/<name>`` is the per-name lock:
readers hold ``LOCK_SH`` while they read, writers and ``delete_file``
``LOCK_EX`` (filetracker 2.3.3, ``client/lock_manager.py``).

Two things are done here:

- :func:`probe` tells whether a client holds a name's lock now, on the lock
  file that exists, without creating one: it opens it read-only and tries a
  non-blocking ``LOCK_EX``, released at once by closing.  A client asking for
  the lock in that instant waits that instant, as it would behind another
  client; a probe itself never waits.
- :class:`StoreLocks` takes a name's lock for deleting it as
  ``FcntlLockManager.lock_for`` + ``lock_exclusive`` + ``close(delete=True)``
  do, except that ``LOCK_EX`` is tried without waiting (a name in use is
  skipped, never waited for) and the tree lock is waited for only a few
  seconds (clients hold it for microseconds).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from inspector.core.drivers.filetracker.names import TREE_LOCK
from inspector.core.errors import CacheBusyError

#: How long to wait for the tree lock before giving up on the job.
TREE_LOCK_WAIT_S = 5.0

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC
#: For probes: no creation, no symlink, no blocking on a FIFO, no terminal.
_PROBE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | _CLOEXEC
#: The client's own open of a lock file (``O_WRONLY | O_CREAT``, mode 0600).
_LOCK_FILE = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | _CLOEXEC


def probe(dir_fd: int, name: str) -> bool | None:
    """Whether a client holds the lock file ``name`` (in ``dir_fd``) now.

    ``False`` when it is free or does not exist; ``None`` when it cannot be
    told (the file cannot be opened by this user).
    """
    try:
        fd = os.open(name, _PROBE, dir_fd=dir_fd)
    except FileNotFoundError:
        return False
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return None
    finally:
        os.close(fd)  # releases the probe's lock, if it got it
    return False


@contextlib.contextmanager
def shared(locks_dir: Path, name: str) -> Iterator[None]:
    """Hold the name's lock shared while reading it, as the client's readers do.

    Only an existing lock file is taken (a writer creates it first, so a name
    without one is not being written); nothing is created and nothing waits:
    a name a writer holds now raises :class:`BlockingIOError`.
    """
    try:
        fd = os.open(os.path.join(locks_dir, name.lstrip("/")), _PROBE)
    except FileNotFoundError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        yield
    finally:
        os.close(fd)  # releases the shared lock


def open_lock_dir(locks_fd: int, rel: str) -> int | None:
    """A descriptor of ``locks/<rel>`` for probing (``None``: there is none)."""
    noatime = getattr(os, "O_NOATIME", 0)
    target = rel or "."
    try:
        try:
            return os.open(target, _DIR | noatime, dir_fd=locks_fd)
        except PermissionError:
            if not noatime:
                raise
            return os.open(target, _DIR, dir_fd=locks_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        # No directory here: a file (no client can lock under it), or a symbolic link,
        # never followed here.  One that leads to a directory is where the client takes
        # its locks: whether a name is held there is unknown.
        try:
            followed = os.stat(target, dir_fd=locks_fd)
        except OSError:  # a link to nothing, or a loop: no client can lock there either
            return None
        if stat.S_ISDIR(followed.st_mode):
            raise
        return None


@dataclass
class NameLock:
    """A name's lock file, opened the client's way, and the directories leading to it."""

    segments: Sequence[str]
    fd: int
    #: Descriptors of ``locks/``'s subdirectories down to the lock file's, in order.
    dir_fds: list[int] = field(default_factory=list)
    held: bool = False

    def try_exclusive(self) -> bool:
        """``LOCK_EX`` without waiting: ``False`` when a client holds the name."""
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self.held = True
        return True

    def close(self) -> None:
        for fd in (self.fd, *self.dir_fds):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.fd = -1
        self.dir_fds = []


class StoreLocks:
    """A store's ``locks/`` directory, its tree lock, and per-name locks for deleting."""

    def __init__(self, locks_dir: Path) -> None:
        self.root_fd = os.open(locks_dir, _DIR)
        try:
            self.tree_fd = self._create(TREE_LOCK, self.root_fd)
        except BaseException:
            os.close(self.root_fd)
            raise

    def close(self) -> None:
        for fd in (self.tree_fd, self.root_fd):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> StoreLocks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def tree_locked(self) -> Iterator[None]:
        """The tree lock, waited for at most :data:`TREE_LOCK_WAIT_S` (else CacheBusyError)."""
        deadline = time.monotonic() + TREE_LOCK_WAIT_S
        pause = 0.001
        while True:
            try:
                fcntl.flock(self.tree_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise CacheBusyError(
                        f"locks/{TREE_LOCK} stayed locked by another process for "
                        f"{TREE_LOCK_WAIT_S:.0f} s: nothing more was changed."
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
        try:
            yield
        finally:
            fcntl.flock(self.tree_fd, fcntl.LOCK_UN)

    def open_name(self, segments: Sequence[str]) -> NameLock:
        """The lock file of the name ``/seg/.../seg``, made as ``lock_for`` makes it.

        Under the tree lock: its directories are made (mode 0700) and the file
        opened ``O_WRONLY | O_CREAT`` (0600); then its mtime is set to now, as
        the client does.  Nothing is locked yet.
        """
        dir_fds: list[int] = []
        with self.tree_locked():
            try:
                parent = self.root_fd
                for segment in segments[:-1]:
                    parent = self._mkdir_open(segment, parent)
                    dir_fds.append(parent)
                fd = self._create(segments[-1], parent)
            except BaseException:
                for d in dir_fds:
                    os.close(d)
                raise
        with contextlib.suppress(OSError):
            os.utime(fd)
        return NameLock(segments, fd, dir_fds)

    def remove_name(self, lock: NameLock) -> None:
        """Remove the lock file and the directories left empty, under the tree lock.

        As ``FcntlLock.close(delete=True)``: errors are ignored (the client
        ignores them too), and the lock stays held until :meth:`NameLock.close`.
        The tree lock's own file is never removed.
        """
        if list(lock.segments) == [TREE_LOCK]:
            return
        with self.tree_locked():
            parents = [self.root_fd, *lock.dir_fds]
            try:
                os.unlink(lock.segments[-1], dir_fd=parents[-1])
            except OSError:
                return
            for i in range(len(lock.segments) - 2, -1, -1):
                try:
                    os.rmdir(lock.segments[i], dir_fd=parents[i])
                except OSError:
                    return

    def _create(self, name: str, dir_fd: int) -> int:
        try:
            fd = os.open(name, _LOCK_FILE | os.O_EXCL, 0o600, dir_fd=dir_fd)
        except FileExistsError:
            return os.open(name, _LOCK_FILE, 0o600, dir_fd=dir_fd)
        self._give_to_owner(name, dir_fd)
        return fd

    def _mkdir_open(self, name: str, dir_fd: int) -> int:
        try:
            os.mkdir(name, 0o700, dir_fd=dir_fd)
        except FileExistsError:
            pass
        else:
            self._give_to_owner(name, dir_fd)
        return os.open(name, _DIR, dir_fd=dir_fd)

    def _give_to_owner(self, name: str, dir_fd: int) -> None:
        """Run as root, what was made goes to the owner of ``locks/``, as the client's own."""
        if os.geteuid() != 0:
            return
        owner = os.fstat(self.root_fd)
        with contextlib.suppress(OSError):
            os.chown(name, owner.st_uid, owner.st_gid, dir_fd=dir_fd, follow_symlinks=False)
