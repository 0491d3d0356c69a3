"""Smoke tests: each real service starts, is reachable only where it should be, and
Glance's own code writes the central database as the inspector will find it."""

from __future__ import annotations

import datetime
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.services import listening_tcp_ports, process_tree, wait_until

CACHE_TABLES = {"node_reference", "cached_images", "images", "image_locations"}
ALEMBIC_HEAD = "2024_1_contract01"


def _rows(url: str, sql: str) -> list[dict[str, Any]]:
    from tests.services.glance_db import rows

    return rows(url, sql)


def _tables(url: str) -> set[str]:
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _as_datetime(value: Any) -> datetime.datetime:
    # SQLite hands back strings, the others datetimes
    return (
        value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(value)
    )


# --------------------------------------------------------------------------- servers


def _assert_socket_only(pid: int | None) -> None:
    assert pid is not None
    assert listening_tcp_ports(process_tree(pid)) == []
    if os.geteuid() == 0:
        assert os.stat(f"/proc/{pid}").st_uid != 0, "the server must not run as root"


def test_postgres_listens_on_its_socket_only(postgres_server: Any) -> None:
    import sqlalchemy as sa
    from sqlalchemy.exc import OperationalError

    _assert_socket_only(postgres_server.pid)
    assert Path(postgres_server.socket_dir, ".s.PGSQL.5432").is_socket()
    name = postgres_server.create_database("smoke_pg")
    try:
        for driver in ("psycopg", "psycopg2"):
            pytest.importorskip(driver)
            url = postgres_server.url(name, driver=driver)
            assert f"postgresql+{driver}://glance:s3cret-pw@/smoke_pg?host=" in url
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
            with engine.connect() as conn:
                assert conn.exec_driver_sql("SELECT current_user").scalar() == "glance"
            wrong = sa.create_engine(url.replace("s3cret-pw", "wrong"), poolclass=sa.pool.NullPool)
            with pytest.raises(OperationalError, match="password authentication failed"):
                wrong.connect()
    finally:
        postgres_server.drop_database(name)
    assert name not in postgres_server.databases()


def test_mariadb_listens_on_its_socket_only(mariadb_server: Any) -> None:
    import sqlalchemy as sa
    from sqlalchemy.exc import OperationalError

    _assert_socket_only(mariadb_server.pid)
    assert Path(mariadb_server.socket_path).is_socket()
    name = mariadb_server.create_database("smoke_mdb")
    try:
        url = mariadb_server.url(name)
        assert url.startswith("mysql+pymysql://glance:s3cret-pw@localhost/smoke_mdb?unix_socket=")
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            row = conn.exec_driver_sql("SELECT current_user(), @@skip_networking").one()
        assert tuple(row) == ("glance@localhost", 1)
        wrong = sa.create_engine(url.replace("s3cret-pw", "wrong"), poolclass=sa.pool.NullPool)
        with pytest.raises(OperationalError, match="Access denied"):
            wrong.connect()
    finally:
        mariadb_server.drop_database(name)
    assert name not in mariadb_server.databases()


# --------------------------------------------------------------------------- Glance DB


def test_db_sync_creates_glances_schema(glance_db_url: str) -> None:
    assert _tables(glance_db_url) >= CACHE_TABLES
    assert _rows(glance_db_url, "SELECT version_num FROM alembic_version") == [
        {"version_num": ALEMBIC_HEAD}
    ]
    assert _rows(glance_db_url, "SELECT * FROM cached_images") == []


