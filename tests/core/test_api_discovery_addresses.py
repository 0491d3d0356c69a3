"""Which address a "no version discovery document" failure is checked at, and what is said.

keystoneauth names the URL it found no version document at; the inspector
connects once to that URL's host and port (80 or 443 when the URL gives none,
by its scheme) to tell a node that is down from one that answered without
one, and says why a connection could not be made (no route, no network).
"""

from __future__ import annotations

import errno
import socket

import pytest
from keystoneauth1 import exceptions as ks

from inspector.core.drivers.glance.api_client import NodeClient
from inspector.core.drivers.glance.api_errors import translate

NO_VERSIONS = "it gave no usable list of API versions"


def _why(node: str, at: str) -> str:
    failure = ks.DiscoveryFailure(
        f"Unable to find a version discovery document at {at}, the service is unavailable "
        "or misconfigured. Required version range (any - any), version hack disabled."
    )
    return str(translate(NodeClient(node, timeout=2), "list its cache", failure))


def _listening(port: int) -> socket.socket:
    try:
        return socket.create_server(("127.0.0.1", port))
    except OSError as exc:  # not root, or the port taken on this machine
        pytest.skip(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}")


@pytest.mark.parametrize(("scheme", "port", "other"), [("http", 80, 443), ("https", 443, 80)])
def test_a_url_without_a_port_is_checked_at_its_schemes_port(
    scheme: str, port: int, other: int
) -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", other)) == 0:
            pytest.skip(f"something listens on 127.0.0.1:{other} on this machine")
    url = f"{scheme}://127.0.0.1"
    with _listening(port):
        assert _why(url, f"{url}/") == f"node {url} does not answer: {NO_VERSIONS}."


def test_a_url_without_a_host_is_not_connected_to(monkeypatch: pytest.MonkeyPatch) -> None:
    def connect(*args: object, **kwargs: object) -> socket.socket:
        raise AssertionError(f"a connection was tried: {args}")

    monkeypatch.setattr(socket, "create_connection", connect)
    node = "http://127.0.0.1:1"
    assert _why(node, "http:///v2") == f"node {node} does not answer: {NO_VERSIONS}."


@pytest.mark.parametrize(
    ("host", "code", "said"),
    [
        ("224.0.0.1", errno.ENETUNREACH, "network unreachable"),  # multicast: no route
        ("[fe80::1]", errno.EINVAL, "the connection failed"),  # link-local without a scope
    ],
)
def test_an_address_that_cannot_be_reached_is_said_why(host: str, code: int, said: str) -> None:
    address = (host.strip("[]"), 9292)
    try:
        socket.create_connection(address, timeout=1).close()
        got = 0
    except OSError as exc:  # a timeout has no errno
        got = exc.errno or 0
    if got != code:
        pytest.skip(f"this machine's network answers {host} otherwise (errno {got})")
    url = f"http://{host}:9292"
    assert _why(url, url) == f"node {url} does not answer: {said}."
