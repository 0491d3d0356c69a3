"""The fleet from Glance's database: nodes written by Glance 33's own centralized_db driver
into SQLite, PostgreSQL and MariaDB, image records made by Glance's DB API, and the
fleet's figures checked against what Glance itself answers for each node.
"""

from __future__ import annotations

import sqlite3
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from inspector.core.errors import CacheError, ScanCancelled
from inspector.core.fleet import Fleet, FleetImage, fleet_database, read_fleet, read_fleet_summary
from inspector.core.glance_db import GlanceDatabase
from tests.services.glance_db import CentralNode, create_image, delete_image, write_glance_conf

pytestmark = pytest.mark.glance

ONE, TWO, THREE = "http://glance-1:9292", "http://glance-2:9292", "http://glance-3:9292"
IDLE = "http://glance-idle:9292"
#: ONE's latest access, set through Glance's insert_cache_details (naive UTC).
LATEST = "2030-01-02T03:04:05"


def uid(n: int) -> str:
    return f"{n:08x}-7777-4000-8000-{n:012x}"


def utc(ts: float) -> float:
    """Glance's get_cached_images reads its naive-UTC datetimes as local time: undone."""
    return datetime.fromtimestamp(ts).replace(tzinfo=UTC).timestamp()


class Deployment:
    """Three nodes sharing one database; Glance's image records for most images.

    ``shared`` is on every node, ``retired`` on ONE and TWO (then deleted in
    Glance), ``solo`` on TWO only, ``uid(1)`` (no record) on THREE only and
    ``uid(2)`` (no record, inserted with a known time and hit count) on ONE only.
    """

    def __init__(self, url: str, make: Callable[..., CentralNode]) -> None:
        self.url = url
        self.nodes = {u: make(url, u) for u in (ONE, TWO, THREE)}
        one, two, three = self.nodes.values()
        self.shared = create_image(url, name="cirros", data=b"s" * 3000)["id"]
        self.retired = create_image(url, name="retired", data=b"r" * 5000)["id"]
        self.solo = create_image(url, name="solo", data=b"o" * 700)["id"]
        for node in self.nodes.values():
            node.cache(self.shared, b"s" * 3000)
        for node in (one, two):
            node.cache(self.retired, b"r" * 5000)
        two.cache(self.solo, b"o" * 700)
        three.cache(uid(1), b"1" * 1000)
        one.insert_cache_details(uid(2), 1234, last_accessed=LATEST, hits=7, as_datetime=True)
        one.read(self.shared, times=2)
        delete_image(url, self.retired)


class Asked:
    """A ``cancelled`` that never cancels: how many times it was asked."""

    def __init__(self) -> None:
        self.times = 0

    def __call__(self) -> bool:
        self.times += 1
        return False


@pytest.fixture
def dep(glance_db_url: str, central_nodes: Callable[..., CentralNode]) -> Deployment:
    return Deployment(glance_db_url, central_nodes)


def glance_totals(node: CentralNode) -> tuple[int, int, int, float]:
    """What Glance's own get_cached_images says of the node: count, bytes, hits, latest."""
    rows = node.cached_images()
    return (
        len(rows),
        sum(r["size"] for r in rows),
        sum(r["hits"] for r in rows),
        max(utc(r["last_accessed"]) for r in rows),
    )


