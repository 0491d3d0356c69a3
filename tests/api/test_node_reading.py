"""Reading live glance-api nodes through their cache API, as the nodes themselves see it.

Images are uploaded through a node's image API and downloaded through chosen nodes,
so each node caches what it served (Glance's cache middleware); a queued entry is made
by Glance's own centralized_db driver on the node's directory.  What the inspector
lists is held against each node's ``GET /v2/cache`` and ``GET /v2/cache/nodes/{id}``.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

import pytest

from inspector.core import CacheSource, State, actions, read
from inspector.core.errors import ServiceUnreachableError
from inspector.core.fleet import read_all
from tests.api.helpers import cli, cli_json, images, wait_hits
from tests.services.glance_db import CentralNode
from tests.services.tcp_proxy import TcpProxy

pytestmark = pytest.mark.glance


def _listing(node: Any) -> dict[str, Any]:
    """What the node's own API says: cached rows by id, and the queue in order."""
    state = node.cache_state()
    return {
        "cached": {
            r["image_id"]: (r["size"], r["hits"], r["last_accessed"])
            for r in state["cached_images"]
        },
        "queued": list(state["queued_images"]),
    }


def test_each_nodes_listing_is_what_its_cache_api_says(glance_fleet: Any) -> None:
    one, two = glance_fleet
    a, b, c, d = images(one, [1000, 2000, 3000, 10])
    one.download(a)
    one.download(b)
    two.download(b)
    two.download(c)
    two.download(c)  # a hit, on two only
    wait_hits(two, c, 1)
    with CentralNode(glance_fleet.db_url, one.url, one.cache_dir) as glance_on_one:
        assert glance_on_one.queue(d)  # Glance's own queue file, left for the prefetcher

    for node in glance_fleet:
        reading = read(CacheSource.node_api(node.url))
        try:
            own = _listing(node)
            cached = {
                e.id: (e.size, e.hits, e.accessed_ts)
                for e in reading.snapshot.entries
                if e.state is State.CACHED
            }
            assert cached == own["cached"]
            queued = sorted(
                (e for e in reading.snapshot.of_state(State.QUEUED)), key=lambda e: e.position or 0
            )
            assert [e.id for e in queued] == own["queued"]
            assert [e.position for e in queued] == list(range(1, len(queued) + 1))
            assert reading.writable and reading.snapshot.warnings == ()
            assert reading.summary.total_size == sum(s for s, _, _ in own["cached"].values())
        finally:
            reading.driver.close()

    # Which nodes cache each image: the inspector's listings agree with Glance's records.
    listed = {node.url: set(_listing(node)["cached"]) for node in glance_fleet}
    assert listed[two.url] == {b, c}
    # d, queued on one, may have been fetched into its cache by now: nothing else may.
    assert {a, b} <= listed[one.url] <= {a, b, d}
    for image_id in (a, b, c):
        holders = sorted(url for url, ids in listed.items() if image_id in ids)
        assert sorted(one.cached_nodes(image_id)) == holders
        assert sorted(two.cached_nodes(image_id)) == holders

    # The CLI prints the same listing, in the documented JSON, for each node.
    for node in glance_fleet:
        doc = cli_json("list", "--api", node.url + "/v2/")
        assert doc["path"] is None and doc["api"] == node.url and doc["driver"] == "api"
        own = _listing(node)
        assert {e["id"]: e["size"] for e in doc["entries"] if e["state"] == "cached"} == {
            i: size for i, (size, _, _) in own["cached"].items()
        }
        assert {e["id"]: e["hits"] for e in doc["entries"] if e["state"] == "cached"} == {
            i: hits for i, (_, hits, _) in own["cached"].items()
        }
        assert [e["id"] for e in doc["entries"] if e["state"] == "queued"] == own["queued"]
        assert all(
            e["last_accessed"].endswith("Z") for e in doc["entries"] if e["state"] == "cached"
        )
    table = cli("list", "--api", one.url, "--state", "queued").stdout
    assert d in table and "queue position 1" in table


