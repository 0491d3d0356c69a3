"""The CLI on Filetracker stores the real client wrote, beside a second process holding locks.

What each command does is checked against the real client (its listing, its
put_file and get_file afterwards) and against the real ``CacheCleaner`` run
on an identical store written by the same client calls.
"""

from __future__ import annotations

import csv
import io
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.filetracker_service import (
    FiletrackerStore,
    hold_lock,
    put_links,
    run_cache_cleaner_detailed,
    store_layout,
)
from tests.writers.filetracker import require_filetracker

pytestmark = pytest.mark.glance  # the real client is in the full test environment only

CLI = str(Path(sys.executable).parent / "cache-inspector-cli")


@pytest.fixture(autouse=True)
def _client() -> None:
    require_filetracker()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    # A command that waited for a client's lock would hang here until the timeout.
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60)


def tied_store(root: Path, seed: int, n: int = 40) -> FiletrackerStore:
    """Files with whole-second versions and repeated sizes: ties on both of the cleaner's keys."""
    rng = random.Random(seed)
    store = FiletrackerStore(root)
    for i in range(n):
        size = rng.choice([10, 20, 20, 30])
        store.put(f"/p{i % 4}/f{i:03d}", bytes(size), version=1_000 + rng.randrange(8))
    return store


def names(store: FiletrackerStore) -> set[str]:
    return store.names()


def test_list_carries_versions_locks_and_links(tmp_path: Path) -> None:
    store = FiletrackerStore(tmp_path / "store")
    store.put("/a/one.in", b"1" * 10, version=100)
    store.put("/a/two.in", b"2" * 20, version=200, keep_source_link=True)
    with hold_lock(store.cache_dir, "/a/one.in"):
        r = run("list", store.cache_dir, "--json")
        rows = run("list", store.cache_dir, "--csv").stdout
        table = run("list", store.cache_dir, "--sort", "version", "--reverse").stdout
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["driver"] == "filetracker"
    got = {e["id"]: (e["version"], e["locked"], e["links"], e["size"]) for e in doc["entries"]}
    assert got == {"/a/one.in": (100, True, 1, 10), "/a/two.in": (200, False, 2, 20)}
    assert {e["last_modified"] for e in doc["entries"]} == {
        "1970-01-01T00:01:40Z",
        "1970-01-01T00:03:20Z",
    }
    parsed = list(csv.DictReader(io.StringIO(rows)))
    assert {(p["id"], p["version"], p["locked"], p["links"]) for p in parsed} == {
        ("/a/one.in", "100", "True", "1"),
        ("/a/two.in", "200", "False", "2"),
    }
    lines = table.splitlines()
    assert lines[0].split()[:5] == ["ID", "VERSION", "SIZE", "LINKS", "LOCKED"]
    assert lines[1].startswith("/a/two.in") and "locked" in lines[2]


def test_delete_skips_a_name_in_use_reports_it_and_exits_1(tmp_path: Path) -> None:
    store = tied_store(tmp_path / "store", seed=1, n=8)
    busy, other = "/p1/f001", "/p2/f002"
    with hold_lock(store.cache_dir, busy, "shared"):
        r = run("delete", store.cache_dir, busy, other, "/p3/f003", "-y")
        assert r.returncode == 1
        assert f"{busy} (cached): in use by a Filetracker client" in r.stderr
        assert "Traceback" not in r.stderr
        assert "Deleted 2 of 3" in r.stdout
        left = {n.rpartition("@")[0] for n in names(store)}
        assert busy in left and other not in left and "/p3/f003" not in left
        assert len(left) == 6
        assert store.get(busy) == bytes(len(store.get(busy)))  # the reader's file is whole
    # Afterwards the client works on the store as before.
    store.put(other, b"back", version=9_999)
    assert store.get(other) == b"back"
    assert store.get(busy)


