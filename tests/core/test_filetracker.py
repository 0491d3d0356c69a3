"""The filetracker kind against stores the real client (filetracker 2.3.3) wrote and reads.

Every store here is written by ``Client.put_file``; locks are held by a second
process through the client's own ``lock_manager``; the cleaner's choices are
those of the real ``CacheCleaner``.
"""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import pytest

from inspector.core import CacheSource, State, actions, open_source, read
from inspector.core.drivers.filetracker import cleaning
from inspector.core.drivers.filetracker.store import IN_USE, FiletrackerDriver
from inspector.core.errors import InvalidImageIdError, NotACacheError
from inspector.core.model import Entry, Note
from inspector.core.source import CacheOptions
from inspector.core.tree import build_tree
from inspector.core.verify import Origin, checksum_file_source, verify
from tests.filetracker_service import (
    FiletrackerStore,
    cleaner_analysis,
    hold_lock,
    proc_locks,
    put_links,
    store_layout,
)
from tests.writers.filetracker import require_filetracker

pytestmark = pytest.mark.glance  # the real client is in the full test environment only


@pytest.fixture(autouse=True)
def _client() -> None:
    require_filetracker()


def fill(store: FiletrackerStore) -> None:
    """Names nested and flat, explicit versions and the client's own, a re-put, links."""
    store.put("/problems/p001/test0001.in", b"a" * 100, version=1_000)
    store.put("/problems/p001/test0002.in", b"b" * 200, version=1_001)
    store.put("/problems/p002/test0001.in", b"c" * 300, version=1_002, keep_source_link=True)
    store.put("/problems/p002/deep/er/x.out", b"d" * 50, version=1_003)
    store.put("/flat.bin", b"e" * 10)  # the client's version: the copy's mtime
    store.put("/problems/p001/test0001.in", b"A" * 120, version=2_000)  # a new version


def driver_for(store: FiletrackerStore) -> FiletrackerDriver:
    d = open_source(CacheSource.at(store.cache_dir))
    assert isinstance(d, FiletrackerDriver)
    return d


def by_id(entries: list[Entry] | tuple[Entry, ...]) -> dict[str, Entry]:
    return {e.id: e for e in entries}


@pytest.fixture
def store(tmp_path: Path) -> FiletrackerStore:
    s = FiletrackerStore(tmp_path / "store")
    fill(s)
    return s


def test_the_listing_is_the_clients_own(store: FiletrackerStore) -> None:
    entries = driver_for(store).scan().entries
    ours = [(f"{e.id}@{e.version}", e.modified_ts, e.size) for e in entries]
    theirs = [(str(f.name), f.mtime, f.size) for f in store.list_local_files()]
    assert ours == theirs  # the same files, versions, times and sizes, in the same order
    assert by_id(entries)["/problems/p001/test0001.in"].version == 2_000
    assert {e.state for e in entries} == {State.CACHED}
    assert all(e.hits is None and e.accessed_ts is None for e in entries)


def test_links_are_counted(store: FiletrackerStore) -> None:
    entries = by_id(driver_for(store).scan().entries)
    linked = entries["/problems/p002/test0001.in"]
    assert linked.links == 2 and linked.inode == os.stat(store.path(linked.id)).st_ino
    assert entries["/flat.bin"].links == 1 and entries["/flat.bin"].inode is None


def test_locked_names_are_seen_without_creating_or_waiting(store: FiletrackerStore) -> None:
    reader, writer = "/problems/p001/test0002.in", "/flat.bin"
    os.remove(store.lock_path("/problems/p002/deep/er/x.out"))  # a name with no lock file
    with (
        hold_lock(store.cache_dir, reader, "shared") as r,
        hold_lock(store.cache_dir, writer, "exclusive"),
    ):
        before = store_layout(store.cache_dir)
        entries = by_id(driver_for(store).scan().entries)
        assert store_layout(store.cache_dir) == before  # no lock file made
        assert {i for i, e in entries.items() if e.locked} == {reader, writer}
        assert entries["/problems/p002/deep/er/x.out"].locked is False
        # The holders still hold, and nothing of ours stays on the lock files.
        assert [(h.pid, h.access) for h in proc_locks(r.lock_file)] == [(r.pid, "READ")]
    assert not any(e.locked for e in driver_for(store).scan().entries)


