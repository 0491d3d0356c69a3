"""A Filetracker client's local store (filetracker 2.3.3, ``client/local_data_store.py``).

```
<dir>/files/<name>     the stored files; version = int(mtime)
<dir>/locks/tree.lock  guards creating and removing lock files
<dir>/locks/<name>     per-name lock files (flock)
```

Reading lists ``files/`` in one pass (:func:`walk_tree`) and tells, for each
name whose lock file exists, whether a client holds it now (:func:`probe`);
nothing is created and no atime moves.  Deleting follows ``Client.delete_file``
under the client's locks (:mod:`.locks`) except that a name in use is skipped,
never waited for.  Pruning is the cache cleaner's rule (:mod:`.cleaning`).
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Generator, Iterable, Iterator, Sequence
from pathlib import Path

from inspector.core.drivers.base import (
    Action,
    CacheDriver,
    Capabilities,
    IdRule,
    Outcome,
    OutcomeStatus,
    Progress,
    ProgressTicker,
    PruneChoice,
)
from inspector.core.drivers.filetracker import cleaning, locks
from inspector.core.drivers.filetracker.names import (
    TREE_LOCK,
    check_name,
    segments,
    split_name,
)
from inspector.core.drivers.filetracker.removal import DIR_FLAGS as _DIR
from inspector.core.drivers.filetracker.removal import points_to_dir, unlink_version
from inspector.core.drivers.fsops import open_entry_file
from inspector.core.drivers.fsscan import check_directory, gc_paused, walk_tree
from inspector.core.errors import (
    CacheBusyError,
    CacheError,
    CacheUnreadableError,
    NotACacheError,
    reason_of,
)
from inspector.core.model import Entry, Note, Snapshot, State, make_entry
from inspector.core.source import CacheSource

#: What a store has: cached files only; delete and prune; path-like names.
CAPABILITIES = Capabilities(
    states=(State.CACHED,),
    actions=frozenset({Action.DELETE, Action.PRUNE}),
    id_rule=IdRule.PATH,
    has_hits=False,
    prune_rule="newest-kept",
    shared_prune=True,
    columns=("id", "version", "size", "links", "locked", "last_modified", "note"),
)

#: The reason a name is skipped by delete and prune.
IN_USE = "in use by a Filetracker client"


def _what(path: Path) -> str | None:
    try:
        st = path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CacheUnreadableError(f"{path} cannot be read: {reason_of(exc)}.") from None
    if stat.S_ISDIR(st.st_mode):
        return "dir"
    return "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a directory"


def probe_store(path: Path) -> bool:
    """Whether ``path`` is a Filetracker store: ``files/`` and ``locks/``, both directories.

    One of them alone is not a store (``files/`` is a common name).  Both
    there but one a symlink or a file is refused with :class:`NotACacheError`.
    """
    found = {sub: _what(path / sub) for sub in ("files", "locks")}
    if None in found.values():
        return False
    if all(kind == "dir" for kind in found.values()):
        return True
    bad = ", ".join(f"{sub}/ is {kind}" for sub, kind in found.items() if kind != "dir")
    raise NotACacheError(
        f"{path} has files/ and locks/ like a Filetracker store, but {bad}: it is not opened."
    )


class FiletrackerDriver(CacheDriver):
    name = "filetracker"
    title = "Filetracker"
    capabilities = CAPABILITIES
    looks_for = "Filetracker's files/ and locks/ directories"

    def __init__(self, source: CacheSource) -> None:
        super().__init__(source)
        check_directory(self.path)

    @classmethod
    def probe(cls, source: CacheSource) -> bool:
        return source.path is not None and probe_store(source.path)

    @property
    def files_dir(self) -> Path:
        return self.path / "files"

    @property
    def locks_dir(self) -> Path:
        return self.path / "locks"

    def watch_paths(self) -> list[Path]:
        return [self.path, self.files_dir, self.locks_dir]

    def writable(self) -> tuple[bool, str]:
        for d in (self.files_dir, self.locks_dir):
            if not os.access(d, os.W_OK | os.X_OK):
                return False, f"{d} cannot be written by this user"
        return True, ""

    def check_id(self, entry_id: str) -> str:
        return check_name(entry_id)

    def split_id(self, entry_id: str) -> tuple[str, int | None]:
        return split_name(check_name(entry_id))

    # -- trusting the store: verify ---------------------------------------------

    def entry_path(self, entry: Entry) -> Path:
        name, _version = self.split_id(entry.id)
        return self.files_dir / name.lstrip("/")

    @contextlib.contextmanager
    def open_entry(self, entry: Entry) -> Iterator[tuple[int, bool]]:
        """The file, read under its name's lock held shared, as the client reads it."""
        name, _version = self.split_id(entry.id)
        try:
            with locks.shared(self.locks_dir, name):
                fd, noatime = open_entry_file(self.entry_path(entry))
                try:
                    yield fd, noatime
                finally:
                    os.close(fd)
        except BlockingIOError:
            raise CacheBusyError(f"{name} is {IN_USE}: not read now.") from None

    # -- reading --------------------------------------------------------------

    def scan(self, progress: Progress | None = None) -> Snapshot:
        """Every file under ``files/`` as an entry, with whether a client holds its lock."""
        self.warnings = []
        ticker = ProgressTicker(progress)
        entries: list[Entry] = []
        ticker.showing(entries)  # a window may show the first rows of a big store meanwhile
        skipped = {"dir links": 0, "foreign": 0, "other": 0}
        try:
            root_dev = os.lstat(self.files_dir).st_dev
            locks_fd = os.open(self.locks_dir, _DIR)
        except OSError as exc:
            raise CacheUnreadableError(f"{self.path} cannot be read: {reason_of(exc)}.") from None
        try:
            with gc_paused():
                for d in walk_tree(self.files_dir, ticker=ticker, warn=self.warnings.append):
                    if d.files:
                        self._read_dir(d.rel, d.fd, d.files, locks_fd, root_dev, entries, skipped)
        except OSError as exc:
            raise CacheUnreadableError(
                f"{self.files_dir} cannot be read: {reason_of(exc)}."
            ) from None
        finally:
            os.close(locks_fd)
        self._tell_skipped(skipped)
        ticker.report()
        return Snapshot(
            path=self.path, driver=self.name, entries=entries, warnings=tuple(self.warnings)
        )

    def _read_dir(
        self,
        rel: str,
        dir_fd: int,
        files: list[tuple[str, os.stat_result]],
        locks_fd: int,
        root_dev: int,
        out: list[Entry],
        skipped: dict[str, int],
    ) -> None:
        """The entries of one directory of ``files/`` (the scan's hot loop)."""
        if "@" in rel:  # the client refuses such names: it never wrote these
            skipped["foreign"] += len(files)
            return
        prefix = f"/{rel}/" if rel else "/"
        lock_fd: int | None = None
        try:
            lock_fd = locks.open_lock_dir(locks_fd, rel)
            lock_names = set(os.listdir(lock_fd)) if lock_fd is not None else set()
            known = True
        except OSError:  # locks/<rel> cannot be read by this user: unknown, not "free"
            lock_names, known = set(), False
        lock_dir = lock_fd if lock_fd is not None else -1
        try:
            append = out.append
            make, cached, probe = make_entry, State.CACHED, locks.probe
            is_reg, is_lnk = stat.S_ISREG, stat.S_ISLNK
            for name, st in files:
                note = None
                mode = st.st_mode
                if not is_reg(mode):
                    if not is_lnk(mode):
                        skipped["other"] += 1
                        continue
                    if points_to_dir(dir_fd, name):
                        skipped["dir links"] += 1
                        continue
                    note = Note.SYMLINK
                if "@" in name:
                    skipped["foreign"] += 1
                    continue
                locked: bool | None = None
                if known:
                    locked = probe(lock_dir, name) if name in lock_names else False
                mtime = st.st_mtime
                links = st.st_nlink
                inode = st.st_ino if links > 1 and st.st_dev == root_dev else None
                append(
                    make(
                        prefix + name,
                        cached,
                        st.st_size,
                        None,
                        None,
                        mtime,
                        None,
                        None,
                        None,
                        note,
                        (),
                        int(mtime),
                        locked,
                        links,
                        inode,
                    )
                )
        finally:
            if lock_fd is not None:
                os.close(lock_fd)

    def _tell_skipped(self, skipped: dict[str, int]) -> None:
        if skipped["dir links"]:
            self.warnings.append(
                f"{skipped['dir links']:,} symbolic links to directories in {self.files_dir} "
                "are not followed and not shown (the client does not list them either)."
            )
        if skipped["foreign"]:
            self.warnings.append(
                f"{skipped['foreign']:,} files in {self.files_dir} have an '@' in their path: "
                "no Filetracker client writes such names; they are not shown or changed."
            )
        if skipped["other"]:
            self.warnings.append(
                f"{skipped['other']:,} entries in {self.files_dir} are neither files, "
                "directories nor symbolic links (FIFOs, sockets, devices): not shown."
            )

    def eviction_order(self, entries: Sequence[Entry]) -> list[Entry]:
        """The cleaner's order of deletion: oldest first (ties: larger first)."""
        order = cleaning.newest_first(entries)
        order.reverse()
        return order

    def prune_victims(
        self, entries: Sequence[Entry], max_size: int, cleaning_level: float | None = None
    ) -> PruneChoice:
        """Exactly the files ``filetracker-cache-cleaner -s max_size -p level`` deletes."""
        percent = cleaning_level
        if percent is None:
            percent = self.options.cleaning_level
        if percent is None:
            percent = cleaning.DEFAULT_CLEANING_LEVEL
        return PruneChoice(
            cleaning.victims(entries, max_size, percent),
            cleaning.cleaning_level(max_size, percent),
        )

    # -- changing the store ---------------------------------------------------

    def delete_entries(self, entries: Iterable[Entry]) -> Generator[Outcome, None, None]:
        """``Client.delete_file(name@version)`` for each entry, never waiting for a client.

        Under the tree lock the name's lock file is opened (made if missing);
        ``LOCK_EX`` is tried without waiting: a name in use is skipped (failed,
        "in use by a Filetracker client").  Holding it, the file is unlinked
        if it still holds the version read (another version is left alone),
        the directories left empty are removed up to ``files/``, and then,
        under the tree lock, the lock file and its empty directories.
        """
        try:
            store_locks = locks.StoreLocks(self.locks_dir)
        except OSError as exc:
            raise CacheUnreadableError(
                f"{self.locks_dir} cannot be used for the client's locks: {reason_of(exc)}."
            ) from None
        with store_locks:
            try:
                files_fd = os.open(self.files_dir, _DIR)
            except OSError as exc:
                raise CacheUnreadableError(
                    f"{self.files_dir} cannot be opened: {reason_of(exc)}."
                ) from None
            try:
                for entry in entries:
                    yield self._delete(store_locks, files_fd, entry)
            finally:
                os.close(files_fd)

    def _delete(self, store_locks: locks.StoreLocks, files_fd: int, entry: Entry) -> Outcome:
        try:
            name, _ = split_name(check_name(entry.id))
        except CacheError as exc:
            return Outcome(entry, OutcomeStatus.FAILED, reason=str(exc))
        parts = segments(name)
        if parts == [TREE_LOCK]:
            return Outcome(
                entry,
                OutcomeStatus.FAILED,
                reason=f"its lock file would be the store's locks/{TREE_LOCK}: "
                "the client cannot delete it safely either",
            )
        try:
            lock = store_locks.open_name(parts)
        except OSError as exc:
            why = f"its lock file cannot be made: {reason_of(exc)}"
            return Outcome(entry, OutcomeStatus.FAILED, reason=why)
        try:
            if not lock.try_exclusive():
                return Outcome(entry, OutcomeStatus.FAILED, reason=IN_USE)
            outcome = unlink_version(files_fd, parts, entry)
            if outcome.status is OutcomeStatus.DELETED or outcome.reason is None:
                store_locks.remove_name(lock)  # after the unlink (or the file gone), as the client
            return outcome
        finally:
            lock.close()
