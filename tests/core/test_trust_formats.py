"""The formats the trust commands read: metadata records and checksum files (no service)."""

from __future__ import annotations

import json

import pytest

from inspector.core.metadata_format import TAG_ENTRIES, RecordError
from inspector.core.metadata_records import (
    CURRENT_VERSION,
    RESTORE_TABLES,
    TAG_SETTINGS,
    parse_record,
)
from inspector.core.units import describe_duration
from inspector.core.verify import ChecksumFileError, parse_checksums

ID = "8a1b2c3d-0000-4000-8000-000000000001"
ENTRY = {
    "id": ID,
    "state": "cached",
    "size": 10,
    "hits": 2,
    "last_accessed": "2025-01-01T00:00:00.000000Z",
    "last_modified": None,
    "last_accessed_ns": 1735689600000000000,
    "last_modified_ns": None,
    "checksum": None,
    "error": None,
    "position": None,
    "node": None,
}


def record(**changes: object) -> bytes:
    doc: dict[str, object] = {"version": 1, TAG_SETTINGS: {"kind": "sqlite"}, TAG_ENTRIES: [ENTRY]}
    doc.update(changes)
    return json.dumps(doc).encode()


def test_a_good_record_reads_with_its_kinds_own_fields() -> None:
    extra = dict(ENTRY, name="/problems/p1/t1.in", version=1700000000)
    rec = parse_record(record(**{TAG_ENTRIES: [extra], "fleet-nodes": {"n": 1}}))
    [e] = rec.entries
    assert (e.id, e.hits, e.accessed_ns, e.modified_ns) == (ID, 2, 1735689600000000000, None)
    assert dict(e.extras) == {"name": "/problems/p1/t1.in", "version": 1700000000}
    assert rec.other_sections == ("fleet-nodes",)  # kept, not restored (as Cinder does)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (record(version=2), "newer than this Cache Inspector reads"),
        (record(version=0), "not a known record version"),
        (record(version=True), "not a whole number"),
        (record(version="1"), "not a whole number"),
        (json.dumps({TAG_ENTRIES: []}).encode(), "no top-level version"),
        (record(**{TAG_ENTRIES: {}}), "is not a list"),
        (json.dumps({"version": 1}).encode(), "has no cache-entries section"),
        (record(**{TAG_SETTINGS: {"a": {"b": 1}}}), "not a flat object"),
        (record(**{TAG_ENTRIES: [dict(ENTRY, hits=-1)]}), "entry 1 of cache-entries"),
        (record(**{TAG_ENTRIES: [dict(ENTRY, state="lost")]}), "entry 1 of cache-entries"),
        (record(**{TAG_ENTRIES: [dict(ENTRY, last_accessed_ns=1.5)]}), "entry 1"),
        (record(**{TAG_ENTRIES: [ENTRY, dict(ENTRY, id="")]}), "entry 2 of cache-entries"),
        (record()[:-20], "not a complete metadata record"),
        (b"", "not a complete metadata record"),
    ],
)
def test_a_bad_record_is_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(RecordError, match=message):
        parse_record(data, "r.json")


def test_every_version_up_to_the_current_one_has_a_restore_table() -> None:
    assert sorted(RESTORE_TABLES) == list(range(1, CURRENT_VERSION + 1))
    fields = RESTORE_TABLES[1][TAG_ENTRIES][1]
    assert fields == ("hits", "last_accessed_ns", "last_modified_ns")
    assert RESTORE_TABLES[1][TAG_SETTINGS][1] == ()  # settings are never restored


def test_checksum_files_in_every_format() -> None:
    md5 = "d41d8cd98f00b204e9800998ecf8427e"
    sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    sha512 = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" * 2
    text = (
        "# made by sha256sum\n\n"
        f"{md5}  {ID}\n"
        f"{sha256.upper()} */var/lib/glance/image-cache/b{ID[1:]}\n"
        f"SHA512 (c{ID[1:]}) = {sha512}\n"
        f"\\{md5}  d{ID[1:]}\\\\x\n"
    )
    found = parse_checksums(text)
    assert found[ID] == ("md5", md5)
    assert found["b" + ID[1:]] == ("sha256", sha256)
    assert found["c" + ID[1:]] == ("sha512", sha512)
    assert found["d" + ID[1:] + "\\x"] == ("md5", md5)
    with pytest.raises(ChecksumFileError, match="line 1: MD5 does not make a 64-digit digest"):
        parse_checksums(f"MD5 ({ID}) = {sha256}\n", "sums")


def test_durations_read_as_people_say_them() -> None:
    assert describe_duration(86400) == "1 day"
    assert describe_duration(7200) == "2 hours"
    assert describe_duration(60) == "1 minute"
    assert describe_duration(90) == "90 seconds"
