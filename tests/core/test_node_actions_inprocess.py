"""A live glance-api node changed through its cache API by the CLI run in this process.

``tests/api/test_node_changes.py`` runs the same changes through the installed CLI as
a process of its own; mutation testing (``./run mutate``) sees only what runs in the
test's own process, and nothing else reaches the node's own clear, prune and clean
(``actions.run_by_service``, ``ApiDriver.run_by_service``, ``clear``, ``queue_image``,
``NodeClient.prune``, ``clean``, ``clear`` and ``queue``).  What is checked is what the
user sees (the JSON, the one-line errors) and what the node itself then lists and
holds on disk.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inspector.core import Action, CacheSource, actions, open_source
from inspector.core.fleet_actions import FleetAction, NodeState, act_on_nodes, probe_nodes
from inspector.core.journal import read_journal
from inspector.core.model import State
from inspector.core.plans import Plan
from inspector.core.session import read
from tests.api.helpers import images
from tests.core.cli_inprocess import PROG, cli
from tests.services.glance_db import CentralNode
from tests.services.tcp_proxy import TcpProxy

pytestmark = pytest.mark.glance


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = cli(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_queue_refuses_by_glances_rules_and_deletes_by_state_through_the_node(
    glance_fleet_factory: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    (node,) = glance_fleet_factory(1)
    a, b, q1, q2 = images(node, [1200, 3400, 1, 1])
    node.download(a)
    node.download(b)

    # Glance's own rules: already cached, already queued, no such image.
    code, out, err = cli(capsys, "queue", "--api", node.url, a)
    assert (code, err) == (1, f"{PROG}: error: {a}: is already cached on node {node.url}.\n")
    with CentralNode(node.db_url, node.url, node.cache_dir) as glance_on_node:
        assert glance_on_node.queue(q1) and glance_on_node.queue(q2)
    code, out, err = cli(capsys, "queue", "--api", node.url, q1)
    assert (code, err) == (1, f"{PROG}: error: {q1}: is already queued on node {node.url}.\n")
    missing = str(uuid.uuid4())
    code, out, err = cli(capsys, "queue", "--api", node.url, missing)
    assert code == 1 and f"Image {missing} not found" in err and err.count("\n") == 1
    assert sorted(node.cache_state()["queued_images"]) == sorted([q1, q2])

    # The node's own clear of one state: asked without --yes, the question says it is
    # one call that also takes what arrives before it; refused, nothing changes.
    code, out, err = cli(capsys, "delete", "--api", node.url, "--all", "--state", "queued")
    assert (code, out) == (2, "")
    assert err == (
        f"{PROG}: error: Clear every queued entry on {node.url} in one call: 2 entries "
        "(0 Bytes) listed now, and any that arrive before it: refused without --yes "
        "(standard input is not a terminal).\n"
    )
    assert sorted(node.cache_state()["queued_images"]) == sorted([q1, q2])
    # What it listed there before and no longer does.
    done = cli_json(capsys, "delete", "--api", node.url, "--all", "--state", "queued", "--yes")
    assert (done["done"], done["bytes_freed"], done["by_service"]) == (2, 0, True)
    assert done["remark"] == (
        "Glance answers a clear without saying what it removed: 2 is what node "
        f"{node.url} listed before and no longer lists. The preview listed 2 entries "
        "(0 bytes)."
    )
    assert node.cache_state()["queued_images"] == []
    assert node.cached_ids() == sorted([a, b])

    code, out, err = cli(
        capsys, "delete", "--api", node.url, "--all", "--state", "cached", "--yes"
    )
    assert (code, out.splitlines()[0]) == (0, "Cleared 2 entries (4.5 KiB).")
    assert node.cache_state() == {"cached_images": [], "queued_images": []}
    assert node.cache_files() == []

    # An id queued here is queued on the node; asked again, the same answer as Glance's.
    done = cli_json(capsys, "queue", "--api", node.url, a)
    assert done["queued"] == [a] and done["failures"] == []
    node.wait_cached(a)
    assert node.cached_ids() == [a]


def test_prune_and_clean_are_the_nodes_own_and_say_what_it_reports(
    glance_fleet_factory: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    (node,) = glance_fleet_factory(1, cache_max_size=5000)
    old, mid, new, broken = images(node, [2000, 3000, 4000, 700])
    for image_id in (old, mid, new):  # accessed in this order: old is the LRU
        node.download(image_id)

    plan = cli_json(capsys, "prune", "--api", node.url, "--max-size", "5000", "--dry-run")
    assert [e["id"] for e in plan["entries"]] == [old, mid]
    assert node.cached_ids() == sorted([old, mid, new])

    result = cli_json(capsys, "prune", "--api", node.url, "--max-size", "5000", "--yes")
    assert (result["action"], result["done"], result["bytes_freed"]) == ("prune", 2, 5000)
    assert result["by_service"] is True and result["error"] is None
    assert result["remark"] == (
        f"Node {node.url} pruned itself to its own image_cache_max_size; the count and "
        "bytes are what it reports. The preview estimated 2 entries (5,000 bytes)."
    )
    assert node.cached_ids() == [new]

    with CentralNode(node.db_url, node.url, node.cache_dir) as glance_on_node:
        glance_on_node.fail(broken, b"x" * 700, "checksum mismatch")  # -> invalid/
    assert os.listdir(node.cache_dir / "invalid") == [broken]
    preview = cli_json(capsys, "clean", "--api", node.url, "--dry-run")
    assert (preview["entries"], preview["estimate"]) == ([], True)
    assert preview["remark"] == (
        "The node's cache API lists no invalid or incomplete downloads: what a clean removes "
        "cannot be shown before it runs, and the node does not say afterwards."
    )
    code, out, err = cli(capsys, "clean", "--api", node.url, "--stall-time", "1h", "--yes")
    assert (code, out) == (2, "")
    assert err == (
        f"{PROG}: error: {node.url} cleans by its own image_cache_stall_time: --stall-time cannot "
        "change it.\n"
    )
    code, out, err = cli(capsys, "clean", "--api", node.url)
    assert (code, out) == (2, "")
    assert err == (
        f"{PROG}: error: Have {node.url} clean itself (its invalid downloads, and those "
        "incomplete for longer than its own image_cache_stall_time)? Its cache API cannot "
        "list them first.: refused without --yes (standard input is not a terminal).\n"
    )
    assert os.listdir(node.cache_dir / "invalid") == [broken]  # nothing asked, nothing done
    result = cli_json(capsys, "clean", "--api", node.url, "--yes")
    assert (result["done"], result["bytes_freed"], result["by_service"]) == (0, 0, True)
    assert result["remark"] == (
        f"Node {node.url} removed its invalid downloads and those incomplete for longer "
        "than its own image_cache_stall_time; Glance does not say which or how many."
    )
    assert os.listdir(node.cache_dir / "invalid") == []
    assert node.cached_ids() == [new]


def test_a_fleet_delete_takes_what_each_live_node_holds_and_says_what_it_does_not(
    glance_fleet: Any,
) -> None:
    """First through a URL that is not a node's own (a load balancer in front of it),
    which the fleet's act refuses with the reason and changes nothing through; then
    through each node's own URL."""
    one, two = glance_fleet
    a, b = images(one, [1200, 3400])
    one.download(a)
    one.download(b)
    two.download(b)
    with CentralNode(glance_fleet.db_url, two.url, two.cache_dir) as glance_on_two:
        assert glance_on_two.queue(a)
    with TcpProxy([one.url]) as lb:
        [refused] = act_on_nodes([lb.url], FleetAction.DELETE, [a, b])
    assert (refused.url, refused.result, refused.ok) == (lb.url, None, False)
    assert refused.error in {
        f"{lb.url} is not the URL Glance records for the node that answered: that node "
        f"lists image {image_id} as cached, and Glance records it on {one.url}. Through a "
        "load balancer (or another name for the node) each call reaches whichever node it "
        "picks, and Glance acts on that node's cache: use the node's own URL (its "
        "worker_self_reference_url, as recorded in node_reference)."
        for image_id in (a, b)
    }
    assert probe_nodes([one.url, two.url]) == [
        NodeState(one.url, 2, 4600, 0),
        NodeState(two.url, 1, 3400, 1),
    ]
    outcomes = act_on_nodes([one.url, two.url], FleetAction.DELETE, [a, b])
    assert [o.url for o in outcomes] == [one.url, two.url]
    assert [o.error for o in outcomes] == [None, None]
    first, second = (o.result for o in outcomes)
    assert first is not None and second is not None
    assert (first.done, first.bytes_freed, first.not_found) == (2, 4600, ())
    assert (second.done, second.bytes_freed, second.not_found) == (2, 3400, ())  # a: queued
    assert one.cached_ids() == [] and two.cached_ids() == []
    assert all(o.ok for o in outcomes)


