"""Recognising a Glance cache directory, and refusing what must not be opened.

Each of Glance's drivers leaves its mark on disk: the sqlite driver its
``cache.db``, the xattr driver ``user.hits`` on every image it caches, the
centralized_db driver neither (its rows are in Glance's central database).
The probes decide from what is there, never by guessing, and say what a
directory probably is when they refuse it.  Nothing is written; no atime moves.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from inspector.core.drivers import xattrs
from inspector.core.drivers.fsscan import open_dir_noatime
from inspector.core.drivers.glance.layout import has_glance_layout, is_glance_own
from inspector.core.errors import CacheUnreadableError, NotACacheError, reason_of
from inspector.core.source import CacheOptions, CacheSource

CENTRALIZED_HINT = (
    "Its metadata then lives in Glance's central database, shared by every "
    "glance-api node: changing the files alone would leave that database's rows behind, "
    "so it is not opened as an xattr or sqlite cache. Open it with its database: "
    "--glance-config FILE (the node's glance-api.conf), or --db URL [--node URL] "
    "(glance-api.conf's [database] connection and worker_self_reference_url)."
)


def probe_sqlite(path: Path, options: CacheOptions, central: bool = False) -> bool:
    """Whether Glance's sqlite driver wrote the cache at ``path``.

    Decided from what is on disk, never guessed: a ``cache.db`` (the name of
    ``image_cache_sqlite_db``) means sqlite.  Refused with
    :class:`NotACacheError` saying what it probably is: a ``cache.db`` that is
    not a file, another ``*.db`` beside Glance's directories (a renamed
    database), and a ``cache.db`` whose rows Glance moved into its central
    database (a centralized_db node after the migration; with ``central``,
    when that database is known, it is simply not a sqlite cache).
    """
    db = path / options.sqlite_db
    try:
        st = db.lstat()
    except FileNotFoundError:
        if not central and has_glance_layout(path):
            other_dbs = sorted(n for n in _names(path) if n.endswith(".db"))
            if other_dbs:
                raise NotACacheError(
                    f"{path} has no {options.sqlite_db} but holds {', '.join(other_dbs)}: "
                    "if that is Glance's sqlite database under another name "
                    f"(image_cache_sqlite_db), open it with --sqlite-db {other_dbs[0]}."
                ) from None
        return False
    except OSError as exc:
        raise CacheUnreadableError(f"{db} cannot be read: {reason_of(exc)}.") from None
    if not stat.S_ISREG(st.st_mode):
        what = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise NotACacheError(
            f"{db} is {what}, not Glance's SQLite database: this directory is not a "
            "cache Cache Inspector can open safely."
        )
    return not emptied_by_migration(path, options, refuse=not central)


def probe_xattr(
    path: Path, options: CacheOptions, central: bool = False, sample: int | None = None
) -> bool:
    """Whether Glance's xattr driver wrote the cache at ``path``.

    Glance's directories and no database; and where the filesystem has user
    xattrs, at least one image carrying ``user.hits``, which the xattr driver
    sets on every image it caches.  A directory whose images carry none is a
    node of the centralized_db driver (Glance's default), refused with a
    message saying so.  On a filesystem without xattrs the hits are unknown
    (the scan says so).  With ``central`` (Glance's database is known, and the
    kind not named as xattr) only an image carrying ``user.hits`` makes it
    xattr; anything else is left to the centralized_db driver's probe, which
    looks at the same ``sample`` first files (all without one).
    Nothing is written; no atime moves.
    """
    if os.path.lexists(path / options.sqlite_db) or not has_glance_layout(path):
        return False
    if not xattrs.supported(path):
        return not central
    seen = 0
    for _name, full in image_files(path, options):
        seen += 1
        if sample is not None and seen > sample:
            break
        try:
            if xattrs.get(full, "hits") is not None:
                return True
        except OSError:
            continue
    if central:
        return False
    if seen:
        raise NotACacheError(
            f"{path} looks like a node of Glance's centralized_db cache: it has no "
            f"{options.sqlite_db}, and none of its {seen:,} cached files carries user.hits, "
            "which Glance's xattr driver sets on every image it caches. " + CENTRALIZED_HINT
        )
    return True


def emptied_by_migration(path: Path, options: CacheOptions, refuse: bool = True) -> bool:
    """Whether ``cache.db`` was emptied by Glance's migration to centralized_db.

    With ``refuse`` such a directory is refused (its database is not known).
    """
    import sqlite3

    from inspector.core.drivers.sqlite_uri import readonly_uri

    try:
        conn = sqlite3.connect(readonly_uri(path / options.sqlite_db), uri=True, timeout=5.0)
        try:
            has_rows = conn.execute("SELECT EXISTS (SELECT 1 FROM cached_images)").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return False  # a damaged database is the sqlite driver's to report
    if has_rows:
        return False
    count = sum(1 for _ in image_files(path, options))
    if count and not refuse:
        return True
    if count:
        raise NotACacheError(
            f"{path} looks like a node of Glance's centralized_db cache: its "
            f"{options.sqlite_db} has no rows but {count:,} images are cached, as Glance leaves "
            "a node after migrating its sqlite rows into the central database on start-up. "
            + CENTRALIZED_HINT
        )
    return False


def _names(path: Path) -> list[str]:
    fd = open_dir_noatime(path)
    try:
        return os.listdir(fd)
    finally:
        os.close(fd)


def image_files(path: Path, options: CacheOptions) -> Iterable[tuple[str, str]]:
    """(name, path) of the regular files in ``path`` that are not Glance's own."""
    fd = open_dir_noatime(path)
    try:
        with os.scandir(fd) as it:
            for entry in it:
                if is_glance_own(entry.name, options):
                    continue
                try:
                    if entry.is_file(follow_symlinks=False):
                        yield entry.name, os.path.join(path, entry.name)
                except OSError:
                    continue
    finally:
        os.close(fd)


#: Files looked at for ``user.hits`` when the source names its kind or node.
PROBE_SAMPLE = 64


def probe_centralized(source: CacheSource) -> bool:
    """A Glance directory whose database is known and that is no other kind.

    No ``cache.db`` with rows (sqlite, checked before), and no image that
    carries ``user.hits`` (xattr).  An empty directory with a database
    but neither a kind nor a node is refused: nothing on disk says which
    node it is.
    """
    path, options = source.path, source.options
    if source.kind == "centralized_db" and source.db_url is None:
        raise NotACacheError(
            f"{source.display_name()}: a centralized_db node is opened with its database: "
            "--db URL [--node URL], or --glance-config FILE."
        )
    if source.db_url is None or path is None or source.kind not in (None, "centralized_db"):
        return False
    if not has_glance_layout(path):
        return False
    if os.path.lexists(path / options.sqlite_db) and not emptied_by_migration(
        path, options, refuse=False
    ):
        return False
    files = 0
    check_hits = xattrs.supported(path)
    # Named (a kind from glance-api.conf, or a node): a sample is enough to catch an
    # xattr cache, whose driver sets user.hits on every image; found by looking
    # alone: every image, as for refusing it as xattr.
    sample = None if source.kind is None and source.node is None else PROBE_SAMPLE
    for _name, full in image_files(path, options):
        files += 1
        if not check_hits or (sample is not None and files > sample):
            break
        try:
            if xattrs.get(full, "hits") is not None:
                return False  # Glance's xattr driver wrote it
        except OSError:
            continue
    if files == 0 and source.kind is None and source.node is None:
        raise NotACacheError(
            f"{path} is an empty Glance cache directory: it could be an xattr cache or a "
            "centralized_db node, so it is not opened on a guess. Name its node with "
            "--node URL, its kind with --driver, or open it with --glance-config FILE."
        )
    return True
