"""A glance-api node's own configuration, read by oslo.config's rules.

:func:`source_from_config` turns a node's ``glance-api.conf`` into the
:class:`CacheSource` that opens its cache: the kind from
``image_cache_driver`` (Glance 33's default is ``centralized_db``), the
directory, the database (``[database] connection``: the metadata of a
centralized_db node, the image records of every kind), the node
(``worker_self_reference_url``), and the maximum size, stall time, sqlite
database name and lock path the node itself works with.

The file is parsed by oslo.config itself, as glance-api parses it: the same
syntax, value types, defaults and checks (``$`` substitution, ``min=0``,
case-insensitive driver names), and ``glance-api.conf.d/`` beside it when
there is one.  Nothing else is read: not ``/etc/glance``, not the
environment's ``OS_*`` variables.  The password in the database URL never
appears in an error message.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oslo_config import cfg

from inspector.core.errors import CacheError, CacheNotFoundError, CacheUnreadableError
from inspector.core.source import CacheOptions, CacheSource, redact_url

#: Glance 33's own definitions of the options read here (types, defaults, bounds).
_DEFAULT_OPTS = [
    cfg.StrOpt("image_cache_dir"),
    cfg.StrOpt(
        "image_cache_driver",
        default="centralized_db",
        choices=("centralized_db", "sqlite", "xattr"),
        ignore_case=True,
    ),
    cfg.IntOpt("image_cache_max_size", default=10 * 1024**3, min=0),
    cfg.IntOpt("image_cache_stall_time", default=86400, min=0),
    cfg.StrOpt("image_cache_sqlite_db", default="cache.db"),
    cfg.StrOpt("worker_self_reference_url"),
]
_GROUP_OPTS = {
    "database": [cfg.StrOpt("connection", secret=True)],
    "oslo_concurrency": [cfg.StrOpt("lock_path")],
}


class GlanceConfigError(CacheError):
    """The glance-api.conf cannot be used: missing, unreadable, or a bad value."""


@dataclass(frozen=True, slots=True)
class GlanceConfig:
    """What a node's glance-api.conf says about its image cache."""

    path: Path
    cache_dir: Path | None
    driver: str
    max_size: int
    stall_time: int
    sqlite_db: str
    node_url: str | None
    db_url: str | None
    lock_path: Path | None

    def __repr__(self) -> str:  # never the password, whatever prints this
        db = redact_url(self.db_url) if self.db_url else None
        return f"GlanceConfig(path={self.path!r}, driver={self.driver!r}, db_url={db!r})"


def read_glance_config(path: str | os.PathLike[str]) -> GlanceConfig:
    """The cache settings of the glance-api.conf at ``path`` (oslo.config's parsing)."""
    path = Path(path).expanduser()
    if not path.exists():
        raise CacheNotFoundError(f"{path} does not exist.")
    if not path.is_file():
        raise GlanceConfigError(f"{path} is not a file: give a node's glance-api.conf.")
    conf = cfg.ConfigOpts()
    conf.register_opts(_DEFAULT_OPTS)
    for group, opts in _GROUP_OPTS.items():
        conf.register_opts(opts, group=group)
    conf_d = path.with_name(path.name + ".d")
    try:
        conf(
            args=[],
            project=None,
            prog=None,
            default_config_files=[str(path)],
            default_config_dirs=[str(conf_d)] if conf_d.is_dir() else [],
            use_env=False,
        )
    except cfg.ConfigFilesPermissionDeniedError:
        raise CacheUnreadableError(f"{path} cannot be read: permission denied.") from None
    except cfg.ConfigFilesNotFoundError:
        raise CacheNotFoundError(f"{path} cannot be read.") from None
    except cfg.ConfigFileParseError as exc:
        raise GlanceConfigError(
            f"{path} is not a valid glance-api.conf: {_scrub(str(getattr(exc, 'msg', exc)))}."
        ) from None
    except cfg.Error as exc:
        raise GlanceConfigError(f"{path} cannot be read: {_scrub(str(exc))}.") from None
    try:
        cache_dir = _get(conf, path, "image_cache_dir")
        lock_path = _get(conf, path, "lock_path", "oslo_concurrency")
        return GlanceConfig(
            path=path,
            cache_dir=_absolute(path, "image_cache_dir", cache_dir),
            driver=str(_get(conf, path, "image_cache_driver")).lower(),
            max_size=int(_get(conf, path, "image_cache_max_size")),
            stall_time=int(_get(conf, path, "image_cache_stall_time")),
            sqlite_db=str(_get(conf, path, "image_cache_sqlite_db")),
            node_url=_get(conf, path, "worker_self_reference_url") or None,
            db_url=_get(conf, path, "connection", "database") or None,
            lock_path=_absolute(path, "[oslo_concurrency] lock_path", lock_path),
        )
    finally:
        conf.clear()


def source_from_config(
    path: str | os.PathLike[str],
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    db_url: str | None = None,
    node: str | None = None,
) -> CacheSource:
    """The cache the node configured at ``path`` keeps, ready for ``open_source``.

    ``cache_dir``, ``db_url`` and ``node`` replace the file's values (a copy of
    the cache elsewhere, another way to reach the database).
    """
    gc = read_glance_config(path)
    directory = Path(cache_dir).expanduser() if cache_dir is not None else gc.cache_dir
    if directory is None:
        raise GlanceConfigError(
            f"{gc.path} sets no image_cache_dir in [DEFAULT]: this node keeps no image cache "
            "(or give its directory as PATH)."
        )
    url = db_url or gc.db_url
    if gc.driver == "centralized_db" and url is None:
        raise GlanceConfigError(
            f"{gc.path} uses image_cache_driver = centralized_db but sets no "
            "[database] connection: the node's cache metadata cannot be found (give --db URL)."
        )
    return CacheSource(
        path=directory,
        kind=gc.driver,
        db_url=url,
        node=node or gc.node_url,
        config=gc.path,
        options=CacheOptions(
            sqlite_db=gc.sqlite_db,
            max_size=gc.max_size,
            stall_time=float(gc.stall_time),
            lock_path=gc.lock_path,
        ),
    )


def _get(conf: cfg.ConfigOpts, path: Path, name: str, group: str | None = None) -> Any:
    where = f"[{group or 'DEFAULT'}] {name}"
    try:
        return conf[group][name] if group else conf[name]
    except (cfg.TemplateSubstitutionError, cfg.NoSuchOptError):
        raise GlanceConfigError(
            f"{path}: {where} refers to an unknown option with $ (write $$ for a literal $)."
        ) from None
    except (cfg.ConfigFileValueError, ValueError) as exc:
        why = "" if name == "connection" else f": {_scrub(_reason(exc))}"
        raise GlanceConfigError(f"{path}: {where} has a value Glance refuses{why}.") from None


def _absolute(path: Path, what: str, value: str | None) -> Path | None:
    if not value:
        return None
    p = Path(value).expanduser()
    if not p.is_absolute():
        raise GlanceConfigError(
            f"{path}: {what} = {value} is relative: glance-api resolves it against its own "
            "working directory, which the inspector cannot know; give the absolute path."
        )
    return p


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().rstrip(".")
    return text.split(" is not valid: ", 1)[-1]


#: A password inside any URL-looking text (user:password@host).
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@\s]*@")


def _scrub(text: str) -> str:
    return _URL_PASSWORD.sub(r"\1***@", text)
