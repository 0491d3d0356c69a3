"""``verify --checksums FILE``, run in this process (``inspector.cli.main``).

``tests/core/test_verify.py`` runs the installed CLI as a process: these run
``main`` so that mutation testing sees how a checksum file is read.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from inspector.cli import main
from tests.glance_service import GlanceService
from tests.trust_caches import CACHED, read_noatime, typical

PROG = "cache-inspector-cli"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue(), capsys.readouterr().err


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
