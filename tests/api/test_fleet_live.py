"""The fleet from Glance's database, held against live glance-api nodes sharing it.

Images are uploaded through one node's image API and downloaded through chosen
nodes, so each node caches what it served (Glance's cache middleware writes the
rows); then ``fleet --db URL --json`` must say what each node's ``GET /v2/cache``
and ``GET /v2/cache/nodes/{id}`` say, and never show the database's password.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.api.helpers import cli, images, wait_hits

pytestmark = pytest.mark.glance


def utc(ts: float) -> float:
    """Glance's cache API reads its naive-UTC datetimes as local time: undone."""
    return datetime.fromtimestamp(ts).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_fleet_agrees_with_every_nodes_cache_api(
    glance_fleet_factory: Callable[..., Any], backend: str
) -> None:
    fleet = glance_fleet_factory(2, backend)
    one, two = fleet
    a, b, c, never = images(one, [1000, 2000, 3000, 10])
    one.download(a)
    two.download(a)
    two.download(b)
    two.download(b)  # a hit, on two only
    wait_hits(two, b, 1)
    one.download(c)
    two.delete_image(c)  # deleted in Glance, still in one's cache

    r = cli("fleet", "--db", fleet.db_url, "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    password = urlsplit(fleet.db_url).password
    if password:
        assert password not in r.stdout + r.stderr and "***" in doc["database"]

    assert sorted(n["url"] for n in doc["nodes"]) == sorted(fleet.urls)
    held: dict[str, set[str]] = {}
    for node in fleet:
        rows = node.cache_state()["cached_images"]
        (summary,) = [n for n in doc["nodes"] if n["url"] == node.url]
        assert (summary["count"], summary["bytes"], summary["hits"]) == (
            len(rows),
            sum(r["size"] for r in rows),
            sum(r["hits"] for r in rows),
        )
        latest = datetime.fromisoformat(summary["last_accessed"]).timestamp()
        assert latest == pytest.approx(max(utc(r["last_accessed"]) for r in rows), abs=1e-3)
        held[node.url] = {r["image_id"] for r in rows}
    assert held == {one.url: {a, c}, two.url: {a, b}}

    by_id = {i["id"]: i for i in doc["images"]}
    assert set(by_id) == {a, b, c} and never not in by_id
    for image_id, image in by_id.items():
        assert image["nodes"] == sorted(url for url, ids in held.items() if image_id in ids)
    for image_id in (a, b):  # GET /v2/cache/nodes/{id} answers 404 for a deleted image
        assert by_id[image_id]["nodes"] == sorted(one.cached_nodes(image_id))
        assert by_id[image_id]["nodes"] == sorted(two.cached_nodes(image_id))
    assert [by_id[i]["name"] for i in (a, b, c)] == ["img-0", "img-1", "img-2"]
    assert [by_id[i]["image_status"] for i in (a, b, c)] == ["active", "active", "deleted"]

    text = cli("fleet", "--db", fleet.db_url, "--images")
    assert text.returncode == 0, text.stderr
    assert "3 images cached; 1 on every node, 2 on one node only, 1 deleted in Glance." in (
        text.stdout
    )
    if password:
        assert password not in text.stdout + text.stderr
