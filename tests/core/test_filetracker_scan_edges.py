"""A Filetracker store's scan: what it reports, and what it says when the store changed under it.

The store is written by the real Filetracker client, opened, then changed the
way an operator or another tool changes it before the window's next refresh.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from inspector.core import CacheSource
from inspector.core.drivers import base
from inspector.core.drivers.base import CacheDriver
from inspector.core.drivers.registry import open_source
from inspector.core.errors import CacheUnreadableError
from inspector.core.model import Entry
from inspector.core.session import read
from tests.filetracker_service import FiletrackerStore, hold_lock
from tests.writers.filetracker import require_filetracker

pytestmark = pytest.mark.glance


@pytest.fixture
def store(tmp_path: Path) -> FiletrackerStore:
    require_filetracker()
    s = FiletrackerStore(tmp_path / "store")
    s.put("/p/a.in", b"a" * 100, version=1_000)
    s.put("/p/q/b.in", b"b" * 50, version=1_500)
    s.put("/c.in", b"c" * 10, version=2_000)
    return s


def test_a_scan_names_its_store_and_kind_and_reports_its_count_at_the_end(
    store: FiletrackerStore,
) -> None:
    driver = open_source(CacheSource.at(store.cache_dir))
    told: list[int] = []
    snapshot = driver.scan(told.append)
    assert (snapshot.path, snapshot.driver) == (Path(store.cache_dir), "filetracker")
    assert sorted(e.id for e in snapshot.entries) == ["/c.in", "/p/a.in", "/p/q/b.in"]
    assert told == [3]


@pytest.mark.parametrize("gone", ["files", "locks"])
def test_a_store_whose_folder_went_away_since_it_was_opened_cannot_be_read(
    store: FiletrackerStore, gone: str
) -> None:
    driver = open_source(CacheSource.at(store.cache_dir))
    shutil.rmtree(Path(store.cache_dir) / gone)
    with pytest.raises(CacheUnreadableError) as caught:
        driver.scan()
    assert str(caught.value) == f"{store.cache_dir} cannot be read: No such file or directory."


def test_a_files_folder_made_a_symbolic_link_is_not_followed(
    store: FiletrackerStore, tmp_path: Path
) -> None:
    driver = open_source(CacheSource.at(store.cache_dir))
    files = Path(store.cache_dir) / "files"
    os.rename(files, tmp_path / "elsewhere")
    files.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(CacheUnreadableError) as caught:
        driver.scan()
    assert str(caught.value) == f"{files} cannot be read: Not a directory."


def test_names_with_an_at_sign_are_not_shown_and_are_counted(store: FiletrackerStore) -> None:
    """The client refuses such names (it reads what follows ``@`` as a version): files under
    a folder so named, or so named themselves, were not written by a client."""
    files = Path(store.cache_dir) / "files"
    for rel in ("a@1/x.in", "a@1/y.in", "p/b@2/x.in", "p/b@2/y.in", "p/b@2/z.in", "p/c@3"):
        (files / rel).parent.mkdir(parents=True, exist_ok=True)
        (files / rel).write_bytes(b"not from a client")
    snapshot = open_source(CacheSource.at(store.cache_dir)).scan()
    assert sorted(e.id for e in snapshot.entries) == ["/c.in", "/p/a.in", "/p/q/b.in"]
    assert snapshot.warnings == (
        f"6 files in {files} have an '@' in their path: no Filetracker client writes such "
        "names; they are not shown or changed.",
    )


def test_the_first_rows_of_a_reading_are_shown_while_the_rest_is_read(
    store: FiletrackerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store of a million files takes seconds to list: the window is handed the rows
    found so far, once, early (here at once, after every folder)."""
    monkeypatch.setattr(base, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(base, "PEEK_AFTER_S", 0.0)
    seen: list[tuple[str, list[str]]] = []

    def peek(driver: CacheDriver, rows: list[Entry]) -> None:
        seen.append((driver.name, [e.id for e in rows]))

    reading = read(CacheSource.at(store.cache_dir), peek=peek)
    reading.driver.close()
    [(kind, first)] = seen
    assert kind == "filetracker" and 0 < len(first) < 3
    assert first == [e.id for e in reading.snapshot.entries][: len(first)]


def test_names_under_a_lock_folder_that_loops_are_free(store: FiletrackerStore) -> None:
    """``locks/p`` a link to itself: no client can make or take a lock below it (its
    ``makedirs`` fails), so no name under ``p`` is held."""
    locks = Path(store.cache_dir) / "locks" / "p"
    shutil.rmtree(locks)
    locks.symlink_to("p")
    entries = open_source(CacheSource.at(store.cache_dir)).scan().entries
    assert sorted((e.id, e.locked) for e in entries) == [
        ("/c.in", False),
        ("/p/a.in", False),
        ("/p/q/b.in", False),
    ]


def test_a_name_locked_through_a_linked_lock_folder_is_not_shown_as_free(
    store: FiletrackerStore, tmp_path: Path
) -> None:
    """The client follows ``locks/p`` wherever it leads; the scan does not (it never
    follows a link), so it cannot tell whether ``/p/a.in`` is held."""
    locks = Path(store.cache_dir) / "locks" / "p"
    shutil.move(locks, tmp_path / "elsewhere")
    locks.symlink_to(tmp_path / "elsewhere")
    with hold_lock(store.cache_dir, "/p/a.in", "exclusive"):
        entries = {e.id: e for e in open_source(CacheSource.at(store.cache_dir)).scan().entries}
    assert entries["/p/a.in"].locked is not False
