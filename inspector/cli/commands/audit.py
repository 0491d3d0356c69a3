"""``audit``: every disagreement between metadata and disk; ``--repair`` mends them."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from inspector.cli.commands.change import carry_out, require
from inspector.cli.context import Context, read_cache, source_from
from inspector.cli.parser import add_change_args
from inspector.cli.prompt import UsageError
from inspector.core import Action, read

if TYPE_CHECKING:
    from inspector.core.actions import JobResult
    from inspector.core.audit import AuditReport


def register(sub: Any) -> None:
    au = sub.add_parser(
        "audit",
        help="find where metadata and files disagree (exit 1 when anything is found)",
    )
    add_change_args(au)
    au.add_argument(
        "--repair",
        action="store_true",
        help="repair what can be: drop rows without files, correct sizes, remove empty files",
    )
    untracked = au.add_mutually_exclusive_group()
    untracked.add_argument(
        "--adopt",
        action="store_true",
        help="with --repair: record files without rows, as the service does on commit",
    )
    untracked.add_argument(
        "--delete-untracked",
        action="store_true",
        help="with --repair: delete files without rows",
    )
    au.set_defaults(func=cmd_audit)


def cmd_audit(args: argparse.Namespace, ctx: Context) -> int:
    from inspector.cli import render_trust
    from inspector.core.audit import audit
    from inspector.core.repair import Untracked, plan_repair, repair
    from inspector.report import checks, records

    if (args.adopt or args.delete_untracked) and not args.repair:
        raise UsageError("--adopt and --delete-untracked go with --repair.")
    reading = read_cache(args, ctx)
    report = audit(reading)
    scan_warnings = reading.snapshot.warnings
    if not args.repair:
        if args.json:
            ctx.emit(records.dumps(checks.audit_document(report)))
        else:
            ctx.emit(render_trust.audit_text(report, scan_warnings))
        return 1 if report.problems else 0
    require(reading, Action.REPAIR)
    untracked = (
        Untracked.ADOPT
        if args.adopt
        else Untracked.DELETE
        if args.delete_untracked
        else Untracked.LEAVE
    )
    plan = plan_repair(report, untracked)
    if not args.json:
        ctx.emit(render_trust.audit_text(report, scan_warnings))
        ctx.emit(render_trust.repair_plan_text(plan))
    after: list[AuditReport] = []

    def again() -> AuditReport:
        if not after:
            after.append(audit(read(source_from(args))))
        return after[0]

    def document(result: JobResult) -> dict[str, Any]:
        doc = checks.audit_document(report)
        doc["repair"] = records.job_document(result)
        doc["left_alone"] = checks.repair_plan_document(plan)["left_alone"]
        doc["remaining"] = checks.audit_document(again())["problems"]
        return doc

    fixes = dict.fromkeys(s.fix for s in plan.steps)
    counts = ", ".join(f"{len(plan.of_fix(f)):,} {f}" for f in fixes)
    driver = reading.driver
    code = carry_out(
        args,
        ctx,
        "repair",
        plan.entries,
        f"Repair {len(plan.steps):,} entries in {reading.source.display_name()} ({counts})?",
        lambda p: repair(driver, plan, p),
        nothing="Nothing to repair.",
        document=document,
    )
    remaining = again()
    if not args.json:
        if remaining.problems:
            ctx.emit(
                f"\nStill there ({len(remaining.problems):,}):\n"
                + render_trust.problems_table(remaining.problems)
            )
        else:
            ctx.emit("The cache audits clean now.\n")
    return 1 if code or remaining.problems else 0
