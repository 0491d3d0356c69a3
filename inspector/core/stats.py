"""The numbers behind the Statistics view and ``cli stats``: computed here, drawn elsewhere.

Everything is a pure function of one scan (and the maximum size and the
clock), O(n log n) for the whole cache.
"""

from __future__ import annotations

import heapq
import time
from array import array
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from inspector.core.model import Entry, Note, State
from inspector.core.sorting import gentle_sorted
from inspector.core.summary import Summary, summarize

HOUR = 3600.0
DAY = 86400.0

#: Hit-count buckets: (label, lowest, highest or None for no limit).
HIT_BINS: tuple[tuple[str, int, int | None], ...] = (
    ("0", 0, 0),
    ("1", 1, 1),
    ("2–4", 2, 4),
    ("5–9", 5, 9),
    ("10–49", 10, 49),
    ("50–99", 50, 99),
    ("100+", 100, None),
)

#: Time since last access: (label, from seconds, below seconds or None).
AGE_BINS: tuple[tuple[str, float, float | None], ...] = (
    ("< 1 h", 0.0, HOUR),
    ("1 h–1 d", HOUR, DAY),
    ("1–7 d", DAY, 7 * DAY),
    ("1–4 w", 7 * DAY, 28 * DAY),
    ("1–3 mo", 28 * DAY, 91 * DAY),
    ("3–12 mo", 91 * DAY, 365 * DAY),
    ("> 1 y", 365 * DAY, None),
)


@dataclass(frozen=True, slots=True)
class Bin:
    """One bar of a histogram: how many entries, their bytes, and which."""

    label: str
    count: int
    bytes: int
    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LruCurve:
    """Cached bytes accumulated from the most to the least recently accessed entry.

    ``cumulative[i]`` is the bytes of ``ids[0..i]``.  The entries from
    ``first_evicted`` on lie beyond ``max_size``: those a prune to the maximum
    evicts (with the driver's eviction order, exactly them).
    """

    ids: tuple[str, ...]
    #: An ``array('q')``: 100,000 sums as Python ints took 4 MB more, twice while a
    #: refresh's figures replace the last ones.
    cumulative: Sequence[int]
    max_size: int
    first_evicted: int

    @property
    def evicted_ids(self) -> tuple[str, ...]:
        return self.ids[self.first_evicted :]

    @property
    def evicted_bytes(self) -> int:
        if not self.cumulative or self.first_evicted >= len(self.ids):
            return 0
        kept = self.cumulative[self.first_evicted - 1] if self.first_evicted else 0
        return self.cumulative[-1] - kept


@dataclass(frozen=True, slots=True)
class Statistics:
    summary: Summary
    max_size: int
    largest: tuple[Entry, ...]
    hottest: tuple[Entry, ...]
    hits: tuple[Bin, ...]
    unknown_hits: int
    ages: tuple[Bin, ...]
    never_accessed: int
    lru: LruCurve
    #: Share of all known hits carried by the hottest 10 % of cached entries.
    top_decile_hit_share: float


def _bins(
    spec: Sequence[tuple[str, float, float | None]],
    entries: Sequence[Entry],
    value_of: Callable[[Entry], float],
) -> tuple[Bin, ...]:
    """Each entry in the bin its value falls in, in one pass (the bins follow one another:
    each starts where the one before ends)."""
    lows = [lo for _, lo, _ in spec]
    if any(hi != nxt for (_, _, hi), nxt in zip(spec, lows[1:], strict=False)):
        raise ValueError("histogram bins must follow one another")
    top = spec[-1][2]
    members: list[list[Entry]] = [[] for _ in spec]
    for e in entries:
        v = value_of(e)
        if lows[0] <= v and (top is None or v < top):
            members[bisect_right(lows, v) - 1].append(e)
    return tuple(
        Bin(label, len(chosen), sum(e.size for e in chosen), tuple(e.id for e in chosen))
        for (label, _, _), chosen in zip(spec, members, strict=True)
    )


def compute(
    entries: Sequence[Entry],
    max_size: int,
    *,
    now: float | None = None,
    top: int = 10,
    eviction_order: Sequence[Entry] | None = None,
    victims: Sequence[Entry] | None = None,
) -> Statistics:
    """Every figure the Statistics view shows.

    ``eviction_order`` is the driver's order of victims (first evicted first);
    without it the LRU curve orders by last access alone.  ``victims`` are a
    prune plan's entries (:func:`inspector.core.actions.plan_prune`): when
    given, the curve's evicted part is exactly them, whatever the service's
    rule (Glance's "over the maximum", Filetracker's cleaning level); without
    them it is what lies beyond ``max_size``.
    """
    now = time.time() if now is None else now
    cached = [
        e for e in entries if e.state is State.CACHED and e.note is not Note.ROW_WITHOUT_FILE
    ]

    # The first few of an order, not a sort of the whole cache (nsmallest is sorted()[:n]).
    largest = tuple(heapq.nsmallest(top, cached, key=lambda e: (-e.size, e.id)))
    known = [e for e in cached if e.hits is not None]
    hottest = tuple(
        e for e in heapq.nsmallest(top, known, key=lambda e: (-(e.hits or 0), e.id)) if e.hits
    )

    # Hit buckets are integer ranges: make the upper bounds exclusive.
    hit_spec = [(label, float(lo), None if hi is None else hi + 1.0) for label, lo, hi in HIT_BINS]
    hits = _bins(hit_spec, known, lambda e: float(e.hits or 0))

    accessed = [e for e in cached if e.accessed_ts]
    ages = _bins(AGE_BINS, accessed, lambda e: max(0.0, now - (e.accessed_ts or 0.0)))

    if eviction_order is not None:
        wanted = {e.id for e in cached}
        order = [e for e in reversed(eviction_order) if e.id in wanted]
    else:
        order = gentle_sorted(cached, key=lambda e: (-(e.accessed_ts or 0.0), e.id))
    cumulative = array("q")
    running = 0
    first_evicted = len(order)
    for i, e in enumerate(order):
        running += e.size
        cumulative.append(running)
        if running > max_size and first_evicted == len(order):
            first_evicted = i
    if victims is not None:
        # A plan's victims are the tail of the newest-first order, whatever its rule.
        chosen = set(map(id, victims))
        first_evicted = next((i for i, e in enumerate(order) if id(e) in chosen), len(order))
    lru = LruCurve(tuple(e.id for e in order), cumulative, max_size, first_evicted)

    hit_counts = [e.hits or 0 for e in known]
    total_hits = sum(hit_counts)
    decile = max(1, len(known) // 10) if known else 0
    top_hits = sum(heapq.nlargest(decile, hit_counts))
    share = top_hits / total_hits if total_hits else 0.0

    return Statistics(
        summary=summarize(entries),
        max_size=max_size,
        largest=largest,
        hottest=hottest,
        hits=hits,
        unknown_hits=len(cached) - len(known),
        ages=ages,
        never_accessed=len(cached) - len(accessed),
        lru=lru,
        top_decile_hit_share=share,
    )
