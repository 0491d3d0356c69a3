"""Writing and reading record files (``export`` and ``import``/``diff``), run in this process.

``tests/core/test_metadata_records.py`` runs the installed CLI as a process:
these run ``inspector.cli.main`` so that mutation testing sees
``write_record`` and ``load_record``.  Every refusal leaves the disk as it was.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from tests.core.cli_inprocess import PROG, cli
from tests.glance_service import GlanceService
from tests.trust_caches import CACHED, data


@pytest.fixture
def cache(glance: GlanceService) -> GlanceService:
    for n, image_id in enumerate(CACHED[:3]):
        glance.cache(image_id, data(n))
    glance.read(CACHED[1], 2)
    return glance


def test_export_writes_the_whole_record_readable_by_everyone(
    cache: GlanceService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "records" / "node-1.json"
    out.parent.mkdir()
    out.write_text("an older record")
    code, stdout, err = cli(capsys, "export", cache.path, "-o", str(out))
    assert (code, stdout) == (0, "")
    assert err == f"Wrote the metadata of 3 entries to {out}.\n"
    doc = json.loads(out.read_bytes())
    assert doc["version"] == 1
    hits = {e["id"]: e["hits"] for e in doc["cache-entries"]}
    assert hits == {CACHED[0]: 0, CACHED[1]: 2, CACHED[2]: 0}
    settings = doc["cache-settings"]
    exported = datetime.fromisoformat(settings.pop("exported_at"))
    assert abs(exported - datetime.now(UTC)) < timedelta(minutes=1)
    assert settings == {
        "kind": cache.kind,
        "title": f"Glance ({cache.kind})",
        "source": cache.path,
        "path": cache.path,
        "node": None,
        "sqlite_db": "cache.db",
        "max_size": 10 * 1024**3,  # Glance's defaults: no glance-api.conf given
        "stall_time": 86400.0,
        "entries": 3,
        "generator": f"cache-inspector {version('cache-inspector')}",
    }
    assert out.read_text().startswith('{\n  "version": 1,\n  "cache-settings": {\n')
    for e in doc["cache-entries"]:
        assert (e["state"], e["size"]) == ("cached", len(data(CACHED.index(e["id"]))))
        assert (e["checksum"], e["error"], e["position"], e["node"]) == (None, None, None, None)
        assert len(e) == 12, e  # and nothing else
    for e in doc["cache-entries"]:  # the times twice: readable, and exact
        for field in ("last_accessed", "last_modified"):
            assert e[field].endswith("Z"), e
            seconds = datetime.fromisoformat(e[field]).timestamp()
            assert seconds == pytest.approx(e[f"{field}_ns"] / 1e9, abs=1e-6), e
            assert seconds == pytest.approx(os.stat(Path(cache.path, e["id"])).st_mtime, abs=60)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert sorted(p.name for p in out.parent.iterdir()) == ["node-1.json"]  # no temporary left
    # What was written reads back: a diff of the record with itself is empty.
    code, stdout, _ = cli(capsys, "diff", str(out), str(out), "--json")
    assert code == 0 and json.loads(stdout) == {"appeared": [], "vanished": [], "hits_grew": []}


def test_export_to_standard_output(
    cache: GlanceService, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, err = cli(capsys, "export", cache.path, "-o", "-")
    assert (code, err) == (0, "")
    assert len(json.loads(stdout)["cache-entries"]) == 3


@pytest.mark.parametrize("kind", ["sqlite"])
def test_export_into_the_cache_is_refused(
    cache: GlanceService, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(os.listdir(cache.path))
    inside = Path(cache.path, "record.json")
    code, stdout, err = cli(capsys, "export", cache.path, "-o", str(inside))
    assert (code, stdout) == (1, "")
    assert err == (
        f"{PROG}: error: {inside} is inside the cache directory {cache.path}: write the record "
        "elsewhere (a file there would be taken for an image).\n"
    )
    assert sorted(os.listdir(cache.path)) == before


@pytest.mark.parametrize("kind", ["sqlite"])
def test_export_to_a_directory_or_nowhere_is_refused(
    cache: GlanceService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    code, _, err = cli(capsys, "export", cache.path, "-o", str(folder))
    assert code == 1
    assert err == f"{PROG}: error: {folder} is a directory: name the file to write.\n"
    assert list(folder.iterdir()) == []
    nowhere = tmp_path / "missing" / "record.json"
    code, _, err = cli(capsys, "export", cache.path, "-o", str(nowhere))
    assert code == 1
    assert err == f"{PROG}: error: {nowhere} cannot be written: No such file or directory.\n"
    assert not nowhere.parent.exists()


@pytest.mark.parametrize("kind", ["sqlite"])
def test_a_record_that_cannot_be_read_is_refused(
    cache: GlanceService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such.json"
    code, stdout, err = cli(capsys, "diff", str(missing), str(missing))
    assert (code, stdout) == (1, "")
    assert err == f"{PROG}: error: {missing} cannot be read: No such file or directory.\n"
    code, _, err = cli(capsys, "import", cache.path, str(tmp_path), "--yes")
    assert code == 1
    assert err == f"{PROG}: error: {tmp_path} cannot be read: Is a directory.\n"


@pytest.mark.parametrize("kind", ["sqlite"])
def test_a_malformed_record_names_its_file(
    cache: GlanceService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "cut.json"
    bad.write_text('{"version": 1, "cache-entries": [')
    code, _, err = cli(capsys, "import", cache.path, str(bad), "--yes")
    assert code == 1
    assert err.startswith(f"{PROG}: error: {bad} is not a complete metadata record (truncated")
    assert err.endswith("refused, nothing changed.\n")


#: An entry of a record changed so, and the reason the refusal gives.
MALFORMED: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    "not an object": (lambda e: [e["id"]], "not an object"),
    "no id": (lambda e: {**e, "id": ""}, "id is ''"),
    "a field of its own not plain": (
        lambda e: {**e, "x-origin": {"host": "a"}},
        "a field of the kind's own is not a plain value",
    ),
    "last_accessed a number": (
        lambda e: {**e, "last_accessed": 5},
        "last_accessed is 5, not text",
    ),
    "last_modified a number": (
        lambda e: {**e, "last_modified": 5},
        "last_modified is 5, not text",
    ),
    "no size": (
        lambda e: {k: v for k, v in e.items() if k != "size"},
        "size is None, not a whole number from 0",
    ),
    "checksum a number": (lambda e: {**e, "checksum": 7}, "checksum is 7, not text"),
}


@pytest.mark.parametrize("kind", ["sqlite"])
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_entry_is_refused_with_its_number_and_reason(
    cache: GlanceService, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    record = tmp_path / "record.json"
    assert cli(capsys, "export", cache.path, "-o", str(record))[0] == 0
    doc = json.loads(record.read_text())
    assert len(doc["cache-entries"]) >= 2
    change, reason = MALFORMED[case]
    doc["cache-entries"][1] = change(doc["cache-entries"][1])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    code, out, err = cli(capsys, "import", cache.path, str(bad), "--dry-run")
    assert (code, out) == (1, "")
    assert err == (
        f"{PROG}: error: {bad}: entry 2 of cache-entries is malformed ({reason}): refused, "
        "nothing changed.\n"
    )


def _exported(cache: GlanceService, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    record = tmp_path / "record.json"
    assert cli(capsys, "export", cache.path, "-o", str(record))[0] == 0
    return record


@pytest.mark.parametrize("kind", ["sqlite"])
def test_a_legacy_row_accessed_at_the_epoch_goes_through_a_record(
    cache: GlanceService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows of older Glance releases carry ``last_accessed = 0``: exported as 0 ns, and the
    record reads back."""
    cache.sql("UPDATE cached_images SET last_accessed = 0 WHERE image_id = ?", CACHED[0])
    record = _exported(cache, tmp_path, capsys)
    [legacy] = [e for e in json.loads(record.read_text())["cache-entries"] if e["id"] == CACHED[0]]
    assert legacy["last_accessed_ns"] == 0
    code, out, err = cli(capsys, "import", cache.path, str(record), "--dry-run", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["unchanged"] == 3


@pytest.mark.parametrize("kind", ["xattr"])
def test_a_file_modified_at_the_epoch_goes_through_a_record(
    cache: GlanceService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An image file whose mtime is 0 (unpacked from an archive that kept none): exported
    as 0 ns, and the record reads back."""
    path = Path(cache.path, CACHED[0])
    os.utime(path, ns=(os.stat(path).st_atime_ns, 0))
    record = _exported(cache, tmp_path, capsys)
    [entry] = [e for e in json.loads(record.read_text())["cache-entries"] if e["id"] == CACHED[0]]
    assert entry["last_modified_ns"] == 0
    code, out, err = cli(capsys, "import", cache.path, str(record), "--dry-run", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["unchanged"] == 3


@pytest.mark.parametrize("kind", ["xattr"])
def test_an_import_gives_an_image_without_user_hits_the_one_glance_sets(
    cache: GlanceService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its record knows no hits either: the import makes the ``user.hits`` Glance's commit
    makes (0), so that Glance counts the image's next read."""
    path = Path(cache.path, CACHED[2])
    os.removexattr(path, "user.hits")
    record = _exported(cache, tmp_path, capsys)
    code, _, err = cli(capsys, "import", cache.path, str(record), "--yes", "--json")
    assert (code, err) == (0, "")
    assert os.getxattr(path, "user.hits") == b"0"
    cache.read(CACHED[2])
    assert cache.hit_count(CACHED[2]) == 1
