"""Filetracker client local stores written by the real client (filetracker==2.3.3).

The tests build their stores through the client's own code paths
(``Client.put_file``, ``get_file``, ``delete_file``, its ``FcntlLockManager``
and the ``filetracker-cache-cleaner``'s ``CacheCleaner``), so the inspector is
checked against the format as the client writes it, not as this project
believes it to be.  ``tests/filetracker_notes.md`` records the semantics.

Only :func:`build_store_fast` writes a store by hand: benchmarks need up to a
million files, far more than the client can put in a test's time.  It writes
the same layout (``files/<name>`` with the version as the mtime, and
``locks/tree.lock``), which the tests check the real client reads back.

Whatever takes a lock or constructs the cleaner's clients runs in a separate
process: flock(2) locks belong to an open file description, so a lock held by
this process would never block this process's own probes, and the cleaner's
clients keep descriptors open until they are collected.

Run as a script, this file is the child side of those processes; it is started
with ``python -I`` so the ``tests/`` directory never shadows an installed
package.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import json
import math
import os
import select
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

FILETRACKER_REQUIREMENT = "filetracker==2.3.3"
INSTALL_HINT = (
    "the real Filetracker client is not installed: "
    ".venv/bin/pip install --no-deps filetracker==2.3.3 && .venv/bin/pip install requests six"
)

LockMode = Literal["shared", "exclusive"]

_THIS_FILE = os.path.abspath(__file__)


def filetracker_available() -> bool:
    """Whether ``filetracker`` (the real client) can be imported."""
    return importlib.util.find_spec("filetracker") is not None


def _client(cache_dir: str) -> Any:
    """A local-only client: ``FILETRACKER_URL`` in the environment is ignored."""
    from filetracker.client import Client

    return Client(cache_dir=cache_dir, remote_store=None)


def _split_name(name: str) -> tuple[str, int | None]:
    from filetracker.utils import split_name

    uname, version = split_name(name)
    return str(uname), version


def lock_path(cache_dir: str | os.PathLike[str], name: str) -> str:
    """The lock file the client uses for ``name`` (any version): ``locks/<name>``.

    Computed the way ``FcntlLockManager.lock_for`` does, without creating it.
    """
    from filetracker.utils import check_name

    check_name(name)
    return os.path.join(os.fspath(cache_dir), "locks") + _split_name(name)[0]


def tree_lock_path(cache_dir: str | os.PathLike[str]) -> str:
    """``locks/tree.lock``: guards creating and removing lock files and their dirs."""
    return os.path.join(os.fspath(cache_dir), "locks", "tree.lock")


# --------------------------------------------------------------------------- the store


class FiletrackerStore:
    """One client's local store (``cache_dir``), driven through the real client.

    Source files for :meth:`put` are written to ``source_dir`` (by default the
    hidden sibling ``.<basename>.sources``: on the same file system, so the
    client can hard-link them, and matched by no cleaner glob like ``cache*``,
    which would make it a store); nothing but the client writes in ``cache_dir``.
    """

    def __init__(
        self, cache_dir: str | os.PathLike[str], source_dir: str | os.PathLike[str] | None = None
    ) -> None:
        self.cache_dir = os.path.abspath(os.fspath(cache_dir))
        if source_dir is None:
            parent, base = os.path.split(self.cache_dir.rstrip(os.sep))
            source_dir = os.path.join(parent, f".{base}.sources")  # hidden: globs skip it
        self.source_dir = os.path.abspath(os.fspath(source_dir))
        os.makedirs(self.source_dir, exist_ok=True)
        #: The real ``filetracker.client.Client`` (local store only).
        self.client: Any = _client(self.cache_dir)
        #: Unversioned name -> the source file kept by ``put(keep_source_link=True)``.
        self.sources: dict[str, str] = {}

    @property
    def files_dir(self) -> str:
        """``<cache_dir>/files``: the client's ``LocalDataStore.dir``."""
        return str(self.client.local_store.dir)

    def path(self, name: str) -> str:
        """The stored file of ``name`` (any version): ``files/<name>``."""
        return self.files_dir + _split_name(name)[0]

    def lock_path(self, name: str) -> str:
        """The lock file of ``name`` (any version): ``locks/<name>``."""
        return lock_path(self.cache_dir, name)

    def put(
        self,
        name: str,
        data: bytes,
        version: int | None = None,
        keep_source_link: bool = False,
    ) -> str:
        """Store ``data`` as ``name`` with ``Client.put_file``; the versioned name.

        ``name`` is unversioned; ``version`` (seconds) becomes the stored file's
        mtime, hence its version.  The client (``_save_stream``) copies when the
        destination does not exist yet (``os.path.samefile`` raises there and
        it falls back to copying, then ``os.utime``s a versioned name to its
        version) and hard-links the source over an existing destination (the
        version is then the source's mtime, and a versioned name older than or
        equal to the stored version is silently ignored).  So: the source's
        mtime is set to ``version``; a new name is put as ``name@version``
        (copy), an existing one unversioned (link, always replaces).

        Without ``keep_source_link`` the source is removed afterwards: the
        stored file has one link.  With it the stored file must be a hard link
        of the source (``st_nlink`` 2): a new name is put twice (copy, then
        link over it).  The source stays at ``self.sources[name]``.
        """
        uname, given = _split_name(name)
        if given is not None:
            raise ValueError(f"pass the version as version=, not in the name: {name!r}")
        fd, source = tempfile.mkstemp(dir=self.source_dir, prefix="put-", suffix=".src")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            if version is not None:
                os.utime(source, (version, version))
            existed = os.path.lexists(self.path(uname))
            if keep_source_link and not existed:
                self.client.put_file(uname, source)  # copies: the client links only over a file
                existed = True
            if existed:
                vname = str(self.client.put_file(uname, source))
            else:
                target = uname if version is None else f"{uname}@{version}"
                vname = str(self.client.put_file(target, source))
            stored = os.stat(self.path(uname))
            if version is not None and int(stored.st_mtime) != version:
                raise RuntimeError(f"{uname}: stored version {int(stored.st_mtime)} != {version}")
            if keep_source_link and not os.path.samefile(source, self.path(uname)):
                raise RuntimeError(f"{uname}: the client copied instead of hard-linking")
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(source)
            raise
        if keep_source_link:
            self.sources[uname] = source
        else:
            os.unlink(source)
            self.sources.pop(uname, None)
        return vname

    def get(self, name: str) -> bytes:
        """The content of ``name`` (optionally versioned) via ``Client.get_file``.

        The client saves to a new path by copying, so this leaves the stored
        file's link count alone.  Its local ``get_file`` never closes the stream
        it opens on the stored file; the ``ResourceWarning`` is silenced here.
        """
        target = os.path.join(self.source_dir, f"get-{uuid.uuid4().hex}")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                self.client.get_file(name, target)
                import gc

                gc.collect()
            with open(target, "rb") as f:
                return f.read()
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target)

    def delete(self, name: str) -> None:
        """``Client.delete_file``: a versioned name whose version differs is kept."""
        self.client.delete_file(name)

    def version(self, name: str) -> int:
        """The stored version of ``name``: ``int(os.stat(files/<name>).st_mtime)``."""
        return int(self.client.file_version(name))

    def list_local_files(self) -> list[Any]:
        """The client's own listing: ``DataStore.FileInfoEntry(name, mtime, size)``."""
        return list(self.client.list_local_files())

    def names(self) -> set[str]:
        """The versioned names in the store."""
        return {str(entry.name) for entry in self.list_local_files()}


