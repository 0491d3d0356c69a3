"""``verify``: hash cached files and compare them with their expected digests."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from inspector.cli.commands.change import find
from inspector.cli.context import Context, read_cache
from inspector.cli.parser import add_source_args
from inspector.cli.prompt import Interrupt, Progress
from inspector.core import State

if TYPE_CHECKING:
    from inspector.core.verify import HashProgress


def register(sub: Any) -> None:
    ve = sub.add_parser(
        "verify",
        help="hash cached images and compare with their checksums (exit 1 on a mismatch)",
    )
    add_source_args(ve)
    ve.add_argument("ids", nargs="*", metavar="ID", help="only these images (default: all)")
    ve.add_argument(
        "--checksums",
        metavar="FILE",
        help="expected digests in md5sum/sha256sum/sha512sum format (algorithm by length)",
    )
    ve.add_argument("--json", action="store_true", help="print the results as one JSON object")
    ve.set_defaults(func=cmd_verify)


def _progress_text(p: HashProgress) -> str:
    from inspector.report import formatting

    left = p.time_left
    eta = f", {formatting.duration(left)} left" if left is not None else ""
    return (
        f"Verifying… {formatting.size(p.bytes_done)} of {formatting.size(p.bytes_total)}"
        f" ({p.files_done:,}/{p.files_total:,} files), {formatting.size(int(p.rate))}/s{eta}"
    )


def cmd_verify(args: argparse.Namespace, ctx: Context) -> int:
    from inspector.cli import render_trust
    from inspector.core.verify import Status, sources_for, verify
    from inspector.report import checks, records

    reading = read_cache(args, ctx)
    entries = list(reading.snapshot.of_state(State.CACHED))
    if args.ids:
        entries, _ = find(ctx, reading, args.ids, str(State.CACHED))
    entries.sort(key=lambda e: e.id)
    origins = sources_for(reading.driver, reading.snapshot.entries, args.checksums)
    with Interrupt() as stop:
        bar = Progress(stop)

        def progress(p: HashProgress) -> bool:
            bar.show(_progress_text(p))
            return not stop.hit

        try:
            report = verify(reading.driver, entries, origins, progress)
        finally:
            bar.clear()
    for w in report.warnings:
        ctx.warn(w)
    for r in report.of_status(Status.MISMATCH):
        ctx.error(f"{r.id}: {r.algorithm} is {r.actual}, expected {r.expected} ({r.detail})")
    if args.json:
        ctx.emit(records.dumps(checks.verify_document(report)))
    else:
        ctx.emit(render_trust.verify_text(report))
    return 0 if report.ok else 1
