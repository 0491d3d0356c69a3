"""Glance's central database, written by Glance 33's own code.

* :func:`sync_schema` creates Glance's full schema with ``glance-manage db sync``.
* :class:`FreshDatabases` hands out a freshly synced database per test, fast: db_sync
  runs once per backend and session into a template that is then copied (SQLite: file
  copy; PostgreSQL: ``CREATE DATABASE ... TEMPLATE``; MariaDB: table-by-table clone).
* :class:`CentralNode` is one glance-api node's image cache written by Glance's
  ``centralized_db`` driver (``glance.image_cache.drivers.centralized_db.Driver``).
* :func:`create_image` / :func:`delete_image` write image records through Glance's DB API
  (``glance.db.sqlalchemy.api.image_create`` / ``image_update`` + ``image_destroy``).

Why subprocesses: Glance's configuration (``oslo.config``'s ``CONF``) and its database
engine (``oslo.db`` enginefacade, configured once) are process globals.  Two nodes
sharing one database need two values of ``worker_self_reference_url``, and one pytest
session uses many databases.  So every node -- and every database the image helpers
write to -- gets its own Python process running Glance's code, driven over a pipe with
JSON lines (:class:`GlanceWorker`).  That is also what production looks like: two nodes
are two processes.  The workers die with the test process (``PR_SET_PDEATHSIG``) and are
stopped by :meth:`CentralNode.close`, :func:`close_db_workers` and at exit.

Secrets: database URLs go to the children in 0600 config files, never on a command line;
error messages have the password replaced by ``***``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.services import (
    ServiceError,
    ServiceUnavailable,
    log_tail,
    make_service_dir,
    register_cleanup,
    remove_tree,
    spawn,
    stop_process,
    wait_until,
)

__all__ = [
    "CentralNode",
    "FreshDatabases",
    "GlanceCallError",
    "GlanceWorker",
    "close_db_workers",
    "create_image",
    "delete_image",
    "get_image",
    "glance_available",
    "redact",
    "rows",
    "stop_fork_server",
    "sync_schema",
    "write_glance_conf",
]

ROOT = Path(__file__).resolve().parents[2]
PIP_HINT = "pip install 'glance==33.0.0'  (./run test installs the glance extra)"
CALL_TIMEOUT = 120.0


def glance_available() -> bool:
    """True when glance (and so glance-manage) is importable here."""
    import importlib.util

    return importlib.util.find_spec("glance") is not None


def redact(text: str, url: str | None = None) -> str:
    """``text`` with the password of ``url`` (or any URL in it) replaced by ``***``."""
    if url:
        password = urlsplit(url).password
        if password:
            text = text.replace(password, "***")
            from urllib.parse import quote

            text = text.replace(quote(password, safe=""), "***")
    return text


def write_glance_conf(path: str | os.PathLike[str], db_url: str, **sections: Any) -> Path:
    """Write a glance config file (mode 0600) with ``[database] connection = db_url``.

    ``sections`` maps section names to dicts of options: ``DEFAULT={"debug": True}``.
    Values with ``%`` are escaped for oslo.config's interpolation.
    """
    sections = {k: dict(v) for k, v in sections.items()}
    sections.setdefault("database", {})["connection"] = db_url
    lines: list[str] = []
    for name in ["DEFAULT", *sorted(s for s in sections if s != "DEFAULT")]:
        if name not in sections:
            continue
        lines.append(f"[{name}]")
        for key, value in sections[name].items():
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, list | tuple):
                value = ",".join(str(v) for v in value)
            lines.append(f"{key} = {str(value).replace('%', '%%')}")
        lines.append("")
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines))
    return path


def _glance_manage() -> list[str]:
    script = Path(sys.executable).parent / "glance-manage"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "glance.cmd.manage"]


def _child_env(home: Path) -> dict[str, str]:
    """Environment for Glance children: our repo importable, HOME away from ~/.glance."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "PYTEST"))}
    env["HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONWARNINGS"] = "ignore"
    env.pop("QT_QPA_PLATFORM", None)
    return env