def put_links(store: FiletrackerStore, names: Sequence[str], data: bytes, version: int) -> None:
    """Store ``data`` under each of ``names`` as hard links of one file, via ``put_file``.

    The client copies a new name and links the source over an existing one;
    so each name is put twice, then the source is removed: the names are
    each other's only links (``st_nlink == len(names)``).
    """
    fd, source = tempfile.mkstemp(dir=store.source_dir, prefix="links-", suffix=".src")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.utime(source, (version, version))
        for name in names:
            store.client.put_file(name, source)  # copies
            store.client.put_file(name, source)  # links over it
            if not os.path.samefile(source, store.path(name)):
                raise RuntimeError(f"{name}: the client copied instead of hard-linking")
    finally:
        os.unlink(source)


def store_layout(cache_dir: str | os.PathLike[str]) -> set[str]:
    """Every path in the store, relative to it; directories end with ``/``.

    Read with ``lstat`` and ``os.walk`` only (no file is opened).
    """
    root = os.fspath(cache_dir)
    found: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        prefix = "" if rel == "." else rel + "/"
        found.update(prefix + d + "/" for d in dirnames)
        found.update(prefix + f for f in filenames)
    return found


# --------------------------------------------------------------------------- locks


@dataclass(frozen=True)
class HeldLock:
    """A lock held by the child process of :func:`hold_lock`."""

    pid: int
    mode: LockMode
    lock_file: str


