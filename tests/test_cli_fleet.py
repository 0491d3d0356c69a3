"""``fleet``: the CLI over Glance's database, as an installed process.

The nodes are written by Glance 33's own centralized_db driver (the deployment of
tests/core/test_fleet.py); what the CLI prints is checked against Glance's answers.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.core.test_fleet import ONE, THREE, TWO, Deployment, uid
from tests.services.glance_db import CentralNode, write_glance_conf
from tests.test_cli_centralized import CLI, fails, ok, run

pytestmark = pytest.mark.glance


@pytest.fixture
def dep(glance_db_url: str, central_nodes: Callable[..., CentralNode]) -> Deployment:
    return Deployment(glance_db_url, central_nodes)


@pytest.mark.parametrize("glance_db_backend", ["sqlite", "postgresql"])
def test_json_has_the_documented_shape_and_glances_figures(dep: Deployment) -> None:
    r = ok("fleet", "--db", dep.url, "--json")
    doc = json.loads(r.stdout)
    assert list(doc) == ["database", "nodes", "images"]
    password = urlsplit(dep.url).password
    if password:
        assert password not in r.stdout + r.stderr and "***" in doc["database"]
    assert [n["url"] for n in doc["nodes"]] == [ONE, TWO, THREE]
    for node in doc["nodes"]:
        assert list(node) == ["url", "count", "bytes", "hits", "last_accessed"]
        rows = dep.nodes[node["url"]].cached_images()
        assert (node["count"], node["bytes"], node["hits"]) == (
            len(rows),
            sum(r["size"] for r in rows),
            sum(r["hits"] for r in rows),
        )
        assert node["last_accessed"].endswith("Z")
    assert doc["nodes"][0]["last_accessed"] == "2030-01-02T03:04:05Z"
    images = {i["id"]: i for i in doc["images"]}
    assert [i["id"] for i in doc["images"]] == sorted(images)
    for image in doc["images"]:
        assert list(image) == ["id", "name", "image_status", "size", "nodes"]
        assert image["nodes"] == sorted(dep.nodes[ONE].cached_nodes(image["id"]))
    assert (images[dep.shared]["name"], images[dep.shared]["image_status"]) == ("cirros", "active")
    assert images[dep.retired]["image_status"] == "deleted"
    assert images[uid(1)] == {
        "id": uid(1),
        "name": None,
        "image_status": None,
        "size": 1000,
        "nodes": [THREE],
    }


@pytest.mark.parametrize("glance_db_backend", ["sqlite"])
def test_glance_config_and_limit(dep: Deployment, tmp_path: Path) -> None:
    conf = write_glance_conf(tmp_path / "glance-api.conf", dep.url)
    whole = json.loads(ok("fleet", "--db", dep.url, "--json").stdout)
    assert json.loads(ok("fleet", "--glance-config", str(conf), "--json").stdout) == whole
    first = json.loads(ok("fleet", "--glance-config", str(conf), "--json", "--limit", "2").stdout)
    assert first["images"] == whole["images"][:2] and first["nodes"] == whole["nodes"]


@pytest.mark.parametrize("glance_db_backend", ["sqlite"])
def test_text_shows_nodes_counts_and_the_matrix(dep: Deployment) -> None:
    out = ok("fleet", "--db", dep.url).stdout
    lines = out.splitlines()
    assert lines[0] == f"Glance's database {dep.url}"
    assert lines[1].split() == ["#", "NODE", "IMAGES", "SIZE", "HITS", "LAST", "ACCESSED"]
    assert lines[2].split()[:6] == ["1", ONE, "3", "9.0", "KiB", "9"]
    assert lines[4].split()[:5] == ["3", THREE, "2", "3.9", "KiB"]
    assert lines[5].split()[:4] == ["all", "nodes", "8", "21.4"]
    assert lines[6] == (
        "5 images cached; 1 on every node, 3 on one node only, 1 deleted in Glance."
    )
    assert len(lines) == 7  # no matrix without --images

    matrix = ok("fleet", "--db", dep.url, "--images").stdout.splitlines()[8:]
    assert matrix[0].split() == ["ID", "NAME", "SIZE", "STATUS", "1", "2", "3"]
    rows = {line.split()[0]: line.split()[1:] for line in matrix[1:]}
    ids = sorted([dep.shared, dep.retired, dep.solo, uid(1), uid(2)])
    assert [line.split()[0] for line in matrix[1:]] == ids
    assert rows[dep.shared] == ["cirros", "2.9", "KiB", "active", "x", "x", "x"]
    assert rows[dep.retired] == ["retired", "4.9", "KiB", "deleted", "in", "Glance", "x", "x", "."]
    assert rows[uid(1)] == ["1000", "Bytes", "no", "record", "in", "Glance", ".", ".", "x"]

    first = ok("fleet", "--db", dep.url, "--images", "--limit", "4").stdout.splitlines()[8:]
    assert [line.split()[0] for line in first[1:5]] == ids[:4]
    assert first[5:] == ["(the first 4 of 5 images by id; --limit N shows more)"]


@pytest.mark.parametrize("glance_db_backend", ["postgresql"])
def test_a_wrong_password_is_one_line_without_it(glance_db_url: str) -> None:
    password = urlsplit(glance_db_url).password
    assert password
    wrong = glance_db_url.replace(password, "not-the-" + password)
    for url in (wrong, glance_db_url.replace("/glance", "/no-such-database", 1)):
        r = run("fleet", "--db", url, "--json")
        assert r.returncode == 1 and r.stdout == ""
        assert password not in r.stderr and "***" in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_databases_that_cannot_be_read_are_one_line_each(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "empty.db").close()
    cases = {
        "not a url at all": "is not a database URL",
        f"sqlite:///{tmp_path}/nothing.db": "does not exist",
        f"sqlite:///{tmp_path}/empty.db": "has no node_reference, cached_images, images",
        "redis://glance:pw-4c1@localhost/0": "not redis",
    }
    for url, message in cases.items():
        line = fails("fleet", "--db", url)
        assert message in line and "pw-4c1" not in line
    assert not (tmp_path / "nothing.db").exists()
    assert "--db URL or --glance-config FILE" in fails("fleet", code=2)
    bare = tmp_path / "bare.conf"
    bare.write_text("[DEFAULT]\n")
    assert "sets no [database] connection" in fails("fleet", "--glance-config", str(bare))


@pytest.mark.parametrize("glance_db_backend", ["sqlite"])
def test_a_full_stdout_is_an_output_error(dep: Deployment) -> None:
    with open("/dev/full", "w") as full:
        r = subprocess.run(
            [CLI, "fleet", "--db", dep.url, "--json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert r.returncode == 1 and "cannot write the output" in r.stderr
