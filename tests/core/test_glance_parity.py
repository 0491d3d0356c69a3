"""Parity with Glance's own code: prune plans, hits and queue order, decided by Glance.

Every cache here is written by Glance's drivers (``tests/glance_service.py``),
and every expected answer comes from running Glance's own code on it: its
pruner (``ImageCache.prune``) on an identical cache built the same way, its
``get_queued_images`` and ``get_hit_count``.  Each test names the bug in the
inspector it exists to catch.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from inspector.core import State, actions, open_cache, summarize
from inspector.core.model import Note
from tests.glance_service import GlanceService

CLI = str(Path(sys.executable).parent / "cache-inspector-cli")

#: A whole second (2023-11-14 22:13:20 UTC), in nanoseconds.
S = 1_700_000_000 * 10**9
MS = 10**6

A = "a0000000-0000-4000-8000-00000000000a"
B = "b0000000-0000-4000-8000-00000000000b"
C = "c0000000-0000-4000-8000-00000000000c"
D = "d0000000-0000-4000-8000-00000000000d"

#: (image id, size, last access in ns), in the order Glance caches them.
Image = tuple[str, int, int]


def fill(service: GlanceService, images: Sequence[Image]) -> GlanceService:
    """Cache ``images`` through Glance's driver, then set their last access."""
    for image_id, size, _ in images:
        service.cache(image_id, bytes(size))
    for image_id, _, accessed_ns in images:
        service.set_accessed(image_id, accessed_ns)
    return service


def glance_evicts(kind: str, where: Path, images: Sequence[Image], max_size: int) -> list[str]:
    """What Glance's own pruner deletes, in order, from a fresh cache like ``images``."""
    return fill(GlanceService(kind, str(where)), images).glance_prune(max_size)


def planned(service: GlanceService, max_size: int) -> list[str]:
    """The ids of the inspector's prune plan, in order."""
    cache = open_cache(service.path)
    return [e.id for e in actions.plan_prune(cache, cache.scan().entries, max_size).entries]


def plan_both_ways(service: GlanceService, max_size: int) -> tuple[list[str], list[str]]:
    """The plan from the scan as listed and from the scan reversed.

    A sort that leaves ties in input order gives two different answers: at
    most one of them can be Glance's.
    """
    cache = open_cache(service.path)
    entries = list(cache.scan().entries)
    return (
        [e.id for e in actions.plan_prune(cache, entries, max_size).entries],
        [e.id for e in actions.plan_prune(cache, entries[::-1], max_size).entries],
    )


# -- 1. xattr: atimes in one whole second -------------------------------------

#: One whole second; sizes in the opposite order to the names, and the
#: sub-second fractions ordered like the names (the opposite of Glance's order).
SIZES_AGAINST_NAMES = [
    (A, 3000, S + 100 * MS),
    (B, 2000, S + 500 * MS),
    (C, 1000, S + 900 * MS),
]
#: One whole second and one size: only the name decides, the fractions disagree.
EQUAL_SIZES = [
    (C, 2000, S + 100 * MS),
    (B, 2000, S + 500 * MS),
    (A, 2000, S + 900 * MS),
]


@pytest.mark.parametrize("kind", ["xattr"])
@pytest.mark.parametrize(
    ("images", "max_size", "glance_order"),
    [
        pytest.param(SIZES_AGAINST_NAMES, 5000, [C], id="sizes-evict-one"),
        pytest.param(SIZES_AGAINST_NAMES, 3000, [C, B], id="sizes-evict-two"),
        pytest.param(SIZES_AGAINST_NAMES, 0, [C, B, A], id="sizes-evict-all"),
        pytest.param(EQUAL_SIZES, 4000, [A], id="names-evict-one"),
        pytest.param(EQUAL_SIZES, 2000, [A, B], id="names-evict-two"),
    ],
)
def test_xattr_ties_within_one_second_follow_glance(
    glance: GlanceService,
    tmp_path: Path,
    images: list[Image],
    max_size: int,
    glance_order: list[str],
) -> None:
    """Kills: XattrDriver.eviction_order without its size or id tie-breakers
    (ties then keep scan order), or comparing float atimes, not whole seconds."""
    fill(glance, images)
    as_listed, reversed_ = plan_both_ways(glance, max_size)
    evicted = glance_evicts("xattr", tmp_path / "copy", images, max_size)
    assert evicted == glance_order  # what Glance does (stat's ST_ATIME, then size, then path)
    assert as_listed == evicted
    assert reversed_ == evicted


