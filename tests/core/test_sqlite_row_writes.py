"""Rows the sqlite driver writes (``import`` and ``audit --repair``), run in this process.

What lands in Glance's ``cached_images`` table, column by column: an existing
row gets the values given and keeps the others; a file without a row gets
the row Glance's commit inserts (hits 0, both times the file's mtime, its
size) with what the record gives instead.  ``tests/core/test_audit.py`` and
``tests/core/test_metadata_records.py`` run the installed CLI as a process;
these run ``inspector.cli.main`` so that mutation testing sees the writes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.core.cli_inprocess import cli
from tests.glance_service import GlanceService
from tests.trust_caches import CACHED, data, sql

#: Apart by odd amounts, so that no rounding to ms or s hides an error.
BASE_NS = 1_700_000_000_123_456_789
STEP_NS = 1_234_567_891


def rows(root: Path) -> dict[str, tuple[Any, ...]]:
    return {
        r[0]: r[1:]
        for r in sql(
            root, "SELECT image_id, last_accessed, last_modified, hits, size FROM cached_images"
        )
    }


def filled(root: Path, hits: list[int]) -> GlanceService:
    service = GlanceService("sqlite", str(root))
    for n, image_id in enumerate(CACHED[: len(hits)]):
        service.cache(image_id, data(n))
    for image_id, h in zip(CACHED, hits, strict=False):
        service.read(image_id, h)
    return service


def test_import_writes_the_recorded_values_into_rows_and_creates_missing_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], journal_file: Path
) -> None:
    src = filled(tmp_path / "src", [5, 0, 3, 1])
    for k, image_id in enumerate(CACHED[:4]):
        sql(
            Path(src.path),
            "UPDATE cached_images SET last_accessed = ?, last_modified = ? WHERE image_id = ?",
            (BASE_NS + k * STEP_NS) / 1e9,
            (BASE_NS - (k + 1) * STEP_NS) / 1e9,
            image_id,
        )
    record = tmp_path / "record.json"
    assert cli(capsys, "export", src.path, "-o", str(record))[0] == 0
    recorded = rows(Path(src.path))

    dst = filled(tmp_path / "dst", [0, 0, 3, 0])
    root = Path(dst.path)
    sql(root, "DELETE FROM cached_images WHERE image_id = ?", CACHED[0])  # its file stays
    code, stdout, err = cli(capsys, "import", dst.path, str(record), "--yes")
    assert code == 0, err
    assert "Restored 4 of 4." in stdout
    after = rows(root)
    assert after.keys() == recorded.keys()
    for image_id in CACHED[:4]:
        accessed, modified, hits, size = after[image_id]
        want = recorded[image_id]
        assert (hits, size) == (want[2], len(data(CACHED.index(image_id)))), image_id
        assert accessed == pytest.approx(want[0], abs=1e-6), image_id
        assert modified == pytest.approx(want[1], abs=1e-6), image_id
    assert dst.hit_count(CACHED[0]) == 5  # Glance's own driver reads what was written
    [change] = [json.loads(line) for line in journal_file.read_text().splitlines()]
    assert sorted((e["id"], e["outcome"]) for e in change["entries"]) == [
        (i, "updated") for i in sorted(CACHED[:4])
    ]


def test_repair_adopts_a_file_as_glances_commit_would_and_corrects_a_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = filled(tmp_path / "cache", [2, 0, 1])
    root = Path(service.path)
    before = rows(root)
    sql(root, "DELETE FROM cached_images WHERE image_id = ?", CACHED[0])
    mtime_ns = BASE_NS
    os.utime(root / CACHED[0], ns=(mtime_ns + 10**12, mtime_ns))  # old, and read since
    sql(root, "UPDATE cached_images SET size = 12 WHERE image_id = ?", CACHED[2])
    code, stdout, err = cli(capsys, "audit", str(root), "--repair", "--adopt", "--yes")
    assert code == 0, (stdout, err)
    after = rows(root)
    accessed, modified, hits, size = after[CACHED[0]]
    assert (hits, size) == (0, len(data(0)))
    assert accessed == modified == pytest.approx(mtime_ns / 1e9, abs=1e-6)
    assert after[CACHED[2]] == (*before[CACHED[2]][:3], len(data(2)))  # only the size changed
    assert after[CACHED[1]] == before[CACHED[1]]
    assert cli(capsys, "audit", str(root))[0] == 0