def test_a_delete_by_entry_takes_what_the_node_still_lists(
    glance_fleet: Any, journal_file: Path
) -> None:
    one, _ = glance_fleet
    a, b, c = images(one, [1200, 3400, 500])
    for image_id in (a, b, c):
        one.download(image_id)
    reading = read(CacheSource.node_api(one.url))
    try:
        entries = sorted(reading.snapshot.entries, key=lambda e: [a, b, c].index(e.id))
        assert [e.id for e in entries] == [a, b, c]
        assert one.cache_delete(a).status_code == 204  # gone since the listing
        result = actions.delete(reading.driver, entries[:2])
        # After a change the node is read again for Glance's queueing rules.
        queued = actions.queue(reading.driver, [c, b])
    finally:
        reading.driver.close()
    assert (result.done, result.gone, result.bytes_freed, result.failures) == (2, 1, 3400, ())
    assert queued.queued == (b,)
    assert [(f.id, f.reason) for f in queued.failures] == [
        (c, f"{c} is already cached on node {one.url}.")
    ]
    one.wait_cached(b)
    assert one.cached_ids() == sorted([b, c])
    changes = read_journal(journal_file).records
    assert [(e.id, e.outcome) for e in changes[0].entries] == [(a, "gone"), (b, "deleted")]

    # The node's own clear after a preview that listed nothing (made before b and c
    # were cached): its count is what it listed before and no longer lists, and the
    # remark says what the preview had listed.
    reading = read(CacheSource.node_api(one.url))
    try:
        cleared = actions.run_by_service(reading.driver, Action.DELETE, Plan(()), State.CACHED)
    finally:
        reading.driver.close()
    assert (cleared.done, cleared.total, cleared.bytes_freed, cleared.error) == (2, 2, 3900, None)
    assert cleared.by_service and 0 < cleared.seconds < 60
    assert cleared.remark == (
        "Glance answers a clear without saying what it removed: 2 is what node "
        f"{one.url} listed before and no longer lists. The preview listed 0 entries (0 bytes)."
    )
    assert one.cached_ids() == []


