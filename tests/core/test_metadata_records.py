"""Versioned metadata records: export, import into another kind, refusals, diff."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.glance_service import GlanceService
from tests.trust_caches import CACHED, IDS, data, disk_state, run, run_json

#: Last accesses in ns, apart by odd amounts so that no rounding to ms or s hides an error.
BASE_NS = 1_700_000_000_123_456_789
HITS = [5, 0, 3, 1, 12, 2]


def _source(kind: str, root: Path) -> GlanceService:
    """A cache of ``kind`` written by Glance: hits by serving, then known access times."""
    src = GlanceService(kind, str(root))
    for n, i in enumerate(CACHED):
        src.cache(i, data(n))
    for i, hits in zip(CACHED, HITS, strict=True):
        src.read(i, hits)
    for k, i in enumerate(CACHED):
        src.set_accessed(i, BASE_NS + k * 1_234_567_891)
    return src


def _accessed_ns(service: GlanceService, image_id: str) -> int:
    if service.kind == "xattr":
        return os.stat(Path(service.path, image_id)).st_atime_ns
    [row] = [r for r in service.cached_images() if r["image_id"] == image_id]
    return round(row["last_accessed"] * 1e9)


@pytest.mark.parametrize(("src_kind", "dst_kind"), [("sqlite", "xattr"), ("xattr", "sqlite")])
def test_a_round_trip_keeps_hits_sizes_and_access_times(
    tmp_path: Path, src_kind: str, dst_kind: str
) -> None:
    src = _source(src_kind, tmp_path / "src")
    record = tmp_path / "record.json"
    r = run("export", src.path, "-o", str(record))
    assert r.returncode == 0, r.stderr
    dst = GlanceService(dst_kind, str(tmp_path / "dst"))  # the node rebuilt: same images
    for n, i in enumerate(CACHED):
        dst.cache(i, data(n))
    r = run("import", dst.path, str(record), "--yes")
    assert r.returncode == 0, r.stderr
    assert "Restored 6 of 6." in r.stdout
    # Glance's own driver of the other kind sees the original hits, sizes and times.
    assert {i: dst.hit_count(i) for i in CACHED} == dict(zip(CACHED, HITS, strict=True))
    sizes = {str(r["image_id"]): int(r["size"]) for r in dst.cached_images()}
    assert sizes == {i: len(data(n)) for n, i in enumerate(CACHED)}
    for k, i in enumerate(CACHED):
        want = BASE_NS + k * 1_234_567_891
        assert abs(_accessed_ns(dst, i) - want) < 1_000_000, i  # within 1 ms
    rows = {str(r["image_id"]): r for r in dst.cached_images()}
    assert int(rows[CACHED[0]]["last_accessed"]) == BASE_NS // 10**9
    # And its pruner now evicts in the original LRU order.
    assert dst.glance_prune(0) == CACHED
    again = run("import", dst.path, str(record), "--yes")
    assert "6 in the record have no file here" in again.stdout


def test_importing_twice_restores_nothing_the_second_time(tmp_path: Path) -> None:
    src = _source("sqlite", tmp_path / "src")
    record = tmp_path / "r.json"
    assert run("export", src.path, "-o", str(record)).returncode == 0
    dst = GlanceService("xattr", str(tmp_path / "dst"))
    for n, i in enumerate(CACHED[:4]):
        dst.cache(i, data(n))
    code, doc = run_json("import", dst.path, str(record), "--dry-run")
    assert code == 0 and len(doc["updates"]) == 4 and sorted(doc["missing"]) == CACHED[4:]
    wanted = dict(zip(CACHED[:4], HITS[:4], strict=True))
    assert {u["id"]: u["hits"] for u in doc["updates"]} == wanted
    assert dst.hit_count(CACHED[0]) == 0  # a dry run changed nothing
    assert run("import", dst.path, str(record), "--yes").returncode == 0
    r = run("import", dst.path, str(record), "--yes")
    assert r.returncode == 0
    assert "Nothing to restore" in r.stdout and "4 already as recorded" in r.stdout


def _bad_records(good: bytes) -> dict[str, tuple[bytes, str]]:
    doc = json.loads(good)
    newer = dict(doc, version=999)
    malformed = json.loads(good)
    malformed["cache-entries"][0]["hits"] = "lots"
    return {
        "version 999": (json.dumps(newer).encode(), "version 999 record, newer than"),
        "truncated": (good[: len(good) // 2], "is not a complete metadata record"),
        "malformed": (json.dumps(malformed).encode(), "entry 1 of cache-entries is malformed"),
        "not a record": (b"[1, 2, 3]", "not a metadata record"),
    }


@pytest.mark.parametrize("case", ["version 999", "truncated", "malformed", "not a record"])
def test_a_bad_record_is_refused_and_the_cache_unchanged(
    glance: GlanceService, tmp_path: Path, case: str
) -> None:
    for n, i in enumerate(CACHED):
        glance.cache(i, data(n))
    glance.read(CACHED[0], 2)
    good = tmp_path / "good.json"
    assert run("export", glance.path, "-o", str(good)).returncode == 0
    for i in CACHED:  # the record says otherwise than the cache now
        glance.read(i)
    content, message = _bad_records(good.read_bytes())[case]
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    before = disk_state(Path(glance.path))
    r = run("import", glance.path, str(bad), "--yes")
    assert r.returncode == 1
    [line] = r.stderr.strip().splitlines()
    assert message in line and "Traceback" not in r.stderr
    assert disk_state(Path(glance.path)) == before
    assert run("diff", str(good), str(bad)).returncode == 1


def test_diff_tells_what_appeared_vanished_and_grew(glance: GlanceService, tmp_path: Path) -> None:
    for n, i in enumerate(CACHED[:4]):
        glance.cache(i, data(n))
    glance.read(CACHED[0])
    a = tmp_path / "a.json"
    assert run("export", glance.path, "-o", str(a)).returncode == 0
    glance.read(CACHED[0], 2)
    glance.read(CACHED[2], 1)
    glance.driver.delete_cached_image(CACHED[3])
    glance.cache(IDS[8], b"new")
    glance.queue(IDS[9])
    b = tmp_path / "b.json"
    assert run("export", glance.path, "-o", str(b)).returncode == 0
    code, doc = run_json("diff", str(a), str(b))
    assert code == 0
    assert [(e["state"], e["id"]) for e in doc["appeared"]] == [
        ("cached", IDS[8]),
        ("queued", IDS[9]),
    ]
    assert [e["id"] for e in doc["vanished"]] == [CACHED[3]]
    assert [(c["id"], c["before"], c["after"]) for c in doc["hits_grew"]] == [
        (CACHED[0], 1, 3),
        (CACHED[2], 0, 1),
    ]
    text = run("diff", str(a), str(b)).stdout
    assert "Appeared (2)" in text and "Vanished (1)" in text and "Grew in hits (2)" in text


def test_export_writes_every_entry_and_the_settings(glance: GlanceService, tmp_path: Path) -> None:
    for n, i in enumerate(CACHED[:2]):
        glance.cache(i, data(n))
    glance.queue(IDS[9])
    glance.fail(IDS[10], b"x", "broken stream")
    r = run("export", glance.path, "-o", "-")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["version"] == 1
    settings = doc["cache-settings"]
    assert settings["kind"] == glance.kind and settings["path"] == glance.path
    assert settings["max_size"] == 10 * 1024**3 and settings["stall_time"] == 86400
    entries = {(e["state"], e["id"]): e for e in doc["cache-entries"]}
    assert set(entries) == {
        ("cached", CACHED[0]),
        ("cached", CACHED[1]),
        ("queued", IDS[9]),
        ("invalid", IDS[10]),
    }
    assert entries[("queued", IDS[9])]["position"] == 1
    if glance.kind == "xattr":
        assert entries[("invalid", IDS[10])]["error"] == "broken stream"
    cached = entries[("cached", CACHED[0])]
    assert cached["size"] == len(data(0)) and cached["hits"] == 0
    assert cached["last_accessed"].endswith("Z") and cached["node"] is None


def test_export_refuses_to_write_into_the_cache(glance: GlanceService) -> None:
    glance.cache(CACHED[0], b"x")
    r = run("export", glance.path, "-o", os.path.join(glance.path, "record.json"))
    assert r.returncode == 1
    assert "inside the cache directory" in r.stderr
    assert not os.path.exists(os.path.join(glance.path, "record.json"))
