"""A throwaway PostgreSQL cluster from Debian's packages, on a unix socket only.

``initdb`` and ``postgres`` come from ``/usr/lib/postgresql/<version>/bin`` (Debian's
``postgresql`` package; the newest installed version wins).  The cluster lives in a temp
dir, listens on no TCP port (``listen_addresses = ''``) and requires a password over its
socket (``scram-sha-256``), so the tests can check that the product never shows it.

Running as root: PostgreSQL refuses root, so the server runs as the ``postgres`` account
(created by the Debian package) or ``nobody``, and owns its temp dir.

Usage::

    with PostgresServer() as pg:
        pg.create_database("glance")
        url = pg.url("glance")  # postgresql+psycopg://glance:s3cret-pw@/glance?host=/tmp/...
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import re
import secrets
import signal
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.services import (
    KeptServer,
    ServiceError,
    ServiceUnavailable,
    log_tail,
    make_service_dir,
    register_cleanup,
    remove_tree,
    spawn,
    stop_process,
    unprivileged_user,
    wait_until,
)

__all__ = ["DRIVERS", "PostgresServer", "available_drivers", "find_bin_dir"]

#: SQLAlchemy driver name -> importable module.
DRIVERS = {"psycopg": "psycopg", "psycopg2": "psycopg2"}
APT_HINT = "apt-get install postgresql"
PIP_HINT = "pip install 'psycopg[binary]>=3.1' 'psycopg2-binary>=2.9'"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def find_bin_dir() -> Path:
    """``/usr/lib/postgresql/<newest>/bin`` holding initdb and postgres."""
    found = []
    for path in glob.glob("/usr/lib/postgresql/*/bin"):
        version = Path(path).parent.name
        if os.access(Path(path, "initdb"), os.X_OK) and version.isdigit():
            found.append((int(version), Path(path)))
    if not found:
        raise ServiceUnavailable("PostgreSQL server binaries not found", APT_HINT)
    return max(found)[1]


def available_drivers() -> list[str]:
    """The SQLAlchemy PostgreSQL drivers importable here (psycopg first)."""
    return [name for name, mod in DRIVERS.items() if importlib.util.find_spec(mod)]


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a safe PostgreSQL identifier: {name!r}")
    return name


class PostgresServer(KeptServer):
    """One PostgreSQL cluster in a temp dir; see the module docstring."""

    def __init__(self, user: str = "glance", password: str = "s3cret-pw") -> None:
        self.user = _check_name(user)
        self.password = password
        self.bin_dir = find_bin_dir()
        if not available_drivers():
            raise ServiceUnavailable("no PostgreSQL driver for SQLAlchemy", PIP_HINT)
        self._admin_password = secrets.token_hex(16)
        self._owner = unprivileged_user(["postgres"])
        self.dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._unregister: Any = None
        self.startup_seconds = 0.0

    # ------------------------------------------------------------------ paths

    @property
    def socket_dir(self) -> str:
        """The directory holding ``.s.PGSQL.5432`` (the ``host=`` of the URLs)."""
        return str(self._dir / "run")

    @property
    def log_path(self) -> Path:
        return self._dir / "postgres.log"

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while running."""
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    @property
    def _dir(self) -> Path:
        if self.dir is None:
            raise ServiceError("PostgresServer is not started")
        return self.dir

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> PostgresServer:
        """initdb, start the postmaster on the socket, create the password role."""
        if self._proc is not None:
            return self
        begin = time.monotonic()
        self.dir = make_service_dir("pg-", self._owner)
        data, run = self._dir / "data", self._dir / "run"
        run.mkdir()
        pwfile = self._dir / "pwfile"
        pwfile.write_text(self._admin_password + "\n")
        pwfile.chmod(0o600)
        if self._owner:
            for path in (run, pwfile):
                os.chown(path, *self._owner)
        self._unregister = register_cleanup(self.stop)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
        env["HOME"] = str(self._dir)
        initdb = [
            str(self.bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            f"--pwfile={pwfile}",
            "--auth-local=scram-sha-256",
            "--auth-host=reject",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ]
        proc = spawn(initdb, log=self.log_path, user=self._owner, env=env, cwd=self._dir)
        if proc.wait(120) != 0:
            self.stop()
            raise ServiceError(f"initdb failed:\n{log_tail(self._dir / 'postgres.log')}")
        pwfile.unlink()
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# Cache Inspector tests: socket only, throwaway durability\n"
                "listen_addresses = ''\n"
                f"unix_socket_directories = '{run}'\n"
                "unix_socket_permissions = 0777\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 200\nshared_buffers = 32MB\n"
                "log_min_messages = warning\n"
            )
        postgres = [str(self.bin_dir / "postgres"), "-D", str(data), "-k", str(run)]
        self._proc = spawn(postgres, log=self.log_path, user=self._owner, env=env, cwd=self._dir)
        socket_file = run / ".s.PGSQL.5432"
        try:
            wait_until(
                lambda: socket_file.exists() and (data / "postmaster.pid").exists(),
                timeout=60,
                what="PostgreSQL",
                proc=self._proc,
                log=self.log_path,
            )
            self._wait_accepting()
            self._admin(
                f"CREATE ROLE {self.user} LOGIN CREATEDB PASSWORD '{self._quote(self.password)}'"
            )
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - begin
        return self

    def stop(self) -> None:
        """Fast shutdown (SIGINT), kill if it hangs, remove the temp dir."""
        if self.attached:
            return
        stop_process(self._proc, signal.SIGINT, timeout=20)
        self._proc = None
        if self._unregister:
            self._unregister()
            self._unregister = None
        if self.dir is not None:
            remove_tree(self.dir)
            self.dir = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ databases

    def url(self, dbname: str, driver: str | None = None) -> str:
        """SQLAlchemy URL of ``dbname`` as the password role, over the unix socket."""
        driver = driver or available_drivers()[0]
        if driver not in DRIVERS:
            raise ValueError(f"unknown PostgreSQL driver {driver!r}")
        return (
            f"postgresql+{driver}://{quote(self.user, safe='')}:"
            f"{quote(self.password, safe='')}@/{dbname}?host={self.socket_dir}"
        )

    def admin_url(self, dbname: str = "postgres") -> str:
        """Superuser URL (random password), for the fixtures' housekeeping only."""
        driver = available_drivers()[0]
        return (
            f"postgresql+{driver}://postgres:{self._admin_password}@/{dbname}"
            f"?host={self.socket_dir}"
        )

    def create_database(self, name: str, template: str | None = None) -> str:
        """CREATE DATABASE owned by the role; ``template`` clones a database (fast)."""
        sql = f"CREATE DATABASE {_check_name(name)} OWNER {self.user}"
        if template:
            sql += f" TEMPLATE {_check_name(template)}"
        self._admin(sql)
        return name

    def drop_database(self, name: str) -> None:
        """DROP DATABASE, disconnecting whoever is still connected."""
        self._admin(f"DROP DATABASE IF EXISTS {_check_name(name)} WITH (FORCE)")

    def databases(self) -> list[str]:
        rows = self._admin("SELECT datname FROM pg_database WHERE NOT datistemplate")
        return sorted(r[0] for r in rows)

    def mark_template(self, name: str) -> None:
        """Make ``name`` a read-only template nobody connects to by accident."""
        self._admin(f"ALTER DATABASE {_check_name(name)} WITH ALLOW_CONNECTIONS false")

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _quote(value: str) -> str:
        return value.replace("'", "''")

    def _wait_accepting(self) -> None:
        def ready() -> bool:
            try:
                self._admin("SELECT 1")
            except Exception:
                return False
            return True

        wait_until(ready, timeout=60, what="PostgreSQL", proc=self._proc, log=self.log_path)

    def _admin(self, sql: str) -> list[tuple[Any, ...]]:
        import sqlalchemy as sa

        engine = sa.create_engine(
            self.admin_url(), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
        )
        try:
            with engine.connect() as conn:
                result = conn.exec_driver_sql(sql)
                return [tuple(r) for r in result] if result.returns_rows else []
        finally:
            engine.dispose()


if __name__ == "__main__":  # pragma: no cover - manual check
    with PostgresServer() as server, contextlib.suppress(KeyboardInterrupt):
        server.create_database("demo")
        print(f"started in {server.startup_seconds:.2f} s; socket dir {server.socket_dir}")
