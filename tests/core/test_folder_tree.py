"""The folder tree of a store as the window and ``stats --top`` show it, folder by folder.

A Filetracker store written by the real client (names nested at several
depths, a name locked by another process, a file still linked from the
client's source, two names of one file in folders of different depths), and
a Glance cache with a row whose file is gone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.core import CacheSource, open_source
from inspector.core.tree import Folder, build_tree
from tests.filetracker_service import FiletrackerStore, hold_lock, put_links
from tests.glance_service import GlanceService
from tests.trust_caches import CACHED, data
from tests.writers.filetracker import require_filetracker

pytestmark = pytest.mark.glance


def figures(f: Folder) -> tuple[object, ...]:
    return (
        f.name,
        f.count,
        f.bytes,
        f.freeable,
        f.locked,
        f.newest,
        f.oldest,
        f.own_count,
        f.own_bytes,
        [c.name for c in f.folders],
    )


def test_every_folder_sums_what_is_below_it(tmp_path: Path) -> None:
    require_filetracker()
    store = FiletrackerStore(tmp_path / "store")
    store.put("/flat.bin", b"e" * 10, version=500)
    store.put("/problems/p001/test0001.in", b"a" * 120, version=2_000)
    store.put("/problems/p001/test0002.in", b"b" * 200, version=1_001)
    store.put("/problems/p002/test0001.in", b"c" * 300, version=1_002, keep_source_link=True)
    store.put("/problems/p002/deep/er/x.out", b"d" * 50, version=1_003)
    put_links(store, ["/links/a", "/links/deep/b"], b"t" * 400, version=3_000)
    put_links(store, ["/links/c", "/links/deep/d"], b"u" * 30, version=3_000)
    put_links(store, ["/top", "/problems/p002/twin"], b"v" * 7, version=3_000)
    with (
        hold_lock(store.cache_dir, "/problems/p001/test0002.in", "shared"),
        hold_lock(store.cache_dir, "/problems/p001/test0001.in", "shared"),
    ):
        driver = open_source(CacheSource.at(store.cache_dir))
        entries = driver.scan().entries
        driver.close()
    tree = build_tree(entries)
    assert tree.path == "/"
    got = {f.path: figures(f) for f in tree.walk()}
    # name, count, bytes, freeable, locked, newest, oldest, own count, own bytes, folders.
    # Two names of one file count once, in the folder holding both (the root for /top).
    assert got == {
        "/": ("/", 11, 1554, 817, 2, 3000.0, 500.0, 2, 17, ["links", "problems"]),
        "/links": ("links", 4, 860, 430, 0, 3000.0, 3000.0, 2, 430, ["deep"]),
        "/links/deep": ("deep", 2, 430, 0, 0, 3000.0, 3000.0, 2, 430, []),
        "/problems": ("problems", 5, 677, 370, 2, 3000.0, 1001.0, 0, 0, ["p001", "p002"]),
        "/problems/p001": ("p001", 2, 320, 320, 2, 2000.0, 1001.0, 2, 320, []),
        "/problems/p002": ("p002", 3, 357, 50, 0, 3000.0, 1002.0, 2, 307, ["deep"]),
        "/problems/p002/deep": ("deep", 1, 50, 50, 0, 1003.0, 1003.0, 0, 0, ["er"]),
        "/problems/p002/deep/er": ("er", 1, 50, 50, 0, 1003.0, 1003.0, 1, 50, []),
    }
    assert [f.path for f in tree.walk()] == list(got)  # depth first, parents first, by name


def test_a_row_without_its_file_is_not_counted(glance: GlanceService) -> None:
    for n, image_id in enumerate(CACHED[:4]):
        glance.cache(image_id, data(n))
    Path(glance.path, CACHED[1]).unlink()
    driver = open_source(CacheSource.at(glance.path))
    entries = driver.scan().entries
    driver.close()
    tree = build_tree(entries)
    kept = [data(n) for n in (0, 2, 3)]
    assert (tree.count, tree.bytes, tree.own_count) == (3, sum(map(len, kept)), 3)
    assert tree.folders == ()
