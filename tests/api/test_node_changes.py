"""Changing live glance-api nodes through their cache API: what the inspector does, the
node's own API (and Glance's own driver, for what the API cannot show) sees afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from inspector.core import CacheSource, State, actions, read
from tests.api.helpers import cli, cli_json, images
from tests.services.glance_db import CentralNode

pytestmark = pytest.mark.glance


def test_queue_and_delete_are_seen_by_the_node(glance_fleet: Any) -> None:
    one, two = glance_fleet
    a, b = images(one, [1200, 3400])
    one.download(b)

    done = cli_json("queue", "--api", two.url, a)
    assert done["queued"] == [a] and done["failures"] == []
    two.wait_cached(a)  # the node's cache worker fetches a queued image at once
    assert two.cached_ids() == [a] and one.cached_ids() == [b]
    assert two.cached_nodes(a) == [two.url]

    # Glance's rule (its API accepts it, and fetches the image again): refused here.
    r = cli("queue", "--api", two.url, a)
    assert r.returncode == 1
    assert r.stderr == f"cache-inspector-cli: error: {a}: is already cached on node {two.url}.\n"
    missing = str(uuid.uuid4())
    r = cli("queue", "--api", two.url, missing, "--json")
    assert r.returncode == 1 and f"Image {missing} not found" in r.stderr

    deleted = cli_json("delete", "--api", two.url, a, "--yes")
    assert (deleted["done"], deleted["bytes_freed"], deleted["failures"]) == (1, 1200, [])
    assert two.cached_ids() == [] and one.cached_ids() == [b]
    assert two.cached_nodes(a) == [] and one.cached_nodes(b) == [one.url]
    assert not (two.cache_dir / a).exists()

    # An entry gone since the listing is gone, not deleted again.
    reading = read(CacheSource.node_api(one.url))
    try:
        assert one.cache_delete(b).status_code == 204
        result = actions.delete(reading.driver, reading.snapshot.entries)
        assert (result.done, result.gone, result.bytes_freed) == (1, 1, 0)
    finally:
        reading.driver.close()


def test_clearing_a_state_takes_what_the_node_holds_in_it(glance_fleet: Any) -> None:
    one, _ = glance_fleet
    a, b, q1, q2 = images(one, [100, 200, 1, 1])
    one.download(a)
    one.download(b)
    with CentralNode(glance_fleet.db_url, one.url, one.cache_dir) as glance_on_one:
        assert glance_on_one.queue(q1) and glance_on_one.queue(q2)

    r = cli("delete", "--api", one.url, "--all", "--state", "queued", "--json")
    assert r.returncode == 2 and "refused without --yes" in r.stderr  # asks first
    assert sorted(one.cache_state()["queued_images"]) == sorted([q1, q2])

    done = cli_json("delete", "--api", one.url, "--all", "--state", "queued", "--yes")
    assert (done["done"], done["by_service"]) == (2, True)
    assert "Glance answers a clear without saying what it removed" in done["remark"]
    assert one.cache_state() == {
        "cached_images": one.cache_state()["cached_images"],
        "queued_images": [],
    }
    assert one.cached_ids() == sorted([a, b])

    done = cli_json("delete", "--api", one.url, "--all", "--state", "cached", "--yes")
    assert (done["done"], done["bytes_freed"]) == (2, 300)
    assert one.cache_state() == {"cached_images": [], "queued_images": []}
    assert one.cache_files() == []


def test_prune_is_previewed_from_the_listing_then_done_by_the_node(
    glance_fleet_factory: Callable[..., Any],
) -> None:
    (node,) = glance_fleet_factory(1, cache_max_size=5000)
    old, mid, new = images(node, [2000, 3000, 4000])
    for image_id in (old, mid, new):  # accessed in this order: old is the LRU
        node.download(image_id)

    plan = cli_json("prune", "--api", node.url, "--max-size", "5000", "--dry-run")
    assert [e["id"] for e in plan["entries"]] == [old, mid]
    assert (plan["bytes_freed"], plan["total_before"], plan["estimate"]) == (5000, 9000, True)
    assert "An estimate from the node's listing" in plan["remark"]
    text = cli("prune", "--api", node.url, "--dry-run").stdout  # Glance's default max: 10 GiB
    assert "By its listing, the service would remove about 0 entries" in text
    assert "(target 10.0 GiB)" in text
    assert node.cached_ids() == sorted([old, mid, new])

    result = cli_json("prune", "--api", node.url, "--max-size", "5000", "--yes")
    assert (result["done"], result["bytes_freed"], result["by_service"]) == (2, 5000, True)
    assert "pruned itself to its own image_cache_max_size" in result["remark"]
    assert result["remark"].endswith("The preview estimated 2 entries (5,000 bytes).")
    assert node.cached_ids() == [new]
    assert node.cache_files() == [new] or set(node.cache_files()) - {new} <= {
        "glance-cache-prune"  # oslo's lock file, Glance's own
    }


def test_clean_runs_on_the_node_which_cannot_show_it_first(glance_fleet: Any) -> None:
    one, two = glance_fleet
    broken, fetching, kept = images(one, [700, 800, 900])
    one.download(kept)
    with CentralNode(glance_fleet.db_url, one.url, one.cache_dir) as glance_on_one:
        glance_on_one.fail(broken, b"x" * 700, "checksum mismatch")  # -> invalid/
        glance_on_one.start(fetching, b"y" * 800)  # -> incomplete/, fresh: not stalled
        invalid = sorted(os.listdir(one.cache_dir / "invalid"))
        assert invalid == [broken]

        plan = cli_json("clean", "--api", one.url, "--dry-run")
        assert plan["entries"] == [] and plan["estimate"] is True
        assert "lists no invalid or incomplete downloads" in plan["remark"]
        r = cli("clean", "--api", one.url, "--stall-time", "1h", "--yes")
        assert r.returncode == 2 and "--stall-time cannot change it" in r.stderr

        result = cli_json("clean", "--api", one.url, "--yes")
        assert result["error"] is None and result["by_service"] is True
        assert "Glance does not say which or how many" in result["remark"]
        assert os.listdir(one.cache_dir / "invalid") == []
        assert os.listdir(one.cache_dir / "incomplete") == [fetching]  # younger than 24 h
        assert one.cached_ids() == [kept]
        glance_on_one.abandon(fetching)
    assert two.cached_ids() == []


def test_a_prune_that_glance_never_ends_is_a_clear_error(
    glance_fleet_factory: Callable[..., Any],
) -> None:
    """Glance 33's prune loops for ever when the directory's files stay over the maximum
    after every image recorded for the node is gone: here, an image cached while the
    node had another worker_self_reference_url (its row is under the old name)."""
    (node,) = glance_fleet_factory(1, cache_max_size=1000)
    (earlier, now) = images(node, [5000, 300])
    with CentralNode(node.db_url, "http://glance-old-name:9292", node.cache_dir) as renamed:
        renamed.cache(earlier, b"e" * 5000)
    node.download(now)
    assert node.cached_ids() == [now]

    r = cli("prune", "--api", node.url, "--yes", "--timeout", "3")
    assert r.returncode == 1
    assert r.stderr.startswith(
        f"cache-inspector-cli: error: the prune gave no result: node {node.url} does not "
        "answer: no answer within 3 s. Glance's prune does not end when the files in the "
        "node's cache directory stay over its image_cache_max_size"
    ), r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert r.stdout.startswith("The prune gave no result: node ")


def test_an_old_node_and_a_kind_without_the_action_are_refused(glance_fleet: Any) -> None:
    one, _ = glance_fleet
    (image,) = images(one, [10])
    one.download(image)
    r = cli("requeue", "--api", one.url, image, "--yes")
    assert r.returncode == 1
    assert r.stderr == (
        "cache-inspector-cli: error: A Glance node (cache API) cache has no requeue action.\n"
    )
    r = cli("list", "--api", one.url, "--state", "invalid")
    assert r.returncode == 2 and "has no invalid state (it has: cached, queued)" in r.stderr
    assert one.cached_ids() == [image]
    reading = read(CacheSource.node_api(one.url))
    try:
        assert reading.driver.states == (State.CACHED, State.QUEUED)
        assert reading.driver.watch_paths() == []
    finally:
        reading.driver.close()
