"""The fast paths of sort_entries give the order of the plain key sort."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from inspector.core.model import STATES, Entry, State
from inspector.core.sorting import KEYS, sort_entries


def plain(entries: list[Entry], key: str, descending: bool) -> list[Entry]:
    """The definition: sort by the key's values, stable, unknowns last."""
    values = [KEYS[key](e, None) for e in entries]
    known = sorted(
        (i for i, v in enumerate(values) if v is not None),
        key=values.__getitem__,
        reverse=descending,
    )
    return [entries[i] for i in known] + [
        e for e, v in zip(entries, values, strict=True) if v is None
    ]


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("key", ["state", "id", "last_accessed", "version"])
@pytest.mark.parametrize("descending", [False, True])
def test_fast_paths_keep_the_definition(seed: int, key: str, descending: bool) -> None:
    rng = random.Random(seed)
    entries = []
    for i in range(rng.randrange(0, 60)):
        state = rng.choice(STATES)
        entries.append(
            Entry(
                f"id-{rng.randrange(15)}",  # repeated ids: ties
                state,
                i,  # tells equal entries apart
                accessed_ts=rng.choice([None, 1.0, 2.0]),
                position=rng.randrange(1, 4) if state is State.QUEUED else None,
                version=rng.choice([None, 5, 6]),
            )
        )
    canonical = {"last_accessed": "accessed"}.get(key, key)
    assert sort_entries(entries, key, descending) == plain(entries, canonical, descending)


@pytest.mark.parametrize("reverse", [False, True])
def test_a_gentle_sort_is_the_same_stable_sort(
    reverse: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random

    from inspector.core import sorting

    monkeypatch.setattr(sorting, "GENTLE", True)
    monkeypatch.setattr(sorting, "CHUNK", 97)
    monkeypatch.setattr(sorting, "_MAIN", None)  # as if on a worker thread
    rng = random.Random(5)
    items = [(rng.randint(0, 50), n) for n in range(5000)]  # many equal keys
    got = sorting.gentle_sorted(items, key=lambda x: x[0], reverse=reverse)
    assert got == sorted(items, key=lambda x: x[0], reverse=reverse)


def test_a_gentle_sort_stops_when_its_result_is_no_longer_wanted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A table sorted again before its last sort ended: the old sort must not go on
    holding a core (four sorts of a million rows ran at once)."""
    from inspector.core import sorting

    monkeypatch.setattr(sorting, "GENTLE", True)
    monkeypatch.setattr(sorting, "CHUNK", 97)
    monkeypatch.setattr(sorting, "_MAIN", None)  # as if on a worker thread
    items = list(range(5000, 0, -1))
    asked = 0

    def stop_after(n: int) -> Callable[[], bool]:
        def stop() -> bool:
            nonlocal asked
            asked += 1
            return asked > n

        return stop

    for n in (3, 53):  # while sorting its 52 chunks, and while merging them
        asked = 0
        token = sorting.STOP.set(stop_after(n))
        try:
            with pytest.raises(sorting.SortStopped):
                sorting.gentle_sorted(items, key=lambda x: x)
        finally:
            sorting.STOP.reset(token)
        assert asked == n + 1
    token = sorting.STOP.set(lambda: False)
    try:
        assert sorting.gentle_sorted(items, key=lambda x: x) == sorted(items)
    finally:
        sorting.STOP.reset(token)


@pytest.mark.parametrize("descending", [False, True])
def test_a_queued_entry_without_a_position_sorts_as_position_zero(descending: bool) -> None:
    """A queue position unknown in a queue that has them sorts before position 1 (the
    definition's ``position or 0``), whatever the ids say."""
    entries = [
        Entry("a", State.QUEUED, 1, position=1),
        Entry("b", State.QUEUED, 2, position=None),
        Entry("c", State.QUEUED, 3, position=2),
    ]
    got = sort_entries(entries, "state", descending)
    assert got == plain(entries, "state", descending)
    assert [e.id for e in got] == (["c", "a", "b"] if descending else ["b", "a", "c"])


@pytest.mark.parametrize("key", ["hits", "last_accessed", "version"])
def test_entries_all_unknown_keep_their_order(key: str) -> None:
    entries = [Entry(f"id-{i}", State.CACHED, i) for i in (3, 1, 2)]
    assert [e.id for e in sort_entries(entries, key)] == ["id-3", "id-1", "id-2"]
    assert [e.id for e in sort_entries(entries, key, descending=True)] == ["id-3", "id-1", "id-2"]
