"""Opening a cache: the driver whose format is on disk, checked, never guessed."""

from __future__ import annotations

import os
from pathlib import Path

from inspector.core.driver import CacheDriver, CacheOptions, check_directory
from inspector.core.errors import NotACacheError
from inspector.core.glance import detect_kind
from inspector.core.glance_sqlite import SqliteDriver
from inspector.core.glance_xattr import XattrDriver

#: Every driver by name, in detection order.
DRIVERS: dict[str, type[CacheDriver]] = {
    SqliteDriver.name: SqliteDriver,
    XattrDriver.name: XattrDriver,
}


def detect_driver(path: Path, options: CacheOptions | None = None) -> type[CacheDriver]:
    """The driver class whose format is on disk at ``path`` (or a clear refusal)."""
    options = options or CacheOptions()
    check_directory(path)
    return DRIVERS[detect_kind(path, options)]


def open_cache(
    path: str | os.PathLike[str],
    driver: str | None = None,
    options: CacheOptions | None = None,
) -> CacheDriver:
    """Open the cache at ``path`` read-only; nothing on disk is created or changed.

    ``driver`` names the kind the caller expects: it is checked against what
    is on disk, and a directory that is plainly another kind is refused.
    """
    root = Path(path).expanduser()
    options = options or CacheOptions()
    if driver is not None and driver not in DRIVERS:
        known = ", ".join(DRIVERS)
        raise ValueError(f"Unknown cache kind {driver!r}; known kinds: {known}.")
    cls = detect_driver(root, options)
    if driver is not None and cls.name != driver:
        raise NotACacheError(
            f"{root} is a {cls.title} cache, not {DRIVERS[driver].title}: "
            f"--driver {driver} does not match what is on disk, so it is not opened."
        )
    return cls(root, options)
