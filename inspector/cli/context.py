"""What every command shares: the source it reads, warnings, and where output goes."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from inspector.cli.output import Output
from inspector.cli.prompt import Interrupt, Progress, UsageError
from inspector.core import CacheOptions, CacheSource, Reading, State, read
from inspector.core.errors import ScanCancelled

PROG = "cache-inspector-cli"


class Context:
    """One run of one command."""

    def __init__(self, out: Output) -> None:
        self.out = out
        #: What a change did, said again on stderr when printing its result fails.
        self.job_summary: str | None = None

    def warn(self, text: str) -> None:
        print(f"{PROG}: warning: {text}", file=sys.stderr)

    def error(self, text: str) -> None:
        print(f"{PROG}: error: {text}", file=sys.stderr)

    def emit(self, text: str) -> None:
        self.out.write(text)


def ids_after_config(args: argparse.Namespace) -> None:
    """With --glance-config the cache is the file's: every positional of delete,
    queue and requeue is an id (argparse would take the first one for PATH)."""
    if getattr(args, "glance_config", None) and hasattr(args, "ids") and args.path is not None:
        args.ids = [args.path, *args.ids]
        args.path = None


def source_from(args: argparse.Namespace) -> CacheSource:
    """The cache named on the command line (a directory, or a node's glance-api.conf)."""
    if args.glance_config:
        from inspector.core.glance_config import source_from_config  # oslo.config: only then

        source = source_from_config(
            args.glance_config, cache_dir=args.path, db_url=args.db, node=args.node
        )
        if args.driver and args.driver != source.kind:
            raise UsageError(
                f"--driver {args.driver} does not match image_cache_driver = {source.kind} "
                f"in {source.config}."
            )
        if args.sqlite_db:
            source = replace(source, options=replace(source.options, sqlite_db=args.sqlite_db))
        return source
    if args.path is None:
        raise UsageError("name the cache directory (PATH) or the node's --glance-config FILE.")
    if args.node and not args.db:
        raise UsageError("--node needs Glance's database: --db URL (or --glance-config FILE).")
    return CacheSource(
        Path(args.path).expanduser(),
        args.driver,
        db_url=args.db,
        node=args.node,
        options=CacheOptions(sqlite_db=args.sqlite_db or "cache.db"),
    )


def read_cache(args: argparse.Namespace, ctx: Context) -> Reading:
    """Read the source, with progress on a terminal; print the scan's warnings."""
    with Interrupt() as stop:
        progress = Progress(stop)
        try:
            reading = read(source_from(args), progress.scanning if progress.enabled else None)
        except ScanCancelled:
            raise UsageError("interrupted while reading the cache: nothing was changed.") from None
        finally:
            progress.clear()
    for w in reading.snapshot.warnings:
        ctx.warn(w)
    return reading


def check_state(reading: Reading, name: str | None) -> State | None:
    """The state named by ``--state``, refused when this kind has no such state."""
    if name is None:
        return None
    state = State(name)
    if state not in reading.driver.states:
        have = ", ".join(str(s) for s in reading.driver.states)
        raise UsageError(f"a {reading.driver.title} cache has no {name} state (it has: {have}).")
    return state
