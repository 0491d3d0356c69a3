"""A glance-api.conf Glance would refuse: the whole line the user reads, never a password.

``tests/core/test_glance_config.py`` checks that each message names the
option; these pin each message whole, as the CLI and the window show it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.core.errors import CacheError, CacheNotFoundError
from inspector.core.glance_config import GlanceConfigError, read_glance_config, source_from_config

ABSOLUTE = (
    "is relative: glance-api resolves it against its own working directory, which the "
    "inspector cannot know; give the absolute path."
)
DOLLAR = "refers to an unknown option with $ (write $$ for a literal $)."
DB = "[database]\nconnection = mysql://glance:pw@db/glance\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "[DEFAULT]\nimage_cache_dir = /c\nimage_cache_max_size = -1\n",
            "@CONF@: [DEFAULT] image_cache_max_size has a value Glance refuses: Should be greater "
            "than or equal to 0.",
        ),
        (
            "[DEFAULT]\nimage_cache_dir = /c\nimage_cache_max_size = ten\n",
            "@CONF@: [DEFAULT] image_cache_max_size has a value Glance refuses: invalid literal "
            "for int() with base 10: 'ten'.",
        ),
        (
            "[DEFAULT]\nimage_cache_dir = /c\nimage_cache_stall_time = -5\n",
            "@CONF@: [DEFAULT] image_cache_stall_time has a value Glance refuses: Should be "
            "greater than or equal to 0.",
        ),
        (
            "[DEFAULT]\nimage_cache_dir = /c\nimage_cache_driver = redis\n",
            "@CONF@: [DEFAULT] image_cache_driver has a value Glance refuses: Valid values are "
            "[centralized_db, sqlite, xattr], but found 'redis'.",
        ),
        (
            "[DEFAULT]\nimage_cache_dir = relative/cache\n",
            f"@CONF@: image_cache_dir = relative/cache {ABSOLUTE}",
        ),
        (
            f"[DEFAULT]\nimage_cache_dir = /c\n[oslo_concurrency]\nlock_path = locks\n{DB}",
            f"@CONF@: [oslo_concurrency] lock_path = locks {ABSOLUTE}",
        ),
        (
            "[DEFAULT]\nimage_cache_driver = xattr\n",
            "@CONF@ sets no image_cache_dir in [DEFAULT]: this node keeps no image cache (or give "
            "its directory as PATH).",
        ),
        (
            "[DEFAULT]\nimage_cache_dir = /c\n",
            "@CONF@ uses image_cache_driver = centralized_db but sets no [database] connection: "
            "the node's cache metadata cannot be found (give --db URL).",
        ),
        (
            "[DEFAULT\nimage_cache_dir = /c\n",
            "@CONF@ is not a valid glance-api.conf: at @CONF@:1, Invalid section (must end "
            "with ]): '[DEFAULT'.",
        ),
        (
            "[DEFAULT]\nimage_cache_dir = /c\n[mysql://glance:Sup3r-s3cret@db/glance\n",
            "@CONF@ is not a valid glance-api.conf: at @CONF@:3, Invalid section (must end "
            "with ]): '[mysql://glance:***@db/glance'.",
        ),
        (
            "[DEFAULT]\nimage_cache_dir = /c\n[database]\nconnection = mysql://u:$pw@h/g\n",
            f"@CONF@: [database] connection {DOLLAR}",
        ),
        (
            f"[DEFAULT]\nimage_cache_dir = $nowhere/c\n{DB}",
            f"@CONF@: [DEFAULT] image_cache_dir {DOLLAR}",
        ),
        (
            f"[DEFAULT]\nimage_cache_dir = /c\n[oslo_concurrency]\nlock_path = $x/l\n{DB}",
            f"@CONF@: [oslo_concurrency] lock_path {DOLLAR}",
        ),
    ],
)
def test_each_refusal_is_one_whole_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "glance-api.conf"
    path.write_text(content)
    with pytest.raises(GlanceConfigError) as info:
        source_from_config(path)
    assert str(info.value) == message.replace("@CONF@", str(path))


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(CacheNotFoundError) as missing:
        source_from_config(tmp_path / "nope.conf")
    assert str(missing.value) == f"{tmp_path / 'nope.conf'} does not exist."
    with pytest.raises(CacheError) as folder:
        read_glance_config(tmp_path)
    assert type(folder.value) is GlanceConfigError
    assert str(folder.value) == f"{tmp_path} is not a file: give a node's glance-api.conf."


def test_what_the_file_sets_and_what_the_caller_replaces(tmp_path: Path) -> None:
    path = tmp_path / "glance-api.conf"
    path.write_text(
        "[DEFAULT]\nimage_cache_dir = /var/lib/glance/cache\nimage_cache_driver = Sqlite\n"
        "worker_self_reference_url = http://glance-7:9292\nimage_cache_stall_time = 600\n"
        "[database]\nconnection = mysql+pymysql://glance:Sup3r-s3cret@db.example/glance\n"
    )
    gc = read_glance_config(path)
    assert (gc.cache_dir, gc.driver, gc.node_url, gc.stall_time, gc.lock_path) == (
        Path("/var/lib/glance/cache"),
        "sqlite",
        "http://glance-7:9292",
        600,
        None,
    )
    assert repr(gc) == (
        f"GlanceConfig(path={path!r}, driver='sqlite', "
        "db_url='mysql+pymysql://glance:***@db.example/glance')"
    )
    src = source_from_config(path)
    assert (src.path, src.kind, src.node, src.config) == (
        Path("/var/lib/glance/cache"),
        "sqlite",
        "http://glance-7:9292",
        path,
    )
    other = source_from_config(
        path,
        cache_dir=tmp_path / "copy",
        db_url="sqlite:////tmp/g.db",
        node="http://glance-8:9292",
    )
    assert (other.path, other.db_url, other.node) == (
        tmp_path / "copy",
        "sqlite:////tmp/g.db",
        "http://glance-8:9292",
    )
    assert other.options == src.options


def test_an_empty_node_url_or_connection_is_none(tmp_path: Path) -> None:
    path = tmp_path / "glance-api.conf"
    path.write_text(
        "[DEFAULT]\nimage_cache_dir = /c\nimage_cache_driver = xattr\n"
        "worker_self_reference_url =\n[database]\nconnection =\n"
    )
    gc = read_glance_config(path)
    assert (gc.node_url, gc.db_url) == (None, None)
    assert repr(gc) == f"GlanceConfig(path={path!r}, driver='xattr', db_url=None)"


def test_the_environment_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """oslo.config can take options from OS_<GROUP>__<OPTION>; glance-api's file alone counts."""
    monkeypatch.setenv("OS_DEFAULT__IMAGE_CACHE_DIR", "/from/the/environment")
    monkeypatch.setenv("OS_DEFAULT__IMAGE_CACHE_MAX_SIZE", "5")
    path = tmp_path / "glance-api.conf"
    path.write_text("[DEFAULT]\nimage_cache_driver = xattr\nimage_cache_dir = /var/cache\n")
    gc = read_glance_config(path)
    assert (gc.cache_dir, gc.max_size) == (Path("/var/cache"), 10 * 1024**3)
