"""A glance-api node reached only through its cache API (``--api URL``).

The node's own endpoint (its ``worker_self_reference_url``, as recorded in
``node_reference``) is read with ``GET /v2/cache``: its cached images with
sizes, hits and times from Glance's records, and its prefetch queue.  The
cache API shows neither incomplete nor invalid downloads, so this kind has two
states.  Changes go through the node's own calls: ``DELETE /v2/cache/{id}``,
``PUT /v2/cache/{id}``, ``DELETE /v2/cache`` (clear), and from image API
v2.18 ``POST /v2/cache/clean`` and ``/v2/cache/prune``, which the node carries
out by itself (so the inspector can only estimate them beforehand).

Glance acts on the cache of whichever node receives a call, and it does not
refuse a call that reached it through a load balancer.  So the driver checks,
where Glance records it (``GET /v2/cache/nodes/{id}``, centralized_db), that
the URL it was given is the node that answered, and changes nothing through a
URL that is not.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterable, Mapping, Sequence
from typing import Any

from inspector.core.drivers.base import (
    Action,
    CacheDriver,
    Capabilities,
    Outcome,
    OutcomeStatus,
    Progress,
    ProgressTicker,
    ServiceResult,
)
from inspector.core.drivers.fsops import check_image_id
from inspector.core.drivers.glance.api_client import (
    CLEAN_PRUNE_API,
    NodeClient,
    same_node,
    version_text,
)
from inspector.core.drivers.glance.layout import DEFAULT_MAX_SIZE, DEFAULT_STALL_TIME
from inspector.core.errors import (
    ActionNotSupportedError,
    CacheReadOnlyError,
    InvalidImageIdError,
    NotACacheError,
    QueueRefusedError,
    ServiceRefusedError,
)
from inspector.core.model import Entry, Note, Snapshot, State, make_entry
from inspector.core.sorting import gentle_sorted
from inspector.core.source import CacheSource

CAPABILITIES = Capabilities(
    states=(State.CACHED, State.QUEUED),
    actions=frozenset({Action.DELETE, Action.QUEUE, Action.PRUNE, Action.CLEAN}),
    default_max_size=DEFAULT_MAX_SIZE,
    default_stall_time=DEFAULT_STALL_TIME,
    local=False,
    by_service=frozenset({Action.DELETE, Action.PRUNE, Action.CLEAN}),
)

#: How many cached images to ask ``/v2/cache/nodes`` about before giving up
#: checking the node's URL (an image deleted in Glance answers 404 there).
OWN_URL_TRIES = 3

BOTH_STATES = (
    "it is both cached and queued on the node, and Glance's DELETE /v2/cache/{id} removes "
    "both: left as it was."
)

#: How far in the future a node's time may be before it is said to be shifted
#: (clocks of the node and of this machine may differ a little).
FUTURE_SLACK = 600.0

#: Clear targets of ``DELETE /v2/cache`` by state (``None``: both).
CLEAR_TARGETS: dict[State | None, str] = {
    None: "both",
    State.CACHED: "cache",
    State.QUEUED: "queue",
}


class ApiDriver(CacheDriver):
    name = "api"
    title = "Glance node (cache API)"
    capabilities = CAPABILITIES
    looks_for = "a glance-api node's URL (--api URL)"

    def __init__(self, source: CacheSource) -> None:
        super().__init__(source)
        if source.api is None:
            raise NotACacheError(f"{source.display_name()} names no node's URL (--api URL).")
        self.client = NodeClient(source.api, source.cloud, source.options.timeout)
        #: The state of each id in the last listing (``None``: not read yet).
        self._listed: dict[str, State] | None = None
        #: Why the URL is not this node's own, when the node's records say so.
        self._not_own: str | None = None

    @property
    def url(self) -> str:
        return self.client.url

    @classmethod
    def probe(cls, source: CacheSource) -> bool:
        return source.api is not None and source.path is None

    def check_id(self, entry_id: str) -> str:
        """Glance's image ids are UUIDs: nothing that could change the URL it goes into."""
        return check_image_id(entry_id)

    # -- reading --------------------------------------------------------------

    def scan(self, progress: Progress | None = None) -> Snapshot:
        self.warnings = []
        ticker = ProgressTicker(progress)
        version = self.client.version or self.client.discover()
        state = self.client.cache_state()
        damaged: list[str] = []
        entries = [_cached_entry(row, damaged) for row in state.cached]
        entries.extend(
            make_entry(image_id, State.QUEUED, 0, position=n)
            for n, image_id in enumerate(state.queued, 1)
        )
        ticker.advance(len(entries))
        ticker.report()
        self._listed = _states(entries)
        if damaged:
            self.warnings.append(
                f"node {self.url} gave values Glance never writes for {len(damaged):,} "
                f"image(s): {'; '.join(damaged[:3])}. They are shown as unknown."
            )
        self._check_times(entries)
        if version < CLEAN_PRUNE_API:
            self.warnings.append(
                f"node {self.url} speaks the image API up to {version_text(version)}: it "
                f"cannot clean or prune through its cache API (that needs "
                f"{version_text(CLEAN_PRUNE_API)}); list, queue and delete work."
            )
        else:
            self._check_own_url(entries)
        return Snapshot(
            path=None, driver=self.name, entries=entries, warnings=tuple(self.warnings)
        )

    def _check_times(self, entries: Sequence[Entry]) -> None:
        """Glance 33 turns its naive UTC times into unix time as local time: west of UTC
        they come out in the future (east of UTC, too old, which cannot be seen)."""
        now = time.time()
        ahead = max((e.modified_ts or 0.0) - now for e in entries) if entries else 0.0
        if ahead > FUTURE_SLACK:
            self.warnings.append(
                f"node {self.url} gives times up to {ahead / 3600:.1f} h in the future: "
                "Glance reads its UTC records as the server's local time, so a glance-api "
                "running in a time zone west of UTC shifts every time it reports (run it with "
                "TZ=UTC). Last access and modification times from this node are off by that much."
            )

    def _check_own_url(self, entries: Sequence[Entry]) -> None:
        """Whether Glance records this URL for the node that answered (see the module doc)."""
        self._not_own = None
        cached = [e.id for e in entries if e.state is State.CACHED][:OWN_URL_TRIES]
        for image_id in cached:
            try:
                nodes = self.client.cached_nodes(image_id)
            except ServiceRefusedError as exc:
                if exc.status == 404:
                    continue  # deleted in Glance, still cached: ask about another
                if exc.status != 409:  # 409: not centralized_db, nothing records nodes
                    self.warnings.append(f"Cannot check that {self.url} is the node's own: {exc}")
                return
            if not any(same_node(n, self.url) for n in nodes):
                recorded = ", ".join(nodes) or "no node"
                self._not_own = (
                    f"{self.url} is not the URL Glance records for the node that answered: "
                    f"that node lists image {image_id} as cached, and Glance records it on "
                    f"{recorded}. Through a load balancer (or another name for the node) "
                    "each call reaches whichever node it picks, and Glance acts on that "
                    "node's cache: use the node's own URL (its worker_self_reference_url, as "
                    "recorded in node_reference)."
                )
                self.warnings.append(self._not_own + " Nothing is changed through this URL.")
            return

    def writable(self) -> tuple[bool, str]:
        if self._not_own is not None:
            return False, self._not_own
        return True, ""

    def _require_own(self) -> None:
        if self._not_own is not None:
            raise CacheReadOnlyError(self._not_own)

    def _present(self) -> dict[State, set[str]]:
        """A fresh listing: the ids cached and the ids queued on the node now."""
        state = self.client.cache_state()
        return {
            State.CACHED: {str(row.get("image_id")) for row in state.cached},
            State.QUEUED: set(state.queued),
        }

    # -- changing the cache ---------------------------------------------------

    def eviction_order(self, entries: Sequence[Entry]) -> list[Entry]:
        """Glance's pruner: least recently accessed first (its own ties: an estimate)."""
        cached = [e for e in entries if e.state is State.CACHED]
        return gentle_sorted(cached, key=lambda e: (e.accessed_ts or 0.0, e.id))

    def delete_entries(self, entries: Iterable[Entry]) -> Generator[Outcome, None, None]:
        """``DELETE /v2/cache/{id}`` for each entry the node still lists.

        An entry the node no longer lists (fetched once, before the first
        deletion) is gone, not deleted.  A node that stops answering, or
        refuses these credentials, ends the job there.
        """
        pending = list(entries)
        if not pending:
            return
        self._require_own()
        present = self._present()
        self._listed = None  # the queue rules read the node again after a change
        for entry in pending:
            try:
                self.check_id(entry.id)
            except InvalidImageIdError as exc:
                yield Outcome(entry, OutcomeStatus.FAILED, reason=str(exc))
                continue
            if entry.id not in present.get(entry.state, set()):
                yield Outcome(entry, OutcomeStatus.GONE)
                continue
            if all(entry.id in ids for ids in present.values()):
                yield Outcome(entry, OutcomeStatus.FAILED, reason=BOTH_STATES)
                continue
            try:
                self.client.delete(entry.id)
            except ServiceRefusedError as exc:
                if exc.status in (401, 403):
                    raise
                if exc.status == 404:
                    yield Outcome(entry, OutcomeStatus.GONE)
                else:
                    yield Outcome(entry, OutcomeStatus.FAILED, reason=str(exc))
                continue
            present[entry.state].discard(entry.id)
            freed = entry.size if entry.state is State.CACHED else 0
            yield Outcome(entry, OutcomeStatus.DELETED, freed)

    def queue_image(self, image_id: str) -> None:
        """``PUT /v2/cache/{id}``, by Glance's rules: refused when cached or queued here.

        Glance's API itself accepts either and fetches the image again; its
        cache's own rule (and this driver) refuses them.  The node's cache
        worker fetches a queued image at once.
        """
        self.check_id(image_id)
        self._require_own()
        listed = self._listed
        if listed is None:
            now = self._present()
            listed = dict.fromkeys(now[State.QUEUED], State.QUEUED)
            listed.update(dict.fromkeys(now[State.CACHED], State.CACHED))
        state = listed.get(image_id)
        if state is State.CACHED:
            raise QueueRefusedError(f"{image_id} is already cached on node {self.url}.")
        if state is State.QUEUED:
            raise QueueRefusedError(f"{image_id} is already queued on node {self.url}.")
        try:
            self.client.queue(image_id)
        except ServiceRefusedError as exc:
            if exc.status in (400, 404):  # no such image, or not active
                raise QueueRefusedError(str(exc)) from None
            raise
        listed[image_id] = State.QUEUED
        self._listed = listed

    def clear(self, state: State | None = None) -> ServiceResult:
        """``DELETE /v2/cache``: everything cached, or queued, or both (``None``) on the node.

        Glance answers without a count; the result counts what the node's
        listing held before and no longer holds after.
        """
        if state not in CLEAR_TARGETS:
            raise ActionNotSupportedError(f"A {self.title} cache has no {state} state to clear.")
        self._require_own()
        before = self.client.cache_state()
        self.client.clear(CLEAR_TARGETS[state])
        after = self._present()
        count = freed = 0
        if state in (None, State.CACHED):
            for row in before.cached:
                if str(row.get("image_id")) not in after[State.CACHED]:
                    count += 1
                    freed += _size(row.get("size")) or 0
        if state in (None, State.QUEUED):
            count += sum(1 for i in before.queued if i not in after[State.QUEUED])
        self._listed = None
        return ServiceResult(
            count,
            freed,
            f"Glance answers a clear without saying what it removed: {count:,} is what node "
            f"{self.url} listed before and no longer lists.",
        )

    def run_by_service(self, action: Action, state: State | None = None) -> ServiceResult:
        """The node's own clear (``delete`` of a whole ``state``), or its ``POST
        /v2/cache/prune`` or ``/v2/cache/clean`` (API v2.18+)."""
        if action is Action.DELETE:
            return self.clear(state)
        if action not in self.capabilities.by_service:
            return super().run_by_service(action, state)
        self._require_own()
        version = self.client.version or self.client.discover()
        if version < CLEAN_PRUNE_API:
            raise ActionNotSupportedError(
                f"node {self.url} speaks the image API up to {version_text(version)}: {action} "
                f"through the cache API needs {version_text(CLEAN_PRUNE_API)} or newer."
            )
        self._listed = None
        if action is Action.PRUNE:
            said = self.client.prune()
            files, size = (
                _size(said.get("total_files_pruned")),
                _size(said.get("total_bytes_pruned")),
            )
            return ServiceResult(
                files,
                size,
                f"Node {self.url} pruned itself to its own image_cache_max_size; the count and "
                "bytes are what it reports.",
            )
        self.client.clean()
        return ServiceResult(
            None,
            None,
            f"Node {self.url} removed its invalid downloads and those incomplete for longer "
            "than its own image_cache_stall_time; Glance does not say which or how many.",
        )

    def service_remark(self, action: Action) -> str | None:
        if action is Action.PRUNE:
            return (
                "An estimate from the node's listing: the node prunes to its own "
                "image_cache_max_size, which its API does not tell (the preview assumes the "
                "target shown: --max-size, or Glance's default), counts every file in its "
                "cache directory (which the listing does not show), and breaks ties in last "
                "access its own way."
            )
        if action is Action.CLEAN:
            return (
                "The node's cache API lists no invalid or incomplete downloads: what a clean "
                "removes cannot be shown before it runs, and the node does not say afterwards."
            )
        return None

    def close(self) -> None:
        self.client.close()


