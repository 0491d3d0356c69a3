"""``delete``, ``queue``, ``requeue``, ``prune`` and ``clean``: changing a cache.

Each reads the cache, works out exactly what it would change, and then goes
through one ending (:func:`carry_out`): nothing to do is reported as such
(as JSON with ``--json``), anything destructive is confirmed, the job runs
entry by entry with Ctrl+C stopping it between entries, and its result is
printed whatever happened half-way.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from inspector.cli.context import Context, check_state, read_cache, read_many
from inspector.cli.parser import (
    STATE_NAMES,
    add_change_args,
    duration_arg,
    percent_arg,
    size_arg,
)
from inspector.cli.prompt import Interrupt, Progress, UsageError, confirm
from inspector.core import Action, Entry, IdRule, Reading
from inspector.core.errors import ActionNotSupportedError, CacheReadOnlyError

if TYPE_CHECKING:  # imported by the commands that change something, when they run
    from inspector.core.actions import JobProgress, JobResult, Plan

#: argparse would take the first id for PATH when the cache comes from a glance-api.conf.
ID_NOTE = " (with --glance-config, every positional is an id)"


def register(sub: Any) -> None:
    from inspector.cli.commands import cleaning  # it builds on this module's ending

    de = sub.add_parser("delete", help="delete entries (file and metadata together)")
    add_change_args(de)
    de.add_argument(
        "ids",
        nargs="*",
        metavar="ID",
        help="ids to delete (with --glance-config, every positional is an id)",
    )
    de.add_argument("--state", choices=STATE_NAMES, help="only entries in this state")
    de.add_argument("--all", action="store_true", help="every entry of --state")
    de.set_defaults(func=cmd_delete)

    qu = sub.add_parser("queue", help="queue image ids for the prefetcher (Glance's rules)")
    add_change_args(qu, destructive=False)
    qu.add_argument(
        "ids",
        nargs="+",
        metavar="ID",
        help="image ids to queue (with --glance-config, every positional is an id)",
    )
    qu.set_defaults(func=cmd_queue)

    rq = sub.add_parser("requeue", help="remove entries and queue their ids again")
    add_change_args(rq)
    rq.add_argument(
        "ids",
        nargs="+",
        metavar="ID",
        help="image ids to requeue (with --glance-config, every positional is an id)",
    )
    rq.add_argument("--state", choices=STATE_NAMES, help="only entries in this state")
    rq.set_defaults(func=cmd_requeue)

    pr = sub.add_parser(
        "prune",
        help="evict by the service's rule: Glance's least recently accessed first, "
        "or Filetracker's cache cleaner over one or more stores",
    )
    add_change_args(pr, many=True)
    pr.add_argument(
        "--max-size",
        type=size_arg,
        metavar="SIZE",
        help="e.g. 10GiB, 500M (needed for a directory, Filetracker: the cleaner's -s limit; "
        "with --api only for the preview: the node prunes to its own image_cache_max_size, "
        "Glance's 10GiB unless set)",
    )
    pr.add_argument(
        "--cleaning-level",
        type=percent_arg,
        metavar="PERCENT",
        help="Filetracker: the newest files kept below this share of the limit "
        "(the cleaner's -p; default 50)",
    )
    pr.add_argument("--dry-run", action="store_true", help="only show what would be evicted")
    pr.set_defaults(func=cmd_prune)

    cl = sub.add_parser("clean", help="delete invalid entries and stalled downloads")
    add_change_args(cl)
    cl.add_argument(
        "--stall-time",
        type=duration_arg,
        metavar="DURATION",
        help="incomplete downloads older than this are stalled (default: the service's, 24h)",
    )
    cl.add_argument(
        "--deleted-images",
        action="store_true",
        help="instead: the cached images whose image was deleted in Glance "
        "(needs Glance's database: --db URL or --glance-config FILE)",
    )
    cl.add_argument("--dry-run", action="store_true", help="only show what would be removed")
    cl.set_defaults(func=cleaning.cmd_clean)


PROGRESS_VERBS = {
    "delete": "Deleting",
    "queue": "Queueing",
    "requeue": "Requeueing",
    "prune": "Pruning",
    "clean": "Cleaning",
    "repair": "Repairing",
    "import": "Importing",
}


def require(reading: Reading, action: Action) -> None:
    caps = reading.driver.capabilities
    if not caps.can(action):
        raise ActionNotSupportedError(f"A {reading.driver.title} cache has no {action} action.")
    if not caps.local and not reading.writable:
        # A remote cache that says beforehand why it must not be changed (a URL
        # that is not the node's own) is changed in no part.
        raise CacheReadOnlyError(f"nothing was changed: {reading.read_only_reason}")


def where(reading: Reading) -> str:
    """The cache as a question names it: its directory, or the node's URL."""
    path = reading.snapshot.path
    return reading.source.display_name() if path is None else str(path)