def refused_by_policy(url: str, what: str) -> str:
    """What the user reads when the node's policy (Glance's HTTP 403) refuses ``what``."""
    return (
        f"node {url} does not let these credentials {what} (HTTP 403): its policy gives the "
        "cache API (cache_list, cache_image, cache_delete, cache_clean, cache_prune, "
        "list_cached_nodes) to admins by default."
    )


def test_a_delete_the_nodes_policy_refuses_ends_the_job_and_changes_nothing(
    glance_fleet_factory: Callable[..., Any],
) -> None:
    """Glance's policy denies ``cache_delete`` (as an operator's policy.yaml may): the
    node answers 403, the job stops there with the node's refusal, and the node keeps
    what it caches."""
    (node,) = glance_fleet_factory(1)
    a, b = images(node, [1200, 3400])
    node.download(a)
    node.download(b)
    policy = node.config_dir / "policy.yaml"
    policy.write_text(policy.read_text() + '"cache_delete": "!"\n')
    reading = read(CacheSource.node_api(node.url))
    try:
        entries = sorted(reading.snapshot.entries, key=lambda e: [a, b].index(e.id))
        result = actions.delete(reading.driver, entries)
    finally:
        reading.driver.close()
    assert (result.done, result.gone, result.failures) == (0, 0, ())
    assert result.error == refused_by_policy(node.url, f"delete {a}")
    assert node.cached_ids() == sorted([a, b])


