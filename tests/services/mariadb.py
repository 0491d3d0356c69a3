"""A throwaway MariaDB server from Debian's packages, on a unix socket only.

``mariadb-install-db`` and ``mariadbd`` (Debian's ``mariadb-server``) build and run a
datadir in a temp dir with ``--skip-networking`` (no TCP port at all) and ``--socket`` in
that dir.  Root is not used at all: when the tests run as root, both run as the ``mysql``
account (created by the Debian package) or ``nobody``.  A user ``glance`` with a password
gets all privileges; MariaDB's ``root`` gets a random password the fixtures keep to
themselves.  Durability is traded for speed (no doublewrite, no flush at commit).

Usage::

    with MariaDBServer() as db:
        db.create_database("glance")
        url = db.url("glance")
        # mysql+pymysql://glance:s3cret-pw@localhost/glance?unix_socket=/tmp/...&charset=utf8mb4
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import secrets
import shutil
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

__all__ = ["MariaDBServer", "find_binaries"]

APT_HINT = "apt-get install mariadb-server"
PIP_HINT = "pip install 'PyMySQL>=1.1'"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def find_binaries() -> tuple[str, str]:
    """Paths of ``mariadb-install-db`` and ``mariadbd`` (or raise ServiceUnavailable)."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin", "/sbin"])
    install = shutil.which("mariadb-install-db", path=path) or shutil.which(
        "mysql_install_db", path=path
    )
    server = shutil.which("mariadbd", path=path) or shutil.which("mysqld", path=path)
    if not install or not server:
        raise ServiceUnavailable("MariaDB server binaries not found", APT_HINT)
    return install, server


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a safe MariaDB identifier: {name!r}")
    return name


