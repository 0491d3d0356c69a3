"""The Statistics view's LRU curve with a prune plan's victims (what the window passes).

A Filetracker store written by the real client: its cleaner evicts down to a
cleaning level below the maximum, so a prune evicts more than what lies
beyond the maximum; the curve's evicted part is exactly the plan's victims.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.core import CacheSource, actions, open_source
from inspector.core.stats import compute
from tests.filetracker_service import FiletrackerStore
from tests.writers.filetracker import require_filetracker

pytestmark = pytest.mark.glance


def test_the_curve_evicts_exactly_the_plans_victims(tmp_path: Path) -> None:
    require_filetracker()
    store = FiletrackerStore(tmp_path / "store")
    for n in range(6):  # oldest first: /f0 ... /f5, 100 to 600 bytes
        store.put(f"/f{n}", bytes([65 + n]) * (100 * (n + 1)), version=1_000 + n)
    driver = open_source(CacheSource.at(store.cache_dir))
    try:
        entries = driver.scan().entries
        order = driver.eviction_order(entries)
        plan = actions.plan_prune(driver, entries, 1800, 0.5)
        victims = [e.id for e in plan.entries]
        beyond = compute(entries, 1800, eviction_order=order).lru
        curve = compute(entries, 1800, eviction_order=order, victims=plan.entries).lru
        none = compute(entries, 1800, eviction_order=order, victims=[]).lru
    finally:
        driver.close()
    assert beyond.ids == ("/f5", "/f4", "/f3", "/f2", "/f1", "/f0")  # newest first
    assert list(beyond.cumulative) == [600, 1100, 1500, 1800, 2000, 2100]
    assert beyond.evicted_ids == ("/f1", "/f0")  # what lies beyond 1,800 bytes
    assert len(victims) > 2  # the cleaner goes down to its cleaning level
    assert sorted(curve.evicted_ids) == sorted(victims)
    assert curve.evicted_ids == beyond.ids[len(beyond.ids) - len(victims) :]
    assert curve.evicted_bytes == plan.bytes_removed
    assert (none.evicted_ids, none.evicted_bytes, none.first_evicted) == ((), 0, 6)