@pytest.mark.parametrize("glance_db_backend", ["sqlite", "postgresql", "mariadb"])
def test_nodes_and_matrix_agree_with_glance(dep: Deployment) -> None:
    db = GlanceDatabase(dep.url)
    fleet = read_fleet(db)
    assert [n.url for n in fleet.nodes] == [ONE, TWO, THREE]
    for summary in fleet.nodes:
        count, size, hits, latest = glance_totals(dep.nodes[summary.url])
        assert (summary.count, summary.bytes, summary.hits) == (count, size, hits)
        assert summary.last_accessed == pytest.approx(latest, abs=1e-3)
    assert [(n.count, n.bytes, n.hits) for n in fleet.nodes] == [
        (
            3,
            3000 + 5000 + 1234,
            2 + 7,
        ),
        (3, 3000 + 5000 + 700, 0),
        (2, 3000 + 1000, 0),
    ]
    assert fleet.nodes[0].last_accessed == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()
    assert read_fleet_summary(db) == fleet.nodes
    assert (fleet.count, fleet.bytes) == (8, sum(n.bytes for n in fleet.nodes))

    want = {
        dep.shared: FleetImage(dep.shared, "cirros", "active", 3000, (ONE, TWO, THREE)),
        dep.retired: FleetImage(dep.retired, "retired", "deleted", 5000, (ONE, TWO)),
        dep.solo: FleetImage(dep.solo, "solo", "active", 700, (TWO,)),
        uid(1): FleetImage(uid(1), None, None, 1000, (THREE,)),
        uid(2): FleetImage(uid(2), None, None, 1234, (ONE,)),
    }
    assert fleet.images == tuple(want[i] for i in sorted(want))
    for image in fleet.images:  # Glance's get_cached_nodes, asked of any node
        assert sorted(dep.nodes[ONE].cached_nodes(image.id)) == list(image.nodes)
    assert fleet.images_total == 5 and not fleet.limited
    assert fleet.on_every_node() == [want[dep.shared]]
    assert {i.id for i in fleet.on_one_node()} == {dep.solo, uid(1), uid(2)}
    assert fleet.deleted_in_glance() == [want[dep.retired]]
    assert (fleet.images_on_every_node, fleet.images_on_one_node, fleet.images_deleted) == (
        1,
        3,
        1,
    )


@pytest.mark.parametrize("glance_db_backend", ["sqlite", "postgresql"])
def test_a_limited_matrix_keeps_the_whole_fleets_counts(
    dep: Deployment, central_nodes: Callable[..., CentralNode]
) -> None:
    db = GlanceDatabase(dep.url)
    whole = read_fleet(db)
    first = read_fleet(db, image_limit=2)
    assert first.images == whole.images[:2] and first.limited
    assert first.nodes == whole.nodes and first.images_total == 5
    assert (first.images_on_every_node, first.images_on_one_node, first.images_deleted) == (
        whole.images_on_every_node,
        whole.images_on_one_node,
        whole.images_deleted,
    )
    assert read_fleet(db, image_limit=1).images == whole.images[:1]
    assert read_fleet(db, image_limit=0).images == ()
    assert read_fleet(db, image_limit=99).images == whole.images

    # cancelled is asked between statements and once per PARTITION matrix rows: before
    # the nodes, the counts and the matrix, then once for its 8 rows; no matrix, no ask
    for limit, asks in ((None, 4), (2, 4), (0, 2)):
        asked = Asked()
        assert read_fleet(db, image_limit=limit, cancelled=asked).images_total == 5
        assert asked.times == asks, f"image_limit={limit}"

    # a node that has cached nothing yet is a node of the fleet: nothing is on every node
    central_nodes(dep.url, IDLE)
    fleet = read_fleet(db)
    assert [(n.url, n.count, n.bytes, n.hits, n.last_accessed) for n in fleet.nodes][-1] == (
        IDLE,
        0,
        0,
        0,
        None,
    )
    assert fleet.on_every_node() == [] and fleet.images_on_every_node == 0
    assert fleet.images == whole.images


