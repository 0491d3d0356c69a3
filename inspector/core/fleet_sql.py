"""The fleet's questions to Glance's database, each one statement aggregated by the server.

Three SELECTs, all SQLAlchemy Core, alike on SQLite, PostgreSQL and MariaDB:

* :data:`NODE_TOTALS`: every node of ``node_reference`` with the count, bytes,
  hits and latest access of its ``cached_images`` rows (one GROUP BY, LEFT
  OUTER JOINed to the nodes, so a node without rows is there with zeros);
* :data:`IMAGE_TOTALS`: how many distinct images the fleet caches, on how
  many on every node, on one node only, and deleted in Glance, from one
  GROUP BY over ``image_id``;
* :func:`matrix`: the (image, node) pairs of the first images by id, with
  Glance's record of each image joined, ordered by id; the server picks the
  images (``ORDER BY image_id LIMIT n`` on Glance's (image_id, node) index).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from inspector.core.glance_db import cached_images, images, node_reference

_c = cached_images.c
_n = node_reference.c

#: Each node's rows, aggregated in one pass over ``cached_images`` (joining first
#: would have SQLite search the rows once per node: 7x slower at 50 nodes).
_per_node = (
    sa.select(
        _c.node_reference_id.label("node"),
        sa.func.count().label("count"),
        sa.func.sum(_c.size).label("bytes"),
        sa.func.sum(_c.hits).label("hits"),
        sa.func.max(_c.last_accessed).label("last_accessed"),
    )
    .group_by(_c.node_reference_id)
    .subquery("per_node")
)
NODE_TOTALS = (
    sa.select(
        _n.node_reference_url,
        sa.func.coalesce(_per_node.c.count, 0),
        sa.func.coalesce(_per_node.c.bytes, 0),
        sa.func.coalesce(_per_node.c.hits, 0),
        _per_node.c.last_accessed,
    )
    .select_from(node_reference.outerjoin(_per_node, _per_node.c.node == _n.node_reference_id))
    .order_by(_n.node_reference_url)
)

#: One row per cached image: on how many nodes.
_per_image = (
    sa.select(_c.image_id.label("image_id"), sa.func.count().label("nodes"))
    .select_from(cached_images)
    .group_by(_c.image_id)
    .subquery("per_image")
)


def _counted(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


#: Distinct cached images; on every node (``:nodes``, the fleet's size); on one node
#: only; deleted in Glance (its record deleted, or its status ``deleted``).
IMAGE_TOTALS = sa.select(
    sa.func.count(),
    _counted(_per_image.c.nodes == sa.bindparam("nodes")),
    _counted(_per_image.c.nodes == 1),
    _counted(sa.or_(images.c.deleted == sa.true(), images.c.status == "deleted")),
).select_from(_per_image.outerjoin(images, images.c.id == _per_image.c.image_id))


def matrix(limit: int | None) -> sa.Select[Any]:
    """Every (image, node) pair of the first ``limit`` images by id (all without a limit),
    with each pair's row size and Glance's name, status and deleted flag of the image."""
    pairs = cached_images.join(node_reference, _n.node_reference_id == _c.node_reference_id)
    if limit is not None:
        shown = (
            sa.select(_c.image_id.label("image_id"))
            .group_by(_c.image_id)
            .order_by(_c.image_id)
            .limit(limit)
            .subquery("shown")
        )
        pairs = pairs.join(shown, shown.c.image_id == _c.image_id)
    return (
        sa.select(
            _c.image_id,
            _n.node_reference_url,
            _c.size,
            images.c.name,
            images.c.status,
            images.c.deleted,
        )
        .select_from(pairs.outerjoin(images, images.c.id == _c.image_id))
        .order_by(_c.image_id)
    )
