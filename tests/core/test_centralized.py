"""Glance's centralized_db nodes, written by Glance 33's own driver into SQLite,
PostgreSQL and MariaDB, read and changed by the inspector, checked with Glance's driver.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from inspector.core import CacheSource, State, actions, open_source
from inspector.core.drivers.glance import central_writes, locks
from inspector.core.drivers.glance.layout import GLANCE_OWN_NAMES
from inspector.core.errors import CacheError, NotACacheError
from inspector.core.glance_db import GlanceDatabase
from inspector.core.journal import read_journal
from inspector.core.model import Note
from inspector.core.source import redact_url
from tests.core.test_safety import mount_read_only
from tests.glance_service import GlanceService
from tests.services.glance_db import CentralNode, create_image, delete_image

pytestmark = pytest.mark.glance

ONE, TWO = "http://glance-1:9292", "http://glance-2:9292"


def uid(n: int) -> str:
    return f"{n:08x}-1111-4000-8000-{n:012x}"


def source(node: CentralNode, **kw: Any) -> CacheSource:
    return CacheSource(path=Path(node.path), db_url=node.db_url, node=node.node_url, **kw)


def glance_rows(node: CentralNode) -> dict[str, tuple[int, int, float, float]]:
    """Glance's get_cached_images for the node: id -> (size, hits, accessed, modified).

    Glance turns its naive-UTC datetimes into floats with ``.timestamp()``, which
    reads them as local time; turned back here, in the same time zone.
    """

    def utc(ts: float) -> float:
        return datetime.fromtimestamp(ts).replace(tzinfo=UTC).timestamp()

    return {
        r["image_id"]: (r["size"], r["hits"], utc(r["last_accessed"]), utc(r["last_modified"]))
        for r in node.cached_images()
    }


def listed(node: CentralNode) -> dict[str, tuple[int, int, float, float]]:
    snap = open_source(source(node)).scan()
    assert snap.driver == "centralized_db" and snap.node == node.node_url
    return {
        e.id: (e.size, e.hits or 0, e.accessed_ts or 0.0, e.modified_ts or 0.0)
        for e in snap.of_state(State.CACHED)
    }


def files(node: CentralNode) -> dict[str, int]:
    """The image files (not Glance's lock files, which oslo.concurrency leaves behind)."""
    root = Path(node.path)
    return {
        p.name: p.stat().st_size
        for p in root.iterdir()
        if p.is_file() and p.name not in GLANCE_OWN_NAMES
    }


def tree(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
    }


def approx_equal(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert a[k][:2] == b[k][:2], k
        assert a[k][2:] == pytest.approx(b[k][2:], abs=1e-5), k


# -- reading ----------------------------------------------------------------------


def test_each_node_lists_what_glance_lists(
    glance_db_url: str, glance_db_backend: str, central_nodes: Callable[..., CentralNode]
) -> None:
    one, two = central_nodes(glance_db_url, ONE), central_nodes(glance_db_url, TWO)
    for n in range(4):
        one.cache(uid(n), bytes([n]) * (1000 + n))
    for n in (1, 3, 5):
        two.cache(uid(n), bytes([n]) * (1000 + n))
    one.read(uid(1), times=3)
    two.read(uid(5))
    one.start(uid(9), b"partial")
    one.queue(uid(8))
    approx_equal(listed(one), glance_rows(one))
    approx_equal(listed(two), glance_rows(two))
    assert set(listed(two)) == {uid(1), uid(3), uid(5)}
    snap = open_source(source(one)).scan()
    assert {(e.state, e.id) for e in snap.entries if e.state is not State.CACHED} == {
        (State.QUEUED, uid(8)),
        (State.INCOMPLETE, uid(9)),
    }
    assert all(e.note is None for e in snap.entries)
    one.finish(uid(9))


def test_opening_with_the_database_is_detected_and_the_directory_alone_refused(
    glance_db_url: str, central_nodes: Callable[..., CentralNode]
) -> None:
    node = central_nodes(glance_db_url, ONE)
    node.cache(uid(1), b"x" * 100)
    alone = CacheSource.at(node.path)
    with pytest.raises(NotACacheError) as info:
        open_source(alone)
    message = str(info.value)
    assert "centralized_db" in message
    assert "--glance-config FILE" in message and "--db URL [--node URL]" in message
    # with the database it opens, and the only node in it is this one
    only = CacheSource(path=Path(node.path), db_url=glance_db_url)
    driver = open_source(only)
    assert driver.name == "centralized_db"
    assert {e.id for e in driver.scan().entries} == {uid(1)}


def test_several_nodes_and_none_named_is_refused_with_their_names(
    glance_db_url: str, central_nodes: Callable[..., CentralNode]
) -> None:
    central_nodes(glance_db_url, TWO)  # recorded first: the names are listed in order
    one = central_nodes(glance_db_url, ONE)
    one.cache(uid(1), b"x" * 100)
    before = tree(Path(one.path))
    with pytest.raises(CacheError) as info:
        open_source(CacheSource(path=Path(one.path), db_url=glance_db_url)).scan()
    assert str(info.value).endswith(
        f" holds 2 cache nodes: {ONE}, {TWO}. Name this cache's node with --node URL (its "
        "worker_self_reference_url), or open it with --glance-config FILE."
    )
    with pytest.raises(CacheError, match=r"Node http://nope:9292 is not in Glance's database"):
        nope = CacheSource(path=Path(one.path), db_url=glance_db_url, node="http://nope:9292")
        open_source(nope).scan()
    assert tree(Path(one.path)) == before


def test_a_database_no_node_has_used_is_refused_and_says_so(
    glance_db_url: str,
    glance_db_backend: str,
    glance_databases: Any,
    central_nodes: Callable[..., CentralNode],
) -> None:
    """The wrong database given: synced by glance-manage, used by no centralized_db node."""
    node = central_nodes(glance_db_url, ONE)
    node.cache(uid(1), b"x" * 100)
    before = tree(Path(node.path))
    fresh = glance_databases.new(glance_db_backend)
    with pytest.raises(CacheError) as info:
        open_source(CacheSource(path=Path(node.path), db_url=fresh)).scan()
    assert str(info.value).endswith(
        " records no cache node (node_reference is empty): no glance-api with "
        "image_cache_driver = centralized_db has used it."
    )
    assert tree(Path(node.path)) == before


def test_a_scan_reports_its_progress_and_names_every_state_from_glances_records(
    glance_db_url: str, central_nodes: Callable[..., CentralNode]
) -> None:
    """Every entry counted (files, rows without a file, the queue, incomplete and invalid
    files), and Glance's image record named for each state, not only the cached."""
    node = central_nodes(glance_db_url, ONE)
    names = ("cached-one", "gone-one", "queued-one", "partial-one", "failed-one")
    cached, gone, queued, partial, failed = (
        create_image(glance_db_url, name=n, data=b"d" * 5)["id"] for n in names
    )
    node.cache(cached, b"d" * 5)
    node.cache(gone, b"d" * 5)
    Path(node.path, gone).unlink()  # its row stays
    node.queue(queued)
    node.start(partial, b"d" * 5)  # still being written
    node.fail(failed, b"d" * 5, "checksum mismatch")
    seen: list[int] = []
    snap = open_source(source(node)).scan(progress=seen.append)
    assert {e.id: (e.state, e.name) for e in snap.entries} == {
        cached: (State.CACHED, "cached-one"),
        gone: (State.CACHED, "gone-one"),
        queued: (State.QUEUED, "queued-one"),
        partial: (State.INCOMPLETE, "partial-one"),
        failed: (State.INVALID, "failed-one"),
    }
    assert seen[-1] == 5 and seen == sorted(seen)


def test_a_directory_opened_as_another_nodes_says_none_of_its_files_has_a_row(
    glance_db_url: str, central_nodes: Callable[..., CentralNode]
) -> None:
    """Node one's directory read as node two's: each file is listed as Glance's pruner
    sees a file without a row (no access time, its mtime), and the scan asks why."""
    one, two = central_nodes(glance_db_url, ONE), central_nodes(glance_db_url, TWO)
    create_image(glance_db_url, uid(1), name="one", data=b"x" * 100)
    one.cache(uid(1), b"x" * 100)
    two.cache(uid(2), b"y" * 200)
    mtime = Path(one.path, uid(1)).stat().st_mtime
    snap = open_source(replace(source(one), node=TWO)).scan()
    assert {e.id: e.name for e in snap.entries} == {uid(1): "one", uid(2): None}
    assert {e.id: (e.note, e.accessed_ts, e.modified_ts) for e in snap.entries} == {
        uid(1): (Note.FILE_WITHOUT_ROW, None, mtime),
        uid(2): (
            Note.ROW_WITHOUT_FILE,
            pytest.approx(time.time(), abs=60),
            pytest.approx(time.time(), abs=60),
        ),
    }
    display = redact_url(glance_db_url)
    assert snap.warnings == (
        f"None of the 1 cached files in {one.path} has a row of node {TWO} in {display}, "
        "and none of its 1 rows has a file here: is that this directory's node?",
    )


@pytest.mark.parametrize("glance_db_backend", ["sqlite"])  # only SQLite keeps such text
def test_rows_with_a_time_that_cannot_be_read_are_listed_with_what_can_be(
    glance_db_url: str, central_nodes: Callable[..., CentralNode], tmp_path: Path
) -> None:
    """Damage (Glance writes datetimes): the entry keeps its file's size, is flagged, and
    a symbolic link stays flagged as one; the files after it are listed too."""
    node = central_nodes(glance_db_url, ONE)
    for n in (1, 2, 3, 4):
        node.cache(uid(n), bytes(100 * n))
    for n in (3, 4):  # moved elsewhere, a link left in its place
        Path(node.path, uid(n)).rename(tmp_path / uid(n))
        Path(node.path, uid(n)).symlink_to(tmp_path / uid(n))
    db = sqlite3.connect(urlsplit(glance_db_url).path)
    with db:
        db.execute(
            "UPDATE cached_images SET last_accessed = 'not a time', size = 1 "
            "WHERE image_id IN (?, ?)",
            (uid(2), uid(3)),
        )
    db.close()
    snap = open_source(source(node)).scan()
    assert {e.id: (e.note, e.bad_fields, e.size, e.accessed_ts) for e in snap.entries} == {
        uid(1): (None, (), 100, pytest.approx(time.time(), abs=60)),
        uid(2): (Note.BAD_VALUE, ("last_accessed",), 200, None),
        uid(3): (Note.SYMLINK, ("last_accessed",), 300, None),
        uid(4): (Note.SYMLINK, (), 400, pytest.approx(time.time(), abs=60)),
    }


# -- changing ---------------------------------------------------------------------


def test_delete_and_prune_leave_the_other_node_alone(
    glance_db_url: str, glance_db_backend: str, central_nodes: Callable[..., CentralNode]
) -> None:
    one, two = central_nodes(glance_db_url, ONE), central_nodes(glance_db_url, TWO)
    for n in range(6):
        one.cache(uid(n), bytes(1000 * (n + 1)))
        two.cache(uid(n), bytes(1000 * (n + 1)))
    two.read(uid(0), times=2)
    theirs, their_files = glance_rows(two), files(two)

    driver = open_source(source(one))
    entries = driver.scan().entries
    shared = next(e for e in entries if e.id == uid(2))
    assert actions.delete(driver, [shared]).ok
    assert uid(2) not in glance_rows(one) and not Path(one.path, uid(2)).exists()
    entries = driver.scan().entries
    plan = actions.plan_prune(driver, entries, 9000)
    result = actions.prune(driver, plan)
    assert result.ok and result.done == len(plan.entries) > 0
    left = glance_rows(one)
    assert sum(size for size, *_ in left.values()) <= 9000
    assert set(left) == set(files(one))  # files and rows went together

    assert glance_rows(two) == theirs  # Glance's own driver: the other node's rows as they were
    assert files(two) == their_files
    assert sorted(two.cached_nodes(uid(2))) == [TWO]


@pytest.mark.parametrize(
    ("evict", "shape"),
    [(1, ""), (3, ""), (7, ""), (3, "older"), (3, "no-file"), (2, "no-file"), (0, "no-file")],
    ids=[
        "first-of-tie",
        "3",
        "7",
        "3-after-an-older-row",
        "3-one-without-its-file",
        "2-one-without-its-file",
        "one-byte-over-after-the-row-without-its-file",
    ],
)
def test_prune_takes_exactly_what_glances_pruner_takes(
    glance_databases: Any,
    glance_db_backend: str,
    central_nodes: Callable[..., CentralNode],
    tmp_path: Path,
    evict: int,
    shape: str,
) -> None:
    """Rows last accessed at the same time (migrated legacy rows; MariaDB's whole
    seconds) are taken in the order Glance's own LIMIT 1 query takes them: the cut on
    the tie's first row, or further in, after a row older than the tie, or with a row
    of the tie whose file is gone (it frees nothing, not its recorded size nor a byte:
    with the cache one byte over the maximum after it, Glance takes one more row)."""
    older = shape == "older"
    url = glance_databases.new(glance_db_backend)
    node, other = central_nodes(url, ONE), central_nodes(url, TWO)
    legacy = glance_db_backend == "sqlite"  # strings are refused by SQLite's DateTime type
    for n in range(24):
        data = bytes(1000 + 37 * n)
        node.cache(uid(n), data)
        if n % 3 == 0:
            other.cache(uid(n), data)
    # Rows as Glance's sqlite -> centralized_db migration leaves them: a legacy tie.
    for n in [3, *range(4, 20)] if older else range(4, 20):
        node.delete_cache_row(uid(n))
        when = "2020-01-01T00:00:00" if 3 < n < 16 else "2021-06-01T00:00:00"
        when = "2019-06-01T00:00:00" if n == 3 else when
        node.insert_cache_details(
            uid(n), 1000 + 37 * n, last_accessed=when, last_modified=when, as_datetime=legacy
        )
    node.close()
    other.close()
    if shape == "no-file":
        Path(node.path, uid(5)).unlink()
    # The oldest rows are the tie of 2020: a prune of ``evict`` x 1,200 bytes cuts into it.
    tie = {uid(n) for n in range(4, 16)}
    max_size = sum(1000 + 37 * n for n in range(24)) - evict * 1200
    if shape == "no-file":
        max_size -= 1000 + 37 * 5  # Glance counts the files there are
    if not evict:  # Glance takes uid(4), then uid(5) (no file, 0 bytes): 1 byte over
        max_size = sum(1000 + 37 * n for n in range(24) if n != 5) - (1000 + 37 * 4) - 1

    copies = {}
    for who in ("inspector", "glance"):
        copy_url = glance_databases.copy(url)
        shutil.copytree(Path(tmp_path, "node-1"), tmp_path / who)
        copies[who] = central_nodes(copy_url, ONE, tmp_path / who)
    ours, glances = copies["inspector"], copies["glance"]
    before = set(glance_rows(glances))

    driver = open_source(source(ours))
    plan = actions.plan_prune(driver, driver.scan().entries, max_size)
    planned = {e.id for e in plan.entries}
    assert actions.prune(driver, plan).ok
    glances.prune(max_size)
    taken = before - set(glance_rows(glances))

    taken_of_tie = taken - {uid(3)} if older else taken
    assert taken_of_tie <= tie and 0 < len(taken_of_tie) < len(tie)  # the cut is in the tie
    assert (uid(3) in taken) is older
    assert planned == taken
    assert set(glance_rows(ours)) == set(glance_rows(glances))
    assert set(files(ours)) == set(files(glances))


def test_clean_and_queue_follow_glances_rules(
    glance_db_url: str, central_nodes: Callable[..., CentralNode]
) -> None:
    node = central_nodes(glance_db_url, ONE)
    node.cache(uid(1), b"x" * 100)
    node.fail(uid(2), b"junk", "checksum mismatch")
    node.queue(uid(3))
    driver = open_source(source(node))
    snap = driver.scan()
    plan = actions.plan_clean(snap.entries, 86400)
    assert [(e.id, e.state) for e in plan.entries] == [(uid(2), State.INVALID)]
    assert actions.clean(driver, plan).ok
    assert not Path(node.path, "invalid", uid(2)).exists()
    result = actions.queue(driver, [uid(1), uid(3), uid(4)])
    assert result.queued == (uid(4),)
    assert {f.id for f in result.failures} == {uid(1), uid(3)}
    assert node.queued() == [uid(3), uid(4)]  # Glance's own view of the queue
    # requeue: out of the cache (this node's row and file), into the queue
    entry = next(e for e in driver.scan().entries if e.id == uid(1))
    assert actions.requeue(driver, [entry]).ok
    assert uid(1) not in glance_rows(node) and uid(1) in node.queued()


# -- Glance's image records ---------------------------------------------------------


def test_image_records_give_names_and_flag_deleted_images(
    glance_db_url: str, central_nodes: Callable[..., CentralNode]
) -> None:
    one, two = central_nodes(glance_db_url, ONE), central_nodes(glance_db_url, TWO)
    kept = create_image(glance_db_url, name="cirros-0.6", data=b"k" * 300)["id"]
    gone = create_image(glance_db_url, name="old-ubuntu", data=b"g" * 500)["id"]
    for node in (one, two):
        node.cache(kept, b"k" * 300)
        node.cache(gone, b"g" * 500)
    later = create_image(glance_db_url, name="old-fedora", data=b"f" * 200)["id"]
    for node in (one, two):
        node.cache(later, b"f" * 200)
    one.cache(uid(7), b"n" * 100)  # no record at all
    one.queue(uid(8))
    delete_image(glance_db_url, gone)
    delete_image(glance_db_url, later, status="pending_delete")  # delayed_delete: row deleted

    driver = open_source(source(one))
    snap = driver.scan()
    assert snap.image_records
    shown = {e.id: (e.name, e.image_status) for e in snap.entries}
    assert shown == {
        kept: ("cirros-0.6", "active"),
        gone: ("old-ubuntu", "deleted"),
        later: ("old-fedora", "deleted"),
        uid(7): (None, None),
        uid(8): (None, None),
    }
    plan = actions.plan_deleted_images(snap.entries)
    assert sorted(e.id for e in plan.entries) == sorted([gone, later])
    assert plan.bytes_freed == 700
    assert actions.delete(driver, plan.entries, action="clean").ok
    assert set(glance_rows(one)) == {kept, uid(7)}
    assert set(glance_rows(two)) == {kept, gone, later}  # the other node keeps its copy

    # Rows whose files are gone take their image's record all the same.
    for image_id in (kept, gone, later):
        Path(two.path, image_id).unlink()
    rows_only = {e.id: e for e in open_source(source(two)).scan().entries}
    assert {i: (e.name, e.image_status, e.note, e.size) for i, e in rows_only.items()} == {
        kept: ("cirros-0.6", "active", Note.ROW_WITHOUT_FILE, 300),
        gone: ("old-ubuntu", "deleted", Note.ROW_WITHOUT_FILE, 500),
        later: ("old-fedora", "deleted", Note.ROW_WITHOUT_FILE, 200),
    }


def test_image_records_on_a_sqlite_or_xattr_cache(
    glance_db_url: str, glance: Any, tmp_path: Path
) -> None:
    image = create_image(glance_db_url, name="fedora", data=b"f" * 200)["id"]
    glance.cache(image, b"f" * 200)
    later = create_image(glance_db_url, name="old-fedora", data=b"o" * 20)["id"]
    glance.cache(later, b"o" * 20)
    delete_image(glance_db_url, later, status="pending_delete")  # delayed_delete
    glance.read(image, times=2)
    glance.cache(uid(1), b"x" * 10)
    # An image of each state with its record, and a damaged row: all keep their fields.
    queued, failed, damaged = (
        create_image(glance_db_url, name=n, data=b"d" * 5)["id"]
        for n in ("queued-one", "failed-one", "damaged-one")
    )
    glance.queue(queued)
    glance.fail(failed, b"d" * 5, "checksum mismatch")
    glance.cache(damaged, b"d" * 5)
    if glance.kind == "sqlite":
        glance.sql("UPDATE cached_images SET hits = 'x' WHERE image_id = ?", damaged)
        md5 = hashlib.md5(b"f" * 200, usedforsecurity=False).hexdigest()  # as older Glance
        glance.sql("UPDATE cached_images SET checksum = ? WHERE image_id = ?", md5, image)
    plain = open_source(CacheSource.at(glance.path)).scan()
    assert not plain.image_records and {e.name for e in plain.entries} == {None}
    with_db = CacheSource(path=Path(glance.path), db_url=glance_db_url)
    snap = open_source(with_db).scan()
    assert snap.driver == glance.kind and snap.image_records
    assert {e.id: (e.name, e.image_status) for e in snap.entries} == {
        image: ("fedora", "active"),
        later: ("old-fedora", "deleted"),
        uid(1): (None, None),
        queued: ("queued-one", "active"),
        failed: ("failed-one", "active"),
        damaged: ("damaged-one", "active"),
    }

    def but_records(entries: Any) -> dict[str, Any]:
        return {e.id: replace(e, name=None, image_status=None) for e in entries}

    assert but_records(snap.entries) == but_records(plain.entries)
    # an unreachable database: the cache still lists, without names, and says why
    broken = CacheSource(path=Path(glance.path), db_url=f"sqlite:///{tmp_path}/missing.db")
    snap = open_source(broken).scan()
    assert not snap.image_records and len(snap.entries) == 6
    assert any("image records were not read" in w for w in snap.warnings)
    assert not Path(tmp_path, "missing.db").exists()


def test_the_image_records_of_more_ids_than_a_statement_takes_come_in_one_query(
    glance_db_url: str, glance_db_backend: str
) -> None:
    """More ids than a statement takes parameters (SQLite 32,766 by default, 250,000 as
    Debian builds it; PostgreSQL 65,535): they travel as one list where the server
    takes one."""
    image = create_image(glance_db_url, name="fedora", data=b"f" * 20)["id"]
    create_image(glance_db_url, name="not-asked-for", data=b"n" * 20)
    count = 300_000 if glance_db_backend == "sqlite" else 100_000
    ids = [image, *(uid(n) for n in range(count))]
    db = GlanceDatabase(glance_db_url)
    with db.reading() as conn:
        records = db.image_records(conn, ids)
    assert {i: (r.name, r.status) for i, r in records.items()} == {image: ("fedora", "active")}


# -- bad input: one clear message, nothing changed ----------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql+psycopg://glance:pw-9f3@127.0.0.1:1/glance", "Cannot connect"),
        ("mysql+pymysql://glance:pw-9f3@127.0.0.1:1/glance", "Cannot connect"),
        ("sqlite:///{tmp}/nothing-here.db", "does not exist"),
        ("sqlite:///{tmp}/empty.db", "has no node_reference, cached_images, images"),
        ("sqlite:///{tmp}/other.db", "unknown schema"),
        ("redis://glance:pw-9f3@localhost/0", "not redis"),
        ("not a url at all", "is not a database URL"),
    ],
)
def test_a_database_that_cannot_be_used_changes_nothing(
    glance_db_url: str,
    central_nodes: Callable[..., CentralNode],
    tmp_path: Path,
    url: str,
    message: str,
) -> None:
    node = central_nodes(glance_db_url, ONE)
    node.cache(uid(1), b"x" * 100)
    sqlite3.connect(tmp_path / "empty.db").close()
    other = sqlite3.connect(tmp_path / "other.db")
    other.executescript(
        "CREATE TABLE node_reference (node_reference_id INTEGER, node_reference_url TEXT);"
        "INSERT INTO node_reference VALUES (1, 'http://glance-1:9292');"
        "CREATE TABLE cached_images (id INTEGER, image_id TEXT);"
        "CREATE TABLE images (id TEXT);"
    )
    other.close()
    url = url.format(tmp=tmp_path)
    before, their_rows = tree(Path(node.path)), glance_rows(node)
    with pytest.raises(CacheError) as info:
        driver = open_source(CacheSource(path=Path(node.path), db_url=url, node=ONE))
        actions.delete(driver, driver.scan().entries)
    text = str(info.value)
    assert message in text and "\n" not in text
    assert "pw-9f3" not in "".join(traceback.format_exception(info.value))
    assert tree(Path(node.path)) == before and glance_rows(node) == their_rows
    assert not Path(tmp_path, "nothing-here.db").exists()


