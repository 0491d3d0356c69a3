"""A cache with nothing worth a look: the header counts no inconsistency."""

from __future__ import annotations

from inspector.core.model import Entry, Note, State
from inspector.core.summary import summarize


def test_entries_without_a_note_or_with_a_link_are_not_inconsistent() -> None:
    entries = [
        Entry("a", State.CACHED, 100, 3),
        Entry("b", State.CACHED, 40, None),
        Entry("q", State.QUEUED, 0),
        Entry("link", State.CACHED, 10, 1, note=Note.SYMLINK),
    ]
    assert summarize(entries).inconsistent == 0
    assert (
        summarize([*entries, Entry("bad", State.CACHED, 1, 1, note=Note.BAD_VALUE)]).inconsistent
        == 1
    )
