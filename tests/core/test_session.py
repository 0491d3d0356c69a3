"""Opening a source and reading it, as the CLI and the window do first."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from inspector.core import CacheOptions, CacheSource, State, limits_for, open_cache, read
from inspector.core.drivers import base
from inspector.core.drivers.glance.layout import DEFAULT_MAX_SIZE, DEFAULT_STALL_TIME
from inspector.core.model import Note
from tests.core.test_safety import mount_read_only
from tests.filetracker_service import FiletrackerStore
from tests.glance_service import GlanceService
from tests.writers.filetracker import require_filetracker

A = "a0000000-0000-4000-8000-00000000000a"


def test_a_reading_of_a_cache_glance_wrote(glance: GlanceService) -> None:
    glance.cache(A, b"a" * 100)
    glance.read(A, times=2)
    reading = read(CacheSource.at(glance.path))
    assert reading.driver.name == glance.kind
    assert reading.source.path == reading.snapshot.path == Path(glance.path)  # --json's path
    assert [e.id for e in reading.snapshot.entries] == [A]
    assert (reading.summary.total_size, reading.summary.hits) == (100, 2)
    assert reading.summary.totals(State.QUEUED).count == 0
    assert (reading.writable, reading.read_only_reason) == (True, "")
    assert (reading.limits.max_size, reading.limits.stall_time) == (
        DEFAULT_MAX_SIZE,
        DEFAULT_STALL_TIME,
    )
    assert (DEFAULT_MAX_SIZE, DEFAULT_STALL_TIME) == (10 * 1024**3, 86400.0)
    told: list[int] = []
    read(CacheSource.at(glance.path), told.append)
    assert told == [1]


def test_read_only_when_asked(glance: GlanceService) -> None:
    glance.cache(A, b"a")
    reading = read(CacheSource.at(glance.path), read_only=True)
    assert (reading.writable, reading.read_only_reason) == (False, "opened read-only")


def test_read_only_when_the_directory_is(glance: GlanceService) -> None:
    glance.cache(A, b"a")
    for _ in mount_read_only(Path(glance.path)):
        reading = read(CacheSource.at(glance.path))
    assert reading.writable is False
    assert reading.read_only_reason == f"{glance.path} cannot be written by this user"


@pytest.mark.parametrize("kind", ["sqlite"])
def test_read_only_when_the_database_is(glance: GlanceService) -> None:
    glance.cache(A, b"a")
    db = Path(glance.path, "cache.db")
    for _ in mount_read_only(db):
        reading = read(CacheSource.at(glance.path))
    assert (reading.writable, reading.read_only_reason) == (
        False,
        f"{db} cannot be written by this user",
    )


def test_the_sources_own_limits_win() -> None:
    driver = open_cache  # noqa: F841  (the kind's class is enough for the limits)
    from inspector.core.drivers.glance.xattr import XattrDriver

    given = limits_for(XattrDriver, CacheOptions(max_size=5, stall_time=6.0))
    assert (given.max_size, given.stall_time) == (5, 6.0)
    zero = limits_for(XattrDriver, CacheOptions(max_size=0, stall_time=0.0))
    assert (zero.max_size, zero.stall_time) == (0, 0.0)  # zero is a limit, not "unset"
    default = limits_for(XattrDriver, CacheOptions())
    assert (default.max_size, default.stall_time) == (DEFAULT_MAX_SIZE, DEFAULT_STALL_TIME)


def test_open_cache_checks_the_kind_named(glance: GlanceService) -> None:
    glance.cache(A, b"a")
    assert open_cache(glance.path, glance.kind).name == glance.kind
    opts = CacheOptions(sqlite_db="cache.db")
    assert open_cache(Path(glance.path), None, opts).source.options is opts


B = "b0000000-0000-4000-8000-00000000000b"
C = "c0000000-0000-4000-8000-00000000000c"


def test_a_reading_after_another_shares_what_glance_did_not_change(
    glance: GlanceService,
) -> None:
    """A window's refresh held two equal copies of every entry until the old reading
    went (35 MB more at 100,000 entries): the unchanged ones are now the same objects."""
    glance.cache(A, b"a" * 100)
    glance.cache(B, b"b" * 200)
    source = CacheSource.at(glance.path)
    first = read(source)
    before = {e.id: e for e in first.snapshot.entries}
    glance.read(B)  # a hit through Glance: B's metadata changes
    glance.cache(C, b"c" * 300)
    again = read(source, previous=first.snapshot)
    now = {e.id: e for e in again.snapshot.entries}
    assert now[A] is before[A]
    assert now[B] is not before[B]
    assert (now[B].hits, before[B].hits) == (1, 0)
    assert now[C].size == 300
    # field for field what a reading on its own finds
    assert sorted(again.snapshot.entries, key=lambda e: e.id) == sorted(
        read(source).snapshot.entries, key=lambda e: e.id
    )


D = "d0000000-0000-4000-8000-00000000000d"


def test_a_refresh_sees_a_new_last_access_and_a_file_turned_symlink(
    glance: GlanceService, tmp_path: Path
) -> None:
    """Only the last access changed, or only the kind of file: neither is the old entry."""
    glance.cache(A, b"a" * 100)
    glance.cache(D, b"d" * 100)
    if glance.kind == "xattr":  # the one field a symlink is not read for: unknown before too
        os.removexattr(Path(glance.path, D), "user.hits")
    else:
        glance.sql("UPDATE cached_images SET hits = 0")
    source = CacheSource.at(glance.path)
    first = read(source).snapshot
    glance.set_accessed(A, 1_700_000_000 * 10**9)
    moved = tmp_path / "elsewhere"
    os.rename(Path(glance.path, D), moved)  # the same file: its size and times kept
    os.symlink(moved, Path(glance.path, D))
    times = os.stat(moved)  # the link given the file's own times, as `touch -h -r` gives them
    os.utime(
        Path(glance.path, D), ns=(times.st_atime_ns, times.st_mtime_ns), follow_symlinks=False
    )
    again = read(source, previous=first).snapshot
    now = {e.id: e for e in again.entries}
    assert now[A].accessed_ts == 1_700_000_000
    assert now[D].note is Note.SYMLINK


def test_only_a_reading_of_the_same_kind_without_records_is_shared(
    glance: GlanceService,
) -> None:
    glance.cache(A, b"a" * 100)
    source = CacheSource.at(glance.path)
    first = read(source).snapshot
    other = "xattr" if glance.kind == "sqlite" else "sqlite"
    for previous in (replace(first, driver=other), replace(first, image_records=True)):
        again = read(source, previous=previous).snapshot
        assert again.entries == first.entries
        assert again.entries[0] is not first.entries[0]
    assert read(source, previous=first).snapshot.entries[0] is first.entries[0]


def test_a_long_reading_of_a_store_shows_its_first_rows_once_before_it_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a window shows of a big Filetracker store while the rest is read."""
    require_filetracker()
    store = FiletrackerStore(tmp_path / "store")
    names = [f"/p{n}/test.in" for n in range(4)]
    for n, name in enumerate(names):
        store.put(name, b"t" * (n + 1), version=1_000 + n)
    monkeypatch.setattr(base, "PROGRESS_EVERY", 1)  # a report after every directory
    monkeypatch.setattr(base, "PEEK_AFTER_S", 0.0)
    seen: list[list[str]] = []
    reading = read(
        CacheSource.at(store.cache_dir), peek=lambda _d, rows: seen.append([e.id for e in rows])
    )
    assert len(seen) == 1
    assert 0 < len(seen[0]) < 4 and set(seen[0]) < {e.id for e in reading.snapshot.entries}
