"""``list`` and ``stats``: reading a cache, never changing it.

What only one way of printing needs is imported when it prints (a process
listing a cache as JSON never loads the tables, statistics or plans).
"""

from __future__ import annotations

import argparse
from typing import Any

from inspector.cli.context import Context, check_state, read_cache
from inspector.cli.parser import STATE_NAMES, add_source_args, positive_int, size_arg
from inspector.core import IdRule
from inspector.core.drivers.fsscan import gc_paused
from inspector.core.sorting import ALIASES, CLI_KEYS, sort_entries


def register(sub: Any) -> None:
    ls = sub.add_parser("list", help="list the entries of a cache")
    add_source_args(ls)
    ls.add_argument("--state", choices=STATE_NAMES, action="append", help="only this state")
    ls.add_argument(
        "--sort",
        default="state",
        choices=[*CLI_KEYS, *ALIASES],
        help="sort key (default: state, then queue position or id); unknown values sort last",
    )
    ls.add_argument("--reverse", action="store_true", help="reverse the sort")
    fmt = ls.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object")
    fmt.add_argument("--csv", action="store_true", help="CSV with a header row")
    ls.set_defaults(func=cmd_list)

    st = sub.add_parser("stats", help="counts, bytes and hits of a cache")
    add_source_args(st)
    st.add_argument("--json", action="store_true", help="one JSON object")
    st.add_argument(
        "--max-size",
        type=size_arg,
        metavar="SIZE",
        help="the cache's maximum, for what a prune would evict (default: the service's)",
    )
    st.add_argument(
        "--top", type=positive_int, default=10, metavar="N", help="entries in each top list"
    )
    st.set_defaults(func=cmd_stats)


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    reading = read_cache(args, ctx)
    states = {check_state(reading, s) for s in args.state} if args.state else None
    entries = [e for e in reading.snapshot.entries if states is None or e.state in states]
    entries = sort_entries(entries, args.sort, args.reverse)
    snap = reading.snapshot
    caps = reading.driver.capabilities
    if args.json:
        from inspector.report import records

        where = records.source_fields(reading)
        with gc_paused():  # a million records and no cycles: no collections over the entries
            records.write_json(
                where["path"],
                snap.driver,
                entries,
                ctx.out,  # type: ignore[arg-type]
                where["api"],
                snap.node,
            )
    elif args.csv:
        from inspector.report import records

        with gc_paused():
            records.write_csv(entries, ctx.out)  # type: ignore[arg-type]
    else:
        from inspector.cli import render

        columns = None if caps.id_rule is IdRule.NAME else caps.columns
        ctx.emit(render.entries_table(entries, columns, names=snap.image_records))
    return 0


def cmd_stats(args: argparse.Namespace, ctx: Context) -> int:
    from inspector.cli import render
    from inspector.core import actions, stats
    from inspector.core.tree import build_tree, largest_folders
    from inspector.report import records

    reading = read_cache(args, ctx)
    cache, snap = reading.driver, reading.snapshot
    limit = args.max_size if args.max_size is not None else reading.limits.max_size
    plan = actions.plan_prune(cache, snap.entries, limit) if limit is not None else None
    st = stats.compute(
        snap.entries,
        limit or 0,
        top=args.top,
        eviction_order=cache.eviction_order(snap.entries),
        victims=plan.entries if plan is not None else None,
    )
    folders = []
    if cache.capabilities.id_rule is IdRule.PATH:
        folders = largest_folders(build_tree(snap.entries), args.top)
    if args.json:
        doc = records.stats_document(snap, st, cache.states, limit or 0, reading.source.api)
        if folders:
            doc["largest_folders"] = [records.folder_record(f) for f in folders]
        ctx.emit(records.dumps(doc))
    else:
        ctx.emit(render.stats_text(reading, st, limit, folders))
    return 0