def test_a_nodes_own_prune_asks_first_and_runs_though_its_listing_is_under_the_target(
    glance_fleet_factory: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    (node,) = glance_fleet_factory(1, cache_max_size=5000)
    old, mid, new = images(node, [2000, 3000, 4000])
    for image_id in (old, mid, new):  # accessed in this order: old is the LRU
        node.download(image_id)

    # without --max-size the preview assumes Glance's default: nothing over it
    code, out, err = cli(capsys, "prune", "--api", node.url, "--dry-run")
    assert (code, err) == (0, "")
    assert out.startswith(
        "By its listing, the service would remove about 0 entries (0 Bytes): the cache goes "
        "from 8.8 KiB to 8.8 KiB (target 10.0 GiB).\n"
    )
    code, out, err = cli(capsys, "prune", "--api", node.url, "--max-size", "5000")
    assert (code, out) == (2, "")
    assert err == (
        f"{PROG}: error: Have {node.url} prune itself to its own image_cache_max_size? By its "
        "listing about 2 entries (4.9 KiB) would go if that maximum is 4.9 KiB.: refused "
        "without --yes (standard input is not a terminal).\n"
    )
    assert node.cached_ids() == sorted([old, mid, new])  # nothing asked, nothing done

    # under the target by its listing, the node is asked all the same: it prunes to its own
    result = cli_json(capsys, "prune", "--api", node.url, "--yes")
    assert (result["action"], result["done"], result["by_service"]) == ("prune", 2, True)
    assert node.cached_ids() == [new]


def test_a_record_of_a_live_node_has_no_path(
    shared_glance_node: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Read through the node's cache API, there is no directory to name: ``path`` is null,
    the source is the node's URL."""
    node = shared_glance_node
    code, out, err = cli(capsys, "export", "--api", node.url, "-o", "-")
    assert (code, err) == (0, "")
    settings = json.loads(out)["cache-settings"]
    assert (settings["kind"], settings["source"], settings["path"]) == ("api", node.url, None)


def test_a_queue_job_reads_the_nodes_listing_once_and_keeps_it_up_to_date(
    glance_fleet_factory: Callable[..., Any],
) -> None:
    """Glance's queueing rules are checked against the listing just read, which the job
    keeps up to date as it queues: the node is asked for its cache once, not once per
    id.  After the node changed its cache by itself (its own prune), it is read again."""
    (node,) = glance_fleet_factory(1)
    x, y, q = images(node, [1000, 2000, 10])
    with CentralNode(node.db_url, node.url, node.cache_dir) as glance_on_node:
        assert glance_on_node.queue(q)  # queued on the node, never fetched
    with TcpProxy([node.url]) as seen:  # keeps every request the inspector sends the node
        reading = read(CacheSource.node_api(seen.url))
        try:
            first = actions.queue(reading.driver, [x, q, x])
            listings = bytes(seen.sent).count(b"GET /v2/cache HTTP/")
            node.wait_cached(x)
            pruned = actions.prune(reading.driver, Plan(()))
            second = actions.queue(reading.driver, [q, y])
        finally:
            reading.driver.close()
    assert listings == 1  # the reading's own
    assert first.queued == (x,)
    assert [(f.id, f.reason) for f in first.failures] == [
        (q, f"{q} is already queued on node {seen.url}."),
        (x, f"{x} is already queued on node {seen.url}."),
    ]
    assert (pruned.done, pruned.error) == (0, None)  # under its maximum: nothing goes
    assert second.queued == (y,)
    assert [(f.id, f.reason) for f in second.failures] == [
        (q, f"{q} is already queued on node {seen.url}.")
    ]
    node.wait_cached(y)
    assert node.cached_ids() == sorted([x, y])
    assert node.cache_state()["queued_images"] == [q]


def test_a_clear_counts_what_the_node_no_longer_lists_and_the_node_is_read_again_after(
    glance_fleet_factory: Callable[..., Any],
) -> None:
    (node,) = glance_fleet_factory(1)
    a, empty, q = images(node, [1200, 0, 10])
    node.download(a)
    node.download(empty)  # cached too, of 0 bytes
    with CentralNode(node.db_url, node.url, node.cache_dir) as glance_on_node:
        assert glance_on_node.queue(q)
    reading = read(CacheSource.node_api(node.url))
    try:
        cached = [e for e in reading.snapshot.entries if e.state is State.CACHED]
        assert sorted((e.id, e.size) for e in cached) == sorted([(a, 1200), (empty, 0)])
        cleared = actions.delete_all(reading.driver, State.CACHED, cached)
        # The listing the queue rules read is the node's after the clear.
        queued = actions.queue(reading.driver, [a, q])
        node.wait_cached(a)
        # Both states at once (the driver's clear without a state): each counts.
        both = reading.driver.run_by_service(Action.DELETE)
    finally:
        reading.driver.close()
    assert (cleared.done, cleared.bytes_freed, cleared.error) == (2, 1200, None)
    assert queued.queued == (a,)
    assert [(f.id, f.reason) for f in queued.failures] == [
        (q, f"{q} is already queued on node {node.url}.")
    ]
    assert (both.count, both.freed) == (2, 1200)
    assert both.remark == (
        "Glance answers a clear without saying what it removed: 2 is what node "
        f"{node.url} listed before and no longer lists."
    )
    assert node.cache_state() == {"cached_images": [], "queued_images": []}


def test_each_change_the_nodes_policy_refuses_is_said_with_what_was_asked(
    glance_fleet_factory: Callable[..., Any],
) -> None:
    """An operator's policy.yaml may keep any of the cache API's calls to admins: the
    refusal names the call (the image queued, the state cleared, the prune or the
    clean), and the node keeps what it caches."""
    (node,) = glance_fleet_factory(1)
    a, b = images(node, [1200, 3400])
    node.download(a)
    policy = node.config_dir / "policy.yaml"
    denied = ("cache_image", "cache_delete", "cache_prune", "cache_clean")
    policy.write_text(policy.read_text() + "".join(f'"{rule}": "!"\n' for rule in denied))
    reading = read(CacheSource.node_api(node.url))
    try:
        queued = actions.queue(reading.driver, [b])
        cleared = actions.delete_all(reading.driver, State.CACHED, reading.snapshot.entries)
        pruned = actions.prune(reading.driver, Plan(()))
        cleaned = actions.clean(reading.driver, Plan(()))
    finally:
        reading.driver.close()
    assert [(f.id, f.reason) for f in queued.failures] == [
        (b, refused_by_policy(node.url, f"queue {b}"))
    ]
    assert cleared.error == refused_by_policy(node.url, "clear its cache")
    assert pruned.error == refused_by_policy(node.url, "prune its cache")
    assert cleaned.error == refused_by_policy(node.url, "clean its cache")
    assert node.cached_ids() == [a] and node.cache_state()["queued_images"] == []


def test_a_url_that_is_not_the_nodes_own_is_read_only_and_says_why(
    glance_fleet_factory: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """The node's cache API acts on whichever node a call reaches: through another URL
    (a load balancer, here in front of one node) the reading says which URL Glance
    records for the node, and a delete changes nothing."""
    (node,) = glance_fleet_factory(1)
    (a,) = images(node, [1200])
    node.download(a)
    with TcpProxy([node.url]) as lb:
        reading = read(CacheSource.node_api(lb.url))
        try:
            result = actions.delete(reading.driver, reading.snapshot.entries)
        finally:
            reading.driver.close()
        said = cli(capsys, "delete", "--api", lb.url, a, "--yes")
    why = (
        f"{lb.url} is not the URL Glance records for the node that answered: that node lists "
        f"image {a} as cached, and Glance records it on {node.url}. Through a load balancer "
        "(or another name for the node) each call reaches whichever node it picks, and "
        "Glance acts on that node's cache: use the node's own URL (its "
        "worker_self_reference_url, as recorded in node_reference)."
    )
    assert (reading.writable, reading.read_only_reason) == (False, why)
    assert (result.done, result.error) == (0, why)
    assert said[:2] == (1, "")  # the CLI warns of the reading, then refuses the change
    assert said[2].splitlines()[-1] == f"{PROG}: error: nothing was changed: {why}"
    assert node.cached_ids() == [a]


def test_an_id_named_twice_is_deleted_once(
    glance_fleet_factory: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """Glance answers a second DELETE of an image it no longer caches as a success: the
    id named again is gone, not deleted again, and its bytes are freed once."""
    (node,) = glance_fleet_factory(1)
    a, b = images(node, [1200, 3400])
    node.download(a)
    node.download(b)
    done = cli_json(capsys, "delete", "--api", node.url, a, a, "--yes")
    assert (done["done"], done["gone"], done["bytes_freed"]) == (2, 1, 1200)  # gone: done too
    assert node.cached_ids() == [b]


def test_a_node_without_the_clean_and_prune_api_is_not_asked_to_clean_or_prune(
    glance_fleet_factory: Callable[..., Any],
) -> None:
    """A node that speaks the image API only up to v2.17 (as Glance 33 does when it keeps
    no cache, and older releases did with one) has no POST /v2/cache/prune or clean."""
    (node,) = glance_fleet_factory(
        1, extra_conf={"DEFAULT": {"image_cache_dir": ""}, "paste_deploy": {"flavor": ""}}
    )
    for action in (Action.PRUNE, Action.CLEAN):
        driver = open_source(CacheSource.node_api(node.url))
        try:
            result = actions.run_by_service(driver, action, Plan(()))
        finally:
            driver.close()
        assert result.error == (
            f"node {node.url} speaks the image API up to v2.17: {action} through the cache "
            "API needs v2.18 or newer."
        )


def connections_to(port: int) -> int:
    """This process's TCP connections to port ``port`` of this machine still open (in any
    state: one the node closed stays open here until this side closes it)."""
    sockets = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            sockets.add(os.readlink(f"/proc/self/fd/{fd}"))
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            count += remote_port == port and f"socket:[{fields[9]}]" in sockets
    return count


def test_closing_a_nodes_driver_closes_its_connection(shared_glance_node: Any) -> None:
    """The connection is kept between calls, and closed with the driver (a window or a
    fleet reads many nodes: none is left holding a socket on each)."""
    port = int(shared_glance_node.url.rsplit(":", 1)[1])
    gc.collect()  # a test-side connection to the node left to the collector is not ours
    before = connections_to(port)  # the session's node: other tests may hold some
    reading = read(CacheSource.node_api(shared_glance_node.url))
    assert connections_to(port) > before
    reading.driver.close()
    assert connections_to(port) <= before


def test_a_prune_the_node_never_ends_gives_no_result_and_says_why(
    glance_fleet_factory: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """Glance 33's prune loops for ever when the node's files stay over its maximum after
    every image recorded for it is gone (here: one cached under an earlier node name)."""
    (node,) = glance_fleet_factory(1, cache_max_size=1000)
    (earlier, now) = images(node, [5000, 300])
    with CentralNode(node.db_url, "http://glance-old-name:9292", node.cache_dir) as renamed:
        renamed.cache(earlier, b"e" * 5000)
    node.download(now)
    code, out, err = cli(capsys, "prune", "--api", node.url, "--yes", "--timeout", "3")
    assert code == 1
    assert err.startswith(
        f"{PROG}: error: the prune gave no result: node {node.url} does not answer: no "
        "answer within 3 s."
    ), err
    assert out.startswith(f"The prune gave no result: node {node.url} does not answer")
