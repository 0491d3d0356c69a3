"""Comparing two metadata records: what appeared, vanished, and grew in hits (``diff``)."""

from __future__ import annotations

from dataclasses import dataclass

from inspector.core.metadata_format import RecordEntry
from inspector.core.metadata_records import MetadataRecord


@dataclass(frozen=True, slots=True)
class HitsChange:
    id: str
    before: int
    after: int


@dataclass(frozen=True, slots=True)
class RecordDiff:
    """Between two records: entries that appeared, vanished, and gained hits."""

    appeared: tuple[RecordEntry, ...]
    vanished: tuple[RecordEntry, ...]
    hits_grew: tuple[HitsChange, ...]


def diff(a: MetadataRecord, b: MetadataRecord) -> RecordDiff:
    """What changed from ``a`` to ``b``, by (state, id); hits compared for cached entries."""
    before = {(e.state, e.id): e for e in a.entries}
    after = {(e.state, e.id): e for e in b.entries}
    appeared = tuple(after[k] for k in sorted(after.keys() - before.keys()))
    vanished = tuple(before[k] for k in sorted(before.keys() - after.keys()))
    grew = []
    for key in sorted(before.keys() & after.keys()):
        old, new = before[key].hits, after[key].hits
        if old is not None and new is not None and new > old:
            grew.append(HitsChange(key[1], old, new))
    grew.sort(key=lambda c: (c.before - c.after, c.id))
    return RecordDiff(appeared, vanished, tuple(grew))