def sync_schema(url: str, timeout: float = 600.0) -> float:
    """Create Glance's full schema in ``url`` with ``glance-manage db sync``.

    Runs the real console script with ``--config-file`` (a generated 0600 file) and an
    empty ``--config-dir``, HOME pointed at a temp dir, so neither ``~/.glance`` nor
    ``/etc/glance`` is read.  Returns the seconds it took.
    """
    if not glance_available():
        raise ServiceUnavailable("glance is not installed", PIP_HINT)
    work = make_service_dir("gsync-")
    try:
        conf = write_glance_conf(work / "glance-manage.conf", url)
        (work / "conf.d").mkdir()
        log = work / "sync.log"
        argv = [*_glance_manage(), "--config-file", str(conf), "--config-dir"]
        argv += [str(work / "conf.d"), "db", "sync"]
        begin = time.monotonic()
        proc = spawn(argv, log=log, env=_child_env(work), cwd=work)
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            stop_process(proc)
            rc = -1
        took = time.monotonic() - begin
        if rc != 0:
            raise ServiceError(
                f"glance-manage db sync failed ({rc}):\n" + redact(log_tail(log), url)
            )
        return took
    finally:
        remove_tree(work)


# =========================================================================== worker


class GlanceCallError(RuntimeError):
    """Glance raised inside a worker; ``kind`` is the exception's class name."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


class _ForkServer:
    """One preloaded Python process that forks a Glance worker per connection.

    Importing Glance takes 2-3 s; forking a process that already imported it takes
    milliseconds.  The server imports Glance's modules (not configured: no CONF parsed,
    no DB engine; it has a single thread, so forking is safe), listens on a unix socket
    in its temp dir, and forks one child per connection.  The child parses its own config
    and is a normal, separate Glance process.  Children die with the server, the server
    dies with the test process (or when its stdin closes).
    """

    def __init__(self) -> None:
        self.dir = make_service_dir("gfork-")
        self.socket_path = str(self.dir / "fork.sock")
        self.log_path = self.dir / "forkserver.log"
        argv = [
            sys.executable,
            "-c",
            "from tests.services.glance_db import _fork_server_main; _fork_server_main()",
            self.socket_path,
        ]
        self._proc = spawn(
            argv,
            log=self.log_path,
            env=_child_env(self.dir),
            cwd=self.dir,
            stdin=subprocess.PIPE,
        )
        self._unregister = register_cleanup(self.close)
        try:
            wait_until(
                lambda: os.path.exists(self.socket_path),
                timeout=120,
                what="Glance fork server",
                proc=self._proc,
                log=self.log_path,
            )
        except BaseException:
            self.close()
            raise

    def alive(self) -> bool:
        return self._proc.poll() is None

    def connect(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self.socket_path)
        return sock

    def close(self) -> None:
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        stop_process(self._proc, timeout=10)
        self._unregister()
        remove_tree(self.dir)


_fork_server: _ForkServer | None = None
_fork_server_lock = threading.Lock()


def _get_fork_server() -> _ForkServer:
    global _fork_server
    with _fork_server_lock:
        if _fork_server is None or not _fork_server.alive():
            if _fork_server is not None:
                _fork_server.close()
            _fork_server = _ForkServer()
        return _fork_server


def stop_fork_server() -> None:
    """Stop the fork server (and so every worker still running)."""
    global _fork_server
    with _fork_server_lock:
        server, _fork_server = _fork_server, None
    if server is not None:
        server.close()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is as good as gone
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


class GlanceWorker:
    """A Python process running Glance 33's code against one database.

    With ``node_url`` and ``cache_dir`` it is a glance-api node's cache (Glance's
    ``centralized_db`` driver, configured with ``worker_self_reference_url = node_url``
    and ``image_cache_dir = cache_dir``); without, it only does image records.  The
    process is forked from the preloaded fork server and talks JSON lines over a unix
    socket; Glance's log goes to ``log_path``.
    """

    def __init__(
        self, db_url: str, node_url: str | None = None, cache_dir: str | None = None
    ) -> None:
        if not glance_available():
            raise ServiceUnavailable("glance is not installed", PIP_HINT)
        self.db_url = db_url
        self.node_url = node_url
        self.cache_dir = cache_dir
        self.dir = make_service_dir("gnode-")
        self.log_path = self.dir / "worker.log"
        default: dict[str, Any] = {}
        if node_url:
            default.update(
                image_cache_driver="centralized_db",
                image_cache_dir=cache_dir,
                worker_self_reference_url=node_url,
            )
        self.conf_path = write_glance_conf(self.dir / "glance-api.conf", db_url, DEFAULT=default)
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._reader: Any = None
        self.pid: int | None = None
        self._unregister = register_cleanup(self.close)
        try:
            self._sock = _get_fork_server().connect()
            self._reader = self._sock.makefile("rb")
            self.pid = int(
                self.call("hello", timeout=60, conf=str(self.conf_path), log=str(self.log_path))
            )
        except BaseException:
            self.close()
            raise

    def alive(self) -> bool:
        return self.pid is not None and self._sock is not None and _pid_alive(self.pid)

    def call(self, op: str, timeout: float = CALL_TIMEOUT, **args: Any) -> Any:
        """Run ``op`` in the worker; raise :class:`GlanceCallError` if Glance raised."""
        with self._lock:
            sock, reader = self._sock, self._reader
            if sock is None or reader is None:
                raise ServiceError("Glance worker is closed")
            try:
                sock.settimeout(timeout)
                sock.sendall(json.dumps({"op": op, "args": args}).encode() + b"\n")
                line = reader.readline()
            except (OSError, TimeoutError) as e:
                line, error = b"", e
            else:
                error = None
            if not line:
                self._kill()
                why = f"did not answer {op!r} ({error!r})" if error else "died"
                raise ServiceError(f"Glance worker {why}:\n{self._tail()}")
        reply = json.loads(line)
        if "error" in reply:
            raise GlanceCallError(reply["kind"], redact(reply["error"], self.db_url))
        return reply.get("result")

    def _tail(self) -> str:
        return redact(log_tail(self.log_path), self.db_url)

    def _kill(self) -> None:
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def close(self) -> None:
        """End the worker (EOF on its socket; SIGKILL if it lingers), remove its temp dir."""
        for stream in (self._reader, self._sock):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._reader = self._sock = None
        if self.pid is not None:
            deadline = time.monotonic() + 10
            while _pid_alive(self.pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            if _pid_alive(self.pid):
                self._kill()
        self._unregister()
        remove_tree(self.dir)


# --------------------------------------------------------------------------- image records

_db_workers: dict[str, GlanceWorker] = {}
_db_workers_lock = threading.Lock()


def _db_worker(db_url: str) -> GlanceWorker:
    with _db_workers_lock:
        worker = _db_workers.get(db_url)
        if worker is None or not worker.alive():
            worker = _db_workers[db_url] = GlanceWorker(db_url)
        return worker


def close_db_workers(db_url: str | None = None) -> None:
    """Stop the image-record worker of ``db_url`` (all of them when None)."""
    with _db_workers_lock:
        urls = [db_url] if db_url else list(_db_workers)
        workers = [_db_workers.pop(u) for u in urls if u in _db_workers]
    for worker in workers:
        worker.close()


def create_image(
    db_url: str,
    image_id: str | None = None,
    name: str | None = None,
    *,
    data: bytes | None = None,
    status: str = "active",
    size: int | None = None,
    checksum: str | None = None,
    os_hash_algo: str | None = None,
    os_hash_value: str | None = None,
    **values: Any,
) -> dict[str, Any]:
    """Create an image record with Glance's ``image_create`` (admin context).

    Defaults are what Glance's v2 API leaves after an upload (raw/bare, visibility
    shared, owner None as with noauth).  With ``data``, size, virtual_size, checksum
    (MD5) and os_hash_algo/os_hash_value (SHA-512) are computed as Glance's upload does.
    No location and no image data are written.  Returns the record as Glance's DB API
    returns it (datetimes as ISO strings).
    """
    if data is not None:
        size = len(data) if size is None else size
        checksum = checksum or hashlib.md5(data, usedforsecurity=False).hexdigest()
        os_hash_algo = os_hash_algo or "sha512"
        os_hash_value = os_hash_value or hashlib.sha512(data).hexdigest()
        values.setdefault("virtual_size", size)
    record: dict[str, Any] = {
        "id": image_id or str(uuid.uuid4()),
        "name": name,
        "status": status,
        "size": size,
        "checksum": checksum,
        "os_hash_algo": os_hash_algo,
        "os_hash_value": os_hash_value,
        "visibility": "shared",
        "protected": False,
        "os_hidden": False,
        "min_disk": 0,
        "min_ram": 0,
        "disk_format": "raw",
        "container_format": "bare",
        "owner": None,
        "properties": {},
    }
    record.update(values)
    return dict(_db_worker(db_url).call("create_image", values=record))


def delete_image(db_url: str, image_id: str, status: str = "deleted") -> dict[str, Any]:
    """Delete like Glance's v2 API: ``status`` (props purged), then image_destroy.

    ``status``: ``deleted``, or ``pending_delete`` as with ``delayed_delete`` (Glance's
    ``Image.delete`` of an image with locations): the record is deleted all the same.
    """
    return dict(_db_worker(db_url).call("delete_image", image_id=image_id, status=status))


def get_image(db_url: str, image_id: str, force_show_deleted: bool = True) -> dict[str, Any]:
    """Glance's ``image_get`` (admin, deleted rows shown by default)."""
    return dict(
        _db_worker(db_url).call(
            "get_image", image_id=image_id, force_show_deleted=force_show_deleted
        )
    )


