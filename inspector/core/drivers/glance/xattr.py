"""Glance's ``xattr`` cache driver: metadata in each file's extended attributes.

``user.hits`` holds the hit count, ``user.error`` the reason an invalid entry
failed; last accessed is the file's atime and last modified its mtime.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Generator, Sequence

from inspector.core.drivers import mounts, xattrs
from inspector.core.drivers.base import (
    MetadataUpdate,
    Outcome,
    OutcomeStatus,
    ProgressTicker,
    kept,
    previous_cached,
)
from inspector.core.drivers.fsops import file_to_write
from inspector.core.drivers.fsscan import FileInfo
from inspector.core.drivers.glance.layout import GlanceDriver, link_note
from inspector.core.drivers.glance.probe import PROBE_SAMPLE, probe_xattr
from inspector.core.errors import CacheError, reason_of
from inspector.core.model import Entry, Snapshot, State, make_entry
from inspector.core.problems import Problem, ProblemKind
from inspector.core.sorting import gentle_sorted
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
        #: The last scan's cached ids with the atime Glance's pruner compares:
        #: whole seconds of ``stat`` through the path (a symlink's target).
        #: A link Glance's pruner never sees (dangling, or not to a regular
        #: file) is left out: it is no candidate for eviction.
        self._atime_s: dict[str, int] = {}

    @classmethod
    def probe(cls, source: CacheSource) -> bool:
        central = source.db_url is not None and source.kind != cls.name
        # As the centralized_db probe: a node named (or a kind) needs only a sample.
        named = source.kind is not None or source.node is not None
        sample = PROBE_SAMPLE if central and named else None
        return source.path is not None and probe_xattr(
            source.path, source.options, central, sample
        )

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
        atime_s: dict[str, int] = {}
        before = previous_cached(self.name)  # a refresh shares what did not change
        for f in self._files(cached, ticker):
            hits = None
            if self._xattr_ok and not f.is_link:
                try:
                    hits = read_hits(f.path)
                except xattrs.XattrUnsupportedError:
                    self._no_xattrs()
                except OSError:  # vanished, or unreadable: the value is unknown
                    pass
            note, old = link_note(f), before.get(f.name) if before else None
            append(
                (old and kept(old, f.size, hits, f.atime, f.mtime, None, note))
                or make_entry(f.name, cached, f.size, hits, f.atime, f.mtime, note=note)
            )
            image_id = entries[-1].id  # the id string the entry holds (a kept one's, shared)
            if not f.is_link:
                atime_s[image_id] = f.atime_ns // 1_000_000_000
            elif (seen := _seen_through_link(f.path)) is not None:
                atime_s[image_id] = seen
        self._atime_s = atime_s
        return entries

    def eviction_order(self, entries: Sequence[Entry]) -> list[Entry]:
        """Glance's xattr pruner: oldest atime in whole seconds, then smaller size, then id.

        Glance sorts ``(st_atime, st_size, path)`` of every regular file it
        finds by ``stat`` through its path: the integer seconds (never a
        rounded float), a symlink by its target, and no dangling link at all.
        The atimes are the last scan's; an entry that scan did not see as
        Glance does is no candidate.
        """
        atime_s = self._atime_s
        cached = [e for e in entries if e.state is State.CACHED and e.id in atime_s]
        return gentle_sorted(cached, key=lambda e: (atime_s[e.id], e.size, e.id))

    def _error_text(self, info: FileInfo) -> str | None:
        return self._read_text(info, "error")

    # -- trusting the cache ---------------------------------------------------

    def metadata_problems(self, snapshot: Snapshot) -> list[Problem]:
        """Besides the layout's: cached files without a usable ``user.hits``.

        Glance's xattr driver sets ``user.hits`` to 0 when it commits an image
        and increments it after every read (``inc_xattr``, which raises when
        the attribute is missing or not a number): without it the image is
        served but every read of it ends in an error.
        """
        found = super().metadata_problems(snapshot)
        if not self._xattr_ok:
            return found  # no xattrs on this filesystem: a health warning says so
        for e in snapshot.entries:
            if e.state is not State.CACHED or e.note is not None or e.hits is not None:
                continue
            if not self.is_entry_id(e.id):
                continue  # not an image at all: the audit says so, once
            try:
                raw = xattrs.get(self.path / e.id, "hits")
            except OSError:
                continue  # vanished meanwhile
            if raw is None:
                detail = "no user.hits: Glance's xattr driver sets it on every image it caches"
            else:
                detail = f"user.hits holds {raw[:20]!r}, not a number Glance can count up"
            found.append(
                Problem(
                    ProblemKind.FILE_WITHOUT_ROW,
                    e.id,
                    detail + " (each read of the image fails to count its hit)",
                    State.CACHED,
                    e,
                )
            )
        return found

    def health_warnings(self) -> list[str]:
        """No user xattrs (hits unknown), or a ``noatime`` mount (the LRU clock stopped)."""
        warnings = []
        if not xattrs.supported(self.path):
            warnings.append(NO_XATTR_WARNING)
        mount = mounts.mount_of(self.path)
        if mount is not None and mount.noatime:
            warnings.append(
                f"{self.path} is on a filesystem mounted noatime ({mount.mount_point}): "
                "the files' access times, the LRU clock of Glance's xattr driver, never move, "
                "so its pruner evicts images by when they were cached, not when last used. "
                "Mount it relatime or strictatime."
            )
        return warnings

    def write_metadata(self, updates: Sequence[MetadataUpdate]) -> Generator[Outcome, None, None]:
        """``user.hits`` as Glance sets it (``str(hits)``), then atime/mtime with ``utime(ns=)``.

        A file without ``user.hits`` gets one only with ``create`` (0 unless
        the update gives hits), as Glance's commit does.  The size is the
        file's own here: nothing to correct.  A filesystem without user
        xattrs stops the job (the hits cannot be written anywhere).
        """
        for u in updates:
            yield self._write_attrs(u)

    def _write_attrs(self, u: MetadataUpdate) -> Outcome:
        entry = u.entry
        try:
            self.check_id(entry.id)
        except CacheError as exc:
            return Outcome(entry, OutcomeStatus.FAILED, reason=reason_of(exc))
        st = file_to_write(self.path, entry, "its file is gone")
        if isinstance(st, Outcome):
            return st
        path = self.path / entry.id
        try:
            hits = u.hits
            raw = xattrs.get(path, "hits")
            if raw is None or not raw.strip().isdigit():
                if not u.create:
                    return Outcome(
                        entry, OutcomeStatus.GONE, reason="no usable user.hits: left alone"
                    )
                hits = 0 if hits is None else hits
            if hits is not None:
                xattrs.put(path, "hits", hits)
            if u.accessed_ns is not None or u.modified_ns is not None:
                times = (
                    st.st_atime_ns if u.accessed_ns is None else u.accessed_ns,
                    st.st_mtime_ns if u.modified_ns is None else u.modified_ns,
                )
                os.utime(path, ns=times, follow_symlinks=False)
        except xattrs.XattrUnsupportedError:
            raise CacheError(
                f"{self.path} is on a filesystem without user xattrs: hits cannot be written."
            ) from None
        except FileNotFoundError:
            return Outcome(entry, OutcomeStatus.GONE, reason="its file is gone")
        except OSError as exc:
            return Outcome(entry, OutcomeStatus.FAILED, reason=reason_of(exc))
        return Outcome(entry, OutcomeStatus.UPDATED)


def _seen_through_link(path: str) -> int | None:
    """The whole-second atime Glance's pruner sees through a symlink, or None.

    Glance lists cached files with ``os.path.isfile`` (which follows links)
    and ``stat`` s them: a link to a regular file is its target, anything
    else it never sees.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_atime_ns // 1_000_000_000 if stat.S_ISREG(st.st_mode) else None
