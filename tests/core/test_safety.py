"""Nothing is lost on the wrong driver, damaged values or unwritable parts (issue 10).

Every cache here is written by Glance 33's own drivers; each test fails on the
code before the fix it guards.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.core import NotACacheError, State, actions, open_cache, stats, summarize
from inspector.core.errors import InvalidImageIdError
from inspector.core.model import Entry, Note
from tests.glance_service import GlanceService

IDS = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(1, 9)]


def tree(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every path under ``root`` with its size, and the database's bytes."""
    out = {}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        content = p.read_bytes() if p.name.startswith("cache.db") and p.is_file() else b""
        out[str(p.relative_to(root))] = (st.st_size, content)
    return out


def rows(path: str | Path) -> dict[str, tuple[object, ...]]:
    conn = sqlite3.connect(Path(path, "cache.db"))
    try:
        return {r[0]: r for r in conn.execute("SELECT * FROM cached_images")}
    finally:
        conn.close()


@pytest.fixture
def sqlite_cache(tmp_path: Path) -> GlanceService:
    g = GlanceService("sqlite", str(tmp_path / "cache"))
    for n, image_id in enumerate(IDS[:4], 1):
        g.cache(image_id, bytes(n * 100))
    g.read(IDS[0], times=2)
    g.queue(IDS[4])
    g.fail(IDS[5], b"x" * 10, "checksum mismatch")
    return g


@pytest.fixture
def xattr_cache(tmp_path: Path) -> GlanceService:
    g = GlanceService("xattr", str(tmp_path / "cache"))
    for n, image_id in enumerate(IDS[:4], 1):
        g.cache(image_id, bytes(n * 100))
    g.queue(IDS[4])
    return g