# --------------------------------------------------------------------------- cache node


class CentralNode:
    """One glance-api node's image cache, written by Glance's ``centralized_db`` driver.

    The node is a process of its own (see the module docstring): several nodes can share
    one database, each seeing only its own rows.  Close it (or use ``with``) when done.
    """

    def __init__(self, db_url: str, node_url: str, cache_dir: str | os.PathLike[str]) -> None:
        self.db_url = db_url
        self.node_url = node_url
        self.path = str(cache_dir)
        os.makedirs(self.path, exist_ok=True)
        self._worker = GlanceWorker(db_url, node_url, self.path)
        self._worker.call("configure")

    @property
    def pid(self) -> int | None:
        return self._worker.pid

    @property
    def log_path(self) -> Path:
        return self._worker.log_path

    def call(self, op: str, **args: Any) -> Any:
        return self._worker.call(op, **args)

    def close(self) -> None:
        self._worker.close()

    def __enter__(self) -> CentralNode:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    # ---- Glance's write paths

    def cache(self, image_id: str, data: bytes) -> None:
        """A completed download: Glance's open_for_write, committed (row inserted)."""
        self.call("cache", image_id=image_id, data=self._b64(data))

    def fail(self, image_id: str, data: bytes, error: str) -> None:
        """A download that failed: Glance rolls it back into invalid/ (row deleted)."""
        self.call("fail", image_id=image_id, data=self._b64(data), error=error)

    def start(self, image_id: str, data: bytes) -> None:
        """A download in flight: the incomplete file stays until finish/abandon."""
        self.call("start", image_id=image_id, data=self._b64(data))

    def finish(self, image_id: str) -> None:
        """Complete a download begun with :meth:`start` (commit: file moved, row added)."""
        self.call("finish", image_id=image_id)

    def abandon(self, image_id: str, error: str = "abandoned") -> None:
        """Fail a download begun with :meth:`start` (rollback into invalid/)."""
        self.call("abandon", image_id=image_id, error=error)

    def read(self, image_id: str, times: int = 1) -> None:
        """Serve the image ``times`` times: each read is hits+1, last_accessed=now."""
        self.call("read", image_id=image_id, times=times)

    def queue(self, image_id: str) -> bool:
        return bool(self.call("queue", image_id=image_id))

    def delete_cached_image(self, image_id: str) -> None:
        self.call("delete_cached_image", image_id=image_id)

    def delete_all_cached_images(self) -> int:
        return int(self.call("delete_all_cached_images"))

    def delete_queued_image(self, image_id: str) -> None:
        self.call("delete_queued_image", image_id=image_id)

    def prune(self, max_size: int) -> tuple[int, int]:
        """Glance's prune loop down to ``max_size``; returns (files, bytes) pruned."""
        files, size = self.call("prune", max_size=max_size)
        return int(files), int(size)

    def clean(self, stall_time: float | None = None) -> None:
        """Glance's clean: invalid/ emptied, incomplete/ files older than stall_time."""
        self.call("clean", stall_time=stall_time)

    def insert_cache_details(
        self,
        image_id: str,
        size: int,
        *,
        checksum: str | None = None,
        last_accessed: str | None = None,
        last_modified: str | None = None,
        hits: int | None = None,
        as_datetime: bool = False,
    ) -> None:
        """Glance's DB API ``insert_cache_details`` for this node (no file written).

        Datetimes are naive-UTC ISO strings (``2024-05-01T12:00:00.123456``), as Glance's
        SQLite migration passes them.  SQLAlchemy's SQLite dialect refuses strings for a
        DateTime column (so Glance's migration fails on an SQLite central database): with
        ``as_datetime`` the worker passes them as naive ``datetime`` objects instead.
        """
        self.call(
            "insert_cache_details",
            image_id=image_id,
            size=size,
            checksum=checksum,
            last_accessed=last_accessed,
            last_modified=last_modified,
            hits=hits,
            as_datetime=as_datetime,
        )

    def delete_cache_row(self, image_id: str) -> None:
        """Glance's DB API ``delete_cached_image`` for this node: its row only, no file."""
        self.call("delete_cache_row", image_id=image_id)

    # ---- Glance's read paths

    def queued(self) -> list[str]:
        return list(self.call("queued"))

    def cached_images(self) -> list[dict[str, Any]]:
        """Glance's get_cached_images for this node (timestamps as epoch floats)."""
        return list(self.call("cached_images"))

    def cache_size(self) -> int:
        return int(self.call("cache_size"))

    def hit_count(self, image_id: str) -> int:
        return int(self.call("hit_count", image_id=image_id))

    def is_cached(self, image_id: str) -> bool:
        return bool(self.call("is_cached", image_id=image_id))

    def cached_nodes(self, image_id: str) -> list[str]:
        """Glance's get_cached_nodes: URLs of every node with a row for ``image_id``."""
        return list(self.call("cached_nodes", image_id=image_id))

    def least_recently_accessed(self) -> tuple[str | None, int]:
        image_id, size = self.call("least_recently_accessed")
        return image_id, int(size)


