"""Filetracker's cache cleaner's rule, as ``filetracker-cache-cleaner`` applies it.

filetracker 2.3.3, ``scripts/cachecleaner.py``: the file index of every
store is sorted newest first (ties: smaller first; files equal in both keep
the order the client listed them in, its ``os.walk``).  Walking it, the
running total of sizes is compared with two figures: the first file at which
it reaches the cleaning level (``limit * percent / 100``) and every file after
it are deleted, but only when the whole total reaches the limit.  So once a
store (or the stores together) reaches the limit, the newest files are kept
while their sum stays below the cleaning level and all the rest go.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

from inspector.core.model import Entry

#: The cleaner's ``--percent-cleaning-level`` default.
DEFAULT_CLEANING_LEVEL = 50.0

_size = attrgetter("size")
_mtime = attrgetter("modified_ts")


def newest_first(entries: Sequence[Entry]) -> list[Entry]:
    """The cleaner's order: newest mtime first, then smaller first, then listing order.

    Two stable sorts (by size, then by mtime descending: Python's ``reverse``
    keeps equal keys in their order) give exactly ``sorted(key=(-mtime, size))``
    without building a tuple per entry.
    """
    order = sorted(entries, key=_size)
    order.sort(key=_mtime, reverse=True)
    return order


def cleaning_level(limit: int, percent: float) -> float:
    """The size the kept files stay below: ``limit * percent / 100`` as the cleaner computes it."""
    return limit * percent / 100.0


def victims(entries: Sequence[Entry], limit: int, percent: float) -> list[Entry]:
    """What one pass of the cleaner deletes, oldest first (ties: larger first).

    The cleaner itself walks the victims newest first; the set is the same,
    and deleting the oldest first leaves the newest in place if a job stops
    half-way.
    """
    order = newest_first(entries)
    if not order or sum(map(_size, order)) < limit:
        return []
    level = cleaning_level(limit, percent)
    running = 0
    cut = len(order)
    for i, e in enumerate(order):
        running += e.size
        if running >= level:
            cut = i
            break
    else:
        cut = 0  # the level is above the total (percent > 100): the cleaner deletes all
    chosen = order[cut:]
    chosen.reverse()
    return chosen
