"""One sort for the CLI's ``--sort`` and the window's columns; Glance's stall rule.

Pure functions of entries, so the entries are made here; what each key means
is what the table shows: unknown values (``None``) at the bottom whichever
the direction, equal values in the order they came.
"""

from __future__ import annotations

import pytest

from inspector.core.model import Entry, Note, State
from inspector.core.sorting import (
    ALIASES,
    CLI_KEYS,
    KEYS,
    Clock,
    is_stalled,
    sort_entries,
    stall_at,
)

NOW = 1_800_000_000.0
DAY = 86400.0


def ids(entries: list[Entry]) -> list[str]:
    return [e.id for e in entries]


def cached(name: str, hits: int | None, size: int = 10) -> Entry:
    return Entry(name, State.CACHED, size, hits, NOW - 100, NOW - 200)


MIXED = [
    cached("c", 3),
    cached("u1", None),
    cached("a", 1),
    cached("u2", None),
    cached("b", 2),
    cached("a2", 1),
]


def test_unknown_values_go_last_in_either_direction() -> None:
    assert ids(sort_entries(MIXED, "hits")) == ["a", "a2", "b", "c", "u1", "u2"]
    assert ids(sort_entries(MIXED, "hits", descending=True)) == ["c", "b", "a", "a2", "u1", "u2"]


def test_equal_values_keep_their_order_in_either_direction() -> None:
    same = [cached(n, 5) for n in ("q", "p", "r")]
    assert ids(sort_entries(same, "hits")) == ["q", "p", "r"]
    assert ids(sort_entries(same, "hits", descending=True)) == ["q", "p", "r"]
    assert ids(sort_entries(same[::-1], "size")) == ["r", "p", "q"]


def test_no_unknowns_sorts_everything() -> None:
    entries = [cached("x", 1, size=30), cached("y", 1, size=10), cached("z", 1, size=20)]
    assert ids(sort_entries(entries, "size")) == ["y", "z", "x"]
    assert ids(sort_entries(entries, "size", descending=True)) == ["x", "z", "y"]
    assert ids(sort_entries(entries, "id", descending=True)) == ["z", "y", "x"]


def test_state_orders_by_life_cycle_then_queue_position_then_id() -> None:
    entries = [
        Entry("i", State.INVALID, 1),
        Entry("q-a", State.QUEUED, 0, position=2),
        Entry("n", State.INCOMPLETE, 1),
        Entry("b", State.CACHED, 1),
        Entry("q-b", State.QUEUED, 0, position=1),
        Entry("a", State.CACHED, 1),
    ]
    assert ids(sort_entries(entries, "state")) == ["a", "b", "q-b", "q-a", "n", "i"]


def test_times_and_their_aliases() -> None:
    entries = [
        Entry("new", State.CACHED, 1, None, NOW - 10, NOW - 10),
        Entry("old", State.CACHED, 1, None, NOW - 90, NOW - 90),
        Entry("never", State.CACHED, 1),
        Entry("mid", State.CACHED, 1, None, NOW - 50, NOW - 50),
    ]
    for key in ("accessed", "last_accessed", "modified", "last_modified"):
        assert ids(sort_entries(entries, key)) == ["old", "mid", "new", "never"], key
    # Age: the oldest first when ascending (the largest age), unknown last.
    assert ids(sort_entries(entries, "age")) == ["new", "mid", "old", "never"]
    assert ids(sort_entries(entries, "age", descending=True)) == ["old", "mid", "new", "never"]


def test_position_checksum_error_and_note_keys() -> None:
    entries = [
        Entry("q3", State.QUEUED, 0, position=3),
        Entry("x", State.INVALID, 1, checksum="bb", error="checksum mismatch"),
        Entry("q1", State.QUEUED, 0, position=1, note=Note.SYMLINK),
        Entry("y", State.INVALID, 1, checksum="aa", error="broken stream"),
        Entry("z", State.CACHED, 1, note=Note.BAD_VALUE),
    ]
    assert ids(sort_entries(entries, "position")) == ["q1", "q3", "x", "y", "z"]
    assert ids(sort_entries(entries, "checksum")) == ["y", "x", "q3", "q1", "z"]
    assert ids(sort_entries(entries, "error")) == ["y", "x", "q3", "q1", "z"]
    # By the words shown: "metadata value ..." before "symbolic link".
    assert ids(sort_entries(entries, "note")) == ["z", "q1", "q3", "x", "y"]


def test_stalled_sorts_by_when_glance_takes_it() -> None:
    entries = [
        Entry("late", State.INCOMPLETE, 1, modified_ts=NOW - 10),
        Entry("early", State.INCOMPLETE, 1, modified_ts=NOW - 3 * DAY),
        Entry("unknown", State.INCOMPLETE, 1),
    ]
    clock = Clock(NOW, DAY)
    assert ids(sort_entries(entries, "stalled", clock=clock)) == ["early", "late", "unknown"]
    assert KEYS["stalled"](entries[0], clock) == NOW - 10 + DAY
    assert KEYS["stalled"](entries[0], None) == NOW - 10  # no clock: no stall time
    assert KEYS["stalled"](entries[2], clock) is None


def test_stall_at_and_is_stalled_follow_glances_strict_rule() -> None:
    at_limit = Entry("a", State.INCOMPLETE, 1, modified_ts=NOW - DAY)
    past = Entry("b", State.INCOMPLETE, 1, modified_ts=NOW - DAY - 0.5)
    assert stall_at(at_limit, DAY) == NOW
    assert stall_at(Entry("c", State.INCOMPLETE, 1), DAY) is None
    assert not is_stalled(at_limit, NOW, DAY)  # Glance: older than now - stall_time, strictly
    assert is_stalled(past, NOW, DAY)
    assert not is_stalled(Entry("d", State.INVALID, 1, modified_ts=0.0), NOW, DAY)
    assert not is_stalled(Entry("e", State.INCOMPLETE, 1), NOW, DAY)


def test_the_cli_keys_are_sort_keys() -> None:
    assert set(CLI_KEYS) <= set(KEYS)
    assert set(ALIASES.values()) <= set(KEYS)
    assert CLI_KEYS[:2] == ("state", "id")
    with pytest.raises(KeyError):
        sort_entries(MIXED, "colour")
