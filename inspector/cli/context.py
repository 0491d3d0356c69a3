"""What every command shares: the source it reads, warnings, and where output goes."""

from __future__ import annotations

import argparse
import glob
import os
import sys
from dataclasses import replace
from pathlib import Path

from inspector.cli.output import Output
from inspector.cli.prompt import Interrupt, Progress, UsageError
from inspector.core import CacheDriver, CacheOptions, CacheSource, Reading, State, read
from inspector.core.errors import ScanCancelled

PROG = "cache-inspector-cli"


class Context:
    """One run of one command."""

    def __init__(self, out: Output) -> None:
        self.out = out
        #: What a change did, said again on stderr when printing its result fails.
        self.job_summary: str | None = None
        #: Drivers opened by the command, closed when it ends (a node's connection).
        self.drivers: list[CacheDriver] = []

    def close(self) -> None:
        for driver in self.drivers:
            driver.close()
        self.drivers.clear()

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


def source_from(args: argparse.Namespace, path: str | None = None) -> CacheSource:
    """The cache named on the command line: PATH (``path``: one of several named), a
    node's glance-api.conf with --glance-config, or a node's URL with --api."""
    given = path if path is not None else getattr(args, "path", None)
    if args.api is not None:
        if given is not None or getattr(args, "paths", None):
            raise UsageError("give either PATH or --api URL, not both.")
        if args.glance_config or args.db or args.node:
            raise UsageError(
                "--api reads a node through its cache API; --glance-config, --db and --node "
                "name a cache directory's settings: give one or the other."
            )
        if args.driver not in (None, "api"):
            raise UsageError(
                f"--driver {args.driver} is a kind of cache directory; --api reads a node "
                "through its cache API."
            )
        return CacheSource.node_api(args.api, args.os_cloud, CacheOptions(timeout=args.timeout))
    for option, value in (("--os-cloud", args.os_cloud), ("--timeout", args.timeout)):
        if value is not None:
            raise UsageError(f"{option} goes with --api URL (a node's cache API).")
    if args.driver == "api":
        raise UsageError("--driver api reads a node through its cache API: give --api URL.")
    if args.glance_config:
        from inspector.core.glance_config import source_from_config  # oslo.config: only then

        source = source_from_config(
            args.glance_config, cache_dir=given, db_url=args.db, node=args.node
        )
        if args.driver and args.driver != source.kind:
            raise UsageError(
                f"--driver {args.driver} does not match image_cache_driver = {source.kind} "
                f"in {source.config}."
            )
        if args.sqlite_db:
            source = replace(source, options=replace(source.options, sqlite_db=args.sqlite_db))
        return source
    if given is None:
        raise UsageError(
            "name the cache: its directory (PATH), the node's --glance-config FILE, or a "
            "node's URL with --api URL."
        )
    if args.node and not args.db:
        raise UsageError("--node needs Glance's database: --db URL (or --glance-config FILE).")
    return CacheSource(
        Path(given).expanduser(),
        args.driver,
        db_url=args.db,
        node=args.node,
        options=CacheOptions(sqlite_db=args.sqlite_db or "cache.db"),
    )


def settle_positionals(args: argparse.Namespace) -> None:
    """With --api there is no PATH: the first ID that argparse put in its place goes back."""
    if getattr(args, "api", None) is not None and getattr(args, "path", None) is not None:
        ids = getattr(args, "ids", None)
        if isinstance(ids, list):
            args.ids, args.path = [args.path, *ids], None


def expand_paths(patterns: list[str]) -> list[str]:
    """The directories named: each path as given, each glob pattern expanded.

    Patterns (``*``, ``?``, ``[``) expand with :func:`glob.glob`, unsorted, as
    Filetracker's cache cleaner expands its ``-c`` arguments, so that stores
    come in the cleaner's order (it decides ties between stores).  A pattern
    matching nothing, or one directory named twice, is refused.
    """
    found: list[str] = []
    seen: dict[str, str] = {}
    for pattern in patterns:
        if any(c in pattern for c in "*?["):
            matches = glob.glob(pattern)
            if not matches:
                raise UsageError(f"{pattern} matches no directory.")
        else:
            matches = [pattern]
        for path in matches:
            key = os.path.realpath(path)
            if key in seen:
                raise UsageError(f"{path} is named twice (as {seen[key]}): name each cache once.")
            seen[key] = path
            found.append(path)
    return found


def read_many(args: argparse.Namespace, ctx: Context) -> list[Reading]:
    """Read every cache named by ``args.paths`` (patterns expanded), in order; or the
    node named by --api or --glance-config."""
    if args.api is not None or (args.glance_config and not args.paths):
        return [read_cache(args, ctx)]
    if not args.paths:
        raise UsageError(
            "name the cache: its directory (PATH), the node's --glance-config FILE, or a "
            "node's URL with --api URL."
        )
    return [read_cache(args, ctx, path) for path in expand_paths(args.paths)]


def read_cache(args: argparse.Namespace, ctx: Context, path: str | None = None) -> Reading:
    """Read the source, with progress on a terminal; print the scan's warnings."""
    with Interrupt() as stop:
        progress = Progress(stop)
        try:
            reading = read(
                source_from(args, path), progress.scanning if progress.enabled else None
            )
            ctx.drivers.append(reading.driver)
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
