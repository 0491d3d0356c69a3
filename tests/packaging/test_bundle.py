"""The PyInstaller bundle starts on the demo cache and quits cleanly.

It runs where the bundle is built: packaging/build.sh (./run package, and CI)
sets CACHE_INSPECTOR_BUNDLE; the quick test run skips it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

BUNDLE = os.environ.get("CACHE_INSPECTOR_BUNDLE")
pytestmark = pytest.mark.skipif(not BUNDLE, reason="no bundle built (run ./run package)")


def test_gui_starts_on_the_demo_and_quits_cleanly(tmp_path: Path) -> None:
    assert BUNDLE is not None
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    r = subprocess.run(
        [str(Path(BUNDLE) / "cache-inspector"), "--demo", "--quit-after", "3"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert "entries" in r.stderr and "read " in r.stderr  # the demo cache was read
    assert "Traceback" not in r.stderr
    assert "missing icon" not in r.stderr  # the icons travelled with the bundle


def test_cli_in_the_bundle(tmp_path: Path) -> None:
    assert BUNDLE is not None
    cli = str(Path(BUNDLE) / "cache-inspector-cli")
    version = subprocess.run([cli, "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("cache-inspector-cli ")
    missing = subprocess.run(
        [cli, "stats", str(tmp_path / "none")], capture_output=True, text=True, timeout=60
    )
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    empty = tmp_path / "cache"
    (empty / "queue").mkdir(parents=True)
    r = subprocess.run(
        [cli, "stats", str(empty), "--json"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["driver"] == "xattr"


def test_the_bundle_reaches_glances_database_and_reads_its_config(tmp_path: Path) -> None:
    """SQLAlchemy (and its SQLite dialect) and oslo.config travelled with the bundle."""
    assert BUNDLE is not None
    cli = str(Path(BUNDLE) / "cache-inspector-cli")
    db = tmp_path / "other.sqlite"
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE unrelated (a)")
    conf = tmp_path / "glance-api.conf"
    (tmp_path / "cache" / "queue").mkdir(parents=True)
    conf.write_text(
        f"[DEFAULT]\nimage_cache_dir = {tmp_path / 'cache'}\n"
        f"image_cache_driver = centralized_db\n[database]\nconnection = sqlite:///{db}\n"
    )
    for args in (["fleet", "--db", f"sqlite:///{db}"], ["list", "--glance-config", str(conf)]):
        r = subprocess.run([cli, *args], capture_output=True, text=True, timeout=60)
        assert r.returncode == 1, r.stderr
        assert "has no node_reference, cached_images, images" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr


def test_the_bundle_reaches_a_nodes_cache_api(tmp_path: Path) -> None:
    """openstacksdk and keystoneauth travelled with the bundle: a node that does not
    answer is named in one line, as from the installed program."""
    assert BUNDLE is not None
    cli = str(Path(BUNDLE) / "cache-inspector-cli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    r = subprocess.run(
        [cli, "list", "--api", "http://127.0.0.1:9", "--timeout", "5s"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr and "ModuleNotFoundError" not in r.stderr
    assert r.stderr.startswith("cache-inspector-cli: error: ") and "127.0.0.1:9" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