@pytest.mark.parametrize("kind", ["xattr"])
def test_xattr_atime_a_few_ns_before_a_whole_second(glance: GlanceService, tmp_path: Path) -> None:
    """A real bug: whole seconds must be taken from the nanoseconds, not a rounded float."""
    images = [
        (A, 3000, S - 50),  # the last 50 ns of the second before S
        (B, 1000, S + 10),  # S itself: strictly later, in Glance's whole seconds
    ]
    fill(glance, images)
    assert glance_evicts("xattr", tmp_path / "copy", images, 3000) == [A]
    assert planned(glance, 3000) == [A]


@pytest.mark.parametrize("kind", ["xattr"])
def test_xattr_symlinks_are_ordered_as_glance_sees_them(
    glance: GlanceService, tmp_path: Path
) -> None:
    """A real (if rare) divergence: symlinked images in an xattr cache."""
    glance.cache(A, bytes(1000))
    glance.set_accessed(A, S + 100 * 10**9)
    target = tmp_path / "outside.img"
    target.write_bytes(bytes(2000))
    os.utime(target, ns=(S, S))  # older than A: Glance evicts the link first
    os.symlink(target, Path(glance.path, D))
    os.symlink(tmp_path / "nowhere", Path(glance.path, C))
    cache = open_cache(glance.path)
    entries = cache.scan().entries
    assert actions.cached_bytes(entries) == glance.cache_size() == 3000  # the dangling: 0
    link = next(e for e in entries if e.id == D)
    assert link.accessed_ts is not None and link.note is Note.SYMLINK  # shown as itself
    plan = planned(glance, 0)
    assert glance.glance_prune(0) == [D, A]
    assert plan == [D, A]


# -- 2. The exact boundary: Glance prunes while size > max ----------------------

#: Oldest first, in whole seconds apart; the names are not in access order.
LRU = [
    (C, 1000, S + 10 * 10**9),
    (A, 2000, S + 20 * 10**9),
    (D, 3000, S + 30 * 10**9),
    (B, 4000, S + 40 * 10**9),
]


@pytest.mark.parametrize(
    ("max_size", "count"),
    [
        pytest.param(10_000, 0, id="at-the-total"),
        pytest.param(9_000, 1, id="exact-after-one"),
        pytest.param(7_000, 2, id="exact-after-two"),
        pytest.param(6_999, 3, id="one-byte-under"),
        pytest.param(4_000, 3, id="exact-after-three"),
        pytest.param(0, 4, id="to-zero"),
    ],
)
def test_prune_stops_exactly_at_the_target(
    glance: GlanceService, tmp_path: Path, max_size: int, count: int
) -> None:
    """Kills: plan_prune's ``remaining <= max_size`` made ``<`` (one eviction too many
    when the evictions land exactly on the target)."""
    fill(glance, LRU)
    cache = open_cache(glance.path)
    plan = actions.plan_prune(cache, cache.scan().entries, max_size)
    evicted = glance_evicts(glance.kind, tmp_path / "copy", LRU, max_size)
    assert [e.id for e in plan.entries] == evicted
    assert evicted == [C, A, D, B][:count]
    assert plan.total_before == 10_000
    assert plan.total_after == 10_000 - sum(size for _, size, _ in LRU[:count])


# -- 3. A cached file without user.hits -----------------------------------------


