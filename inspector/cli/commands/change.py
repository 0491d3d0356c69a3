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
from typing import Any

from inspector.cli import render
from inspector.cli.context import Context, check_state, read_cache
from inspector.cli.parser import STATE_NAMES, add_change_args, duration_arg, size_arg
from inspector.cli.prompt import Interrupt, Progress, UsageError, confirm
from inspector.core import Action, Entry, Reading, actions
from inspector.core.actions import JobProgress, JobResult
from inspector.core.errors import ActionNotSupportedError
from inspector.report import formatting, records

#: argparse would take the first id for PATH when the cache comes from a glance-api.conf.
ID_NOTE = " (with --glance-config, every positional is an id)"


def register(sub: Any) -> None:
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

    pr = sub.add_parser("prune", help="evict least recently accessed images down to a size")
    add_change_args(pr)
    pr.add_argument(
        "--max-size", required=True, type=size_arg, metavar="SIZE", help="e.g. 10GiB, 500M"
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
    cl.set_defaults(func=cmd_clean)


PROGRESS_VERBS = {
    "delete": "Deleting",
    "queue": "Queueing",
    "requeue": "Requeueing",
    "prune": "Pruning",
    "clean": "Cleaning",
}


def require(reading: Reading, action: Action) -> None:
    if not reading.driver.capabilities.can(action):
        raise ActionNotSupportedError(f"A {reading.driver.title} cache has no {action} action.")


def find(
    ctx: Context, reading: Reading, ids: Sequence[str], state_name: str | None
) -> tuple[list[Entry], list[str]]:
    """The entries with these ids; an id not there is already gone: a warning, not a failure."""
    state = check_state(reading, state_name)
    found, missing = actions.entries_for_ids(
        reading.snapshot.entries, ids, state, check=reading.driver.check_id
    )
    for m in missing:
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
) -> int:
    """The one ending of every change: nothing to do, confirm, run, report."""
    if not entries:
        result = JobResult(action, not_found=tuple(not_found))
        ctx.emit(records.dumps(records.job_document(result)) if args.json else nothing + "\n")
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
        ctx.error(f"{where}: {f.reason.removeprefix(f'{f.id} ')}")
    if result.error:
        ctx.error(f"the {action} stopped: {result.error}")
    ctx.emit(records.dumps(records.job_document(result)) if args.json else render.job_text(result))
    return 0 if result.ok else 1


def show_plan(args: argparse.Namespace, ctx: Context, plan: actions.Plan) -> int:
    """``--dry-run``: the plan, changing nothing."""
    ctx.emit(records.dumps(records.plan_document(plan)) if args.json else render.plan_text(plan))
    return 0


def cmd_delete(args: argparse.Namespace, ctx: Context) -> int:
    if args.all and args.state is None:
        raise UsageError("--all needs --state (which state to empty).")
    if not args.all and not args.ids:
        raise UsageError("name the ids to delete, or --all --state STATE.")
    reading = read_cache(args, ctx)
    require(reading, Action.DELETE)
    missing: list[str] = []
    if args.all:
        state = check_state(reading, args.state)
        entries = [e for e in reading.snapshot.entries if e.state is state]
    else:
        entries, missing = find(ctx, reading, args.ids, args.state)
    question = (
        f"Delete {render.describe(entries)} from {reading.snapshot.path}: {render.named(entries)}?"
    )
    cache = reading.driver
    return carry_out(
        args,
        ctx,
        "delete",
        entries,
        question,
        lambda p: actions.delete(cache, entries, p),
        missing,
        "Nothing to delete.",
    )


def cmd_queue(args: argparse.Namespace, ctx: Context) -> int:
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
    reading = read_cache(args, ctx)
    require(reading, Action.PRUNE)
    cache = reading.driver
    plan = actions.plan_prune(cache, reading.snapshot.entries, args.max_size)
    if args.dry_run:
        ctx.emit(
            records.dumps(records.plan_document(plan)) if args.json else render.plan_text(plan)
        )
        return 0
    return carry_out(
        args,
        ctx,
        "prune",
        plan.entries,
        f"Prune {render.describe(plan.entries)}, least recently accessed first?",
        lambda p: actions.prune(cache, plan, p),
        nothing=(
            f"The cache holds {formatting.size(plan.total_before)}, not over "
            f"{formatting.size(args.max_size)}: nothing to prune."
        ),
    )


def cmd_clean(args: argparse.Namespace, ctx: Context) -> int:
    if args.deleted_images and args.stall_time is not None:
        raise UsageError("--stall-time is for invalid and stalled entries, not --deleted-images.")
    reading = read_cache(args, ctx)
    if args.deleted_images:
        return clean_deleted_images(args, ctx, reading)
    require(reading, Action.CLEAN)
    cache = reading.driver
    stall = args.stall_time if args.stall_time is not None else reading.limits.stall_time
    plan = actions.plan_clean(reading.snapshot.entries, stall or 0.0)
    if args.dry_run:
        ctx.emit(
            records.dumps(records.plan_document(plan)) if args.json else render.plan_text(plan)
        )
        return 0
    return carry_out(
        args,
        ctx,
        "clean",
        plan.entries,
        f"Clean {render.describe(plan.entries)} (invalid and stalled)?",
        lambda p: actions.clean(cache, plan, p),
        nothing="No invalid entries and no stalled downloads: nothing to clean.",
    )


def clean_deleted_images(args: argparse.Namespace, ctx: Context, reading: Reading) -> int:
    """``clean --deleted-images``: cached copies of images deleted in Glance."""
    require(reading, Action.DELETE)
    if not reading.snapshot.image_records:
        raise UsageError(
            "--deleted-images needs Glance's image records: give --db URL (its [database] "
            "connection) or --glance-config FILE, and a database that can be read."
        )
    cache = reading.driver
    plan = actions.plan_deleted_images(reading.snapshot.entries)
    if args.dry_run:
        return show_plan(args, ctx, plan)
    return carry_out(
        args,
        ctx,
        "clean",
        plan.entries,
        f"Delete {render.describe(plan.entries)} whose image was deleted in Glance: "
        f"{render.named(plan.entries)}?",
        lambda p: actions.delete(cache, plan.entries, p, action="clean"),
        nothing="No cached image was deleted in Glance: nothing to clean.",
    )
