"""What a cache kind declares and what its driver reports, as plain values.

:class:`Capabilities` (states, actions, id rule, default limits), the
outcomes of a change, a prune's choice, a service's own result, and the
progress ticker of a scan.  :mod:`inspector.core.drivers.base` names them
all beside :class:`~inspector.core.drivers.base.CacheDriver`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from inspector.core.model import Entry, State

#: Where an expected digest comes from: an id -> ``(algorithm, hex digest)``, or
#: ``None`` when the source knows nothing of that id (see :mod:`inspector.core.verify`).
DigestSource = Callable[[str], tuple[str, str] | None]

#: Called now and then during a scan with the number of entries seen so far.
#: Returning ``False`` cancels the scan (it raises :class:`ScanCancelled`).
Progress = Callable[[int], bool | None]


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
