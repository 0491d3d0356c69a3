"""The command line: one parser, the arguments every command shares, typed values."""

from __future__ import annotations

import argparse

from inspector import version
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


def timeout_arg(text: str) -> float:
    seconds = duration_arg(text)
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a time longer than zero.")
    return seconds


def percent_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number.") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r}: give a percentage from 0 to 100.")
    return value


def add_source_args(sp: argparse.ArgumentParser, many: bool = False) -> None:
    """What names the cache: its directory (or a node's URL), and the service's settings.

    With ``many`` several directories (or glob patterns) may be named: a
    prune over several Filetracker stores at once.
    """
    if many:
        sp.add_argument(
            "paths",
            nargs="*",
            metavar="PATH",
            help="the cache directory (omitted with --api); several Filetracker stores, or "
            "glob patterns expanded as the cache cleaner's -c expands them",
        )
    else:
        sp.add_argument(
            "path",
            metavar="PATH",
            nargs="?",
            help="the cache directory (omitted with --api; optional with --glance-config: its "
            "image_cache_dir)",
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
    node = sp.add_argument_group("a glance-api node through its cache API")
    node.add_argument(
        "--api",
        metavar="URL",
        help="the node's own URL (its worker_self_reference_url, not a load balancer's): "
        "read and change its cache through Glance's cache API instead of PATH",
    )
    node.add_argument(
        "--os-cloud",
        metavar="NAME",
        help="the clouds.yaml entry whose credentials reach --api (default: OS_CLOUD or the "
        "OS_* variables; with none of them, requests carry no token)",
    )
    node.add_argument(
        "--timeout",
        type=timeout_arg,
        metavar="DURATION",
        help="how long to wait for the node's answers (default: 30s)",
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


def add_change_args(
    sp: argparse.ArgumentParser, destructive: bool = True, many: bool = False
) -> None:
    add_source_args(sp, many)
    if destructive:
        sp.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    sp.add_argument("--json", action="store_true", help="print the result as one JSON object")


class VersionAction(argparse.Action):
    """``--version``: the version is read from the package's metadata only when asked."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="print the version"
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(f"{parser.prog} {version()}")  # on stdout, as argparse's own version action
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    from inspector.cli.commands import COMMANDS

    p = argparse.ArgumentParser(
        prog=PROG,
        description="Inspect and manage OpenStack Glance image caches and Filetracker "
        "local stores from the shell.",
    )
    p.add_argument("--version", action=VersionAction)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return p
