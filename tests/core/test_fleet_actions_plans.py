"""A fleet's nodes read and changed through their cache APIs, without a live node.

What this machine can make for real: nodes that do not answer (a port nothing
listens on, a socket that never answers, a cloud that clouds.yaml does not
name), each its own result while the others go on, and how many are read at
once.  What a node's job does once its cache is read (``_run``: queue, delete
what the node holds, clean, prune to the node's maximum) is the same code
whatever driver read the cache: here it runs on caches the real Glance driver
wrote, and the disk says what it did.  ``tests/api/test_fleet_actions.py``
runs the whole on live glance-api nodes.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from inspector.core import CacheSource
from inspector.core.actions import JobResult
from inspector.core.fleet_actions import (
    MAX_PARALLEL,
    FleetAction,
    NodeOutcome,
    NodeState,
    _run,
    act_on_nodes,
    probe_nodes,
)
from inspector.core.session import read
from inspector.core.source import CacheOptions
from tests.core.offline_nodes import Listener, closed_url, no_credentials  # noqa: F401
from tests.glance_service import GlanceService
from tests.trust_caches import IDS

A, B, C, D = IDS[:4]
X, Y, Z = IDS[17], IDS[18], IDS[19]  # never cached


def refused(url: str) -> str:
    return f"node {url} does not answer: connection refused (is glance-api running there?)."


@contextlib.contextmanager
def listener() -> Iterator[Listener]:
    li = Listener()
    try:
        yield li
    finally:
        li.close()


# -- reading nodes ------------------------------------------------------------------


def test_no_nodes_no_reading() -> None:
    heard: list[NodeState] = []
    assert probe_nodes([], done=heard.append) == []
    assert heard == []


def test_each_unreachable_node_is_its_own_result_in_the_order_given() -> None:
    urls = [closed_url(), closed_url(), closed_url()]
    heard: list[NodeState] = []
    states = probe_nodes(urls, timeout=5, done=heard.append)
    assert states == [NodeState(u, 0, 0, 0, refused(u)) for u in urls]
    assert [s.reachable for s in states] == [False, False, False]
    # Each heard once, as it failed (from the readers' threads, in any order).
    assert sorted(heard, key=lambda s: urls.index(s.url)) == states


def test_the_cloud_named_is_the_one_each_node_is_read_with() -> None:
    url = closed_url()
    [state] = probe_nodes([url], cloud="lab-7", timeout=5)
    assert state == NodeState(url, error="--os-cloud lab-7: Cloud lab-7 was not found.")
    [outcome] = act_on_nodes([url], FleetAction.QUEUE, [A], cloud="lab-7", timeout=5)
    assert outcome == NodeOutcome(url, error="--os-cloud lab-7: Cloud lab-7 was not found.")


def test_at_most_eight_nodes_are_read_at_once_each_within_its_timeout() -> None:
    assert MAX_PARALLEL == 8
    with listener() as node:
        urls = [f"http://127.0.0.1:{node.port}/n{i}" for i in range(MAX_PARALLEL + 1)]
        at_first_answer: list[int] = []

        def done(state: NodeState) -> None:
            if not at_first_answer:
                at_first_answer.append(node.accepted)

        started = time.monotonic()
        states = probe_nodes(urls, timeout=0.5, done=done)
        took = time.monotonic() - started
    assert at_first_answer == [MAX_PARALLEL]  # eight waiting together, the ninth after
    assert [s.url for s in states] == urls
    assert {s.error for s in states} == {
        f"node http://127.0.0.1:{node.port}/n{i} does not answer: no answer within 0.5 s."
        for i in range(MAX_PARALLEL + 1)
    }
    assert took < 0.5 * 4  # two rounds of 0.5 s, not nine


# -- acting on nodes ----------------------------------------------------------------


def test_one_nodes_failure_does_not_stop_the_others() -> None:
    urls = [closed_url(), closed_url()]
    seen: list[tuple[int, int]] = []
    outcomes = act_on_nodes(
        urls, FleetAction.DELETE, [A], timeout=5, progress=lambda n, t: seen.append((n, t))
    )
    assert outcomes == [NodeOutcome(u, error=refused(u)) for u in urls]
    assert [o.ok for o in outcomes] == [False, False]
    assert seen == [(1, 2), (2, 2)]


def test_progress_saying_false_stops_before_the_next_node() -> None:
    urls = [closed_url(), closed_url(), closed_url()]
    seen: list[tuple[int, int]] = []

    def progress(n: int, total: int) -> bool | None:
        seen.append((n, total))
        return None if n == 1 else False  # None goes on; False stops

    outcomes = act_on_nodes(urls, FleetAction.PRUNE, timeout=5, progress=progress)
    assert [o.url for o in outcomes] == urls[:2]
    assert seen == [(1, 3), (2, 3)]


def test_cancel_stops_before_the_next_node() -> None:
    urls = [closed_url(), closed_url()]
    cancel = threading.Event()
    done = act_on_nodes(
        urls, FleetAction.CLEAN, timeout=5, progress=lambda n, t: cancel.set(), cancel=cancel
    )
    assert [o.url for o in done] == urls[:1]
    assert act_on_nodes(urls, FleetAction.CLEAN, timeout=5, cancel=cancel) == []
    unset = threading.Event()
    assert len(act_on_nodes(urls, FleetAction.CLEAN, timeout=5, cancel=unset)) == 2


def test_a_node_that_never_answers_is_given_up_after_the_timeout() -> None:
    with listener() as node:
        url = f"http://127.0.0.1:{node.port}"
        [outcome] = act_on_nodes([url], FleetAction.QUEUE, [A], timeout=0.3)
    assert outcome == NodeOutcome(
        url, error=f"node {url} does not answer: no answer within 0.3 s."
    )
    assert not outcome.ok


# -- a node's job, once its cache is read ---------------------------------------------


def result_of(
    glance: GlanceService, action: FleetAction, ids: list[str], **options: float
) -> JobResult:
    reading = read(CacheSource.at(glance.path, options=CacheOptions(**options)))  # type: ignore[arg-type]
    try:
        result = _run(reading.driver, reading, action, ids)
    finally:
        reading.driver.close()
    return result


def files(glance: GlanceService, sub: str = "") -> set[str]:
    d = Path(glance.path, sub)
    skip = {"cache.db", "image_cache_db_init", "incomplete", "invalid", "queue"}
    return {
        p.name for p in d.iterdir() if p.name not in skip and not p.name.startswith("cache.db")
    }


def test_queue_on_a_node_queues_every_id_asked(glance: GlanceService) -> None:
    glance.cache(A, b"a" * 100)
    result = result_of(glance, FleetAction.QUEUE, [X, Y])
    assert result.ok and result.queued == (X, Y)
    assert sorted(glance.queued()) == sorted([X, Y])
    assert NodeOutcome("http://node-1:9292", result).ok


def test_delete_on_a_node_removes_what_it_holds_and_names_what_it_does_not(
    glance: GlanceService,
) -> None:
    glance.cache(A, b"a" * 1000)
    glance.cache(B, b"b" * 2000)
    glance.queue(C)
    result = result_of(glance, FleetAction.DELETE, [Z, A, C, X])
    assert (result.done, result.bytes_freed, result.failures) == (2, 1000, ())
    assert result.not_found == (X, Z)  # not held there: not a failure, in id order
    assert result.ok
    assert files(glance) == {B} and glance.queued() == []


def test_clean_on_a_node_removes_failed_and_stalled_downloads_only(
    glance: GlanceService,
) -> None:
    glance.cache(A, b"a" * 1000)
    glance.fail(B, b"partial", "checksum mismatch")
    glance.start(C, b"stalled")
    glance.start(D, b"in flight")
    day_ago = time.time() - 25 * 3600
    os.utime(Path(glance.path, "incomplete", C), (day_ago, day_ago))
    result = result_of(glance, FleetAction.CLEAN, [])
    assert result.ok and result.done == 2
    assert files(glance, "invalid") == set()
    assert files(glance, "incomplete") == {D}  # still being downloaded: kept
    assert files(glance) == {A}


def test_prune_on_a_node_evicts_down_to_exactly_its_maximum(glance: GlanceService) -> None:
    base = time.time() - 10_000
    for n, image_id in enumerate([A, B, C, D]):
        glance.cache(image_id, bytes(1000 * (n + 1)))
    # Least recently accessed first: C, A, D, B.
    for k, image_id in enumerate([C, A, D, B]):
        glance.set_accessed(image_id, int((base + k * 100) * 1e9))
    result = result_of(glance, FleetAction.PRUNE, [], max_size=6000)
    assert result.ok and (result.done, result.bytes_freed) == (2, 4000)
    assert files(glance) == {B, D}
