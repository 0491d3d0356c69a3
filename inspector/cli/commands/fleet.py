"""``fleet``: every node sharing one Glance database, and the images they cache."""

from __future__ import annotations

import argparse
from typing import Any

from inspector.cli.context import Context
from inspector.cli.parser import positive_int
from inspector.cli.prompt import Interrupt, UsageError
from inspector.core.errors import ScanCancelled


def register(sub: Any) -> None:
    fl = sub.add_parser(
        "fleet",
        help="every centralized_db node of a Glance database: totals and the image x node matrix",
        description="Read every node recorded in Glance's database (node_reference) with "
        "its cached count, bytes, hits and last access, and which node caches which "
        "image. Nothing is changed.",
    )
    where = fl.add_argument_group("Glance's database")
    where.add_argument(
        "--db",
        metavar="URL",
        help="Glance's database ([database] connection; the password is never shown)",
    )
    where.add_argument(
        "--glance-config",
        metavar="FILE",
        help="a node's glance-api.conf: its [database] connection (--db wins over it)",
    )
    fl.add_argument("--json", action="store_true", help="one JSON object")
    fl.add_argument(
        "--images", action="store_true", help="also print the image x node matrix as text"
    )
    fl.add_argument(
        "--limit",
        type=positive_int,
        metavar="N",
        help="the first N images by id in the matrix (default: all)",
    )
    fl.set_defaults(func=cmd_fleet)


def cmd_fleet(args: argparse.Namespace, ctx: Context) -> int:
    from inspector.cli import render_fleet
    from inspector.core.fleet import fleet_database, read_fleet

    if args.db is None and args.glance_config is None:
        raise UsageError("name Glance's database: --db URL or --glance-config FILE.")
    db = fleet_database(args.db, args.glance_config)
    with_images = args.json or args.images
    with Interrupt() as stop:
        try:
            fleet = read_fleet(
                db,
                image_limit=args.limit if with_images else 0,
                cancelled=lambda: stop.hit,
            )
        except ScanCancelled:
            raise UsageError("interrupted while reading the fleet: nothing was changed.") from None
    if args.json:
        from inspector.report import records
        from inspector.report.fleet import fleet_document

        ctx.emit(records.dumps(fleet_document(fleet)))
        return 0
    text = render_fleet.nodes_table(fleet) + render_fleet.counts_line(fleet)
    if args.images and fleet.images:
        text += "\n" + render_fleet.matrix_table(fleet)
    ctx.emit(text)
    return 0
