"""Glance's ``cached_images`` rows of one node, as the centralized_db driver reads them.

The SELECTs (this node's rows with Glance's image records joined; the LRU
order; Glance's own pruner question), the one DELETE the inspector ever runs
(this node's row of one image), rows turned into entries, and the prune's
tie at the cut settled the way Glance's pruner settles it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from inspector.core.errors import CacheError
from inspector.core.glance_db import GlanceDatabase, Node, cached_images, images, node_reference
from inspector.core.model import Entry, Note, State, make_entry

EPOCH = datetime(1970, 1, 1)

_c = cached_images.c
#: This node's rows with Glance's record of each image, in one SELECT.
ROWS = (
    sa.select(
        _c.image_id,
        _c.last_accessed,
        _c.last_modified,
        _c.size,
        _c.hits,
        _c.checksum,
        images.c.name,
        images.c.status,
        images.c.deleted,
    )
    .select_from(cached_images.outerjoin(images, images.c.id == _c.image_id))
    .where(_c.node_reference_id == sa.bindparam("node"))
)
#: The database's LRU order of this node's rows (ties in its own order).
LRU_ORDER = (
    sa.select(_c.image_id, _c.last_accessed)
    .where(_c.node_reference_id == sa.bindparam("node"))
    .order_by(_c.last_accessed)
)
#: Glance's pruner's question, word for word (db_api.get_least_recently_accessed).
GLANCE_LRU = (
    sa.select(_c.image_id)
    .select_from(
        cached_images.outerjoin(
            node_reference, node_reference.c.node_reference_id == _c.node_reference_id
        )
    )
    .where(node_reference.c.node_reference_url == sa.bindparam("url"))
    .order_by(_c.last_accessed)
    .limit(1)
)


def delete_row(node: Node, image_id: str) -> sa.Delete:
    """This node's row of ``image_id``: the only rows the inspector ever deletes."""
    return sa.delete(cached_images).where(_c.image_id == image_id, _c.node_reference_id == node.id)


def seconds(value: Any) -> float | None:
    """Unix seconds of a naive-UTC datetime as the database returns it (None: unreadable).

    PostgreSQL's and MySQL's drivers give ``datetime``; SQLite gives the text
    SQLAlchemy stored (``2024-05-01 12:00:00.123456``).
    """
    if type(value) is str:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if type(value) is datetime:
        if value.tzinfo is None:
            return (value - EPOCH).total_seconds()
        return value.timestamp()
    return None


def row_entry(row: Any, size: int | None, note: Note | None) -> Entry:
    """A cached entry from this node's row (and Glance's record of the image, joined).

    ``size`` is the file's; ``None``: there is no file, the row's size is shown.
    """
    image_id, acc, mod, row_size, hits, checksum, name, status, deleted = row
    accessed, modified = seconds(acc), seconds(mod)
    if status is not None and (deleted or status == "deleted"):
        status = "deleted"
    bad: tuple[str, ...] = ()
    if accessed is None or modified is None:
        bad = tuple(
            field
            for field, value in (("last_accessed", accessed), ("last_modified", modified))
            if value is None
        )
        note = note or Note.BAD_VALUE
    return make_entry(
        image_id,
        State.CACHED,
        row_size if size is None else size,
        hits,
        accessed,
        modified,
        checksum,
        None,
        None,
        note,
        bad,
        name=name,
        image_status=status,
    )


def settle_tie_at_cut(
    db: GlanceDatabase,
    node: Node,
    rows: list[tuple[str, Any]],
    candidates: Mapping[str, Entry],
    total: int,
    max_size: int,
) -> list[tuple[str, Any]]:
    """``rows`` (the database's LRU order) with the tie at the cut in Glance's order."""

    def freed(image_id: str) -> int:
        e = candidates[image_id]
        return 0 if e.note is Note.ROW_WITHOUT_FILE else e.size

    remaining, cut = total, -1
    for i, (image_id, _accessed) in enumerate(rows):
        if remaining <= max_size:
            break
        cut, remaining = i, remaining - freed(image_id)
    if cut < 0:
        return rows
    tie = rows[cut][1]
    first = next(i for i, r in enumerate(rows) if r[1] == tie)
    last = max(i for i, r in enumerate(rows) if r[1] == tie)
    if last <= cut:
        return rows  # the cut falls between two times: any order of the rest is the same
    group = {r[0]: r for r in rows[first : last + 1]}
    left = total - sum(freed(r[0]) for r in rows[:first])
    picks: list[str] = []
    with db.writing() as conn:
        db.begin_write(conn)
        try:
            # Glance's loop has evicted every row accessed before the tie by now.
            conn.execute(
                sa.delete(cached_images).where(
                    _c.node_reference_id == node.id, _c.last_accessed < sa.bindparam("t")
                ),
                {"t": tie},
            )
            while left > max_size:
                image_id = str(conn.execute(GLANCE_LRU, {"url": node.url}).scalar())
                if image_id not in group:
                    raise CacheError("this node's rows changed since they were read")
                picks.append(image_id)
                left -= freed(image_id)
                conn.execute(delete_row(node, image_id))
        finally:
            conn.rollback()
    taken = set(picks)
    rest = [r for r in rows[first : last + 1] if r[0] not in taken]
    return [*rows[:first], *(group[i] for i in picks), *rest, *rows[last + 1 :]]
