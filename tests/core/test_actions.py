"""Delete, queue, requeue, prune and clean, on caches the real Glance wrote."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inspector.core import State, actions, open_cache
from inspector.core.errors import InvalidImageIdError, QueueRefusedError
from tests.glance_service import GlanceService

IDS = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(1, 13)]


def ids_in(path: str, sub: str = "") -> set[str]:
    d = Path(path, sub)
    skip = {"cache.db", "image_cache_db_init", "incomplete", "invalid", "queue"}
    return {
        p.name for p in d.iterdir() if p.name not in skip and not p.name.startswith("cache.db")
    }


def rows(path: str) -> set[str]:
    conn = sqlite3.connect(Path(path, "cache.db"))
    try:
        return {r[0] for r in conn.execute("SELECT image_id FROM cached_images")}
    finally:
        conn.close()


def assert_consistent(glance: GlanceService) -> None:
    """Every row has its file and every file its row (the sqlite driver)."""
    if glance.kind == "sqlite":
        assert rows(glance.path) == ids_in(glance.path)


@pytest.fixture
def lru(glance: GlanceService) -> GlanceService:
    """Twelve images of growing size, last accessed in a known order."""
    for n, image_id in enumerate(IDS, 1):
        glance.cache(image_id, bytes(n * 1000))
    # Access order: IDS[5] is the oldest, then the rest in reverse.
    order = [IDS[5], *reversed([i for i in IDS if i != IDS[5]])]
    base = time.time() - 10_000
    for k, image_id in enumerate(order):
        if glance.kind == "xattr":
            p = Path(glance.path, image_id)
            os.utime(p, (base + k * 10, p.stat().st_mtime))
        else:
            glance.read(image_id)
    glance.lru_order = order  # type: ignore[attr-defined]
    return glance


def test_prune_plan_is_exactly_what_glance_evicts(lru: GlanceService, tmp_path: Path) -> None:
    cache = open_cache(lru.path)
    snap = cache.scan()
    target = 40_000  # of 78,000 bytes
    plan = actions.plan_prune(cache, snap.entries, target)
    assert [e.id for e in plan.entries] == lru.lru_order[: len(plan.entries)]  # type: ignore[attr-defined]
    assert plan.total_before == 78_000
    assert plan.total_after <= target < plan.total_after + plan.entries[-1].size

    before = ids_in(lru.path)
    lru.prune(target)  # Glance's own pruner on the same cache
    assert before - ids_in(lru.path) == {e.id for e in plan.entries}


def test_prune_removes_the_plan_and_no_more(lru: GlanceService) -> None:
    cache = open_cache(lru.path)
    plan = actions.plan_prune(cache, cache.scan().entries, 40_000)
    result = actions.prune(cache, plan)
    assert result.ok
    assert result.done == len(plan.entries)
    assert result.bytes_freed == plan.bytes_freed
    remaining = ids_in(lru.path)
    assert remaining == set(IDS) - {e.id for e in plan.entries}
    assert lru.cache_size() == plan.total_after <= 40_000
    assert_consistent(lru)
    assert {r["image_id"] for r in lru.cached_images()} == remaining


def test_prune_under_the_maximum_plans_nothing(lru: GlanceService) -> None:
    cache = open_cache(lru.path)
    assert actions.plan_prune(cache, cache.scan().entries, 10**9).entries == ()


def test_delete_each_state(glance: GlanceService) -> None:
    glance.cache(IDS[0], b"a" * 10)
    glance.cache(IDS[1], b"b" * 20)
    glance.fail(IDS[2], b"c" * 30, "checksum mismatch")
    glance.queue(IDS[3])
    glance.start(IDS[4], b"e" * 50)
    cache = open_cache(glance.path)
    entries = [e for e in cache.scan().entries if e.id != IDS[1]]
    result = actions.delete(cache, entries)
    assert result.ok, result.failures
    assert result.done == 4
    assert result.bytes_freed == 10 + 30 + 50
    assert ids_in(glance.path) == {IDS[1]}
    assert not ids_in(glance.path, "invalid")
    assert not ids_in(glance.path, "queue")
    assert not ids_in(glance.path, "incomplete")
    assert glance.queued() == []
    assert [r["image_id"] for r in glance.cached_images()] == [IDS[1]]
    assert_consistent(glance)


def test_a_vanished_entry_counts_as_gone(glance: GlanceService) -> None:
    glance.cache(IDS[0], b"a" * 10)
    glance.queue(IDS[1])
    cache = open_cache(glance.path)
    entries = cache.scan().entries
    os.unlink(Path(glance.path, "queue", IDS[1]))
    result = actions.delete(cache, entries)
    assert result.ok
    assert (result.done, result.gone) == (2, 1)


def test_clean_removes_invalid_and_stalled_only(glance: GlanceService) -> None:
    glance.fail(IDS[0], b"x" * 10, "broken stream")
    glance.start(IDS[1], b"y" * 20)  # in flight
    glance.start(IDS[2], b"z" * 30)  # stalled
    old = time.time() - 2 * 86400
    os.utime(Path(glance.path, "incomplete", IDS[2]), (old, old))
    cache = open_cache(glance.path)
    plan = actions.plan_clean(cache.scan().entries, stall_time=86400)
    assert [(e.state, e.id) for e in plan.entries] == [
        (State.INVALID, IDS[0]),
        (State.INCOMPLETE, IDS[2]),
    ]
    assert plan.bytes_freed == 40
    assert actions.clean(cache, plan).ok
    assert ids_in(glance.path, "incomplete") == {IDS[1]}
    assert not ids_in(glance.path, "invalid")


def test_queue_follows_glances_rules(glance: GlanceService) -> None:
    glance.cache(IDS[0], b"a")
    glance.start(IDS[1], b"b")
    glance.queue(IDS[2])
    cache = open_cache(glance.path)
    with pytest.raises(QueueRefusedError, match="already cached"):
        cache.queue_image(IDS[0])
    with pytest.raises(QueueRefusedError, match="being written"):
        cache.queue_image(IDS[1])
    with pytest.raises(QueueRefusedError, match="already queued"):
        cache.queue_image(IDS[2])
    cache.queue_image(IDS[3])
    assert glance.queued()[-1] == IDS[3]
    assert glance.queue(IDS[3]) is False  # Glance agrees it is queued
    result = actions.queue(cache, [IDS[4], IDS[0]])
    assert result.queued == (IDS[4],)
    assert [f.reason for f in result.failures] == [f"{IDS[0]} is already cached."]


@pytest.mark.parametrize(
    "bad", ["../escape", "a/b", "..", "x\0y", "x" * 300, "", ".hidden", "two words", "-rf"]
)
def test_bad_ids_never_become_paths(glance: GlanceService, bad: str, tmp_path: Path) -> None:
    cache = open_cache(glance.path)
    before = sorted(p for p in Path(glance.path).parent.rglob("*"))
    with pytest.raises(InvalidImageIdError, match="image id"):
        cache.queue_image(bad)
    with pytest.raises(InvalidImageIdError):
        actions.entries_for_ids(cache.scan().entries, [bad])
    assert sorted(p for p in Path(glance.path).parent.rglob("*")) == before


def test_requeue(glance: GlanceService) -> None:
    glance.cache(IDS[0], b"a" * 100)
    glance.fail(IDS[1], b"b" * 10, "checksum mismatch")
    glance.start(IDS[2], b"c" * 10)
    cache = open_cache(glance.path)
    result = actions.requeue(cache, cache.scan().entries)
    assert result.ok, result.failures
    assert set(result.queued) == {IDS[0], IDS[1], IDS[2]}
    assert set(glance.queued()) == {IDS[0], IDS[1], IDS[2]}
    assert not ids_in(glance.path)
    assert glance.cached_images() == []
    assert result.bytes_freed == 120


def test_a_symlink_is_removed_as_a_link(glance: GlanceService, tmp_path: Path) -> None:
    outside = tmp_path / "precious.img"
    outside.write_bytes(b"p" * 1000)
    os.symlink(outside, Path(glance.path, IDS[0]))
    cache = open_cache(glance.path)
    [entry] = cache.scan().of_state(State.CACHED)
    # No row for it in sqlite's database: that is the louder note there.
    assert entry.note == (
        "symbolic link" if glance.kind == "xattr" else "file without a metadata row"
    )
    assert actions.delete(cache, [entry]).ok
    assert not os.path.lexists(Path(glance.path, IDS[0]))
    assert outside.read_bytes() == b"p" * 1000


def test_a_symlinked_state_directory_is_never_followed(
    glance: GlanceService, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / IDS[0]).write_bytes(b"keep")
    shutil.rmtree(Path(glance.path, "invalid"))
    os.symlink(elsewhere, Path(glance.path, "invalid"))
    shutil.rmtree(Path(glance.path, "queue"))
    os.symlink(elsewhere, Path(glance.path, "queue"))
    cache = open_cache(glance.path)
    from inspector.core.model import Entry

    fake = Entry(IDS[0], State.INVALID, 4)
    result = actions.delete(cache, [fake])
    assert result.failures and not result.done
    assert result.failures[0].reason == (
        f"{Path(glance.path, 'invalid')} is a symbolic link (to {elsewhere}), not Glance's own "
        "directory: its files are not shown, and nothing in it is changed."
    )
    assert (elsewhere / IDS[0]).read_bytes() == b"keep"
    assert actions.queue(cache, [IDS[1]]).failures
    assert sorted(p.name for p in elsewhere.iterdir()) == [IDS[0]]


def test_cancel_half_way_leaves_a_valid_cache(lru: GlanceService) -> None:
    cache = open_cache(lru.path)
    plan = actions.plan_prune(cache, cache.scan().entries, 0)
    assert len(plan.entries) == 12
    result = actions.prune(cache, plan, progress=lambda done, total: done < 5)
    assert result.cancelled
    assert result.done == 5
    assert ids_in(lru.path) == set(IDS) - {e.id for e in plan.entries[:5]}
    assert_consistent(lru)


CHURN = r"""
import os, random, sys, time, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[3])
from tests.glance_service import GlanceService
g = GlanceService(sys.argv[1], sys.argv[2])
stop = os.path.join(sys.argv[2], "..", "stop")
print("ready", flush=True)
n = 0
while not os.path.exists(stop):
    n += 1
    g.cache(f"{n:08x}-1111-4000-8000-{n:012x}", b"n" * 500)
    try:
        ids = [r["image_id"] for r in g.cached_images()]
    except FileNotFoundError:  # Glance's xattr listing races with any deletion
        continue
    for image_id in random.sample(ids, min(3, len(ids))):
        try:
            g.read(image_id)
        except FileNotFoundError:
            pass
print(n)
"""


def test_prune_while_glance_keeps_reading_and_writing(glance: GlanceService) -> None:
    for n in range(300):
        glance.cache(f"{n:08x}-2222-4000-8000-{n:012x}", bytes(1000))
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "-c", CHURN, glance.kind, glance.path, str(root)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        cache = open_cache(glance.path)
        pruned = 0
        # Two seconds of pruning beside Glance, longer on a loaded machine until
        # more than 200 images went (the figure asserted below, not a timing).
        started = time.monotonic()
        while time.monotonic() < started + 2.0 or (
            pruned <= 200 and time.monotonic() < started + 30.0
        ):
            plan = actions.plan_prune(cache, cache.scan().entries, 100_000)
            result = actions.prune(cache, plan)
            assert not result.failures, result.failures
            pruned += result.done
    finally:
        Path(glance.path, "..", "stop").touch()
        out, _ = child.communicate(timeout=60)
    assert pruned > 200
    assert child.returncode == 0
    assert int(out) > 0  # Glance really wrote while we pruned
    assert_consistent(glance)
    if glance.kind == "xattr":
        from inspector.core.drivers import xattrs

        for image_id in ids_in(glance.path):
            assert xattrs.get_int(Path(glance.path, image_id), "hits") is not None
