"""A row whose size is not the file's, as Glance's sqlite driver left it and then damaged.

The audit and the repair's preview say what the row holds, whatever it holds: a
count of bytes, a fraction, or text (SQLite keeps what it is given).  A cached
file made a symbolic link is a stray symlink, not also a wrong size.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inspector.core import CacheSource, read
from inspector.core.audit import audit
from inspector.core.problems import ProblemKind
from inspector.core.repair import plan_repair
from tests.glance_service import GlanceService
from tests.trust_caches import CACHED, data


@pytest.mark.parametrize("kind", ["sqlite"])
def test_the_repair_says_what_the_row_holds_whatever_it_holds(glance: GlanceService) -> None:
    for n, size in enumerate([1200, 12.5, "big"]):
        glance.cache(CACHED[n], data(n))
        glance.sql("UPDATE cached_images SET size = ? WHERE image_id = ?", size, CACHED[n])
    # hits that happen to equal the file's size: only the size column is compared
    glance.sql("UPDATE cached_images SET hits = ? WHERE image_id = ?", len(data(0)), CACHED[0])
    reading = read(CacheSource.at(glance.path))
    try:
        report = audit(reading)
    finally:
        reading.driver.close()
    assert [(str(p.kind), p.id) for p in report.problems] == [
        ("size-mismatch", CACHED[n]) for n in range(3)
    ]
    said = {s.entry.id: s.describe() for s in plan_repair(report).steps}
    assert said == {
        CACHED[0]: f"record {len(data(0)):,} bytes (the file's), not 1,200",
        CACHED[1]: f"record {len(data(1)):,} bytes (the file's), not 12.5",
        CACHED[2]: f"record {len(data(2)):,} bytes (the file's), not 'big'",
    }


@pytest.mark.parametrize("kind", ["sqlite"])
def test_a_cached_file_made_a_link_to_another_size_is_a_stray_symlink_only(
    glance: GlanceService, tmp_path: Path
) -> None:
    glance.cache(CACHED[0], data(0))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"x" * 10)
    os.unlink(Path(glance.path, CACHED[0]))
    os.symlink(elsewhere, Path(glance.path, CACHED[0]))
    reading = read(CacheSource.at(glance.path))
    try:
        report = audit(reading)
    finally:
        reading.driver.close()
    assert [(p.kind, p.id) for p in report.problems] == [(ProblemKind.STRAY_SYMLINK, CACHED[0])]
