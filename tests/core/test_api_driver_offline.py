"""What the ``api`` driver decides without asking its node: the pruner's order, its remarks.

The entries are a cache the real Glance driver wrote (cached images with known
last accesses, two of them alike, and entries in other states): the node's
pruner evicts the least recently accessed first.  Opening a node does not
touch the network, so no node is needed here.
"""

from __future__ import annotations

import time

import pytest

from inspector.core import Action, CacheSource, open_source, read
from inspector.core.errors import ActionNotSupportedError
from inspector.core.model import State
from tests.glance_service import GlanceService
from tests.trust_caches import CACHED, FAILED, QUEUED, data


@pytest.mark.parametrize("kind", ["sqlite"])
def test_the_nodes_pruner_order_is_least_recently_accessed_first_then_by_id(
    glance: GlanceService,
) -> None:
    for n, image_id in enumerate(CACHED[:4]):
        glance.cache(image_id, data(n))
    base = time.time() - 10_000
    accessed = {CACHED[0]: base + 300, CACHED[1]: base + 100, CACHED[2]: base + 300}
    for image_id, ts in accessed.items():
        glance.set_accessed(image_id, int(ts * 1e9))
    glance.sql("UPDATE cached_images SET last_accessed = 0 WHERE image_id = ?", CACHED[3])
    glance.queue(QUEUED)
    glance.fail(FAILED, b"partial", "checksum mismatch")
    reading = read(CacheSource.at(glance.path))
    reading.driver.close()
    node = open_source(CacheSource.node_api("http://127.0.0.1:9"))
    try:
        order = node.eviction_order(list(reversed(reading.snapshot.entries)))
    finally:
        node.close()
    # Never accessed (0) first; the two alike by id; queued and invalid entries not at all.
    assert [e.id for e in order] == [CACHED[3], CACHED[1], CACHED[0], CACHED[2]]


def test_the_remarks_a_preview_carries_for_what_the_node_does_itself() -> None:
    node = open_source(CacheSource.node_api("http://127.0.0.1:9"))
    try:
        assert node.service_remark(Action.PRUNE) == (
            "An estimate from the node's listing: the node prunes to its own "
            "image_cache_max_size, which its API does not tell (the preview assumes the target "
            "shown: --max-size, or Glance's default), counts every file in its cache directory "
            "(which the listing does not show), and breaks ties in last access its own way."
        )
        assert node.service_remark(Action.CLEAN) == (
            "The node's cache API lists no invalid or incomplete downloads: what a clean removes "
            "cannot be shown before it runs, and the node does not say afterwards."
        )
        assert node.service_remark(Action.DELETE) is None
    finally:
        node.close()


def test_what_a_node_does_not_do_by_itself_is_refused_before_it_is_asked() -> None:
    """A node has no incomplete or invalid downloads to clear through its cache API, and
    queues nothing by itself: the driver says so without a call (the node's port is
    closed, so any call would fail otherwise)."""
    node = open_source(CacheSource.node_api("http://127.0.0.1:9"))
    try:
        for state in (State.INCOMPLETE, State.INVALID):
            with pytest.raises(ActionNotSupportedError) as caught:
                node.run_by_service(Action.DELETE, state)
            assert str(caught.value) == (
                f"A Glance node (cache API) cache has no {state} state to clear."
            )
        with pytest.raises(ActionNotSupportedError) as caught:
            node.run_by_service(Action.QUEUE, State.QUEUED)
        assert str(caught.value) == "A Glance node (cache API) cache does not queue by itself."
    finally:
        node.close()
