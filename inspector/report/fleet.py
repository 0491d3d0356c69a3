"""The fleet of a Glance database as plain JSON-able values (``fleet --json``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from inspector.core.fleet import Fleet


def fleet_document(fleet: Fleet) -> dict[str, Any]:
    """``{"database", "nodes": [{url, count, bytes, hits, last_accessed}],
    "images": [{id, name, image_status, size, nodes: [url, ...]}]}``.

    ``database`` is the URL with its password as ``***``; ``last_accessed``
    a node's latest access, ISO 8601 UTC (``null``: the node has no rows).
    """
    return {
        "database": fleet.database,
        "nodes": [
            {
                "url": n.url,
                "count": n.count,
                "bytes": n.bytes,
                "hits": n.hits,
                "last_accessed": None
                if n.last_accessed is None
                else datetime.fromtimestamp(n.last_accessed, UTC),
            }
            for n in fleet.nodes
        ],
        "images": [
            {
                "id": i.id,
                "name": i.name,
                "image_status": i.image_status,
                "size": i.size,
                "nodes": list(i.nodes),
            }
            for i in fleet.images
        ],
    }
