"""Audit, repair and import on Glance's centralized_db nodes (issue 15), checked with Glance.

The nodes are written by Glance 33's own centralized_db driver into SQLite,
PostgreSQL and MariaDB; the sqlite and xattr caches of the round trip by its
sqlite and xattr drivers.  What the inspector wrote is read back through
Glance's central DB API (``get_cached_images`` of the node).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from inspector.core import CacheSource, State, read
from inspector.core.audit import audit
from inspector.core.drivers.base import MetadataUpdate, OutcomeStatus
from inspector.core.journal import read_journal
from inspector.core.metadata_records import dumps, parse_record, plan_restore, restore, save
from inspector.core.model import make_entry
from inspector.core.problems import ProblemKind
from inspector.core.repair import Untracked, plan_repair, repair
from tests.glance_service import GlanceService
from tests.services.glance_db import CentralNode, rows
from tests.trust_caches import CACHED, age, data

pytestmark = pytest.mark.glance

ONE, TWO = "http://trust-1:9292", "http://trust-2:9292"
#: Last accesses in ns, apart by odd amounts so that no rounding to ms or s hides an error.
BASE_NS = 1_700_000_000_123_456_789
STEP_NS = 1_234_567_891
HITS = [5, 0, 3, 1, 12, 2]


def source(node: CentralNode) -> CacheSource:
    return CacheSource(path=Path(node.path), db_url=node.db_url, node=node.node_url)


def glance_rows(node: CentralNode) -> dict[str, dict[str, Any]]:
    """Glance's get_cached_images for the node, by image id, times back in UTC.

    Glance turns its naive-UTC datetimes into floats with ``.timestamp()``,
    which reads them as local time; turned back here, in the same time zone.
    """

    def utc(ts: float) -> float:
        return datetime.fromtimestamp(ts).replace(tzinfo=UTC).timestamp()

    return {
        str(r["image_id"]): dict(
            r, last_accessed=utc(r["last_accessed"]), last_modified=utc(r["last_modified"])
        )
        for r in node.cached_images()
    }


def image_files(node: CentralNode) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in Path(node.path).iterdir() if p.name in set(CACHED)}


def test_audit_and_repair_make_the_rows_agree_with_the_files(
    glance_db_url: str, central_nodes: Any
) -> None:
    one: CentralNode = central_nodes(glance_db_url, ONE)
    two: CentralNode = central_nodes(glance_db_url, TWO)
    for n, image_id in enumerate(CACHED[:5]):
        one.cache(image_id, data(n))
        two.cache(image_id, data(n))
    one.read(CACHED[1], 4)
    two.read(CACHED[0], 2)
    assert audit(read(source(one))).problems == ()

    # A row whose file is gone, a file without a row, a row with another size: each
    # left by Glance's own calls (its DB API on this node's rows, no file touched).
    os.unlink(Path(one.path, CACHED[0]))
    one.delete_cache_row(CACHED[2])
    age(Path(one.path, CACHED[2]), 3600)  # not a download being committed right now
    one.delete_cache_row(CACHED[3])
    one.insert_cache_details(CACHED[3], 999, as_datetime=True)
    others = two.cached_images()

    report = audit(read(source(one)))
    found = {(p.kind, p.id) for p in report.problems}
    assert found == {
        (ProblemKind.ROW_WITHOUT_FILE, CACHED[0]),
        (ProblemKind.FILE_WITHOUT_ROW, CACHED[2]),
        (ProblemKind.SIZE_MISMATCH, CACHED[3]),
    }
    [mismatch] = report.of_kind(ProblemKind.SIZE_MISMATCH)
    assert mismatch.recorded_size == 999
    assert mismatch.detail == (
        f"this node's row records 999 bytes, the file holds {len(data(3)):,}: Glance's pruner "
        "counts the file, its cache listing the row"
    )

    reading = read(source(one))
    plan = plan_repair(audit(reading), Untracked.ADOPT)
    result = repair(reading.driver, plan)
    assert result.ok and result.done == 3, result

    # Glance's own driver now lists exactly the files, with their sizes.
    listed = glance_rows(one)
    assert {i: r["size"] for i, r in listed.items()} == image_files(one)
    assert listed[CACHED[1]]["hits"] == 4  # kept
    assert listed[CACHED[2]]["hits"] == 0  # adopted as Glance's commit records it
    mtime = os.stat(Path(one.path, CACHED[2])).st_mtime
    assert abs(listed[CACHED[2]]["last_accessed"] - mtime) < 1.0
    assert one.hit_count(CACHED[2]) == 0 and one.is_cached(CACHED[2])
    assert two.cached_images() == others  # the other node's rows untouched
    assert audit(read(source(one))).problems == ()


def _sqlite_source(root: Path) -> GlanceService:
    """A cache written by Glance's sqlite driver: hits by serving, then known access times."""
    src = GlanceService("sqlite", str(root))
    for n, i in enumerate(CACHED):
        src.cache(i, data(n))
    for i, hits in zip(CACHED, HITS, strict=True):
        src.read(i, hits)
    for k, i in enumerate(CACHED):
        src.set_accessed(i, BASE_NS + k * STEP_NS)
    return src