# --------------------------------------------------------------------------- fresh DBs


class FreshDatabases:
    """Freshly synced Glance databases, one per :meth:`new` call, made fast.

    ``backend`` is ``sqlite`` (files under ``base_dir``), ``postgresql`` (needs a
    :class:`~tests.services.postgres.PostgresServer`) or ``mariadb`` (needs a
    :class:`~tests.services.mariadb.MariaDBServer`).  ``glance-manage db sync`` runs once,
    into a template; :meth:`new` copies the template.
    """

    def __init__(self, backend: str, server: Any = None, base_dir: str | None = None) -> None:
        if backend not in ("sqlite", "postgresql", "mariadb"):
            raise ValueError(f"unknown backend {backend!r}")
        if backend != "sqlite" and server is None:
            raise ValueError(f"{backend} needs a server")
        self.backend = backend
        self.server = server
        self._own_dir = base_dir is None
        self.base_dir = Path(base_dir or make_service_dir("gdbs-"))
        self._count = 0
        # A kept server outlives this process: a name no earlier process with this pid took.
        self._salt = f"_{uuid.uuid4().hex[:8]}" if getattr(server, "attached", False) else ""
        self._made: list[str] = []
        self.sync_seconds = self._sync_template()
        if backend == "postgresql" and not getattr(server, "template_ready", False):
            server.mark_template("glance_template")
        self._unregister = register_cleanup(self.close)

    def _sync_template(self) -> float:
        """``glance-manage db sync`` into the template; returns the seconds it took.

        With ``INSPECTOR_GLANCE_TEMPLATE_CACHE`` set to a directory (``./run mutate``
        sets it: each mutant is a pytest session of its own), the SQLite template is
        synced once into that directory, per Glance version, and copied from there by
        later sessions.  ``./run test`` leaves it unset: one sync per session, as ever.
        """
        if getattr(self.server, "template_ready", False):
            return 0.0  # a kept server's (tests/services/keep_servers.py): synced there
        cache = os.environ.get("INSPECTOR_GLANCE_TEMPLATE_CACHE")
        if self.backend != "sqlite" or not cache:
            return sync_schema(self._template_url())
        from importlib.metadata import version

        kept = Path(cache) / f"glance-{version('glance')}-template.sqlite"
        template = self.base_dir / "template.sqlite"
        if kept.exists():
            shutil.copyfile(kept, template)
            return 0.0
        took = sync_schema(self._template_url())
        kept.parent.mkdir(parents=True, exist_ok=True)
        part = kept.with_name(f"{kept.name}.{os.getpid()}.part")
        shutil.copyfile(template, part)
        os.replace(part, kept)
        return took

    def _template_url(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.base_dir / 'template.sqlite'}"
        self.server.create_database("glance_template")
        return str(self.server.url("glance_template"))

    def new(self) -> str:
        """A new database with Glance's full schema; returns its SQLAlchemy URL."""
        self._count += 1
        name = f"glance_{os.getpid()}_{self._count}{self._salt}"
        if self.backend == "sqlite":
            path = self.base_dir / f"{name}.sqlite"
            shutil.copyfile(self.base_dir / "template.sqlite", path)
            url = f"sqlite:///{path}"
        elif self.backend == "postgresql":
            self.server.create_database(name, template="glance_template")
            url = self.server.url(name)
        else:
            self.server.clone_database("glance_template", name)
            url = self.server.url(name)
        self._made.append(url)
        return str(url)

    def copy(self, url: str) -> str:
        """An identical copy of a database made by :meth:`new` (dropped like the others).

        PostgreSQL copies it as a template (nobody may be connected to ``url``: close its
        nodes first); MariaDB clones it table by table; SQLite copies the file.
        """
        close_db_workers(url)
        self._count += 1
        name = f"glance_{os.getpid()}_{self._count}{self._salt}"
        if self.backend == "sqlite":
            path = self.base_dir / f"{name}.sqlite"
            shutil.copyfile(urlsplit(url).path[1:], path)
            new = f"sqlite:///{path}"
        elif self.backend == "postgresql":
            self.server.create_database(name, template=urlsplit(url).path.lstrip("/"))
            new = self.server.url(name)
        else:
            self.server.clone_database(urlsplit(url).path.lstrip("/"), name)
            new = self.server.url(name)
        self._made.append(new)
        return str(new)

    def drop(self, url: str) -> None:
        """Drop a database made by :meth:`new` (its image-record worker is stopped)."""
        close_db_workers(url)
        if url in self._made:
            self._made.remove(url)
        if self.backend == "sqlite":
            path = urlsplit(url).path[1:]
            for suffix in ("", "-journal", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.unlink(path + suffix)
            return
        name = urlsplit(url).path.lstrip("/")
        with contextlib.suppress(Exception):
            self.server.drop_database(name)

    def close(self) -> None:
        for url in list(self._made):
            self.drop(url)
        self._unregister()
        if self._own_dir:
            remove_tree(self.base_dir)


# =========================================================================== in the worker


_PRELOAD = (
    "oslo_config.cfg",
    "glance.common.config",
    "glance.image_cache",
    "glance.context",
    "glance.db.sqlalchemy.api",
    "glance.image_cache.drivers.centralized_db",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql",
    "sqlalchemy.dialects.mysql",
    "pymysql",
    "psycopg",
    "psycopg2",
)


def _fork_server_main() -> None:  # pragma: no cover - runs in the fork server
    """The fork server: preload Glance, then fork one worker per connection."""
    import importlib
    import warnings

    warnings.simplefilter("ignore")
    for module in _PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    socket_path = sys.argv[1]
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path + ".tmp")
    os.rename(socket_path + ".tmp", socket_path)  # appears only once listening
    server.listen(64)
    while True:
        ready, _, _ = select.select([server, sys.stdin], [], [])
        if sys.stdin in ready and not os.read(sys.stdin.fileno(), 1):
            return  # the test process closed our stdin (or died)
        if server not in ready:
            continue
        conn, _ = server.accept()
        pid = os.fork()
        if pid == 0:
            server.close()
            code = 0
            try:
                _worker_child(conn)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        conn.close()


