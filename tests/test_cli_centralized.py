"""The CLI on centralized_db nodes and with Glance's database, as an installed process."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.services.glance_db import CentralNode, create_image, delete_image, write_glance_conf

pytestmark = pytest.mark.glance

CLI = str(Path(sys.executable).parent / "cache-inspector-cli")
ONE, TWO = "http://glance-1:9292", "http://glance-2:9292"


def uid(n: int) -> str:
    return f"{n:08x}-3333-4000-8000-{n:012x}"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)


def ok(*args: str) -> subprocess.CompletedProcess[str]:
    r = run(*args)
    assert r.returncode == 0, r.stderr
    return r


def fails(*args: str, code: int = 1) -> str:
    """The one line on stderr of a command that fails, with nothing on stdout."""
    r = run(*args)
    assert r.returncode == code, (r.stdout, r.stderr)
    assert r.stdout == "" and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


class Deployment:
    """Two nodes sharing one database, with image records, and node 1's glance-api.conf."""

    def __init__(self, url: str, make: Callable[..., CentralNode], tmp: Path) -> None:
        self.url = url
        self.one, self.two = make(url, ONE), make(url, TWO)
        self.kept = create_image(url, name="cirros", data=b"k" * 3000)["id"]
        self.gone = create_image(url, name="retired-image", data=b"g" * 5000)["id"]
        for node in (self.one, self.two):
            node.cache(self.kept, b"k" * 3000)
            node.cache(self.gone, b"g" * 5000)
        self.one.cache(uid(1), b"1" * 1000)
        self.one.fail(uid(2), b"junk", "broken stream")
        delete_image(url, self.gone)
        self.conf = write_glance_conf(
            tmp / "glance-api.conf",
            url,
            DEFAULT={
                "image_cache_dir": self.one.path,
                "worker_self_reference_url": ONE,
                "image_cache_max_size": 7000,
                "image_cache_stall_time": 3600,
            },
        )

    def by_config(self) -> list[str]:
        return ["--glance-config", str(self.conf)]

    def by_db(self, *ids: str) -> list[str]:
        return [self.one.path, *ids, "--db", self.url, "--node", ONE]

    def glance_ids(self, node: CentralNode) -> set[str]:
        return {r["image_id"] for r in node.cached_images()}


@pytest.fixture
def dep(
    glance_db_url: str, central_nodes: Callable[..., CentralNode], tmp_path: Path
) -> Deployment:
    return Deployment(glance_db_url, central_nodes, tmp_path)


@pytest.mark.parametrize("how", ["by_config", "by_db"])
def test_list_json_has_names_statuses_and_the_node(dep: Deployment, how: str) -> None:
    doc = json.loads(ok("list", *getattr(dep, how)(), "--json").stdout)
    assert doc["driver"] == "centralized_db" and doc["node"] == ONE
    assert doc["path"] == dep.one.path
    got = {(e["id"], e["state"]): (e["name"], e["image_status"]) for e in doc["entries"]}
    assert got == {
        (dep.kept, "cached"): ("cirros", "active"),
        (dep.gone, "cached"): ("retired-image", "deleted"),
        (uid(1), "cached"): (None, None),
        (uid(2), "invalid"): (None, None),
    }
    hits = {e["id"]: e["hits"] for e in doc["entries"] if e["state"] == "cached"}
    assert hits == {r["image_id"]: r["hits"] for r in dep.one.cached_images()}
    rows = list(csv.DictReader(io.StringIO(ok("list", *getattr(dep, how)(), "--csv").stdout)))
    assert {r["name"] for r in rows} == {"cirros", "retired-image", ""}
    assert [*rows[0]][-2:] == ["name", "image_status"]


def test_list_table_names_and_flags_deleted_images(dep: Deployment) -> None:
    out = ok("list", *dep.by_config(), "--state", "cached", "--sort", "size").stdout
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["STATE", "ID", "NAME", "SIZE"]
    gone = next(line for line in lines if dep.gone in line)
    assert "retired-image" in gone and "image deleted in Glance" in gone


def test_stats_takes_the_maximum_from_the_config(dep: Deployment) -> None:
    doc = json.loads(ok("stats", *dep.by_config(), "--json").stdout)
    assert doc["max_size"] == 7000
    assert doc["deleted_images"] == {"count": 1, "bytes": 5000}
    assert doc["total_size"] == 9000
    assert doc["prune_to_max"]["count"] >= 1
    text = ok("stats", *dep.by_config()).stdout
    assert f"Node:       {ONE}" in text and "Deleted in Glance: 1 entry" in text
    plain = json.loads(ok("stats", *dep.by_db(), "--json").stdout)
    assert plain["max_size"] == 10 * 1024**3  # without the config: Glance's default


