"""A fleet's nodes, each through its own cache API: read in parallel, changed one by one.

Glance acts on the cache of whichever node receives a cache call, so every
call goes to the node's own URL (its ``worker_self_reference_url``, as
``node_reference`` records it), through the ``api`` driver, which refuses a
URL that another node answers.  One node that does not answer, or refuses,
is that node's result; the others go on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from enum import StrEnum

from inspector.core import actions
from inspector.core.actions import JobResult
from inspector.core.drivers.base import Action, CacheDriver
from inspector.core.errors import CacheError
from inspector.core.model import State
from inspector.core.session import Reading, read
from inspector.core.source import CacheOptions, CacheSource

#: Nodes read at once: each waits on its node's answer, not on this machine.
MAX_PARALLEL = 8


class FleetAction(StrEnum):
    QUEUE = "queue"
    DELETE = "delete"
    CLEAN = "clean"
    PRUNE = "prune"


@dataclass(frozen=True, slots=True)
class NodeState:
    """What one node said when read through its cache API."""

    url: str
    cached: int = 0
    cached_bytes: int = 0
    queued: int = 0
    error: str | None = None  # why it could not be read (unreachable, refused, ...)

    @property
    def reachable(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class NodeOutcome:
    """One node's part of a fleet action: its job's result, or why it did not run."""

    url: str
    result: JobResult | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.result is not None and self.result.ok


def node_source(url: str, cloud: str | None = None, timeout: float | None = None) -> CacheSource:
    return CacheSource.node_api(url, cloud, CacheOptions(timeout=timeout))


def _read(url: str, cloud: str | None, timeout: float | None) -> Reading:
    return read(node_source(url, cloud, timeout), read_only=False)


def probe_nodes(
    urls: Sequence[str],
    *,
    cloud: str | None = None,
    timeout: float | None = None,
    done: Callable[[NodeState], None] | None = None,
) -> list[NodeState]:
    """Read every node in ``urls`` through its cache API, in parallel, in their order.

    ``done`` hears each node as it answers (or fails), from a worker thread.
    """

    def one(url: str) -> NodeState:
        try:
            reading = _read(url, cloud, timeout)
        except CacheError as exc:
            state = NodeState(url, error=str(exc))
        else:
            cached = [e for e in reading.snapshot.entries if e.state is State.CACHED]
            queued = sum(1 for e in reading.snapshot.entries if e.state is State.QUEUED)
            state = NodeState(url, len(cached), sum(e.size for e in cached), queued)
            reading.driver.close()
        if done is not None:
            done(state)
        return state

    if not urls:
        return []
    with ThreadPoolExecutor(min(MAX_PARALLEL, len(urls)), "fleet-read") as pool:
        return list(pool.map(one, urls))


def act_on_nodes(
    urls: Sequence[str],
    action: FleetAction,
    image_ids: Sequence[str] = (),
    *,
    cloud: str | None = None,
    timeout: float | None = None,
    progress: Callable[[int, int], bool | None] | None = None,
    cancel: threading.Event | None = None,
) -> list[NodeOutcome]:
    """``action`` on each node of ``urls`` in turn; one node's failure does not stop the rest.

    Queue and delete take ``image_ids`` (delete: those the node holds, cached or
    queued; the others are its result's ``not_found``); clean and
    prune are the node's own (``POST /v2/cache/clean``, ``/prune``).  ``progress``
    hears (nodes done, nodes); returning False, or ``cancel`` being set, stops
    before the next node.
    """
    outcomes: list[NodeOutcome] = []
    for n, url in enumerate(urls):
        if cancel is not None and cancel.is_set():
            break
        outcomes.append(_act(url, action, image_ids, cloud, timeout))
        if progress is not None and progress(n + 1, len(urls)) is False:
            break
    return outcomes


def _act(
    url: str,
    action: FleetAction,
    image_ids: Sequence[str],
    cloud: str | None,
    timeout: float | None,
) -> NodeOutcome:
    try:
        reading = _read(url, cloud, timeout)
    except CacheError as exc:
        return NodeOutcome(url, error=str(exc))
    driver = reading.driver
    try:
        if not reading.writable:
            return NodeOutcome(url, error=reading.read_only_reason or "the node refuses changes")
        return NodeOutcome(url, _run(driver, reading, action, image_ids))
    except (CacheError, OSError, ValueError) as exc:
        return NodeOutcome(url, error=str(exc))
    finally:
        driver.close()


def _run(
    driver: CacheDriver, reading: Reading, action: FleetAction, image_ids: Sequence[str]
) -> JobResult:
    entries = reading.snapshot.entries
    if action is FleetAction.QUEUE:
        return actions.queue(driver, list(image_ids))
    if action is FleetAction.DELETE:
        wanted = set(image_ids)
        held = [e for e in entries if e.id in wanted]
        missing = wanted - {e.id for e in held}
        result = actions.delete(driver, held)
        # Not held there: nothing to delete on that node, which is not a failure.
        return replace(result, not_found=result.not_found + tuple(sorted(missing)))
    if action is FleetAction.CLEAN:
        plan = actions.plan_clean(entries, reading.limits.stall_time or 0.0, driver=driver)
        return actions.clean(driver, plan)
    if not driver.capabilities.can(Action.PRUNE):
        raise CacheError("this node cannot prune through its cache API")
    plan = actions.plan_prune(driver, entries, reading.limits.max_size or 0)
    return actions.prune(driver, plan)