def _read_line(proc: subprocess.Popen[bytes], timeout: float) -> bytes:
    """One line from the child's stdout; b"" at EOF; TimeoutError after ``timeout``."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buf = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in buf:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                return buf
            buf += chunk
    return buf


def _stop(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """Ask the child to release (close its stdin); kill it if it does not exit."""
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.write(b"release\n")
        with contextlib.suppress(OSError):
            proc.stdin.close()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _child_stderr(proc: subprocess.Popen[bytes]) -> str:
    if proc.stderr is None or proc.poll() is None:
        return ""
    return proc.stderr.read().decode(errors="replace").strip()


def _child_command(*args: str) -> list[str]:
    return [sys.executable, "-I", _THIS_FILE, *args]


def _filetracker_path() -> str:
    """The sys.path entry holding ``filetracker``, passed on to ``python -I`` children."""
    spec = importlib.util.find_spec("filetracker")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(INSTALL_HINT)
    return os.path.dirname(next(iter(spec.submodule_search_locations)))


@contextlib.contextmanager
def hold_lock(
    cache_dir: str | os.PathLike[str],
    name: str,
    mode: LockMode = "shared",
    *,
    timeout: float = 10.0,
    max_hold: float = 300.0,
) -> Iterator[HeldLock]:
    """Hold the client's lock of ``name`` in a separate process for the ``with`` body.

    The child takes it the client's way, ``Client(cache_dir=...).lock_manager
    .lock_for(name)`` then ``lock_shared()``/``lock_exclusive()`` (which creates
    ``locks/<name>`` if missing), prints ``locked <lock file>``, and holds until
    the context exits (it is told to release, then its stdin closes), the
    parent dies (stdin EOF), or ``max_hold`` seconds pass.  If the lock is not
    taken within ``timeout`` (another process holds it), the child is killed
    and TimeoutError raised.  The child is always reaped.
    """
    if mode not in ("shared", "exclusive"):
        raise ValueError(f"mode must be 'shared' or 'exclusive', not {mode!r}")
    spec = {
        "path": _filetracker_path(),
        "cache_dir": os.path.abspath(os.fspath(cache_dir)),
        "name": name,
        "mode": mode,
        "max_hold": max_hold,
    }
    command = _child_command("hold", json.dumps(spec))
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0
    ) as proc:
        try:
            try:
                line = _read_line(proc, timeout)
            except TimeoutError:
                proc.kill()
                proc.wait()
                raise TimeoutError(
                    f"{name}: no {mode} lock within {timeout} s (held by another process?)"
                ) from None
            if not line.startswith(b"locked "):
                proc.wait(timeout=timeout)
                raise RuntimeError(f"lock holder failed: {_child_stderr(proc)}")
            yield HeldLock(pid=proc.pid, mode=mode, lock_file=line[7:].decode().strip())
        finally:
            _stop(proc)


def _child_hold(spec: dict[str, Any]) -> int:
    client = _client(spec["cache_dir"])
    lock = client.lock_manager.lock_for(spec["name"])
    if spec["mode"] == "exclusive":
        lock.lock_exclusive()
    else:
        lock.lock_shared()
    sys.stdout.write(f"locked {lock.filename}\n")
    sys.stdout.flush()
    deadline = time.monotonic() + float(spec["max_hold"])
    while (remaining := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([0], [], [], remaining)
        if ready:
            data = os.read(0, 4096)
            if not data or b"release" in data:
                break
    lock.close()
    return 0


@dataclass(frozen=True)
class ProcLock:
    """One ``/proc/locks`` line on a file."""

    kind: str  # FLOCK (flock(2)), POSIX (fcntl/lockf), OFDLCK (open file description)
    access: str  # READ (shared) or WRITE (exclusive)
    pid: int
    waiting: bool  # a request blocked behind the holders ("->" lines)


def proc_locks(path: str | os.PathLike[str]) -> list[ProcLock]:
    """The locks held on or waited for on ``path``'s inode, from ``/proc/locks``.

    Passive: nothing is opened but ``/proc/locks``, nothing is created, no
    lock is taken.  The file is identified by ``major:minor:inode`` (hex).
    An empty list if ``path`` does not exist.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return []
    key = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    found: list[ProcLock] = []
    with open("/proc/locks") as f:
        for line in f:
            fields = line.split()[1:]
            waiting = bool(fields) and fields[0] == "->"
            if waiting:
                fields = fields[1:]
            # KIND ADVISORY|MANDATORY ACCESS PID MAJ:MIN:INODE START END
            if len(fields) >= 5 and fields[4] == key:
                found.append(ProcLock(fields[0], fields[2], int(fields[3]), waiting))
    return found