def _states(entries: Iterable[Entry]) -> dict[str, State]:
    states: dict[str, State] = {}
    for e in entries:
        if states.get(e.id) is not State.CACHED:
            states[e.id] = e.state
    return states


def _size(value: Any) -> int | None:
    return value if type(value) is int and value >= 0 else None


def _time(value: Any) -> float | None:
    if type(value) in (int, float) and 0 <= value < 253402300800.0:
        return float(value)
    return None


def _cached_entry(row: Mapping[str, Any], damaged: list[str]) -> Entry:
    """An entry from one of ``GET /v2/cache``'s ``cached_images`` (unix times, bytes)."""
    image_id = str(row.get("image_id"))
    size, hits = _size(row.get("size")), _size(row.get("hits"))
    accessed, modified = _time(row.get("last_accessed")), _time(row.get("last_modified"))
    values = {"size": size, "hits": hits, "last_accessed": accessed, "last_modified": modified}
    bad = tuple(name for name, value in values.items() if value is None)
    if bad:
        damaged.append(f"{image_id}: {', '.join(f'{n} {row.get(n)!r}' for n in bad)}")
    return make_entry(
        image_id,
        State.CACHED,
        size or 0,
        hits,
        accessed,
        modified,
        note=Note.BAD_VALUE if bad else None,
        bad_fields=bad,
    )