def _worker_child(conn: socket.socket) -> None:  # pragma: no cover - runs in a worker
    """One Glance worker: JSON lines on ``conn``; the first message is ``hello``."""
    import ctypes

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)  # die with the fork server
    sys.stdin.close()
    os.setsid()
    reader, writer = conn.makefile("rb"), conn.makefile("wb")
    hello = json.loads(reader.readline() or b"{}")
    args = hello.get("args", {})
    log_fd = os.open(args["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)

    import warnings

    warnings.simplefilter("ignore")
    import glance.common.config
    import glance.image_cache  # noqa: F401  (image_cache_* options)
    from glance import context as glance_context
    from glance.db.sqlalchemy import api as db_api
    from glance.image_cache.drivers import centralized_db
    from oslo_config import cfg

    conf = cfg.CONF
    conf(
        ["--config-file", args["conf"]],
        project="glance",
        prog="glance-api",
        default_config_files=[],
        default_config_dirs=[],
    )
    ctx = glance_context.get_admin_context()
    state: dict[str, Any] = {"driver": None, "writes": {}}

    def driver() -> Any:
        if state["driver"] is None:
            raise RuntimeError("not a cache node: no node_url/cache_dir")
        return state["driver"]

    def data(args: dict[str, Any]) -> bytes:
        return base64.b64decode(args["data"])

    def jsonable(value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): jsonable(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [jsonable(v) for v in value]
        if hasattr(value, "isoformat"):
            return value.isoformat()
        if isinstance(value, int | float | str | bool) or value is None:
            return value
        if hasattr(value, "to_dict"):
            return jsonable(value.to_dict())
        return str(value)

    def op_configure(args: dict[str, Any]) -> Any:
        d = centralized_db.Driver()
        d.configure()
        state["driver"] = d
        return True

    def op_cache(args: dict[str, Any]) -> Any:
        with driver().open_for_write(args["image_id"]) as f:
            f.write(data(args))

    def op_fail(args: dict[str, Any]) -> Any:
        with contextlib.suppress(OSError), driver().open_for_write(args["image_id"]) as f:
            f.write(data(args))
            raise OSError(args["error"])

    def op_start(args: dict[str, Any]) -> Any:
        cm = driver().open_for_write(args["image_id"])
        f = cm.__enter__()
        f.write(data(args))
        f.flush()
        state["writes"][args["image_id"]] = cm

    def op_finish(args: dict[str, Any]) -> Any:
        state["writes"].pop(args["image_id"]).__exit__(None, None, None)

    def op_abandon(args: dict[str, Any]) -> Any:
        cm = state["writes"].pop(args["image_id"])
        error = OSError(args["error"])
        with contextlib.suppress(OSError):
            cm.__exit__(OSError, error, None)

    def op_read(args: dict[str, Any]) -> Any:
        for _ in range(int(args.get("times", 1))):
            with driver().open_for_read(args["image_id"]) as f:
                while f.read(1 << 20):
                    pass

    def op_prune(args: dict[str, Any]) -> Any:
        # glance.image_cache.ImageCache.prune, with a given max_size, stopping when the
        # node has no row left (the driver then returns (None, 0), which Glance's own
        # loop would take for an entry and spin on).
        d, files, pruned = driver(), 0, 0
        while d.get_cache_size() > int(args["max_size"]):
            image_id, size = d.get_least_recently_accessed()
            if image_id is None:
                break
            d.delete_cached_image(image_id)
            files, pruned = files + 1, pruned + size
        return [files, pruned]

    def op_insert_cache_details(args: dict[str, Any]) -> Any:
        import datetime

        def when(value: str | None) -> Any:
            if value is not None and args.get("as_datetime"):
                return datetime.datetime.fromisoformat(value)
            return value

        db_api.insert_cache_details(
            ctx,
            conf.worker_self_reference_url,
            args["image_id"],
            args["size"],
            checksum=args.get("checksum"),
            last_accessed=when(args.get("last_accessed")),
            last_modified=when(args.get("last_modified")),
            hits=args.get("hits"),
        )

    def op_create_image(args: dict[str, Any]) -> Any:
        return jsonable(db_api.image_create(ctx, dict(args["values"])))

    def op_delete_image(args: dict[str, Any]) -> Any:
        # glance.db.ImageRepo.remove, after the domain model set the status (Image.delete)
        image_id = args["image_id"]
        status = args.get("status", "deleted")
        db_api.image_update(ctx, image_id, {"status": status}, purge_props=True)
        return jsonable(db_api.image_destroy(ctx, image_id))

    def op_get_image(args: dict[str, Any]) -> Any:
        return jsonable(
            db_api.image_get(
                ctx, args["image_id"], force_show_deleted=args.get("force_show_deleted", True)
            )
        )

    ops: dict[str, Any] = {
        "configure": op_configure,
        "cache": op_cache,
        "fail": op_fail,
        "start": op_start,
        "finish": op_finish,
        "abandon": op_abandon,
        "read": op_read,
        "queue": lambda a: driver().queue_image(a["image_id"]),
        "queued": lambda a: list(driver().get_queued_images()),
        "cached_images": lambda a: list(driver().get_cached_images()),
        "cache_size": lambda a: driver().get_cache_size(),
        "hit_count": lambda a: driver().get_hit_count(a["image_id"]),
        "is_cached": lambda a: driver().is_cached(a["image_id"]),
        "cached_nodes": lambda a: list(driver().get_cached_nodes(a["image_id"])),
        "least_recently_accessed": lambda a: list(driver().get_least_recently_accessed()),
        "delete_cached_image": lambda a: driver().delete_cached_image(a["image_id"]),
        "delete_all_cached_images": lambda a: driver().delete_all_cached_images(),
        "delete_queued_image": lambda a: driver().delete_queued_image(a["image_id"]),
        "prune": op_prune,
        "clean": lambda a: driver().clean(a.get("stall_time")),
        "insert_cache_details": op_insert_cache_details,
        "delete_cache_row": lambda a: db_api.delete_cached_image(
            ctx, a["image_id"], conf.worker_self_reference_url
        ),
        "create_image": op_create_image,
        "delete_image": op_delete_image,
        "get_image": op_get_image,
    }

    def send(reply: dict[str, Any]) -> None:
        writer.write(json.dumps(reply).encode() + b"\n")
        writer.flush()

    send({"result": os.getpid()})
    for line in reader:
        request = json.loads(line)
        try:
            result = ops[request["op"]](request["args"])
            reply: dict[str, Any] = {"result": jsonable(result)}
        except Exception as e:
            reply = {"error": str(e), "kind": type(e).__name__}
        send(reply)


def _iter_rows(db_url: str, sql: str) -> Iterator[dict[str, Any]]:
    """Rows of ``sql`` on ``db_url`` as dicts (plain SQLAlchemy, for the tests' checks)."""
    import sqlalchemy as sa

    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            for row in conn.execute(sa.text(sql)):
                yield dict(row._mapping)
    finally:
        engine.dispose()


def rows(db_url: str, sql: str) -> list[dict[str, Any]]:
    """All rows of ``sql`` on ``db_url`` as dicts."""
    return list(_iter_rows(db_url, sql))
