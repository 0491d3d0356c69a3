"""When a sort is gentle (chunks, merged, stoppable) and when it is one plain ``sorted``.

Only a long list (more than two chunks) sorted off the GUI thread with
``GENTLE`` set is sorted in chunks; only such a sort can be stopped (``STOP``),
between chunks and every eight chunks of the merge.  A plain sort never asks.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from inspector.core import sorting

CHUNK = 97


@pytest.fixture
def gentle(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(sorting, "GENTLE", True)
    monkeypatch.setattr(sorting, "CHUNK", CHUNK)
    token = sorting.STOP.set(lambda: True)  # any gentle step stops at once
    try:
        yield
    finally:
        sorting.STOP.reset(token)


def test_any_iterable_is_sorted_not_only_a_list(gentle: None) -> None:
    assert sorting.gentle_sorted(iter([3, 1, 2]), key=lambda x: x) == [1, 2, 3]
    assert sorting.gentle_sorted((x for x in (2, 3, 1)), key=lambda x: -x) == [3, 2, 1]


def test_on_the_gui_thread_a_long_list_is_one_plain_sort(gentle: None) -> None:
    items = list(range(5 * CHUNK, 0, -1))
    assert sorting.gentle_sorted(items, key=lambda x: x) == sorted(items)


def test_two_chunks_or_fewer_are_one_plain_sort_and_more_are_gentle(
    gentle: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sorting, "_MAIN", None)  # as if on a worker thread
    items = list(range(2 * CHUNK, 0, -1))
    assert sorting.gentle_sorted(items, key=lambda x: x) == sorted(items)
    with pytest.raises(sorting.SortStopped):
        sorting.gentle_sorted([0, *items], key=lambda x: x)


def test_without_gentle_a_long_list_off_the_gui_thread_is_one_plain_sort(
    gentle: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sorting, "GENTLE", False)
    monkeypatch.setattr(sorting, "_MAIN", None)
    items = list(range(5 * CHUNK, 0, -1))
    assert sorting.gentle_sorted(items, key=lambda x: x) == sorted(items)


def test_the_merge_asks_again_every_eight_chunks(
    gentle: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sorting, "_MAIN", None)
    items = list(range(52 * CHUNK, 0, -1))  # 52 chunks, merged in 7 steps of 8 chunks
    asked = 0

    def stop() -> bool:
        nonlocal asked
        asked += 1
        return asked > 52 + 6

    token = sorting.STOP.set(stop)
    try:
        with pytest.raises(sorting.SortStopped):  # asked before the 7th step
            sorting.gentle_sorted(items, key=lambda x: x)
    finally:
        sorting.STOP.reset(token)
    assert asked == 52 + 7