@pytest.mark.parametrize("kind", ["xattr"])
def test_missing_hits_xattr_is_unknown_not_zero(glance: GlanceService) -> None:
    """Kills: reading a missing ``user.hits`` as 0 (it is unknown: ``None``)."""
    glance.cache(A, b"a" * 100)
    glance.cache(B, b"b" * 200)
    glance.cache(C, b"c" * 300)
    glance.read(A, times=2)
    glance.read(B, times=3)
    os.removexattr(Path(glance.path, B), "user.hits")
    entries = open_cache(glance.path).scan().entries
    hits = {e.id: e.hits for e in entries if e.state is State.CACHED}
    assert hits == {A: 2, B: None, C: 0}
    assert hits[A] == glance.hit_count(A)
    assert hits[C] == glance.hit_count(C) == 0  # a real zero, which B's is not
    summary = summarize(entries)
    assert summary.unknown_hits == 1
    assert summary.hits == 2


# -- 4. The prefetch queue is in mtime order ------------------------------------

Q = [f"0{n}000000-0000-4000-8000-00000000000{n}" for n in range(1, 7)]


def test_queue_positions_follow_glances_mtime_order(glance: GlanceService) -> None:
    """Kills: ordering the queue by name (or by whole-second mtimes)."""
    for image_id in Q:
        assert glance.queue(image_id)
    # The mtime order is the reverse of the name order, within one second for
    # three of them; the last two tie on mtime, where Glance takes the name.
    mtimes = [S + 2 * 10**9, S + 500 * MS, S + 250 * MS, S, S + 5 * 10**9, S + 5 * 10**9]
    for image_id, mtime in zip(Q, mtimes, strict=True):
        os.utime(Path(glance.path, "queue", image_id), ns=(mtime, mtime))
    expected = [Q[3], Q[2], Q[1], Q[0], Q[4], Q[5]]
    assert glance.queued() == expected
    queued = open_cache(glance.path).scan().of_state(State.QUEUED)
    by_position = sorted(queued, key=lambda e: e.position if e.position is not None else -1)
    assert [e.id for e in by_position] == expected
    assert len({e.position for e in queued}) == len(Q)


# -- 5. sqlite: equal last_accessed, ties in table order -------------------------

#: Inserted in this order (rowid order), not id order; three legacy rows with
#: last_accessed = 0 (Glance before 2023) and three tied on one timestamp.
TIED_ROWS = [
    ("f0000000-0000-4000-8000-00000000000f", 1000, 0),
    ("30000000-0000-4000-8000-000000000003", 2000, S),
    ("a0000000-0000-4000-8000-00000000000a", 3000, 0),
    ("00000000-0000-4000-8000-000000000000", 4000, 0),
    ("c0000000-0000-4000-8000-00000000000c", 5000, S),
    ("10000000-0000-4000-8000-000000000001", 6000, S),
]


@pytest.mark.parametrize("kind", ["sqlite"])
@pytest.mark.parametrize("max_size", [0, 17_000, 13_000])
def test_sqlite_ties_follow_table_order(
    glance: GlanceService, tmp_path: Path, max_size: int
) -> None:
    """Kills: breaking equal ``last_accessed`` by image id instead of rowid."""
    fill(glance, TIED_ROWS)
    conn = sqlite3.connect(glance.driver.db_path)  # Glance's rows, in insertion order
    try:
        stored = conn.execute("SELECT image_id, last_accessed FROM cached_images ORDER BY rowid")
        assert [(i, float(t)) for i, t in stored] == [(i, ns / 1e9) for i, _, ns in TIED_ROWS]
    finally:
        conn.close()
    as_listed, reversed_ = plan_both_ways(glance, max_size)
    evicted = glance_evicts("sqlite", tmp_path / "copy", TIED_ROWS, max_size)
    rowid_order = [TIED_ROWS[k][0] for k in (0, 2, 3, 1, 4, 5)]
    assert evicted == rowid_order[: len(evicted)]
    assert len(evicted) == {0: 6, 17_000: 2, 13_000: 3}[max_size]
    assert as_listed == evicted
    assert reversed_ == evicted


