"""Every record the program writes for scripts: one place, shared by the CLI and the window.

Entries (``list --json/--csv``, File ▸ Export), statistics (``stats --json``),
plans (``--dry-run --json``) and job results (``--json`` of every change) are
built here as plain JSON-able dicts, so the CLI and the window cannot write
the same thing two ways.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from inspector.core import Entry, Snapshot, State
from inspector.core.actions import JobResult, Plan
from inspector.core.stats import Bin, Statistics
from inspector.report import formatting

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
    "name",
    "image_status",
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
        "note": _note(e),
        "name": e.name,
        "image_status": e.image_status,
    }


def _note(e: Entry) -> str | None:
    if e.note is None:
        return None
    if e.bad_fields:
        return f"{e.note}: {', '.join(e.bad_fields)}"
    return str(e.note)


def write_csv(entries: Iterable[Entry], out: TextIO) -> None:
    w = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    w.writeheader()
    w.writerows(entry_record(e) for e in entries)


def entries_document(
    path: str, driver: str, entries: Iterable[Entry], node: str | None = None
) -> dict[str, Any]:
    """``list --json``; ``node`` is a centralized_db node's URL (the key is there only then)."""
    doc: dict[str, Any] = {"path": path, "driver": driver}
    if node is not None:
        doc["node"] = node
    doc["entries"] = [entry_record(e) for e in entries]
    return doc


def write_json(path: str, driver: str, entries: Iterable[Entry], out: TextIO) -> None:
    out.write(json.dumps(entries_document(path, driver, entries)) + "\n")


def _bins(bins: Sequence[Bin]) -> list[dict[str, Any]]:
    return [{"label": b.label, "count": b.count, "bytes": b.bytes} for b in bins]


def stats_document(
    snap: Snapshot, st: Statistics, states: Sequence[State], max_size: int
) -> dict[str, Any]:
    """``stats --json``: the totals and every figure of the Statistics view."""
    s = st.summary
    return {
        "path": str(snap.path),
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


def plan_document(plan: Plan) -> dict[str, Any]:
    """``--dry-run --json``: what a prune or clean would remove."""
    return {
        "dry_run": True,
        "entries": [entry_record(e) for e in plan.entries],
        "bytes_freed": plan.bytes_freed,
        "total_before": plan.total_before,
        "total_after": plan.total_after,
        "target": plan.target,
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
            {"id": f.id, "state": str(f.state), "reason": f.reason} for f in result.failures
        ],
        "cancelled": result.cancelled,
        "error": result.error,
        "not_found": list(result.not_found),
    }


def dumps(doc: dict[str, Any]) -> str:
    """One JSON document on one line."""
    return json.dumps(doc) + "\n"
