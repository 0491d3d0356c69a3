"""Every record the program writes for scripts: one place, shared by the CLI and the window.

Entries (``list --json/--csv``, File ▸ Export), statistics (``stats --json``),
plans (``--dry-run --json``) and job results (``--json`` of every change) are
built here as plain JSON-able dicts, so the CLI and the window cannot write
the same thing two ways.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import islice, repeat
from typing import TYPE_CHECKING, Any, TextIO

import orjson

from inspector.core import Entry, Reading, Snapshot, State
from inspector.core.model import note_text, utc_from_timestamp
from inspector.report import formatting

if TYPE_CHECKING:  # only named here: `list --json` need not import plans and statistics
    from inspector.core.actions import JobResult, Plan
    from inspector.core.stats import Bin, Statistics
    from inspector.core.tree import Folder

#: Entries per piece of a streamed document.
_CHUNK = 20_000


def batched(items: Iterable[Entry], n: int) -> Iterator[list[Entry]]:
    """Lists of ``n`` items (the last shorter): ``itertools.batched`` before Python 3.12."""
    it = iter(items)
    while chunk := list(islice(it, n)):
        yield chunk


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
    "version",
    "locked",
    "links",
    "name",
    "image_status",
)


def entry_record(e: Entry) -> dict[str, Any]:
    """An entry as plain JSON-able values: bytes, ISO 8601 UTC strings."""
    record = _timed_record(e)
    record["state"] = str(e.state)
    record["last_accessed"] = formatting.iso(record["last_accessed"])
    record["last_modified"] = formatting.iso(record["last_modified"])
    return record


_fromtimestamp = datetime.fromtimestamp


def _timed_record(e: Entry) -> dict[str, Any]:
    """:func:`entry_record` with the times as aware datetimes and the state as its enum.

    orjson writes both exactly as :func:`entry_record`'s strings (a ``StrEnum``
    as its value, a UTC datetime as ISO 8601 with ``Z`` under ``OPT_UTC_Z``),
    in C: the JSON of a million entries is built from these.
    """
    accessed, modified = e.accessed_ts, e.modified_ts
    return {
        "id": e.id,
        "state": e.state,
        "size": e.size,
        "hits": e.hits,
        "last_accessed": None if accessed is None else _fromtimestamp(accessed, UTC),
        "last_modified": None if modified is None else _fromtimestamp(modified, UTC),
        "checksum": e.checksum,
        "error": e.error,
        "position": e.position,
        "note": None if e.note is None else note_text(e),
        "version": e.version,
        "locked": e.locked,
        "links": e.links,
        "name": e.name,
        "image_status": e.image_status,
    }


def _iso_column(stamps: list[float | None]) -> list[str]:
    """Unix seconds as :func:`formatting.iso` writes them (``None`` as ``""``), all at once.

    The datetimes are formatted by orjson in one call (in C, the same ISO 8601
    with ``Z`` as ``isoformat``): an ISO time holds no comma or quote, so the
    JSON array splits back into its strings.
    """
    if not stamps:
        return []
    utc = UTC
    times = [None if ts is None else _fromtimestamp(ts, utc) for ts in stamps]
    text = orjson.dumps(times, option=orjson.OPT_UTC_Z)[1:-1]
    return text.replace(b'"', b"").replace(b"null", b"").decode().split(",")


#: What makes the csv module quote a cell (or refuse it): looked for in a whole column at once.
_CSV_SPECIAL = (",", '"', "\r", "\n", "\x00")


def _csv_cell(text: str) -> str:
    """One cell as ``csv.writer`` writes it (quoted, quotes doubled), by that writer itself."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([text, ""])
    return buffer.getvalue()[:-2]  # the cell, then ",\n" for the empty one after it


