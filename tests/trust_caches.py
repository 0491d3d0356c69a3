"""Caches the real Glance wrote, for the audit, verify and records tests.

A "typical" cache holds what a running node has: cached images with hits,
one queued image, one failed download (invalid) and one in flight
(incomplete).  Problems are injected into copies of it, never by writing
the cache the way the inspector would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.glance_service import GlanceService

CLI = str(Path(sys.executable).parent / "cache-inspector-cli")

IDS = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(1, 21)]
CACHED = IDS[:6]
QUEUED = IDS[10]
FAILED = IDS[11]
IN_FLIGHT = IDS[12]


def data(n: int) -> bytes:
    """Image ``n``'s bytes: distinct content and size."""
    return bytes([65 + n]) * (1000 * (n + 1)) + n.to_bytes(2, "big")


def typical(glance: GlanceService) -> GlanceService:
    """A cache as a live node leaves it, written by Glance's own driver."""
    for n, image_id in enumerate(CACHED):
        glance.cache(image_id, data(n))
    glance.read(CACHED[0], 3)
    glance.read(CACHED[1], 1)
    glance.queue(QUEUED)
    glance.fail(FAILED, b"partial", "checksum mismatch")
    glance.start(IN_FLIGHT, b"in flight")
    return glance


def copy_of(glance: GlanceService, where: Path) -> Path:
    """A copy (files, xattrs, times) of the cache: problems go into copies."""
    shutil.copytree(glance.path, where, symlinks=True, copy_function=shutil.copy2)
    return where


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env=env,
    )


def run_json(*args: str) -> tuple[int, dict[str, Any]]:
    r = run(*args, "--json")
    assert r.stdout, r.stderr
    return r.returncode, json.loads(r.stdout)


def sql(root: Path, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(root / "cache.db")
    try:
        with conn:
            return conn.execute(statement, params).fetchall()
    finally:
        conn.close()


def age(path: Path, seconds: float) -> None:
    """Make ``path`` look written ``seconds`` ago (mtime and atime)."""
    st = os.lstat(path)
    ns = st.st_mtime_ns - int(seconds * 1e9)
    os.utime(path, ns=(ns, ns), follow_symlinks=False)


def image_files(root: Path) -> dict[str, int]:
    """The image files in the cache directory: regular files named by an image id."""
    return {
        p.name: p.stat().st_size
        for p in root.iterdir()
        if p.is_file() and not p.is_symlink() and UUID.fullmatch(p.name)
    }


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def read_noatime(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOATIME)
    try:
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()
    finally:
        os.close(fd)


def disk_state(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every path's kind, size, times, xattrs and (for files) bytes, read without moving
    an atime: a cache unchanged keeps all of it."""
    found: dict[str, tuple[Any, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            attrs = {}
            if not os.path.islink(p):
                attrs = {k: os.getxattr(p, k) for k in os.listxattr(p)}
            plain = os.path.isfile(p) and not os.path.islink(p)
            content = read_noatime(p) if plain else b""
            # SQLite opens its database itself; os.walk lists the directories; the
            # scan stat()s through a symlink for its target's size, and Linux moves a
            # link's own atime when it is followed (no service reads that atime).
            skip = name.startswith("cache.db") or not stat.S_ISREG(st.st_mode)
            atime = None if skip else st.st_atime_ns
            found[p] = (st.st_mode, st.st_size, st.st_mtime_ns, atime, attrs, content)
    return found
