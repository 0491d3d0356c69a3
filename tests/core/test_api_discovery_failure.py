"""keystoneauth says only "no version discovery document" when a node's version
discovery fails: whether the node is down or answered without one, the user reads which."""

from __future__ import annotations

import socket

import pytest
from keystoneauth1 import exceptions as ks

from inspector.core.drivers.glance.api_client import NodeClient
from inspector.core.drivers.glance.api_errors import translate
from inspector.core.errors import ServiceUnreachableError


def _failure(url: str) -> ks.DiscoveryFailure:
    """The very text keystoneauth raises when it finds no version document at ``url``."""
    return ks.DiscoveryFailure(
        f"Unable to find a version discovery document at {url}, the service is unavailable "
        "or misconfigured. Required version range (any - any), version hack disabled."
    )


def _why(url: str) -> str:
    error = translate(NodeClient(url, timeout=2), "list its cache", _failure(url))
    assert type(error) is ServiceUnreachableError
    return str(error)


def test_a_node_that_is_down_is_said_to_refuse_the_connection() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{s.getsockname()[1]}"
    s.close()  # nothing listens there now
    assert _why(url) == (
        f"node {url} does not answer: connection refused (is glance-api running there?)."
    )


def test_a_node_that_takes_the_connection_gave_no_usable_list_of_versions() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        assert _why(url) == f"node {url} does not answer: it gave no usable list of API versions."


def test_a_host_name_that_does_not_resolve_is_said_so() -> None:
    url = "http://glance-node.invalid:9292"  # .invalid never resolves (RFC 6761)
    assert _why(url) == f"node {url} does not answer: its host name does not resolve."


@pytest.mark.parametrize(
    "text", ["no versions", "version discovery document at http://127.0.0.1:99999, x"]
)
def test_a_failure_naming_no_usable_address_tries_no_connection(
    monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    def connect(*args: object, **kwargs: object) -> socket.socket:
        raise AssertionError(f"a connection was tried: {args}")

    monkeypatch.setattr(socket, "create_connection", connect)
    error = translate(NodeClient("http://127.0.0.1:1", timeout=2), "x", ks.DiscoveryFailure(text))
    assert str(error) == (
        "node http://127.0.0.1:1 does not answer: it gave no usable list of API versions."
    )
