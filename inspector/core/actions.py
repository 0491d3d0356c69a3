"""What can be done to a cache: plans first (:mod:`inspector.core.plans`, named
here too), then jobs that carry them out.

Plans are pure functions of a scan, O(n log n) for the whole cache.  Jobs run
entry by entry through the driver, report progress, and can be cancelled
between entries; they are shared by the CLI and the GUI's worker thread.

Every job that changes a cache is :func:`journaled`: its result is appended
to the journal of changes (:mod:`inspector.core.journal`) where it is
produced, so neither the CLI nor the window can make a change that escapes it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Concatenate, ParamSpec

from inspector.core import journal
from inspector.core.drivers.base import Action, CacheDriver, Outcome, OutcomeStatus
from inspector.core.errors import CacheError, ServiceUnreachableError, reason_of
from inspector.core.model import Entry, State
from inspector.core.plans import Plan as Plan
from inspector.core.plans import by_service as by_service
from inspector.core.plans import cached_bytes as cached_bytes
from inspector.core.plans import entries_for_ids as entries_for_ids
from inspector.core.plans import plan_clean as plan_clean
from inspector.core.plans import plan_deleted_images as plan_deleted_images
from inspector.core.plans import plan_prune as plan_prune

#: Called after each entry with (entries done, entries in all); ``False`` cancels.
JobProgress = Callable[[int, int], bool | None]


@dataclass(frozen=True, slots=True)
class Failure:
    id: str
    state: State
    reason: str
    #: The cache it is in, when the job spans several.
    source: str | None = None


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
    #: Why the job's record could not be appended to the journal (the change was made).
    journal_error: str | None = None
    #: For an action the service carried out by itself (``by_service``): where
    #: the figures come from, and how they compare with the preview.
    remark: str | None = None
    by_service: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures and not self.cancelled and self.error is None


P = ParamSpec("P")
Job = Callable[Concatenate[CacheDriver, P], JobResult]


def journaled(job: Job[P]) -> Job[P]:
    """``job``, with its result appended to the journal of changes once, as it is produced.

    A job that raises is journaled as stopped by that error (named by the
    job's ``action`` argument, else the function's name).  A journal that
    cannot be written does not undo or hide the change: the result says why
    (:attr:`JobResult.journal_error`).
    """
    return journaled_as(job.__name__)(job)


def journaled_as(name: str) -> Callable[[Job[P]], Job[P]]:
    """:func:`journaled`, for a job whose action is not its function's name."""

    def wrap(job: Job[P]) -> Job[P]:
        @functools.wraps(job)
        def run(driver: CacheDriver, /, *args: P.args, **kwargs: P.kwargs) -> JobResult:
            try:
                result = job(driver, *args, **kwargs)
            except BaseException as exc:
                action = str(kwargs.get("action") or name)
                # The type only: an unexpected error's text may hold anything (a URL).
                why = f"stopped by an unexpected {type(exc).__name__}"
                journal.record(driver, JobResult(action, error=why))
                raise
            error = journal.record(driver, result)
            return result if error is None else replace(result, journal_error=error)

        return run

    return wrap


def collect(
    action: str,
    outcomes: Iterable[Outcome],
    total: int,
    progress: JobProgress | None = None,
) -> JobResult:
    """Run a driver's stream of outcomes as a job named ``action`` (not journaled:
    the public job that calls it is)."""
    return _collect(action, outcomes, total, progress, time.monotonic())


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
                    Failure(
                        outcome.entry.id,
                        outcome.entry.state,
                        outcome.reason or "failed",
                        outcome.source,
                    )
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


def _delete(
    driver: CacheDriver, entries: Sequence[Entry], progress: JobProgress | None, action: str
) -> JobResult:
    return collect(action, driver.delete_entries(entries), len(entries), progress)


@journaled
def delete(
    driver: CacheDriver,
    entries: Sequence[Entry],
    progress: JobProgress | None = None,
    action: str = "delete",
) -> JobResult:
    """Delete entries of any state: file and metadata together."""
    return _delete(driver, entries, progress, action)


@journaled
def prune(driver: CacheDriver, plan: Plan, progress: JobProgress | None = None) -> JobResult:
    if by_service(driver, Action.PRUNE):
        return run_by_service(driver, Action.PRUNE, plan)
    return _delete(driver, plan.entries, progress, "prune")


@journaled
def clean(driver: CacheDriver, plan: Plan, progress: JobProgress | None = None) -> JobResult:
    if by_service(driver, Action.CLEAN):
        return run_by_service(driver, Action.CLEAN, plan)
    return _delete(driver, plan.entries, progress, "clean")


@journaled_as("delete")
def delete_all(
    driver: CacheDriver,
    state: State,
    entries: Sequence[Entry],
    progress: JobProgress | None = None,
) -> JobResult:
    """Every entry in ``state`` (``entries``, as listed): in one request where the
    service empties a state by itself (a node's clear), else entry by entry."""
    if by_service(driver, Action.DELETE):
        return run_by_service(driver, Action.DELETE, Plan(tuple(entries)), state)
    return _delete(driver, entries, progress, "delete")


def run_by_service(
    driver: CacheDriver, action: Action, plan: Plan, state: State | None = None
) -> JobResult:
    """Have the service carry out ``action`` by itself: its own figures, and how they
    compare with what the plan expected from the listing."""
    started = time.monotonic()
    try:
        said = driver.run_by_service(action, state)
    except (CacheError, OSError) as exc:
        return JobResult(
            str(action), error=reason_of(exc), seconds=time.monotonic() - started, by_service=True
        )
    remark = said.remark
    if plan.entries or said.count:
        listed = f"{len(plan.entries):,} entries ({plan.bytes_freed:,} bytes)"
        remark += f" The preview {'estimated' if plan.estimate else 'listed'} {listed}."
    count = said.count or 0
    return JobResult(
        str(action),
        done=count,
        bytes_freed=said.freed or 0,
        total=count,
        seconds=time.monotonic() - started,
        remark=remark,
        by_service=True,
    )


@journaled
def queue(
    driver: CacheDriver, image_ids: Sequence[str], progress: JobProgress | None = None
) -> JobResult:
    """Queue ids by Glance's rules; each refusal is a failure with its reason."""
    started = time.monotonic()
    queued: list[str] = []
    failures: list[Failure] = []
    cancelled = False
    error: str | None = None
    for n, image_id in enumerate(image_ids, 1):
        try:
            driver.queue_image(image_id)
            queued.append(image_id)
        except ServiceUnreachableError as exc:
            error = reason_of(exc)  # every other id would wait for it in turn: stop
            break
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
        error=error,
    )


@journaled
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
    removed: list[Outcome] = []
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
                removed.append(outcome)
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
        outcomes=tuple(removed),
        error=error,
    )