@pytest.mark.parametrize("kind", ["sqlite"])
def test_sqlite_null_last_accessed_goes_first(glance: GlanceService) -> None:
    """Kills: reading a NULL last_accessed as 0 for the order (SQLite's ORDER BY puts
    NULL before every number, a legacy 0 included, so Glance evicts it first)."""
    fill(glance, [(A, 1000, 0), (B, 2000, S)])
    glance.sql("UPDATE cached_images SET last_accessed = NULL WHERE image_id = ?", B)
    plan = planned(glance, 2000)
    assert glance.glance_prune(2000) == [B]
    assert plan == [B]


# -- 6. Second guards ------------------------------------------------------------


def test_eviction_order_is_glances_whole_order(glance: GlanceService) -> None:
    """Kills: the eviction order reversed (newest first), checked over the whole order."""
    images = [
        (B, 500, S + 40 * 10**9),
        (D, 4000, S + 10 * 10**9),
        (A, 3000, S + 30 * 10**9),
        (C, 100, S + 20 * 10**9),
    ]
    fill(glance, images)
    cache = open_cache(glance.path)
    order = [e.id for e in cache.eviction_order(cache.scan().entries)]
    partial = planned(glance, 3500)
    assert glance.glance_prune(0) == order == [D, C, A, B]
    assert partial == [D, C]


