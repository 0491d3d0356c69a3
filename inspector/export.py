"""Entries as plain records, CSV and JSON: shared by the CLI and File ▸ Export."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from inspector import formatting
from inspector.core import Entry

FIELDS = (
    "id",
    "state",
    "size",
    "hits",
    "last_accessed",
    "last_modified",
    "checksum",
    "error",
    "position",
    "note",
)


def entry_record(e: Entry) -> dict[str, Any]:
    """An entry as plain JSON-able values: bytes, ISO 8601 UTC strings."""
    return {
        "id": e.id,
        "state": str(e.state),
        "size": e.size,
        "hits": e.hits,
        "last_accessed": formatting.iso(e.last_accessed),
        "last_modified": formatting.iso(e.last_modified),
        "checksum": e.checksum,
        "error": e.error,
        "position": e.position,
        "note": None if e.note is None else str(e.note),
    }


def write_csv(entries: Iterable[Entry], out: TextIO) -> None:
    w = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    w.writeheader()
    w.writerows(entry_record(e) for e in entries)


def write_json(path: str, driver: str, entries: Iterable[Entry], out: TextIO) -> None:
    doc = {"path": path, "driver": driver, "entries": [entry_record(e) for e in entries]}
    out.write(json.dumps(doc) + "\n")
