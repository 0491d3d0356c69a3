"""Rows of Glance's sqlite cache.db whose files are gone, in a prune: where Glance takes them.

Glance's pruner asks ``ORDER BY last_accessed`` after every eviction and deletes
the row it gets, with its file if there is one: a row without a file frees
nothing but is taken in its turn, as SQLite orders its value (NULL, then
numbers, then text).  The inspector's plan must be that order, row for row.
"""

from __future__ import annotations

import pytest

from inspector.core import actions, open_cache
from tests.core.test_glance_parity import LRU, B, S, fill
from tests.glance_service import GlanceService

E = "e0000000-0000-4000-8000-00000000000e"  # no file, accessed before every image
F = "f0000000-0000-4000-8000-00000000000f"  # no file, a text time Glance never wrote
N = "10000000-0000-4000-8000-000000000001"  # no file, NULL time


@pytest.mark.parametrize("kind", ["sqlite"])
def test_rows_without_files_are_taken_where_glances_pruner_takes_them(
    glance: GlanceService,
) -> None:
    fill(glance, LRU)  # C, A, D, B, last accessed in that order, with their files
    insert = (
        "INSERT INTO cached_images (image_id, last_accessed, last_modified, hits, size) "
        "VALUES (?, ?, 0, 0, ?)"
    )
    glance.sql(insert, E, S / 1e9 - 60, 500)
    glance.sql(insert, F, "yesterday", 600)
    glance.sql(insert, N, None, 700)
    # B's row damaged too: a text after F's, so that the loop reaches F before B's file
    glance.sql("UPDATE cached_images SET last_accessed = 'zzz' WHERE image_id = ?", B)
    cache = open_cache(glance.path)
    plan = actions.plan_prune(cache, cache.scan().entries, 0)
    ours = [e.id for e in plan.entries]
    assert ours == glance.glance_prune(0)
    assert ours[:2] == [N, E] and ours[-2:] == [F, B]
    assert plan.bytes_freed == sum(size for _, size, _ in LRU)  # the rows free nothing
