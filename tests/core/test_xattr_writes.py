"""What ``import`` writes into an xattr cache's ``user.hits``, run in this process.

A record that does not know an image's hits (exported from a file without
``user.hits``: copied in without its attributes) leaves a count the cache has
alone, and gives a file without one the 0 that Glance's own commit writes; the
access and modification times of the record land on the file either way.
``tests/core/test_metadata_records.py`` runs the installed CLI as a process;
this runs ``inspector.cli.main`` so that mutation testing sees the writes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from inspector.core import CacheSource, State
from inspector.core.drivers.base import MetadataUpdate, OutcomeStatus
from inspector.core.journal import read_journal
from inspector.core.metadata_records import load_record, plan_restore, restore, write_record
from inspector.core.model import make_entry
from inspector.core.session import read
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
    src = _cache(tmp_path / "src", [None, 5, None, 4])
    for k in range(4):
        src.set_accessed(CACHED[k], BASE_NS + k * STEP_NS)
    record = tmp_path / "record.json"
    assert cli(capsys, "export", src.path, "-o", str(record))[0] == 0
    settings = json.loads(record.read_text())["cache-settings"]

    root = tmp_path / "dst"
    dst = GlanceService("xattr", str(root))
    assert dst.queue(CACHED[1])  # queued here, not cached: not restored
    for n, h in ((0, 7), (2, None), (3, None)):
        dst.cache(CACHED[n], data(n))
        if h is None:
            os.removexattr(root / CACHED[n], "user.hits")
        else:
            dst.read(CACHED[n], h)
    code, stdout, err = cli(capsys, "import", dst.path, str(record), "--dry-run", "--json")
    assert code == 0, err
    plan = json.loads(stdout)
    assert plan["notes"] == [
        f"A record of a Glance (xattr) cache ({src.path}), exported {settings['exported_at']}."
    ]
    assert (plan["missing"], plan["unchanged"]) == ([CACHED[1]], 0)
    assert sorted(u["id"] for u in plan["updates"]) == [CACHED[0], CACHED[2], CACHED[3]]

    code, stdout, err = cli(capsys, "import", dst.path, str(record), "--yes")
    assert code == 0, err
    assert "Restored 3 of 3." in stdout
    assert _user_hits(root, CACHED[0]) == b"7"  # the cache's own count, not the record's
    assert _user_hits(root, CACHED[2]) == b"0"  # as Glance's commit starts it
    assert _user_hits(root, CACHED[3]) == b"4"
    assert [dst.hit_count(CACHED[i]) for i in (0, 2, 3)] == [7, 0, 4]  # Glance reads them so
    for k in (0, 2, 3):
        st = os.stat(root / CACHED[k])
        assert abs(st.st_atime_ns - (BASE_NS + k * STEP_NS)) < 1000, k

    # Once restored, the same record finds every entry as it says.
    code, stdout, err = cli(capsys, "import", dst.path, str(record), "--dry-run")
    assert code == 0, err
    assert stdout.endswith(
        "Would restore hits and times of 0 entries (3 already as recorded; 1 in the record "
        "have no file here and are left alone).\n"
    )
    # An access since, or a file changed since (as touch -m leaves it): that one again.
    dst.set_accessed(CACHED[3], BASE_NS)
    path = root / CACHED[2]
    os.utime(path, ns=(os.stat(path).st_atime_ns, BASE_NS))
    code, stdout, err = cli(capsys, "import", dst.path, str(record), "--dry-run", "--json")
    plan = json.loads(stdout)
    assert sorted(u["id"] for u in plan["updates"]) == [CACHED[2], CACHED[3]]
    assert plan["unchanged"] == 1


def test_a_record_without_its_settings_is_named_by_what_it_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A record written by hand or by another tool: the kind stands in for the title, and
    what it does not say is said to be unknown."""
    src = _cache(tmp_path / "src", [3])
    record = tmp_path / "record.json"
    assert cli(capsys, "export", src.path, "-o", str(record))[0] == 0
    doc = json.loads(record.read_text())
    for key in ("title", "source", "exported_at"):
        del doc["cache-settings"][key]
    doc["cache-queue"] = doc["cache-nodes"] = []  # sections a later version may add
    record.write_text(json.dumps(doc))
    code, stdout, err = cli(capsys, "import", src.path, str(record), "--dry-run", "--json")
    assert code == 0, err
    assert json.loads(stdout)["notes"] == [
        "A record of a xattr cache (?), exported at an unknown time.",
        "Sections not restored by a version 1 record: cache-nodes, cache-queue.",
    ]
    del doc["cache-settings"]["kind"]
    record.write_text(json.dumps(doc))
    code, stdout, err = cli(capsys, "import", src.path, str(record), "--dry-run", "--json")
    assert json.loads(stdout)["notes"][0] == (
        "A record of a ? cache (?), exported at an unknown time."
    )
    del doc["cache-settings"]
    record.write_text(json.dumps(doc))
    code, stdout, err = cli(capsys, "import", src.path, str(record), "--dry-run", "--json")
    assert (code, err) == (0, "")
    assert json.loads(stdout)["notes"][0] == (
        "A record of a ? cache (?), exported at an unknown time."
    )


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("xattr", "its file is gone"), ("sqlite", "its file is gone: row left alone")],
)
def test_a_file_gone_since_the_preview_is_left_alone_and_the_journal_says_why(
    tmp_path: Path, kind: str, reason: str, journal_file: Path
) -> None:
    """Glance evicted an image between the preview and the import: nothing is written for
    it (no row, no attribute), and the journal of changes names it with the reason."""
    src = GlanceService(kind, str(tmp_path / "src"))
    dst = GlanceService(kind, str(tmp_path / "dst"))
    for n in range(3):
        src.cache(CACHED[n], data(n))
        src.read(CACHED[n], 3 + n)
        dst.cache(CACHED[n], data(n))
    record = tmp_path / "record.json"
    write_record(read(CacheSource.at(src.path)), record)
    reading = read(CacheSource.at(dst.path))
    plan = plan_restore(load_record(record), reading)
    assert len(plan.updates) == 3
    dst.driver.delete_cached_image(CACHED[0])  # Glance's own eviction, after the preview
    outside = tmp_path / "outside"
    outside.write_bytes(data(2))
    linked = tmp_path / "dst" / CACHED[2]
    os.unlink(linked)
    os.symlink(outside, linked)  # and a file made a link since: never written through
    result = restore(reading.driver, plan)
    assert (result.done, result.gone) == (2, 1)
    assert [(f.id, f.reason) for f in result.failures] == [
        (CACHED[2], "not a regular file: left alone")
    ]
    assert _user_hits(tmp_path, "outside") is None
    assert dst.hit_count(CACHED[1]) == 4
    assert sorted(r["image_id"] for r in dst.cached_images()) == [CACHED[1], CACHED[2]]
    assert not (tmp_path / "dst" / CACHED[0]).exists()
    [change] = read_journal(journal_file).records
    assert sorted((e.id, e.outcome, e.reason) for e in change.entries) == [
        (CACHED[0], "gone", reason),
        (CACHED[1], "updated", None),
        (CACHED[2], "failed", "not a regular file: left alone"),
    ]


def test_sqlite_rows_are_written_only_for_ids_and_rows_that_are_there(tmp_path: Path) -> None:
    """An id that could leave the cache is refused, a row Glance dropped since the preview
    is not made again without being asked to: each says why, and nothing is written."""
    glance = GlanceService("sqlite", str(tmp_path / "c"))
    for n in range(2):
        glance.cache(CACHED[n], data(n))
    driver = read(CacheSource.at(glance.path)).driver
    bad = make_entry("../cache.db", State.CACHED, 1, 0, None, None)
    dropped = make_entry(CACHED[1], State.CACHED, len(data(1)), 0, None, None)
    glance.sql("DELETE FROM cached_images WHERE image_id = ?", CACHED[1])
    before = glance.cached_images()
    outcomes = list(
        driver.write_metadata([MetadataUpdate(bad, hits=5), MetadataUpdate(dropped, hits=5)])
    )
    assert [(o.status, o.reason) for o in outcomes] == [
        (
            OutcomeStatus.FAILED,
            "'../cache.db' is not a valid image id: it contains '/', '..' or a NUL byte.",
        ),
        (OutcomeStatus.GONE, "no row: left alone"),
    ]
    assert glance.cached_images() == before
