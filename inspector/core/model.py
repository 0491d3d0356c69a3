"""The cache entry model: frozen dataclasses shared by every driver."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


class State(enum.StrEnum):
    """Where an entry is in its life cycle, as the owning service sees it."""

    CACHED = "cached"
    QUEUED = "queued"
    INCOMPLETE = "incomplete"
    INVALID = "invalid"


class Note(enum.StrEnum):
    """Something about an entry worth a look."""

    ROW_WITHOUT_FILE = "metadata row without a file"
    FILE_WITHOUT_ROW = "file without a metadata row"
    SYMLINK = "symbolic link"


#: Display and report order of the states.
STATES: tuple[State, ...] = (State.CACHED, State.QUEUED, State.INCOMPLETE, State.INVALID)


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of a cache.

    ``hits`` is ``None`` when the cache cannot know it (no metadata, a
    filesystem without extended attributes), never a made-up zero.  Times are
    aware UTC datetimes.  ``position`` is the 0-based place of a queued entry
    in the prefetch queue.  ``note`` flags an inconsistency worth a look (a
    metadata row whose file is missing, a file without a row, a symlink).
    """

    id: str
    state: State
    size: int
    hits: int | None = None
    #: Last access and last modification as unix seconds (what sorting and
    #: pruning compare); :attr:`last_accessed` and :attr:`last_modified` give
    #: them as aware UTC datetimes.
    accessed_ts: float | None = None
    modified_ts: float | None = None
    checksum: str | None = None
    error: str | None = None
    position: int | None = None
    note: Note | None = None

    @property
    def last_accessed(self) -> datetime | None:
        return None if self.accessed_ts is None else utc_from_timestamp(self.accessed_ts)

    @property
    def last_modified(self) -> datetime | None:
        return None if self.modified_ts is None else utc_from_timestamp(self.modified_ts)

    @property
    def key(self) -> tuple[State, str]:
        """Identity of the entry inside one cache (an id can be in two states)."""
        return (self.state, self.id)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one scan of a cache found."""

    path: Path
    driver: str
    entries: Sequence[Entry]
    scanned_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    warnings: tuple[str, ...] = ()

    def of_state(self, state: State) -> list[Entry]:
        return [e for e in self.entries if e.state is state]


def utc_from_timestamp(value: float) -> datetime:
    """An aware UTC datetime from unix seconds."""
    return datetime.fromtimestamp(value, UTC)
