"""One prune over several caches of one kind, with one limit over their sum.

Filetracker's cache cleaner takes many stores (``-c GLOB...``), puts all their
files in one index and applies its rule to the whole: a prune of several
stores is not several prunes.  :func:`plan_prune_span` does the same with
the driver's own rule; :func:`prune_span` deletes each victim through the
driver of its own store, oldest first across all of them.  A single cache
is a span of one.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from inspector.core import journal
from inspector.core.actions import JobProgress, JobResult, Plan, collect, plan_prune, prune
from inspector.core.drivers.base import CacheDriver, Outcome
from inspector.core.model import Entry


@dataclass(frozen=True, slots=True)
class SpanPlan:
    """A prune plan over several caches: each entry with the cache it is in."""

    drivers: tuple[CacheDriver, ...]
    plan: Plan
    #: For each of ``plan.entries``, the index of its cache in ``drivers``.
    owners: tuple[int, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Each cache's display name, in order."""
        return tuple(d.source.display_name() for d in self.drivers)

    def store_of(self, i: int) -> str:
        """The display name of the cache holding ``plan.entries[i]``."""
        return self.drivers[self.owners[i]].source.display_name()


def plan_prune_span(
    parts: Sequence[tuple[CacheDriver, Sequence[Entry]]],
    max_size: int,
    cleaning_level: float | None = None,
) -> SpanPlan:
    """What the service's pruner would evict from all ``parts`` together.

    ``parts`` are (driver, its snapshot's entries), in the order the service
    would list them (the cleaner: the order its globs expand in): entries
    that tie on every key of the rule keep that order, as in the cleaner's
    stable sort.  Several caches must be of one kind whose capabilities allow
    a shared prune.
    """
    if not parts:
        raise ValueError("Name at least one cache to prune.")
    first = parts[0][0]
    if len(parts) == 1:
        plan = plan_prune(first, parts[0][1], max_size, cleaning_level)
        return SpanPlan((first,), plan, (0,) * len(plan.entries))
    kinds = {type(d) for d, _ in parts}
    if len(kinds) > 1:
        raise ValueError("One prune can span caches of one kind only.")
    if not first.capabilities.shared_prune:
        raise ValueError(
            f"A {first.title} cache is pruned on its own: its service prunes each cache "
            "separately. Prune them one at a time."
        )
    combined: list[Entry] = []
    owner: dict[int, int] = {}
    for i, (_, entries) in enumerate(parts):
        combined.extend(entries)
        owner.update(dict.fromkeys(map(id, entries), i))
    plan = plan_prune(first, combined, max_size, cleaning_level)
    return SpanPlan(tuple(d for d, _ in parts), plan, tuple(owner[id(e)] for e in plan.entries))


def prune_span(span: SpanPlan, progress: JobProgress | None = None) -> JobResult:
    """Delete the plan's entries, each through its own cache's driver, in plan order.

    Cancelling between entries (``progress`` returning ``False``) stops it;
    with several caches each outcome names its cache (failures carry it).
    A single cache is pruned as every prune is (:func:`actions.prune`: the
    service's own where it prunes by itself); with several, each cache's part
    lands in the journal as a change of its own.
    """
    if len(span.drivers) == 1:
        return prune(span.drivers[0], span.plan, progress)
    result = collect("prune", _outcomes(span), len(span.plan.entries), progress)
    errors = []
    for name, driver in zip(span.names, span.drivers, strict=True):
        part = [o for o in result.outcomes if o.source == name]
        error = journal.record(driver, collect("prune", part, len(part)))
        if error is not None:
            errors.append(error)
    return replace(result, journal_error=errors[0]) if errors else result


def _outcomes(span: SpanPlan) -> Iterator[Outcome]:
    entries = span.plan.entries
    names = span.names if len(span.drivers) > 1 else None
    for owner, run in itertools.groupby(range(len(entries)), key=span.owners.__getitem__):
        batch = [entries[i] for i in run]
        outcomes = span.drivers[owner].delete_entries(batch)
        try:
            for outcome in outcomes:
                yield outcome._replace(source=names[owner]) if names else outcome
        finally:
            outcomes.close()
