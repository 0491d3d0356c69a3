"""``verify --checksums FILE``, run in this process (``inspector.cli.main``).

``tests/core/test_verify.py`` runs the installed CLI as a process: these run
``main`` so that mutation testing sees how a checksum file is read.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.core.cli_inprocess import PROG, cli
from tests.glance_service import GlanceService
from tests.services.glance_db import create_image
from tests.trust_caches import CACHED, read_noatime, sql, typical


@pytest.mark.parametrize("kind", ["sqlite"])
def test_a_checksum_file_names_where_each_expected_digest_came_from(
    glance: GlanceService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typical(glance)
    root = Path(glance.path)
    lines = [b"# made on the image store \xe9t\xe9"]  # not UTF-8: a comment all the same
    for i in CACHED[:2]:
        digest = hashlib.sha256(read_noatime(str(root / i))).hexdigest()
        lines.append(f"{digest}  /var/lib/glance/images/{i}".encode())
    lines.append(f"{'0' * 64}  {CACHED[2]}".encode())
    sums = tmp_path / "SHA256SUMS"
    sums.write_bytes(b"\n".join(lines) + b"\n")
    code, stdout, err = cli(capsys, "verify", glance.path, "--checksums", str(sums), "--json")
    assert code == 1, err
    results = {r["id"]: r for r in json.loads(stdout)["results"]}
    assert {i: r["status"] for i, r in results.items()} == {
        CACHED[0]: "ok",
        CACHED[1]: "ok",
        CACHED[2]: "mismatch",
        **{i: "unknown" for i in CACHED[3:]},
    }
    assert {results[i]["detail"] for i in CACHED[:3]} == {"checksum file SHA256SUMS"}


@pytest.mark.parametrize("kind", ["sqlite"])
def test_a_checksum_file_that_cannot_be_read_is_refused(
    glance: GlanceService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typical(glance)
    missing = tmp_path / "SHA256SUMS"
    code, stdout, err = cli(capsys, "verify", glance.path, "--checksums", str(missing))
    assert (code, stdout) == (1, "")
    assert err == (f"{PROG}: error: {missing} cannot be read: No such file or directory.\n")


@pytest.mark.parametrize("kind", ["sqlite"])
def test_each_result_whole_and_the_bytes_read(
    glance: GlanceService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typical(glance)
    root = Path(glance.path)
    md5 = {i: hashlib.md5(read_noatime(str(root / i))).hexdigest() for i in CACHED[:4]}
    sums = tmp_path / "MD5SUMS"
    sums.write_text("".join(f"{md5[i]}  {i}\n" for i in CACHED[:4]))
    (root / CACHED[1]).write_bytes(b"changed")  # a mismatch
    (root / CACHED[2]).unlink()  # a row without its file
    (tmp_path / "outside").write_bytes(b"x")
    (root / CACHED[3]).unlink()
    (root / CACHED[3]).symlink_to(tmp_path / "outside")
    code, stdout, err = cli(capsys, "verify", glance.path, "--checksums", str(sums), "--json")
    assert code == 1
    assert err == (
        f"{PROG}: error: {CACHED[1]}: md5 is {hashlib.md5(b'changed').hexdigest()}, expected "
        f"{md5[CACHED[1]]} (checksum file MD5SUMS)\n"
    )

    def unknown(i: str, why: str) -> dict[str, object]:
        return {
            "id": i,
            "status": "unknown",
            "algorithm": None,
            "expected": None,
            "actual": None,
            "detail": why,
        }

    assert json.loads(stdout) == {
        "results": [
            unknown(CACHED[2], "its file is not there"),
            unknown(CACHED[3], "a symbolic link: not followed"),
            unknown(CACHED[4], "no expected digest for it"),
            unknown(CACHED[5], "no expected digest for it"),
            {
                "id": CACHED[0],
                "status": "ok",
                "algorithm": "md5",
                "expected": md5[CACHED[0]],
                "actual": md5[CACHED[0]],
                "detail": "checksum file MD5SUMS",
            },
            {
                "id": CACHED[1],
                "status": "mismatch",
                "algorithm": "md5",
                "expected": md5[CACHED[1]],
                "actual": hashlib.md5(b"changed").hexdigest(),
                "detail": "checksum file MD5SUMS",
            },
        ],
        "cancelled": False,
        "bytes_read": len(read_noatime(str(root / CACHED[0]))) + len(b"changed"),
        "warnings": [],
    }
    code, stdout, _ = cli(capsys, "verify", glance.path, "--checksums", str(sums))
    assert code == 1
    assert stdout.splitlines()[-1].startswith("1 ok, 1 mismatch, 4 unknown; read 1009 Bytes in ")


@pytest.mark.parametrize("kind", ["sqlite"])
def test_the_caches_own_checksum_column_in_any_case(
    glance: GlanceService, capsys: pytest.CaptureFixture[str]
) -> None:
    typical(glance)
    root = Path(glance.path)
    digest = hashlib.md5(read_noatime(str(root / CACHED[0]))).hexdigest()
    sql(
        root, "UPDATE cached_images SET checksum = ? WHERE image_id = ?", digest.upper(), CACHED[0]
    )
    sql(root, "UPDATE cached_images SET checksum = ? WHERE image_id = ?", "not-hex", CACHED[1])
    sql(root, "UPDATE cached_images SET checksum = ? WHERE image_id = ?", "abc123", CACHED[2])
    code, stdout, err = cli(capsys, "verify", glance.path, "--json")
    assert (code, err) == (0, "")
    results = {r["id"]: r for r in json.loads(stdout)["results"]}
    assert results[CACHED[0]] == {
        "id": CACHED[0],
        "status": "ok",
        "algorithm": "md5",
        "expected": digest,
        "actual": digest,
        "detail": "the cache's checksum",
    }
    # Not hex, or of no digest's length: no expected digest at all.
    assert {results[i]["detail"] for i in CACHED[1:]} == {"no expected digest for it"}


@pytest.mark.parametrize("glance_db_backend", ["sqlite"])
def test_glances_image_records_give_the_digest_after_a_checksum_file(
    glance_db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = b"1" * 3000, b"2" * 2000
    first = create_image(glance_db_url, name="one", data=one)["id"]
    second = create_image(glance_db_url, name="two", data=two)["id"]
    cache = GlanceService("sqlite", str(tmp_path / "cache"))
    cache.cache(first, one)
    cache.cache(second, b"2" * 1999 + b"!")  # not what Glance recorded
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(f"{hashlib.sha256(one).hexdigest()}  {first}\n")
    code, stdout, _ = cli(
        capsys, "verify", cache.path, "--db", glance_db_url, "--checksums", str(sums), "--json"
    )
    results = {r["id"]: r for r in json.loads(stdout)["results"]}
    assert (results[first]["status"], results[first]["algorithm"], results[first]["detail"]) == (
        "ok",
        "sha256",
        "checksum file SHA256SUMS",
    )
    assert results[second] == {
        "id": second,
        "status": "mismatch",
        "algorithm": "sha512",
        "expected": hashlib.sha512(two).hexdigest(),
        "actual": hashlib.sha512(b"2" * 1999 + b"!").hexdigest(),
        "detail": "the image record",
    }
    assert code == 1


@pytest.mark.parametrize("glance_db_backend", ["sqlite"])
def test_an_image_recorded_before_glance_kept_a_multihash_is_checked_by_its_md5(
    glance_db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Images uploaded before Glance recorded ``os_hash_value`` carry only ``checksum``."""
    good, bad = b"3" * 1500, b"4" * 2500
    legacy = {
        data: create_image(
            glance_db_url, name="legacy", size=len(data), checksum=hashlib.md5(data).hexdigest()
        )["id"]
        for data in (good, bad)
    }
    cache = GlanceService("sqlite", str(tmp_path / "cache"))
    cache.cache(legacy[good], good)
    cache.cache(legacy[bad], b"4" * 2499 + b"!")
    code, stdout, _ = cli(capsys, "verify", cache.path, "--db", glance_db_url, "--json")
    results = {r["id"]: r for r in json.loads(stdout)["results"]}
    assert results[legacy[good]]["status"] == "ok"
    assert results[legacy[bad]] == {
        "id": legacy[bad],
        "status": "mismatch",
        "algorithm": "md5",
        "expected": hashlib.md5(bad).hexdigest(),
        "actual": hashlib.md5(b"4" * 2499 + b"!").hexdigest(),
        "detail": "the image record",
    }
    assert code == 1


