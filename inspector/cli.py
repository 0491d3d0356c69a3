"""``cache-inspector-cli``: the core, from the shell and from scripts.

Exit codes: 0 success, 2 usage error, 1 any other failure (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
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
    actions,
    open_cache,
    stats,
)
from inspector.core.units import parse_duration, parse_size
from inspector.export import entry_record, write_csv, write_json

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


class UsageError(Exception):
    """Bad arguments found after parsing (exit code 2)."""


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
    st.add_argument(
        "--max-size",
        type=_size_arg,
        default=10 * 1024**3,
        metavar="SIZE",
        help="the cache's maximum, for what a prune would evict (default 10GiB)",
    )
    st.add_argument("--top", type=int, default=10, metavar="N", help="entries in each top list")

    def change_args(sp: argparse.ArgumentParser, destructive: bool = True) -> None:
        cache_args(sp)
        if destructive:
            sp.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
        sp.add_argument("--json", action="store_true", help="print the result as one JSON object")

    de = sub.add_parser("delete", help="delete entries (file and metadata together)")
    change_args(de)
    de.add_argument("ids", nargs="*", metavar="ID", help="image ids to delete")
    de.add_argument("--state", choices=[str(s) for s in STATES], help="only entries in this state")
    de.add_argument("--all", action="store_true", help="every entry of --state")

    qu = sub.add_parser("queue", help="queue image ids for the prefetcher (Glance's rules)")
    change_args(qu, destructive=False)
    qu.add_argument("ids", nargs="+", metavar="ID", help="image ids to queue")

    rq = sub.add_parser("requeue", help="remove entries and queue their ids again")
    change_args(rq)
    rq.add_argument("ids", nargs="+", metavar="ID", help="image ids to requeue")
    rq.add_argument("--state", choices=[str(s) for s in STATES], help="only entries in this state")

    pr = sub.add_parser("prune", help="evict least recently accessed images down to a size")
    change_args(pr)
    pr.add_argument(
        "--max-size", required=True, type=_size_arg, metavar="SIZE", help="e.g. 10GiB, 500M"
    )
    pr.add_argument("--dry-run", action="store_true", help="only show what would be evicted")

    cl = sub.add_parser("clean", help="delete invalid entries and stalled downloads")
    change_args(cl)
    cl.add_argument(
        "--stall-time",
        type=_duration_arg,
        default=86400.0,
        metavar="DURATION",
        help="incomplete downloads older than this are stalled (default 24h)",
    )
    cl.add_argument("--dry-run", action="store_true", help="only show what would be removed")
    return p


def _size_arg(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _duration_arg(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
        write_json(str(snap.path), snap.driver, entries, out)
    elif args.csv:
        write_csv(entries, out)
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


def _bin_records(bins: Sequence[stats.Bin]) -> list[dict[str, Any]]:
    return [{"label": b.label, "count": b.count, "bytes": b.bytes} for b in bins]


def cmd_stats(args: argparse.Namespace, out: TextIO) -> int:
    cache = _open(args)
    snap = cache.scan()
    _warn(snap.warnings)
    st = stats.compute(
        snap.entries,
        args.max_size,
        top=args.top,
        eviction_order=cache.eviction_order(snap.entries),
    )
    s = st.summary
    if args.json:
        doc = {
            "path": str(snap.path),
            "driver": snap.driver,
            "total_size": s.total_size,
            "max_size": args.max_size,
            "count": s.count,
            "hits": s.hits,
            "unknown_hits": s.unknown_hits,
            "inconsistent": s.inconsistent,
            "states": {
                str(state): {"count": s.totals(state).count, "bytes": s.totals(state).bytes}
                for state in STATES
            },
            "largest": [{"id": e.id, "size": e.size} for e in st.largest],
            "hottest": [{"id": e.id, "hits": e.hits, "size": e.size} for e in st.hottest],
            "hits_distribution": _bin_records(st.hits),
            "age_distribution": _bin_records(st.ages),
            "never_accessed": st.never_accessed,
            "top_decile_hit_share": st.top_decile_hit_share,
            "prune_to_max": {"count": len(st.lru.evicted_ids), "bytes": st.lru.evicted_bytes},
            "warnings": list(snap.warnings),
        }
        out.write(json.dumps(doc) + "\n")
        return 0
    size = formatting.size
    out.write(f"Cache:      {snap.path}\n")
    out.write(f"Kind:       {cache.title}\n")
    pct = 100 * s.total_size / args.max_size if args.max_size else 0
    out.write(
        f"Cached:     {size(s.total_size)} ({s.total_size:,} bytes) "
        f"in {s.totals(State.CACHED).count:,} images, {pct:.0f} % of {size(args.max_size)}\n"
    )
    hits = f"{s.hits:,}"
    if s.unknown_hits:
        hits += f" (+ unknown for {s.unknown_hits:,} images)"
    out.write(f"Hits:       {hits}\n")
    for state in STATES[1:]:
        t = s.totals(state)
        out.write(f"{state.capitalize() + ':':<11} {t.count:,} ({size(t.bytes)})\n")
    if s.inconsistent:
        out.write(f"Inconsistent entries: {s.inconsistent:,} (see `list`, NOTE column)\n")
    if st.lru.evicted_ids:
        out.write(
            f"A prune to {size(args.max_size)} would evict {len(st.lru.evicted_ids):,} images "
            f"({size(st.lru.evicted_bytes)}).\n"
        )
    if st.largest:
        out.write(f"\nLargest {len(st.largest)}:\n")
        for e in st.largest:
            out.write(f"  {size(e.size):>10}  {e.id}\n")
    if st.hottest:
        out.write(f"\nMost hits ({st.top_decile_hit_share:.0%} of hits in the top 10 %):\n")
        for e in st.hottest:
            out.write(f"  {e.hits or 0:>10,}  {e.id}\n")

    def histogram(title: str, bins: Sequence[stats.Bin]) -> None:
        peak = max((b.count for b in bins), default=0) or 1
        out.write(f"\n{title}:\n")
        for b in bins:
            bar = "#" * round(30 * b.count / peak)
            out.write(f"  {b.label:>8}  {b.count:>7,}  {size(b.bytes):>10}  {bar}\n")

    if s.totals(State.CACHED).count:
        histogram("Hits per image", st.hits)
        histogram("Since last access", st.ages)
        if st.never_accessed:
            out.write(f"  never accessed since cached: {st.never_accessed:,}\n")
    return 0


def _confirm(args: argparse.Namespace, question: str) -> None:
    """Ask before destroying anything; refuse when nobody can answer."""
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            f"{question.rstrip('?')}: refused without --yes (standard input is not a terminal)."
        )
    answer = input(f"{question} [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise Declined("Nothing was changed.")


class Declined(Exception):
    """The user said no at the prompt."""


class _Interrupt:
    """Ctrl+C during a job stops it between entries instead of killing it mid-way."""

    def __init__(self) -> None:
        self.hit = False

    def __enter__(self) -> _Interrupt:
        self._old = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._old)

    def _handle(self, *_: object) -> None:
        self.hit = True

    def progress(self, done: int, total: int) -> bool:
        return not self.hit


def _describe(entries: Sequence[Entry]) -> str:
    size = sum(e.size for e in entries)
    noun = "entry" if len(entries) == 1 else "entries"
    return f"{len(entries):,} {noun} ({formatting.size(size)})"


def _report(args: argparse.Namespace, result: actions.JobResult, out: TextIO) -> int:
    if args.json:
        doc = {
            "action": result.action,
            "done": result.done,
            "gone": result.gone,
            "bytes_freed": result.bytes_freed,
            "queued": list(result.queued),
            "failures": [
                {"id": f.id, "state": str(f.state), "reason": f.reason} for f in result.failures
            ],
            "cancelled": result.cancelled,
        }
        out.write(json.dumps(doc) + "\n")
    else:
        verb = {"queue": "Queued", "requeue": "Requeued"}.get(result.action, "Deleted")
        line = f"{verb} {result.done:,} of {result.total:,}"
        if result.bytes_freed:
            line += f", freed {formatting.size(result.bytes_freed)}"
        if result.gone:
            line += f" ({result.gone:,} already gone)"
        if result.cancelled:
            line += "; interrupted, the rest was left alone"
        out.write(line + ".\n")
    for f in result.failures:
        where = f.id if result.action == "queue" else f"{f.id} ({f.state})"
        reason = f.reason.removeprefix(f"{f.id} ")
        print(f"{PROG}: {where}: {reason}", file=sys.stderr)
    return 1 if result.failures or result.cancelled else 0


def _plan_report(args: argparse.Namespace, plan: actions.Plan, out: TextIO) -> int:
    if args.json:
        doc = {
            "dry_run": True,
            "entries": [entry_record(e) for e in plan.entries],
            "bytes_freed": plan.bytes_freed,
            "total_before": plan.total_before,
            "total_after": plan.total_after,
            "target": plan.target,
        }
        out.write(json.dumps(doc) + "\n")
        return 0
    for e in plan.entries:
        out.write(f"{e.state:<10}  {e.id}  {formatting.size(e.size):>10}\n")
    line = f"Would remove {_describe(plan.entries)}"
    if plan.target is not None:
        line += (
            f": the cache goes from {formatting.size(plan.total_before)} to "
            f"{formatting.size(plan.total_after)} (target {formatting.size(plan.target)})"
        )
    out.write(line + ".\n")
    return 0


def _find(
    entries: Sequence[Entry], ids: Sequence[str], state: State | None
) -> tuple[list[Entry], list[str]]:
    """The entries with these ids; a warning on stderr for each id not found."""
    found, missing = actions.entries_for_ids(entries, ids, state)
    for m in missing:
        print(f"{PROG}: warning: {m}: no such entry", file=sys.stderr)
    return found, missing


def cmd_delete(args: argparse.Namespace, out: TextIO) -> int:
    state = State(args.state) if args.state else None
    if args.all and state is None:
        raise UsageError("--all needs --state (which state to empty).")
    if not args.all and not args.ids:
        raise UsageError("name the ids to delete, or --all --state STATE.")
    cache = _open(args)
    snap = cache.scan()
    if args.all:
        entries = snap.of_state(state) if state else []
    else:
        entries, _missing = _find(snap.entries, args.ids, state)
    if not entries:
        out.write("Nothing to delete.\n")
        return 0
    _confirm(args, f"Delete {_describe(entries)} from {snap.path}?")
    with _Interrupt() as stop:
        return _report(args, actions.delete(cache, entries, stop.progress), out)


def cmd_queue(args: argparse.Namespace, out: TextIO) -> int:
    cache = _open(args)
    with _Interrupt() as stop:
        return _report(args, actions.queue(cache, args.ids, stop.progress), out)


def cmd_requeue(args: argparse.Namespace, out: TextIO) -> int:
    cache = _open(args)
    state = State(args.state) if args.state else None
    entries, missing = _find(cache.scan().entries, args.ids, state)
    if not entries:
        out.write("Nothing to requeue.\n")
        return 1 if missing else 0
    # Requeueing removes each entry's file first (a cached one is evicted): ask.
    _confirm(args, f"Remove and requeue {_describe(entries)}?")
    with _Interrupt() as stop:
        return _report(args, actions.requeue(cache, entries, stop.progress), out)


def cmd_prune(args: argparse.Namespace, out: TextIO) -> int:
    cache = _open(args)
    plan = actions.plan_prune(cache, cache.scan().entries, args.max_size)
    if args.dry_run:
        return _plan_report(args, plan, out)
    if not plan.entries:
        out.write(
            f"The cache holds {formatting.size(plan.total_before)}, not over "
            f"{formatting.size(args.max_size)}: nothing to prune.\n"
        )
        return 0
    _confirm(args, f"Prune {_describe(plan.entries)}, least recently accessed first?")
    with _Interrupt() as stop:
        return _report(args, actions.prune(cache, plan, stop.progress), out)


def cmd_clean(args: argparse.Namespace, out: TextIO) -> int:
    cache = _open(args)
    plan = actions.plan_clean(cache.scan().entries, args.stall_time)
    if args.dry_run:
        return _plan_report(args, plan, out)
    if not plan.entries:
        out.write("No invalid entries and no stalled downloads: nothing to clean.\n")
        return 0
    _confirm(args, f"Clean {_describe(plan.entries)} (invalid and stalled)?")
    with _Interrupt() as stop:
        return _report(args, actions.clean(cache, plan, stop.progress), out)


COMMANDS = {
    "list": cmd_list,
    "stats": cmd_stats,
    "delete": cmd_delete,
    "queue": cmd_queue,
    "requeue": cmd_requeue,
    "prune": cmd_prune,
    "clean": cmd_clean,
}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format=f"{PROG}: %(levelname)s: %(message)s")
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args, out)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except Declined as exc:
        print(str(exc), file=sys.stderr)
        return 1
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
