"""A reading laid out for the tables, made on a worker thread.

:func:`prepare` reads a source (from its glance-api.conf first, when that is
all that names it), splits the rows by state and sorts each table's rows in
the order the table shows, so the GUI thread only puts them in.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass, replace

from inspector.core import (
    CacheDriver,
    CacheSource,
    Entry,
    IdRule,
    Reading,
    ScanCancelled,
    Snapshot,
    State,
    read,
    stats,
)
from inspector.core.actions import plan_prune
from inspector.core.tree import Folder, build_tree
from inspector.gui.cache.columns import Context
from inspector.gui.cache.entry_model import SortSpec, index_of, sorted_rows
from inspector.gui.workers import Cancelled, Reporter


@dataclass(frozen=True)
class ReadResult:
    """A reading, with each state's rows already sorted for its table (off the GUI thread)."""

    reading: Reading
    rows: dict[State, list[Entry]]
    #: Each state's ids to their place in ``rows``.
    row_of: dict[State, dict[str, int]]
    #: The order ``rows`` are in, and the clock it was taken with.
    sorts: dict[State, SortSpec | None]
    context: Context
    #: The folders of a kind whose ids are paths (a Filetracker store), else ``None``.
    tree: Folder | None = None
    #: Cached images whose image was deleted in Glance (0 where Glance's records are not known).
    deleted: int = 0
    #: The Statistics view's figures, worked out with the reading when that view was shown.
    statistics: stats.Statistics | None = None


@dataclass(frozen=True)
class FirstRows:
    """The entries a long first reading has found so far, laid out like a reading's rows."""

    driver: CacheDriver
    rows: dict[State, list[Entry]]
    row_of: dict[State, dict[str, int]]
    sorts: dict[State, SortSpec | None]
    context: Context


def lay_out(
    entries: Sequence[Entry],
    states: Sequence[State],
    sorts: dict[State, SortSpec | None],
    context: Context,
) -> tuple[dict[State, list[Entry]], dict[State, dict[str, int]]]:
    """Entries split by state, each table's in its order, with each id's place (any thread)."""
    rows: dict[State, list[Entry]] = {s: [] for s in states}
    for e in entries:
        rows.setdefault(e.state, []).append(e)
    for state in rows:
        rows[state] = sorted_rows(rows[state], sorts.get(state), context)
    return rows, {s: index_of(r) for s, r in rows.items()}


def figures(reading: Reading, max_size: int) -> stats.Statistics:
    """The Statistics view's figures for ``reading`` with this maximum (any thread)."""
    entries = reading.snapshot.entries
    driver = reading.driver
    # What a prune to the maximum takes, by the kind's own rule (the cleaner's
    # newest-kept differs from LRU): the curve marks exactly those.
    victims: Sequence[Entry] | None = None
    if not max_size:
        victims = ()  # no maximum: nothing to evict
    elif driver.capabilities.prune_rule != "lru":
        victims = plan_prune(driver, entries, max_size).entries
    return stats.compute(
        entries, max_size, eviction_order=driver.eviction_order(entries), victims=victims
    )


def prepare(
    source: CacheSource,
    read_only: bool,
    sorts: dict[State, SortSpec | None],
    context: Context,
    reporter: Reporter,
    statistics_max: int | None = None,
    previous: Snapshot | None = None,
) -> ReadResult:
    """Read ``source`` and lay its rows out for the tables; runs on a worker thread.

    A source known only by its glance-api.conf is read from that file first (each
    time: a changed configuration is followed).  With ``statistics_max`` (the
    Statistics view is shown) its figures are worked out here too, with that
    maximum: in the same task, not in a second one that would race the next
    reading for the interpreter (and hold a third copy of the cache).  A first
    reading (no ``previous``) of a long scan sends its first rows ahead
    (:class:`FirstRows`); a later one shares the ``previous`` reading's unchanged
    entries instead of building them again.
    """
    if source.config is not None and source.path is None:
        from inspector.core.glance_config import source_from_config

        source = source_from_config(source.config)

    def peek(driver: CacheDriver, found: list[Entry]) -> None:
        part = list(found)  # the scan goes on filling its list
        rows, row_of = lay_out(part, driver.states, sorts, context)
        reporter.send(FirstRows(driver, rows, row_of, sorts, context))

    try:
        reading = read(
            source,
            lambda n: reporter.progress(n),
            read_only=read_only,
            peek=peek if previous is None else None,
            previous=previous,
        )
    except ScanCancelled:
        raise Cancelled from None
    _ = reading.summary  # worked out here, off the GUI thread
    rows, row_of = lay_out(reading.snapshot.entries, reading.driver.states, sorts, context)
    tree = None
    if reading.driver.capabilities.id_rule is IdRule.PATH:
        tree = build_tree(reading.snapshot.entries)
    deleted = 0
    if reading.snapshot.image_records:
        deleted = sum(1 for e in rows.get(State.CACHED, ()) if e.image_status == "deleted")
    figured = None if statistics_max is None else figures(reading, statistics_max)
    result = ReadResult(reading, rows, row_of, sorts, context, tree, deleted, figured)
    gc.freeze()  # long-lived, acyclic: no collection need walk them again
    return result


def settings_source(source: CacheSource) -> CacheSource:
    """The source as settings and the runner's lanes know it: the same whatever kind was named."""
    return replace(source, kind=None)
