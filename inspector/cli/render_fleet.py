"""Text for people about a fleet: its nodes, its counts, and the image x node matrix."""

from __future__ import annotations

from datetime import UTC, datetime

from inspector.cli.render import table
from inspector.core.fleet import Fleet
from inspector.report import formatting


def nodes_table(fleet: Fleet) -> str:
    """One numbered row per node, then the fleet's totals."""
    now = datetime.now(UTC)
    rows = [["#", "NODE", "IMAGES", "SIZE", "HITS", "LAST ACCESSED"]]
    for n, node in enumerate(fleet.nodes, 1):
        when = node.last_accessed
        rows.append(
            [
                str(n),
                node.url,
                f"{node.count:,}",
                formatting.size(node.bytes),
                f"{node.hits:,}",
                "-" if when is None else formatting.ago(datetime.fromtimestamp(when, UTC), now),
            ]
        )
    if len(fleet.nodes) > 1:
        hits = sum(node.hits for node in fleet.nodes)
        rows.append(
            ["", "all nodes", f"{fleet.count:,}", formatting.size(fleet.bytes), f"{hits:,}", ""]
        )
    head = f"Glance's database {fleet.database}\n"
    if not fleet.nodes:
        return head + "No cache node is recorded (node_reference is empty).\n"
    return head + table(rows, right=frozenset({0, 2, 3, 4}))


def counts_line(fleet: Fleet) -> str:
    """``5 images cached; 1 on every node, 3 on one node only, 1 deleted in Glance.``"""
    images = "image" if fleet.images_total == 1 else "images"
    return (
        f"{fleet.images_total:,} {images} cached; {fleet.images_on_every_node:,} on every node, "
        f"{fleet.images_on_one_node:,} on one node only, "
        f"{fleet.images_deleted:,} deleted in Glance.\n"
    )


def matrix_table(fleet: Fleet) -> str:
    """An image per row, a column per node (numbered as in :func:`nodes_table`): ``x``
    where the node caches it."""
    numbers = [str(n) for n in range(1, len(fleet.nodes) + 1)]
    rows = [["ID", "NAME", "SIZE", "STATUS", *numbers]]
    for image in fleet.images:
        on = set(image.nodes)
        status = image.image_status or "no record in Glance"
        if image.deleted:
            status = "deleted in Glance"
        marks = ["x" if node.url in on else "." for node in fleet.nodes]
        rows.append([image.id, image.name or "", formatting.size(image.size), status, *marks])
    text = table(rows, right=frozenset({2}))
    if fleet.limited:
        text += (
            f"(the first {len(fleet.images):,} of {fleet.images_total:,} images by id; "
            "--limit N shows more)\n"
        )
    return text