def _import(record: bytes, target: CacheSource, kind: str) -> None:
    reading = read(target)
    assert reading.driver.name == kind
    plan = plan_restore(parse_record(record), reading)
    result = restore(reading.driver, plan)
    assert result.ok and result.done == len(CACHED), result


def test_sqlite_to_xattr_to_centralized_db_keeps_hits_sizes_and_access_times(
    tmp_path: Path, glance_db_url: str, glance_db_backend: str, central_nodes: Any
) -> None:
    src = _sqlite_source(tmp_path / "sqlite")
    from_sqlite = dumps(save(read(CacheSource(path=Path(src.path)))))
    xattr = GlanceService("xattr", str(tmp_path / "xattr"))  # the node rebuilt: same images
    for n, i in enumerate(CACHED):
        xattr.cache(i, data(n))
    _import(from_sqlite, CacheSource(path=Path(xattr.path)), "xattr")
    from_xattr = dumps(save(read(CacheSource(path=Path(xattr.path)))))

    node: CentralNode = central_nodes(glance_db_url, ONE)
    other: CentralNode = central_nodes(glance_db_url, TWO)
    other.cache(CACHED[0], data(0))
    others = other.cached_images()
    for i in CACHED:  # the bytes moved over (not user.hits, which would make it an
        # xattr cache); the node's database knows none of them
        shutil.copyfile(Path(xattr.path, i), Path(node.path, i))
        age(Path(node.path, i), 3600)
    _import(from_xattr, source(node), "centralized_db")

    listed = glance_rows(node)
    assert {i: r["hits"] for i, r in listed.items()} == dict(zip(CACHED, HITS, strict=True))
    assert {i: r["size"] for i, r in listed.items()} == {
        i: len(data(n)) for n, i in enumerate(CACHED)
    }
    for k, i in enumerate(CACHED):
        want = (BASE_NS + k * STEP_NS) / 1e9
        got = listed[i]["last_accessed"]
        if glance_db_backend == "mariadb":
            # Glance's schema makes it a DATETIME without fractional seconds: MariaDB
            # keeps the whole second, truncated.
            assert got == int(want), (i, got, want)
        else:
            assert abs(got - want) < 1e-3, (i, got, want)  # within 1 ms
    # Glance's pruner now takes the images in their original LRU order.
    assert node.least_recently_accessed()[0] == CACHED[0]
    assert other.cached_images() == others
    assert audit(read(source(node))).problems == ()


