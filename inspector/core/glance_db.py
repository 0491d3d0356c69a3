"""Glance's central database: connections, transactions, and errors a person can act on.

Glance (2024.1 and later) keeps its image records (``images``), the nodes of
its cache (``node_reference``) and each node's cached images
(``cached_images``) in one SQL database, named by ``[database] connection``
in glance-api.conf: MySQL/MariaDB or PostgreSQL in production, SQLite in
tests.  :class:`GlanceDatabase` opens such a URL for the centralized_db
driver, for the image records of any Glance cache, and for the fleet view:

* reads run in a read-only transaction (one consistent snapshot on every
  backend); writes in short transactions that give up on a lock after
  :data:`LOCK_TIMEOUT_S` instead of waiting for the server's own timeout;
* an SQLite database is never created by opening it (a missing file is an
  error, as a typo in a URL must be);
* every failure becomes a :class:`CacheError` with one clear sentence, and
  the URL's password appears in none of them (``***``): not in messages,
  not in the exception chain, not in logs.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sqlite3
import urllib.parse
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, Engine

from inspector.core.drivers.sqlite_uri import uri
from inspector.core.errors import (
    CacheBusyError,
    CacheError,
    CacheNotFoundError,
    CacheReadOnlyError,
    CacheUnreadableError,
    CorruptDatabaseError,
)
from inspector.core.glance_db_errors import classify, first_line
from inspector.core.source import redact_url

log = logging.getLogger(__name__)

#: How long to wait for a server to answer a connection, and for a row lock.
CONNECT_TIMEOUT_S = 10
LOCK_TIMEOUT_S = 5

#: Glance's tables as the inspector reads them (only the columns it needs).
node_reference = sa.table(
    "node_reference", sa.column("node_reference_id"), sa.column("node_reference_url")
)
cached_images = sa.table(
    "cached_images",
    sa.column("id"),
    sa.column("image_id"),
    sa.column("last_accessed"),
    sa.column("last_modified"),
    sa.column("size"),
    sa.column("hits"),
    sa.column("checksum"),
    sa.column("node_reference_id"),
)
images = sa.table(
    "images", sa.column("id"), sa.column("name"), sa.column("status"), sa.column("deleted")
)
#: The digests Glance recorded of an image's data (``os_hash_*`` since Rocky; md5 before).
image_hashes = sa.table(
    "images",
    sa.column("id"),
    sa.column("os_hash_algo"),
    sa.column("os_hash_value"),
    sa.column("checksum"),
)
TABLES = ("node_reference", "cached_images", "images")


@dataclass(frozen=True, slots=True)
class Node:
    """One glance-api node recorded in ``node_reference``."""

    id: int
    url: str


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """What Glance's ``images`` table says of an image."""

    name: str | None
    #: Glance's status string; ``"deleted"`` for a deleted image.
    status: str


def image_status(status: Any, deleted: Any) -> str:
    """Glance's status of an image row: ``"deleted"`` when the row is deleted."""
    return "deleted" if deleted or status == "deleted" else str(status)


