"""Counts and bytes per state, and hit totals, for one snapshot."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from inspector.core.model import STATES, Entry, Note, State


@dataclass(frozen=True, slots=True)
class StateTotals:
    count: int = 0
    bytes: int = 0


@dataclass(frozen=True, slots=True)
class Summary:
    """What a cache holds, at a glance.

    ``total_size`` is Glance's cache size: the bytes of the cached files.
    ``hits`` sums the known hit counts; ``unknown_hits`` counts cached entries
    whose hits cannot be known (then ``hits`` is a lower bound).
    """

    per_state: dict[State, StateTotals] = field(default_factory=dict)
    hits: int = 0
    unknown_hits: int = 0
    inconsistent: int = 0

    @property
    def total_size(self) -> int:
        return self.per_state.get(State.CACHED, StateTotals()).bytes

    @property
    def count(self) -> int:
        return sum(t.count for t in self.per_state.values())

    def totals(self, state: State) -> StateTotals:
        return self.per_state.get(state, StateTotals())


def summarize(entries: Iterable[Entry], states: Sequence[State] = STATES) -> Summary:
    """Counts and bytes of each of ``states`` (a kind's own states), and the hits."""
    counts = dict.fromkeys(states, 0)
    sizes = dict.fromkeys(states, 0)
    hits = unknown = inconsistent = 0
    for e in entries:
        counts[e.state] += 1
        if e.note is Note.ROW_WITHOUT_FILE:
            inconsistent += 1
            continue  # no file: not part of what the cache holds on disk
        if e.note is not None and e.note is not Note.SYMLINK:
            inconsistent += 1
        sizes[e.state] += e.size
        if e.state is State.CACHED:
            if e.hits is None:
                unknown += 1
            else:
                hits += e.hits
    per_state = {s: StateTotals(counts[s], sizes[s]) for s in states}
    return Summary(per_state=per_state, hits=hits, unknown_hits=unknown, inconsistent=inconsistent)