@pytest.mark.parametrize("glance_db_backend", ["sqlite"])
def test_a_node_glance_does_not_record_yet_is_recorded_as_glance_records_it(
    tmp_path: Path, glance_db_url: str
) -> None:
    from inspector.core import open_source

    root = tmp_path / "new-node"
    for sub in ("incomplete", "invalid", "queue"):
        (root / sub).mkdir(parents=True)
    Path(root, CACHED[0]).write_bytes(data(0))
    url = "http://new-node:9292"
    assert rows(glance_db_url, "SELECT * FROM node_reference") == []
    driver = open_source(CacheSource(path=root, db_url=glance_db_url, node=url))
    entry = make_entry(CACHED[0], State.CACHED, len(data(0)), None, None, None)
    [outcome] = driver.write_metadata([MetadataUpdate(entry, hits=7, create=True)])
    assert outcome.status is OutcomeStatus.UPDATED
    [recorded] = rows(glance_db_url, "SELECT node_reference_url FROM node_reference")
    assert recorded["node_reference_url"] == url
    assert driver.scan().node == url  # the driver that recorded it reads it as that node
    with CentralNode(glance_db_url, url, root) as node:  # glance-api starting on it
        assert {i: r["hits"] for i, r in glance_rows(node).items()} == {CACHED[0]: 7}
        assert node.hit_count(CACHED[0]) == 7


@pytest.mark.parametrize("glance_db_backend", ["sqlite"])
def test_a_file_gone_since_the_preview_keeps_its_row_and_the_journal_says_why(
    glance_db_url: str, central_nodes: Any, journal_file: Path
) -> None:
    """The file went (not through Glance) between the preview and the import: the row
    is left as it was, and the journal of changes names the image with the reason."""
    node: CentralNode = central_nodes(glance_db_url, ONE)
    for n in range(2):
        node.cache(CACHED[n], data(n))
    record = parse_record(dumps(save(read(source(node)))))
    record = replace(record, entries=tuple(replace(e, hits=9) for e in record.entries))
    reading = read(source(node))
    plan = plan_restore(record, reading)
    assert len(plan.updates) == 2
    Path(node.path, CACHED[0]).unlink()
    result = restore(reading.driver, plan)
    assert (result.done, result.gone) == (2, 1)
    assert {i: r["hits"] for i, r in glance_rows(node).items()} == {CACHED[0]: 0, CACHED[1]: 9}
    [change] = read_journal(journal_file).records
    assert sorted((e.id, e.outcome, e.reason) for e in change.entries) == [
        (CACHED[0], "gone", "its file is gone: row left alone"),
        (CACHED[1], "updated", None),
    ]


@pytest.mark.parametrize("glance_db_backend", ["sqlite"])
def test_the_only_node_of_a_database_is_written_without_being_named(
    glance_db_url: str, central_nodes: Any
) -> None:
    """Opened without ``--node`` (the database records one node), a write goes to that
    node's rows: no other node is recorded for it."""
    from inspector.core import open_source

    one: CentralNode = central_nodes(glance_db_url, ONE)
    one.cache(CACHED[0], data(0))
    one.delete_cache_row(CACHED[0])
    driver = open_source(CacheSource(path=Path(one.path), db_url=glance_db_url))
    entry = make_entry(CACHED[0], State.CACHED, len(data(0)), None, None, None)
    [outcome] = driver.write_metadata([MetadataUpdate(entry, hits=7, create=True)])
    assert outcome.status is OutcomeStatus.UPDATED
    assert rows(glance_db_url, "SELECT node_reference_url FROM node_reference") == [
        {"node_reference_url": ONE}
    ]
    assert one.hit_count(CACHED[0]) == 7


@pytest.mark.parametrize("glance_db_backend", ["sqlite"])
@pytest.mark.parametrize("named", [True, False])
def test_a_record_of_a_node_names_the_node_in_each_entry(
    glance_db_url: str, central_nodes: Any, named: bool
) -> None:
    """Named by ``--node``, or the database's only node found without it."""
    one: CentralNode = central_nodes(glance_db_url, ONE)
    for n, image_id in enumerate(CACHED[:2]):
        one.cache(image_id, data(n))
    src = source(one) if named else CacheSource(path=Path(one.path), db_url=glance_db_url)
    reading = read(src)
    try:
        doc = save(reading)
    finally:
        reading.driver.close()
    assert (doc["cache-settings"]["kind"], doc["cache-settings"]["node"]) == (
        "centralized_db",
        ONE,
    )
    assert sorted((e["id"], e["node"]) for e in doc["cache-entries"]) == [
        (image_id, ONE) for image_id in CACHED[:2]
    ]