def mount_read_only(path: Path) -> Iterator[Path]:
    """``path`` behind a read-only bind mount: not even root can write it."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a read-only bind mount needs root")
    if subprocess.run(["mount", "--bind", str(path), str(path)]).returncode != 0:
        pytest.skip("cannot bind-mount here")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(path)], check=True)
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


# -- 1. a forced driver never shows or touches another kind's files -------------


def test_forcing_xattr_on_a_sqlite_cache_is_refused(sqlite_cache: GlanceService) -> None:
    root = Path(sqlite_cache.path)
    with pytest.raises(NotACacheError, match=r"is a Glance \(sqlite\) cache.*--driver xattr"):
        open_cache(root, driver="xattr")
    assert open_cache(root, driver="sqlite").name == "sqlite"


def test_glance_own_files_are_never_entries_or_victims(sqlite_cache: GlanceService) -> None:
    root = Path(sqlite_cache.path)
    cache = open_cache(root)
    ids = {e.id for e in cache.scan().entries}
    assert not ids & {"cache.db", "image_cache_db_init", "queue", "invalid", "incomplete"}
    before = tree(root)
    forged = [Entry("cache.db", State.CACHED, 1), Entry("image_cache_db_init", State.CACHED, 0)]
    result = actions.delete(cache, forged)
    assert result.done == 0 and len(result.failures) == 2
    assert all("Glance's own" in f.reason for f in result.failures)
    assert tree(root) == before


@pytest.mark.parametrize("name", ["queue", "cache.db", "image_cache_db_init", "glance-cache"])
def test_glance_own_names_are_not_image_ids(sqlite_cache: GlanceService, name: str) -> None:
    cache = open_cache(sqlite_cache.path)
    with pytest.raises(InvalidImageIdError, match="Glance's own"):
        cache.queue_image(name)
    assert not Path(sqlite_cache.path, "queue", name).exists()


# -- 2. a centralized_db node is not an xattr cache --------------------------------


def test_images_without_user_hits_are_refused_as_centralized(xattr_cache: GlanceService) -> None:
    root = Path(xattr_cache.path)
    for image_id in IDS[:4]:
        os.removexattr(root / image_id, "user.hits")
    before = tree(root)
    with pytest.raises(NotACacheError, match="centralized_db") as info:
        open_cache(root)
    assert str(info.value) == (
        f"{root} looks like a node of Glance's centralized_db cache: it has no cache.db, and "
        "none of its 4 cached files carries user.hits, which Glance's xattr driver sets on "
        "every image it caches. Its metadata then lives in Glance's central database, shared "
        "by every glance-api node: changing the files alone would leave that database's rows "
        "behind, so it is not opened as an xattr or sqlite cache. Open it with its database: "
        "--glance-config FILE (the node's glance-api.conf), or --db URL [--node URL] "
        "(glance-api.conf's [database] connection and worker_self_reference_url)."
    )
    with pytest.raises(NotACacheError, match="centralized_db"):
        open_cache(root, driver="xattr")
    assert tree(root) == before


def test_one_image_with_hits_is_enough_for_xattr(xattr_cache: GlanceService) -> None:
    root = Path(xattr_cache.path)
    for image_id in IDS[1:4]:
        os.removexattr(root / image_id, "user.hits")
    snap = open_cache(root).scan()
    hits = {e.id: e.hits for e in snap.of_state(State.CACHED)}
    assert hits[IDS[0]] == 0
    assert [hits[i] for i in IDS[1:4]] == [None, None, None]  # unknown, never zero


def test_a_cache_db_emptied_by_migration_is_refused(sqlite_cache: GlanceService) -> None:
    root = Path(sqlite_cache.path)
    conn = sqlite3.connect(root / "cache.db")
    with conn:
        conn.execute("DELETE FROM cached_images")  # what Glance's migration leaves behind
    conn.close()
    with pytest.raises(NotACacheError) as info:
        open_cache(root)
    assert str(info.value).startswith(
        f"{root} looks like a node of Glance's centralized_db cache: its cache.db has no rows "
        "but 4 images are cached, as Glance leaves a node after migrating its sqlite rows into "
        "the central database on start-up. Its metadata then lives in Glance's central database"
    )


# -- 3. requeue never ends with neither ---------------------------------------------


def test_requeue_with_a_symlinked_queue_keeps_the_image(
    sqlite_cache: GlanceService, tmp_path: Path
) -> None:
    root = Path(sqlite_cache.path)
    cache = open_cache(root)
    entries = cache.scan().entries
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(root / "queue")
    os.symlink(elsewhere, root / "queue")
    [cached] = [e for e in entries if e.id == IDS[1]]
    result = actions.requeue(cache, [cached])
    assert result.done == 0
    [failure] = result.failures
    assert "left as it was" in failure.reason and "symbolic link" in failure.reason
    assert (root / IDS[1]).stat().st_size == 200
    assert IDS[1] in rows(root)
    assert list(elsewhere.iterdir()) == []


def test_requeue_with_a_read_only_queue_keeps_the_image(
    sqlite_cache: GlanceService, tmp_path: Path
) -> None:
    root = Path(sqlite_cache.path)
    cache = open_cache(root)
    [cached] = [e for e in cache.scan().entries if e.id == IDS[2]]
    for _ in mount_read_only(root / "queue"):
        result = actions.requeue(cache, [cached])
    assert result.done == 0 and "left as it was" in result.failures[0].reason
    assert (root / IDS[2]).exists() and IDS[2] in rows(root)


def test_requeue_puts_the_id_in_the_queue_and_the_image_out(sqlite_cache: GlanceService) -> None:
    cache = open_cache(sqlite_cache.path)
    [cached] = [e for e in cache.scan().entries if e.id == IDS[3]]
    result = actions.requeue(cache, [cached])
    assert result.ok and result.queued == (IDS[3],)
    assert sqlite_cache.queued()[-1] == IDS[3]
    assert IDS[3] not in {r["image_id"] for r in sqlite_cache.cached_images()}


# -- 4. a read-only cache.db: no file goes without its row --------------------------


def test_read_only_database_deletes_no_file(sqlite_cache: GlanceService) -> None:
    root = Path(sqlite_cache.path)
    cache = open_cache(root)
    victims = [e for e in cache.scan().of_state(State.CACHED)]
    for _ in mount_read_only(root / "cache.db"):
        result = actions.delete(cache, victims)
    assert result.done == 0
    assert result.error is not None
    assert result.error.startswith(f"{root / 'cache.db'} cannot be written (")
    assert result.error.endswith(
        "): the entry whose row could not be deleted kept its file, and nothing after it "
        "was changed."
    )
    assert all((root / e.id).exists() for e in victims)
    assert set(rows(root)) == {e.id for e in victims}


def test_prune_stops_cleanly_when_the_database_turns_read_only(
    sqlite_cache: GlanceService,
) -> None:
    """Invalid entries go (no row needed); the cached one stays with its row."""
    root = Path(sqlite_cache.path)
    cache = open_cache(root)
    snap = cache.scan()
    mixed = [*snap.of_state(State.INVALID), *snap.of_state(State.CACHED)[:1]]
    for _ in mount_read_only(root / "cache.db"):
        result = actions.delete(cache, mixed)
    assert result.done == 1 and result.error is not None
    assert not (root / "invalid" / IDS[5]).exists()
    cached = mixed[1]
    assert (root / cached.id).exists() and cached.id in rows(root)


# -- 6. values Glance never writes ----------------------------------------------------


def test_damaged_values_are_marked_and_the_rest_reads(
    sqlite_cache: GlanceService, tmp_path: Path
) -> None:
    root = Path(sqlite_cache.path)
    conn = sqlite3.connect(root / "cache.db")
    with conn:
        conn.execute(
            "UPDATE cached_images SET last_accessed = 'yesterday' WHERE image_id = ?", [IDS[0]]
        )
        conn.execute("UPDATE cached_images SET last_accessed = 1e300 WHERE image_id = ?", [IDS[1]])
        conn.execute("UPDATE cached_images SET hits = 'x' WHERE image_id = ?", [IDS[2]])
    conn.close()
    cache = open_cache(root)
    snap = cache.scan()
    by_id = {e.id: e for e in snap.of_state(State.CACHED)}
    assert by_id[IDS[0]].bad_fields == ("last_accessed",)
    assert by_id[IDS[0]].accessed_ts is None and by_id[IDS[0]].hits == 2
    assert by_id[IDS[1]].bad_fields == ("last_accessed",)
    assert by_id[IDS[2]].bad_fields == ("hits",) and by_id[IDS[2]].hits is None
    assert by_id[IDS[3]].bad_fields == () and by_id[IDS[3]].note is None
    assert all(by_id[i].note is Note.BAD_VALUE for i in IDS[:3])
    [warning] = snap.warnings
    assert "'yesterday'" in warning and "1e+300" in warning and "'x'" in warning
    summarize(snap.entries)
    stats.compute(snap.entries, 100, eviction_order=cache.eviction_order(snap.entries))

    # The eviction order is SQLite's own: numbers first (1e300 last of them), then text.
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    plan = actions.plan_prune(cache, snap.entries, 0)
    glance_order = []
    g = GlanceService("sqlite", str(copy))
    while (lra := g.driver.get_least_recently_accessed()) is not None:
        glance_order.append(lra[0])
        g.driver.delete_cached_image(lra[0])
    assert [e.id for e in plan.entries] == glance_order
    assert glance_order[-2:] == [IDS[1], IDS[0]]


# -- 12. messages that say what is wrong ------------------------------------------------


def test_a_cache_db_directory_is_named(tmp_path: Path) -> None:
    g = GlanceService("xattr", str(tmp_path / "cache"))
    g.cache(IDS[0], b"a")
    (Path(g.path) / "cache.db").mkdir()
    with pytest.raises(NotACacheError, match=r"cache\.db is a directory, not Glance's SQLite"):
        open_cache(g.path)


def test_a_symlinked_state_directory_is_reported_not_listed(
    sqlite_cache: GlanceService, tmp_path: Path
) -> None:
    root = Path(sqlite_cache.path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / IDS[7]).write_bytes(b"not Glance's")
    shutil.rmtree(root / "invalid")
    os.symlink(outside, root / "invalid")
    snap = open_cache(root).scan()
    assert IDS[7] not in {e.id for e in snap.entries}
    assert any("invalid is a symbolic link" in w and str(outside) in w for w in snap.warnings)


def test_a_sqlite_cache_under_a_non_utf8_name_reads(tmp_path: Path) -> None:
    parent = os.fsencode(tmp_path) + b"/caf\xe9-\xff"
    os.mkdir(parent)
    g = GlanceService("sqlite", os.fsdecode(parent) + "/cache")
    g.cache(IDS[0], b"z" * 77)
    g.read(IDS[0])
    [entry] = open_cache(g.path).scan().of_state(State.CACHED)
    assert (entry.id, entry.size, entry.hits) == (IDS[0], 77, 1)