def _read_noatime(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOATIME)
    try:
        return os.read(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def disk_snapshot(root: str) -> dict[str, Any]:
    """Every name under ``root`` with its type, size, times and xattrs, and the db rows.

    The database's own atime is left out (SQLite reads it); its bytes are in.
    """
    found: dict[str, Any] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [".", *dirnames, *filenames]:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            is_db = name.startswith("cache.db")
            attrs = {
                k: os.getxattr(p, k, follow_symlinks=False)
                for k in os.listxattr(p, follow_symlinks=False)
            }
            found[os.path.relpath(p, root)] = (
                st.st_mode,
                st.st_size,
                st.st_mtime_ns,
                None if is_db else st.st_atime_ns,
                attrs,
                _read_noatime(p) if is_db else None,
            )
    db = os.path.join(root, "cache.db")
    if os.path.exists(db):
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            found["rows"] = conn.execute(
                "SELECT rowid, * FROM cached_images ORDER BY rowid"
            ).fetchall()
        finally:
            conn.close()
    return found


def test_prune_dry_run_changes_nothing(glance: GlanceService) -> None:
    """Kills: ``prune --dry-run`` evicting (or touching) anything."""
    fill(glance, LRU)
    glance.read(B)  # a hit
    assert glance.queue(Q[0])
    glance.fail(Q[1], b"x" * 50, "checksum mismatch")
    glance.start(Q[2], b"p" * 70)
    if glance.kind == "xattr":  # the access order again, after the read
        glance.set_accessed(B, S + 40 * 10**9)
    # Every other atime before its mtime: relatime would move it on any read.
    for dirpath, dirnames, filenames in os.walk(glance.path):
        for name in [".", *dirnames, *filenames]:
            p = os.path.join(dirpath, name)
            if glance.kind == "xattr" and dirpath == glance.path and name in {C, A, D, B}:
                continue  # their atimes are the access order, and old already
            st = os.lstat(p)
            os.utime(p, ns=(st.st_mtime_ns - 10**12, st.st_mtime_ns), follow_symlinks=False)
    before = disk_snapshot(glance.path)
    r = subprocess.run(
        [CLI, "prune", glance.path, "--max-size", "7000", "--dry-run", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert r.returncode == 0, r.stderr
    assert disk_snapshot(glance.path) == before
    doc = json.loads(r.stdout)
    assert doc["dry_run"] is True
    assert [e["id"] for e in doc["entries"]] == glance.glance_prune(7000) == [C, A]


@pytest.mark.parametrize("kind", ["sqlite"])
def test_a_delete_waits_for_a_writer_holding_the_database(glance: GlanceService) -> None:
    """Kills: no (or a too short) busy timeout on the inspector's write connection."""
    glance.cache(A, b"a" * 100)
    glance.cache(B, b"b" * 200)
    cache = open_cache(glance.path)
    [victim] = [e for e in cache.scan().entries if e.id == A]
    holding = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:  # like Glance's open_for_read, holding the lock for a second
        try:
            conn = sqlite3.connect(glance.driver.db_path, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("UPDATE cached_images SET hits = hits + 1 WHERE image_id = ?", (B,))
                holding.set()
                time.sleep(1.0)
                conn.execute("COMMIT")
            finally:
                conn.close()
        except BaseException as exc:
            errors.append(exc)
            holding.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        result = actions.delete(cache, [victim])
        waited = time.monotonic() - started
    finally:
        thread.join(10)
    assert not errors
    assert result.ok, result  # not failed, not ended by a busy database
    assert result.done == 1
    assert waited >= 0.5  # it did wait for the lock, and then succeeded
    assert [r["image_id"] for r in glance.cached_images()] == [B]
    assert not Path(glance.path, A).exists()
    assert glance.hit_count(B) == 1  # the writer's change was kept


def test_state_dirs_swapped_for_symlinks_after_the_scan(
    glance: GlanceService, tmp_path: Path
) -> None:
    """Kills: opening a state directory without O_NOFOLLOW, at deletion (the entries were
    listed before ``queue`` and ``invalid`` became symlinks to directories outside the
    cache holding files of the same names) or at the next scan (listing them)."""
    glance.cache(A, b"a" * 10)
    assert glance.queue(B)
    glance.fail(C, b"c" * 30, "checksum mismatch")
    cache = open_cache(glance.path)
    listed = cache.scan().entries
    clean_plan = actions.plan_clean(listed, stall_time=0)
    assert {(e.state, e.id) for e in listed} == {
        (State.CACHED, A),
        (State.QUEUED, B),
        (State.INVALID, C),
    }
    outside = {"queue": tmp_path / "outside-queue", "invalid": tmp_path / "outside-invalid"}
    for sub, where in outside.items():
        where.mkdir()
        for name in (B, C):
            (where / name).write_bytes(b"keep " + sub.encode())
        shutil.rmtree(Path(glance.path, sub))
        os.symlink(where, Path(glance.path, sub))

    actions.clean(cache, clean_plan)
    actions.delete(cache, listed)
    rescanned = cache.scan().entries
    assert [e.id for e in rescanned] == []  # A went; nothing listed through the links
    for argv in (["delete", "--all", "--state", "queue"], ["clean", "--stall-time", "0"]):
        subprocess.run(
            [CLI, argv[0], glance.path, *argv[1:], "--yes"],
            capture_output=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    for sub, where in outside.items():
        assert sorted(p.name for p in where.iterdir()) == sorted([B, C])
        for name in (B, C):
            assert (where / name).read_bytes() == b"keep " + sub.encode()
        assert Path(glance.path, sub).is_symlink()


@pytest.mark.parametrize("kind", ["xattr"])
def test_xattr_links_in_the_same_second_and_to_directories(
    glance: GlanceService, tmp_path: Path
) -> None:
    """Through a link Glance compares the target's whole second with the files' (a link
    late in a second ties with a file early in it), and a link to a directory is neither
    counted in the cache's size nor evicted."""
    glance.cache(A, bytes(3000))
    glance.set_accessed(A, S + 100 * MS)  # the same second as the link's target
    glance.cache(B, bytes(2500))
    glance.set_accessed(B, S - 10**9)  # one whole second earlier: first, though larger
    target = tmp_path / "outside.img"
    target.write_bytes(bytes(2000))
    os.utime(target, ns=(S + 900 * MS, S))
    os.symlink(target, Path(glance.path, D))
    (tmp_path / "a-directory").mkdir()
    os.utime(tmp_path / "a-directory", ns=(S - 100 * 10**9, S))  # the oldest atime of all
    os.symlink(tmp_path / "a-directory", Path(glance.path, C))
    cache = open_cache(glance.path)
    entries = cache.scan().entries
    assert actions.cached_bytes(entries) == glance.cache_size() == 7500
    plan = actions.plan_prune(cache, entries, 1000)
    assert glance.glance_prune(1000) == [B, D, A]  # B older; then D (smaller) ties with A
    assert [e.id for e in plan.entries] == [B, D, A]
