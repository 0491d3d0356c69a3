"""Checksum files as GNU coreutils write them, read by ``parse_checksums``.

The files are made by the real ``md5sum``, ``sha256sum`` and ``sha512sum`` (GNU
form and ``--tag`` form, names with a backslash or a newline, which the tools
escape), some copied with DOS line ends; each refusal is one whole line.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from inspector.core.verify import ChecksumFileError, parse_checksums

NAMES = ["img-1", "we\\ird", "new\nline"]


@pytest.fixture
def images(tmp_path: Path) -> dict[str, bytes]:
    if shutil.which("sha256sum") is None:
        pytest.skip("GNU coreutils' sha256sum is not installed")
    (tmp_path / "sub").mkdir()
    made = {}
    for n, name in enumerate(NAMES):
        made[name] = bytes([65 + n]) * (100 + n)
        (tmp_path / "sub" / name).write_bytes(made[name])
    return made


def tool(tmp_path: Path, *argv: str) -> str:
    names = [f"sub/{name}" for name in NAMES]
    return subprocess.run(
        [*argv, *names], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize(
    ("argv", "algorithm"),
    [
        (["md5sum"], "md5"),
        (["sha256sum"], "sha256"),
        (["sha256sum", "--tag"], "sha256"),
        (["sha512sum", "--tag"], "sha512"),
        (["sha1sum", "-b"], "sha1"),
    ],
)
def test_what_the_tools_print_is_read_by_the_last_name_part(
    images: dict[str, bytes], tmp_path: Path, argv: list[str], algorithm: str
) -> None:
    text = tool(tmp_path, *argv)
    want = {
        name: (algorithm, hashlib.new(algorithm, data).hexdigest())
        for name, data in images.items()
    }
    assert parse_checksums(text) == want
    assert parse_checksums(text.replace("\n", "\r\n")) == want  # copied through Windows


def test_comments_blank_lines_trailing_slashes_and_a_dashed_algorithm() -> None:
    digest = "ab" * 32
    text = f"# made by hand\n\n   \nSHA-256 (/images/img-9/) = {digest.upper()}\n"
    assert parse_checksums(text) == {"img-9": ("sha256", digest)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            f"{'a' * 64}  ok\nthis is not a checksum\n",
            "SUMS, line 2: not a checksum line (expected 'DIGEST  NAME' as md5sum, sha256sum "
            "or sha512sum print it).",
        ),
        (
            "abcdef1  img\n",
            "SUMS, line 1: a digest of 7 hex digits is none of md5, sha1, sha256 or sha512.",
        ),
        (f"SHA256 (img) = {'a' * 32}\n", "SUMS, line 1: SHA256 does not make a 32-digit digest."),
    ],
)
def test_a_line_that_is_none_of_these_refuses_the_file(text: str, message: str) -> None:
    with pytest.raises(ChecksumFileError) as refused:
        parse_checksums(text, "SUMS")
    assert str(refused.value) == message
