"""Glance's ``xattr`` cache driver: metadata in each file's extended attributes.

``user.hits`` holds the hit count, ``user.error`` the reason an invalid entry
failed; last accessed is the file's atime and last modified its mtime.
"""

from __future__ import annotations

from collections.abc import Sequence

from inspector.core.drivers import xattrs
from inspector.core.drivers.base import ProgressTicker
from inspector.core.drivers.fsscan import FileInfo
from inspector.core.drivers.glance.layout import GlanceDriver, link_note
from inspector.core.drivers.glance.probe import probe_xattr
from inspector.core.model import Entry, State, make_entry
from inspector.core.source import CacheSource

NO_XATTR_WARNING = (
    "The filesystem holding this cache does not support extended attributes: "
    "hit counts and error texts are unknown. Glance's xattr driver needs a "
    "filesystem mounted with user_xattr."
)


class XattrDriver(GlanceDriver):
    name = "xattr"
    title = "Glance (xattr)"

    def __init__(self, source: CacheSource) -> None:
        super().__init__(source)
        self._xattr_ok = True

    @classmethod
    def probe(cls, source: CacheSource) -> bool:
        return source.path is not None and probe_xattr(source.path, source.options)

    def _read_text(self, info: FileInfo, key: str) -> str | None:
        if not self._xattr_ok or info.is_link:
            return None
        try:
            return xattrs.get_text(info.path, key)
        except xattrs.XattrUnsupportedError:
            self._no_xattrs()
            return None
        except OSError:  # vanished, or unreadable: the value is unknown
            return None

    def _no_xattrs(self) -> None:
        """The filesystem has no user xattrs: stop asking, and say so once."""
        self._xattr_ok = False
        self.warnings.append(NO_XATTR_WARNING)

    def _scan_cached(self, ticker: ProgressTicker) -> list[Entry]:
        self._xattr_ok = True
        entries: list[Entry] = []
        append = entries.append
        cached = State.CACHED
        read_hits = xattrs.int_reader("hits")  # one bound call per file: this loop is hot
        for f in self._files(cached, ticker):
            hits = None
            if self._xattr_ok and not f.is_link:
                try:
                    hits = read_hits(f.path)
                except xattrs.XattrUnsupportedError:
                    self._no_xattrs()
                except OSError:  # vanished, or unreadable: the value is unknown
                    pass
            append(make_entry(f.name, cached, f.size, hits, f.atime, f.mtime, note=link_note(f)))
        return entries

    def eviction_order(self, entries: Sequence[Entry]) -> list[Entry]:
        """Glance's xattr pruner: oldest atime in whole seconds, then smaller size, then id."""
        cached = [e for e in entries if e.state is State.CACHED]
        return sorted(cached, key=lambda e: (int(e.accessed_ts or 0), e.size, e.id))

    def _error_text(self, info: FileInfo) -> str | None:
        return self._read_text(info, "error")
