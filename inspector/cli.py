"""``cache-inspector-cli``: the core, from the shell and from scripts.

Exit codes: 0 success, 2 usage error, 1 any other failure (one line on stderr).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from inspector import __version__, formatting
from inspector.core import (
    DRIVERS,
    STATES,
    CacheDriver,
    CacheError,
    Entry,
    State,
    open_cache,
    summarize,
)

PROG = "cache-inspector-cli"

#: Sort keys: name -> key function producing comparable values (unknowns last).
SORT_KEYS: dict[str, Callable[[Entry], Any]] = {
    "id": lambda e: e.id,
    "state": lambda e: (STATES.index(e.state), e.position if e.position is not None else 0, e.id),
    "size": lambda e: e.size,
    "hits": lambda e: (e.hits is None, e.hits or 0),
    "accessed": lambda e: (e.accessed_ts is None, e.accessed_ts or 0.0),
    "modified": lambda e: (e.modified_ts is None, e.modified_ts or 0.0),
    "position": lambda e: (e.position is None, e.position or 0, e.id),
}
SORT_ALIASES = {"last_accessed": "accessed", "last_modified": "modified"}

FIELDS = (
    "id",
    "state",
    "size",
    "hits",
    "last_accessed",
    "last_modified",
    "checksum",
    "error",
    "position",
    "note",
)


class UsageError(Exception):
    """Bad arguments found after parsing (exit code 2)."""


def entry_record(e: Entry) -> dict[str, Any]:
    """An entry as plain JSON-able values: bytes, ISO 8601 UTC strings."""
    return {
        "id": e.id,
        "state": str(e.state),
        "size": e.size,
        "hits": e.hits,
        "last_accessed": formatting.iso(e.last_accessed),
        "last_modified": formatting.iso(e.last_modified),
        "checksum": e.checksum,
        "error": e.error,
        "position": e.position,
        "note": None if e.note is None else str(e.note),
    }


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG, description="Inspect OpenStack Glance image caches from the shell."
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def cache_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("path", metavar="PATH", help="the cache directory")
        sp.add_argument(
            "--driver", choices=sorted(DRIVERS), help="the cache's kind (default: detect)"
        )

    ls = sub.add_parser("list", help="list the entries of a cache")
    cache_args(ls)
    ls.add_argument(
        "--state", choices=[str(s) for s in STATES], action="append", help="only this state"
    )
    ls.add_argument(
        "--sort",
        default="state",
        choices=[*SORT_KEYS, *SORT_ALIASES],
        help="sort key (default: state, then queue position or id)",
    )
    ls.add_argument("--reverse", action="store_true", help="reverse the sort")
    fmt = ls.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object")
    fmt.add_argument("--csv", action="store_true", help="CSV with a header row")

    st = sub.add_parser("stats", help="counts, bytes and hits of a cache")
    cache_args(st)
    st.add_argument("--json", action="store_true", help="one JSON object")
    return p


def _open(args: argparse.Namespace) -> CacheDriver:
    return open_cache(args.path, driver=args.driver)


def _warn(warnings: Sequence[str]) -> None:
    for w in warnings:
        print(f"{PROG}: warning: {w}", file=sys.stderr)


def _table(rows: list[list[str]], out: TextIO) -> None:
    if not rows:
        return
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    right = {2, 3}  # size, hits
    for r in rows:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        out.write("  ".join(cells).rstrip() + "\n")


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    cache = _open(args)
    snap = cache.scan()
    _warn(snap.warnings)
    states = {State(s) for s in args.state} if args.state else set(STATES)
    entries = [e for e in snap.entries if e.state in states]
    key = SORT_KEYS[SORT_ALIASES.get(args.sort, args.sort)]
    entries.sort(key=key, reverse=args.reverse)
    if args.json:
        doc = {
            "path": str(snap.path),
            "driver": snap.driver,
            "entries": [entry_record(e) for e in entries],
        }
        out.write(json.dumps(doc) + "\n")
    elif args.csv:
        w = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(entry_record(e) for e in entries)
    else:
        now = datetime.now(UTC)
        rows = [["STATE", "ID", "SIZE", "HITS", "LAST ACCESSED", "LAST MODIFIED", "NOTE"]]
        for e in entries:
            note = e.error or (str(e.note) if e.note else "")
            if e.position is not None:
                note = f"queue position {e.position}"
            rows.append(
                [
                    str(e.state),
                    e.id,
                    formatting.size(e.size),
                    _hits_cell(e),
                    formatting.ago(e.last_accessed, now),
                    formatting.ago(e.last_modified, now),
                    note,
                ]
            )
        _table(rows, out)
        if len(rows) == 1:
            out.write("(no entries)\n")
    return 0


def cmd_stats(args: argparse.Namespace, out: TextIO) -> int:
    cache = _open(args)
    snap = cache.scan()
    _warn(snap.warnings)
    s = summarize(snap.entries)
    if args.json:
        doc = {
            "path": str(snap.path),
            "driver": snap.driver,
            "total_size": s.total_size,
            "count": s.count,
            "hits": s.hits,
            "unknown_hits": s.unknown_hits,
            "inconsistent": s.inconsistent,
            "states": {
                str(st): {"count": s.totals(st).count, "bytes": s.totals(st).bytes}
                for st in STATES
            },
            "warnings": list(snap.warnings),
        }
        out.write(json.dumps(doc) + "\n")
        return 0
    out.write(f"Cache:      {snap.path}\n")
    out.write(f"Kind:       {cache.title}\n")
    out.write(
        f"Cached:     {formatting.size(s.total_size)} ({s.total_size:,} bytes) "
        f"in {s.totals(State.CACHED).count:,} images\n"
    )
    hits = f"{s.hits:,}"
    if s.unknown_hits:
        hits += f" (+ unknown for {s.unknown_hits:,} images)"
    out.write(f"Hits:       {hits}\n")
    for st in STATES[1:]:
        t = s.totals(st)
        out.write(f"{st.capitalize() + ':':<11} {t.count:,} ({formatting.size(t.bytes)})\n")
    if s.inconsistent:
        out.write(f"Inconsistent entries: {s.inconsistent:,} (see `list`, NOTE column)\n")
    return 0


COMMANDS = {"list": cmd_list, "stats": cmd_stats}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format=f"{PROG}: %(levelname)s: %(message)s")
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args, out)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except (CacheError, ValueError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python's
        # final flush from complaining about the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        where = exc.filename or args.path
        print(f"{PROG}: error: {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1


def _hits_cell(e: Entry) -> str:
    if e.state is not State.CACHED:
        return ""
    return "?" if e.hits is None else str(e.hits)
