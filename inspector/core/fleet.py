"""Many sources read at once, and a fleet of Glance nodes from their shared database.

**Many sources.** Reading a fleet means asking N nodes, each of which may be
slow or gone; one thread per source (up to ``max_workers``) reads them side
by side, and a source that fails gives its error without stopping the
others.  Results come as each source finishes, so a window can show every
node as soon as it answers.  Each reading keeps its driver open for the actions that follow:
close it (``reading.driver.close()``) when the reading is dropped.

**Glance's database.** Every glance-api node with ``image_cache_driver =
centralized_db`` keeps its cache's rows in the one database they share:
:func:`read_fleet` reads from it, in one read-only transaction, every node
of ``node_reference`` with its totals, and the image x node matrix with
Glance's name and status of each image.  The server aggregates (GROUP BY;
see :mod:`inspector.core.fleet_sql`): only a row per node and a row per
(image, node) pair shown reach Python.  SQLAlchemy is imported when a
database is opened, not with this module.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from inspector.core.errors import CacheError, ScanCancelled, ServiceUnreachableError, reason_of
from inspector.core.session import Reading, read
from inspector.core.source import CacheSource

if TYPE_CHECKING:  # SQLAlchemy comes with the database, not with this module
    from sqlalchemy.engine import Connection

    from inspector.core.glance_db import GlanceDatabase

#: Nodes read at the same time, at most.
MAX_WORKERS = 8


@dataclass(frozen=True, slots=True)
class SourceReading:
    """The outcome of reading one source of many.

    Exactly one of ``reading`` and ``error`` is set; ``unreachable`` says the
    error is that the source did not answer at all (a node down or hung).
    """

    source: CacheSource
    reading: Reading | None = None
    error: str | None = None
    unreachable: bool = False
    seconds: float = 0.0


def read_one(source: CacheSource, read_only: bool = False) -> SourceReading:
    """Read ``source``; any failure the user should see becomes its ``error``."""
    started = time.monotonic()
    try:
        reading = read(source, read_only=read_only)
    except (CacheError, OSError, ValueError) as exc:
        return SourceReading(
            source,
            error=reason_of(exc),
            unreachable=isinstance(exc, ServiceUnreachableError),
            seconds=time.monotonic() - started,
        )
    return SourceReading(source, reading, seconds=time.monotonic() - started)


def read_each(
    sources: Sequence[CacheSource],
    max_workers: int = MAX_WORKERS,
    read_only: bool = False,
) -> Iterator[tuple[int, SourceReading]]:
    """Read every source in parallel; yield ``(index in sources, result)`` as each is there.

    Stopping the iteration early cancels the reads not yet started; those
    still running finish in the background and their drivers are closed.
    """
    if not sources:
        return
    pool = ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(sources))))
    futures = {pool.submit(read_one, source, read_only): n for n, source in enumerate(sources)}
    claimed: set[Future[SourceReading]] = set()
    try:
        for future in as_completed(futures):
            claimed.add(future)
            yield futures[future], future.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        for future in futures:
            if future not in claimed:
                future.add_done_callback(_close_unclaimed)


def read_all(
    sources: Sequence[CacheSource], max_workers: int = MAX_WORKERS, read_only: bool = False
) -> list[SourceReading]:
    """Every source's result, in the order of ``sources``."""
    results: list[SourceReading | None] = [None] * len(sources)
    for n, result in read_each(sources, max_workers, read_only):
        results[n] = result
    return [r for r in results if r is not None]


def _close_unclaimed(future: Future[SourceReading]) -> None:
    if future.cancelled() or future.exception() is not None:
        return
    reading = future.result().reading
    if reading is not None:
        reading.driver.close()


# --------------------------------------------------------------------------- Glance's database

#: Matrix rows taken from the server at a time (``cancelled`` is asked between them).
PARTITION = 10_000


@dataclass(frozen=True, slots=True)
class NodeSummary:
    """One node of ``node_reference`` and the totals of its ``cached_images`` rows."""

    url: str
    count: int
    bytes: int
    hits: int
    #: The latest access of any of its images (epoch seconds); None: no rows.
    last_accessed: float | None


@dataclass(frozen=True, slots=True)
class FleetImage:
    """One cached image: Glance's record of it and the nodes that cache it."""

    id: str
    #: Glance's name and status (``"deleted"`` for a deleted record); None: no record.
    name: str | None
    image_status: str | None
    #: The size of its rows (the largest, should two nodes disagree).
    size: int
    #: The URLs of the nodes with a row for it, sorted.
    nodes: tuple[str, ...]

    @property
    def deleted(self) -> bool:
        """Cached though deleted in Glance."""
        return self.image_status == "deleted"


