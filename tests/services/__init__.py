"""Real services for the tests: PostgreSQL, MariaDB, Glance's central DB, live glance-api.

Every server here is started by the test code itself, in a temporary directory, listening
on a unix socket or on 127.0.0.1 only, and stopped afterwards.  This module holds the
process plumbing they share:

* :func:`spawn` starts a child that dies with the test process (``PR_SET_PDEATHSIG``), so
  a killed pytest leaves no server behind, and optionally drops root to an unprivileged
  user (initdb and mariadbd refuse to run as root, and a server should not run as root).
* :func:`stop_process` stops a child politely, then kills its whole process group.
* :func:`register_cleanup` runs stop functions at interpreter exit, for whatever a test
  forgot; the fixtures stop everything explicitly as well.
* :class:`ServiceUnavailable` is raised when a Debian or pip package is missing; the
  fixtures turn it into a skip (or a failure with ``INSPECTOR_REQUIRE_SERVICES`` set).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

__all__ = [
    "KeptServer",
    "ServiceError",
    "ServiceUnavailable",
    "free_port",
    "listening_tcp_ports",
    "log_tail",
    "make_service_dir",
    "process_tree",
    "register_cleanup",
    "remove_tree",
    "spawn",
    "stop_process",
    "unprivileged_user",
    "wait_until",
]

_PR_SET_PDEATHSIG = 1
#: Unix socket paths are limited to 107 bytes; keep our temp dirs short.
_MAX_SOCKET_DIR = 80


class ServiceUnavailable(RuntimeError):
    """A package the service needs is not installed; ``hint`` says how to install it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(f"{message} (install with: {hint})")
        self.hint = hint


class ServiceError(RuntimeError):
    """A service was installed but failed to start or to answer."""


class KeptServer:
    """A database server one process starts and keeps (``tests/services/keep_servers.py``)
    and others attach to: :meth:`describe` there, :meth:`attach` here.

    The server class gives ``user``, ``password``, ``_admin_password``, ``dir`` and
    ``_dir``, and a constructor taking the user and the password.
    """

    user: str
    password: str
    _admin_password: str
    dir: Path | None
    #: Started by another process, which stops it.
    attached = False
    #: Glance's schema is in its database ``glance_template`` already.
    template_ready = False

    def describe(self) -> dict[str, Any]:
        """What :meth:`attach` needs, for a process of the same user (0600 file)."""
        return {
            "dir": str(self._dir),
            "user": self.user,
            "password": self.password,
            "admin_password": self._admin_password,
        }

    @classmethod
    def attach(cls, state: dict[str, Any]) -> Self:
        """The running server another process started and described; stopping it here
        does nothing."""
        server = cls(state["user"], state["password"])
        server._admin_password = state["admin_password"]
        server.dir = Path(state["dir"])
        server.attached = True
        server.template_ready = True
        return server


# --------------------------------------------------------------------------- cleanup

_cleanups: dict[int, Callable[[], None]] = {}
_cleanup_lock = threading.Lock()


def register_cleanup(fn: Callable[[], None]) -> Callable[[], None]:
    """Run ``fn`` at interpreter exit unless the returned ``unregister`` is called first."""
    key = id(fn)
    with _cleanup_lock:
        _cleanups[key] = fn

    def unregister() -> None:
        with _cleanup_lock:
            _cleanups.pop(key, None)

    return unregister


@atexit.register
def _run_cleanups() -> None:
    with _cleanup_lock:
        pending = list(_cleanups.values())
        _cleanups.clear()
    for fn in reversed(pending):
        with contextlib.suppress(Exception):
            fn()


# --------------------------------------------------------------------------- users/dirs


def unprivileged_user(candidates: Sequence[str]) -> tuple[int, int] | None:
    """``(uid, gid)`` to run a server as when we are root, else None (run as ourselves).

    The first existing account of ``candidates`` wins, then ``nobody``.
    """
    if os.geteuid() != 0:
        return None
    for name in (*candidates, "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    raise ServiceError(f"no unprivileged account among {[*candidates, 'nobody']}")


def make_service_dir(prefix: str, owner: tuple[int, int] | None = None) -> Path:
    """A fresh private temp dir (short path: it holds unix sockets) owned by ``owner``."""
    base = tempfile.gettempdir()
    if len(base) > _MAX_SOCKET_DIR - 30:
        base = "/tmp"
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    if owner is not None:
        os.chown(path, *owner)
    return path


def remove_tree(path: str | os.PathLike[str]) -> None:
    """Remove a service dir; files owned by the service user are removable by root."""
    shutil.rmtree(path, ignore_errors=True)


# --------------------------------------------------------------------------- processes


def _child_setup(parent_pid: int) -> Callable[[], None]:
    libc = ctypes.CDLL(None, use_errno=True)

    def setup() -> None:
        # Runs in the child after the uid switch (which would clear the setting),
        # before exec: the child gets SIGKILL-free SIGTERM when the test process dies.
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent_pid:
            os._exit(1)

    return setup


def spawn(
    argv: Sequence[str],
    *,
    log: str | os.PathLike[str],
    user: tuple[int, int] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    stdin: int | None = subprocess.DEVNULL,
    stdout: int | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session, stderr (and stdout) appended to ``log``.

    The child gets ``PR_SET_PDEATHSIG=SIGTERM``: it is told to stop when the test
    process exits, however it exits.  With ``user``, it runs as that ``(uid, gid)``.
    """
    with open(log, "ab") as log_file:
        kwargs: dict[str, object] = {}
        if user is not None:
            kwargs.update(user=user[0], group=user[1], extra_groups=[])
        return subprocess.Popen(
            list(argv),
            stdin=stdin,
            stdout=log_file if stdout is None else stdout,
            stderr=log_file,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_child_setup(os.getpid()),
            close_fds=True,
            **kwargs,  # type: ignore[arg-type]
        )


def stop_process(
    proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM, timeout: float = 15.0
) -> None:
    """Send ``sig``, wait up to ``timeout`` s, then SIGKILL the process group."""
    if proc is None:
        return
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


def log_tail(path: str | os.PathLike[str], lines: int = 30) -> str:
    """The last ``lines`` lines of a log file, for error messages."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def wait_until(
    ready: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    proc: subprocess.Popen[bytes] | None = None,
    log: str | os.PathLike[str] | None = None,
    interval: float = 0.05,
) -> float:
    """Poll ``ready`` until true; fail early if ``proc`` dies.  Returns seconds waited."""
    start = time.monotonic()
    while True:
        if ready():
            return time.monotonic() - start
        if proc is not None and proc.poll() is not None:
            tail = log_tail(log) if log else ""
            raise ServiceError(f"{what}: process exited with {proc.returncode}\n{tail}")
        if time.monotonic() - start > timeout:
            tail = log_tail(log) if log else ""
            raise ServiceError(f"{what}: not ready after {timeout:.0f} s\n{tail}")
        time.sleep(interval)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- inspection


def _socket_inodes(pids: Iterable[int]) -> set[str]:
    inodes: set[str] = set()
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        with contextlib.suppress(OSError):
            for fd in fd_dir.iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        inodes.add(target[8:-1])
    return inodes


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def listening_tcp_ports(pids: Iterable[int]) -> list[tuple[str, int]]:
    """``(address, port)`` of every TCP/TCP6 socket in LISTEN state owned by ``pids``."""
    inodes = _socket_inodes(pids)
    found: list[tuple[str, int]] = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] != "0A" or fields[9] not in inodes:  # 0A = LISTEN
                    continue
                address, port = fields[1].rsplit(":", 1)
                found.append((address, int(port, 16)))
    return found
