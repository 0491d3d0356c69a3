"""A fleet's nodes through their own cache APIs (issue 13): two live glance-api nodes
sharing one database; what the inspector does on chosen nodes, each node's own API sees."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from inspector.core.fleet_actions import FleetAction, act_on_nodes, probe_nodes
from tests.api.helpers import images

pytestmark = pytest.mark.glance


def test_reading_every_node_in_parallel_agrees_with_each_nodes_api(glance_fleet: Any) -> None:
    one, two = glance_fleet
    a, b, c = images(one, [1000, 2000, 4000])
    one.download(a)
    one.download(b)
    two.download(c)
    heard: list[str] = []
    states = probe_nodes([one.url, two.url], done=lambda s: heard.append(s.url))
    assert [(s.url, s.cached, s.cached_bytes, s.error) for s in states] == [
        (one.url, 2, 3000, None),
        (two.url, 1, 4000, None),
    ]
    assert sorted(heard) == sorted([one.url, two.url])
    assert {s.url: s.cached for s in states} == {
        n.url: len(n.cache_state()["cached_images"]) for n in (one, two)
    }


def test_queue_on_and_delete_from_chosen_nodes(glance_fleet: Any) -> None:
    one, two = glance_fleet
    a, b = images(one, [1500, 2500])
    done = act_on_nodes([one.url, two.url], FleetAction.QUEUE, [a])
    assert [(o.url, o.ok, o.result.queued if o.result else None) for o in done] == [
        (one.url, True, (a,)),
        (two.url, True, (a,)),
    ]
    one.wait_cached(a)
    two.wait_cached(a)
    assert sorted(one.cached_nodes(a)) == sorted([one.url, two.url])
    one.download(b)

    seen: list[tuple[int, int]] = []
    done = act_on_nodes(
        [two.url], FleetAction.DELETE, [a, b], progress=lambda n, t: seen.append((n, t))
    )
    [outcome] = done
    assert outcome.ok and outcome.result is not None
    assert (outcome.result.done, outcome.result.bytes_freed) == (1, 1500)
    assert outcome.result.not_found == (b,)  # two never held b: nothing to do there
    assert seen == [(1, 1)]
    assert two.cached_ids() == [] and sorted(one.cached_ids()) == sorted([a, b])
    assert one.cached_nodes(a) == [one.url]


def test_clean_and_prune_chosen_nodes_run_on_those_nodes_only(glance_fleet: Any) -> None:
    one, two = glance_fleet
    [a] = images(one, [3000])
    one.download(a)
    two.download(a)
    cleaned = act_on_nodes([one.url], FleetAction.CLEAN)
    assert cleaned[0].ok and cleaned[0].result is not None and cleaned[0].result.by_service
    pruned = act_on_nodes([two.url], FleetAction.PRUNE)
    assert pruned[0].ok, pruned[0].error
    # Below the nodes' maximum a prune evicts nothing: both keep their copy.
    assert one.cached_ids() == [a] and two.cached_ids() == [a]


def test_a_stopped_node_is_unreachable_and_the_other_still_works(glance_fleet: Any) -> None:
    one, two = glance_fleet
    [a] = images(one, [1200])
    two.download(a)
    one.stop()
    states = probe_nodes([one.url, two.url], timeout=5.0)
    assert not states[0].reachable and states[0].error
    assert "Traceback" not in states[0].error
    assert states[1].reachable and states[1].cached == 1
    done = act_on_nodes([one.url, two.url], FleetAction.DELETE, [a], timeout=5.0)
    assert done[0].error and not done[0].ok  # one node's failure, with its reason
    assert done[1].ok and done[1].result is not None and done[1].result.done == 1
    assert two.cached_ids() == []


def test_cancel_stops_before_the_next_node(glance_fleet: Any) -> None:
    one, two = glance_fleet
    [a] = images(one, [100])
    cancel = threading.Event()
    done = act_on_nodes(
        [one.url, two.url],
        FleetAction.QUEUE,
        [a],
        progress=lambda n, t: cancel.set(),
        cancel=cancel,
    )
    assert [o.url for o in done] == [one.url]
    one.wait_cached(a)
    assert two.cached_ids() == []
