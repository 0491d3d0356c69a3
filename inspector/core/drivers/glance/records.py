"""Glance's image records on a cache's entries: each image's name and status.

Whenever Glance's database is known (always for a centralized_db node; with
``--db URL`` or a glance-api.conf for a sqlite or xattr cache), every entry
carries its image's ``name`` and ``image_status`` (``"deleted"`` for an image
deleted in Glance: a cached copy no one can ask for again).  They are read in
one query for the whole cache, never one per entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from inspector.core.drivers.kinds import DigestSource
from inspector.core.errors import CacheError
from inspector.core.glance_db import GlanceDatabase, ImageRecord
from inspector.core.model import Entry, make_entry


def with_record(e: Entry, record: ImageRecord | None) -> Entry:
    """``e`` with Glance's record of its image (``None``: there is none)."""
    name, status = (None, None) if record is None else (record.name, record.status)
    if (name, status) == (e.name, e.image_status):
        return e
    return make_entry(
        e.id,
        e.state,
        e.size,
        e.hits,
        e.accessed_ts,
        e.modified_ts,
        e.checksum,
        e.error,
        e.position,
        e.note,
        e.bad_fields,
        e.version,
        e.locked,
        e.links,
        e.inode,
        name,
        status,
    )


def attach_records(
    entries: Sequence[Entry],
    db: GlanceDatabase,
    known: Mapping[str, ImageRecord | None] | None = None,
) -> list[Entry]:
    """``entries`` with their images' records; ``known`` ones are not asked for again."""
    known = known or {}
    wanted = {e.id for e in entries if e.id not in known}
    records: dict[str, ImageRecord | None] = dict(known)
    if wanted:
        with db.reading() as conn:
            records.update(db.image_records(conn, wanted))
    return [with_record(e, records.get(e.id)) for e in entries]


def records_or_warning(
    entries: Sequence[Entry], db_url: str, warnings: list[str]
) -> tuple[list[Entry], bool]:
    """For a cache whose metadata is not in Glance's database (sqlite, xattr).

    The records are extra: when the database cannot be read, the cache is
    still listed, without names, and the reason goes into ``warnings``.
    Returns the entries and whether they carry records.
    """
    try:
        return attach_records(entries, GlanceDatabase(db_url)), True
    except CacheError as exc:
        warnings.append(f"Glance's image records were not read, so no names are shown: {exc}")
        return list(entries), False


def digests_of(db_url: str) -> DigestSource:
    """What Glance recorded of each image's data, as verify asks for it (an image at a
    time: each is then read whole, which costs far more than its query)."""
    db = GlanceDatabase(db_url)

    def lookup(image_id: str) -> tuple[str, str] | None:
        with db.reading() as conn:
            return db.image_digests(conn, [image_id]).get(image_id)

    return lookup
