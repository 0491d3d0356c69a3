"""Writing one node's ``cached_images`` rows the way Glance 33 writes them.

What repair's adoption and a record's import need of the centralized_db kind:

* a row is inserted as Glance's commit of a download inserts it
  (``glance/db/sqlalchemy/api.py``: ``insert_cache_details``): the node's
  ``node_reference_id`` looked up by its url, ``size``, ``hits`` (0 unless
  given), ``last_accessed`` and ``last_modified`` as naive UTC datetimes,
  ``checksum`` left NULL (the commit passes none).  Glance's own start-up
  move of ``cache.db`` rows (``glance/sqlite_migration.py``:
  ``Migrate.migrate``) inserts the same way with a row's hits and times,
  which is what an import does;
* an existing row of this node gets the values given, by ``image_id`` and
  ``node_reference_id`` as ``update_hit_count`` names it;
* the node itself is recorded, when it is not yet, as glance-api records it
  when it starts (``node_reference_create``, a duplicate ignored).

No statement names another node's rows.  Times are written at microsecond
precision, the finest a ``DateTime`` column keeps; a MySQL/MariaDB column
(``DATETIME``, no fractional seconds in Glance's schema) keeps whole seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from inspector.core.drivers.fsops import file_to_write
from inspector.core.drivers.glance.central_rows import EPOCH
from inspector.core.drivers.kinds import MetadataUpdate, Outcome, OutcomeStatus
from inspector.core.errors import CacheError
from inspector.core.glance_db import GlanceDatabase, Node, cached_images, node_reference

#: Writes commit in batches: at most this many entries or this long.
BATCH_ENTRIES = 500
BATCH_SECONDS = 0.05

_T = TypeVar("_T")
_c = cached_images.c
#: Typed so that each dialect stores a datetime as Glance's model does (SQLite: its text).
_WHEN = sa.DateTime()


def naive_utc(ns: int) -> datetime:
    """Unix nanoseconds as the naive-UTC datetime Glance stores, to the microsecond (floor)."""
    return EPOCH + timedelta(microseconds=ns // 1000)


def find_node(conn: Connection, url: str) -> Node | None:
    q = sa.select(node_reference.c.node_reference_id).where(
        node_reference.c.node_reference_url == url
    )
    found = conn.execute(q).scalar()
    return None if found is None else Node(int(found), url)


def ensure_node(db: GlanceDatabase, conn: Connection, url: str) -> Node:
    """The node named ``url``, recorded first if it is not yet, in a transaction of its own.

    As glance-api records itself when it starts (``node_reference_create``:
    its ``worker_self_reference_url``, a duplicate ignored).
    """
    db.begin_write(conn)
    try:
        node = find_node(conn, url)
        if node is None:
            savepoint = conn.begin_nested()
            try:
                conn.execute(sa.insert(node_reference).values(node_reference_url=url))
                savepoint.commit()
            except sa_exc.IntegrityError:  # glance-api recorded it meanwhile
                savepoint.rollback()
            node = find_node(conn, url)
        conn.commit()
    finally:
        if conn.in_transaction():
            conn.rollback()
    if node is None:
        raise CacheError(f"Node {url} could not be recorded in Glance's database {db.display}.")
    return node


def _this_row(node: Node, image_id: str) -> Any:
    return sa.and_(_c.image_id == image_id, _c.node_reference_id == node.id)


def has_row(conn: Connection, node: Node, image_id: str) -> bool:
    return conn.execute(sa.select(_c.id).where(_this_row(node, image_id))).first() is not None


def update_row(conn: Connection, node: Node, image_id: str, values: dict[str, Any]) -> None:
    """This node's row of ``image_id`` given ``values`` (hits, size, naive-UTC datetimes)."""
    params = {k: _bind(k, v) for k, v in values.items()}
    conn.execute(sa.update(cached_images).where(_this_row(node, image_id)).values(**params))


def insert_row(
    conn: Connection,
    node: Node,
    image_id: str,
    size: int,
    hits: int,
    accessed: datetime,
    modified: datetime,
) -> None:
    """The row Glance's ``insert_cache_details`` inserts for this node (checksum NULL)."""
    conn.execute(
        sa.insert(cached_images).values(
            image_id=image_id,
            size=size,
            last_accessed=_bind("last_accessed", accessed),
            last_modified=_bind("last_modified", modified),
            hits=hits,
            checksum=None,
            node_reference_id=node.id,
        )
    )


def _bind(name: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return sa.bindparam(f"w_{name}", value, type_=_WHEN)
    return value


def write_entry(conn: Connection, node: Node, root: Path, u: MetadataUpdate) -> Outcome:
    """One update written to this node's row, in the caller's write transaction.

    An existing row gets the values given; without a row, ``create`` inserts
    Glance's row with what the update gives and otherwise hits 0, both times
    the file's mtime (when Glance moved it in) and the file's size.  A file
    that is gone, or is not a regular file, leaves the row as it is.
    """
    entry = u.entry
    st = file_to_write(root, entry, "its file is gone: row left alone")
    if isinstance(st, Outcome):
        return st
    accessed = None if u.accessed_ns is None else naive_utc(u.accessed_ns)
    modified = None if u.modified_ns is None else naive_utc(u.modified_ns)
    values = {"hits": u.hits, "last_accessed": accessed, "last_modified": modified, "size": u.size}
    given = {k: v for k, v in values.items() if v is not None}
    if has_row(conn, node, entry.id):
        if given:
            update_row(conn, node, entry.id, given)
        return Outcome(entry, OutcomeStatus.UPDATED)
    if not u.create:
        return Outcome(entry, OutcomeStatus.GONE, reason="no row of this node: left alone")
    mtime = naive_utc(st.st_mtime_ns)
    savepoint = conn.begin_nested()
    try:
        insert_row(
            conn,
            node,
            entry.id,
            st.st_size if u.size is None else u.size,
            0 if u.hits is None else u.hits,
            mtime if accessed is None else accessed,
            mtime if modified is None else modified,
        )
    except sa_exc.IntegrityError:
        savepoint.rollback()  # Glance committed the download meanwhile: its row stands
        return Outcome(
            entry, OutcomeStatus.FAILED, reason="Glance recorded it meanwhile: its row left alone"
        )
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return Outcome(entry, OutcomeStatus.UPDATED)


def in_batches(
    db: GlanceDatabase, conn: Connection, items: Sequence[_T], one: Callable[[_T], Outcome]
) -> Generator[Outcome, None, None]:
    """``one(item)`` for each item in short write transactions on ``conn``.

    At most :data:`BATCH_ENTRIES` entries or :data:`BATCH_SECONDS` each, so
    that Glance's own writers never wait long; what is pending is committed
    also when the caller stops early or an error ends the job.
    """
    in_tx = False
    started = 0.0
    in_batch = 0
    try:
        for item in items:
            if not in_tx:
                db.begin_write(conn)
                in_tx, started, in_batch = True, time.monotonic(), 0
            outcome = one(item)
            in_batch += 1
            if in_batch >= BATCH_ENTRIES or time.monotonic() - started >= BATCH_SECONDS:
                conn.commit()
                in_tx = False
            yield outcome
    finally:
        if in_tx and conn.in_transaction():
            conn.commit()