def test_delete_skips_a_name_in_use_and_deletes_the_rest(store: FiletrackerStore) -> None:
    busy = "/problems/p001/test0002.in"
    with hold_lock(store.cache_dir, busy, "shared"):
        driver = driver_for(store)
        entries = list(driver.scan().entries)
        result = actions.delete(driver, entries)
        assert [(f.id, f.reason) for f in result.failures] == [(busy, IN_USE)]
        assert not result.ok and result.done == len(entries) - 1
        assert store.names() == {f"{busy}@1001"}
        assert store.get(busy) == b"b" * 200  # the reader's file is whole
    # The client's layout afterwards: the survivor's lock file, no emptied directory.
    assert store_layout(store.cache_dir) == {
        "files/",
        "files/problems/",
        "files/problems/p001/",
        "files/problems/p001/test0002.in",
        "locks/",
        "locks/tree.lock",
        "locks/problems/",
        "locks/problems/p001/",
        "locks/problems/p001/test0002.in",
    }


def test_delete_leaves_what_the_clients_delete_leaves(tmp_path: Path) -> None:
    ours, theirs = FiletrackerStore(tmp_path / "ours"), FiletrackerStore(tmp_path / "theirs")
    for s in (ours, theirs):
        fill(s)
        s.get("/flat.bin")
        os.remove(s.lock_path("/problems/p002/deep/er/x.out"))  # deleted without a lock file
    victims = ["/problems/p002/deep/er/x.out", "/problems/p001/test0002.in", "/flat.bin"]
    driver = driver_for(ours)
    chosen = [e for e in driver.scan().entries if e.id in victims]
    result = actions.delete(driver, chosen)
    assert result.ok and result.done == 3
    for e in chosen:  # its own versions: /flat.bin's is the second its copy was made
        theirs.delete(f"{e.id}@{theirs.version(e.id)}")
    assert store_layout(ours.cache_dir) == store_layout(theirs.cache_dir)
    assert ours.names() == theirs.names()


def test_bytes_freed_count_hard_links_honestly(store: FiletrackerStore, tmp_path: Path) -> None:
    put_links(store, ["/twins/a", "/twins/b"], b"t" * 400, version=3_000)
    driver = driver_for(store)
    entries = by_id(driver.scan().entries)
    shared = entries["/problems/p002/test0001.in"]  # its other link is the source file
    plan = actions.Plan((shared,))
    assert (plan.bytes_removed, plan.bytes_freed) == (300, 0)
    assert actions.Plan((entries["/twins/a"],)).bytes_freed == 0
    assert actions.Plan((entries["/twins/a"], entries["/twins/b"])).bytes_freed == 400
    assert build_tree(entries.values()).find("/twins").freeable == 400  # type: ignore[union-attr]
    result = actions.delete(driver, [shared, entries["/twins/a"]])
    assert result.ok and result.bytes_freed == 0
    result = actions.delete(driver, [entries["/twins/b"], entries["/flat.bin"]])
    assert result.ok and result.bytes_freed == 400 + 10


def test_a_versioned_delete_deletes_only_that_version(store: FiletrackerStore) -> None:
    driver = driver_for(store)
    entries = list(driver.scan().entries)
    name = "/problems/p001/test0001.in"
    found, missing = actions.entries_for_ids(
        entries, [f"{name}@1000", "/flat.bin@1"], check=driver.check_id, split=driver.split_id
    )
    assert (found, missing) == ([], [f"{name}@1000", "/flat.bin@1"])
    found, _ = actions.entries_for_ids(
        entries, [f"{name}@2000"], check=driver.check_id, split=driver.split_id
    )
    assert [e.id for e in found] == [name]
    # A new version lands between the scan and the delete: it is kept.
    store.put(name, b"new" * 10, version=2_500)
    result = actions.delete(driver, found)
    assert result.ok and result.gone == 1 and result.bytes_freed == 0
    assert store.get(name) == b"new" * 10
    assert os.path.exists(store.lock_path(name))


def test_a_cancelled_prune_leaves_a_store_the_client_uses(store: FiletrackerStore) -> None:
    driver = driver_for(store)
    plan = actions.plan_prune(driver, driver.scan().entries, 1, 0.0)
    assert len(plan.entries) == 5
    result = actions.prune(driver, plan, lambda done, total: done < 2)
    assert result.cancelled and result.done == 2
    assert len(store.names()) == 3
    store.put("/problems/p001/test0001.in", b"again", version=4_000)
    assert store.get("/problems/p001/test0001.in") == b"again"


