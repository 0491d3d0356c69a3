"""What the header and ``stats`` count: bytes on disk, known hits, entries worth a look."""

from __future__ import annotations

from inspector.core.model import Entry, Note, State
from inspector.core.summary import StateTotals, summarize


def test_counts_bytes_hits_and_inconsistencies() -> None:
    entries = [
        Entry("ok", State.CACHED, 100, 3),
        Entry("gone1", State.CACHED, 1000, 5, note=Note.ROW_WITHOUT_FILE),
        Entry("gone2", State.CACHED, 1000, 7, note=Note.ROW_WITHOUT_FILE),
        Entry("link", State.CACHED, 10, None, note=Note.SYMLINK),
        Entry("norow", State.CACHED, 20, None, note=Note.FILE_WITHOUT_ROW),
        Entry("bad", State.CACHED, 30, None, note=Note.BAD_VALUE),
        Entry("bad2", State.CACHED, 0, 1, note=Note.BAD_VALUE),
        Entry("unknown", State.CACHED, 40, None),
        Entry("q", State.QUEUED, 0),
        Entry("inv", State.INVALID, 5, note=Note.SYMLINK),
    ]
    s = summarize(entries)
    assert s.total_size == 100 + 10 + 20 + 30 + 40  # rows without files hold no bytes
    assert s.totals(State.CACHED) == StateTotals(8, 200)
    assert s.totals(State.INVALID) == StateTotals(1, 5)
    assert s.count == 10
    assert s.hits == 4
    assert s.unknown_hits == 4  # link, norow, bad, unknown; a row without a file is not counted
    assert s.inconsistent == 5  # two rows without files, a file without a row, two bad values


def test_a_kind_with_fewer_states() -> None:
    s = summarize([Entry("f", State.CACHED, 7, None)], states=(State.CACHED,))
    assert list(s.per_state) == [State.CACHED]
    assert s.totals(State.QUEUED) == StateTotals(0, 0)
    assert s.totals(State.QUEUED).bytes == 0
    assert s.total_size == 7 and s.unknown_hits == 1