def test_a_versioned_delete_on_the_command_line(tmp_path: Path) -> None:
    store = FiletrackerStore(tmp_path / "store")
    store.put("/x/a", b"a", version=10)
    r = run("delete", store.cache_dir, "/x/a@11", "-y")
    assert r.returncode == 0
    assert "/x/a@11: not in the store (it holds /x/a@10, which is kept)" in r.stderr
    assert names(store) == {"/x/a@10"}
    r = run("delete", store.cache_dir, "/x/a@10", "-y", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["done"] == 1
    assert names(store) == set()


def test_prune_is_the_cleaners_pass_minus_the_locked_name(tmp_path: Path) -> None:
    ours = tied_store(tmp_path / "ours" / "cache", seed=3)
    theirs = tied_store(tmp_path / "theirs" / "cache", seed=3)  # the same client calls
    total = sum(int(e.size) for e in ours.list_local_files())
    limit = f"{total - 5}B"
    plan = json.loads(
        run("prune", ours.cache_dir, "--max-size", limit, "--dry-run", "--json").stdout
    )
    planned = [f"{e['id']}@{e['version']}" for e in plan["entries"]]
    busy = plan["entries"][len(planned) // 2]["id"]
    before = names(ours)
    with hold_lock(ours.cache_dir, busy, "shared"):
        r = run("prune", ours.cache_dir, "--max-size", limit, "-y", "--json")
        assert r.returncode == 1, r.stderr
        assert f"{busy} (cached): in use by a Filetracker client" in r.stderr
        doc = json.loads(r.stdout)
        assert [(f["id"], f["reason"]) for f in doc["failures"]] == [
            (busy, "in use by a Filetracker client")
        ]
        assert doc["done"] == len(planned) - 1
    deleted = before - names(ours)
    cleaner = run_cache_cleaner_detailed([theirs.cache_dir], total - 5, 50.0)
    assert not cleaner.errors
    assert set(planned) == cleaner.names
    assert deleted == cleaner.names - {n for n in planned if n.startswith(busy + "@")}
    assert store_layout(ours.cache_dir) - store_layout(theirs.cache_dir) == {
        f"files{busy}",
        f"locks{busy}",
    }
    # The client still stores and serves files in the pruned store.
    ours.put("/new/file", b"fresh", version=5_000)
    assert ours.get("/new/file") == b"fresh"
    assert ours.get(busy)
    gone = sorted(cleaner.names)[0].rpartition("@")[0]
    ours.put(gone, b"again", version=5_001)
    assert ours.get(gone) == b"again"


def test_prune_over_several_stores_by_glob_is_the_cleaners(tmp_path: Path) -> None:
    for side in ("ours", "theirs"):
        for k in (1, 2, 3):
            tied_store(tmp_path / side / f"cache-{k}", seed=k)  # ties across stores too
    (tmp_path / "ours" / ".hidden").mkdir()  # globs skip it, as they skip the sources
    stores = {k: FiletrackerStore(tmp_path / "ours" / f"cache-{k}") for k in (1, 2, 3)}
    before = {k: names(s) for k, s in stores.items()}
    total = sum(int(e.size) for s in stores.values() for e in s.list_local_files())
    limit = total * 2 // 3
    pattern = str(tmp_path / "ours" / "cache-*")
    r = run("prune", pattern, "--max-size", f"{limit}B", "--cleaning-level", "40", "-y")
    assert r.returncode == 0, r.stderr
    cleaner = run_cache_cleaner_detailed([str(tmp_path / "theirs" / "cache-*")], limit, 40.0)
    assert not cleaner.errors
    assert cleaner.names  # the case is not trivial
    for k, s in stores.items():
        theirs = str(tmp_path / "theirs" / f"cache-{k}")
        assert before[k] - names(s) == cleaner.deleted[theirs], k


def test_prune_preview_changes_nothing(tmp_path: Path) -> None:
    store = tied_store(tmp_path / "store", seed=4, n=12)
    put_links(store, ["/links/a", "/links/b"], b"L" * 1_000, version=999)
    store.put("/shared/out", b"S" * 500, version=998, keep_source_link=True)
    layout = store_layout(store.cache_dir)
    with hold_lock(store.cache_dir, "/links/a", "shared"):
        text = run("prune", store.cache_dir, "--max-size", "1KiB", "--dry-run")
        r = run("prune", store.cache_dir, "--max-size", "1KiB", "--dry-run", "--json")
    assert text.returncode == 0 and r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    ids = {e["id"] for e in doc["entries"]}
    assert {"/links/a", "/links/b", "/shared/out"} <= ids
    # Each link counts in the store's size; the disk gets the pair back once, and
    # nothing of the file still linked from a sandbox.
    assert (doc["bytes_removed"], doc["bytes_freed"]) == (1_000 + 1_000 + 500, 1_000)
    assert doc["total_after"] == doc["total_before"] - doc["bytes_removed"]
    assert (doc["target"], doc["keep_below"]) == (1024, 512.0)
    assert doc["locked"] == ["/links/a"]
    assert "the newest files are kept below 512 Bytes" in text.stdout
    assert "hard links counted once" in text.stdout
    assert "1 of them in use by a client now (locked) would be skipped" in text.stdout
    assert store_layout(store.cache_dir) == layout


def test_hard_linked_files_free_nothing_until_their_last_link(tmp_path: Path) -> None:
    store = FiletrackerStore(tmp_path / "store")
    store.put("/sandboxed", b"s" * 700, version=1, keep_source_link=True)
    put_links(store, ["/twin/a", "/twin/b"], b"t" * 300, version=2)
    r = run("delete", store.cache_dir, "/sandboxed", "/twin/a", "-y", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["bytes_freed"] == 0
    r = run("delete", store.cache_dir, "/twin/b", "-y", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["bytes_freed"] == 300


@pytest.mark.parametrize("bad", ["/../x", "relative/name", "/a//b", "/a/./b", "/a/"])
def test_bad_names_are_refused_and_change_nothing(tmp_path: Path, bad: str) -> None:
    store = tied_store(tmp_path / "store", seed=5, n=4)
    layout = store_layout(store.cache_dir)
    r = run("delete", store.cache_dir, bad, "-y")
    assert r.returncode == 1
    assert r.stdout == "" and len(r.stderr.strip().splitlines()) == 1
    assert "is not a Filetracker name" in r.stderr
    assert store_layout(store.cache_dir) == layout


def test_prune_usage_errors(tmp_path: Path) -> None:
    store = tied_store(tmp_path / "store", seed=6, n=2)
    cases = [
        ([store.cache_dir, store.cache_dir + "/"], "named twice"),
        ([str(tmp_path / "nothing-*")], "matches no directory"),
    ]
    for paths, message in cases:
        r = run("prune", *paths, "--max-size", "1B", "-y")
        assert r.returncode == 2 and message in r.stderr, r.stderr
    r = run("prune", store.cache_dir, "--max-size", "1B", "--cleaning-level", "150")
    assert r.returncode == 2 and "from 0 to 100" in r.stderr
    r = run("queue", store.cache_dir, "/p0/f000")
    assert r.returncode == 1 and "has no queue action" in r.stderr


def test_stats_shows_folders_and_the_cleaners_choice(tmp_path: Path) -> None:
    store = tied_store(tmp_path / "store", seed=7, n=20)
    r = run("stats", store.cache_dir)
    assert r.returncode == 0, r.stderr
    assert "in 20 files" in r.stdout and "give --max-size" in r.stdout
    assert "Largest 4 folders (their own files):" in r.stdout
    total = sum(int(e.size) for e in store.list_local_files())
    r = run("stats", store.cache_dir, "--max-size", f"{total}B", "--json")
    doc = json.loads(r.stdout)
    plan = json.loads(
        run("prune", store.cache_dir, "--max-size", f"{total}B", "--dry-run", "--json").stdout
    )
    assert doc["prune_to_max"] == {"count": len(plan["entries"]), "bytes": plan["bytes_removed"]}
    assert {f["path"] for f in doc["largest_folders"]} == {"/p0", "/p1", "/p2", "/p3"}
    assert sum(f["own_bytes"] for f in doc["largest_folders"]) == total