def test_scan_reports_symlinks_and_never_follows_them(
    store: FiletrackerStore, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "secret").write_bytes(b"s" * 999)
    (outside / "dir" / "inner").write_bytes(b"i")
    files = Path(store.files_dir)
    (files / "link-file").symlink_to(outside / "secret")
    (files / "problems" / "link-dir").symlink_to(outside / "dir")
    (files / "dangling").symlink_to(outside / "gone")  # to nothing: a link like a file's
    atime = os.stat(outside / "dir").st_atime_ns
    driver = driver_for(store)
    snap = driver.scan()
    entries = by_id(snap.entries)
    assert entries["/link-file"].note is Note.SYMLINK
    assert entries["/dangling"].note is Note.SYMLINK
    assert entries["/link-file"].size == len(str(outside / "secret"))  # the link, not its target
    assert not any("inner" in i or "link-dir" in i for i in entries)
    assert any("not followed" in w for w in snap.warnings)
    assert os.stat(outside / "dir").st_atime_ns == atime
    result = actions.delete(driver, [entries["/link-file"]])
    assert result.ok and (outside / "secret").read_bytes() == b"s" * 999


def test_the_tree_lock_name_is_never_deleted_through_its_lock(tmp_path: Path) -> None:
    store = FiletrackerStore(tmp_path / "store")
    store.put("/tree.lock", b"odd name", version=5)
    driver = driver_for(store)
    result = actions.delete(driver, list(driver.scan().entries))
    assert len(result.failures) == 1 and "tree.lock" in result.failures[0].reason
    assert store.names() == {"/tree.lock@5"}
    assert os.path.isfile(os.path.join(store.cache_dir, "locks", "tree.lock"))


def test_what_is_and_is_not_a_store(tmp_path: Path, store: FiletrackerStore) -> None:
    lone = tmp_path / "lone"
    (lone / "files").mkdir(parents=True)
    with pytest.raises(NotACacheError, match="does not look like a cache"):
        open_source(CacheSource.at(lone, "filetracker"))
    odd = tmp_path / "odd"
    (odd / "files").mkdir(parents=True)
    (odd / "locks").symlink_to(Path(store.cache_dir) / "locks")
    with pytest.raises(NotACacheError, match="symbolic link"):
        open_source(CacheSource.at(odd))
    both = tmp_path / "both"
    for sub in ("files", "locks", "queue", "incomplete"):
        (both / sub).mkdir(parents=True)
    with pytest.raises(NotACacheError, match="at once"):
        open_source(CacheSource.at(both))
    assert sorted(os.listdir(both)) == ["files", "incomplete", "locks", "queue"]


def test_bad_ids_are_refused_before_any_path(store: FiletrackerStore) -> None:
    driver = driver_for(store)
    before = store_layout(store.cache_dir)
    for bad in ["/../x", "../x", "relative/name", "/a//b", "/a/./b", "/a\0"]:
        with pytest.raises(InvalidImageIdError):
            actions.entries_for_ids(driver.scan().entries, [bad], check=driver.check_id)
        forged = Entry(bad, State.CACHED, 1, version=1)
        result = actions.delete(driver, [forged])
        assert result.failures and "not a Filetracker name" in result.failures[0].reason
    assert store_layout(store.cache_dir) == before


# --------------------------------------------------------------------------- the cleaner


