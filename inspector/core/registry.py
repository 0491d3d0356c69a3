"""Opening a cache: pick the driver from what is on disk, or the one asked for."""

from __future__ import annotations

import os
from pathlib import Path

from inspector.core.driver import CacheDriver, CacheOptions, check_directory
from inspector.core.errors import NotACacheError
from inspector.core.glance_sqlite import SqliteDriver
from inspector.core.glance_xattr import XattrDriver

#: Every driver by name, in detection order.
DRIVERS: dict[str, type[CacheDriver]] = {
    SqliteDriver.name: SqliteDriver,
    XattrDriver.name: XattrDriver,
}


def detect_driver(path: Path, options: CacheOptions | None = None) -> type[CacheDriver]:
    """The driver class whose format is on disk at ``path``."""
    options = options or CacheOptions()
    check_directory(path)
    for cls in DRIVERS.values():
        if cls.detect(path, options):
            return cls
    raise NotACacheError(
        f"{path} does not look like a cache: it has no {options.sqlite_db} and none of "
        "Glance's incomplete/, invalid/ or queue/ directories."
    )


def open_cache(
    path: str | os.PathLike[str],
    driver: str | None = None,
    options: CacheOptions | None = None,
) -> CacheDriver:
    """Open the cache at ``path`` read-only; nothing on disk is created or changed."""
    root = Path(path).expanduser()
    options = options or CacheOptions()
    if driver is None:
        cls = detect_driver(root, options)
    else:
        try:
            cls = DRIVERS[driver]
        except KeyError:
            known = ", ".join(DRIVERS)
            raise ValueError(f"Unknown cache kind {driver!r}; known kinds: {known}.") from None
        check_directory(root)
        if not cls.plausible(root, options):
            raise NotACacheError(f"{root} does not look like a {cls.title} cache.")
    return cls(root, options)