@pytest.mark.parametrize("glance_db_backend", ["sqlite"])
def test_an_image_deleted_with_delayed_delete_is_deleted_in_glance(
    glance_db_url: str, central_nodes: Callable[..., CentralNode]
) -> None:
    """With ``delayed_delete``, Glance deletes an image's record with the status
    ``pending_delete`` (its data is scrubbed later): the record is deleted all the same."""
    node = central_nodes(glance_db_url, ONE)
    kept = create_image(glance_db_url, name="kept", data=b"k" * 300)["id"]
    pending = create_image(glance_db_url, name="pending", data=b"p" * 400)["id"]
    node.cache(kept, b"k" * 300)
    node.cache(pending, b"p" * 400)
    delete_image(glance_db_url, pending, status="pending_delete")
    fleet = read_fleet(GlanceDatabase(glance_db_url))
    want = {
        kept: FleetImage(kept, "kept", "active", 300, (ONE,)),
        pending: FleetImage(pending, "pending", "deleted", 400, (ONE,)),
    }
    assert fleet.images == tuple(want[i] for i in sorted(want))
    assert fleet.deleted_in_glance() == [want[pending]] and fleet.images_deleted == 1


@pytest.mark.parametrize("glance_db_backend", ["sqlite"])
def test_an_empty_database_and_a_cancelled_read(glance_db_url: str) -> None:
    db = GlanceDatabase(glance_db_url)
    assert read_fleet(db) == Fleet(db.display, (), (), 0)
    asked: list[int] = []

    def cancel_second() -> bool:
        asked.append(1)
        return len(asked) > 1

    with pytest.raises(ScanCancelled) as cancelled:
        read_fleet(db, cancelled=cancel_second)
    assert len(asked) == 2
    assert str(cancelled.value) == "reading the fleet was cancelled"
    nothing_cached = Asked()  # no image cached: no matrix is read, nor asked for
    assert read_fleet(db, cancelled=nothing_cached).images == ()
    assert nothing_cached.times == 2
    with pytest.raises(ValueError, match="negative"):
        read_fleet(db, image_limit=-1)


@pytest.mark.parametrize("glance_db_backend", ["sqlite"])
def test_the_database_comes_from_a_glance_api_conf(glance_db_url: str, tmp_path: Path) -> None:
    conf = write_glance_conf(tmp_path / "glance-api.conf", glance_db_url)
    assert fleet_database(glance_config=conf).display == glance_db_url
    assert fleet_database("sqlite:////elsewhere.db", conf).display == "sqlite:////elsewhere.db"
    bare = tmp_path / "bare.conf"
    bare.write_text("[DEFAULT]\nimage_cache_dir = /var/lib/glance/image-cache\n")
    with pytest.raises(CacheError, match="sets no \\[database\\] connection"):
        fleet_database(glance_config=bare)


def test_a_database_without_glances_tables_is_one_clear_error(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "empty.db").close()
    for read in (read_fleet, read_fleet_summary):
        with pytest.raises(CacheError) as info:
            read(GlanceDatabase(f"sqlite:///{tmp_path}/empty.db"))  # type: ignore[operator]
        text = str(info.value)
        assert "has no node_reference, cached_images, images" in text and "\n" not in text


@pytest.mark.parametrize("glance_db_backend", ["postgresql"])
def test_a_wrong_password_is_never_shown(glance_db_url: str, caplog: Any) -> None:
    from urllib.parse import urlsplit

    password = urlsplit(glance_db_url).password
    assert password
    caplog.set_level("DEBUG")
    wrong = glance_db_url.replace(password, "not-the-" + password)
    with pytest.raises(CacheError) as info:
        read_fleet(GlanceDatabase(wrong))
    assert "***" in str(info.value)
    fleet = read_fleet(GlanceDatabase(glance_db_url))
    assert fleet.database.count("***") == 1
    text = "".join(traceback.format_exception(info.value)) + caplog.text + repr(fleet)
    assert password not in text


def test_what_a_fleet_without_a_database_named_is_told(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as caught:
        fleet_database()
    assert str(caught.value) == "name Glance's database: its URL or a node's glance-api.conf"
    bare = tmp_path / "glance-api.conf"
    bare.write_text("[DEFAULT]\nimage_cache_dir = /var/lib/glance/image-cache\n")
    with pytest.raises(CacheError) as refused:
        fleet_database(glance_config=bare)
    assert str(refused.value) == (
        f"{bare} sets no [database] connection: the fleet's database is not named there "
        "(give its URL)."
    )