def find(
    ctx: Context, reading: Reading, ids: Sequence[str], state_name: str | None
) -> tuple[list[Entry], list[str]]:
    """The entries with these ids; an id not there is already gone: a warning, not a failure."""
    from inspector.core import actions

    state = check_state(reading, state_name)
    driver = reading.driver
    found, missing = actions.entries_for_ids(
        reading.snapshot.entries, ids, state, check=driver.check_id, split=driver.split_id
    )
    held = {e.id: e.version for e in reading.snapshot.entries if e.version is not None}
    for m in missing:
        name, version = driver.split_id(m)
        if version is not None and name in held:
            ctx.warn(f"{m}: not in the store (it holds {name}@{held[name]}, which is kept)")
        else:
            ctx.warn(f"{m}: no such entry (already gone?)")
    return found, missing


def carry_out(
    args: argparse.Namespace,
    ctx: Context,
    action: str,
    entries: Sequence[object],
    question: str | None,
    job: Callable[[JobProgress], JobResult],
    not_found: Sequence[str] = (),
    nothing: str = "Nothing to do.",
    document: Callable[[JobResult], dict[str, Any]] | None = None,
    always: bool = False,
) -> int:
    """The one ending of every change: nothing to do, confirm, run, report.

    ``document`` makes the ``--json`` output from the result (a command
    whose output holds more than the job, such as ``audit --repair``).
    ``always``: the service decides what to do (its own prune or clean), so an
    empty preview does not mean nothing to do.  Every job run here is
    journaled by the core where it produces its result.
    """
    from inspector.cli import render
    from inspector.core.actions import JobResult
    from inspector.report import records

    if document is None:
        document = records.job_document
    if not entries and not always:
        result = JobResult(action, not_found=tuple(not_found))
        ctx.emit(records.dumps(document(result)) if args.json else nothing + "\n")
        return 0
    if question is not None:
        confirm(question, args.yes)
    with Interrupt() as stop:
        progress = Progress(stop)
        tell = progress.job(PROGRESS_VERBS[action])
        try:
            result = job(lambda done, total: tell(done, total) and not stop.hit)
        finally:
            progress.clear()
    result = replace(result, not_found=tuple(not_found))
    ctx.job_summary = render.job_text(result).strip()
    for f in result.failures:
        where = f.id if result.action == "queue" else f"{f.id} ({f.state})"
        if f.source is not None:
            where = f"{f.source}: {where}"
        ctx.error(f"{where}: {f.reason.removeprefix(f'{f.id} ')}")
    if result.error:
        ended = "gave no result" if result.by_service else "stopped"
        ctx.error(f"the {action} {ended}: {result.error}")
    if result.journal_error:
        ctx.warn(f"the {action} was made but not written to the journal: {result.journal_error}")
    ctx.emit(records.dumps(document(result)) if args.json else render.job_text(result))
    return 0 if result.ok else 1


def show_plan(args: argparse.Namespace, ctx: Context, plan: Plan) -> int:
    """``--dry-run``: the plan, changing nothing."""
    from inspector.cli import render
    from inspector.report import records

    ctx.emit(records.dumps(records.plan_document(plan)) if args.json else render.plan_text(plan))
    return 0


def cmd_delete(args: argparse.Namespace, ctx: Context) -> int:
    from inspector.cli import render
    from inspector.core import actions

    if args.all and args.state is None:
        raise UsageError("--all needs --state (which state to empty).")
    if not args.all and not args.ids:
        raise UsageError("name the ids to delete, or --all --state STATE.")
    reading = read_cache(args, ctx)
    require(reading, Action.DELETE)
    missing: list[str] = []
    cache = reading.driver
    question = ""
    if args.all:
        state = check_state(reading, args.state)
        assert state is not None
        entries = [e for e in reading.snapshot.entries if e.state is state]
        if actions.by_service(cache, Action.DELETE):
            question = (
                f"Clear every {state} entry on {where(reading)} in one call: "
                f"{render.describe(entries)} listed now, and any that arrive before it?"
            )

        def job(p: JobProgress) -> JobResult:
            return actions.delete_all(cache, state, entries, p)

    else:
        entries, missing = find(ctx, reading, args.ids, args.state)

        def job(p: JobProgress) -> JobResult:
            return actions.delete(cache, entries, p)

    question = (
        question
        or f"Delete {render.describe(entries)} from {where(reading)}: {render.named(entries)}?"
    )
    return carry_out(args, ctx, "delete", entries, question, job, missing, "Nothing to delete.")


