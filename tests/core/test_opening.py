"""Opening and listing a cache: the messages a user reads, symlinks on the way to it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inspector.core import CacheUnreadableError, NotACacheError, State, open_cache
from inspector.core.drivers import base as driver_base
from inspector.core.errors import ScanCancelled
from inspector.core.model import Note
from tests.glance_service import GlanceService

IDS = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(1, 6)]


def test_a_cache_reached_through_a_symlink_reads(glance: GlanceService, tmp_path: Path) -> None:
    """/var/lib/glance/image-cache -> /data/cache is common: the path may be a link."""
    glance.cache(IDS[0], b"a" * 10)
    link = tmp_path / "linked-cache"
    os.symlink(glance.path, link)
    cache = open_cache(link)
    assert cache.name == glance.kind
    assert [e.id for e in cache.scan().of_state(State.CACHED)] == [IDS[0]]
    assert cache.state_dir(State.CACHED) == link
    assert cache.state_dir(State.QUEUED) == link / "queue"


def test_every_state_shows_its_links_and_times(glance: GlanceService, tmp_path: Path) -> None:
    target = tmp_path / "t"
    target.write_bytes(b"t" * 7)
    for sub, image_id in (("incomplete", IDS[0]), ("invalid", IDS[1])):
        os.symlink(target, Path(glance.path, sub, image_id))
        os.utime(
            Path(glance.path, sub, image_id), ns=(0, 1_600_000_000 * 10**9), follow_symlinks=False
        )
    glance.fail(IDS[2], b"x" * 3, "checksum mismatch")
    os.utime(Path(glance.path, "invalid", IDS[2]), ns=(0, 1_500_000_000 * 10**9))
    snap = open_cache(glance.path).scan()
    got = {(e.state, e.id): (e.modified_ts, e.note, e.size) for e in snap.entries}
    assert got[(State.INCOMPLETE, IDS[0])] == (1_600_000_000.0, Note.SYMLINK, 7)
    assert got[(State.INVALID, IDS[1])] == (1_600_000_000.0, Note.SYMLINK, 7)
    assert got[(State.INVALID, IDS[2])] == (1_500_000_000.0, None, 3)


def test_incomplete_downloads_are_counted_as_they_are_read(
    glance: GlanceService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(driver_base, "PROGRESS_EVERY", 1)
    glance.start(IDS[0], b"a")
    glance.start(IDS[1], b"b")
    told: list[int] = []

    def progress(n: int) -> None:
        told.append(n)

    open_cache(glance.path).scan(progress)
    assert told == [1, 2, 2]


def test_a_cancelled_scan_says_so(glance: GlanceService) -> None:
    glance.cache(IDS[0], b"a")
    with pytest.raises(ScanCancelled) as info:
        open_cache(glance.path).scan(lambda n: False)
    assert str(info.value) == "The scan was cancelled."


def test_nothing_there_names_what_was_looked_for(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(NotACacheError) as info:
        open_cache(tmp_path)
    assert str(info.value) == (
        f"{tmp_path} does not look like a cache: none of these is there: a cache.db file "
        "(Glance's sqlite driver), Glance's directories with its database (--db URL or "
        "--glance-config FILE), Glance's incomplete/, invalid/ or queue/ directories, "
        "Filetracker's files/ and locks/ directories, a glance-api node's URL (--api URL)."
    )


def test_a_path_that_loops_cannot_be_read(tmp_path: Path) -> None:
    os.symlink(tmp_path / "b", tmp_path / "a")
    os.symlink(tmp_path / "a", tmp_path / "b")
    with pytest.raises(CacheUnreadableError) as info:
        open_cache(tmp_path / "a")
    assert (
        str(info.value) == f"{tmp_path / 'a'} cannot be read: Too many levels of symbolic links."
    )


@pytest.mark.parametrize("kind", ["xattr"])
def test_a_cache_db_that_is_no_database_file_is_named(glance: GlanceService) -> None:
    glance.cache(IDS[0], b"a")
    db = Path(glance.path, "cache.db")
    db.mkdir()
    with pytest.raises(NotACacheError) as info:
        open_cache(glance.path)
    assert str(info.value) == (
        f"{db} is a directory, not Glance's SQLite database: this directory is not a cache "
        "Cache Inspector can open safely."
    )
    db.rmdir()
    os.symlink(Path(glance.path, IDS[0]), db)
    with pytest.raises(NotACacheError) as info:
        open_cache(glance.path)
    assert str(info.value).startswith(f"{db} is not a regular file, not Glance's SQLite database")


@pytest.mark.parametrize("kind", ["xattr"])
def test_two_renamed_databases_are_both_named(glance: GlanceService) -> None:
    glance.cache(IDS[0], b"a")
    Path(glance.path, "a.db").write_bytes(b"")
    Path(glance.path, "b.db").write_bytes(b"")
    with pytest.raises(NotACacheError) as info:
        open_cache(glance.path)
    assert str(info.value).startswith(
        f"{glance.path} has no cache.db but holds a.db, b.db: if that is Glance's sqlite "
        "database under another name (image_cache_sqlite_db), open it with --sqlite-db a.db."
    )


def test_a_cache_without_some_state_directories_reads(glance: GlanceService) -> None:
    """Glance makes its directories when it starts; one missing is an empty state."""
    glance.cache(IDS[0], b"a")
    Path(glance.path, "incomplete").rmdir()
    snap = open_cache(glance.path).scan()
    assert [(e.state, e.id) for e in snap.entries] == [(State.CACHED, IDS[0])]
    assert snap.warnings == ()
