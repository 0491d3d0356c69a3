"""A reading laid out for the tables, made on a worker thread.

:func:`prepare` reads a source (from its glance-api.conf first, when that is
all that names it), splits the rows by state and sorts each table's rows in
the order the table shows, so the GUI thread only puts them in.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, replace

from inspector.core import CacheSource, Entry, IdRule, Reading, ScanCancelled, State, read
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


def prepare(
    source: CacheSource,
    read_only: bool,
    sorts: dict[State, SortSpec | None],
    context: Context,
    reporter: Reporter,
) -> ReadResult:
    """Read ``source`` and lay its rows out for the tables; runs on a worker thread.

    A source known only by its glance-api.conf is read from that file first (each
    time: a changed configuration is followed).
    """
    if source.config is not None and source.path is None:
        from inspector.core.glance_config import source_from_config

        source = source_from_config(source.config)
    try:
        reading = read(source, lambda n: reporter.progress(n), read_only=read_only)
    except ScanCancelled:
        raise Cancelled from None
    _ = reading.summary  # worked out here, off the GUI thread
    rows: dict[State, list[Entry]] = {s: [] for s in reading.driver.states}
    for e in reading.snapshot.entries:
        rows.setdefault(e.state, []).append(e)
    for state in rows:
        rows[state] = sorted_rows(rows[state], sorts.get(state), context)
    row_of = {s: index_of(r) for s, r in rows.items()}
    tree = None
    if reading.driver.capabilities.id_rule is IdRule.PATH:
        tree = build_tree(reading.snapshot.entries)
    result = ReadResult(reading, rows, row_of, sorts, context, tree)
    gc.freeze()  # long-lived, acyclic: no collection need walk them again
    return result


def settings_source(source: CacheSource) -> CacheSource:
    """The source as settings and the runner's lanes know it: the same whatever kind was named."""
    return replace(source, kind=None)
