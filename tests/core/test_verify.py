"""Verify: cached files hashed and compared, without moving an access time."""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from inspector.core import open_cache
from inspector.core.model import State
from inspector.core.verify import (
    ChecksumFileError,
    HashProgress,
    Origin,
    Status,
    parse_checksums,
    sources_for,
    verify,
)
from tests.core.nobody import as_nobody
from tests.glance_service import GlanceService
from tests.trust_caches import CACHED, copy_of, read_noatime, run, run_json, sql, typical


def _sums(root: Path, algorithm: str, ids: list[str] = CACHED, tag: bool = False) -> str:
    lines = []
    for i in ids:
        digest = hashlib.new(algorithm, read_noatime(str(root / i))).hexdigest()
        name = f"/var/lib/glance/image-cache/{i}"
        lines.append(f"{algorithm.upper()} ({name}) = {digest}" if tag else f"{digest}  {name}")
    return "\n".join(lines) + "\n"


def _age_atimes(root: Path) -> dict[str, int]:
    """Age every cached file's atime (a read would move it), and return them."""
    found = {}
    for i in CACHED:
        p = root / i
        st = os.stat(p)
        os.utime(p, ns=(st.st_mtime_ns - 10**12, st.st_mtime_ns))
        found[i] = os.stat(p).st_atime_ns
    return found


def _atimes(root: Path) -> dict[str, int]:
    return {i: os.stat(root / i).st_atime_ns for i in CACHED}


def _flip(path: Path, offset: int = 100) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))


def test_a_flipped_byte_is_the_only_mismatch_and_no_atime_moves(
    glance: GlanceService, tmp_path: Path
) -> None:
    typical(glance)
    root = Path(glance.path)
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(_sums(root, "sha256"))
    _flip(root / CACHED[2])
    before = _age_atimes(root)
    code, doc = run_json("verify", glance.path, "--checksums", str(sums))
    assert code == 1
    status = {r["id"]: r["status"] for r in doc["results"]}
    assert status == {i: ("mismatch" if i == CACHED[2] else "ok") for i in CACHED}
    [bad] = [r for r in doc["results"] if r["status"] == "mismatch"]
    assert bad["algorithm"] == "sha256" and bad["expected"] != bad["actual"]
    assert bad["actual"] == hashlib.sha256(read_noatime(str(root / CACHED[2]))).hexdigest()
    assert _atimes(root) == before
    assert doc["warnings"] == []


@pytest.mark.parametrize(
    ("algorithm", "tag"), [("md5", False), ("sha512", False), ("sha512", True)]
)
def test_the_algorithm_is_told_by_the_digest(
    glance: GlanceService, tmp_path: Path, algorithm: str, tag: bool
) -> None:
    typical(glance)
    sums = tmp_path / "sums"
    sums.write_text(_sums(Path(glance.path), algorithm, CACHED[:3], tag))
    code, doc = run_json("verify", glance.path, "--checksums", str(sums))
    assert code == 0
    by_status: dict[str, set[str]] = {}
    for r in doc["results"]:
        by_status.setdefault(r["status"], set()).add(r["id"])
        if r["status"] == "ok":
            assert r["algorithm"] == algorithm and r["expected"] == r["actual"]
    assert by_status == {"ok": set(CACHED[:3]), "unknown": set(CACHED[3:])}


def test_the_caches_own_checksum_column_is_used_where_filled(
    glance: GlanceService,
) -> None:
    if glance.kind != "sqlite":
        pytest.skip("only Glance's database has a checksum column")
    typical(glance)
    root = Path(glance.path)
    for i in CACHED[:2]:
        sql(
            root,
            "UPDATE cached_images SET checksum = ? WHERE image_id = ?",
            hashlib.md5(read_noatime(str(root / i))).hexdigest(),
            i,
        )
    _flip(root / CACHED[1])
    code, doc = run_json("verify", glance.path)
    assert code == 1
    status = {r["id"]: r["status"] for r in doc["results"]}
    assert status[CACHED[0]] == "ok" and status[CACHED[1]] == "mismatch"
    assert {status[i] for i in CACHED[2:]} == {"unknown"}


def test_a_pluggable_source_comes_before_the_caches_column(glance: GlanceService) -> None:
    """The shape Glance's image records plug in with: id -> (algorithm, digest)."""
    typical(glance)
    root = Path(glance.path)
    records = {
        i: ("SHA512", hashlib.sha512(read_noatime(str(root / i))).hexdigest()) for i in CACHED
    }
    driver = open_cache(root)
    snap = driver.scan()
    origins = [Origin("image record", records.get), *sources_for(driver, snap.entries)]
    seen: list[HashProgress] = []
    report = verify(driver, snap.of_state(State.CACHED), origins, seen.append)
    assert {r.status for r in report.results} == {Status.OK}
    assert {r.algorithm for r in report.results} == {"sha512"}
    assert {r.detail for r in report.results} == {"image record"}
    total = sum(len(read_noatime(str(root / i))) for i in CACHED)
    assert seen[-1].bytes_done == seen[-1].bytes_total == total == report.bytes_read
    assert seen[-1].files_done == seen[-1].files_total == len(CACHED)
    assert all(a.bytes_done <= b.bytes_done for a, b in itertools.pairwise(seen))


def test_cancel_stops_between_blocks(glance: GlanceService) -> None:
    typical(glance)
    root = Path(glance.path)
    table = {i: ("md5", hashlib.md5(read_noatime(str(root / i))).hexdigest()) for i in CACHED}
    driver = open_cache(root)
    cached = driver.scan().of_state(State.CACHED)
    report = verify(driver, cached, [Origin("t", table.get)], lambda p: p.files_done < 2, 512)
    assert report.cancelled and not report.ok
    assert len(report.results) == 2


def test_a_malformed_checksum_file_is_refused_in_one_line(
    glance: GlanceService, tmp_path: Path
) -> None:
    typical(glance)
    sums = tmp_path / "sums"
    sums.write_text(f"{'a' * 64}  {CACHED[0]}\nthis is not a checksum\n")
    r = run("verify", glance.path, "--checksums", str(sums))
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        f"cache-inspector-cli: error: {sums}, line 2: not a checksum line (expected "
        "'DIGEST  NAME' as md5sum, sha256sum or sha512sum print it)."
    ]
    with pytest.raises(ChecksumFileError, match="line 1: a digest of 7 hex digits"):
        parse_checksums("abcdef1  x\n")


def test_without_o_noatime_files_are_read_and_a_warning_says_so(glance: GlanceService) -> None:
    """A user who does not own the files cannot use O_NOATIME: verify still works, and says so."""
    if os.geteuid() != 0:
        pytest.skip("needs root to become another user")
    typical(glance)
    top = Path(tempfile.mkdtemp(prefix="verify-noatime-"))
    try:
        top.chmod(0o755)
        root = copy_of(glance, top / "cache")
        table = {i: ("md5", hashlib.md5(read_noatime(str(root / i))).hexdigest()) for i in CACHED}
        driver = open_cache(root)
        cached = driver.scan().of_state(State.CACHED)

        def verified() -> dict[str, object]:  # by nobody, who does not own the files
            report = verify(driver, cached, [Origin("t", table.get)])
            return {"status": [str(r.status) for r in report.results], "w": report.warnings}

        doc = as_nobody(verified)
        assert doc["status"] == ["ok"] * len(CACHED)
        [warning] = doc["w"]
        assert "O_NOATIME" in warning and f"{len(CACHED)} file(s)" in warning
    finally:
        shutil.rmtree(top)
