"""Plans: what an action would remove, worked out from a scan before anything changes.

Pure functions of the entries (and the driver's rules), O(n log n) for the
whole cache; :mod:`inspector.core.actions` carries them out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from inspector.core.drivers.base import Action, CacheDriver
from inspector.core.drivers.fsops import check_image_id
from inspector.core.drivers.fsscan import gc_paused
from inspector.core.freeing import freed_bytes
from inspector.core.model import Entry, Note, State


@dataclass(frozen=True, slots=True)
class Plan:
    """Entries an action would remove, and what that frees.

    ``bytes_removed`` is what leaves the cache's size as its service counts
    it (the sum of the files' sizes); ``bytes_freed`` what the disk gets back
    (a file still hard-linked elsewhere frees nothing, see
    :func:`inspector.core.freeing.freed_bytes`).  For kinds without hard
    links the two are equal.
    """

    entries: tuple[Entry, ...]
    total_before: int = 0  # cached bytes now (prune) or bytes of the state(s)
    target: int | None = None  # prune: the size limit
    #: prune: the size the kept entries stay below, when the rule keeps a share
    #: of the limit (Filetracker's cleaning level); ``None`` otherwise.
    keep_below: float | None = None
    #: Whether the service carries the action out by itself, so that the plan is
    #: only an estimate from the listing; ``remark`` says what it cannot know.
    estimate: bool = False
    remark: str | None = None

    @property
    def bytes_removed(self) -> int:
        return sum(e.size for e in self.entries if e.note is not Note.ROW_WITHOUT_FILE)

    @property
    def bytes_freed(self) -> int:
        return freed_bytes(self.entries)

    @property
    def total_after(self) -> int:
        return self.total_before - self.bytes_removed

    @property
    def locked(self) -> tuple[Entry, ...]:
        """Entries a client held locked at the scan: a job will skip them if still held."""
        return tuple(e for e in self.entries if e.locked)


def cached_bytes(entries: Iterable[Entry]) -> int:
    """The cache's size as Glance counts it: bytes of the cached files."""
    return sum(
        e.size for e in entries if e.state is State.CACHED and e.note is not Note.ROW_WITHOUT_FILE
    )


def plan_prune(
    driver: CacheDriver,
    entries: Sequence[Entry],
    max_size: int,
    cleaning_level: float | None = None,
) -> Plan:
    """Exactly what the service's pruner would evict for the limit ``max_size``.

    The driver supplies the rule (:meth:`CacheDriver.prune_victims`): Glance
    deletes the least recently accessed entry while the cache is larger than
    the maximum (exact at the cut: ties fall as the service breaks them);
    Filetracker's cleaner keeps the newest files below ``cleaning_level``
    percent of the limit once the limit is reached.
    """
    if max_size < 0:
        raise ValueError("The target size cannot be negative.")
    if cleaning_level is not None and not 0 <= cleaning_level <= 100:
        raise ValueError("The cleaning level is a percentage from 0 to 100.")
    total = cached_bytes(entries)
    with gc_paused():  # sorting builds a key per entry, and no cycles
        choice = driver.prune_victims(entries, max_size, cleaning_level)
    plan = Plan(tuple(choice.victims), total, max_size, choice.keep_below)
    return _by_service(driver, Action.PRUNE, plan)


def by_service(driver: CacheDriver, action: Action) -> bool:
    """Whether the service carries ``action`` out by itself (one request, its own plan)."""
    return action in driver.capabilities.by_service


def _by_service(driver: CacheDriver, action: Action, plan: Plan) -> Plan:
    if not by_service(driver, action):
        return plan
    return replace(plan, estimate=True, remark=driver.service_remark(action))


def plan_clean(
    entries: Sequence[Entry],
    stall_time: float,
    now: float | None = None,
    driver: CacheDriver | None = None,
) -> Plan:
    """Glance's clean: every invalid entry, and incomplete ones older than ``stall_time``.

    With the ``driver`` of a service that cleans by itself, the plan says so
    (an estimate, with what the listing cannot show).
    """
    now = time.time() if now is None else now
    older_than = now - stall_time
    chosen = [
        e
        for e in entries
        if e.state is State.INVALID
        or (
            e.state is State.INCOMPLETE
            and e.modified_ts is not None
            and e.modified_ts < older_than
        )
    ]
    chosen.sort(key=lambda e: (e.state is not State.INVALID, e.modified_ts or 0.0))
    plan = Plan(tuple(chosen), sum(e.size for e in entries if e.state is not State.CACHED))
    return plan if driver is None else _by_service(driver, Action.CLEAN, plan)


def plan_deleted_images(entries: Sequence[Entry]) -> Plan:
    """Cached images whose image was deleted in Glance, largest first.

    Pure waste: no one can ask Glance for them again.  Only entries that carry
    Glance's records can be chosen (``image_status == "deleted"``); an image
    with no record at all (purged, or another deployment's) is never taken.
    """
    chosen = sorted(
        (e for e in entries if e.state is State.CACHED and e.image_status == "deleted"),
        key=lambda e: (-e.size, e.id),
    )
    return Plan(tuple(chosen), cached_bytes(entries))


def entries_for_ids(
    entries: Sequence[Entry],
    ids: Iterable[str],
    state: State | None = None,
    check: Callable[[str], str] = check_image_id,
    split: Callable[[str], tuple[str, int | None]] | None = None,
) -> tuple[list[Entry], list[str]]:
    """The entries with these ids (in ``state`` if given), and the ids not found.

    Every id is checked first (``check``: the cache's own id rule; one with
    ``/`` or ``..`` is refused outright).  ``split`` parts a versioned id
    (``name@version``, :meth:`CacheDriver.split_id`): it matches only the
    entry of that name holding that version.
    """
    wanted = [check(i) for i in ids]
    by_id: dict[str, list[Entry]] = {}
    for e in entries:
        if state is None or e.state is state:
            by_id.setdefault(e.id, []).append(e)
    found: list[Entry] = []
    missing: list[str] = []
    for i in wanted:
        name, version = split(i) if split is not None else (i, None)
        matches = [e for e in by_id.get(name, ()) if version is None or e.version == version]
        if matches:
            found.extend(matches)
        else:
            missing.append(i)
    return found, missing