class MariaDBServer(KeptServer):
    """One MariaDB server in a temp dir; see the module docstring."""

    def __init__(self, user: str = "glance", password: str = "s3cret-pw") -> None:
        self.user = _check_name(user)
        self.password = password
        self.install_db, self.mariadbd = find_binaries()
        if importlib.util.find_spec("pymysql") is None:
            raise ServiceUnavailable("PyMySQL is not installed", PIP_HINT)
        self._admin_password = secrets.token_hex(16)
        self._owner = unprivileged_user(["mysql"])
        self.dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._unregister: Any = None
        self.startup_seconds = 0.0

    # ------------------------------------------------------------------ paths

    @property
    def _dir(self) -> Path:
        if self.dir is None:
            raise ServiceError("MariaDBServer is not started")
        return self.dir

    @property
    def socket_path(self) -> str:
        return str(self._dir / "mysqld.sock")

    @property
    def log_path(self) -> Path:
        return self._dir / "mariadb.log"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    # ------------------------------------------------------------------ lifecycle

    def _server_options(self) -> list[str]:
        d = self._dir
        return [
            f"--datadir={d / 'data'}",
            f"--tmpdir={d / 'tmp'}",
            "--skip-networking",
            f"--socket={self.socket_path}",
            f"--pid-file={d / 'mysqld.pid'}",
            "--skip-name-resolve",
            "--skip-log-bin",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_general_ci",
            "--innodb-buffer-pool-size=64M",
            "--innodb-log-file-size=16M",
            "--innodb-flush-log-at-trx-commit=0",
            "--innodb-doublewrite=0",
            "--innodb-use-native-aio=0",
            "--max-connections=300",
            "--loose-innodb-flush-method=nosync",
        ]

    def start(self) -> MariaDBServer:
        """Install a datadir, start mariadbd on the socket, create the password user."""
        if self._proc is not None:
            return self
        begin = time.monotonic()
        self.dir = make_service_dir("mdb-", self._owner)
        (self._dir / "tmp").mkdir()
        if self._owner:
            os.chown(self._dir / "tmp", *self._owner)
        self._unregister = register_cleanup(self.stop)
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(self._dir), "LC_ALL": "C"}
        install = [
            self.install_db,
            "--no-defaults",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *self._server_options(),
        ]
        proc = spawn(install, log=self.log_path, user=self._owner, env=env, cwd=self._dir)
        try:
            rc = proc.wait(180)
        except subprocess.TimeoutExpired:
            stop_process(proc)
            rc = -1
        if rc != 0:
            tail = log_tail(self.log_path)
            self.stop()
            raise ServiceError(f"mariadb-install-db failed ({rc}):\n{tail}")
        server = [self.mariadbd, "--no-defaults", *self._server_options()]
        self._proc = spawn(server, log=self.log_path, user=self._owner, env=env, cwd=self._dir)
        try:
            wait_until(
                lambda: Path(self.socket_path).exists(),
                timeout=60,
                what="MariaDB",
                proc=self._proc,
                log=self.log_path,
            )
            self._bootstrap()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - begin
        return self

    def _bootstrap(self) -> None:
        import pymysql

        conn = None
        for _ in range(100):
            try:
                conn = pymysql.connect(unix_socket=self.socket_path, user="root", password="")
                break
            except pymysql.err.OperationalError:
                if self._proc is None or self._proc.poll() is not None:
                    break
                time.sleep(0.1)
        if conn is None:
            raise ServiceError(f"MariaDB does not accept connections:\n{log_tail(self.log_path)}")
        try:
            with conn.cursor() as cur:
                pw = self._admin_password
                cur.execute("ALTER USER 'root'@'localhost' IDENTIFIED BY %s", (pw,))
                cur.execute(
                    f"CREATE USER '{self.user}'@'localhost' IDENTIFIED BY %s", (self.password,)
                )
                cur.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{self.user}'@'localhost'")
                cur.execute("DROP USER IF EXISTS ''@'localhost'")
                cur.execute("FLUSH PRIVILEGES")
            conn.commit()
        finally:
            conn.close()

    def stop(self) -> None:
        """Normal shutdown (SIGTERM), kill if it hangs, remove the temp dir."""
        if self.attached:
            return
        stop_process(self._proc, signal.SIGTERM, timeout=30)
        self._proc = None
        if self._unregister:
            self._unregister()
            self._unregister = None
        if self.dir is not None:
            remove_tree(self.dir)
            self.dir = None

    def __enter__(self) -> MariaDBServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ databases

    def url(self, dbname: str) -> str:
        """SQLAlchemy URL of ``dbname`` as the password user, over the unix socket."""
        return (
            f"mysql+pymysql://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
            f"@localhost/{dbname}?unix_socket={self.socket_path}&charset=utf8mb4"
        )

    def create_database(self, name: str) -> str:
        self.admin(
            f"CREATE DATABASE `{_check_name(name)}` "
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
        )
        return name

    def drop_database(self, name: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS `{_check_name(name)}`")

    def databases(self) -> list[str]:
        return sorted(r[0] for r in self.admin("SHOW DATABASES"))

    def clone_database(self, source: str, target: str) -> str:
        """A new database with ``source``'s tables (and foreign keys) and data.

        MariaDB has no ``CREATE DATABASE ... TEMPLATE``: the tables are recreated from
        ``SHOW CREATE TABLE`` (which, unlike ``CREATE TABLE LIKE``, keeps the foreign
        keys) and their rows copied, in one connection with foreign key checks off.
        """
        import pymysql

        _check_name(source)
        self.create_database(target)
        conn = pymysql.connect(
            unix_socket=self.socket_path, user="root", password=self._admin_password
        )
        try:
            with conn.cursor() as cur:
                cur.execute("SET FOREIGN_KEY_CHECKS=0")
                cur.execute(f"SHOW FULL TABLES FROM `{source}` WHERE Table_type='BASE TABLE'")
                tables = [r[0] for r in cur.fetchall()]
                cur.execute(f"USE `{target}`")
                for table in tables:
                    cur.execute(f"SHOW CREATE TABLE `{source}`.`{table}`")
                    cur.execute(cur.fetchone()[1])
                for table in tables:
                    cur.execute(f"INSERT INTO `{table}` SELECT * FROM `{source}`.`{table}`")
                cur.execute("SET FOREIGN_KEY_CHECKS=1")
            conn.commit()
        finally:
            conn.close()
        return target

    def admin(self, sql: str) -> list[tuple[Any, ...]]:
        """Run one statement as MariaDB's root (for housekeeping, not for the tests)."""
        import pymysql

        conn = pymysql.connect(
            unix_socket=self.socket_path, user="root", password=self._admin_password
        )
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                rows = [tuple(r) for r in cur.fetchall()] if cur.description else []
            conn.commit()
            return rows
        finally:
            conn.close()


if __name__ == "__main__":  # pragma: no cover - manual check
    with MariaDBServer() as server, contextlib.suppress(KeyboardInterrupt):
        server.create_database("demo")
        print(f"started in {server.startup_seconds:.2f} s; socket {server.socket_path}")
