"""A file that is not an image is never repaired, whatever else it shows, in process.

Glance's sqlite driver given a row for a file that is no image (``notes.txt``, its
size wrong in the row): the audit finds both problems, and the repair plan leaves
both alone, saying why."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.core import CacheSource, read
from inspector.core.audit import audit
from inspector.core.problems import ProblemKind
from inspector.core.repair import plan_repair
from tests.core.test_audit import _broken
from tests.glance_service import GlanceService
from tests.trust_caches import sql


@pytest.mark.parametrize("kind", ["sqlite"])
def test_a_row_for_a_file_that_is_no_image_is_left_alone_with_the_file(
    glance: GlanceService, tmp_path: Path
) -> None:
    root = _broken(glance, tmp_path)
    sql(
        root,
        "INSERT INTO cached_images (image_id, last_accessed, last_modified, hits, size) "
        "VALUES ('notes.txt', 0, 0, 0, 1)",
    )
    reading = read(CacheSource.at(root))
    try:
        report = audit(reading)
    finally:
        reading.driver.close()
    kinds = sorted(str(p.kind) for p in report.problems if p.id == "notes.txt")
    assert kinds == [str(ProblemKind.NOT_AN_IMAGE), str(ProblemKind.SIZE_MISMATCH)]
    plan = plan_repair(report)
    assert "notes.txt" not in [s.entry.id for s in plan.steps]
    left = {(str(p.kind), why) for p, why in plan.left_alone if p.id == "notes.txt"}
    assert left == {
        (
            str(ProblemKind.NOT_AN_IMAGE),
            "not an image: never touched (delete it yourself if it is junk)",
        ),
        (str(ProblemKind.SIZE_MISMATCH), "also a symlink or not an image: left alone"),
    }