# --------------------------------------------------------------------------- the cleaner


@dataclass(frozen=True)
class CleanerEntry:
    """One entry of the cleaner's file index (its ``FileIndexEntry``)."""

    cache_dir: str
    name: str  # versioned
    mtime: float  # lstat
    size: int  # lstat


@dataclass(frozen=True)
class CleanerAnalysis:
    """The real ``CacheCleaner``'s scan and analysis of the stores."""

    stores: tuple[str, ...]  # one per client the cleaner built, in glob order
    order: tuple[CleanerEntry, ...]  # its file index after its sort (newest first)
    do_cleaning: bool
    delete_from_index: int | None
    cleaning_level: float
    cache_size_limit: int

    @property
    def total_size(self) -> int:
        return sum(entry.size for entry in self.order)

    @property
    def to_delete(self) -> tuple[CleanerEntry, ...]:
        """What ``_clean_cache`` would delete, in its order.

        ``order[delete_from_index:]``; the cleaner passes ``None`` on (a
        cleaning level above the total, percent > 100), which is everything.
        """
        if not self.do_cleaning:
            return ()
        return self.order[self.delete_from_index :]

    @property
    def names(self) -> set[str]:
        return {entry.name for entry in self.to_delete}


@dataclass(frozen=True)
class CleanerRun:
    """One pass of the real cleaner: its analysis and what disappeared."""

    analysis: CleanerAnalysis
    deleted: dict[str, set[str]]  # cache_dir -> versioned names gone after the pass
    delete_calls: tuple[tuple[str, str], ...]  # (cache_dir, name) per delete_file, in order
    errors: tuple[str, ...] = field(default=())  # delete_file exceptions (logged by it)

    @property
    def names(self) -> set[str]:
        return set().union(*self.deleted.values()) if self.deleted else set()