def cmd_queue(args: argparse.Namespace, ctx: Context) -> int:
    from inspector.core import actions

    reading = read_cache(args, ctx)
    require(reading, Action.QUEUE)
    cache = reading.driver
    for image_id in args.ids:
        cache.check_id(image_id)
    return carry_out(
        args,
        ctx,
        "queue",
        args.ids,
        None,
        lambda p: actions.queue(cache, args.ids, p),
    )


def cmd_requeue(args: argparse.Namespace, ctx: Context) -> int:
    from inspector.cli import render
    from inspector.core import actions

    reading = read_cache(args, ctx)
    require(reading, Action.REQUEUE)
    entries, missing = find(ctx, reading, args.ids, args.state)
    cache = reading.driver
    # Requeueing removes each entry's file (a cached one is evicted): ask.
    return carry_out(
        args,
        ctx,
        "requeue",
        entries,
        f"Remove and requeue {render.describe(entries)}: {render.named(entries)}?",
        lambda p: actions.requeue(cache, entries, p),
        missing,
        "Nothing to requeue.",
    )


def cmd_prune(args: argparse.Namespace, ctx: Context) -> int:
    from inspector.cli import render
    from inspector.core import actions
    from inspector.core.span import plan_prune_span, prune_span
    from inspector.report import formatting, records

    readings = read_many(args, ctx)
    for reading in readings:
        require(reading, Action.PRUNE)
    first = readings[0].driver
    if len({r.driver.name for r in readings}) > 1:
        raise UsageError("a prune spans caches of one kind only: name them separately.")
    if len(readings) > 1 and not first.capabilities.shared_prune:
        raise UsageError(f"each {first.title} cache is pruned on its own: name one at a time.")
    keeps_share = first.capabilities.prune_rule == "newest-kept"
    if args.cleaning_level is not None and not keeps_share:
        raise UsageError(f"--cleaning-level is Filetracker's; a {first.title} prune has none.")
    itself = actions.by_service(first, Action.PRUNE)
    max_size = args.max_size
    if max_size is None:
        if not itself:
            raise UsageError("--max-size SIZE is needed: the size to prune the cache down to.")
        max_size = readings[0].limits.max_size or 0
    span = plan_prune_span(
        [(r.driver, r.snapshot.entries) for r in readings], max_size, args.cleaning_level
    )
    plan = span.plan
    columns = None if first.capabilities.id_rule is IdRule.NAME else first.capabilities.columns
    stores = [span.store_of(i) for i in range(len(plan.entries))] if len(readings) > 1 else None
    if args.dry_run:
        ctx.emit(
            records.dumps(records.plan_document(plan, stores))
            if args.json
            else render.plan_text(plan, columns, stores)
        )
        return 0
    if itself:
        return carry_out(
            args,
            ctx,
            "prune",
            plan.entries,
            f"Have {where(readings[0])} prune itself to its own image_cache_max_size? By its "
            f"listing about {render.describe(plan.entries)} would go if that maximum is "
            f"{formatting.size(max_size)}.",
            lambda p: actions.prune(first, plan, p),
            always=True,
        )
    if keeps_share:
        stores_named = f"{len(readings):,} stores" if len(readings) > 1 else "the store"
        question = (
            f"Prune {render.describe(plan.entries)} from {stores_named}, oldest first "
            f"(the newest kept below {formatting.size(int(plan.keep_below or 0))})?"
        )
        whole = "The stores hold" if len(readings) > 1 else "The store holds"
        nothing = (
            f"{whole} {formatting.size(plan.total_before)}, under the limit of "
            f"{formatting.size(max_size)}: nothing to prune."
        )
    else:
        question = f"Prune {render.describe(plan.entries)}, least recently accessed first?"
        nothing = (
            f"The cache holds {formatting.size(plan.total_before)}, not over "
            f"{formatting.size(max_size)}: nothing to prune."
        )
    return carry_out(
        args,
        ctx,
        "prune",
        plan.entries,
        question,
        lambda p: prune_span(span, p),
        nothing=nothing,
    )
