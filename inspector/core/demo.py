"""Build a realistic demo cache, written the way Glance's drivers write one.

Each cached image goes through Glance's write path: a file opened in
``incomplete/``, renamed into the cache directory, then its metadata recorded
(a ``cached_images`` row, or ``user.hits``).  Failed downloads are renamed to
``invalid/`` (with ``user.error`` for the xattr driver), queued ids are empty
files in ``queue/``.  Files are sparse: a demo of hundreds of gigabytes costs
no disk.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from inspector.core.drivers import xattrs
from inspector.core.drivers.glance.layout import SQLITE_INIT_LOCK, SUBDIRS

GLANCE_SCHEMA = """
CREATE TABLE IF NOT EXISTS cached_images (
    image_id TEXT PRIMARY KEY,
    last_accessed REAL DEFAULT 0.0,
    last_modified REAL DEFAULT 0.0,
    size INTEGER DEFAULT 0,
    hits INTEGER DEFAULT 0,
    checksum TEXT
);
"""

KINDS = ("sqlite", "xattr")

_ERRORS = (
    "Corrupt image download. Checksum was 3f2a9c0e5b0d4e6f8a1b2c3d4e5f6a7b expected "
    "9e107d9d372bb6826bd81d3542a419d6",
    "('Connection broken: IncompleteRead(104857600 bytes read, 943718400 more expected)', "
    "IncompleteRead(104857600 bytes read, 943718400 more expected))",
    "[Errno 28] No space left on device",
    "Size of image file 2147483648 does not match the size recorded (2147483647)",
    "incomplete fetch",
)

MiB = 1024**2
GiB = 1024**3
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class DemoSpec:
    cached: int = 240
    queued: int = 24
    incomplete: int = 10
    stalled: int = 4
    invalid: int = 8
    #: Total bytes of the cached images: a little over Glance's 10 GiB default
    #: maximum, as a cache looks just before its periodic prune.
    cached_bytes: int = 12 * 1024**3 + 512 * 1024**2


def _image_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _image_size(rng: random.Random) -> int:
    # Image sizes are roughly log-normal: many small cloud images, a few huge ones.
    size = int(rng.lognormvariate(mu=20.0, sigma=1.6))
    return max(MiB, min(size, 40 * GiB))


def _sparse_file(path: Path, size: int) -> None:
    with open(path, "wb") as fh:
        fh.truncate(size)


def build_demo_cache(
    path: str | os.PathLike[str],
    kind: str = "sqlite",
    spec: DemoSpec | None = None,
    *,
    seed: int = 2024,
    now: float | None = None,
) -> Path:
    """Write a demo Glance cache of ``kind`` (``sqlite`` or ``xattr``) at ``path``.

    ``path`` must not exist or be an empty directory.  Returns the path.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown demo cache kind {kind!r}; choose one of {', '.join(KINDS)}.")
    spec = spec or DemoSpec()
    rng = random.Random(seed)
    now = time.time() if now is None else now
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    if any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty; the demo cache needs an empty directory.")
    for sub in SUBDIRS.values():
        (root / sub).mkdir()
    if kind == "xattr" and not xattrs.supported(root):
        raise OSError(f"{root} is on a filesystem without extended attributes.")

    sizes = [_image_size(rng) for _ in range(spec.cached)]
    scale = spec.cached_bytes / sum(sizes) if sizes else 1.0
    rows: list[tuple[str, float, float, int, int]] = []
    for raw_size in sizes:
        image_id = _image_id(rng)
        size = max(1, int(raw_size * scale))
        modified = now - rng.uniform(0.2, 90) * DAY
        # Recently written images are read more: last access between write and now.
        accessed = modified + (now - modified) * rng.random() ** 2
        # A few hot images carry most of the hits; some were never read again.
        hits = int(rng.lognormvariate(1.5, 1.4)) if rng.random() < 0.85 else 0
        incomplete = root / "incomplete" / image_id
        _sparse_file(incomplete, size)
        final = root / image_id
        if kind == "xattr":
            xattrs.put(incomplete, "hits", 0)
            os.rename(incomplete, final)
            if hits:
                xattrs.put(final, "hits", hits)
        else:
            os.rename(incomplete, final)
        os.utime(final, (accessed, modified))
        rows.append((image_id, accessed, modified, hits, size))

    if kind == "sqlite":
        (root / SQLITE_INIT_LOCK).touch()  # oslo.concurrency's lock file, as Glance leaves it
        conn = sqlite3.connect(root / "cache.db")
        try:
            conn.executescript(GLANCE_SCHEMA)
            with conn:
                conn.executemany(
                    "INSERT INTO cached_images "
                    "(image_id, last_accessed, last_modified, hits, size) VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
        finally:
            conn.close()

    for i in range(spec.queued):
        queued = root / "queue" / _image_id(rng)
        queued.touch()
        at = now - (spec.queued - i) * rng.uniform(30, 600)
        os.utime(queued, (at, at))

    for i in range(spec.incomplete + spec.stalled):
        partial = root / "incomplete" / _image_id(rng)
        full = _image_size(rng) * scale
        _sparse_file(partial, int(full * rng.uniform(0.05, 0.95)))
        stalled = i >= spec.incomplete
        at = now - (rng.uniform(1.2, 6) * DAY if stalled else rng.uniform(5, 3000))
        os.utime(partial, (at, at))

    for _ in range(spec.invalid):
        image_id = _image_id(rng)
        incomplete = root / "incomplete" / image_id
        _sparse_file(incomplete, int(_image_size(rng) * scale * rng.uniform(0.1, 1.0)))
        invalid = root / "invalid" / image_id
        if kind == "xattr":
            xattrs.put(incomplete, "error", rng.choice(_ERRORS))
        os.rename(incomplete, invalid)
        at = now - rng.uniform(0.01, 20) * DAY
        os.utime(invalid, (at, at))
    return root
