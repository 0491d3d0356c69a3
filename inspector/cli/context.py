"""What every command shares: the source it reads, warnings, and where output goes."""

from __future__ import annotations

import argparse
import glob
import os
import sys

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


def source_from(args: argparse.Namespace, path: str | None = None) -> CacheSource:
    """The cache named on the command line (``path``: one of several named)."""
    return CacheSource.at(
        args.path if path is None else path,
        args.driver,
        CacheOptions(sqlite_db=args.sqlite_db),
    )


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
    """Read every cache named by ``args.paths`` (patterns expanded), in order."""
    return [read_cache(args, ctx, path) for path in expand_paths(args.paths)]


def read_cache(args: argparse.Namespace, ctx: Context, path: str | None = None) -> Reading:
    """Read the source, with progress on a terminal; print the scan's warnings."""
    with Interrupt() as stop:
        progress = Progress(stop)
        try:
            reading = read(
                source_from(args, path), progress.scanning if progress.enabled else None
            )
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
