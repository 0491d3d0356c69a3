"""A small round-robin TCP load balancer on 127.0.0.1, as found in front of glance-api.

Each accepted connection goes to the next backend in turn and bytes are copied
both ways until either side closes; what clients send is kept (``sent``), so a
test can look at the requests as the nodes received them (their headers).  It
stands for HAProxy in ``mode tcp``: the nodes behind it see real requests, and a
client of the proxy's URL reaches whichever node the proxy picks.  ``accepted`` counts
the connections clients made, ``open`` those they have not closed yet.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
from collections.abc import Sequence
from urllib.parse import urlsplit

from tests.services import register_cleanup


class TcpProxy:
    def __init__(self, backends: Sequence[str]) -> None:
        """``backends``: the nodes' URLs (``http://127.0.0.1:PORT``)."""
        self.backends = [_address(url) for url in backends]
        self._turn = itertools.cycle(range(len(self.backends)))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.sent = bytearray()
        self.accepted = 0
        self.open = 0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._closed = False
        self._unregister = register_cleanup(self.close)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                backend = self.backends[next(self._turn)]
            try:
                upstream = socket.create_connection(backend, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
                self.accepted += 1
                self.open += 1
            for src, dst, record in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pipe, args=(src, dst, record), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, record: bool) -> None:
        try:
            while data := src.recv(65536):
                if record:
                    with self._lock:
                        self.sent += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            if record:  # the client closed its side (or the proxy is closing)
                with self._lock:
                    self.open -= 1
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):  # wakes the accept() under way (close alone does not)
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.close()
            self._sockets.clear()
        self._thread.join(timeout=5)
        self._unregister()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1" and parts.port, url
    return parts.hostname, parts.port