def test_two_nodes_share_one_database(
    glance_db_url: str, glance_db_backend: str, central_nodes: Callable[..., Any]
) -> None:
    one = central_nodes(glance_db_url, "http://node-1:9292")
    two = central_nodes(glance_db_url, "http://node-2:9292")
    one.cache("img-a", b"a" * 100)
    one.cache("img-b", b"b" * 200)
    two.cache("img-a", b"a" * 100)
    if glance_db_backend == "mariadb":
        # DATETIME keeps whole seconds: without this, img-a's last access could tie
        # with img-b's and Glance's ORDER BY last_accessed could take either first.
        time.sleep(1.1)
    one.read("img-a", times=3)

    assert sorted(e["image_id"] for e in one.cached_images()) == ["img-a", "img-b"]
    assert [e["image_id"] for e in two.cached_images()] == ["img-a"]
    assert one.hit_count("img-a") == 3 and two.hit_count("img-a") == 0
    assert sorted(one.cached_nodes("img-a")) == ["http://node-1:9292", "http://node-2:9292"]
    assert {e["checksum"] for e in one.cached_images()} == {None}  # Glance never fills it

    # the rows as the inspector reads them: one per (image, node), naive-UTC datetimes
    rows = _rows(
        glance_db_url,
        "SELECT c.image_id, c.hits, c.size, c.last_accessed, n.node_reference_url "
        "FROM cached_images c JOIN node_reference n "
        "ON n.node_reference_id = c.node_reference_id ORDER BY c.id",
    )
    assert [(r["image_id"], r["node_reference_url"], r["hits"]) for r in rows] == [
        ("img-a", "http://node-1:9292", 3),
        ("img-b", "http://node-1:9292", 0),
        ("img-a", "http://node-2:9292", 0),
    ]
    accessed = [_as_datetime(r["last_accessed"]) for r in rows]
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    assert all(a.tzinfo is None and abs((now - a).total_seconds()) < 120 for a in accessed)
    if glance_db_backend == "mariadb":  # DATETIME without fractional seconds
        assert {a.microsecond for a in accessed} == {0}

    # Glance's prune on node 1 removes node 1's rows (least recently accessed first) only
    assert one.prune(150) == (1, 200)
    assert [e["image_id"] for e in one.cached_images()] == ["img-a"]
    assert [e["image_id"] for e in two.cached_images()] == ["img-a"]
    one.delete_cached_image("img-a")
    assert one.cached_images() == [] and one.cache_size() == 0
    assert two.cached_nodes("img-a") == ["http://node-2:9292"]


def test_node_write_paths_leave_glances_files(
    glance_db_url: str, central_nodes: Callable[..., Any]
) -> None:
    node = central_nodes(glance_db_url)
    root = Path(node.path)
    node.start("img-in-flight", b"partial")
    node.fail("img-failed", b"junk", "network went away")
    assert node.queue("img-queued") and not node.queue("img-queued")
    assert (root / "incomplete" / "img-in-flight").read_bytes() == b"partial"
    assert (root / "invalid" / "img-failed").exists()
    assert node.queued() == ["img-queued"]
    assert node.cached_images() == []  # nothing committed yet
    node.finish("img-in-flight")
    assert [e["image_id"] for e in node.cached_images()] == ["img-in-flight"]
    node.clean(stall_time=0)
    assert not any((root / "invalid").iterdir())
    pid = node.pid
    assert pid is not None
    node.close()
    assert _is_gone(pid)


