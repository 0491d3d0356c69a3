"""What can be done to a cache: plans first, then jobs that carry them out.

Plans are pure functions of a scan, O(n log n) for the whole cache.  Jobs run
entry by entry through the driver, report progress, and can be cancelled
between entries; they are shared by the CLI and the GUI's worker thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from inspector.core.drivers.base import CacheDriver, Outcome, OutcomeStatus
from inspector.core.drivers.fsops import check_image_id
from inspector.core.drivers.fsscan import gc_paused
from inspector.core.errors import CacheError, reason_of
from inspector.core.model import Entry, Note, State

#: Called after each entry with (entries done, entries in all); ``False`` cancels.
JobProgress = Callable[[int, int], bool | None]


@dataclass(frozen=True, slots=True)
class Plan:
    """Entries an action would remove, and what that frees."""

    entries: tuple[Entry, ...]
    total_before: int = 0  # cached bytes now (prune) or bytes of the state(s)
    target: int | None = None  # prune: the size aimed at

    @property
    def bytes_freed(self) -> int:
        return sum(e.size for e in self.entries if e.note is not Note.ROW_WITHOUT_FILE)

    @property
    def total_after(self) -> int:
        return self.total_before - self.bytes_freed


@dataclass(frozen=True, slots=True)
class Failure:
    id: str
    state: State
    reason: str


@dataclass(frozen=True, slots=True)
class JobResult:
    """What a job did: entries done (gone ones included), bytes freed, failures."""

    action: str
    done: int = 0
    gone: int = 0
    bytes_freed: int = 0
    failures: tuple[Failure, ...] = ()
    queued: tuple[str, ...] = ()
    cancelled: bool = False
    total: int = 0
    seconds: float = 0.0
    outcomes: tuple[Outcome, ...] = field(default=(), repr=False)
    #: Why the job stopped before its end (the database locked half-way, ...);
    #: what was done before stays done and is counted above.
    error: str | None = None
    #: Ids asked for that were not in the cache (already gone: not a failure).
    not_found: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failures and not self.cancelled and self.error is None


def cached_bytes(entries: Iterable[Entry]) -> int:
    """The cache's size as Glance counts it: bytes of the cached files."""
    return sum(
        e.size for e in entries if e.state is State.CACHED and e.note is not Note.ROW_WITHOUT_FILE
    )


def plan_prune(driver: CacheDriver, entries: Sequence[Entry], max_size: int) -> Plan:
    """Exactly what Glance's pruner would evict to bring the cache to ``max_size``.

    Glance deletes the least recently accessed entry while the cache is larger
    than the maximum; the driver gives its eviction order (exact at the cut).
    """
    if max_size < 0:
        raise ValueError("The target size cannot be negative.")
    total = cached_bytes(entries)
    victims: list[Entry] = []
    remaining = total
    if total >= max_size:
        with gc_paused():  # sorting builds a key per entry, and no cycles
            order = driver.prune_order(entries, max_size)
        for e in order:
            if remaining <= max_size:
                break
            victims.append(e)
            if e.note is not Note.ROW_WITHOUT_FILE:
                remaining -= e.size
    return Plan(tuple(victims), total, max_size)


def plan_clean(entries: Sequence[Entry], stall_time: float, now: float | None = None) -> Plan:
    """Glance's clean: every invalid entry, and incomplete ones older than ``stall_time``."""
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
    return Plan(tuple(chosen), sum(e.size for e in entries if e.state is not State.CACHED))


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


def _collect(
    action: str,
    outcomes: Iterable[Outcome],
    total: int,
    progress: JobProgress | None,
    started: float,
) -> JobResult:
    done = gone = freed = 0
    failures: list[Failure] = []
    seen: list[Outcome] = []
    cancelled = False
    count = 0
    error: str | None = None
    errors: list[BaseException] = []
    iterator = iter(outcomes)
    try:
        for outcome in _until_error(iterator, errors):
            seen.append(outcome)
            count += 1
            if outcome.status is OutcomeStatus.FAILED:
                failures.append(
                    Failure(outcome.entry.id, outcome.entry.state, outcome.reason or "failed")
                )
            else:
                done += 1
                freed += outcome.freed
                if outcome.status is OutcomeStatus.GONE:
                    gone += 1
            if progress is not None and progress(count, total) is False and count < total:
                cancelled = True
                break
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            try:
                close()  # let the driver finish (commit) the batch it is in
            except (CacheError, OSError) as exc:
                errors.append(exc)
    if errors:
        error = reason_of(errors[0])
    return JobResult(
        action,
        done=done,
        gone=gone,
        bytes_freed=freed,
        failures=tuple(failures),
        cancelled=cancelled,
        total=total,
        seconds=time.monotonic() - started,
        outcomes=tuple(seen),
        error=error,
    )


