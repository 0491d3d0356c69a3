"""Pytest fixtures for the real services (loaded by ``pytest_plugins`` in tests/conftest.py).

Servers are session-scoped and start only when a test asks for them:

* ``postgres_server`` / ``mariadb_server``: one throwaway server each per session.
* ``glance_databases``: per-backend factories of freshly synced Glance databases
  (``glance-manage db sync`` runs once per backend into a template, then each database
  is a copy).
* ``glance_db_backend`` / ``glance_db_url``: a fresh synced database for one test,
  parametrized over ``sqlite``, ``postgresql`` and ``mariadb``.  Narrow it with
  ``@pytest.mark.parametrize("glance_db_backend", ["sqlite"])``.
* ``central_nodes``: a factory of :class:`~tests.services.glance_db.CentralNode`
  (Glance's centralized_db driver, one process per node), closed after the test.
* ``glance_fleet``: two live glance-api nodes on a fresh SQLite database;
  ``glance_fleet_factory(n, backend, **node_options)`` for anything else.
* ``shared_glance_node``: one live node for the whole session (leave it as you found it).

A missing Debian or pip package skips the test with the install hint, or fails it when
``INSPECTOR_REQUIRE_SERVICES`` is set (as CI should).  No markers are added.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.services import ServiceUnavailable

REQUIRE_ENV = "INSPECTOR_REQUIRE_SERVICES"
BACKENDS = ("sqlite", "postgresql", "mariadb")


def unavailable(error: ServiceUnavailable) -> NoReturn:
    """Skip (or, with INSPECTOR_REQUIRE_SERVICES set, fail) for a missing package."""
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{error}  [{REQUIRE_ENV} is set]", pytrace=False)
    pytest.skip(str(error))


class _Once:
    """A session resource started at most once; a failure is remembered, not retried."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._value: Any = None
        self._error: BaseException | None = None

    def get(self) -> Any:
        if self._error is not None:
            if isinstance(self._error, ServiceUnavailable):
                unavailable(self._error)
            raise self._error
        if self._value is None:
            try:
                self._value = self._make()
            except ServiceUnavailable as e:
                self._error = e
                unavailable(e)
            except Exception as e:
                self._error = e
                raise
        return self._value


# --------------------------------------------------------------------------- servers

#: ``./run mutate`` only: the servers that ``tests/services/keep_servers.py`` started once
#: for the whole run (each mutant is a pytest session of its own).
KEPT_ENV = "INSPECTOR_KEPT_SERVERS"


def _kept(backend: str) -> Any:
    """The kept server of ``backend``, attached, or None when there is none."""
    path = os.environ.get(KEPT_ENV)
    if not path:
        return None
    import json

    state = json.loads(Path(path).read_text())[backend]
    if backend == "postgresql":
        from tests.services.postgres import PostgresServer

        return PostgresServer.attach(state)
    from tests.services.mariadb import MariaDBServer

    return MariaDBServer.attach(state)


@pytest.fixture(scope="session")
def _postgres_once() -> Iterator[_Once]:
    def make() -> Any:
        from tests.services.postgres import PostgresServer

        return _kept("postgresql") or PostgresServer().start()

    once = _Once(make)
    yield once
    if once._value is not None:
        once._value.stop()


@pytest.fixture(scope="session")
def _mariadb_once() -> Iterator[_Once]:
    def make() -> Any:
        from tests.services.mariadb import MariaDBServer

        return _kept("mariadb") or MariaDBServer().start()

    once = _Once(make)
    yield once
    if once._value is not None:
        once._value.stop()


@pytest.fixture(scope="session")
def postgres_server(_postgres_once: _Once) -> Any:
    """A PostgreSQL server on a unix socket, for the whole session (PostgresServer)."""
    return _postgres_once.get()


@pytest.fixture(scope="session")
def mariadb_server(_mariadb_once: _Once) -> Any:
    """A MariaDB server on a unix socket, for the whole session (MariaDBServer)."""
    return _mariadb_once.get()


# --------------------------------------------------------------------------- databases


