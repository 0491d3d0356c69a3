"""Caches written by the real Glance image-cache drivers (glance==33.0.0).

The tests build their caches through Glance's own write paths (open_for_write,
open_for_read, queue_image) so the inspector is checked against the format as
the service writes it, not as this project believes it to be.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import warnings
from typing import Any


def glance_available() -> bool:
    return importlib.util.find_spec("glance") is not None


_configured = False


def _conf() -> Any:
    global _configured
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import glance.image_cache  # noqa: F401  (registers image_cache_* options)
        from glance.image_cache.drivers import sqlite, xattr  # noqa: F401
        from oslo_config import cfg
    conf = cfg.CONF
    if not _configured:
        conf([], project="glance", default_config_files=[], default_config_dirs=[])
        _configured = True
    return conf


class GlanceService:
    """One Glance node's cache directory, driven through Glance's driver."""

    def __init__(self, kind: str, path: str) -> None:
        conf = _conf()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from glance.image_cache.drivers import sqlite, xattr
        conf.set_override("image_cache_dir", path)
        conf.set_override("image_cache_driver", kind)
        os.makedirs(path, exist_ok=True)
        module = {"sqlite": sqlite, "xattr": xattr}[kind]
        self.kind = kind
        self.path = path
        self.driver = module.Driver()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.driver.configure()
        self._in_flight: list[Any] = []

    def cache(self, image_id: str, data: bytes) -> None:
        """A completed download: Glance's open_for_write, committed."""
        with self.driver.open_for_write(image_id) as f:
            f.write(data)

    def fail(self, image_id: str, data: bytes, error: str) -> None:
        """A download that failed: Glance rolls it back into invalid/."""
        with contextlib.suppress(OSError), self.driver.open_for_write(image_id) as f:
            f.write(data)
            raise OSError(error)

    def start(self, image_id: str, data: bytes) -> None:
        """A download in flight: the incomplete file stays until :meth:`abandon`."""
        cm = self.driver.open_for_write(image_id)
        f = cm.__enter__()
        f.write(data)
        f.flush()
        self._in_flight.append(cm)

    def read(self, image_id: str, times: int = 1) -> None:
        """Serve the image ``times`` times: each full read counts a hit."""
        for _ in range(times):
            with self.driver.open_for_read(image_id) as f:
                while f.read(1 << 20):
                    pass

    def queue(self, image_id: str) -> bool:
        return bool(self.driver.queue_image(image_id))

    def queued(self) -> list[str]:
        return list(self.driver.get_queued_images())

    def cached_images(self) -> list[dict[str, Any]]:
        return list(self.driver.get_cached_images())

    def cache_size(self) -> int:
        return int(self.driver.get_cache_size())

    def hit_count(self, image_id: str) -> int:
        return int(self.driver.get_hit_count(image_id))

    def prune(self, max_size: int) -> None:
        """Glance's pruner loop (glance.image_cache.ImageCache.prune)."""
        from glance.image_cache.drivers import base  # noqa: F401

        while self.driver.get_cache_size() > max_size:
            lra = self.driver.get_least_recently_accessed()
            if lra is None:
                break
            self.driver.delete_cached_image(lra[0])

    def set_accessed(self, image_id: str, ns: int) -> None:
        """Set an image's last access, in nanoseconds, where this driver keeps it.

        xattr: the file's atime (its mtime is kept); sqlite: the row's
        ``last_accessed`` column (seconds, a REAL).
        """
        if self.kind == "xattr":
            path = os.path.join(self.path, image_id)
            os.utime(path, ns=(ns, os.stat(path).st_mtime_ns))
            return
        self.sql(
            "UPDATE cached_images SET last_accessed = ? WHERE image_id = ?", ns / 1e9, image_id
        )

    def sql(self, statement: str, *params: Any) -> None:
        """Run one statement on the sqlite driver's own database, and commit."""
        import sqlite3

        conn = sqlite3.connect(self.driver.db_path)
        try:
            with conn:
                conn.execute(statement, params)
        finally:
            conn.close()

    def glance_prune(self, max_size: int) -> list[str]:
        """Run Glance's own pruner (``ImageCache.prune``); the ids it deleted, in order.

        The pruner's loop is Glance's code, not a copy: only the driver's
        ``delete_cached_image`` is wrapped, to record each deletion.
        """
        from glance.image_cache import ImageCache

        conf = _conf()
        pruner = ImageCache.__new__(ImageCache)  # without init_driver: use this driver
        pruner.driver = self.driver
        deleted: list[str] = []
        delete = self.driver.delete_cached_image

        def recording(image_id: str) -> None:
            deleted.append(image_id)
            delete(image_id)

        self.driver.delete_cached_image = recording
        conf.set_override("image_cache_max_size", max_size)
        try:
            pruner.prune()
        finally:
            conf.clear_override("image_cache_max_size")
            del self.driver.delete_cached_image
        return deleted