def _until_error(iterator: Iterator[Outcome], errors: list[BaseException]) -> Iterator[Outcome]:
    """The outcomes, until the driver raises: the error is kept, the job ends there."""
    while True:
        try:
            outcome = next(iterator)
        except StopIteration:
            return
        except (CacheError, OSError) as exc:
            errors.append(exc)
            return
        yield outcome


def delete(
    driver: CacheDriver,
    entries: Sequence[Entry],
    progress: JobProgress | None = None,
    action: str = "delete",
) -> JobResult:
    """Delete entries of any state: file and metadata together."""
    started = time.monotonic()
    return _collect(action, driver.delete_entries(entries), len(entries), progress, started)


def prune(driver: CacheDriver, plan: Plan, progress: JobProgress | None = None) -> JobResult:
    return delete(driver, plan.entries, progress, action="prune")


def clean(driver: CacheDriver, plan: Plan, progress: JobProgress | None = None) -> JobResult:
    return delete(driver, plan.entries, progress, action="clean")


def queue(
    driver: CacheDriver, image_ids: Sequence[str], progress: JobProgress | None = None
) -> JobResult:
    """Queue ids by Glance's rules; each refusal is a failure with its reason."""
    started = time.monotonic()
    queued: list[str] = []
    failures: list[Failure] = []
    cancelled = False
    for n, image_id in enumerate(image_ids, 1):
        try:
            driver.queue_image(image_id)
            queued.append(image_id)
        except (CacheError, OSError) as exc:
            failures.append(Failure(image_id, State.QUEUED, reason_of(exc)))
        if progress is not None and progress(n, len(image_ids)) is False and n < len(image_ids):
            cancelled = True
            break
    return JobResult(
        "queue",
        done=len(queued),
        failures=tuple(failures),
        queued=tuple(queued),
        cancelled=cancelled,
        total=len(image_ids),
        seconds=time.monotonic() - started,
    )


def requeue(
    driver: CacheDriver, entries: Sequence[Entry], progress: JobProgress | None = None
) -> JobResult:
    """Remove each entry (evict a cached one) and queue its id again.

    The id goes into the queue first; only then is the entry removed, and if
    the removal fails the queue file made for it is taken back.  So an entry
    ends either requeued or as it was, never removed and not queued.
    """
    started = time.monotonic()
    total = len(entries)
    queued: list[str] = []
    failures: list[Failure] = []
    freed = gone = 0
    cancelled = False
    error: str | None = None
    for n, e in enumerate(entries, 1):
        try:
            made = driver.reserve_queue(e.id)
        except (CacheError, OSError) as exc:
            failures.append(
                Failure(
                    e.id, e.state, "left as it was: the queue cannot take it: " + reason_of(exc)
                )
            )
        else:
            removal = driver.delete_entries([e])
            try:
                outcome = next(removal)
                removal.close()
            except (CacheError, OSError) as exc:
                outcome = Outcome(e, OutcomeStatus.FAILED, reason=reason_of(exc))
                error = reason_of(exc)
            if outcome.status is OutcomeStatus.FAILED:
                if made:
                    try:
                        driver.release_queue(e.id)
                    except (CacheError, OSError) as exc:
                        outcome = outcome._replace(
                            reason=f"{outcome.reason}; its queue file stays: {reason_of(exc)}"
                        )
                failures.append(
                    Failure(e.id, e.state, "left as it was: " + (outcome.reason or "failed"))
                )
            else:
                freed += outcome.freed
                gone += outcome.status is OutcomeStatus.GONE
                queued.append(e.id)
        if error is not None:
            break
        if progress is not None and progress(n, total) is False and n < total:
            cancelled = True
            break
    return JobResult(
        "requeue",
        done=len(queued),
        gone=gone,
        bytes_freed=freed,
        failures=tuple(failures),
        queued=tuple(queued),
        cancelled=cancelled,
        total=total,
        seconds=time.monotonic() - started,
        error=error,
    )


def entries_for_ids(
    entries: Sequence[Entry],
    ids: Iterable[str],
    state: State | None = None,
    check: Callable[[str], str] = check_image_id,
) -> tuple[list[Entry], list[str]]:
    """The entries with these ids (in ``state`` if given), and the ids not found.

    Every id is checked first (``check``: the cache's own id rule; one with
    ``/`` or ``..`` is refused outright).
    """
    wanted = [check(i) for i in ids]
    by_id: dict[str, list[Entry]] = {}
    for e in entries:
        if state is None or e.state is state:
            by_id.setdefault(e.id, []).append(e)
    found: list[Entry] = []
    missing: list[str] = []
    for i in wanted:
        if i in by_id:
            found.extend(by_id[i])
        else:
            missing.append(i)
    return found, missing
