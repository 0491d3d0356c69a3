"""``export``, ``import`` and ``diff``: versioned records of a cache's metadata."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from inspector.cli.commands.change import carry_out, require
from inspector.cli.context import Context, read_cache
from inspector.cli.parser import add_change_args, add_source_args
from inspector.core import Action


def register(sub: Any) -> None:
    ex = sub.add_parser("export", help="write every entry's metadata to a versioned record")
    add_source_args(ex)
    ex.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="the record to write (- : stdout)"
    )
    ex.set_defaults(func=cmd_export)

    im = sub.add_parser(
        "import", help="restore hits and access/modify times from a record, previewed first"
    )
    add_change_args(im)
    im.add_argument("record", metavar="FILE", help="a record written by export")
    im.add_argument("--dry-run", action="store_true", help="only show what would be restored")
    im.set_defaults(func=cmd_import)

    di = sub.add_parser("diff", help="what appeared, vanished and grew in hits between records")
    di.add_argument("before", metavar="A.json")
    di.add_argument("after", metavar="B.json")
    di.add_argument("--json", action="store_true", help="one JSON object")
    di.set_defaults(func=cmd_diff)


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    from inspector.core.metadata_records import dumps, save, write_record

    reading = read_cache(args, ctx)
    if args.output == "-":
        ctx.emit(dumps(save(reading)).decode("utf-8"))
        return 0
    count = write_record(reading, Path(args.output))
    print(f"Wrote the metadata of {count:,} entries to {args.output}.", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    from inspector.cli import render_trust
    from inspector.core.metadata_records import load_record, plan_restore, restore
    from inspector.report import checks, records

    record = load_record(Path(args.record))  # refused before the cache is even read
    reading = read_cache(args, ctx)
    require(reading, Action.IMPORT)
    plan = plan_restore(record, reading)
    if args.dry_run:
        if args.json:
            ctx.emit(records.dumps(checks.restore_plan_document(plan)))
        else:
            ctx.emit(render_trust.restore_plan_text(plan))
        return 0
    if not args.json:
        ctx.emit(render_trust.restore_plan_text(plan))
    driver = reading.driver
    return carry_out(
        args,
        ctx,
        "import",
        plan.entries,
        f"Restore hits and times of {len(plan.updates):,} entries in "
        f"{reading.source.display_name()}?",
        lambda p: restore(driver, plan, p),
        nothing="Nothing to restore: every entry with its file here is as recorded.",
    )


def cmd_diff(args: argparse.Namespace, ctx: Context) -> int:
    from inspector.cli import render_trust
    from inspector.core.metadata_diff import diff
    from inspector.core.metadata_records import load_record
    from inspector.report import checks, records

    d = diff(load_record(Path(args.before)), load_record(Path(args.after)))
    if args.json:
        ctx.emit(records.dumps(checks.diff_document(d)))
    else:
        ctx.emit(render_trust.diff_text(d))
    return 0