class GlanceDatabase:
    """Glance's database at ``url`` (an SQLAlchemy URL as glance-api.conf writes it).

    Nothing connects until a transaction is asked for.  :attr:`display` is
    the URL with its password as ``***``: the only form that is ever shown.
    """

    def __init__(self, url: str) -> None:
        self.display = redact_url(url)
        self._password = _password_of(url)
        self.url = self._parse(url)
        self.backend = self.url.get_backend_name()
        self._engines: dict[str, Engine] = {}

    # -- opening ----------------------------------------------------------------

    def _parse(self, text: str) -> URL:
        try:
            url = sa.engine.make_url(text)
        except (sa_exc.ArgumentError, ValueError):
            raise CacheError(
                f"{self.display!r} is not a database URL: write it as glance-api.conf's "
                "[database] connection does (mysql+pymysql://USER:PASSWORD@HOST/glance, "
                "postgresql+psycopg://..., sqlite:///PATH)."
            ) from None
        backend = url.get_backend_name()
        if backend not in ("sqlite", "mysql", "postgresql"):
            raise CacheError(
                f"{self.display}: Glance's database is MySQL/MariaDB, PostgreSQL or SQLite, "
                f"not {backend}."
            )
        driver = url.get_driver_name()
        if backend == "mysql" and not _importable(_MYSQL_MODULES.get(driver, driver)):
            url = url.set(drivername="mysql+pymysql")  # mysql:// means MySQLdb, not installed
        elif backend == "postgresql" and not _importable(driver):
            other = "psycopg" if driver != "psycopg" else "psycopg2"
            if _importable(other):
                url = url.set(drivername=f"postgresql+{other}")
        if backend == "sqlite" and url.database in (None, "", ":memory:"):
            raise CacheError(
                f"{self.display} names no database file: write sqlite:///PATH "
                "(sqlite:////abs/path for an absolute one)."
            )
        return url

    def _engine(self, mode: str) -> Engine:
        engine = self._engines.get(mode)
        if engine is not None:
            return engine
        if self.backend == "sqlite":
            path = Path(str(self.url.database))
            if not path.is_file():
                raise CacheNotFoundError(
                    f"Glance's database {path} does not exist (from {self.display})."
                )

            def connect() -> sqlite3.Connection:
                return sqlite3.connect(
                    uri(path, mode),
                    uri=True,
                    timeout=LOCK_TIMEOUT_S,
                    isolation_level=None,
                    check_same_thread=False,
                )

            engine = sa.create_engine("sqlite://", creator=connect, poolclass=sa.pool.NullPool)
        else:
            try:
                engine = sa.create_engine(
                    self.url,
                    poolclass=sa.pool.NullPool,
                    connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
                )
            except (sa_exc.SQLAlchemyError, ImportError) as exc:
                raise CacheError(
                    f"{self.display}: the database driver cannot be loaded "
                    f"({self.scrub(str(exc).splitlines()[0])})."
                ) from None
        self._engines[mode] = engine
        return engine

    # -- transactions -------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection in a read-only transaction (one snapshot); always rolled back."""
        with self._connection("ro") as conn:
            if self.backend == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            elif self.backend == "mysql":
                conn.exec_driver_sql("START TRANSACTION READ ONLY")
            else:
                conn.exec_driver_sql("BEGIN")
            try:
                yield conn
            finally:
                conn.rollback()

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A connection for short write transactions; the caller commits.

        Row locks are waited for at most :data:`LOCK_TIMEOUT_S`.  Whatever the
        caller did not commit is rolled back when the block ends.
        """
        with self._connection("rw") as conn:
            if self.backend == "postgresql":
                conn.exec_driver_sql(f"SET lock_timeout = '{LOCK_TIMEOUT_S}s'")
            elif self.backend == "mysql":
                conn.exec_driver_sql(f"SET SESSION innodb_lock_wait_timeout = {LOCK_TIMEOUT_S}")
            conn.commit()
            try:
                yield conn
            finally:
                if conn.in_transaction():
                    conn.rollback()

    def begin_write(self, conn: Connection) -> None:
        """Start a write transaction on a :meth:`writing` connection."""
        if self.backend == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    @contextmanager
    def _connection(self, mode: str) -> Iterator[Connection]:
        engine = self._engine(mode)
        try:
            with engine.connect() as conn:
                yield conn
        except sa_exc.SQLAlchemyError as exc:
            raise self.error(exc) from None
        except sqlite3.Error as exc:
            raise self.error(exc) from None

    # -- errors ---------------------------------------------------------------------

    def scrub(self, text: str) -> str:
        """``text`` without the URL's password (in plain or %-quoted form)."""
        if self._password:
            for form in {self._password, urllib.parse.quote(self._password, safe="")}:
                text = text.replace(form, "***")
        return text

    def error(self, exc: BaseException) -> CacheError:
        """The :class:`CacheError` a person is shown for a database failure."""
        orig = getattr(exc, "orig", None) or exc
        reason = self.scrub(first_line(orig))
        kind = classify(orig, self.backend)
        where = f"Glance's database {self.display}"
        log.debug("database error (%s) on %s: %s", kind, self.display, reason)
        if kind == "busy":
            return CacheBusyError(
                f"{where} stayed locked for {LOCK_TIMEOUT_S} s (Glance writing?): "
                f"nothing more was changed; try again in a moment ({reason})."
            )
        if kind == "missing":
            missing = self._missing_tables()
            lacks = (
                f"has no {', '.join(missing)}"
                if missing  # else the tables could not be listed: the driver's own words
                else f"is missing a table the inspector reads ({reason})"
            )
            return CorruptDatabaseError(
                f"{where} {lacks}: it is not Glance's database, or its schema is "
                "older than Glance 2024.1 (glance-manage db sync); nothing was read or changed."
            )
        if kind == "schema":
            return CorruptDatabaseError(
                f"{where} has an unknown schema ({reason}): nothing was read or changed."
            )
        if kind == "read_only":
            return CacheReadOnlyError(f"{where} cannot be written by this user: {reason}.")
        if kind == "connect":
            return CacheUnreadableError(f"Cannot connect to {where}: {reason}.")
        return CacheUnreadableError(f"{where}: {reason}.")

    def _missing_tables(self) -> list[str]:
        try:
            with self._engine("ro").connect() as conn:
                have = set(sa.inspect(conn).get_table_names())
        except (sa_exc.SQLAlchemyError, sqlite3.Error, CacheError):
            return []
        return [t for t in TABLES if t not in have]

    # -- what Glance keeps ------------------------------------------------------------

    def nodes(self, conn: Connection) -> list[Node]:
        """Every node in ``node_reference``, by URL."""
        q = sa.select(node_reference.c.node_reference_id, node_reference.c.node_reference_url)
        rows = conn.execute(q.order_by(node_reference.c.node_reference_url)).all()
        return [Node(int(r[0]), str(r[1])) for r in rows]

    def resolve_node(self, conn: Connection, url: str | None) -> Node:
        """The node named ``url``; without a name, the only node there is.

        Raises a :class:`CacheError` listing the nodes when ``url`` is not
        one of them, or when there are several and none was named.
        """
        nodes = self.nodes(conn)
        if url is not None:
            for node in nodes:
                if node.url == url:
                    return node
            return _no_such_node(self.display, url, nodes)
        if len(nodes) == 1:
            return nodes[0]
        if not nodes:
            raise CacheError(
                f"Glance's database {self.display} records no cache node (node_reference is "
                "empty): no glance-api with image_cache_driver = centralized_db has used it."
            )
        raise CacheError(
            f"Glance's database {self.display} holds {len(nodes)} cache nodes: "
            f"{_listed(nodes)}. Name this cache's node with --node URL (its "
            "worker_self_reference_url), or open it with --glance-config FILE."
        )

    def image_records(self, conn: Connection, ids: Collection[str]) -> dict[str, ImageRecord]:
        """Glance's records of ``ids`` (deleted ones included), in one query.

        However many ids there are, they travel as one parameter where the
        backend takes a list (PostgreSQL's ``= ANY(array)``, SQLite's
        ``json_each``); MySQL's driver writes them into the statement.
        """
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        columns = "SELECT id, name, status, deleted FROM images WHERE "
        if self.backend == "postgresql":
            result = conn.execute(sa.text(columns + "id = ANY(:ids)"), {"ids": wanted})
        elif self.backend == "sqlite":
            query = columns + "id IN (SELECT value FROM json_each(:ids))"
            result = conn.execute(sa.text(query), {"ids": json.dumps(wanted)})
        else:
            q = sa.select(images.c.id, images.c.name, images.c.status, images.c.deleted)
            result = conn.execute(q.where(images.c.id.in_(wanted)))
        return {
            str(image_id): ImageRecord(name, image_status(status, deleted))
            for image_id, name, status, deleted in result
        }

    def image_digests(self, conn: Connection, ids: Collection[str]) -> dict[str, tuple[str, str]]:
        """The digest Glance recorded of each image of ``ids``: ``(algorithm, hex)`` from
        ``os_hash_algo``/``os_hash_value``, else ``("md5", checksum)``; none if neither."""
        q = sa.select(
            image_hashes.c.id,
            image_hashes.c.os_hash_algo,
            image_hashes.c.os_hash_value,
            image_hashes.c.checksum,
        ).where(image_hashes.c.id.in_(sorted(set(ids))))
        found: dict[str, tuple[str, str]] = {}
        for image_id, algorithm, value, checksum in conn.execute(q):
            if algorithm and value:
                found[str(image_id)] = (str(algorithm), str(value))
            elif checksum:
                found[str(image_id)] = ("md5", str(checksum))
        return found


def _no_such_node(display: str, url: str, nodes: list[Node]) -> Node:
    have = f"its nodes are: {_listed(nodes)}" if nodes else "it records no node at all"
    raise CacheError(f"Node {url} is not in Glance's database {display}: {have}.")


def _listed(nodes: list[Node], limit: int = 10) -> str:
    shown = ", ".join(n.url for n in nodes[:limit])
    return shown + (f" and {len(nodes) - limit} more" if len(nodes) > limit else "")


_MYSQL_MODULES = {"mysqldb": "MySQLdb", "mysqlconnector": "mysql.connector"}


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _password_of(url: str) -> str | None:
    try:
        password = urllib.parse.urlsplit(url).password
    except ValueError:
        return None
    return urllib.parse.unquote(password) if password else None
