"""Text for people from the trust commands: audit, repair plans, verify, import, diff, history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from inspector.cli.render import table
from inspector.core.audit import AuditReport
from inspector.core.journal import JournalReading
from inspector.core.metadata_diff import RecordDiff
from inspector.core.metadata_format import RecordEntry
from inspector.core.metadata_records import RestorePlan
from inspector.core.problems import Problem
from inspector.core.repair import RepairPlan
from inspector.core.verify import Status, VerifyReport
from inspector.report import formatting

SHOWN = 20


def _more(total: int, shown: int) -> str:
    return f"… and {total - shown:,} more\n" if total > shown else ""


def problems_table(problems: Sequence[Problem]) -> str:
    rows = [["KIND", "ID", "DETAIL"]]
    rows.extend([str(p.kind), p.id, p.detail] for p in problems)
    return table(rows)


def audit_text(report: AuditReport, skip_warnings: Sequence[str] = ()) -> str:
    out = []
    if report.problems:
        counts = ", ".join(f"{n:,} {k}" for k, n in report.counts().items())
        out.append(f"{len(report.problems):,} problem(s) in {report.source}: {counts}.\n")
        out.append(problems_table(report.problems))
    else:
        out.append(f"No problems in {report.source}: metadata and files agree.\n")
    shown = [w for w in report.warnings if w not in skip_warnings]
    if shown:
        out.append("\nWarnings:\n")
        out.extend(f"  - {w}\n" for w in shown)
    return "".join(out)


def repair_plan_text(plan: RepairPlan) -> str:
    out = []
    if plan.steps:
        rows = [["REPAIR", "ID", "WHAT"]]
        rows.extend([str(s.fix), s.problem.id, s.describe()] for s in plan.steps)
        out.append("\nRepair plan:\n" + table(rows))
    if plan.left_alone:
        rows = [["KIND", "ID", "LEFT ALONE BECAUSE"]]
        rows.extend([str(p.kind), p.id, why] for p, why in plan.left_alone)
        out.append("\nNot repaired:\n" + table(rows))
    return "".join(out)


def _hex(digest: str | None) -> str:
    return "" if digest is None else (digest if len(digest) <= 16 else digest[:16] + "…")


def verify_text(report: VerifyReport) -> str:
    rows = [["STATUS", "ID", "ALGORITHM", "EXPECTED", "ACTUAL", "DETAIL"]]
    for r in report.results:
        rows.append(
            [
                str(r.status),
                r.id,
                r.algorithm or "",
                _hex(r.expected),
                _hex(r.actual),
                r.detail or "",
            ]
        )
    counts = {s: len(report.of_status(s)) for s in Status}
    line = (
        f"{counts[Status.OK]:,} ok, {counts[Status.MISMATCH]:,} mismatch, "
        f"{counts[Status.UNKNOWN]:,} unknown; read {formatting.size(report.bytes_read)} "
        f"in {report.seconds:.1f} s"
    )
    if report.cancelled:
        line += "; interrupted, the rest was not verified"
    return (table(rows) if report.results else "(no cached entries)\n") + line + ".\n"


def _when(ns: int | None) -> str:
    if ns is None:
        return "-"
    return formatting.exact_time(datetime.fromtimestamp(ns / 1e9, UTC))


def restore_plan_text(plan: RestorePlan) -> str:
    out = [f"{n}\n" for n in plan.notes]
    if plan.updates:
        rows = [["ID", "HITS", "LAST ACCESSED", "LAST MODIFIED"]]
        for u in plan.updates[:SHOWN]:
            e = u.entry
            hits = "-" if u.hits is None else f"{'?' if e.hits is None else e.hits} → {u.hits}"
            rows.append([e.id, hits, _when(u.accessed_ns), _when(u.modified_ns)])
        out.append(table(rows))
        out.append(_more(len(plan.updates), SHOWN))
    out.append(
        f"Would restore hits and times of {len(plan.updates):,} entries"
        f" ({plan.unchanged:,} already as recorded; {len(plan.missing):,} in the record have "
        "no file here and are left alone).\n"
    )
    return "".join(out)


def _entries(title: str, entries: Sequence[RecordEntry]) -> str:
    if not entries:
        return f"{title}: none\n"
    rows = [["STATE", "ID", "SIZE", "HITS"]]
    for e in entries[:SHOWN]:
        rows.append(
            [str(e.state), e.id, formatting.size(e.size), "" if e.hits is None else str(e.hits)]
        )
    return f"{title} ({len(entries):,}):\n" + table(rows) + _more(len(entries), SHOWN)


def diff_text(d: RecordDiff) -> str:
    out = [_entries("Appeared", d.appeared), _entries("Vanished", d.vanished)]
    if d.hits_grew:
        rows = [["ID", "HITS BEFORE", "AFTER", "GREW"]]
        for c in d.hits_grew[:SHOWN]:
            rows.append([c.id, str(c.before), str(c.after), f"+{c.after - c.before}"])
        out.append(f"Grew in hits ({len(d.hits_grew):,}):\n" + table(rows))
        out.append(_more(len(d.hits_grew), SHOWN))
    else:
        out.append("Grew in hits: none\n")
    return "".join(out)


def history_text(reading: JournalReading, limit: int | None = None) -> str:
    records = reading.records[-limit:] if limit else reading.records
    if not records:
        return f"No changes recorded in {reading.path}.\n"
    rows = [["TIME", "WHO", "ACTION", "DONE", "FAILED", "BYTES", "CACHE", "NOTE"]]
    for r in records:
        note = r.error or ("cancelled" if r.cancelled else "")
        rows.append(
            [
                r.time,
                f"{r.user}@{r.host}",
                r.action,
                f"{r.done:,}",
                f"{r.failed:,}",
                formatting.size(r.bytes),
                r.source,
                note,
            ]
        )
    return table(rows, right=frozenset({3, 4, 5}))
