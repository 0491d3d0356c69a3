"""A filesystem mounted for a test (root only): ramfs without xattrs, tmpfs as another device."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def mounted(fstype: str, mnt: Path, why: str) -> Iterator[Path]:
    """``fstype`` mounted on ``mnt`` (made if need be) until the block ends; the test is
    skipped, saying ``why`` it wanted one, where this user or machine cannot mount."""
    mnt.mkdir(exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip(f"{why} needs root")
    r = subprocess.run(["mount", "-t", fstype, fstype, str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount {fstype} here: {r.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
