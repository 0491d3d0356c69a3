"""Glance's own file locks on a cache, taken the way glance-api takes them.

Glance's sqlite and centralized_db drivers make the cache directory the
default ``lock_path`` of oslo.concurrency (``lockutils.set_defaults``), so
its external locks are files there unless glance-api.conf sets
``[oslo_concurrency] lock_path``.  oslo.concurrency's external lock is
fasteners' ``InterProcessLock``: the file opened for appending and an
exclusive POSIX record lock (``fcntl.lockf``) on it.  Taking the same lock
on the same file is what keeps a running glance-api and the inspector from
interleaving; an ``flock`` would not conflict with it at all.

The names (Glance 33):

* ``glance-cache-prune``: the cache API's prune (``POST /v2/cache/prune``),
  the one Glance process that deletes cached images in bulk;
* ``glance-cache-clean``: the cache API's clean (``POST /v2/cache/clean``),
  which deletes invalid and stalled files;
* ``glance-cache``: the prefetcher while it fetches the queue (held for
  whole downloads: not taken here);
* ``sqlite_centralized_migrate``: the start-up move of ``cache.db`` rows
  into the central database.
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from inspector.core.errors import CacheBusyError, CacheUnreadableError, reason_of

PRUNE_LOCK = "glance-cache-prune"
CLEAN_LOCK = "glance-cache-clean"
PREFETCH_LOCK = "glance-cache"
MIGRATE_LOCK = "sqlite_centralized_migrate"

#: How long to wait for Glance to finish what it holds a lock for.
LOCK_WAIT_S = 10.0
_POLL_S = 0.05

#: POSIX record locks belong to the process, not to a file descriptor: a
#: second descriptor of the same file in this process would share the lock,
#: and closing it would release it.  So each lock file is also guarded by one
#: thread lock per process (oslo.concurrency does the same with semaphores).
_in_process: dict[str, threading.Lock] = {}
_in_process_guard = threading.Lock()


def _thread_lock(path: str) -> threading.Lock:
    with _in_process_guard:
        return _in_process.setdefault(path, threading.Lock())


@contextmanager
def glance_lock(lock_dir: Path, name: str, wait: float | None = None) -> Iterator[None]:
    """Hold Glance's external lock ``name`` in ``lock_dir`` (its lock_path).

    Raises :class:`CacheBusyError` when Glance holds it for longer than
    ``wait`` seconds (default :data:`LOCK_WAIT_S`).  The lock file is created
    as oslo.concurrency creates it (and left, as it leaves it); when run as
    root it is given the owner of the directory, so that glance-api can still
    open it.
    """
    wait = LOCK_WAIT_S if wait is None else wait
    path = os.path.join(lock_dir, name)
    guard = _thread_lock(path)
    deadline = time.monotonic() + wait
    if not guard.acquire(timeout=wait):
        raise CacheBusyError(_busy(path, name, wait))
    try:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise CacheUnreadableError(
                f"Glance's lock {path} cannot be taken: {reason_of(exc)}; nothing was changed."
            ) from None
        try:
            _give_to_directory_owner(fd, lock_dir)
            while True:
                try:
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EACCES, errno.EAGAIN):
                        raise CacheUnreadableError(
                            f"Glance's lock {path} cannot be taken: {reason_of(exc)}."
                        ) from None
                    if time.monotonic() >= deadline:
                        raise CacheBusyError(_busy(path, name, wait)) from None
                    time.sleep(_POLL_S)
            try:
                yield
            finally:
                fcntl.lockf(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    finally:
        guard.release()


@contextmanager
def glance_locks(lock_dir: Path, names: Sequence[str]) -> Iterator[None]:
    """Hold several of Glance's locks, always in the same order.

    Glance itself never holds two of them at once, so a fixed order cannot
    deadlock against it.
    """
    with ExitStack() as stack:
        for name in sorted(set(names)):
            stack.enter_context(glance_lock(lock_dir, name))
        yield


def _give_to_directory_owner(fd: int, lock_dir: Path) -> None:
    if os.geteuid() != 0:
        return
    try:
        st = os.fstat(fd)
        d = os.stat(lock_dir)
        if (st.st_uid, st.st_gid) != (d.st_uid, d.st_gid):
            os.fchown(fd, d.st_uid, d.st_gid)
    except OSError:
        pass


def _busy(path: str, name: str, wait: float) -> str:
    doing = {
        PRUNE_LOCK: "pruning this cache",
        CLEAN_LOCK: "cleaning this cache",
        PREFETCH_LOCK: "prefetching into this cache",
        MIGRATE_LOCK: "migrating this cache's sqlite rows",
    }.get(name, "holding it")
    return (
        f"Glance is {doing} (it has held {path} for over {wait:g} s): nothing was changed; "
        "try again when it is done."
    )
