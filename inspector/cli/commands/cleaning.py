"""``clean``: a cache's invalid entries and stalled downloads, or its images deleted in Glance.

Each goes through :func:`~inspector.cli.commands.change.carry_out` like every
change: previewed with ``--dry-run``, confirmed, reported whatever happens.
"""

from __future__ import annotations

import argparse

from inspector.cli.commands.change import carry_out, require, show_plan, where
from inspector.cli.context import Context, read_cache
from inspector.cli.prompt import UsageError
from inspector.core import Action, Reading


def cmd_clean(args: argparse.Namespace, ctx: Context) -> int:
    from inspector.cli import render
    from inspector.core import actions

    if args.deleted_images and args.stall_time is not None:
        raise UsageError("--stall-time is for invalid and stalled entries, not --deleted-images.")
    reading = read_cache(args, ctx)
    if args.deleted_images:
        return clean_deleted_images(args, ctx, reading)
    require(reading, Action.CLEAN)
    cache = reading.driver
    if args.stall_time is not None and actions.by_service(cache, Action.CLEAN):
        raise UsageError(
            f"{where(reading)} cleans by its own image_cache_stall_time: --stall-time cannot "
            "change it."
        )
    stall = args.stall_time if args.stall_time is not None else reading.limits.stall_time
    plan = actions.plan_clean(reading.snapshot.entries, stall or 0.0, driver=cache)
    if args.dry_run:
        return show_plan(args, ctx, plan)
    if actions.by_service(cache, Action.CLEAN):
        return carry_out(
            args,
            ctx,
            "clean",
            plan.entries,
            f"Have {where(reading)} clean itself (its invalid downloads, and those incomplete "
            "for longer than its own image_cache_stall_time)? Its cache API cannot list them "
            "first.",
            lambda p: actions.clean(cache, plan, p),
            always=True,
        )
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
    from inspector.cli import render
    from inspector.core import actions

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
