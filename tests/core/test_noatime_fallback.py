"""A file opened by a user who does not own it: O_NOATIME is refused (EPERM), the file
is opened the ordinary way and read whole, and the caller is told (verify warns)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from inspector.core.drivers.fsops import open_noatime_at
from tests.core.nobody import as_nobody


def _read_all(fd: int) -> bytes:
    try:
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read()
    finally:
        os.close(fd)


def test_o_noatime_is_honoured_for_the_owner_and_refused_to_another_user(
    tmp_path: Path,
) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to become another user")
    top = tmp_path / "store"
    top.mkdir(mode=0o755)
    top.chmod(0o755)
    (top / "image").write_bytes(b"cached bytes")
    (top / "image").chmod(0o644)
    (top / "link").symlink_to("image")
    dir_fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd, honoured = open_noatime_at("image", dir_fd)
        assert (_read_all(fd), honoured) == (b"cached bytes", True)

        def as_another_user() -> dict[str, object]:  # opens through the directory
            fd, honoured = open_noatime_at("image", dir_fd)
            doc: dict[str, object] = {"data": _read_all(fd).decode(), "noatime": honoured}
            try:
                open_noatime_at("link", dir_fd)
            except OSError as exc:
                doc["link"] = exc.errno
            return doc

        seen = as_nobody(as_another_user)
    finally:
        os.close(dir_fd)

    assert seen == {"data": "cached bytes", "noatime": False, "link": errno.ELOOP}
