"""The one interface every cache kind implements, and what each kind declares it has.

A driver reads one cache (opened from a :class:`CacheSource`) into frozen
:class:`Entry` values and changes it entry by entry the way its service
does.  What it has (its states, which actions it supports, what an id looks
like, its default limits) it declares as :class:`Capabilities`; the CLI and
the window build their tabs, menus, id checks and defaults from them, so a
new kind is a driver module and a line in the registry.
"""

from __future__ import annotations

import enum
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, NamedTuple

from inspector.core.drivers.fsops import open_entry_file
from inspector.core.errors import ActionNotSupportedError, ScanCancelled
from inspector.core.model import Entry, Note, Snapshot, State
from inspector.core.problems import Problem
from inspector.core.source import CacheOptions, CacheSource

#: Where an expected digest comes from: an id -> ``(algorithm, hex digest)``, or
#: ``None`` when the source knows nothing of that id (see :mod:`inspector.core.verify`).
DigestSource = Callable[[str], tuple[str, str] | None]

#: Called now and then during a scan with the number of entries seen so far.
#: Returning ``False`` cancels the scan (it raises :class:`ScanCancelled`).
Progress = Callable[[int], bool | None]

PROGRESS_EVERY = 2000


class Action(enum.StrEnum):
    """What can be done to a cache's entries."""

    DELETE = "delete"
    REQUEUE = "requeue"
    QUEUE = "queue"
    PRUNE = "prune"
    CLEAN = "clean"
    #: Make metadata and files agree (audit --repair): needs write_metadata for adopting.
    REPAIR = "repair"
    #: Restore hits and times from a metadata record: needs write_metadata.
    IMPORT = "import"


