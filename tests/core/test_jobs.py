"""What each job reports, entry by entry, and where it stops: on caches Glance wrote.

``JobResult`` is what the CLI prints and the window shows after a change: its
counts, failures and reasons must be what happened on disk, and progress must
be told for every entry so that cancelling stops exactly between two entries.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from inspector.core import State, actions, open_cache
from inspector.core.actions import Failure, JobResult
from inspector.core.drivers.base import OutcomeStatus
from inspector.core.drivers.glance import sqlite as glance_sqlite
from inspector.core.model import Entry
from tests.core.test_safety import mount_read_only
from tests.glance_service import GlanceService

IDS = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(1, 10)]


class Told:
    """A progress callback that records what it was told and answers ``answer(n)``."""

    def __init__(self, stop_at: int | None = None, answer: bool | None = True) -> None:
        self.calls: list[tuple[int, int]] = []
        self.stop_at = stop_at
        self.answer = answer

    def __call__(self, done: int, total: int) -> bool | None:
        self.calls.append((done, total))
        return False if done == self.stop_at else self.answer


def queue_files(glance: GlanceService) -> list[str]:
    return sorted(os.listdir(Path(glance.path, "queue")))


def without_timing(result: JobResult) -> JobResult:
    assert 0.0 < result.seconds < 60.0  # measured, and sane
    return JobResult(
        result.action,
        result.done,
        result.gone,
        result.bytes_freed,
        result.failures,
        result.queued,
        result.cancelled,
        result.total,
        0.0,
        error=result.error,
        not_found=result.not_found,
    )


# -- queue -------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [True, None])
def test_queue_reports_each_id(glance: GlanceService, answer: bool | None) -> None:
    glance.cache(IDS[1], b"b")
    cache = open_cache(glance.path)
    told = Told(answer=answer)
    result = actions.queue(cache, [IDS[0], IDS[1], IDS[2]], told)
    assert without_timing(result) == JobResult(
        "queue",
        done=2,
        failures=(Failure(IDS[1], State.QUEUED, f"{IDS[1]} is already cached."),),
        queued=(IDS[0], IDS[2]),
        total=3,
    )
    assert told.calls == [(1, 3), (2, 3), (3, 3)]
    assert glance.queued() == [IDS[0], IDS[2]]


@pytest.mark.parametrize("kind", ["sqlite"])
def test_queue_cancelled_stops_after_that_id(glance: GlanceService) -> None:
    cache = open_cache(glance.path)
    result = actions.queue(cache, IDS[:3], Told(stop_at=1))
    assert (result.cancelled, result.done, result.queued, result.total) == (
        True,
        1,
        (IDS[0],),
        3,
    )
    assert queue_files(glance) == [IDS[0]]
    # Stopping at the last id is no cancellation: everything was done.
    last = actions.queue(cache, IDS[3:5], Told(stop_at=2))
    assert (last.cancelled, last.done, last.ok) == (False, 2, True)


# -- requeue -----------------------------------------------------------------------


@pytest.mark.parametrize("answer", [True, None])
def test_requeue_reports_each_entry(glance: GlanceService, answer: bool | None) -> None:
    glance.cache(IDS[0], b"a" * 100)
    glance.fail(IDS[1], b"b" * 10, "checksum mismatch")
    glance.start(IDS[2], b"c" * 20)
    cache = open_cache(glance.path)
    glance.start(IDS[3], b"d" * 20)
    entries = sorted(cache.scan().entries, key=lambda e: e.id)
    for gone in IDS[2:4]:
        os.unlink(Path(glance.path, "incomplete", gone))  # gone before their turn
    told = Told(answer=answer)
    result = actions.requeue(cache, entries, told)
    assert without_timing(result) == JobResult(
        "requeue", done=4, gone=2, bytes_freed=110, queued=tuple(IDS[:4]), total=4
    )
    assert told.calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert queue_files(glance) == IDS[:4]
    assert glance.cached_images() == []


@pytest.mark.parametrize("kind", ["sqlite"])
def test_requeue_cancelled_stops_between_entries(glance: GlanceService) -> None:
    for image_id in IDS[:3]:
        glance.cache(image_id, b"x" * 10)
    cache = open_cache(glance.path)
    entries = sorted(cache.scan().entries, key=lambda e: e.id)
    result = actions.requeue(cache, entries, Told(stop_at=2))
    assert (result.cancelled, result.done, result.queued, result.total) == (
        True,
        2,
        tuple(IDS[:2]),
        3,
    )
    assert queue_files(glance) == IDS[:2]
    assert [r["image_id"] for r in glance.cached_images()] == [IDS[2]]
    last = actions.requeue(cache, [e for e in entries if e.id == IDS[2]], Told(stop_at=1))
    assert (last.cancelled, last.done) == (False, 1)


@pytest.mark.parametrize("kind", ["sqlite"])
def test_requeue_into_a_queue_that_cannot_take_it(glance: GlanceService, tmp_path: Path) -> None:
    glance.cache(IDS[0], b"a" * 100)
    cache = open_cache(glance.path)
    [entry] = cache.scan().entries
    queue = Path(glance.path, "queue")
    queue.rmdir()
    os.symlink(tmp_path, queue)
    result = actions.requeue(cache, [entry])
    assert result.failures == (
        Failure(
            IDS[0],
            State.CACHED,
            "left as it was: the queue cannot take it: "
            f"{queue} is a symbolic link (to {tmp_path}), not Glance's own directory: "
            "its files are not shown, and nothing in it is changed.",
        ),
    )
    assert (result.done, result.queued, result.error) == (0, (), None)
    assert [r["image_id"] for r in glance.cached_images()] == [IDS[0]]


@pytest.mark.parametrize("kind", ["sqlite"])
def test_requeue_whose_removal_fails_takes_its_queue_file_back(glance: GlanceService) -> None:
    """An invalid entry on a read-only directory: requeued ids keep their queue file,
    the one that could not be removed has it taken back, unless it was queued before."""
    glance.fail(IDS[0], b"a" * 10, "checksum mismatch")
    glance.fail(IDS[1], b"b" * 10, "checksum mismatch")
    glance.cache(IDS[2], b"c" * 10)
    assert glance.queue(IDS[1])  # queued already, before the requeue
    cache = open_cache(glance.path)
    entries = sorted(cache.scan().of_state(State.INVALID), key=lambda e: e.id)
    cached = cache.scan().of_state(State.CACHED)
    if os.geteuid() != 0:
        pytest.skip("a read-only bind mount needs root")
    for _ in mount_read_only(Path(glance.path, "invalid")):
        result = actions.requeue(cache, [*entries, *cached])
    assert result.failures == (
        Failure(IDS[0], State.INVALID, "left as it was: Read-only file system"),
        Failure(IDS[1], State.INVALID, "left as it was: Read-only file system"),
    )
    assert (result.done, result.queued, result.error) == (1, (IDS[2],), None)
    assert sorted(os.listdir(Path(glance.path, "invalid"))) == IDS[:2]
    assert queue_files(glance) == IDS[1:3]  # IDS[0]'s taken back, IDS[1]'s kept


@pytest.mark.parametrize("kind", ["sqlite"])
def test_requeue_stops_when_the_database_stays_locked(
    glance: GlanceService, monkeypatch: pytest.MonkeyPatch
) -> None:
    for image_id in IDS[:2]:
        glance.cache(image_id, b"x" * 10)
    cache = open_cache(glance.path)
    entries = sorted(cache.scan().entries, key=lambda e: e.id)
    monkeypatch.setattr(glance_sqlite, "BUSY_TIMEOUT_S", 0.1)
    holder = sqlite3.connect(glance.driver.db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = actions.requeue(cache, entries)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    locked = (
        f"{glance.driver.db_path} stayed locked by another process for 0.1 s "
        "(Glance writing?). Try again in a moment."
    )
    assert result.error == locked
    assert result.failures == (Failure(IDS[0], State.CACHED, "left as it was: " + locked),)
    assert (result.done, result.total, result.cancelled) == (0, 2, False)
    assert queue_files(glance) == []  # taken back; the second entry was not tried
    assert sorted(r["image_id"] for r in glance.cached_images()) == IDS[:2]


# -- delete, prune, clean ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite"])
def test_clean_and_prune_name_their_job_and_tell_progress(glance: GlanceService) -> None:
    glance.fail(IDS[0], b"a" * 10, "checksum mismatch")
    glance.fail(IDS[1], b"b" * 20, "checksum mismatch")
    glance.cache(IDS[2], b"c" * 30)
    cache = open_cache(glance.path)
    entries = cache.scan().entries
    told = Told()
    clean_plan = actions.plan_clean(entries, 86400.0)
    cleaned = actions.clean(cache, clean_plan, told)
    assert without_timing(cleaned) == JobResult("clean", done=2, bytes_freed=30, total=2)
    assert cleaned.outcomes[0].status is OutcomeStatus.DELETED
    assert [o.entry for o in cleaned.outcomes] == list(clean_plan.entries)
    assert told.calls == [(1, 2), (2, 2)]
    told = Told()
    plan = actions.plan_prune(cache, entries, 0)
    assert (plan.total_before, plan.total_after) == (30, 0)  # cached bytes only, as Glance
    with pytest.raises(ValueError) as info:
        actions.plan_prune(cache, entries, -1)
    assert str(info.value) == "The target size cannot be negative."
    pruned = actions.prune(cache, plan, told)
    assert without_timing(pruned) == JobResult("prune", done=1, bytes_freed=30, total=1)
    assert told.calls == [(1, 1)]


@pytest.mark.parametrize("kind", ["sqlite"])
def test_delete_cancelled_at_the_last_entry_is_complete(glance: GlanceService) -> None:
    for image_id in IDS[:2]:
        glance.cache(image_id, b"x" * 10)
    cache = open_cache(glance.path)
    result = actions.delete(cache, cache.scan().entries, Told(stop_at=2))
    assert (result.cancelled, result.done, result.ok) == (False, 2, True)
    assert glance.cached_images() == []


# -- plans -------------------------------------------------------------------------


def test_plan_clean_is_glances_rule_at_a_given_time() -> None:
    now = 1_000_000.0
    entries = [
        Entry("inv-new", State.INVALID, 5, modified_ts=now - 1),
        Entry("inc-at-limit", State.INCOMPLETE, 7, modified_ts=now - 100),
        Entry("inc-old", State.INCOMPLETE, 11, modified_ts=now - 300),
        Entry("inc-older", State.INCOMPLETE, 13, modified_ts=now - 400),
        Entry("inc-unknown", State.INCOMPLETE, 17),
        Entry("inv-old", State.INVALID, 19, modified_ts=now - 500),
        Entry("cached", State.CACHED, 1000, modified_ts=0.0),
        Entry("queued", State.QUEUED, 0, modified_ts=0.0),
    ]
    plan = actions.plan_clean(entries, 100.0, now=now)
    # Invalid first, then stalled (strictly older than the stall time), oldest first.
    assert [e.id for e in plan.entries] == ["inv-old", "inv-new", "inc-older", "inc-old"]
    assert plan.total_before == 5 + 7 + 11 + 13 + 17 + 19
    assert plan.bytes_freed == 48
    assert plan.target is None


def test_entries_for_ids_in_order_with_states() -> None:
    entries = [
        Entry("a", State.CACHED, 1),
        Entry("b", State.QUEUED, 0),
        Entry("a", State.QUEUED, 0),
        Entry("c", State.INVALID, 2),
    ]
    found, missing = actions.entries_for_ids(entries, ["c", "x", "a", "y"])
    assert [(e.id, e.state) for e in found] == [
        ("c", State.INVALID),
        ("a", State.CACHED),
        ("a", State.QUEUED),
    ]
    assert missing == ["x", "y"]
    found, missing = actions.entries_for_ids(entries, ["a", "b", "c"], State.QUEUED)
    assert [(e.id, e.state) for e in found] == [("a", State.QUEUED), ("b", State.QUEUED)]
    assert missing == ["c"]


def test_the_eviction_order_is_the_last_scans(glance: GlanceService) -> None:
    """A driver knows Glance's order from its own scan: before one, nothing is a candidate."""
    glance.cache(IDS[0], b"a" * 10)
    entries = open_cache(glance.path).scan().entries
    fresh = open_cache(glance.path)
    assert fresh.eviction_order(entries) == []
    assert actions.plan_prune(fresh, entries, 0).entries == ()
    fresh.scan()
    assert [e.id for e in fresh.eviction_order(entries)] == [IDS[0]]
