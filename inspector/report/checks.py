"""Records for scripts of the trust commands: audit, repair plans, verify, import, diff, history.

Plain JSON-able dicts, shared by the CLI and (later) the window's exports,
beside :mod:`inspector.report.records` for entries, statistics and jobs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inspector.core.audit import AuditReport
from inspector.core.journal import JournalReading, record_document
from inspector.core.metadata_diff import RecordDiff
from inspector.core.metadata_format import RecordEntry
from inspector.core.metadata_records import RestorePlan
from inspector.core.problems import Problem
from inspector.core.repair import RepairPlan
from inspector.core.verify import VerifyReport


def problem_record(p: Problem) -> dict[str, Any]:
    return {"kind": str(p.kind), "id": p.id, "detail": p.detail}


def audit_document(report: AuditReport) -> dict[str, Any]:
    """``audit --json``: ``{"problems": [{"kind", "id", "detail"}], "warnings": [...]}``."""
    return {
        "problems": [problem_record(p) for p in report.problems],
        "warnings": list(report.warnings),
    }


def repair_plan_document(plan: RepairPlan) -> dict[str, Any]:
    return {
        "steps": [
            {"fix": str(s.fix), "kind": str(s.problem.kind), "id": s.problem.id}
            for s in plan.steps
        ],
        "left_alone": [problem_record(p) | {"why": why} for p, why in plan.left_alone],
    }


def verify_document(report: VerifyReport) -> dict[str, Any]:
    """``verify --json``: ``{"results": [{"id", "status", "algorithm", "expected", ...}]}``."""
    return {
        "results": [
            {
                "id": r.id,
                "status": str(r.status),
                "algorithm": r.algorithm,
                "expected": r.expected,
                "actual": r.actual,
                "detail": r.detail,
            }
            for r in report.results
        ],
        "cancelled": report.cancelled,
        "bytes_read": report.bytes_read,
        "warnings": list(report.warnings),
    }


def restore_plan_document(plan: RestorePlan) -> dict[str, Any]:
    """``import --dry-run --json``: what an import would write."""
    return {
        "dry_run": True,
        "updates": [
            {
                "id": u.entry.id,
                "hits": u.hits,
                "last_accessed_ns": u.accessed_ns,
                "last_modified_ns": u.modified_ns,
            }
            for u in plan.updates
        ],
        "unchanged": plan.unchanged,
        "missing": list(plan.missing),
        "notes": list(plan.notes),
    }


def _brief(entries: Sequence[RecordEntry]) -> list[dict[str, Any]]:
    return [{"id": e.id, "state": str(e.state), "size": e.size, "hits": e.hits} for e in entries]


def diff_document(d: RecordDiff) -> dict[str, Any]:
    return {
        "appeared": _brief(d.appeared),
        "vanished": _brief(d.vanished),
        "hits_grew": [
            {"id": c.id, "before": c.before, "after": c.after, "grew": c.after - c.before}
            for c in d.hits_grew
        ],
    }


def history_document(reading: JournalReading, limit: int | None = None) -> dict[str, Any]:
    records = reading.records[-limit:] if limit else reading.records
    return {
        "journal": str(reading.path),
        "changes": [record_document(r) for r in records],
        "damaged_lines": list(reading.damaged_lines),
    }
