"""The one interface every cache kind implements, and what each kind declares it has.

A driver reads one cache (opened from a :class:`CacheSource`) into frozen
:class:`Entry` values and changes it entry by entry the way its service
does.  What it has (its states, which actions it supports, what an id looks
like, its default limits) it declares as :class:`Capabilities`; the CLI and
the window build their tabs, menus, id checks and defaults from them, so a
new kind is a driver module and a line in the registry.
"""

from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import ClassVar

from inspector.core.drivers.fsops import open_entry_file
from inspector.core.drivers.kinds import Action as Action
from inspector.core.drivers.kinds import Capabilities as Capabilities
from inspector.core.drivers.kinds import DigestSource as DigestSource
from inspector.core.drivers.kinds import IdRule as IdRule
from inspector.core.drivers.kinds import MetadataUpdate as MetadataUpdate
from inspector.core.drivers.kinds import Outcome as Outcome
from inspector.core.drivers.kinds import OutcomeStatus as OutcomeStatus
from inspector.core.drivers.kinds import Progress as Progress
from inspector.core.drivers.kinds import PruneChoice as PruneChoice
from inspector.core.drivers.kinds import ServiceResult as ServiceResult
from inspector.core.errors import ActionNotSupportedError, ScanCancelled
from inspector.core.model import Entry, Note, Snapshot, State
from inspector.core.problems import Problem
from inspector.core.source import CacheOptions, CacheSource


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


#: Entries between two progress reports of a scan (tests make it small).
PROGRESS_EVERY = 2000


#: Set by a program that shows a long first reading as it comes (the window), around
#: that reading: called once, :data:`PEEK_AFTER_S` into a scan that registered its
#: growing list of entries (:meth:`ProgressTicker.showing`), with that list (which the
#: scan goes on filling: copy it).  A context variable: only the thread that set it.
PEEK: ContextVar[Callable[[list[Entry]], None] | None] = ContextVar("PEEK", default=None)
PEEK_AFTER_S = 0.5

#: Set around a reading that follows another of the same source (the window's
#: refresh), to that reading's snapshot: a scan hands on an entry of it where every
#: field the scan reads is unchanged (:func:`previous_cached`), so that the two
#: readings share it instead of holding two equal copies.  A context variable.
PREVIOUS: ContextVar[Snapshot | None] = ContextVar("PREVIOUS", default=None)


def previous_cached(driver: str) -> dict[str, Entry]:
    """The cached entries of :data:`PREVIOUS` by id, where a scan by ``driver`` may reuse them.

    Only a snapshot read by the same driver and without Glance's image records
    qualifies (its cached entries then carry nothing but what the scan reads),
    and only entries without damaged fields.
    """
    before = PREVIOUS.get()
    if before is None or before.driver != driver or before.image_records:
        return {}
    cached = State.CACHED
    return {e.id: e for e in before.entries if e.state is cached and not e.bad_fields}


def kept(
    old: Entry,
    size: int,
    hits: int | None,
    accessed: float | None,
    modified: float | None,
    checksum: str | None,
    note: Note | None,
) -> Entry | None:
    """``old`` (of :func:`previous_cached`) when an entry read now would equal it, else None."""
    if (
        old.size == size
        and old.hits == hits
        and old.accessed_ts == accessed
        and old.modified_ts == modified
        and old.checksum == checksum
        and old.note is note
    ):
        return old
    return None


class ProgressTicker:
    """Calls a :data:`Progress` callback every few thousand entries (and :data:`PEEK` once)."""

    __slots__ = ("_callback", "_peek", "_peek_at", "_rows", "count")

    def __init__(self, callback: Progress | None) -> None:
        self._callback = callback
        self.count = 0
        self._peek = PEEK.get()
        self._peek_at = time.monotonic() + PEEK_AFTER_S
        self._rows: list[Entry] | None = None

    def showing(self, rows: list[Entry]) -> None:
        """The list the scan fills: what :data:`PEEK` gets to see, if it is set."""
        self._rows = rows

    def tick(self) -> None:
        self.advance(1)

    def advance(self, n: int) -> None:
        before = self.count
        self.count += n
        if before // PROGRESS_EVERY != self.count // PROGRESS_EVERY:
            if self._callback is not None:
                self.report()
            if self._peek is not None and self._rows and time.monotonic() >= self._peek_at:
                peek, self._peek = self._peek, None
                peek(self._rows)

    def report(self) -> None:
        if self._callback is not None and self._callback(self.count) is False:
            raise ScanCancelled("The scan was cancelled.")