@dataclass(frozen=True, slots=True)
class Fleet:
    """The nodes sharing one Glance database and the images they cache."""

    #: The database's URL as shown: its password as ``***``.
    database: str
    #: Every node of ``node_reference``, by URL (those without rows too).
    nodes: tuple[NodeSummary, ...]
    #: The images shown, by id: the first ``image_limit`` of them, or all.
    images: tuple[FleetImage, ...]
    #: Distinct cached images in the whole fleet (shown or not).
    images_total: int
    #: Of the whole fleet's images: how many are on every node, on one node
    #: only, and deleted in Glance (counted by the server, shown or not).
    images_on_every_node: int = 0
    images_on_one_node: int = 0
    images_deleted: int = 0

    @property
    def count(self) -> int:
        """Cached rows of every node."""
        return sum(n.count for n in self.nodes)

    @property
    def bytes(self) -> int:
        """Bytes cached on every node together."""
        return sum(n.bytes for n in self.nodes)

    @property
    def limited(self) -> bool:
        """Some images are not in :attr:`images`."""
        return len(self.images) < self.images_total

    def on_every_node(self) -> list[FleetImage]:
        """The images shown that every node caches."""
        return [i for i in self.images if len(i.nodes) == len(self.nodes)]

    def on_one_node(self) -> list[FleetImage]:
        """The images shown that one node only caches."""
        return [i for i in self.images if len(i.nodes) == 1]

    def deleted_in_glance(self) -> list[FleetImage]:
        """The images shown that are cached though deleted in Glance."""
        return [i for i in self.images if i.deleted]


def fleet_database(
    db_url: str | None = None, glance_config: str | os.PathLike[str] | None = None
) -> GlanceDatabase:
    """Glance's database at ``db_url``, or the one a node's glance-api.conf names
    (``[database] connection``); ``db_url`` wins when both are given."""
    if db_url is None:
        if glance_config is None:
            raise ValueError("name Glance's database: its URL or a node's glance-api.conf")
        from inspector.core.glance_config import GlanceConfigError, read_glance_config

        config = read_glance_config(glance_config)
        if config.db_url is None:
            raise GlanceConfigError(
                f"{config.path} sets no [database] connection: the fleet's database is "
                "not named there (give its URL)."
            )
        db_url = config.db_url
    from inspector.core.glance_db import GlanceDatabase

    return GlanceDatabase(db_url)


def read_fleet_summary(db: GlanceDatabase) -> tuple[NodeSummary, ...]:
    """Every node's totals, and nothing else: one GROUP BY."""
    with db.reading() as conn:
        return _node_summaries(conn)


def read_fleet(
    db: GlanceDatabase,
    *,
    image_limit: int | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Fleet:
    """The fleet in ``db``: its nodes, its image x node matrix (the first
    ``image_limit`` images by id, or all) and the whole fleet's image counts.

    One read-only transaction: the figures agree with each other.  Raises
    :class:`ScanCancelled` when ``cancelled()`` turns true (it is asked
    between statements and every :data:`PARTITION` matrix rows), and a
    one-line :class:`CacheError` without the password for any failure.
    """
    from inspector.core import fleet_sql

    if image_limit is not None and image_limit < 0:
        raise ValueError(f"image_limit must not be negative, not {image_limit}")

    def check() -> None:
        if cancelled is not None and cancelled():
            raise ScanCancelled("reading the fleet was cancelled")

    with db.reading() as conn:
        check()
        nodes = _node_summaries(conn)
        check()
        totals = conn.execute(fleet_sql.IMAGE_TOTALS, {"nodes": len(nodes)}).one()
        total, every, one, deleted = (int(v) for v in totals)
        found: dict[str, list[Any]] = {}
        if image_limit != 0 and total:
            check()
            result = conn.execute(fleet_sql.matrix(image_limit))
            for part in result.partitions(PARTITION):
                check()
                for image_id, url, size, name, status, gone in part:
                    seen = found.get(image_id)
                    if seen is None:
                        found[image_id] = [size, name, status, gone, [url]]
                    else:
                        seen[4].append(url)
                        seen[0] = max(seen[0], size)
    return Fleet(
        database=db.display,
        nodes=nodes,
        images=tuple(_image(i, found[i]) for i in sorted(found)),
        images_total=total,
        images_on_every_node=every,
        images_on_one_node=one,
        images_deleted=deleted,
    )


def _node_summaries(conn: Connection) -> tuple[NodeSummary, ...]:
    from inspector.core import fleet_sql
    from inspector.core.drivers.glance.central_rows import seconds

    return tuple(
        NodeSummary(str(url), int(count), int(size), int(hits), seconds(last))
        for url, count, size, hits, last in conn.execute(fleet_sql.NODE_TOTALS)
    )


def _image(image_id: str, seen: list[Any]) -> FleetImage:
    from inspector.core.glance_db import image_status

    size, name, status, gone, urls = seen
    known = status is not None or gone is not None
    return FleetImage(
        id=str(image_id),
        name=None if name is None else str(name),
        image_status=image_status(status, gone) if known else None,
        size=int(size),
        nodes=tuple(sorted(str(u) for u in urls)),
    )