class GlanceDatabases:
    """Per-backend :class:`~tests.services.glance_db.FreshDatabases`, made on first use."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request
        self._factories: dict[str, _Once] = {}

    def factory(self, backend: str) -> Any:
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; one of {BACKENDS}")
        if backend not in self._factories:
            self._factories[backend] = _Once(lambda: self._make(backend))
        return self._factories[backend].get()

    def _make(self, backend: str) -> Any:
        from tests.services.glance_db import FreshDatabases, glance_available

        if not glance_available():
            raise ServiceUnavailable("glance is not installed", "pip install 'glance==33.0.0'")
        server = None
        if backend == "postgresql":
            server = self._request.getfixturevalue("postgres_server")
        elif backend == "mariadb":
            server = self._request.getfixturevalue("mariadb_server")
        return FreshDatabases(backend, server)

    def new(self, backend: str = "sqlite") -> str:
        """A new database with Glance's schema; dropped at the end of the session
        (or earlier with :meth:`drop`)."""
        return str(self.factory(backend).new())

    def copy(self, url: str) -> str:
        """An identical copy of ``url`` (a database made by :meth:`new`)."""
        for once in self._factories.values():
            if once._value is not None and url in once._value._made:
                return str(once._value.copy(url))
        raise ValueError("not a database made by glance_databases")

    def drop(self, url: str) -> None:
        for once in self._factories.values():
            if once._value is not None and url in once._value._made:
                once._value.drop(url)

    def sync_seconds(self) -> dict[str, float]:
        """How long db_sync took for each backend used so far."""
        return {
            name: once._value.sync_seconds
            for name, once in self._factories.items()
            if once._value is not None
        }

    def close(self) -> None:
        for once in self._factories.values():
            if once._value is not None:
                once._value.close()


@pytest.fixture(scope="session")
def glance_databases(request: pytest.FixtureRequest) -> Iterator[GlanceDatabases]:
    """Fresh synced Glance databases on demand: ``glance_databases.new("postgresql")``."""
    databases = GlanceDatabases(request)
    yield databases
    databases.close()
    from tests.services.glance_db import close_db_workers, stop_fork_server

    close_db_workers()
    stop_fork_server()


@pytest.fixture(params=BACKENDS)
def glance_db_backend(request: pytest.FixtureRequest) -> str:
    """The database backend of ``glance_db_url``: sqlite, postgresql or mariadb."""
    return str(request.param)


@pytest.fixture
def glance_db_url(glance_databases: GlanceDatabases, glance_db_backend: str) -> Iterator[str]:
    """SQLAlchemy URL of a freshly synced Glance database, dropped after the test."""
    url = glance_databases.new(glance_db_backend)
    yield url
    glance_databases.drop(url)


# --------------------------------------------------------------------------- Glance


@pytest.fixture
def central_nodes(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Factory ``make(db_url, node_url=None, cache_dir=None) -> CentralNode``.

    Without ``node_url`` the nodes are ``http://glance-node-<n>:9292``; without
    ``cache_dir`` their caches are ``tmp_path/node-<n>``.  All closed after the test.
    """
    from tests.services.glance_db import CentralNode

    made: list[CentralNode] = []

    def make(
        db_url: str, node_url: str | None = None, cache_dir: str | os.PathLike[str] | None = None
    ) -> CentralNode:
        n = len(made) + 1
        try:
            node = CentralNode(
                db_url,
                node_url or f"http://glance-node-{n}:9292",
                cache_dir or tmp_path / f"node-{n}",
            )
        except ServiceUnavailable as e:
            unavailable(e)
        made.append(node)
        return node

    yield make
    for node in made:
        node.close()


@pytest.fixture
def glance_fleet_factory(
    glance_databases: GlanceDatabases,
) -> Iterator[Callable[..., Any]]:
    """Factory ``make(n=2, backend="sqlite", **node_options) -> Fleet`` (started).

    The fleet's nodes share a fresh database of ``backend`` and one image store; all are
    stopped after the test.  ``node_options`` go to GlanceAPINode (server=, threads=,
    cache_max_size=, cache_stall_time=, extra_conf=).
    """
    from tests.services.glance_api import Fleet

    fleets: list[Fleet] = []

    def make(n: int = 2, backend: str = "sqlite", **node_options: Any) -> Fleet:
        url = glance_databases.new(backend)
        try:
            fleet = Fleet(n, db_url=url, **node_options)
        except ServiceUnavailable as e:
            unavailable(e)
        fleets.append(fleet)
        return fleet.start()

    yield make
    for fleet in fleets:
        fleet.close()


@pytest.fixture
def glance_fleet(glance_fleet_factory: Callable[..., Any]) -> Any:
    """Two live glance-api nodes sharing a fresh SQLite database and image store."""
    return glance_fleet_factory(2)


@pytest.fixture(scope="session")
def shared_glance_node(glance_databases: GlanceDatabases) -> Iterator[Any]:
    """One live glance-api node for the whole session, for tests that leave it as they
    found it (the contract suite's writer empties its cache before and after each test,
    and makes new image ids each time: Glance never takes an id again once used)."""
    from tests.services.glance_api import Fleet

    try:
        fleet = Fleet(1, db_url=glance_databases.new("sqlite"))
    except ServiceUnavailable as e:
        unavailable(e)
    try:
        yield fleet.start()[0]
    finally:
        fleet.close()
