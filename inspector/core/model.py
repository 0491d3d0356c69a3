"""The cache entry model: frozen dataclasses shared by every driver."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


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
    BAD_VALUE = "metadata value the service never writes"


#: Display and report order of the states.
STATES: tuple[State, ...] = (State.CACHED, State.QUEUED, State.INCOMPLETE, State.INVALID)


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of a cache.

    ``hits`` is ``None`` when the cache cannot know it (no metadata, a
    filesystem without extended attributes), never a made-up zero.  Times are
    aware UTC datetimes.  ``position`` is the place of a queued entry in the
    prefetch queue, counted from 1 (the next one fetched).  ``note`` flags an
    inconsistency worth a look (a metadata row whose file is missing, a file
    without a row, a symlink, a damaged value); ``bad_fields`` names the
    fields whose stored value was damaged (they read as unknown, ``None``).

    Kinds with versioned, lockable, hard-linkable files (a Filetracker store)
    also fill ``version`` (the file's integer mtime), ``locked`` (a client
    holds the name's lock now; ``None``: cannot be known), ``links`` (the
    file's hard-link count) and ``inode`` (the file's inode number, kept only
    when it has other links, so that bytes freed count each file once).
    Other kinds leave them ``None``.

    ``name`` and ``image_status`` are Glance's record of the image, where
    Glance's database is known: its name, and its status (``"deleted"`` for
    an image deleted in Glance; both ``None`` when there is no record).
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
    bad_fields: tuple[str, ...] = ()
    version: int | None = None
    locked: bool | None = None
    links: int | None = None
    inode: int | None = None
    name: str | None = None
    image_status: str | None = None

    @property
    def image_deleted(self) -> bool:
        """Whether Glance's record says the image was deleted."""
        return self.image_status == "deleted"

    @property
    def last_accessed(self) -> datetime | None:
        return None if self.accessed_ts is None else utc_from_timestamp(self.accessed_ts)

    @property
    def last_modified(self) -> datetime | None:
        return None if self.modified_ts is None else utc_from_timestamp(self.modified_ts)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one scan of a cache found.

    ``path`` is the cache directory, ``None`` for a cache that is not on this
    machine (a node read through its cache API).
    """

    path: Path | None
    driver: str
    entries: Sequence[Entry]
    scanned_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    warnings: tuple[str, ...] = ()
    #: Whether the entries carry Glance's image records (name, image_status).
    image_records: bool = False
    #: The node whose entries these are, where many share one database (its URL).
    node: str | None = None

    def of_state(self, state: State) -> list[Entry]:
        return [e for e in self.entries if e.state is state]


def note_text(e: Entry) -> str | None:
    """The entry's note as the CLI and the records say it, naming the damaged fields.

    A row without its file may be damaged too: both are said.
    """
    if e.note is None:
        return None
    if not e.bad_fields:
        return str(e.note)
    fields = ", ".join(e.bad_fields)
    if e.note is Note.BAD_VALUE:
        return f"{e.note}: {fields}"
    return f"{e.note}; {Note.BAD_VALUE}: {fields}"


def utc_from_timestamp(value: float) -> datetime:
    """An aware UTC datetime from unix seconds."""
    return datetime.fromtimestamp(value, UTC)


def _fast_constructor(cls: type[Entry]) -> Callable[..., Entry]:
    """A constructor for the scan loops, equal to ``cls(...)`` and four times as fast.

    A frozen dataclass's ``__init__`` goes through ``object.__setattr__`` for
    every field (about 3 µs an entry here, a fifth of a 100,000-entry scan).
    This one fills an instance of a twin class with the very same slots but no
    frozen ``__setattr__`` (plain slot stores, which the interpreter makes
    cheap), then gives it the real class: CPython allows assigning
    ``__class__`` between classes of identical layout, and the object is then
    an ordinary frozen ``Entry``.  The code is generated from the dataclass's
    own fields and defaults, as ``dataclasses`` itself does, and
    ``tests/core/test_model.py`` holds it equal to the real constructor.
    """
    slots = tuple(getattr(cls, "__slots__", ()))
    names = [f.name for f in fields(cls)]
    if sorted(slots) != sorted(names):  # only a slots dataclass can be built this way
        raise TypeError(f"{cls.__name__} must be a dataclass with slots=True")
    twin = type(f"_Mutable{cls.__name__}", (), {"__slots__": slots})
    params, body = [], []
    namespace: dict[str, Any] = {"_new": object.__new__, "_twin": twin, "_cls": cls}
    for f in fields(cls):
        namespace[f"_default_{f.name}"] = f.default
        default = "" if f.default is MISSING else f"=_default_{f.name}"
        params.append(f"{f.name}{default}")
        body.append(f"    o.{f.name} = {f.name}")
    source = f"def make({', '.join(params)}):\n    o = _new(_twin)\n" + "\n".join(body)
    exec(source + "\n    o.__class__ = _cls\n    return o\n", namespace)
    make: Callable[..., Entry] = namespace["make"]
    return make


#: ``make_entry(...)`` builds the same frozen ``Entry`` as ``Entry(...)``, faster.
make_entry = _fast_constructor(Entry)