def _csv_cells(values: list[Any]) -> Iterable[str]:
    """A column as ``csv.writer`` writes its cells: ``None`` empty, anything else ``str``.

    A column with nothing to quote (ids, sizes, states: nearly always) is
    converted by C loops; only cells holding a comma, a quote, a line break
    or a NUL go through the csv module one by one.
    """
    nones = values.count(None)
    if nones == len(values):
        return repeat("", nones)
    cells = list(map(str, values)) if not nones else ["" if v is None else str(v) for v in values]
    text = "".join(cells)
    if any(c in text for c in _CSV_SPECIAL):
        cells = [_csv_cell(c) if any(s in c for s in _CSV_SPECIAL) else c for c in cells]
    return cells


def _csv_lines(chunk: list[Entry]) -> str:
    """:func:`entry_record`'s values in :data:`FIELDS` order, as CSV lines, built column by
    column (the same text as ``csv.writer(lineterminator="\\n").writerows``)."""
    columns = (
        _csv_cells([e.id for e in chunk]),
        _csv_cells([e.state for e in chunk]),  # StrEnums: written as their values
        _csv_cells([e.size for e in chunk]),
        _csv_cells([e.hits for e in chunk]),
        _iso_column([e.accessed_ts for e in chunk]),
        _iso_column([e.modified_ts for e in chunk]),
        _csv_cells([e.checksum for e in chunk]),
        _csv_cells([e.error for e in chunk]),
        _csv_cells([e.position for e in chunk]),
        _csv_cells([None if e.note is None else note_text(e) for e in chunk]),
        _csv_cells([e.version for e in chunk]),
        _csv_cells([e.locked for e in chunk]),
        _csv_cells([e.links for e in chunk]),
        _csv_cells([e.name for e in chunk]),
        _csv_cells([e.image_status for e in chunk]),
    )
    return "\n".join(map(",".join, zip(*columns, strict=True))) + "\n"


def write_csv(entries: Iterable[Entry], out: TextIO) -> None:
    """``list --csv``: a header row, then one row per entry (``None`` as empty).

    A chunk's rows go out in one write; cells are made a column at a time
    (:func:`_csv_cells`), the same text ``csv.writer`` makes of the records.
    """
    out.write(",".join(FIELDS) + "\n")
    for chunk in batched(entries, _CHUNK):
        out.write(_csv_lines(chunk))


def entries_document(
    path: str | None,
    driver: str,
    entries: Iterable[Entry],
    api: str | None = None,
    node: str | None = None,
) -> dict[str, Any]:
    """``list --json``: ``path`` is the cache directory (``None`` for a node read
    through its cache API), ``api`` that node's URL (``None`` for a directory);
    ``node`` a centralized_db node's URL (the key is there only then)."""
    doc: dict[str, Any] = _head(path, driver, api, node)
    doc["entries"] = [entry_record(e) for e in entries]
    return doc


def _head(path: str | None, driver: str, api: str | None, node: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"path": path, "api": api, "driver": driver}
    if node is not None:
        doc["node"] = node
    return doc


def source_fields(reading: Reading) -> dict[str, str | None]:
    """Where a reading came from, as the documents name it: ``path`` and ``api``."""
    path = reading.snapshot.path
    return {"path": None if path is None else str(path), "api": reading.source.api}


def write_json(
    path: str | None,
    driver: str,
    entries: Iterable[Entry],
    out: TextIO,
    api: str | None = None,
    node: str | None = None,
) -> None:
    """:func:`entries_document` as one line of JSON, written piece by piece.

    A million entries never become one string in memory: they are dumped
    (by orjson, in C) twenty thousand at a time.
    """
    head = orjson.dumps(_head(path, driver, api, node))[:-1].decode()
    out.write(head + ',"entries":[')
    chunk: list[dict[str, Any]] = []
    first = True
    for e in entries:
        chunk.append(_timed_record(e))
        if len(chunk) == _CHUNK:
            out.write(("" if first else ",") + _inner(chunk))
            first, chunk = False, []
    if chunk:
        out.write(("" if first else ",") + _inner(chunk))
    out.write("]}\n")


def _inner(records: list[dict[str, Any]]) -> str:
    """The records as JSON without the brackets of their list."""
    return orjson.dumps(records, option=orjson.OPT_UTC_Z)[1:-1].decode()


def _bins(bins: Sequence[Bin]) -> list[dict[str, Any]]:
    return [{"label": b.label, "count": b.count, "bytes": b.bytes} for b in bins]


