"""A PostgreSQL and a MariaDB server kept for a whole mutation run (``./run mutate``).

mutmut runs each mutant as a pytest session of its own, and each session would start
its own servers and sync Glance's schema into them (3 to 6 s a session).  This
process starts one server of each, syncs Glance's schema into each one's
``glance_template`` once (``glance-manage db sync``, as the fixtures do), writes what
the sessions need to attach to them into ``STATE`` (mode 0600; the fixtures read it
when ``INSPECTOR_KEPT_SERVERS`` names it), and stops them when it is told to stop
(SIGTERM, SIGINT) or the process that started it is gone.  Each session still gets fresh
databases of its own, copied from the template, and drops them.  ``./run test`` does
not use it.

    python -m tests.services.keep_servers STATE
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from tests.services.glance_db import FreshDatabases
from tests.services.mariadb import MariaDBServer
from tests.services.postgres import PostgresServer


def main(state_path: str) -> int:
    parent = os.getppid()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    servers: list[Any] = [PostgresServer().start(), MariaDBServer().start()]
    databases = []
    try:
        state = {}
        for backend, server in zip(("postgresql", "mariadb"), servers, strict=True):
            databases.append(FreshDatabases(backend, server))
            state[backend] = server.describe()
        path = Path(state_path)
        part = path.with_name(path.name + ".part")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(state, f)
        os.replace(part, path)
        print(f"kept servers ready: {path}", flush=True)
        while not stop.wait(1.0):
            if os.getppid() != parent:  # whoever started it is gone
                break
    finally:
        for made in databases:
            made.close()
        for server in servers:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