def test_a_locked_database_stops_the_delete_before_any_file(
    glance_db_url: str,
    glance_db_backend: str,
    central_nodes: Callable[..., CentralNode],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sqlalchemy as sa

    from inspector.core import glance_db

    monkeypatch.setattr(glance_db, "LOCK_TIMEOUT_S", 1)
    node = central_nodes(glance_db_url, ONE)
    node.cache(uid(1), b"x" * 100)
    driver = open_source(source(node))
    entries = driver.scan().entries
    engine = sa.create_engine(glance_db_url, poolclass=sa.pool.NullPool)
    with engine.connect() as holder:
        if glance_db_backend == "sqlite":
            holder.exec_driver_sql("BEGIN IMMEDIATE")  # the whole file, as Glance's writes do
        else:  # Glance updating the row (a hit) in a transaction still open
            holder.execute(sa.text("UPDATE cached_images SET hits = hits + 1"))
        result = actions.delete(driver, entries)
        holder.rollback()
    engine.dispose()
    assert result.done == 0 and result.error is not None
    assert "stayed locked" in result.error
    assert Path(node.path, uid(1)).exists() and set(glance_rows(node)) == {uid(1)}


HOLD_GLANCE_LOCK = """
import sys, time
from oslo_concurrency import lockutils
with lockutils.external_lock(sys.argv[1], lock_path=sys.argv[2]):
    print("held", flush=True)
    time.sleep(float(sys.argv[3]))
"""


def _hold(name: str, lock_dir: str, seconds: float) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_GLANCE_LOCK, name, lock_dir, str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


def _stop(child: subprocess.Popen[str]) -> None:
    if child.poll() is None:
        child.kill()
    child.communicate()


def test_prune_waits_for_glances_own_prune_lock(
    glance_db_url: str, central_nodes: Callable[..., CentralNode], monkeypatch: pytest.MonkeyPatch
) -> None:
    """oslo.concurrency's own external lock, held as glance-api's cache prune holds it."""
    node = central_nodes(glance_db_url, ONE)
    for n in range(3):
        node.cache(uid(n), bytes(1000))
    driver = open_source(source(node))
    plan = actions.plan_prune(driver, driver.scan().entries, 1500)
    monkeypatch.setattr(locks, "LOCK_WAIT_S", 0.5)
    child = _hold(locks.PRUNE_LOCK, node.path, 3)
    try:
        result = actions.prune(driver, plan)
    finally:
        _stop(child)
    assert result.done == 0 and result.error is not None
    assert "Glance is pruning this cache" in result.error
    assert set(glance_rows(node)) == {uid(0), uid(1), uid(2)}
    # released while we wait: the prune goes ahead
    monkeypatch.setattr(locks, "LOCK_WAIT_S", 20)
    child = _hold(locks.PRUNE_LOCK, node.path, 1)
    started = time.monotonic()
    result = actions.prune(driver, plan)
    _stop(child)
    assert result.ok and result.done == 2 and time.monotonic() - started > 0.5
    assert set(glance_rows(node)) == {uid(0), uid(1), uid(2)} - {e.id for e in plan.entries}


def test_clean_takes_glances_clean_lock_in_its_lock_path(
    glance_db_url: str,
    central_nodes: Callable[..., CentralNode],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    node = central_nodes(glance_db_url, ONE)
    node.fail(uid(1), b"junk", "broken stream")
    lock_path = tmp_path / "locks"
    lock_path.mkdir()
    from dataclasses import replace

    src = source(node)
    src = replace(src, options=replace(src.options, lock_path=lock_path))
    driver = open_source(src)
    plan = actions.plan_clean(driver.scan().entries, 86400)
    monkeypatch.setattr(locks, "LOCK_WAIT_S", 0.3)
    child = _hold(locks.CLEAN_LOCK, str(lock_path), 3)
    try:
        result = actions.clean(driver, plan)
    finally:
        _stop(child)
    assert result.error is not None and "Glance is cleaning this cache" in result.error
    assert Path(node.path, "invalid", uid(1)).exists()
    assert actions.clean(driver, plan).ok
    assert not Path(node.path, "invalid", uid(1)).exists()
    assert (lock_path / locks.CLEAN_LOCK).exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another owner needs root")
def test_a_delete_of_cached_and_invalid_entries_takes_both_locks_as_glances_user_can(
    glance_db_url: str, central_nodes: Callable[..., CentralNode]
) -> None:
    """One job over a cached and an invalid entry holds Glance's prune and clean locks at
    once; run as root, the lock files it makes are given the cache directory's owner
    (glance-api's user), who must be able to open them afterwards."""
    node = central_nodes(glance_db_url, ONE)
    node.cache(uid(1), b"x" * 100)
    node.fail(uid(2), b"junk", "checksum mismatch")
    for name in (locks.PRUNE_LOCK, locks.CLEAN_LOCK):
        Path(node.path, name).unlink(missing_ok=True)
    os.chown(node.path, 4242, 4343)  # glance-api's user and group
    driver = open_source(source(node))
    entries = sorted(driver.scan().entries, key=lambda e: e.id)
    assert [(e.id, e.state) for e in entries] == [(uid(1), State.CACHED), (uid(2), State.INVALID)]
    result = actions.delete(driver, entries)
    assert (result.ok, result.done) == (True, 2)
    assert uid(1) not in glance_rows(node) and not Path(node.path, uid(1)).exists()
    assert not Path(node.path, "invalid", uid(2)).exists()
    for name in (locks.PRUNE_LOCK, locks.CLEAN_LOCK):
        st = Path(node.path, name).stat()
        assert (st.st_uid, st.st_gid) == (4242, 4343), name


# -- secrets ----------------------------------------------------------------------------


@pytest.mark.parametrize("glance_db_backend", ["postgresql", "mariadb"])
def test_the_password_appears_in_no_message_log_or_name(
    glance_db_url: str,
    central_nodes: Callable[..., CentralNode],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from urllib.parse import urlsplit

    password = urlsplit(glance_db_url).password
    assert password
    caplog.set_level("DEBUG")
    node = central_nodes(glance_db_url, ONE)
    node.cache(uid(1), b"x" * 100)
    src = source(node)
    texts = [src.display_name(), src.settings_key(), repr(src.display_name())]
    driver = open_source(src)
    snap = driver.scan()
    texts += [str(snap), repr(driver.db.display)]
    wrong = glance_db_url.replace(password, "not-the-" + password)
    for bad in (
        CacheSource(path=Path(node.path), db_url=glance_db_url, node="http://nope:1"),
        CacheSource(path=Path(node.path), db_url=wrong, node=ONE),
    ):
        with pytest.raises(CacheError) as info:
            open_source(bad).scan()
        texts.append("".join(traceback.format_exception(info.value)))
        texts.append(bad.display_name())
    texts.append(caplog.text)
    assert all(password not in t for t in texts)
    assert any("***" in t for t in texts)


@pytest.mark.parametrize("glance_db_backend", ["sqlite"])
def test_a_tie_a_read_only_database_cannot_settle_is_planned_in_one_querys_order_and_said(
    glance_db_url: str,
    central_nodes: Callable[..., CentralNode],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Settling a tie at the cut asks Glance's own question in a transaction that is rolled
    back: a database this user may only read (an operator's preview) cannot open one."""
    node = central_nodes(glance_db_url, ONE)
    for n in range(6):
        node.cache(uid(n), bytes(1000))
    for n in range(4):  # four rows of one moment, as Glance's sqlite migration leaves them
        node.delete_cache_row(uid(n))
        when = "2020-01-01T00:00:00"
        node.insert_cache_details(
            uid(n), 1000, last_accessed=when, last_modified=when, as_datetime=True
        )
    node.fail(uid(9), bytes(2000), "broken stream")  # not cached: not in what a prune frees
    node.close()
    ro = tmp_path / "read-only"
    ro.mkdir()
    shutil.copyfile(urlsplit(glance_db_url).path, ro / "glance.sqlite")
    for _ in mount_read_only(ro):
        src = CacheSource(path=Path(node.path), db_url=f"sqlite:///{ro}/glance.sqlite", node=ONE)
        driver = open_source(src)
        with caplog.at_level("WARNING", logger="inspector.core.drivers.glance.centralized_db"):
            plan = actions.plan_prune(driver, driver.scan().entries, 4000)
        driver.close()
    assert [e.id for e in plan.entries] == [uid(0), uid(1)]  # the one query's order
    [said] = caplog.messages
    assert said.startswith(
        "Entries last accessed at the same time are taken in the order of one query of "
        f"sqlite:///{ro}/glance.sqlite, not settled as Glance's pruner settles them: "
        f"Glance's database sqlite:///{ro}/glance.sqlite cannot be written by this user"
    )


@pytest.mark.parametrize("glance_db_backend", ["sqlite"])
def test_a_prune_takes_the_cached_copy_of_an_image_also_queued(
    glance_db_url: str, central_nodes: Callable[..., CentralNode]
) -> None:
    """An image cached and queued at once (the audit's cached-and-queued): a prune
    evicts the cached file and its row, and leaves the queue's entry alone."""
    node = central_nodes(glance_db_url, ONE)
    node.cache(uid(0), bytes(1000))
    node.cache(uid(1), bytes(1000))
    Path(node.path, "queue", uid(0)).touch()
    driver = open_source(source(node))
    plan = actions.plan_prune(driver, driver.scan().entries, 1000)
    assert [(e.id, e.state) for e in plan.entries] == [(uid(0), State.CACHED)]
    assert actions.prune(driver, plan).ok
    assert set(glance_rows(node)) == {uid(1)}
    assert Path(node.path, "queue", uid(0)).exists()


@pytest.mark.parametrize("glance_db_backend", ["sqlite"])
def test_a_node_that_kept_its_emptied_cache_db_is_read_as_a_node(
    glance_db_url: str, central_nodes: Callable[..., CentralNode], tmp_path: Path
) -> None:
    """Glance's migration to centralized_db moves a node's sqlite rows into the central
    database and leaves its cache.db empty: with the database named, it is that node."""
    node = central_nodes(glance_db_url, ONE)
    node.cache(uid(1), b"x" * 100)
    old = GlanceService("sqlite", str(tmp_path / "before-migration"))  # Glance's schema
    shutil.copyfile(Path(old.path, "cache.db"), Path(node.path, "cache.db"))
    driver = open_source(source(node))
    assert driver.name == "centralized_db"
    assert [e.id for e in driver.scan().entries] == [uid(1)]


@pytest.mark.parametrize("glance_db_backend", ["sqlite"])
def test_deleting_rows_without_files_and_entries_gone_since_the_listing(
    glance_db_url: str, central_nodes: Callable[..., CentralNode], journal_file: Path
) -> None:
    """A row whose file is gone is deleted (the row was the entry); an entry whose file and
    row both went since the listing is gone; a row named as no image id is refused."""
    node = central_nodes(glance_db_url, ONE)
    for n in range(3):
        node.cache(uid(n), bytes(100))
    Path(node.path, uid(0)).unlink()  # its row stays
    when = "2024-01-01T00:00:00"
    node.insert_cache_details(
        "../cache", 10, last_accessed=when, last_modified=when, as_datetime=True
    )
    driver = open_source(source(node))
    entries = {e.id: e for e in driver.scan().entries}
    assert entries[uid(0)].note is Note.ROW_WITHOUT_FILE
    node.delete_cached_image(uid(1))  # Glance evicts it after the listing
    result = actions.delete(driver, [entries[i] for i in (uid(0), uid(1), "../cache")])
    assert (result.done, result.gone) == (2, 1)
    [failed] = result.failures
    assert failed.id == "../cache"
    assert "is not a valid image id" in failed.reason
    assert set(glance_rows(node)) == {uid(2), "../cache"}
    [change] = read_journal(journal_file).records
    assert sorted((e.id, e.outcome) for e in change.entries) == [
        ("../cache", "failed"),
        (uid(0), "deleted"),
        (uid(1), "gone"),
    ]


def test_rows_commit_in_batches_while_the_job_runs(
    glance_db_url: str, central_nodes: Callable[..., CentralNode], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Glance sees each full batch of deleted rows gone while the job is between entries,
    and what was done when the job stops stays done."""
    monkeypatch.setattr(central_writes, "BATCH_ENTRIES", 2)
    monkeypatch.setattr(central_writes, "BATCH_SECONDS", 1000.0)  # only the count decides
    node = central_nodes(glance_db_url, ONE)
    ids = [uid(n) for n in range(5)]
    for image_id in ids:
        node.cache(image_id, bytes(10))
    driver = open_source(source(node))
    entries = sorted(driver.scan().of_state(State.CACHED), key=lambda e: e.id)
    job = driver.delete_entries(entries)
    try:
        assert next(job).entry.id == ids[0]
        assert sorted(glance_rows(node)) == ids  # the first row's deletion is not committed yet
        next(job)
        assert sorted(glance_rows(node)) == ids[2:]  # a full batch: committed
        next(job)
        assert sorted(glance_rows(node)) == ids[2:]
    finally:
        job.close()  # stopped here: what was done stays done
    assert sorted(glance_rows(node)) == ids[3:]
    assert sorted(files(node)) == ids[3:]


def test_a_batch_of_rows_also_ends_after_its_time(
    glance_db_url: str, central_nodes: Callable[..., CentralNode], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(central_writes, "BATCH_ENTRIES", 1000)
    monkeypatch.setattr(central_writes, "BATCH_SECONDS", 0.0)  # every entry is past its time
    node = central_nodes(glance_db_url, ONE)
    ids = [uid(n) for n in range(2)]
    for image_id in ids:
        node.cache(image_id, bytes(10))
    driver = open_source(source(node))
    job = driver.delete_entries(sorted(driver.scan().of_state(State.CACHED), key=lambda e: e.id))
    try:
        next(job)
        assert sorted(glance_rows(node)) == ids[1:]
        next(job)
        assert glance_rows(node) == {}
    finally:
        job.close()