@pytest.mark.parametrize("kind", ["sqlite"])
def test_a_malformed_checksum_file_names_itself(
    glance: GlanceService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typical(glance)
    sums = tmp_path / "SUMS"
    sums.write_text("not a checksum line\n")
    code, out, err = cli(capsys, "verify", glance.path, "--checksums", str(sums))
    assert (code, out) == (1, "")
    assert err == (
        f"{PROG}: error: {sums}, line 1: not a checksum line (expected 'DIGEST  NAME' as "
        "md5sum, sha256sum or sha512sum print it).\n"
    )


@pytest.mark.parametrize("kind", ["sqlite"])
def test_an_id_the_checksum_file_lacks_is_asked_of_the_caches_column(
    glance: GlanceService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typical(glance)
    root = Path(glance.path)
    digest = hashlib.md5(read_noatime(str(root / CACHED[1]))).hexdigest()
    sql(root, "UPDATE cached_images SET checksum = ? WHERE image_id = ?", digest, CACHED[1])
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(f"{hashlib.sha256(read_noatime(str(root / CACHED[0]))).hexdigest()}  x\n")
    code, stdout, _ = cli(capsys, "verify", glance.path, "--checksums", str(sums), "--json")
    assert code == 0
    results = {r["id"]: r for r in json.loads(stdout)["results"]}
    assert (results[CACHED[1]]["status"], results[CACHED[1]]["detail"]) == (
        "ok",
        "the cache's checksum",
    )
