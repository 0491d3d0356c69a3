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
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, NamedTuple

from inspector.core.errors import ActionNotSupportedError, ScanCancelled
from inspector.core.model import Entry, Snapshot, State
from inspector.core.source import CacheOptions, CacheSource

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
    """

    states: tuple[State, ...]
    actions: frozenset[Action]
    id_rule: IdRule = IdRule.NAME
    has_hits: bool = True
    default_max_size: int | None = None
    default_stall_time: float | None = None
    prune_rule: str = "lru"

    def can(self, action: Action) -> bool:
        return action in self.actions


class OutcomeStatus(enum.StrEnum):
    DELETED = "deleted"
    GONE = "gone"  # vanished before we got to it: counts as done
    FAILED = "failed"


class Outcome(NamedTuple):
    """What happened to one entry of a job."""

    entry: Entry
    status: OutcomeStatus
    freed: int = 0
    reason: str | None = None


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
        """The cache directory (every kind so far keeps its entries in one)."""
        assert self.source.path is not None
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
        """What a file watcher should follow to see the service change the cache."""
        return [self.path]

    def writable(self) -> tuple[bool, str]:
        """Whether changes can be made here, and why not when they cannot."""
        if os.access(self.path, os.W_OK):
            return True, ""
        return False, f"{self.path} cannot be written by this user"

    def check_id(self, entry_id: str) -> str:
        """``entry_id`` if it can name an entry here, else :class:`InvalidImageIdError`."""
        return entry_id

    # -- changing the cache ---------------------------------------------------
    # Each change leaves files and metadata as consistent as the owning service
    # leaves them itself, so that it can keep running while they happen.

    @abstractmethod
    def eviction_order(self, entries: Sequence[Entry]) -> list[Entry]:
        """The entries the service's pruner would evict, first victim first."""

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
