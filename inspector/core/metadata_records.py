"""Versioned metadata records: a cache's metadata saved, restored into any kind, compared.

The shape is that of Cinder's backup metadata API (``cinder/backup/driver.py``,
``BackupMetadataAPI``): a container (one JSON object) with a top-level integer
``version`` and one section per type tag; one saver and one restorer per
section; and per version a table saying, for each section, which of its
fields are restored.  A record of a version this program does not know (a
newer one), or a malformed or truncated one, is refused with a clear message
before anything is changed.

Sections of version 1:

``cache-settings``
    the source (display name: never a password), its kind, path and node, the
    service's settings in force (sqlite_db, max size, stall time), when and by
    what it was exported.  Restored: nothing (a record never changes how a
    cache is configured).
``cache-entries``
    every entry: id, state, size, hits, last accessed/modified (ISO 8601 and
    exact nanoseconds), checksum, error, queue position, node, and the
    kind's own fields (:meth:`CacheDriver.record_extras`).  Restored: ``hits``,
    ``last_accessed_ns`` and ``last_modified_ns`` of cached entries whose file
    is in the target cache, through :meth:`CacheDriver.write_metadata` (a
    sqlite row, an xattr file's ``user.hits`` and ``utime``, a central
    database row), so that a cache moved between kinds or rebuilt keeps the
    hits and LRU order that decide what gets evicted.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from inspector import version
from inspector.core import actions
from inspector.core.actions import JobProgress, JobResult
from inspector.core.drivers.base import CacheDriver, MetadataUpdate
from inspector.core.errors import reason_of
from inspector.core.metadata_format import (
    TAG_ENTRIES,
    RecordEntry,
    RecordError,
    Scalar,
    check_entries,
    is_scalar,
)
from inspector.core.model import Entry, Note, State
from inspector.core.session import Reading

CURRENT_VERSION = 1
TAG_SETTINGS = "cache-settings"


@dataclass(frozen=True, slots=True)
class MetadataRecord:
    """A record as read and checked."""

    version: int
    settings: Mapping[str, Scalar]
    entries: tuple[RecordEntry, ...]
    #: Sections of a type this version does not restore (kept, not used).
    other_sections: tuple[str, ...] = ()

    def cached(self) -> dict[str, RecordEntry]:
        return {e.id: e for e in self.entries if e.state is State.CACHED}


# -- saving --------------------------------------------------------------------


def _ns(ts: float | None) -> int | None:
    return None if ts is None else round(ts * 1e9)


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    when = datetime.fromtimestamp(ts, UTC)
    return when.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _save_settings(container: dict[str, Any], reading: Reading) -> None:
    source, driver = reading.source, reading.driver
    container[TAG_SETTINGS] = {
        "kind": driver.name,
        "title": driver.title,
        "source": source.display_name(),
        "path": None if source.path is None else str(source.path),
        "node": _node(reading),
        "sqlite_db": source.options.sqlite_db,
        "max_size": reading.limits.max_size,
        "stall_time": reading.limits.stall_time,
        "entries": len(reading.snapshot.entries),
        "exported_at": _iso(datetime.now(UTC).timestamp()),
        "generator": f"cache-inspector {version()}",
    }


def _node(reading: Reading) -> str | None:
    """The node the reading is of: the one it found (a database's only node, opened
    without naming it) before the one the source named."""
    return reading.snapshot.node or reading.source.node


def _save_entries(container: dict[str, Any], reading: Reading) -> None:
    node = _node(reading)
    extras = reading.driver.record_extras
    rows = []
    for e in reading.snapshot.entries:
        row: dict[str, Any] = {
            "id": e.id,
            "state": str(e.state),
            "size": e.size,
            "hits": e.hits,
            "last_accessed": _iso(e.accessed_ts),
            "last_modified": _iso(e.modified_ts),
            "last_accessed_ns": _ns(e.accessed_ts),
            "last_modified_ns": _ns(e.modified_ts),
            "checksum": e.checksum,
            "error": e.error,
            "position": e.position,
            "node": node,
        }
        row.update({k: v for k, v in extras(e).items() if k not in row})
        rows.append(row)
    container[TAG_ENTRIES] = rows


Saver = Callable[[dict[str, Any], Reading], None]
#: One saver per section, run in this order.
SAVERS: dict[str, Saver] = {TAG_SETTINGS: _save_settings, TAG_ENTRIES: _save_entries}


def save(reading: Reading) -> dict[str, Any]:
    """The record of what ``reading`` read: ``{"version": 1, <type tag>: section, ...}``."""
    container: dict[str, Any] = {"version": CURRENT_VERSION}
    for saver in SAVERS.values():
        saver(container, reading)
    return container


def dumps(container: Mapping[str, Any]) -> bytes:
    return orjson.dumps(container, option=orjson.OPT_INDENT_2) + b"\n"


def write_record(reading: Reading, out: Path) -> int:
    """Write the record to ``out`` atomically (a whole file or none); the entries written.

    Refused inside the cache directory: a file there would be taken for an
    image (or replace one of the service's files).
    """
    cache = reading.source.path
    target = out.expanduser().resolve()
    if cache is not None and target.is_relative_to(cache.resolve()):
        raise RecordError(
            f"{out} is inside the cache directory {cache}: write the record elsewhere "
            "(a file there would be taken for an image)."
        )
    if target.is_dir():
        raise RecordError(f"{out} is a directory: name the file to write.")
    data = dumps(save(reading))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise RecordError(f"{out} cannot be written: {reason_of(exc)}.") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(reading.snapshot.entries)


# -- reading and checking ------------------------------------------------------


def load_record(path: Path) -> MetadataRecord:
    """Read and check a record file; :class:`RecordError` says why one is refused."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecordError(f"{path} cannot be read: {reason_of(exc)}.") from None
    return parse_record(data, str(path))


def parse_record(data: bytes, name: str = "the record") -> MetadataRecord:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise RecordError(
            f"{name} is not a complete metadata record (truncated, or not JSON: {exc}): "
            "refused, nothing changed."
        ) from None
    if not isinstance(doc, dict) or "version" not in doc:
        raise RecordError(
            f"{name} is not a metadata record (no top-level version): refused, nothing changed."
        )
    version = doc["version"]
    if type(version) is not int:
        raise RecordError(f"{name}: its version {version!r} is not a whole number: refused.")
    if version > CURRENT_VERSION:
        raise RecordError(
            f"{name} is a version {version} record, newer than this Cache Inspector reads "
            f"(up to version {CURRENT_VERSION}): refused, nothing changed. Use a newer release."
        )
    if version not in RESTORE_TABLES:
        raise RecordError(f"{name}: version {version} is not a known record version: refused.")
    if TAG_ENTRIES not in doc:
        raise RecordError(f"{name} has no {TAG_ENTRIES} section: refused, nothing changed.")
    settings = doc.get(TAG_SETTINGS, {})
    if not isinstance(settings, dict) or not all(is_scalar(v) for v in settings.values()):
        raise RecordError(f"{name}: its {TAG_SETTINGS} section is not a flat object: refused.")
    entries = check_entries(doc[TAG_ENTRIES], name)
    known = {"version", *RESTORE_TABLES[version]}
    others = tuple(sorted(k for k in doc if k not in known))
    return MetadataRecord(version, settings, entries, others)


# -- restoring -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RestorePlan:
    """What an import would write, and what it leaves alone."""

    updates: tuple[MetadataUpdate, ...]
    #: Cached ids in the record whose file is not in this cache (left alone).
    missing: tuple[str, ...] = ()
    #: Entries already holding the record's values (nothing to write).
    unchanged: int = 0
    notes: tuple[str, ...] = ()

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(u.entry for u in self.updates)


@dataclass
class _Planning:
    targets: dict[str, Entry]
    updates: list[MetadataUpdate]
    missing: list[str]
    notes: list[str]
    unchanged: int = 0


Restorer = Callable[[MetadataRecord, _Planning, Sequence[str]], None]


def _restore_settings(record: MetadataRecord, plan: _Planning, fields: Sequence[str]) -> None:
    s = record.settings
    kind = s.get("title") or s.get("kind") or "?"
    plan.notes.append(
        f"A record of a {kind} cache ({s.get('source') or '?'}), "
        f"exported {s.get('exported_at') or 'at an unknown time'}."
    )


def _same_time(ns: int | None, ts: float | None) -> bool:
    return ns is None or (ts is not None and abs(ns - ts * 1e9) < 1000)


def _restore_entries(record: MetadataRecord, plan: _Planning, fields: Sequence[str]) -> None:
    for rec in record.cached().values():
        target = plan.targets.get(rec.id)
        if target is None:
            plan.missing.append(rec.id)
            continue
        hits = rec.hits if "hits" in fields else None
        accessed = rec.accessed_ns if "last_accessed_ns" in fields else None
        modified = rec.modified_ns if "last_modified_ns" in fields else None
        tracked = target.note is None and target.hits is not None
        if (
            tracked
            and (hits is None or hits == target.hits)
            and _same_time(accessed, target.accessed_ts)
            and _same_time(modified, target.modified_ts)
        ):
            plan.unchanged += 1
            continue
        plan.updates.append(MetadataUpdate(target, hits, accessed, modified, create=True))


#: Per version, per section: its restorer and the fields it restores.
RESTORE_TABLES: dict[int, dict[str, tuple[Restorer, tuple[str, ...]]]] = {
    1: {
        TAG_SETTINGS: (_restore_settings, ()),
        TAG_ENTRIES: (_restore_entries, ("hits", "last_accessed_ns", "last_modified_ns")),
    },
}


def plan_restore(record: MetadataRecord, reading: Reading) -> RestorePlan:
    """What importing ``record`` into what ``reading`` read would write (pure).

    Only cached entries whose file is in the target cache are restored (a
    file without a record there gets one, as the service makes it); the
    others in the record are counted as missing.
    """
    targets = {
        e.id: e
        for e in reading.snapshot.entries
        if e.state is State.CACHED and e.note in (None, Note.FILE_WITHOUT_ROW)
    }
    plan = _Planning(targets, [], [], [])
    for restorer, fields in RESTORE_TABLES[record.version].values():
        restorer(record, plan, fields)
    if record.other_sections:
        plan.notes.append(
            f"Sections not restored by a version {record.version} record: "
            + ", ".join(record.other_sections)
            + "."
        )
    return RestorePlan(tuple(plan.updates), tuple(plan.missing), plan.unchanged, tuple(plan.notes))


@actions.journaled_as("import")
def restore(
    driver: CacheDriver, plan: RestorePlan, progress: JobProgress | None = None
) -> JobResult:
    """Write the plan's updates through the driver, entry by entry (``import``)."""
    return actions.collect(
        "import", driver.write_metadata(plan.updates), len(plan.updates), progress
    )
