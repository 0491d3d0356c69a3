"""Many sources read at once (``inspector.core.fleet.read_each``/``read_all``), in-process.

The sources are caches the real Glance driver wrote, a directory that is not
there, and nodes that do not answer (a port nothing listens on, one that
never answers): each gives its own result, in the order given, and the
others go on.  ``tests/api/test_node_reading.py`` does the same with live nodes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inspector.core import CacheSource
from inspector.core.fleet import MAX_WORKERS, SourceReading, read_all, read_each, read_one
from inspector.core.source import CacheOptions
from tests.core.offline_nodes import Listener, closed_url, no_credentials  # noqa: F401
from tests.glance_service import GlanceService
from tests.services.tcp_proxy import TcpProxy
from tests.trust_caches import IDS, data


def two_caches(tmp_path: Path) -> tuple[GlanceService, GlanceService]:
    one = GlanceService("sqlite", str(tmp_path / "one"))
    one.cache(IDS[0], data(0))
    two = GlanceService("xattr", str(tmp_path / "two"))
    two.cache(IDS[1], data(1))
    two.cache(IDS[2], data(2))
    return one, two


def close(results: list[SourceReading]) -> None:
    for r in results:
        if r.reading is not None:
            r.reading.driver.close()


def test_every_source_gives_its_own_result_in_the_order_given(tmp_path: Path) -> None:
    one, two = two_caches(tmp_path)
    node = closed_url()
    sources = [
        CacheSource.at(one.path),
        CacheSource.at(tmp_path / "gone"),
        CacheSource.node_api(node),
        CacheSource.at(two.path),
    ]
    results = read_all(sources)
    try:
        assert [r.source for r in results] == sources
        assert [
            [e.id for e in r.reading.snapshot.entries] if r.reading else None for r in results
        ] == [
            [IDS[0]],
            None,
            None,
            sorted(IDS[1:3]),
        ]
        assert [r.error for r in results] == [
            None,
            f"{tmp_path / 'gone'} does not exist.",
            f"node {node} does not answer: connection refused (is glance-api running there?).",
            None,
        ]
        # Only the node that does not answer is unreachable; the missing directory is an error.
        assert [r.unreachable for r in results] == [False, False, True, False]
        assert [r.reading.writable for r in results if r.reading] == [True, True]
        assert all(0 < r.seconds < 60 for r in results)
    finally:
        close(results)


def test_read_only_readings_change_nothing(tmp_path: Path) -> None:
    one, two = two_caches(tmp_path)
    results = read_all([CacheSource.at(one.path), CacheSource.at(two.path)], read_only=True)
    try:
        assert [
            (r.reading.writable, r.reading.read_only_reason) for r in results if r.reading
        ] == [
            (False, "opened read-only"),
            (False, "opened read-only"),
        ]
    finally:
        close(results)
    alone = read_one(CacheSource.at(one.path), read_only=True)
    assert alone.reading is not None and not alone.reading.writable
    alone.reading.driver.close()
    # Unless asked, a reading may change its cache.
    assert read_one(CacheSource.at(one.path)).reading.writable  # type: ignore[union-attr]
    each = [r for _, r in read_each([CacheSource.at(one.path), CacheSource.at(two.path)])]
    assert [(r.reading.writable, r.reading.read_only_reason) for r in each if r.reading] == [
        (True, ""),
        (True, ""),
    ]


def test_no_sources_nothing_read() -> None:
    assert read_all([]) == []
    assert list(read_each([])) == []


def test_results_come_as_each_source_answers(tmp_path: Path) -> None:
    one, _ = two_caches(tmp_path)
    node = Listener()
    try:
        slow = CacheSource.node_api(
            f"http://127.0.0.1:{node.port}", options=CacheOptions(timeout=1)
        )
        order = [(n, r.error is None) for n, r in read_each([slow, CacheSource.at(one.path)])]
    finally:
        node.close()
    assert order == [(1, True), (0, False)]  # the cache first, the silent node after its timeout


@pytest.mark.parametrize(("workers", "at_once"), [(MAX_WORKERS, MAX_WORKERS), (2, 2), (0, 1)])
def test_sources_read_at_once_are_at_most_the_workers(workers: int, at_once: int) -> None:
    assert MAX_WORKERS == 8
    node = Listener()
    try:
        sources = [
            CacheSource.node_api(
                f"http://127.0.0.1:{node.port}/n{i}", options=CacheOptions(timeout=1)
            )
            for i in range(at_once + 1)
        ]
        midway: list[int] = []
        sampler = threading.Timer(0.5, lambda: midway.append(node.accepted))
        started = time.monotonic()
        sampler.start()
        results = [r for _, r in read_each(sources, workers)]
        took = time.monotonic() - started
        sampler.join()
    finally:
        node.close()
    # Half-way through the first wave (each source waits 1 s): the last source waits its turn.
    assert midway == [at_once]
    assert sorted(r.error or "" for r in results) == sorted(
        f"node http://127.0.0.1:{node.port}/n{i} does not answer: no answer within 1 s."
        for i in range(at_once + 1)
    )
    assert all(r.unreachable for r in results)
    assert took < 4  # two waves of 1 s, not one source after another


def test_stopping_early_waits_for_no_read_and_starts_no_other(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """One reader: the cache is read first, a silent node is being read when the caller
    stops, and a second silent node waits its turn.  The caller is not kept waiting for
    the read under way, the waiting one never starts, and no error is logged."""
    one, _ = two_caches(tmp_path)
    node = Listener()
    try:
        silent = [
            CacheSource.node_api(
                f"http://127.0.0.1:{node.port}/n{i}", options=CacheOptions(timeout=0.6)
            )
            for i in range(2)
        ]
        results = read_each([CacheSource.at(one.path), *silent], max_workers=1)
        n, first = next(results)
        deadline = time.monotonic() + 5
        while not node.accepted and time.monotonic() < deadline:
            time.sleep(0.01)  # the first silent node's read is under way
        started = time.monotonic()
        results.close()
        stopping = time.monotonic() - started
        time.sleep(1.5)  # the read under way gives up on its node after 0.6 s
        asked = node.accepted
    finally:
        node.close()
    assert (n, first.error) == (0, None)
    assert stopping < 0.3  # not the 0.6 s the silent node's read takes
    assert asked == 1  # the second silent node was never read
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def wait_for(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_a_reading_taken_keeps_its_nodes_connection_and_one_nobody_took_lets_it_go(
    shared_glance_node: Any,
) -> None:
    """The caller stops after the first of two readings of a live node (each through a
    proxy of its own, which sees the inspector's connections): the reading it took keeps
    its connection for the actions that follow; the one still being read when it stopped
    lets its connection go once done."""
    with TcpProxy([shared_glance_node.url]) as taken, TcpProxy([shared_glance_node.url]) as left:
        results = read_each(
            [CacheSource.node_api(taken.url), CacheSource.node_api(left.url)], max_workers=1
        )
        n, first = next(results)
        assert (n, first.error) == (0, None) and first.reading is not None
        assert wait_for(lambda: left.accepted > 0)  # the second reading is under way
        results.close()
        try:
            assert wait_for(lambda: left.open == 0)  # done, and closed by nobody's hand
            assert taken.open == 1
        finally:
            first.reading.driver.close()
        assert wait_for(lambda: taken.open == 0)