def _is_gone(pid: int) -> bool:
    """No such process (or only its zombie, waiting for its parent)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_image_records_through_glances_db_api(glance_db_url: str) -> None:
    from tests.services.glance_db import create_image, delete_image, get_image

    image = create_image(glance_db_url, name="cirros", data=b"x" * 1000)
    assert image["status"] == "active" and image["deleted"] is False
    assert image["size"] == 1000 and image["os_hash_algo"] == "sha512"
    deleted = delete_image(glance_db_url, image["id"])
    assert deleted["status"] == "deleted" and deleted["deleted"] is True
    assert get_image(glance_db_url, image["id"])["deleted_at"] is not None
    (row,) = _rows(glance_db_url, "SELECT status, deleted, deleted_at FROM images")
    assert row["status"] == "deleted" and row["deleted"] in (1, True)
    assert row["deleted_at"] is not None


# --------------------------------------------------------------------------- live API


def test_download_caches_on_the_serving_node_only(glance_fleet: Any) -> None:
    one, two = glance_fleet
    data = os.urandom(64 * 1024)
    image_id = one.upload_image("smoke", data)
    assert one.cache_state() == two.cache_state() == {"cached_images": [], "queued_images": []}

    assert two.download(image_id) == data
    assert two.cached_ids() == [image_id] and one.cached_ids() == []
    assert two.cache_files() == [image_id] and one.cache_files() == []
    assert (two.cache_dir / image_id).read_bytes() == data
    assert one.cached_nodes(image_id) == two.cached_nodes(image_id) == [two.url]
    (row,) = _rows(
        glance_fleet.db_url,
        "SELECT c.image_id, c.size, c.hits, n.node_reference_url FROM cached_images c "
        "JOIN node_reference n ON n.node_reference_id = c.node_reference_id",
    )
    assert row == {
        "image_id": image_id,
        "size": len(data),
        "hits": 0,
        "node_reference_url": two.url,
    }

    assert two.download(image_id) == data  # served from the cache: a hit
    # Glance counts the hit when the response's iterator is closed, just after
    # the client has read the last byte.
    wait_until(
        lambda: two.cache_state()["cached_images"][0]["hits"] == 1,
        timeout=10,
        what="the hit of the cached download",
    )

    # the cache API acts on the node that receives the call
    assert one.cache_queue(image_id).status_code == 202
    one.wait_cached(image_id)
    assert sorted(two.cached_nodes(image_id)) == sorted([one.url, two.url])
    assert one.cache_delete(image_id).status_code == 204
    assert one.cached_ids() == [] and two.cached_ids() == [image_id]
    assert two.cache_prune() == {"total_files_pruned": 0, "total_bytes_pruned": 0}
    assert two.cache_clean().status_code == 200
    assert two.cache_clear("cache").status_code == 204
    assert (
        two.cached_ids() == [] and _rows(glance_fleet.db_url, "SELECT * FROM cached_images") == []
    )


def test_db_api_image_looks_like_an_uploaded_one(glance_fleet: Any) -> None:
    from tests.services.glance_db import create_image

    data = b"same bytes" * 100
    uploaded = glance_fleet[0].upload_image("via-api", data)
    made = create_image(glance_fleet.db_url, name="via-db-api", data=data)["id"]
    by_id = {r["id"]: r for r in _rows(glance_fleet.db_url, "SELECT * FROM images")}
    ignore = {"id", "name", "created_at", "updated_at"}
    api_row = {k: v for k, v in by_id[uploaded].items() if k not in ignore}
    db_row = {k: v for k, v in by_id[made].items() if k not in ignore}
    assert api_row == db_row
    assert glance_fleet[0].get_image(made)["checksum"] == api_row["checksum"]


def test_a_stopped_node_refuses_connections(glance_fleet: Any) -> None:
    import requests

    one, two = glance_fleet
    pids = process_tree(two.pid)
    assert {addr for addr, _ in listening_tcp_ports(pids)} == {"0100007F"}  # 127.0.0.1
    two.stop()
    assert not two.running
    with pytest.raises(requests.ConnectionError):
        two.request("GET", "/", timeout=5)
    assert all(_is_gone(pid) for pid in pids)
    assert one.request("GET", "/").status_code == 300


def test_openstacksdk_talks_to_a_noauth_node(glance_fleet: Any) -> None:
    openstack = pytest.importorskip("openstack")
    node = glance_fleet[0]
    image_id = node.upload_image("sdk", b"sdk" * 100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK's own deprecation noise is not ours
        conn = openstack.connect(
            auth_type="none",
            image_endpoint_override=node.url,
            load_yaml_config=False,
            load_envvars=False,
        )
        assert conn.image.get_image_cache().cached_images == []
        conn.image.queue_image(image_id)
        node.wait_cached(image_id)
        cache = conn.image.get_image_cache()
        assert [c.image_id for c in cache.cached_images] == [image_id]
        assert conn.image.cached_image_nodes(image_id) == [node.url]
        conn.image.clean_cache()
        assert conn.image.prune_cache() == {"total_files_pruned": 0, "total_bytes_pruned": 0}
        conn.image.cache_delete_image(image_id)
        assert node.cached_ids() == []
        conn.image.clear_cache("both")
        conn.close()


def test_a_node_under_uwsgi(glance_fleet_factory: Callable[..., Any]) -> None:
    from tests.services.glance_api import wsgi_servers

    if "uwsgi" not in wsgi_servers():
        pytest.skip("uwsgi is optional and not installed")
    (node,) = glance_fleet_factory(1, server="uwsgi")
    image_id = node.upload_image("uwsgi", b"u" * 1000)
    assert node.download(image_id) == b"u" * 1000
    assert node.cached_ids() == [image_id]
