"""What to open: a cache source, not a path.

A :class:`CacheSource` names a cache the way every part of the program speaks
of it (the registry, the CLI, the window, the settings, the recent list): its
kind (or ``None``: decided from what is on disk), where it is (a directory,
and for centralized kinds a database URL and a node, or a node's API
endpoint), and the service's settings that matter to reading and changing it
(the sqlite database's name, the maximum size, the stall time).

A password inside a database URL is part of the source, because opening it
needs it, but never of what is shown or remembered: :meth:`display_name`
and :meth:`settings_key` leave it out.
"""

from __future__ import annotations

import hashlib
import os
import urllib.parse
from dataclasses import dataclass, field, replace
from pathlib import Path


@dataclass(frozen=True, slots=True)
class CacheOptions:
    """Settings of the service that owns a cache, besides where it is.

    ``None`` means the kind's own default (see the driver's capabilities).
    """

    sqlite_db: str = "cache.db"  # Glance's image_cache_sqlite_db, relative to the cache dir
    max_size: int | None = None  # image_cache_max_size / the cleaner's size limit
    stall_time: float | None = None  # image_cache_stall_time
    #: How long to wait for a remote cache's service to answer, in seconds
    #: (``None``: the kind's own default).
    timeout: float | None = None
    cleaning_level: float | None = None  # the Filetracker cleaner's percent_cleaning_level
    #: Where the service takes its file locks ([oslo_concurrency] lock_path);
    #: ``None``: Glance's default, the cache directory itself.
    lock_path: Path | None = None


@dataclass(frozen=True, slots=True)
class CacheSource:
    """One cache to open.

    ``path`` is the cache directory (a Glance node's ``image_cache_dir``, a
    Filetracker client's cache dir).  ``db_url`` is an SQLAlchemy URL of
    Glance's central database (``centralized_db``, or the image records of a
    sqlite or xattr cache), ``node`` the node's ``worker_self_reference_url``,
    ``api`` a node's own endpoint for its cache API.  ``config`` is the
    glance-api.conf the source was read from, if any.  ``cloud`` names the
    clouds.yaml entry whose credentials reach ``api`` (a name, never a secret).
    """

    path: Path | None = None
    kind: str | None = None
    db_url: str | None = None
    node: str | None = None
    api: str | None = None
    config: Path | None = None
    options: CacheOptions = field(default_factory=CacheOptions)
    cloud: str | None = None

    @classmethod
    def at(
        cls,
        path: str | os.PathLike[str],
        kind: str | None = None,
        options: CacheOptions | None = None,
    ) -> CacheSource:
        """A cache directory, its kind decided from what is on disk unless given."""
        return cls(Path(path).expanduser(), kind, options=options or CacheOptions())

    @classmethod
    def node_api(
        cls,
        url: str,
        cloud: str | None = None,
        options: CacheOptions | None = None,
    ) -> CacheSource:
        """A node reached through its cache API at its own ``url`` (``/`` and ``/v2`` dropped)."""
        url = url.strip().rstrip("/")
        url = url.removesuffix("/v2").rstrip("/") if url.endswith("/v2") else url
        return cls(api=url, cloud=cloud, options=options or CacheOptions())

    def with_kind(self, kind: str) -> CacheSource:
        return replace(self, kind=kind)

    def display_name(self) -> str:
        """How the user sees it: the path, the node and its database (no password)."""
        parts = []
        if self.config is not None and self.path is None:
            parts.append(str(self.config))  # not read yet: the file that names it
        if self.path is not None:
            parts.append(str(self.path))
        if self.api is not None:
            parts.append(redact_url(self.api))
        if self.node is not None and self.path is None and self.api is None:
            parts.append(self.node)
        if self.db_url is not None:
            where = redact_url(self.db_url)
            parts.append(f"node {self.node} in {where}" if self.node else where)
        return " · ".join(parts) or "(nothing)"

    def short_name(self) -> str:
        """A window title: the directory's name, or the node's host."""
        if self.path is not None:
            return self.path.name or str(self.path)
        if self.config is not None:
            return self.config.name
        url = self.api or self.node or ""
        return urllib.parse.urlsplit(url).netloc or url or "cache"

    def settings_key(self) -> str:
        """A stable key for remembered settings; no secret goes into it."""
        text = "\0".join(
            [
                self.kind or "",
                str(self.path or ""),
                redact_url(self.db_url) if self.db_url else "",
                self.node or "",
                redact_url(self.api) if self.api else "",
                self.cloud or "",
            ]
            # A glance-api.conf not read yet is known by its file alone.
            + ([f"config:{self.config}"] if self.config is not None and self.path is None else [])
        )
        return hashlib.sha1(
            text.encode("utf-8", "surrogateescape"), usedforsecurity=False
        ).hexdigest()[:16]


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (user names stay)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "***"
    netloc, query = parts.netloc, parts.query
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        if ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:***@{hostport}"
    if query:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        if any(k.lower() in _SECRET_PARAMS for k, _ in pairs):
            query = "&".join(
                f"{k}=***" if k.lower() in _SECRET_PARAMS else f"{k}={v}" for k, v in pairs
            )
    if netloc == parts.netloc and query == parts.query:
        return url  # nothing to hide: as given (urlunsplit drops sqlite:////'s empty host)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=query))


_SECRET_PARAMS = {"password", "passwd", "pass", "token", "secret"}
