"""Glance's sqlite pruner takes rows ``ORDER BY last_accessed``: damaged values and the
limits included, the inspector's eviction order is SQLite's own order of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.core import State, open_cache
from inspector.core.drivers.glance.sqlite import MAX_TIMESTAMP
from tests.glance_service import GlanceService
from tests.trust_caches import sql

IDS = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(1, 10)]


@pytest.mark.parametrize("kind", ["sqlite"])
def test_the_eviction_order_is_sqlites_order_of_the_stored_values(glance: GlanceService) -> None:
    accessed: list[object] = [
        MAX_TIMESTAMP,  # the first second of year 10000: damage, but a number to SQLite
        100.0,
        MAX_TIMESTAMP - 1,
        -1.0,
        "yesterday",
        0,
        100,  # equal to 100.0: table order
        b"\x00",
    ]
    for image_id, value in zip(IDS, accessed, strict=False):
        glance.cache(image_id, b"x" * 10)
        glance.sql(
            "UPDATE cached_images SET last_accessed = ? WHERE image_id = ?", value, image_id
        )
    driver = open_cache(glance.path)
    cached = driver.scan().of_state(State.CACHED)
    order = [e.id for e in driver.eviction_order(list(reversed(cached)))]
    rows = sql(Path(glance.path), "SELECT image_id FROM cached_images ORDER BY last_accessed")
    glances = [str(r[0]) for r in rows]
    assert order == glances
    assert order[:2] == [IDS[3], IDS[5]] and order[-3:] == [IDS[0], IDS[4], IDS[7]]