def tied_store(root: Path, seed: int) -> FiletrackerStore:
    """Many files, with whole-second versions and repeated sizes: ties on both keys."""
    rng = random.Random(seed)
    store = FiletrackerStore(root)
    for i in range(40):
        size = rng.choice([10, 20, 20, 30])
        store.put(f"/p{i % 4}/f{i:03d}", bytes(size), version=1_000 + rng.randrange(8))
    return store


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_cleaners_order_and_victims(tmp_path: Path, seed: int) -> None:
    store = tied_store(tmp_path / f"cache{seed}", seed)
    driver = driver_for(store)
    entries = driver.scan().entries
    total = sum(e.size for e in entries)
    cases = [(total, 50.0), (total - 1, 50.0), (total // 2, 30.0), (total, 0.0), (total, 100.0)]
    for limit, percent in cases:
        real = cleaner_analysis([store.cache_dir], limit, percent)
        ordered = [f"{e.id}@{e.version}" for e in cleaning.newest_first(entries)]
        assert ordered == [e.name for e in real.order]
        plan = actions.plan_prune(driver, entries, limit, percent)
        assert {f"{e.id}@{e.version}" for e in plan.entries} == real.names
        assert plan.keep_below == real.cleaning_level
    assert actions.plan_prune(driver, entries, total + 1).entries == ()
    for level in (-0.5, 100.5):  # the cleaner's -p is a percentage
        with pytest.raises(ValueError) as refused:
            actions.plan_prune(driver, entries, total, level)
        assert str(refused.value) == "The cleaning level is a percentage from 0 to 100."


def test_the_sources_cleaning_level_is_the_one_a_prune_uses_by_default(tmp_path: Path) -> None:
    """As the cleaner is run with ``-p``: the level set for the store (``CacheOptions``)."""
    store = tied_store(tmp_path / "cache", 4)
    source = CacheSource(path=Path(store.cache_dir), options=CacheOptions(cleaning_level=30.0))
    driver = open_source(source)
    entries = driver.scan().entries
    limit = sum(e.size for e in entries) // 2
    real = cleaner_analysis([store.cache_dir], limit, 30.0)
    plan = actions.plan_prune(driver, entries, limit)
    assert {f"{e.id}@{e.version}" for e in plan.entries} == real.names
    assert plan.keep_below == real.cleaning_level


def test_the_rule_matches_the_real_cleaners_analysis_on_random_indexes() -> None:
    from filetracker.client.data_store import DataStore
    from filetracker.scripts.cachecleaner import CacheCleaner

    rng = random.Random(7)
    for _ in range(300):
        n = rng.randrange(0, 12)
        infos = [
            DataStore.FileInfoEntry(f"/f{i}@1", float(rng.randrange(4)), rng.randrange(0, 5))
            for i in range(n)
        ]
        limit, percent = rng.randrange(0, 30), rng.choice([0.0, 10.0, 50.0, 99.0, 100.0])
        cleaner = CacheCleaner(limit, ["unused"], percent_cleaning_level=percent)
        cleaner.file_index = [CacheCleaner.FileIndexEntry(info, None) for info in infos]
        do, cut = cleaner._analyze_file_index()
        expected = {e.file_info.name for e in cleaner.file_index[cut:]} if do else set()
        entries = [
            Entry(info.name[:-2], State.CACHED, info.size, modified_ts=info.mtime, version=1)
            for info in infos
        ]
        assert {e.id + "@1" for e in cleaning.victims(entries, limit, percent)} == expected


def test_a_store_its_user_can_write_is_read_writable(store: FiletrackerStore) -> None:
    reading = read(CacheSource.at(store.cache_dir))
    try:
        assert (reading.writable, reading.read_only_reason) == (True, "")
    finally:
        reading.driver.close()


def _store_to_verify(tmp_path: Path) -> tuple[FiletrackerStore, dict[str, bytes]]:
    store = FiletrackerStore(tmp_path / "store")
    contents = {"/XML/data.xml": b"<x/>", "/Xray.in": b"x" * 100, "/plain.in": b"p"}
    for name, body in contents.items():
        store.put(name, body, version=1_000)
    return store, contents


def test_verify_reads_each_file_under_its_own_name(tmp_path: Path) -> None:
    """Digests from a source that knows the store's names (the pluggable ``Origin``)."""
    store, contents = _store_to_verify(tmp_path)
    known = {n: ("sha256", hashlib.sha256(b).hexdigest()) for n, b in contents.items()}
    driver = driver_for(store)
    report = verify(driver, driver.scan().entries, [Origin("the names' digests", known.get)])
    assert sorted((r.id, str(r.status), r.detail) for r in report.results) == [
        (name, "ok", "the names' digests") for name in sorted(contents)
    ]


@pytest.mark.parametrize("where", ["", "./", "files/", "/srv/store/files/", "files//"])
def test_verify_finds_a_store_files_digest_in_a_checksum_file(tmp_path: Path, where: str) -> None:
    """``sha256sum`` run in ``files/`` names each file by its path there; run above it,
    or with absolute paths, by its path below ``files/``."""
    store, contents = _store_to_verify(tmp_path)
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(
        "".join(f"{hashlib.sha256(b).hexdigest()}  {where}{n[1:]}\n" for n, b in contents.items())
    )
    driver = driver_for(store)
    report = verify(driver, driver.scan().entries, [checksum_file_source(sums)])
    assert sorted((r.id, str(r.status)) for r in report.results) == [
        (name, "ok") for name in sorted(contents)
    ]


def test_a_checksum_files_name_is_never_a_store_file_of_the_same_last_part(
    tmp_path: Path,
) -> None:
    """``other/plain.in`` (not below ``files/``) is not ``/plain.in``: no digest, no
    mismatch made up from another file's."""
    store, _contents = _store_to_verify(tmp_path)
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(f"{hashlib.sha256(b'another').hexdigest()}  other/plain.in\n")
    driver = driver_for(store)
    report = verify(driver, driver.scan().entries, [checksum_file_source(sums)])
    assert {r.id: str(r.status) for r in report.results}["/plain.in"] == "unknown"
    # named twice: below another store's files/ and as it is here; the nearer name wins
    sums.write_text(
        f"{hashlib.sha256(b'another').hexdigest()}  elsewhere/files/plain.in\n"
        f"{hashlib.sha256(b'p').hexdigest()}  plain.in\n"
    )
    report = verify(driver, driver.scan().entries, [checksum_file_source(sums)])
    assert {r.id: str(r.status) for r in report.results}["/plain.in"] == "ok"
