"""Bad input gets a clear error, and nothing on disk changes."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.core import (
    CacheBusyError,
    CacheNotFoundError,
    CorruptDatabaseError,
    NotACacheError,
    State,
    open_cache,
)
from inspector.core.demo import DemoSpec, build_demo_cache
from inspector.core.drivers import base as driver_mod
from inspector.core.drivers.glance import sqlite as glance_sqlite
from inspector.core.errors import ScanCancelled
from tests.core.mounting import mounted

SMALL = DemoSpec(cached=20, queued=3, incomplete=2, stalled=1, invalid=2, cached_bytes=2 << 20)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(CacheNotFoundError, match="does not exist"):
        open_cache(tmp_path / "nope")


def test_a_file_is_not_a_cache(tmp_path: Path) -> None:
    f = tmp_path / "image.qcow2"
    f.write_bytes(b"QFI\xfb")
    with pytest.raises(NotACacheError, match="is a file"):
        open_cache(f)


def test_a_plain_directory_is_not_a_cache(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(NotACacheError, match="does not look like a cache"):
        open_cache(tmp_path)
    with pytest.raises(NotACacheError):
        open_cache(tmp_path, driver="xattr")
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


def test_unknown_driver(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="known kinds: sqlite, xattr"):
        open_cache(tmp_path, driver="redis")


def test_corrupt_database_is_reported_and_left_alone(tmp_path: Path) -> None:
    root = build_demo_cache(tmp_path / "c", "sqlite", SMALL)
    garbage = b"this is not an sqlite database" * 100
    (root / "cache.db").write_bytes(garbage)
    with pytest.raises(CorruptDatabaseError, match="not a usable Glance cache database"):
        open_cache(root).scan()
    assert (root / "cache.db").read_bytes() == garbage


def test_database_without_the_table(tmp_path: Path) -> None:
    root = build_demo_cache(tmp_path / "c", "sqlite", SMALL)
    (root / "cache.db").unlink()
    sqlite3.connect(root / "cache.db").execute("CREATE TABLE other (x)").connection.close()
    with pytest.raises(CorruptDatabaseError) as info:
        open_cache(root).scan()
    assert str(info.value) == (
        f"{root / 'cache.db'} is an SQLite database but has no cached_images table: "
        "it is not a Glance image cache database."
    )


def test_locked_database_gives_up_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = build_demo_cache(tmp_path / "c", "sqlite", SMALL)
    monkeypatch.setattr(glance_sqlite, "BUSY_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(root / "cache.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(CacheBusyError, match="locked by another process"):
            open_cache(root).scan()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(open_cache(root).scan().of_state(State.CACHED)) == SMALL.cached


def test_scan_skips_files_that_vanish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file deleted between the listing and its stat is simply not there."""
    root = build_demo_cache(tmp_path / "c", "xattr", SMALL)
    victim = next(p for p in root.iterdir() if p.is_file())
    real_scandir = os.scandir

    class Listing:
        def __init__(self, arg: int) -> None:
            with real_scandir(arg) as it:
                self.entries = list(it)
            victim.unlink(missing_ok=True)  # gone after readdir, before stat

        def __enter__(self) -> Iterator[os.DirEntry[str]]:
            return iter(self.entries)

        def __exit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(driver_mod.os, "scandir", Listing)
    snap = open_cache(root).scan()
    assert victim.name not in {e.id for e in snap.entries}
    assert len(snap.of_state(State.CACHED)) == SMALL.cached - 1


def test_scan_can_be_cancelled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = build_demo_cache(tmp_path / "c", "sqlite", SMALL)
    monkeypatch.setattr(driver_mod, "PROGRESS_EVERY", 5)
    seen = []

    def progress(n: int) -> bool:
        seen.append(n)
        return False

    with pytest.raises(ScanCancelled):
        open_cache(root).scan(progress)
    assert seen == [5]


@pytest.fixture
def no_xattr_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory on ramfs, a real filesystem with no user xattrs (needs root)."""
    with mounted("ramfs", tmp_path / "ramfs", "mounting a filesystem without xattrs") as mnt:
        yield mnt


def test_filesystem_without_xattrs_has_unknown_hits(tmp_path: Path, no_xattr_dir: Path) -> None:
    src = build_demo_cache(tmp_path / "src", "sqlite", SMALL)
    root = no_xattr_dir / "cache"
    shutil.copytree(src, root, ignore=shutil.ignore_patterns("cache.db", "image_cache_db_init"))
    snap = open_cache(root).scan()
    assert snap.driver == "xattr"
    cached = snap.of_state(State.CACHED)
    assert len(cached) == SMALL.cached
    assert all(e.hits is None for e in cached)
    assert any("does not support extended attributes" in w for w in snap.warnings)


def test_demo_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("precious")
    with pytest.raises(FileExistsError):
        build_demo_cache(tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "precious"


def test_scan_runs_alongside_a_writer(tmp_path: Path) -> None:
    """Files appearing and disappearing during scans never break a scan."""
    root = build_demo_cache(tmp_path / "c", "xattr", SMALL)
    stop = threading.Event()

    def churn() -> None:
        i = 0
        while not stop.is_set():
            p = root / "incomplete" / f"churn-{i % 50}"
            p.write_bytes(b"x")
            p.unlink()
            i += 1

    t = threading.Thread(target=churn)
    t.start()
    try:
        for _ in range(50):
            snap = open_cache(root).scan()
            assert len(snap.of_state(State.CACHED)) == SMALL.cached
    finally:
        stop.set()
        t.join()
