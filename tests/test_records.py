"""The streamed JSON of entries is the documented object, value for value."""

from __future__ import annotations

import csv
import io
import json

import orjson
import pytest

from inspector.core.model import Entry, Note, State
from inspector.report import records

ENTRIES = [
    Entry("a", State.CACHED, 1, hits=3, accessed_ts=0.0, modified_ts=1.5),
    Entry("b", State.QUEUED, 0, modified_ts=1_700_000_000.123456, position=1),
    Entry("c", State.INVALID, 9, modified_ts=253402300799.999, error="boom"),
    Entry("d", State.CACHED, 2, note=Note.BAD_VALUE, bad_fields=("hits",)),
    Entry("/x/y", State.CACHED, 5, modified_ts=999.0000004, version=999, locked=True, links=2),
]


def test_streamed_json_equals_the_record_of_each_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "_CHUNK", 2)  # several pieces
    out = io.StringIO()
    records.write_json("/p", "k", ENTRIES, out)
    text = out.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1
    doc = json.loads(text)
    assert doc == json.loads(json.dumps(records.entries_document("/p", "k", ENTRIES)))
    assert doc["entries"][1]["last_modified"] == "2023-11-14T22:13:20.123456Z"
    assert doc["entries"][0]["last_accessed"] == "1970-01-01T00:00:00Z"


def test_no_entries() -> None:
    out = io.StringIO()
    records.write_json("/p", "k", [], out)
    assert json.loads(out.getvalue()) == {"path": "/p", "api": None, "driver": "k", "entries": []}


def test_csv_rows_are_the_records_of_each_entry() -> None:
    out = io.StringIO()
    records.write_csv(ENTRIES, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    expected = [
        {k: "" if v is None else str(v) for k, v in records.entry_record(e).items()}
        for e in ENTRIES
    ]
    assert rows == expected
    assert rows[0]["last_accessed"] == "1970-01-01T00:00:00Z"
    assert rows[1]["last_modified"] == "2023-11-14T22:13:20.123456Z"
    assert rows[3]["note"] == "metadata value the service never writes: hits"
    assert (rows[4]["locked"], rows[4]["links"], rows[4]["id"]) == ("True", "2", "/x/y")
    assert out.getvalue().splitlines()[0] == ",".join(records.FIELDS)


def _csv_by_the_csv_module(entries: list[Entry]) -> str:
    """What ``csv.writer`` makes of each entry's record: the text write_csv must give."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(records.FIELDS)
    for e in entries:
        record = records.entry_record(e)
        writer.writerow([record[f] for f in records.FIELDS])
    return buffer.getvalue()


@pytest.mark.parametrize("chunk", [1, 2, 1000])
def test_csv_is_the_csv_modules_text_of_the_records(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(records, "_CHUNK", chunk)
    odd = ["a,b", 'say "hi"', "two\nlines", "cr\rhere", "nul\x00", " spaced ", "é ü", "", "x"]
    entries = [
        *ENTRIES,
        *(
            Entry(text, State.INVALID, i, error=f"{text}, again", checksum=text, name=text)
            for i, text in enumerate(odd)
        ),
        Entry("p", State.CACHED, 7, hits=0, image_status="deleted", name="n,1", links=1),
    ]
    out = io.StringIO()
    records.write_csv(entries, out)
    assert out.getvalue() == _csv_by_the_csv_module(entries)
    plain = io.StringIO()
    records.write_csv(ENTRIES, plain)  # nothing to quote: the columns' fast way alone
    assert plain.getvalue() == _csv_by_the_csv_module(ENTRIES)


def test_csv_of_no_entries_is_its_header() -> None:
    out = io.StringIO()
    records.write_csv([], out)
    assert out.getvalue() == _csv_by_the_csv_module([])


def _json_by_orjson(entries: list[Entry]) -> str:
    """orjson's own text of the whole document, record by record: what write_json must give."""
    return orjson.dumps(records.entries_document("/p", "k", entries)).decode() + "\n"


@pytest.mark.parametrize("chunk", [1, 2, 1000])
def test_json_is_orjsons_text_of_the_records(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(records, "_CHUNK", chunk)
    odd = ["a,b", 'say "hi"', "two\nlines", "back\\slash", "\\", ",", '","', "é ü", "\x01", ""]
    entries = [
        *ENTRIES,
        *(
            Entry(text, State.INVALID, i, error=f"{text}, again", checksum=text, name=text)
            for i, text in enumerate(odd)
        ),
        Entry("p", State.CACHED, 7, hits=0, image_status="deleted", name="n,1", links=1),
        Entry("q", State.CACHED, 8, accessed_ts=1.25, note=Note.SYMLINK, locked=False),
    ]
    out = io.StringIO()
    records.write_json("/p", "k", entries, out)
    assert out.getvalue() == _json_by_orjson(entries)
    plain = io.StringIO()
    records.write_json("/p", "k", ENTRIES, plain)  # no comma in any value: one dump per column
    assert plain.getvalue() == _json_by_orjson(ENTRIES)
    assert '"error":"a,b, again"' in out.getvalue()
