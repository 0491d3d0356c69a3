"""``history``: the journal of every change the inspector made."""

from __future__ import annotations

import argparse
from typing import Any

from inspector.cli.context import Context
from inspector.cli.parser import positive_int


def register(sub: Any) -> None:
    hi = sub.add_parser("history", help="the changes made to caches, oldest first")
    hi.add_argument("--json", action="store_true", help="one JSON object")
    hi.add_argument("--limit", type=positive_int, metavar="N", help="only the last N changes")
    hi.set_defaults(func=cmd_history)


def cmd_history(args: argparse.Namespace, ctx: Context) -> int:
    from inspector.cli import render_trust
    from inspector.core.journal import read_journal
    from inspector.report import checks, records

    reading = read_journal()
    for n in reading.damaged_lines:
        ctx.warn(f"{reading.path}, line {n}: damaged (an interrupted write?), skipped")
    if args.json:
        ctx.emit(records.dumps(checks.history_document(reading, args.limit)))
    else:
        ctx.emit(render_trust.history_text(reading, args.limit))
    return 0
