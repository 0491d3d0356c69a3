"""Opening a source and reading it: what the CLI and the window do first.

:func:`read` gives a :class:`Reading`: the driver that read the cache (plans
need its eviction order), the snapshot, its summary, whether changes can be
made (decided here, in the core, not by a window), and the limits in force.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass

from inspector.core.drivers.base import PEEK, PREVIOUS, CacheDriver, Progress
from inspector.core.drivers.registry import open_source
from inspector.core.model import Entry, Snapshot
from inspector.core.source import CacheOptions, CacheSource
from inspector.core.summary import Summary, summarize


@dataclass(frozen=True, slots=True)
class Limits:
    """The maximum size and stall time in force (``None``: the kind has none)."""

    max_size: int | None
    stall_time: float | None


def limits_for(driver: CacheDriver | type[CacheDriver], options: CacheOptions) -> Limits:
    """The source's own limits where it names them, else the kind's defaults."""
    caps = driver.capabilities
    return Limits(
        options.max_size if options.max_size is not None else caps.default_max_size,
        options.stall_time if options.stall_time is not None else caps.default_stall_time,
    )


@dataclass(frozen=True)
class Reading:
    """One complete reading of a source.

    Its :attr:`summary` is worked out when first asked for (``list`` never
    needs it: a pass over 100,000 entries saved).
    """

    source: CacheSource
    driver: CacheDriver
    snapshot: Snapshot
    writable: bool
    #: Why changes cannot be made ("" when they can).
    read_only_reason: str
    limits: Limits

    @functools.cached_property
    def summary(self) -> Summary:
        return summarize(self.snapshot.entries, self.driver.states)


def open_cache(
    path: str | os.PathLike[str],
    driver: str | None = None,
    options: CacheOptions | None = None,
) -> CacheDriver:
    """Open the cache directory at ``path``; nothing is created or changed.

    ``driver`` names the kind expected: it is checked against what is on
    disk, and a directory that is plainly another kind is refused.
    """
    return open_source(CacheSource.at(path, driver, options))


def read(
    source: CacheSource,
    progress: Progress | None = None,
    *,
    read_only: bool = False,
    peek: Callable[[CacheDriver, list[Entry]], None] | None = None,
    previous: Snapshot | None = None,
) -> Reading:
    """Open ``source`` and read all of it (``read_only``: the user asked for no changes).

    ``peek`` is called once, early in a long scan of a kind that reads entry by
    entry (a Filetracker store), with the driver and the entries found so far:
    a window shows them while the rest is read.  ``previous`` is the last reading
    of the same source, if one is still held: its unchanged entries are handed
    on rather than built again (:data:`~inspector.core.drivers.base.PREVIOUS`).
    """
    driver = open_source(source)
    token = PEEK.set(functools.partial(peek, driver) if peek is not None else None)
    before = PREVIOUS.set(previous)
    try:
        snapshot = driver.scan(progress)
    except BaseException:
        driver.close()  # nobody gets this driver: let go of its connection now
        raise
    finally:
        PREVIOUS.reset(before)
        PEEK.reset(token)
    writable, why = driver.writable()
    if read_only:
        writable, why = False, "opened read-only"
    return Reading(source, driver, snapshot, writable, why, limits_for(driver, source.options))
