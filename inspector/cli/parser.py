"""The command line: one parser, the arguments every command shares, typed values."""

from __future__ import annotations

import argparse

from inspector import __version__
from inspector.core import DRIVERS, STATES
from inspector.core.units import parse_duration, parse_size

PROG = "cache-inspector-cli"
STATE_NAMES = [str(s) for s in STATES]


def size_arg(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def duration_arg(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number.") from None
    if value < 1 or value > 1_000_000:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number from 1 to 1,000,000.")
    return value


def add_source_args(sp: argparse.ArgumentParser) -> None:
    """What names the cache: its directory, and the service's settings for it."""
    sp.add_argument(
        "path",
        metavar="PATH",
        nargs="?",
        help="the cache directory (optional with --glance-config: its image_cache_dir)",
    )
    sp.add_argument(
        "--driver",
        choices=sorted(DRIVERS),
        help="the kind you expect; checked against what is on disk (default: detect)",
    )
    sp.add_argument(
        "--sqlite-db",
        metavar="NAME",
        help="Glance's image_cache_sqlite_db, if not cache.db",
    )
    glance = sp.add_argument_group("Glance's configuration and database")
    glance.add_argument(
        "--glance-config",
        metavar="FILE",
        help="the node's glance-api.conf: its cache directory, kind, database, node, "
        "maximum size and stall time",
    )
    glance.add_argument(
        "--db",
        metavar="URL",
        help="Glance's database ([database] connection): a centralized_db node's metadata, "
        "and image names and statuses for any cache (the password is never shown)",
    )
    glance.add_argument(
        "--node",
        metavar="URL",
        help="the centralized_db node (its worker_self_reference_url); "
        "not needed when the database holds one node",
    )


def add_change_args(sp: argparse.ArgumentParser, destructive: bool = True) -> None:
    add_source_args(sp)
    if destructive:
        sp.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    sp.add_argument("--json", action="store_true", help="print the result as one JSON object")


def build_parser() -> argparse.ArgumentParser:
    from inspector.cli.commands import COMMANDS

    p = argparse.ArgumentParser(
        prog=PROG,
        description="Inspect and manage OpenStack Glance image caches from the shell.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return p
