"""A change a node carries out by itself, when the node is not there: what the job says.

A node read a moment ago can be down when the job runs; the job gives no figures,
says why in one line, and is marked as the node's own (``by_service``)."""

from __future__ import annotations

import pytest

from inspector.core import Action, CacheSource, actions, open_source
from inspector.core.drivers.glance.api_client import NodeClient
from inspector.core.errors import ServiceUnreachableError
from inspector.core.plans import Plan
from tests.core.offline_nodes import closed_url, no_credentials  # noqa: F401


def test_a_prune_by_a_node_that_is_down_says_why_and_gives_no_figures() -> None:
    url = closed_url()
    node = open_source(CacheSource.node_api(url))
    try:
        result = actions.run_by_service(node, Action.PRUNE, Plan(()))
    finally:
        node.close()
    assert (result.action, result.done, result.total, result.bytes_freed) == ("prune", 0, 0, 0)
    assert result.error == (
        f"node {url} does not answer: connection refused (is glance-api running there?)."
    )
    assert result.by_service is True and result.remark is None and not result.ok
    assert 0 < result.seconds < 60


def test_a_listing_asked_of_a_port_nothing_listens_on_says_it_is_refused() -> None:
    """A clear (``delete --all`` by the node) on a node that went down after it was read
    asks for the listing first: the user should read that the connection was refused,
    as the discovery of the same port says."""
    url = closed_url()
    client = NodeClient(url, timeout=2)
    with pytest.raises(ServiceUnreachableError) as caught:
        client.cache_state()
    assert str(caught.value) == (
        f"node {url} does not answer: connection refused (is glance-api running there?)."
    )