def test_a_stopped_node_is_unreachable_while_the_other_keeps_working(glance_fleet: Any) -> None:
    one, two = glance_fleet
    a, b = images(one, [1500, 2500])
    one.download(a)
    two.download(b)
    sources = [CacheSource.node_api(one.url), CacheSource.node_api(two.url)]
    first = read_all(sources)
    assert [r.error for r in first] == [None, None]
    assert [[e.id for e in r.reading.snapshot.entries] for r in first if r.reading] == [[a], [b]]

    two.stop()  # mid-test: the readings above are still held

    job = actions.delete(first[1].reading.driver, first[1].reading.snapshot.entries)  # type: ignore[union-attr]
    assert job.done == 0 and job.error is not None
    assert job.error.startswith(f"node {two.url} does not answer: connection refused")
    again = read_all(sources)
    assert again[0].error is None and again[0].reading is not None
    assert [e.id for e in again[0].reading.snapshot.entries] == [a]
    assert again[1].reading is None and again[1].unreachable
    assert again[1].error == (
        f"node {two.url} does not answer: connection refused (is glance-api running there?)."
    )
    for r in [*first, *again]:
        if r.reading is not None:
            r.reading.driver.close()

    r = cli("list", "--api", two.url)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == f"cache-inspector-cli: error: {again[1].error}\n"
    r = cli("list", "--api", one.url)
    assert r.returncode == 0 and a in r.stdout
    assert one.cached_ids() == [a]


def test_a_node_that_hangs_gives_a_timeout_not_a_wait(glance_fleet: Any) -> None:
    one, two = glance_fleet
    os.killpg(one.pid, signal.SIGSTOP)  # accepts connections (the kernel does), answers none
    try:
        r = cli("list", "--api", one.url, "--timeout", "2")
        assert r.returncode == 1
        assert r.stderr == (
            f"cache-inspector-cli: error: node {one.url} does not answer: no answer within 2 s.\n"
        )
        with pytest.raises(ServiceUnreachableError, match="no answer within 2 s"):
            from inspector.core import CacheOptions

            read(CacheSource.node_api(one.url, options=CacheOptions(timeout=2)))
        assert cli("list", "--api", two.url, "--timeout", "2").returncode == 0
    finally:
        os.killpg(one.pid, signal.SIGCONT)


def test_a_load_balanced_url_is_read_but_never_changed(glance_fleet: Any) -> None:
    """Glance does not refuse a cache call that reached it through a load balancer: it
    acts on whichever node got it.  The inspector sees that the URL is not a node's own
    (Glance records the nodes' own URLs) and changes nothing through it."""
    one, two = glance_fleet
    a, b = images(one, [1000, 2000])
    one.download(a)
    two.download(b)
    before = (one.cached_ids(), two.cached_ids())
    with TcpProxy([one.url, two.url]) as lb:
        reading = read(CacheSource.node_api(lb.url))
        try:
            assert not reading.writable
            assert f"{lb.url} is not the URL Glance records" in reading.read_only_reason
            assert any(
                "Nothing is changed through this URL" in w for w in reading.snapshot.warnings
            )
            result = actions.delete(reading.driver, reading.snapshot.entries)
            assert result.done == 0 and "is not the URL Glance records" in (result.error or "")
        finally:
            reading.driver.close()
        for args in (
            ["delete", a, b, "--yes"],
            ["queue", a],
            ["prune", "--yes"],
            ["clean", "--yes"],
        ):
            r = cli(args[0], "--api", lb.url, *args[1:])
            assert r.returncode == 1, r.stderr
            assert (
                "error: nothing was changed: " in r.stderr
                and "worker_self_reference_url" in r.stderr
            )
            assert "Traceback" not in r.stderr
        listed = cli("list", "--api", lb.url)
        assert listed.returncode == 0 and "is not the URL Glance records" in listed.stderr
    assert (one.cached_ids(), two.cached_ids()) == before


def test_a_node_without_a_cache_says_so(glance_fleet_factory: Callable[..., Any]) -> None:
    (node,) = glance_fleet_factory(
        1, extra_conf={"DEFAULT": {"image_cache_dir": ""}, "paste_deploy": {"flavor": ""}}
    )
    r = cli("list", "--api", node.url)
    assert r.returncode == 1
    assert r.stderr.startswith(
        f"cache-inspector-cli: error: node {node.url} keeps no image cache (its "
        "image_cache_dir is not set)."
    )
    assert r.stderr.count("\n") == 1


def test_a_node_whose_policy_refuses_says_which(
    glance_fleet_factory: Callable[..., Any], tmp_path: Any
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text('"cache_list": "!"\n"cache_image": "!"\n')
    (node,) = glance_fleet_factory(1, extra_conf={"oslo_policy": {"policy_file": policy}})
    r = cli("list", "--api", node.url)
    assert r.returncode == 1
    assert r.stderr == (
        f"cache-inspector-cli: error: node {node.url} does not let these credentials list "
        "its cache (HTTP 403): its policy gives the cache API (cache_list, cache_image, "
        "cache_delete, cache_clean, cache_prune, list_cached_nodes) to admins by default.\n"
    )
