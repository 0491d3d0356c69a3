"""``audit`` of an sqlite cache whose metadata names what is no image, run in this process.

A row of ``cache.db`` that is no image id is told as a row (it has no file),
beside the stray files of the same name in the other directories: each is a
problem of its own, in state order, and the summary counts all three.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from inspector.cli import main
from tests.glance_service import GlanceService
from tests.trust_caches import age, copy_of, sql, typical

X = "e0000000-0000-4000-8000-00000000000e"  # never cached by Glance here
LEFT_ALONE = (
    "named 'notes.txt': not an image id, nor one of the service's own files. "
    "Left alone: the service never asked for it."
)


@pytest.mark.parametrize("kind", ["sqlite"])
def test_a_row_that_is_no_image_is_told_as_a_row_beside_the_files_of_its_name(
    glance: GlanceService, tmp_path: Path
) -> None:
    root = copy_of(typical(glance), tmp_path / "copy")
    sql(
        root,
        "INSERT INTO cached_images (image_id, last_accessed, last_modified, size, hits, "
        "checksum) VALUES ('notes.txt', 0, 0, 10, 0, NULL)",
    )
    for sub in ("queue", "incomplete"):
        (root / sub / "notes.txt").write_text("x")
        age(root / sub / "notes.txt", 3600)
    out = io.StringIO()
    assert main(["audit", str(root), "--json"], out=out) == 1
    assert json.loads(out.getvalue())["problems"] == [
        {"kind": "not-an-image", "id": "notes.txt", "detail": f"a row {LEFT_ALONE}"},
        {"kind": "not-an-image", "id": "notes.txt", "detail": f"an incomplete file {LEFT_ALONE}"},
        {"kind": "not-an-image", "id": "notes.txt", "detail": f"a queued file {LEFT_ALONE}"},
    ]
    out = io.StringIO()
    assert main(["audit", str(root)], out=out) == 1
    assert out.getvalue().splitlines()[0] == f"3 problem(s) in {root}: 3 not-an-image."


@pytest.mark.parametrize("kind", ["sqlite"])
def test_one_id_linked_in_three_places_is_three_problems_in_state_order(
    glance: GlanceService, tmp_path: Path
) -> None:
    root = copy_of(typical(glance), tmp_path / "copy")
    (tmp_path / "target").write_bytes(b"t" * 10)
    for where in (root, root / "queue", root / "incomplete"):
        os.symlink(tmp_path / "target", where / X)
    out = io.StringIO()
    assert main(["audit", str(root), "--json"], out=out) == 1
    two = "the service makes one only when the other is not there. Left alone"
    link = "is a symbolic link: the service reads through it, whatever it points to. Left alone."
    assert [(p["kind"], p["detail"]) for p in json.loads(out.getvalue())["problems"]] == [
        (
            "in-two-states",
            f"cached and also being written (incomplete): {two} "
            "(remove one with delete --state incomplete).",
        ),
        (
            "in-two-states",
            f"cached and also queued: {two} (remove one with delete --state queued).",
        ),
        ("stray-symlink", f"the cached file {link}"),
        ("stray-symlink", f"the incomplete file {link}"),
        ("stray-symlink", f"the queued file {link}"),
    ]