def _run_cleaner_child(
    glob_dirs: Sequence[str], limit: int, percent: float, clean: bool, timeout: float
) -> dict[str, Any]:
    if isinstance(glob_dirs, str):
        raise TypeError("glob_dirs is a list of glob expressions")
    spec = {
        "path": _filetracker_path(),
        "globs": [os.fspath(g) for g in glob_dirs],
        "limit": limit,
        "percent": percent,
        "clean": clean,
    }
    proc = subprocess.run(
        _child_command("cleaner", json.dumps(spec)),
        capture_output=True,
        timeout=timeout,
        check=False,
        cwd=os.getcwd(),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"cache cleaner failed: {proc.stderr.decode(errors='replace')}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _analysis(result: dict[str, Any]) -> CleanerAnalysis:
    return CleanerAnalysis(
        stores=tuple(result["stores"]),
        order=tuple(CleanerEntry(*entry) for entry in result["order"]),
        do_cleaning=result["do_cleaning"],
        delete_from_index=result["delete_from_index"],
        cleaning_level=result["cleaning_level"],
        cache_size_limit=result["limit"],
    )


def cleaner_analysis(
    glob_dirs: Sequence[str], limit: int, percent: float = 50.0, *, timeout: float = 120.0
) -> CleanerAnalysis:
    """The real cleaner's ``_scan_disk`` + ``_analyze_file_index``, deleting nothing.

    Runs in a child process.  Like the cleaner, it constructs a ``Client`` per
    matched directory, which creates ``files/`` and ``locks/tree.lock`` there.
    """
    return _analysis(_run_cleaner_child(glob_dirs, limit, percent, False, timeout))


def cleaner_plan(glob_dirs: Sequence[str], limit: int, percent: float = 50.0) -> set[str]:
    """The versioned names one pass of the real cleaner would delete (none deleted)."""
    return cleaner_analysis(glob_dirs, limit, percent).names


def run_cache_cleaner_detailed(
    glob_dirs: Sequence[str], limit: int, percent: float = 50.0, *, timeout: float = 120.0
) -> CleanerRun:
    """One pass of the real ``CacheCleaner`` in a child process (what ``run()`` loops).

    ``_scan_disk``, ``_analyze_file_index``, then ``_clean_cache`` if it decided
    to clean.  ``deleted`` compares each store's listing before (the cleaner's
    own scan) and after; a delete_file that raised is in ``errors``.
    ``timeout``: the cleaner blocks on a name whose lock someone holds.
    """
    result = _run_cleaner_child(glob_dirs, limit, percent, True, timeout)
    deleted = {
        store: set(result["before"][store]) - set(result["after"][store])
        for store in result["before"]
    }
    return CleanerRun(
        analysis=_analysis(result),
        deleted=deleted,
        delete_calls=tuple((store, name) for store, name in result["delete_calls"]),
        errors=tuple(result["errors"]),
    )


def run_cache_cleaner(glob_dirs: Sequence[str], limit: int, percent: float = 50.0) -> set[str]:
    """One pass of the real cleaner; the versioned names it deleted (all stores)."""
    return run_cache_cleaner_detailed(glob_dirs, limit, percent).names


def _child_cleaner(spec: dict[str, Any]) -> int:
    import logging

    from filetracker.scripts.cachecleaner import CacheCleaner

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    cleaner = CacheCleaner(
        cache_size_limit=spec["limit"],
        glob_cache_dirs=spec["globs"],
        percent_cleaning_level=spec["percent"],
    )
    cleaner._scan_disk()

    def store_of(client: Any) -> str:
        return os.path.dirname(os.path.abspath(client.local_store.dir))

    stores = [store_of(client) for client in cleaner.clients]
    before: dict[str, list[str]] = {store: [] for store in stores}
    for entry in cleaner.file_index:
        before[store_of(entry.client)].append(entry.file_info.name)
    do_cleaning, delete_from_index = cleaner._analyze_file_index()
    order = [
        (store_of(e.client), e.file_info.name, e.file_info.mtime, e.file_info.size)
        for e in cleaner.file_index
    ]
    calls: list[tuple[str, str]] = []
    errors: list[str] = []
    if spec["clean"]:
        for client in cleaner.clients:
            real_delete = client.delete_file

            def recording(name: str, _client: Any = client, _real: Any = real_delete) -> None:
                calls.append((store_of(_client), name))
                try:
                    _real(name)
                except Exception as e:
                    errors.append(f"{name}: {e!r}")
                    raise

            client.delete_file = recording
        if do_cleaning:
            cleaner._clean_cache(delete_from_index)
    after = {store: [e.name for e in _client(store).list_local_files()] for store in stores}
    json.dump(
        {
            "stores": stores,
            "order": order,
            "do_cleaning": do_cleaning,
            "delete_from_index": delete_from_index,
            "cleaning_level": cleaner.cleaning_level,
            "limit": cleaner.cache_size_limit,
            "before": before,
            "after": after,
            "delete_calls": calls,
            "errors": errors,
        },
        sys.stdout,
    )
    return 0


# --------------------------------------------------------------------------- big stores


@dataclass(frozen=True)
class BuildStats:
    """What :func:`build_store_fast` wrote and how long it took."""

    files: int
    dirs: int
    seconds: float
    workers: int


def fast_store_layout(n_files: int, n_dirs: int) -> int:
    """Files per directory in :func:`build_store_fast` (the last ones may hold fewer)."""
    if n_files < 0 or n_dirs < 1:
        raise ValueError("n_files >= 0 and n_dirs >= 1")
    return max(1, math.ceil(n_files / n_dirs))


def fast_store_name(i: int, n_files: int, n_dirs: int, prefix: str = "/problems") -> str:
    """The name :func:`build_store_fast` gives file ``i`` (0-based)."""
    per_dir = fast_store_layout(n_files, n_dirs)
    d, j = divmod(i, per_dir)
    return f"{prefix}/p{d:06d}/test{j:06d}.in"


def fast_store_mtime(i: int, base_mtime: float, mtime_step: float) -> float:
    """The mtime :func:`build_store_fast` gives file ``i``; its version is ``int()`` of it."""
    return base_mtime + i * mtime_step


def _build_dirs(spec: dict[str, Any]) -> None:
    """Write directories ``[d0, d1)`` of a fast store (in this process)."""
    files_dir = spec["files_dir"]
    n_files, n_dirs, prefix = spec["n_files"], spec["n_dirs"], spec["prefix"]
    size, base, step = spec["size"], spec["base_mtime"], spec["mtime_step"]
    per_dir = fast_store_layout(n_files, n_dirs)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
    open_, utime, close, ftruncate = os.open, os.utime, os.close, os.ftruncate
    for d in range(spec["d0"], spec["d1"]):
        first = d * per_dir
        last = min(first + per_dir, n_files)
        if first >= last:
            break
        directory = files_dir + os.path.dirname(fast_store_name(first, n_files, n_dirs, prefix))
        os.makedirs(directory, 0o700, exist_ok=True)  # the client's utils.mkdir mode
        for i in range(first, last):
            fd = open_(f"{directory}/test{i - first:06d}.in", flags, 0o644)
            try:
                if size:
                    ftruncate(fd, size)  # sparse: st_size without blocks
                m = base + i * step
                utime(fd, (m, m))
            finally:
                close(fd)


def build_store_fast(
    cache_dir: str | os.PathLike[str],
    n_files: int,
    n_dirs: int,
    *,
    size: int = 0,
    base_mtime: float = 1_600_000_000.0,
    mtime_step: float = 1.0,
    prefix: str = "/problems",
    workers: int = 1,
    tree_lock: bool = True,
) -> BuildStats:
    """Write a big store in the client's layout, by hand, quickly (for benchmarks).

    File ``i`` is ``files<prefix>/pDDDDDD/testJJJJJJ.in`` (:func:`fast_store_name`),
    ``size`` bytes (sparse, no data blocks), mtime ``base_mtime + i *
    mtime_step`` (its version is the int of that).  Directories are made 0700
    like the client's ``mkdir``; with ``tree_lock`` ``locks/tree.lock`` exists
    as after any client has opened the store.  Per-name lock files are not
    written: the client creates them on demand (``lock_for`` opens with
    O_CREAT).  ``workers`` > 1 splits the directories among child processes.
    """
    if workers < 1:
        raise ValueError("workers >= 1")
    cache_dir = os.path.abspath(os.fspath(cache_dir))
    files_dir = os.path.join(cache_dir, "files")
    per_dir = fast_store_layout(n_files, n_dirs)
    used_dirs = math.ceil(n_files / per_dir) if n_files else 0
    start = time.perf_counter()
    os.makedirs(files_dir, 0o700, exist_ok=True)
    if tree_lock:
        os.makedirs(os.path.join(cache_dir, "locks"), 0o700, exist_ok=True)
        os.close(os.open(tree_lock_path(cache_dir), os.O_WRONLY | os.O_CREAT, 0o600))
    spec: dict[str, Any] = {
        "files_dir": files_dir,
        "n_files": n_files,
        "n_dirs": n_dirs,
        "prefix": prefix,
        "size": size,
        "base_mtime": base_mtime,
        "mtime_step": mtime_step,
    }
    workers = max(1, min(workers, used_dirs))
    if workers == 1:
        _build_dirs({**spec, "d0": 0, "d1": used_dirs})
    else:
        bounds = [used_dirs * k // workers for k in range(workers + 1)]
        procs = [
            subprocess.Popen(
                _child_command("build", json.dumps({**spec, "d0": lo, "d1": hi})),
                stderr=subprocess.PIPE,
            )
            for lo, hi in itertools.pairwise(bounds)
        ]
        failures = []
        for proc in procs:
            _, err = proc.communicate()
            if proc.returncode != 0:
                failures.append(err.decode(errors="replace"))
        if failures:
            raise RuntimeError("build_store_fast worker failed: " + "\n".join(failures))
    return BuildStats(n_files, used_dirs, time.perf_counter() - start, workers)


# --------------------------------------------------------------------------- child entry


def _main(argv: list[str]) -> int:
    """Child side: ``hold|cleaner|build <json spec>``; ``bench <dir> <files> <dirs> [w]``."""
    if len(argv) >= 4 and argv[0] == "bench":
        workers = int(argv[4]) if len(argv) > 4 else 1
        stats = build_store_fast(argv[1], int(argv[2]), int(argv[3]), workers=workers)
        print(json.dumps(stats.__dict__))
        return 0
    if len(argv) != 2:
        print(_main.__doc__, file=sys.stderr)
        return 2
    command, spec = argv[0], json.loads(argv[1])
    if "path" in spec and spec["path"] not in sys.path:
        sys.path.append(spec["path"])
    if command == "hold":
        return _child_hold(spec)
    if command == "cleaner":
        return _child_cleaner(spec)
    if command == "build":
        _build_dirs(spec)
        return 0
    print(_main.__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