def test_clean_deleted_images_previews_then_deletes_on_this_node_only(dep: Deployment) -> None:
    args = ["clean", *dep.by_config(), "--deleted-images"]
    preview = json.loads(ok(*args, "--dry-run", "--json").stdout)
    assert [e["id"] for e in preview["entries"]] == [dep.gone]
    assert preview["bytes_freed"] == 5000
    assert dep.gone in dep.glance_ids(dep.one)  # a preview changes nothing
    done = json.loads(ok(*args, "--yes", "--json").stdout)
    assert done["done"] == 1 and done["bytes_freed"] == 5000
    assert dep.glance_ids(dep.one) == {dep.kept, uid(1)}
    assert dep.glance_ids(dep.two) == {dep.kept, dep.gone}
    assert not Path(dep.one.path, dep.gone).exists() and Path(dep.two.path, dep.gone).exists()


def test_delete_prune_clean_queue_requeue(dep: Deployment) -> None:
    theirs = dep.two.cached_images()
    ok("delete", *dep.by_db(uid(1)), "--yes")
    assert dep.glance_ids(dep.one) == {dep.kept, dep.gone}
    prune = ["prune", *dep.by_config(), "--max-size", "5500", "--json"]
    plan = json.loads(ok(*prune, "--dry-run").stdout)
    assert len(plan["entries"]) == 1  # 8,000 bytes down to 5,500: one of the two goes
    assert json.loads(ok(*prune, "--yes").stdout)["done"] == 1
    left = {dep.kept, dep.gone} - {plan["entries"][0]["id"]}
    assert dep.glance_ids(dep.one) == left
    ok("clean", *dep.by_config(), "--yes")
    assert not Path(dep.one.path, "invalid", uid(2)).exists()
    ok("queue", *dep.by_db(uid(5)))
    assert dep.one.queued() == [uid(5)]
    (survivor,) = left
    ok("requeue", *dep.by_config(), survivor, "--yes")
    assert dep.glance_ids(dep.one) == set() and survivor in dep.one.queued()
    assert dep.two.cached_images() == theirs


def test_bad_sources_are_one_line(dep: Deployment, tmp_path: Path) -> None:
    line = fails("list", dep.one.path, "--db", dep.url)
    assert "holds 2 cache nodes" in line and ONE in line and TWO in line
    assert "Node http://nope:1 is not in" in fails(
        "list", dep.one.path, "--db", dep.url, "--node", "http://nope:1"
    )
    assert "Cannot connect" in fails(
        "list", dep.one.path, "--db", "postgresql+psycopg://u:pw@127.0.0.1:1/g", "--node", ONE
    )
    assert "does not exist" in fails("stats", "--glance-config", str(tmp_path / "none.conf"))
    assert "--glance-config" in fails("list", code=2)
    assert "--node needs" in fails("list", dep.one.path, "--node", ONE, code=2)
    assert dep.glance_ids(dep.one) == {dep.kept, dep.gone, uid(1)}


def test_a_centralized_directory_alone_says_how_to_open_it(dep: Deployment) -> None:
    line = fails("list", dep.one.path)
    assert "centralized_db" in line
    assert "--glance-config FILE" in line and "--db URL [--node URL]" in line


@pytest.mark.parametrize("glance_db_backend", ["postgresql", "mariadb"])
def test_the_password_is_never_printed(
    glance_db_url: str, central_nodes: Callable[..., CentralNode], tmp_path: Path
) -> None:
    password = urlsplit(glance_db_url).password
    assert password
    dep = Deployment(glance_db_url, central_nodes, tmp_path)
    wrong = glance_db_url.replace(password, password + "-wrong")
    bad_conf = write_glance_conf(
        tmp_path / "bad.conf", glance_db_url, DEFAULT={"image_cache_dir": "relative"}
    )
    outputs: list[Any] = [
        run("list", *dep.by_config(), "--json"),
        run("list", *dep.by_db()),
        run("stats", *dep.by_config()),
        run("stats", *dep.by_config(), "--json"),
        run("list", dep.one.path, "--db", glance_db_url),  # several nodes
        run("list", dep.one.path, "--db", wrong, "--node", ONE),  # refused login
        run("list", "--glance-config", str(bad_conf)),
        run("prune", *dep.by_config(), "--max-size", "1", "--dry-run"),
        run("delete", *dep.by_db(uid(1))),  # refused without --yes
    ]
    text = "".join(r.stdout + r.stderr for r in outputs)
    assert password not in text
    assert "***" in text
    assert outputs[5].returncode == 1 and "Cannot connect" in outputs[5].stderr


def test_with_a_config_every_positional_is_an_id(dep: Deployment) -> None:
    ok("queue", *dep.by_config(), uid(6), uid(7))
    assert dep.one.queued() == [uid(6), uid(7)]
    ok("delete", *dep.by_config(), uid(6), "--state", "queued", "--yes")
    assert dep.one.queued() == [uid(7)]