class IdRule(enum.StrEnum):
    """What an entry's id looks like."""

    #: One file name (Glance's image ids): no ``/``.
    NAME = "name"
    #: An absolute, slash-separated name (a Filetracker name: ``/a/b.in``).
    PATH = "path"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a kind of cache has; everything outside the driver asks this.

    ``default_max_size`` and ``default_stall_time`` are the service's own
    defaults (``None``: the kind has no such limit).  ``has_hits`` says
    whether the kind counts hits at all.  ``prune_rule`` names how the
    service chooses what to evict, for the words the user sees (``lru``:
    least recently accessed first; ``newest-kept``: Filetracker's cleaner).
    ``shared_prune``: one prune may span several caches of the kind with one
    limit over their sum (Filetracker's cleaner takes many stores).
    ``columns`` are the :class:`Entry` fields the kind fills, in the order
    tables show them.
    """

    states: tuple[State, ...]
    actions: frozenset[Action]
    id_rule: IdRule = IdRule.NAME
    has_hits: bool = True
    default_max_size: int | None = None
    default_stall_time: float | None = None
    prune_rule: str = "lru"
    #: Whether the cache is a directory on this machine.  ``False`` for a cache
    #: reached over the network (a node's cache API): there is no directory to
    #: watch, to check for write access or to look at before and after.
    local: bool = True
    #: Actions the service carries out on the whole cache by itself, in one
    #: request (a node's own prune and clean; for ``delete``, emptying a whole
    #: state at once): the inspector can only estimate them from its listing
    #: beforehand, and reports what the service says it did.
    by_service: frozenset[Action] = frozenset()
    shared_prune: bool = False
    columns: tuple[str, ...] = (
        "state",
        "id",
        "size",
        "hits",
        "last_accessed",
        "last_modified",
        "checksum",
        "error",
        "position",
        "note",
    )

    def can(self, action: Action) -> bool:
        return action in self.actions


class OutcomeStatus(enum.StrEnum):
    DELETED = "deleted"
    GONE = "gone"  # vanished before we got to it: counts as done
    FAILED = "failed"
    UPDATED = "updated"  # its metadata was written (write_metadata)


@dataclass(frozen=True, slots=True)
class MetadataUpdate:
    """Metadata to write for one entry whose file is there (repair, import).

    ``None`` leaves a value as it is.  Times are unix nanoseconds.  ``size``
    corrects a recorded size (kinds that keep one apart from the file).
    ``create`` allows making the entry's record where there is none, as the
    service makes it when it commits a download (a row, ``user.hits``);
    without it an entry with no record is left alone (reported as gone).
    """

    entry: Entry
    hits: int | None = None
    accessed_ns: int | None = None
    modified_ns: int | None = None
    size: int | None = None
    create: bool = False


class Outcome(NamedTuple):
    """What happened to one entry of a job."""

    entry: Entry
    status: OutcomeStatus
    freed: int = 0
    reason: str | None = None
    #: Which cache the entry is in, when a job spans several (its display name).
    source: str | None = None


class PruneChoice(NamedTuple):
    """What a prune evicts, first victim first, by the service's own rule."""

    victims: list[Entry]
    #: The size the kept entries stay below, for rules that keep a share of the
    #: limit (Filetracker's cleaning level); ``None`` when the rule has none.
    keep_below: float | None = None


@dataclass(frozen=True, slots=True)
class ServiceResult:
    """What a service said it did when it carried out an action by itself.

    ``count`` and ``freed`` are ``None`` when the service does not say.
    """

    count: int | None
    freed: int | None
    remark: str


class CacheDriver(ABC):
    """A cache of one kind, opened from one source.

    Drivers take their location and settings as arguments and return frozen
    dataclasses.  Opening and scanning only read: no file, directory or table
    is created, and no atime is changed.
    """

    #: Short machine name, as given to ``--driver``.
    name: ClassVar[str]
    #: What the user sees as the cache's kind.
    title: ClassVar[str]
    #: What the kind has and can do.
    capabilities: ClassVar[Capabilities]
    #: What detection looks for on disk, for the message when nothing matches.
    looks_for: ClassVar[str] = ""

    def __init__(self, source: CacheSource) -> None:
        self.source = source
        self.warnings: list[str] = []

    @property
    def path(self) -> Path:
        """The cache directory (only kinds whose capabilities say ``local`` have one)."""
        if self.source.path is None:
            raise ActionNotSupportedError(
                f"{self.source.display_name()} has no cache directory on this machine."
            )
        return self.source.path

    @property
    def options(self) -> CacheOptions:
        return self.source.options

    @property
    def states(self) -> tuple[State, ...]:
        return self.capabilities.states

    # -- recognising ----------------------------------------------------------

    @classmethod
    @abstractmethod
    def probe(cls, source: CacheSource) -> bool:
        """Whether ``source`` is a cache of this kind, decided from what is there.

        Raises :class:`NotACacheError` when it is plainly of this kind's
        family but must not be opened (the message says what it probably is).
        """

    # -- reading --------------------------------------------------------------

    @abstractmethod
    def scan(self, progress: Progress | None = None) -> Snapshot:
        """Read every entry with its metadata."""

    def watch_paths(self) -> list[Path]:
        """What a file watcher should follow to see the service change the cache.

        Nothing for a cache that is not local: it is read again on request.
        """
        return [self.path] if self.capabilities.local else []

    def writable(self) -> tuple[bool, str]:
        """Whether changes can be made here, and why not when they cannot.

        A cache that is not local answers for itself when asked to change
        (its driver overrides this when it knows better beforehand).
        """
        if not self.capabilities.local:
            return True, ""
        if os.access(self.path, os.W_OK):
            return True, ""
        return False, f"{self.path} cannot be written by this user"

    def check_id(self, entry_id: str) -> str:
        """``entry_id`` if it can name an entry here, else :class:`InvalidImageIdError`."""
        return entry_id

    def split_id(self, entry_id: str) -> tuple[str, int | None]:
        """An id as the user typed it: the entry's id, and the version asked for (if any).

        Only kinds whose entries have versions (``name@version``) have one.
        """
        return entry_id, None

    # -- changing the cache ---------------------------------------------------
    # Each change leaves files and metadata as consistent as the owning service
    # leaves them itself, so that it can keep running while they happen.

    @abstractmethod
    def eviction_order(self, entries: Sequence[Entry]) -> list[Entry]:
        """The entries the service's pruner would evict, first victim first."""

    def prune_victims(
        self, entries: Sequence[Entry], max_size: int, cleaning_level: float | None = None
    ) -> PruneChoice:
        """What the service's pruner would evict to honour ``max_size``.

        The default is Glance's: while the cached bytes are over ``max_size``,
        evict in :meth:`prune_order`.  A kind with another rule (Filetracker's
        cleaner) overrides this; ``cleaning_level`` (a percentage) means
        something only to such a rule.
        """
        total = sum(
            e.size
            for e in entries
            if e.state is State.CACHED and e.note is not Note.ROW_WITHOUT_FILE
        )
        victims: list[Entry] = []
        if total >= max_size:
            remaining = total
            for e in self.prune_order(entries, max_size):
                if remaining <= max_size:
                    break
                victims.append(e)
                if e.note is not Note.ROW_WITHOUT_FILE:
                    remaining -= e.size
        return PruneChoice(victims)

    def prune_order(self, entries: Sequence[Entry], max_size: int) -> list[Entry]:
        """The order a prune down to ``max_size`` evicts in, exact up to where it stops.

        For most kinds this is :meth:`eviction_order`, whatever the target.  A
        kind whose service asks its database for the next victim after every
        eviction (Glance's centralized_db) settles the ties at the cut the way
        that service would.
        """
        return self.eviction_order(entries)

    @abstractmethod
    def delete_entries(self, entries: Iterable[Entry]) -> Generator[Outcome, None, None]:
        """Delete entries (file and metadata together), yielding one outcome each.

        The caller may stop iterating between entries (cancel): what was
        yielded is done, nothing else is.  An entry that vanished meanwhile is
        reported as gone, not as a failure.
        """

    def queue_image(self, image_id: str) -> None:
        """Queue ``image_id`` for the prefetcher, by the service's rules.

        Raises :class:`InvalidImageIdError` or :class:`QueueRefusedError`.
        Only kinds with :attr:`Action.QUEUE` have it.
        """
        raise ActionNotSupportedError(f"A {self.title} cache has no queue.")

    def reserve_queue(self, image_id: str) -> bool:
        """Queue ``image_id`` ahead of removing its entry (requeue).

        Returns whether a queue entry was made (``False``: it was queued
        already), so that :meth:`release_queue` can undo it.
        """
        raise ActionNotSupportedError(f"A {self.title} cache has no queue.")

    def release_queue(self, image_id: str) -> None:
        """Undo :meth:`reserve_queue` when the entry could not be removed."""
        raise ActionNotSupportedError(f"A {self.title} cache has no queue.")

    def nodes(self) -> list[str]:
        """The nodes whose caches share this metadata (only centralized kinds have many)."""
        return []

    # -- trusting the cache: audit, verify, records ---------------------------
    # What only a kind knows; inspector.core.audit/repair/verify/metadata_records
    # do the rest, for every kind.  A new kind:
    # - entry_path (or open_entry, if its readers lock): verify, and the audit's
    #   symlink check of files without rows;
    # - write_metadata, and Action.REPAIR / Action.IMPORT in its capabilities:
    #   adopting files and correcting sizes (audit --repair), import;
    # - optionally is_entry_id (not-an-image), metadata_problems (what its
    #   metadata records beyond the entries, e.g. a size), health_warnings,
    #   digest_source (expected digests it knows), record_extras (export).
    # Rows without files and files without rows come from the scan's notes.

    def entry_path(self, entry: Entry) -> Path:
        """Where the entry's bytes are (the audit lstat()s it; nothing follows it)."""
        raise ActionNotSupportedError(f"{self.title} keeps no files here to read.")

    @contextmanager
    def open_entry(self, entry: Entry) -> Iterator[tuple[int, bool]]:
        """The entry's file opened for reading: ``(fd, read without moving its atime)``.

        Opened with ``O_NOATIME`` where the kernel allows it (else the
        ordinary way: the flag says so), never through a symlink.  A kind whose
        readers take a lock (Filetracker's ``LOCK_SH``) overrides this.
        """
        fd, noatime = open_entry_file(self.entry_path(entry))
        try:
            yield fd, noatime
        finally:
            os.close(fd)

    def is_entry_id(self, name: str) -> bool:
        """Whether ``name`` can be an entry of this kind (else the audit says not-an-image)."""
        try:
            self.check_id(name)
        except ValueError:
            return False
        return True

    def metadata_problems(self, snapshot: Snapshot) -> list[Problem]:
        """Disagreements only this kind can see (a recorded size, a missing attribute).

        The audit finds the rest from the snapshot's entries: rows without
        files and files without rows (their notes), empty files, ids in two
        states, names that are no id, symlinks.
        """
        return []

    def health_warnings(self) -> list[str]:
        """Warnings about the cache as a whole (its mount, its filesystem)."""
        return []

    def write_metadata(self, updates: Sequence[MetadataUpdate]) -> Generator[Outcome, None, None]:
        """Write each update the way the service writes it, yielding one outcome each.

        Used by repair (adopt a file, correct a size) and import (hits and
        times).  An entry whose file is gone is reported as gone; one without
        a record and without ``create`` too.  The caller may stop between
        entries; what was yielded is done.
        """
        raise ActionNotSupportedError(f"A {self.title} cache's metadata cannot be written.")
        yield  # pragma: no cover - makes this a generator

    def digest_source(self) -> DigestSource | None:
        """Expected digests the kind itself knows besides its entries' checksums.

        (Glance's image records, for a kind opened with its database.)
        """
        return None

    def record_extras(self, entry: Entry) -> Mapping[str, str | int | None]:
        """Fields of this kind added to the entry's metadata record (export)."""
        return {}

    def run_by_service(self, action: Action, state: State | None = None) -> ServiceResult:
        """Have the service carry out ``action`` on the whole cache by itself.

        ``state`` is the state a ``delete`` empties (``None``: every state).
        Only kinds listing ``action`` in :attr:`Capabilities.by_service` have it.
        """
        raise ActionNotSupportedError(f"A {self.title} cache does not {action} by itself.")

    def service_remark(self, action: Action) -> str | None:
        """What a preview of ``action`` cannot know, when the service carries it out."""
        return None

    def close(self) -> None:
        """Release what the driver holds open (a network connection); it may be used again."""
        return None


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