def stats_document(
    snap: Snapshot,
    st: Statistics,
    states: Sequence[State],
    max_size: int,
    api: str | None = None,
) -> dict[str, Any]:
    """``stats --json``: the totals and every figure of the Statistics view."""
    s = st.summary
    return {
        "path": None if snap.path is None else str(snap.path),
        "api": api,
        "driver": snap.driver,
        "total_size": s.total_size,
        "max_size": max_size,
        "count": s.count,
        "hits": s.hits,
        "unknown_hits": s.unknown_hits,
        "inconsistent": s.inconsistent,
        "states": {
            str(state): {"count": s.totals(state).count, "bytes": s.totals(state).bytes}
            for state in states
        },
        "largest": [{"id": e.id, "size": e.size} for e in st.largest],
        "hottest": [{"id": e.id, "hits": e.hits, "size": e.size} for e in st.hottest],
        "hits_distribution": _bins(st.hits),
        "age_distribution": _bins(st.ages),
        "never_accessed": st.never_accessed,
        "top_decile_hit_share": st.top_decile_hit_share,
        "prune_to_max": {"count": len(st.lru.evicted_ids), "bytes": st.lru.evicted_bytes},
        "deleted_images": _deleted(snap),
        "warnings": list(snap.warnings),
    }


def _deleted(snap: Snapshot) -> dict[str, int] | None:
    """Cached images deleted in Glance (``None``: Glance's records were not read)."""
    if not snap.image_records:
        return None
    gone = [e for e in snap.entries if e.state is State.CACHED and e.image_status == "deleted"]
    return {"count": len(gone), "bytes": sum(e.size for e in gone)}


def folder_record(f: Folder) -> dict[str, Any]:
    """A folder of a store's tree: its files below, their bytes, what deleting them frees."""
    return {
        "path": f.path,
        "own_count": f.own_count,
        "own_bytes": f.own_bytes,
        "count": f.count,
        "bytes": f.bytes,
        "freeable": f.freeable,
        "locked": f.locked,
        "newest": formatting.iso(utc_from_timestamp(f.newest) if f.newest is not None else None),
    }


def plan_document(plan: Plan, stores: Sequence[str] | None = None) -> dict[str, Any]:
    """``--dry-run --json``: what a prune or clean would remove.

    ``bytes_removed`` is what leaves the cache's size as its service counts
    it, ``bytes_freed`` what the disk gets back (hard links counted once);
    ``keep_below`` the size Filetracker's cleaner keeps the newest files
    below; ``locked`` the ids a client held at the scan.  With ``stores``
    (one per entry: a prune over several stores) each entry names its store.
    """
    records = [entry_record(e) for e in plan.entries]
    if stores is not None:
        for record, store in zip(records, stores, strict=True):
            record["store"] = store
    return {
        "dry_run": True,
        "entries": records,
        "bytes_freed": plan.bytes_freed,
        "bytes_removed": plan.bytes_removed,
        "total_before": plan.total_before,
        "total_after": plan.total_after,
        "target": plan.target,
        "keep_below": plan.keep_below,
        "locked": [e.id for e in plan.locked],
        "estimate": plan.estimate,
        "remark": plan.remark,
    }


def job_document(result: JobResult) -> dict[str, Any]:
    """``--json`` of every change: what was done, what failed, and why it stopped."""
    return {
        "action": result.action,
        "done": result.done,
        "gone": result.gone,
        "bytes_freed": result.bytes_freed,
        "queued": list(result.queued),
        "failures": [
            {"id": f.id, "state": str(f.state), "reason": f.reason, "store": f.source}
            for f in result.failures
        ],
        "cancelled": result.cancelled,
        "error": result.error,
        "not_found": list(result.not_found),
        "remark": result.remark,
        "by_service": result.by_service,
    }


def dumps(doc: dict[str, Any]) -> str:
    """One JSON document on one line (times as ISO 8601 UTC with a ``Z``)."""
    return orjson.dumps(doc, option=orjson.OPT_UTC_Z).decode() + "\n"
