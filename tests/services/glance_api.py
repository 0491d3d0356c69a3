"""Live glance-api nodes: Glance 33's WSGI app under a real WSGI server on 127.0.0.1.

:class:`GlanceAPINode` runs ``glance.wsgi.api:application`` (the entry point Glance ships
for WSGI servers) under gunicorn (default) or uWSGI, on ``127.0.0.1:<free port>``.  The
app finds its config through ``OS_GLANCE_CONFIG_DIR``: a generated directory holding
``glance-api.conf`` (and the policy file); the paste pipeline is the ``glance-api-paste.ini``
shipped in the glance wheel (``<venv>/etc/glance``), flavor ``caching``: no keystone
(``unauthenticated-context``, an admin context without roles or project) and the
``cache`` middleware, which caches an image on the node that serves its download.
Glance's image cache uses the ``centralized_db`` driver with
``worker_self_reference_url = http://127.0.0.1:<port>`` (the node's own URL) and the
database given; images go to a filesystem store, shared by the nodes of a :class:`Fleet`.

Policies: ``enforce_new_defaults = false`` makes the image rules fall back to their
legacy defaults (open, as a noauth deployment needs), and a policy file opens the cache
API rules (cache_image, cache_list, cache_delete, cache_clean, cache_prune,
list_cached_nodes, manage_image_cache), which are admin-only by default.

The HTTP helpers use ``requests`` directly, an independent check of what the product
does with openstacksdk.  Each call goes to this node's own URL: the cache API acts on the
cache of whichever node receives the request.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.services import (
    ServiceError,
    ServiceUnavailable,
    free_port,
    log_tail,
    make_service_dir,
    register_cleanup,
    remove_tree,
    spawn,
    stop_process,
)
from tests.services.glance_db import (
    _child_env,
    close_db_workers,
    glance_available,
    redact,
    sync_schema,
    write_glance_conf,
)

__all__ = ["CACHE_POLICY_RULES", "Fleet", "GlanceAPINode", "paste_ini", "wsgi_servers"]

PIP_HINT = "pip install 'gunicorn>=23'"

#: Glance 33's cache API rules (glance/policies/cache.py + list_cached_nodes), opened.
CACHE_POLICY_RULES = (
    "cache_image",
    "cache_list",
    "cache_delete",
    "cache_clean",
    "cache_prune",
    "list_cached_nodes",
    "manage_image_cache",
)


def paste_ini() -> Path:
    """The ``glance-api-paste.ini`` installed with the glance wheel."""
    for prefix in (sys.prefix, sys.base_prefix):
        path = Path(prefix, "etc", "glance", "glance-api-paste.ini")
        if path.exists():
            return path
    raise ServiceUnavailable("glance-api-paste.ini not found", "pip install 'glance==33.0.0'")


def wsgi_servers() -> list[str]:
    """WSGI servers installed here, preferred first."""
    found = []
    if importlib.util.find_spec("gunicorn"):
        found.append("gunicorn")
    if (Path(sys.executable).parent / "uwsgi").exists():
        found.append("uwsgi")
    return found


class GlanceAPINode:
    """One live glance-api node; see the module docstring.

    ``db_url`` must hold Glance's schema (:func:`~tests.services.glance_db.sync_schema`).
    ``store_dir`` is the filesystem store (share it between nodes that serve the same
    images); ``cache_dir`` defaults to ``<node dir>/cache``.
    """

    def __init__(
        self,
        db_url: str,
        *,
        store_dir: str | os.PathLike[str] | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        port: int | None = None,
        server: str | None = None,
        cache_max_size: int | None = None,
        cache_stall_time: int | None = None,
        extra_conf: dict[str, dict[str, Any]] | None = None,
        threads: int = 4,
    ) -> None:
        if not glance_available():
            raise ServiceUnavailable("glance is not installed", "pip install 'glance==33.0.0'")
        servers = wsgi_servers()
        if server is None:
            if not servers:
                raise ServiceUnavailable("no WSGI server installed", PIP_HINT)
            server = servers[0]
        elif server not in servers:
            raise ServiceUnavailable(f"{server} is not installed", f"pip install {server}")
        self.server = server
        self.db_url = db_url
        self.dir = make_service_dir("gapi-")
        self.cache_dir = Path(cache_dir) if cache_dir else self.dir / "cache"
        self.store_dir = Path(store_dir) if store_dir else self.dir / "images"
        self.port = port or free_port()
        self.threads = threads
        self.cache_max_size = cache_max_size
        self.cache_stall_time = cache_stall_time
        self.extra_conf = extra_conf or {}
        self.log_path = self.dir / "glance-api.log"
        self.server_log_path = self.dir / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._unregister = register_cleanup(self.close)
        self.startup_seconds = 0.0
        for path in (self.cache_dir, self.store_dir, self.dir / "staging", self.dir / "etc"):
            path.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ config

    @property
    def url(self) -> str:
        """The node's own URL, also its ``worker_self_reference_url``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_dir(self) -> Path:
        """``OS_GLANCE_CONFIG_DIR`` of the node."""
        return self.dir / "etc"

    def _write_config(self) -> None:
        etc = self.config_dir
        policy = etc / "policy.yaml"
        policy.write_text("".join(f'"{rule}": ""\n' for rule in CACHE_POLICY_RULES))
        default: dict[str, Any] = {
            "image_cache_dir": self.cache_dir,
            "image_cache_driver": "centralized_db",
            "worker_self_reference_url": self.url,
            "node_staging_uri": f"file://{self.dir / 'staging'}",
            "log_file": self.log_path,
            "debug": False,
        }
        if self.cache_max_size is not None:
            default["image_cache_max_size"] = self.cache_max_size
        if self.cache_stall_time is not None:
            default["image_cache_stall_time"] = self.cache_stall_time
        sections: dict[str, dict[str, Any]] = {
            "DEFAULT": default,
            "paste_deploy": {"flavor": "caching", "config_file": paste_ini()},
            "glance_store": {
                "stores": "file",
                "default_store": "file",
                "filesystem_store_datadir": self.store_dir,
            },
            "oslo_policy": {
                "policy_file": policy,
                "enforce_new_defaults": False,
                "enforce_scope": False,
            },
        }
        for name, options in self.extra_conf.items():
            sections.setdefault(name, {}).update(options)
        write_glance_conf(etc / "glance-api.conf", self.db_url, **sections)

    def _argv(self) -> list[str]:
        app = "glance.wsgi.api:application"
        if self.server == "uwsgi":
            return [
                str(Path(sys.executable).parent / "uwsgi"),
                "--http-socket",
                f"127.0.0.1:{self.port}",
                "--module",
                app,
                "--master",
                "--processes",
                "1",
                "--threads",
                str(self.threads),
                "--virtualenv",
                sys.prefix,
                "--die-on-term",
                "--need-app",
                "--disable-logging",
                "--chdir",
                str(self.dir),
            ]
        conf = self.dir / "gunicorn.conf.py"
        conf.write_text(
            f"bind = ['127.0.0.1:{self.port}']\n"
            f"workers = 1\nthreads = {self.threads}\nworker_class = 'gthread'\n"
            "timeout = 120\ngraceful_timeout = 5\n"
            "control_socket_disable = True\n"  # gunicorn >= 25.1; ignored before
            f"chdir = {str(self.dir)!r}\n"
        )
        return [sys.executable, "-m", "gunicorn", "--config", str(conf), app]

    # ------------------------------------------------------------------ lifecycle

    @property
    def pid(self) -> int | None:
        """The server's (master's) pid while running."""
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    @property
    def running(self) -> bool:
        return self.pid is not None

    def spawn(self) -> None:
        """Start the server process without waiting for it (see :meth:`wait_ready`)."""
        if self.running:
            return
        self._write_config()
        env = _child_env(self.dir)
        env["OS_GLANCE_CONFIG_DIR"] = str(self.config_dir)
        env.pop("XDG_RUNTIME_DIR", None)
        self._started_at = time.monotonic()
        self._proc = spawn(self._argv(), log=self.server_log_path, env=env, cwd=self.dir)

    def wait_ready(self, timeout: float = 90.0) -> float:
        """Wait until the app answers ``GET /`` (the version list); returns seconds."""
        import requests

        deadline = time.monotonic() + timeout
        while True:
            if self._proc is None or self._proc.poll() is not None:
                raise ServiceError(f"glance-api on {self.url} exited:\n{self._tails()}")
            try:
                response = requests.get(self.url + "/", timeout=5)
                if response.status_code == 300:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise ServiceError(f"glance-api on {self.url} not ready:\n{self._tails()}")
            time.sleep(0.1)
        self.startup_seconds = time.monotonic() - self._started_at
        return self.startup_seconds

    def start(self, timeout: float = 90.0) -> GlanceAPINode:
        """Start the node (again, on the same port and dirs) and wait until it answers."""
        self.spawn()
        self.wait_ready(timeout)
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL of its process group): connections to
        :attr:`url` are refused afterwards.  Files and DB rows stay."""
        sig = signal.SIGINT if self.server == "uwsgi" else signal.SIGTERM
        stop_process(self._proc, sig, timeout=timeout)
        self._proc = None

    def kill(self) -> None:
        """SIGKILL the server's process group at once (a crash, not a shutdown)."""
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
        stop_process(self._proc, timeout=5)
        self._proc = None

    def close(self) -> None:
        """Stop and remove the node's temp dir (cache and, unless shared, the store)."""
        self.stop()
        self._unregister()
        remove_tree(self.dir)

    def __enter__(self) -> GlanceAPINode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tails(self) -> str:
        text = f"--- server log\n{log_tail(self.server_log_path)}\n"
        text += f"--- glance-api.log\n{log_tail(self.log_path)}"
        return redact(text, self.db_url)

    # ------------------------------------------------------------------ HTTP

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One HTTP request to this node (``requests.Response``); no retries."""
        import requests

        kwargs.setdefault("timeout", 60)
        return requests.request(method, self.url + path, **kwargs)

    def _ok(self, response: Any, *codes: int) -> Any:
        if response.status_code not in codes:
            raise ServiceError(
                f"{response.request.method} {response.url} -> {response.status_code}: "
                f"{response.text[:500]}"
            )
        return response

    def create_image(self, name: str, **fields: Any) -> dict[str, Any]:
        """POST /v2/images (a ``queued`` image without data)."""
        body = {"name": name, "disk_format": "raw", "container_format": "bare", **fields}
        return dict(self._ok(self.request("POST", "/v2/images", json=body), 201).json())

    def upload_data(self, image_id: str, data: bytes) -> None:
        """PUT /v2/images/{id}/file."""
        headers = {"Content-Type": "application/octet-stream"}
        self._ok(
            self.request("PUT", f"/v2/images/{image_id}/file", data=data, headers=headers), 204
        )

    def upload_image(self, name: str, data: bytes, **fields: Any) -> str:
        """Create an image and upload its data through this node; returns its id."""
        image_id = str(self.create_image(name, **fields)["id"])
        self.upload_data(image_id, data)
        return image_id

    def get_image(self, image_id: str) -> dict[str, Any]:
        return dict(self._ok(self.request("GET", f"/v2/images/{image_id}"), 200).json())

    def delete_image(self, image_id: str) -> None:
        self._ok(self.request("DELETE", f"/v2/images/{image_id}"), 204)

    def download(self, image_id: str) -> bytes:
        """GET /v2/images/{id}/file through this node, which caches it as it serves it.

        The cache middleware writes the cache file and its ``cached_images`` row while
        the body streams, so both exist once this returns.
        """
        return bytes(self._ok(self.request("GET", f"/v2/images/{image_id}/file"), 200).content)

    # ---- cache API (/v2/cache, Glance API 2.14+; 2.18 adds /cache/nodes, clean, prune)

    def cache_state(self) -> dict[str, Any]:
        """GET /v2/cache: ``{"cached_images": [...], "queued_images": [...]}``."""
        return dict(self._ok(self.request("GET", "/v2/cache"), 200).json())

    def cached_ids(self) -> list[str]:
        return sorted(entry["image_id"] for entry in self.cache_state()["cached_images"])

    def cache_queue(self, image_id: str) -> Any:
        """PUT /v2/cache/{id} (202; the node's cache worker then fetches it)."""
        return self.request("PUT", f"/v2/cache/{image_id}")

    def cache_delete(self, image_id: str) -> Any:
        """DELETE /v2/cache/{id}: from this node's cache and queue (204)."""
        return self.request("DELETE", f"/v2/cache/{image_id}")

    def cache_clear(self, target: str | None = None) -> Any:
        """DELETE /v2/cache; ``target`` 'cache' or 'queue' goes in x-image-cache-clear-target."""
        headers = {"x-image-cache-clear-target": target} if target is not None else {}
        return self.request("DELETE", "/v2/cache", headers=headers)

    def cache_clean(self) -> Any:
        """POST /v2/cache/clean (200, empty body)."""
        return self.request("POST", "/v2/cache/clean")

    def cache_prune(self) -> dict[str, int]:
        """POST /v2/cache/prune: ``{"total_files_pruned": n, "total_bytes_pruned": b}``."""
        return dict(self._ok(self.request("POST", "/v2/cache/prune"), 200).json())

    def cached_nodes(self, image_id: str) -> list[str]:
        """GET /v2/cache/nodes/{id}: the URLs of the nodes with a cache row for it."""
        return list(self._ok(self.request("GET", f"/v2/cache/nodes/{image_id}"), 200).json())

    def wait_cached(self, image_id: str, timeout: float = 30.0) -> None:
        """Wait until GET /v2/cache lists ``image_id`` (after a PUT /v2/cache/{id})."""
        deadline = time.monotonic() + timeout
        while image_id not in self.cached_ids():
            if time.monotonic() > deadline:
                raise ServiceError(f"{image_id} not cached on {self.url}:\n{self._tails()}")
            time.sleep(0.1)

    def cache_files(self) -> list[str]:
        """Names of the files directly in the cache dir (cached images)."""
        return sorted(p.name for p in self.cache_dir.iterdir() if p.is_file())

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<GlanceAPINode {self.url} {state}>"


class Fleet:
    """``n`` live glance-api nodes sharing one database and one image store.

    ``db_url`` must hold Glance's schema; without it, a SQLite file in the fleet's dir
    is created and synced (``glance-manage db sync``, a few seconds).  Nodes start in
    parallel.  ``with Fleet(2) as fleet: fleet[0].upload_image(...)``.
    """

    def __init__(self, n: int = 2, db_url: str | None = None, **node_options: Any) -> None:
        self.dir = make_service_dir("gfleet-")
        self._unregister = register_cleanup(self.close)
        self.nodes: list[GlanceAPINode] = []
        try:
            if db_url is None:
                db_url = f"sqlite:///{self.dir / 'glance.sqlite'}"
                sync_schema(db_url)
            self.db_url = db_url
            self.store_dir = self.dir / "images"
            self.store_dir.mkdir()
            self.nodes = [
                GlanceAPINode(db_url, store_dir=self.store_dir, **node_options) for _ in range(n)
            ]
        except BaseException:
            self.close()
            raise

    def start(self) -> Fleet:
        for node in self.nodes:
            node.spawn()
        try:
            for node in self.nodes:
                node.wait_ready()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        for node in self.nodes:
            node.close()
        close_db_workers(getattr(self, "db_url", None) or "-")
        self._unregister()
        remove_tree(self.dir)

    def __enter__(self) -> Fleet:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getitem__(self, index: int) -> GlanceAPINode:
        return self.nodes[index]

    def __iter__(self) -> Iterator[GlanceAPINode]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def cache_states(self) -> dict[str, Any]:
        """GET /v2/cache of every running node, by URL."""
        return {node.url: node.cache_state() for node in self.nodes if node.running}
