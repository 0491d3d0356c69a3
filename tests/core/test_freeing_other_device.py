"""Bytes freed by files whose other links cannot be found: another filesystem inside a store.

The Filetracker scan keeps a file's inode only on the store's own filesystem; a
file with several links on a filesystem mounted inside ``files/`` is known by
its link count alone, and deleting some of its names is said to free nothing
(the rest may hold its data), never a guess from files that merely look alike.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.core import CacheSource, read
from inspector.core.freeing import freed_bytes
from tests.core.mounting import mounted
from tests.filetracker_service import FiletrackerStore, put_links
from tests.writers.filetracker import require_filetracker

pytestmark = pytest.mark.glance  # the real client is in the full test environment only


@pytest.fixture
def store_with_a_mount(tmp_path: Path) -> Iterator[FiletrackerStore]:
    require_filetracker()
    store = FiletrackerStore(tmp_path / "store")
    store.put("/here.in", b"h" * 10, version=1_000)
    with mounted("tmpfs", Path(store.files_dir, "m"), "mounting a filesystem in a store"):
        yield store


def test_names_of_files_linked_on_another_filesystem_free_nothing(
    store_with_a_mount: FiletrackerStore,
) -> None:
    store = store_with_a_mount
    for name in ("/m/p1", "/m/q1"):  # two files alike: the same size and version
        store.put(name, b"x" * 100, version=2_000)
        os.link(store.path(name), store.path(name[:-1] + "2"))
    entries = {e.id: e for e in read(CacheSource.at(store.cache_dir)).snapshot.entries}
    assert {i: e.links for i, e in entries.items()} == {
        "/here.in": 1,
        "/m/p1": 2,
        "/m/p2": 2,
        "/m/q1": 2,
        "/m/q2": 2,
    }
    assert freed_bytes([entries["/m/p1"], entries["/m/q1"]]) == 0  # p2 and q2 keep the data
    assert freed_bytes([entries["/here.in"], entries["/m/p1"]]) == 10
    assert freed_bytes([entries["/m/p1"], entries["/here.in"]]) == 10  # in any order


def test_a_file_of_three_names_frees_its_bytes_only_when_all_three_go(tmp_path: Path) -> None:
    require_filetracker()
    store = FiletrackerStore(tmp_path / "store")
    names = ["/t/one.in", "/t/two.in", "/t/three.in"]
    put_links(store, names, b"t" * 300, version=1_000)
    store.put("/t/alone.in", b"a" * 7, version=1_000)
    entries = {e.id: e for e in read(CacheSource.at(store.cache_dir)).snapshot.entries}
    assert [entries[n].links for n in names] == [3, 3, 3]
    assert freed_bytes([entries[n] for n in names[:2]]) == 0
    assert freed_bytes([entries[n] for n in (*names, "/t/alone.in")]) == 307
