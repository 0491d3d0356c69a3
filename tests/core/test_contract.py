"""One contract, every driver: caches written by the real Glance drivers."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC
from pathlib import Path

import pytest

from inspector.core import State, open_cache, summarize
from inspector.core.model import Note
from tests.glance_service import GlanceService

A = "6d0b5b54-0a0b-4e6b-9a57-0b2b3d0f3a01"
B = "b3c1d2e4-1111-4a2b-8c3d-22e5f6a7b802"
C = "c9e8d7f6-2222-4b3c-9d4e-33f6a7b8c903"
BAD = "deadbeef-3333-4c4d-8e5f-44a7b8c9da04"
Q1 = "11111111-4444-4d5e-9f60-55b8c9dae105"
Q2 = "22222222-5555-4e6f-8071-66c9daebf206"
BUSY = "33333333-6666-4f70-9182-77daebfc0307"


@pytest.fixture
def populated(glance: GlanceService) -> GlanceService:
    glance.cache(A, b"a" * 1000)
    glance.cache(B, b"b" * 2000)
    glance.cache(C, b"c" * 3000)
    glance.read(A, times=2)
    glance.read(B)
    glance.fail(BAD, b"x" * 500, "checksum mismatch")
    assert glance.queue(Q2)
    assert glance.queue(Q1)
    # Q2 was queued first by the clock, Q1 comes first by name: the queue is
    # mtime order, not name order.
    os.utime(Path(glance.path, "queue", Q2), (1_700_000_000, 1_700_000_000))
    os.utime(Path(glance.path, "queue", Q1), (1_700_000_100, 1_700_000_100))
    glance.start(BUSY, b"p" * 700)
    return glance


def test_detects_the_driver_glance_used(populated: GlanceService) -> None:
    assert open_cache(populated.path).name == populated.kind


def test_entries_match_what_glance_reports(populated: GlanceService) -> None:
    snap = open_cache(populated.path).scan()
    by_state = {s: {e.id: e for e in snap.of_state(s)} for s in State}

    assert set(by_state[State.CACHED]) == {A, B, C}
    glance_rows = {r["image_id"]: r for r in populated.cached_images()}
    for image_id, e in by_state[State.CACHED].items():
        assert (
            e.size
            == glance_rows[image_id]["size"]
            == os.path.getsize(Path(populated.path, image_id))
        )
        assert e.hits == populated.hit_count(image_id)
        assert e.last_modified is not None and e.last_modified.tzinfo is UTC
        assert e.last_accessed is not None and e.last_accessed.tzinfo is UTC
        assert e.last_modified.timestamp() == pytest.approx(
            float(glance_rows[image_id]["last_modified"])
        )
        assert e.last_accessed.timestamp() == pytest.approx(
            float(glance_rows[image_id]["last_accessed"])
        )
        assert e.note is None
    assert [by_state[State.CACHED][i].hits for i in (A, B, C)] == [2, 1, 0]

    assert [e.id for e in sorted(snap.of_state(State.QUEUED), key=lambda e: e.position or 0)] == (
        populated.queued()
    )
    assert populated.queued() == [Q2, Q1]
    assert by_state[State.QUEUED][Q2].position == 1  # counted from 1, as the window shows
    assert by_state[State.QUEUED][Q1].position == 2

    assert set(by_state[State.INCOMPLETE]) == {BUSY}
    assert by_state[State.INCOMPLETE][BUSY].size == 700

    assert set(by_state[State.INVALID]) == {BAD}
    invalid = by_state[State.INVALID][BAD]
    assert invalid.size == 500
    # Only the xattr driver records why a download failed.
    assert invalid.error == ("checksum mismatch" if populated.kind == "xattr" else None)


def test_service_files_are_not_images(populated: GlanceService) -> None:
    snap = open_cache(populated.path).scan()
    ids = {e.id for e in snap.entries}
    assert not ids & {"cache.db", "image_cache_db_init", "incomplete", "invalid", "queue"}


def test_summary_matches_glance_cache_size(populated: GlanceService) -> None:
    s = summarize(open_cache(populated.path).scan().entries)
    assert s.total_size == populated.cache_size() == 6000
    assert s.hits == 3
    assert s.unknown_hits == 0
    counts = {st: s.totals(st).count for st in State}
    assert counts == {State.CACHED: 3, State.QUEUED: 2, State.INCOMPLETE: 1, State.INVALID: 1}
    assert s.totals(State.INVALID).bytes == 500


def _read_noatime(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOATIME)
    try:
        return os.read(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def _disk_state(paths: list[str]) -> dict[str, tuple[int, int | None, int, bytes]]:
    """Each path's size, atime, mtime and, for the database, its bytes.

    SQLite opens the database itself, so its atime is the one left out: the
    LRU clock that matters is the image files' atime.
    """
    found: dict[str, tuple[int, int | None, int, bytes]] = {}
    for p in paths:
        st = os.lstat(p)
        is_db = os.path.basename(p).startswith("cache.db")
        content = _read_noatime(p) if is_db else b""
        found[p] = (st.st_size, None if is_db else st.st_atime_ns, st.st_mtime_ns, content)
    return found


def test_opening_and_scanning_write_nothing(populated: GlanceService) -> None:
    paths = []
    for dirpath, dirnames, filenames in os.walk(populated.path):
        paths += [os.path.join(dirpath, n) for n in [".", *dirnames, *filenames]]
    # Age every atime, so that any read (relatime included) would move it.
    for p in paths:
        st = os.lstat(p)
        os.utime(p, ns=(st.st_mtime_ns - 10**12, st.st_mtime_ns), follow_symlinks=False)
    before = _disk_state(paths)
    cache = open_cache(populated.path)
    summarize(cache.scan().entries)
    after = _disk_state(paths)
    assert after == before
    assert sorted(after) == sorted(
        os.path.join(d, n) for d, ds, fs in os.walk(populated.path) for n in [".", *ds, *fs]
    )


def test_new_entries_show_on_the_next_scan(populated: GlanceService) -> None:
    cache = open_cache(populated.path)
    first = {e.id for e in cache.scan().of_state(State.CACHED)}
    populated.cache("44444444-7777-4081-a293-88ebfc0d1408", b"n" * 10)
    second = {e.id for e in cache.scan().of_state(State.CACHED)}
    assert second - first == {"44444444-7777-4081-a293-88ebfc0d1408"}


def test_sqlite_inconsistencies_are_flagged(tmp_path: Path) -> None:
    from inspector.core.demo import DemoSpec, build_demo_cache

    root = build_demo_cache(
        tmp_path / "c", "sqlite", DemoSpec(cached=3, queued=0, incomplete=0, stalled=0, invalid=0)
    )
    rows = [
        r[0]
        for r in sqlite3.connect(root / "cache.db").execute("SELECT image_id FROM cached_images")
    ]
    os.unlink(root / rows[0])  # a row whose file is gone
    (root / "0f0f0f0f-0000-4000-8000-000000000000").write_bytes(b"z" * 42)  # a file without a row
    notes = {e.id: e.note for e in open_cache(root).scan().entries}
    assert notes[rows[0]] is Note.ROW_WITHOUT_FILE
    assert notes["0f0f0f0f-0000-4000-8000-000000000000"] is Note.FILE_WITHOUT_ROW
    assert notes[rows[1]] is None
