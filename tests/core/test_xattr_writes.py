"""What ``import`` writes into an xattr cache's ``user.hits``, run in this process.

A record that does not know an image's hits (exported from a file without
``user.hits``: copied in without its attributes) leaves a count the cache has
alone, and gives a file without one the 0 that Glance's own commit writes; the
access and modification times of the record land on the file either way.
``tests/core/test_metadata_records.py`` runs the installed CLI as a process;
this runs ``inspector.cli.main`` so that mutation testing sees the writes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.core.cli_inprocess import cli
from tests.glance_service import GlanceService
from tests.trust_caches import CACHED, data

BASE_NS = 1_700_000_000_123_456_789
STEP_NS = 1_234_567_891


def _cache(root: Path, hits: list[int | None]) -> GlanceService:
    """An xattr cache written by Glance; ``None`` hits: the file's user.hits removed, as a
    copy without attributes leaves it."""
    service = GlanceService("xattr", str(root))
    for n, h in enumerate(hits):
        service.cache(CACHED[n], data(n))
        if h is None:
            os.removexattr(root / CACHED[n], "user.hits")
        else:
            service.read(CACHED[n], h)
    return service


def _user_hits(root: Path, image_id: str) -> bytes | None:
    try:
        return os.getxattr(root / image_id, "user.hits")
    except OSError:
        return None


def test_import_keeps_or_starts_the_hits_a_record_does_not_know(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _cache(tmp_path / "src", [None, None, 4])
    for k in range(3):
        src.set_accessed(CACHED[k], BASE_NS + k * STEP_NS)
    record = tmp_path / "record.json"
    assert cli(capsys, "export", src.path, "-o", str(record))[0] == 0

    root = tmp_path / "dst"
    dst = _cache(root, [7, None, 0])
    code, stdout, err = cli(capsys, "import", dst.path, str(record), "--yes")
    assert code == 0, err
    assert "Restored 3 of 3." in stdout
    assert _user_hits(root, CACHED[0]) == b"7"  # the cache's own count, not the record's
    assert _user_hits(root, CACHED[1]) == b"0"  # as Glance's commit starts it
    assert _user_hits(root, CACHED[2]) == b"4"
    assert [dst.hit_count(i) for i in CACHED[:3]] == [7, 0, 4]  # Glance reads them so
    for k in range(3):
        st = os.stat(root / CACHED[k])
        assert abs(st.st_atime_ns - (BASE_NS + k * STEP_NS)) < 1000, k
