"""A node's glance-api.conf opens its cache, whichever of Glance's three drivers it uses."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inspector.core import CacheSource, open_source, read
from inspector.core.errors import CacheError
from inspector.core.glance_config import read_glance_config, source_from_config
from tests.glance_service import GlanceService
from tests.services.glance_db import CentralNode, write_glance_conf

pytestmark = pytest.mark.glance

NODE = "http://glance-7:9292"
SECRET_URL = "mysql+pymysql://glance:Sup3r-s3cret@db.example/glance"


def conf(
    tmp_path: Path, db_url: str = SECRET_URL, name: str = "glance-api.conf", **default: Any
) -> Path:
    return write_glance_conf(tmp_path / name, db_url, DEFAULT=default)


@pytest.mark.parametrize("glance_db_backend", ["sqlite"])
def test_the_conf_glance_itself_reads_opens_its_centralized_node(
    glance_db_url: str, central_nodes: Callable[..., CentralNode]
) -> None:
    node = central_nodes(glance_db_url, NODE)
    node.cache("6d0b5b54-0a0b-4e6b-9a57-0b2b3d0f3a01", b"x" * 100)
    glances_own = node._worker.conf_path  # the file this node's Glance process parsed
    src = source_from_config(glances_own)
    assert (src.kind, src.path, src.node, src.db_url) == (
        "centralized_db",
        Path(node.path),
        NODE,
        glance_db_url,
    )
    assert src.config == glances_own
    reading = read(src)
    assert reading.driver.name == "centralized_db"
    assert [e.id for e in reading.snapshot.entries] == ["6d0b5b54-0a0b-4e6b-9a57-0b2b3d0f3a01"]
    assert (reading.limits.max_size, reading.limits.stall_time) == (10 * 1024**3, 86400.0)


@pytest.mark.parametrize("kind", ["sqlite", "xattr"])
def test_a_sqlite_or_xattr_node_with_its_limits(
    glance: GlanceService, kind: str, tmp_path: Path
) -> None:
    glance.cache("6d0b5b54-0a0b-4e6b-9a57-0b2b3d0f3a01", b"x" * 100)
    path = conf(
        tmp_path,
        image_cache_driver=kind.upper(),  # oslo.config: choices ignore case here
        image_cache_dir=glance.path,
        image_cache_max_size=123456789,
        image_cache_stall_time=600,
    )
    src = source_from_config(path)
    assert (src.kind, src.path, src.db_url) == (kind, Path(glance.path), SECRET_URL)
    assert (src.options.max_size, src.options.stall_time) == (123456789, 600.0)
    limits = read(CacheSource(src.path, src.kind, options=src.options)).limits
    assert (limits.max_size, limits.stall_time) == (123456789, 600.0)


def test_sqlite_db_name_lock_path_and_a_conf_d_beside_it(tmp_path: Path) -> None:
    path = conf(
        tmp_path,
        image_cache_driver="sqlite",
        image_cache_dir="/var/lib/glance/image-cache",
        image_cache_sqlite_db="images.db",
    )
    with path.open("a") as f:
        f.write("[oslo_concurrency]\nlock_path = /var/lock/glance\n")
    (tmp_path / "glance-api.conf.d").mkdir()
    (tmp_path / "glance-api.conf.d" / "50-size.conf").write_text(
        "[DEFAULT]\nimage_cache_max_size = 2048\n"
    )
    src = source_from_config(path)
    assert src.options.sqlite_db == "images.db"
    assert src.options.lock_path == Path("/var/lock/glance")
    assert src.options.max_size == 2048  # oslo.config: the conf.d file comes after
    assert src.node is None and src.kind == "sqlite"


def test_defaults_are_glances(tmp_path: Path) -> None:
    cfg = read_glance_config(conf(tmp_path, image_cache_dir="/c"))
    assert (cfg.driver, cfg.max_size, cfg.stall_time, cfg.sqlite_db) == (
        "centralized_db",
        10 * 1024**3,
        86400,
        "cache.db",
    )
    assert "Sup3r-s3cret" not in repr(cfg)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[DEFAULT]\nimage_cache_dir = /c\nimage_cache_max_size = -1\n", "image_cache_max_size"),
        ("[DEFAULT]\nimage_cache_dir = /c\nimage_cache_max_size = ten\n", "image_cache_max_size"),
        ("[DEFAULT]\nimage_cache_dir = /c\nimage_cache_driver = redis\n", "image_cache_driver"),
        ("[DEFAULT]\nimage_cache_dir = relative/cache\n", "is relative"),
        ("[DEFAULT]\nimage_cache_driver = xattr\n", "sets no image_cache_dir"),
        ("[DEFAULT]\nimage_cache_dir = /c\n", "sets no [database] connection"),
        ("[DEFAULT\nimage_cache_dir = /c\n", "is not a valid glance-api.conf"),
        ("no section at all\n", "is not a valid glance-api.conf"),
        ("[DEFAULT]\nimage_cache_dir = /c\n[database]\nconnection = mysql://u:$pw@h/g\n", "$$"),
    ],
)
def test_bad_files_give_one_clear_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "glance-api.conf"
    path.write_text(content)
    with pytest.raises(CacheError) as info:
        source_from_config(path)
    text = str(info.value)
    assert message in text and "\n" not in text
    assert str(path) in text
    assert "$pw" not in text


def test_missing_or_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(CacheError, match="does not exist"):
        source_from_config(tmp_path / "nope.conf")
    with pytest.raises(CacheError, match="is not a file"):
        source_from_config(tmp_path)
    if os.geteuid() != 0:  # root reads anything
        path = conf(tmp_path, image_cache_dir="/c")
        path.chmod(0)
        with pytest.raises(CacheError, match="permission denied"):
            source_from_config(path)


def test_the_password_is_in_no_error(tmp_path: Path) -> None:
    path = conf(tmp_path, image_cache_dir=str(tmp_path / "no-cache"))
    with pytest.raises(CacheError) as info:
        open_source(source_from_config(path))
    assert "Sup3r-s3cret" not in str(info.value)
    src = source_from_config(path)
    assert "Sup3r-s3cret" not in src.display_name() and "***" in src.display_name()
