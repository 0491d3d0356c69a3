"""One definition of how entries sort and when a download counts as stalled.

The CLI's ``--sort`` and the window's column headers both sort through
:func:`sort_entries`, so they cannot disagree.  A value that is unknown (hits
on a filesystem without xattrs, a damaged time, a queue position of an entry
that is not queued) always sorts after every known value, whichever the
direction: unknowns are at the bottom of a table, as in a spreadsheet.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from itertools import islice
from operator import attrgetter
from typing import Any, TypeVar

from inspector.core.model import STATES, Entry, State

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Clock:
    """What time-dependent keys need: now, and the cache's stall time."""

    now: float
    stall_time: float


def stall_at(e: Entry, stall_time: float) -> float | None:
    """When an incomplete download counts as stalled (Glance's clean removes it)."""
    return None if e.modified_ts is None else e.modified_ts + stall_time


def is_stalled(e: Entry, now: float, stall_time: float) -> bool:
    """Whether Glance's clean would remove this incomplete download at ``now``.

    Glance deletes an incomplete file whose mtime is older than
    ``now - stall_time`` (strictly).
    """
    return (
        e.state is State.INCOMPLETE
        and e.modified_ts is not None
        and (e.modified_ts < now - stall_time)
    )


def _state_key(e: Entry, clock: Clock | None) -> tuple[int, int, str]:
    return (STATES.index(e.state), e.position or 0, e.id)


def _age_key(e: Entry, clock: Clock | None) -> float | None:
    # Oldest first when ascending: the larger the age, the later it sorts.
    return None if e.modified_ts is None else -e.modified_ts


def _stall_key(e: Entry, clock: Clock | None) -> float | None:
    return stall_at(e, clock.stall_time if clock else 0.0)


def _error_key(e: Entry, clock: Clock | None) -> str | None:
    return e.error


def _note_key(e: Entry, clock: Clock | None) -> str | None:
    return None if e.note is None else str(e.note)


#: Sort keys by name: each gives a comparable value, or ``None`` for unknown.
KEYS: dict[str, Callable[[Entry, Clock | None], Any]] = {
    "id": lambda e, c: e.id,
    "state": _state_key,
    "size": lambda e, c: e.size,
    "hits": lambda e, c: e.hits,
    "accessed": lambda e, c: e.accessed_ts,
    "modified": lambda e, c: e.modified_ts,
    "position": lambda e, c: e.position,
    "checksum": lambda e, c: e.checksum,
    "age": _age_key,
    "stalled": _stall_key,
    "error": _error_key,
    "note": _note_key,
    "version": lambda e, c: e.version,
    "links": lambda e, c: e.links,
    "locked": lambda e, c: e.locked,
    "name": lambda e, c: e.name,
    "image_status": lambda e, c: e.image_status,
}

#: Other names people type for the same keys.
ALIASES = {"last_accessed": "accessed", "last_modified": "modified"}

#: The keys the CLI offers (the others are the window's columns).
CLI_KEYS = (
    "state",
    "id",
    "size",
    "hits",
    "accessed",
    "modified",
    "position",
    "version",
    "links",
    "locked",
)


_by_id = attrgetter("id")

#: Set by a program whose GUI thread shares the interpreter with the thread that
#: sorts (the window): one C-level sort of 100,000 items holds the GIL for up to
#: 100 ms, and the GUI cannot draw meanwhile.  Sorts then go in chunks.
GENTLE = False
#: Items per chunk of a gentle sort: a few milliseconds of C each.
CHUNK = 8192
_MAIN = threading.main_thread()


#: Set around a gentle sort whose result a newer one may make useless (a table sorted
#: again before the last sort ended): returns True when it is; the sort then stops
#: between chunks (:class:`SortStopped`) instead of holding a core for nothing.
STOP: ContextVar[Callable[[], bool] | None] = ContextVar("STOP", default=None)


class SortStopped(Exception):
    """A gentle sort was told (:data:`STOP`) that its result is no longer wanted."""


def _check(stop: Callable[[], bool] | None) -> None:
    if stop is not None and stop():
        raise SortStopped


def gentle_sorted(items: Iterable[T], key: Callable[[T], Any], reverse: bool = False) -> list[T]:
    """``sorted(items, key=key, reverse=reverse)``, the same list (stable too).

    With :data:`GENTLE`, a long list is sorted in chunks of :data:`CHUNK`
    and merged in Python, which lets other threads run between steps (and
    :data:`STOP` end it); else it is one plain ``sorted``.
    """
    seq = items if isinstance(items, list) else list(items)
    # The GUI thread itself gains nothing from chunks: it is the one waiting.
    if not GENTLE or len(seq) <= 2 * CHUNK or threading.current_thread() is _MAIN:
        return sorted(seq, key=key, reverse=reverse)
    stop = STOP.get()
    chunks = []
    for i in range(0, len(seq), CHUNK):
        _check(stop)
        chunks.append(sorted(seq[i : i + CHUNK], key=key, reverse=reverse))
    # heapq.merge takes equal keys from the earlier chunk first: as stable as sorted().
    merged = heapq.merge(*chunks, key=key, reverse=reverse)
    out: list[T] = []
    while part := list(islice(merged, 8 * CHUNK)):
        _check(stop)
        out.extend(part)
    return out


#: Keys that are one attribute of the entry: sorted by a C-level key when no value
#: is unknown (the usual case), which is several times faster than a key per call.
_ATTRIBUTES = {
    "size": "size",
    "hits": "hits",
    "accessed": "accessed_ts",
    "modified": "modified_ts",
    "position": "position",
    "checksum": "checksum",
    "error": "error",
    "version": "version",
    "links": "links",
    "locked": "locked",
    "name": "name",
    "image_status": "image_status",
}


def _by_state(entries: Sequence[Entry], descending: bool) -> list[Entry]:
    """The ``state`` key, (state, queue position, id), without a tuple per entry.

    Entries are split by state in their order; a state whose entries have no
    queue position sorts by id alone.  Same order as sorting by the tuples.
    """
    groups: dict[State, list[Entry]] = {}
    for e in entries:
        group = groups.get(e.state)
        if group is None:
            group = groups[e.state] = []
        group.append(e)
    out: list[Entry] = []
    for state in sorted(groups, key=STATES.index, reverse=descending):
        group = groups[state]
        if any(e.position for e in group):
            group.sort(key=lambda e: (e.position or 0, e.id), reverse=descending)
        else:
            group.sort(key=_by_id, reverse=descending)
        out.extend(group)
    return out


def sort_entries(
    entries: Sequence[Entry],
    key: str,
    descending: bool = False,
    clock: Clock | None = None,
) -> list[Entry]:
    """``entries`` sorted by ``key``; unknown values last in either direction.

    Stable: entries with equal values keep their order.
    """
    key = ALIASES.get(key, key)
    if key == "id":  # never unknown: one C-level key, no list of values
        return gentle_sorted(entries, key=_by_id, reverse=descending)
    if key == "state":
        return _by_state(entries, descending)
    attribute = _ATTRIBUTES.get(key)
    if attribute is not None:
        get = attrgetter(attribute)
        if not any(v is None for v in map(get, entries)):
            return gentle_sorted(entries, key=get, reverse=descending)
    fn = KEYS[key]
    values = [fn(e, clock) for e in entries]
    known = gentle_sorted(
        [i for i, v in enumerate(values) if v is not None],
        key=values.__getitem__,
        reverse=descending,
    )
    out = [entries[i] for i in known]
    if len(known) != len(entries):
        out.extend(e for e, v in zip(entries, values, strict=True) if v is None)
    return out
