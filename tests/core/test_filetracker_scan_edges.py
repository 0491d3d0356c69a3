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
from inspector.core.drivers.registry import open_source
from inspector.core.errors import CacheUnreadableError
from tests.filetracker_service import FiletrackerStore
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
