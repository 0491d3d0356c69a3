"""What a user reads when a node's cache API fails: one line, the node named, no secret.

Where this machine can make the failure itself, the client meets it for real:
a port nothing listens on, a socket that never answers, TLS spoken to a plain
server, a cloud that clouds.yaml does not name, an identity service that is
down.  Failures only a live service gives (an HTTP status, a refused token)
are the exceptions openstacksdk and keystoneauth raise for them, handed to
``translate`` as the client hands them.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest
import requests
from keystoneauth1 import exceptions as ks
from openstack import exceptions as sdk

from inspector.core.drivers.glance.api_client import NodeClient
from inspector.core.drivers.glance.api_errors import PRUNE_HANG, http_error, translate
from inspector.core.errors import CacheError, ServiceRefusedError, ServiceUnreachableError
from tests.core.offline_nodes import closed_port, no_credentials  # noqa: F401

SECRET = "hunter2-pw"


@contextlib.contextmanager
def silent_listener() -> Iterator[int]:
    """A port that takes connections and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    try:
        yield int(s.getsockname()[1])
    finally:
        s.close()


@contextlib.contextmanager
def plain_http_server() -> Iterator[int]:
    """A port answering every connection in plain HTTP (``400``), TLS or not."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)

    def serve() -> None:
        while True:
            try:
                conn, _ = s.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                conn.recv(4096)
                conn.sendall(b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(s.getsockname()[1])
    finally:
        s.shutdown(socket.SHUT_RDWR)
        s.close()
        thread.join(5)


def failure(call: object) -> CacheError:
    with pytest.raises(CacheError) as caught:
        call()  # type: ignore[operator]
    return caught.value


# -- met for real ---------------------------------------------------------------


def test_a_port_nothing_listens_on_is_refused() -> None:
    port = closed_port()
    client = NodeClient(f"http://127.0.0.1:{port}", timeout=2)
    error = failure(client.discover)
    assert type(error) is ServiceUnreachableError
    assert str(error) == (
        f"node http://127.0.0.1:{port} does not answer: connection refused "
        "(is glance-api running there?)."
    )


def test_a_node_that_never_answers_is_given_up_after_the_timeout() -> None:
    with silent_listener() as port:
        client = NodeClient(f"http://127.0.0.1:{port}/v2", timeout=0.25)
        error = failure(client.discover)
    assert type(error) is ServiceUnreachableError
    assert str(error) == f"node http://127.0.0.1:{port} does not answer: no answer within 0.25 s."


def test_tls_spoken_to_a_plain_http_node() -> None:
    with plain_http_server() as port:
        client = NodeClient(f"https://127.0.0.1:{port}", timeout=5)
        error = failure(client.discover)
    assert type(error) is ServiceUnreachableError
    assert str(error) == (
        f"node https://127.0.0.1:{port} does not answer over TLS: wrong version number "
        "(a node served over plain http, or a certificate this machine does not trust?)."
    )


def test_a_cloud_that_clouds_yaml_does_not_name() -> None:
    client = NodeClient(f"http://127.0.0.1:{closed_port()}", cloud="lab-7", timeout=2)
    error = failure(client.cache_state)
    assert type(error) is CacheError
    assert str(error) == "--os-cloud lab-7: Cloud lab-7 was not found."


def test_an_identity_service_that_is_down(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    keystone = f"http://127.0.0.1:{closed_port()}/v3"
    for name, value in {
        "OS_AUTH_URL": keystone,
        "OS_USERNAME": "admin",
        "OS_PASSWORD": SECRET,
        "OS_PROJECT_NAME": "admin",
        "OS_USER_DOMAIN_NAME": "Default",
        "OS_PROJECT_DOMAIN_NAME": "Default",
    }.items():
        monkeypatch.setenv(name, value)
    client = NodeClient(f"http://127.0.0.1:{closed_port()}", timeout=2)
    error = failure(client.cache_state)
    assert type(error) is ServiceUnreachableError
    # The identity service's refusal, not the node's: no "is glance-api running" hint.
    assert str(error) == f"the identity service at {keystone} does not answer: connection refused."
    assert SECRET not in str(error) + caplog.text


# -- what only a live service gives ------------------------------------------------


def client(url: str = "http://node-3:9292", cloud: str | None = None) -> NodeClient:
    return NodeClient(url, cloud=cloud, timeout=7.5)


def http_exception(status: int, details: str | None = None) -> sdk.HttpException:
    response = requests.Response()
    response.status_code = status
    return sdk.HttpException("error", response=response, details=details)


@pytest.mark.parametrize(
    ("status", "details", "message"),
    [
        (
            401,
            "The request you have made requires authentication.",
            "node http://node-3:9292 wants credentials (HTTP 401) to list its cache: use "
            "--os-cloud NAME or the OS_* variables, as for any OpenStack tool.",
        ),
        (
            403,
            "Access was denied to this resource.",
            "node http://node-3:9292 does not let these credentials list its cache (HTTP 403): "
            "its policy gives the cache API (cache_list, cache_image, cache_delete, "
            "cache_clean, cache_prune, list_cached_nodes) to admins by default.",
        ),
        (
            404,
            "Caching via API is not supported at this site.",
            "node http://node-3:9292 keeps no image cache (its image_cache_dir is not set). "
            "Glance says: Caching via API is not supported at this site.",
        ),
        (
            404,
            "No image found with ID 42",
            "node http://node-3:9292 could not list its cache: HTTP 404. "
            "Glance says: No image found with ID 42",
        ),
        (500, None, "node http://node-3:9292 could not list its cache: HTTP 500."),
        (500, "", "node http://node-3:9292 could not list its cache: HTTP 500."),
    ],
)
def test_each_http_status_is_said_with_what_to_do(
    status: int, details: str | None, message: str
) -> None:
    error = translate(client(), "list its cache", http_exception(status, details))
    assert type(error) is ServiceRefusedError
    assert (str(error), error.status) == (message, status)
    direct = http_error(client(), "list its cache", status, details or "")
    assert (str(direct), direct.status) == (message, status)


def test_glances_explanation_is_one_line_of_at_most_300_characters_without_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OS_PASSWORD", SECRET)
    details = (
        f"Policy check\n   failed   for {SECRET}\tat http://u:pw@keystone:5000/v3 " + "x" * 400
    )
    error = translate(client(), "delete 42", http_exception(409, details))
    said = str(error).split(" Glance says: ", 1)[1]
    assert said.startswith("Policy check failed for *** at http://u:***@keystone:5000/v3 xxx")
    assert len(said) == len("Policy check failed for *** at http://u:***@keystone:5000/v3 ") + (
        300 - len(f"Policy check failed for {SECRET} at http://u:pw@keystone:5000/v3 ")
    )
    assert str(error).startswith("node http://node-3:9292 could not delete 42: HTTP 409.")
    assert SECRET not in str(error)


def test_an_http_error_without_a_status_is_a_refusal_with_its_text() -> None:
    error = translate(client(), "queue 42", sdk.HttpException("Bad  gateway\nupstream"))
    assert type(error) is ServiceRefusedError
    assert str(error) == "node http://node-3:9292 could not queue 42: Bad gateway upstream"
    assert error.status is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            "HTTPSConnectionPool: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
            "self-signed certificate (_ssl.c:1006)",
            "certificate verify failed: self-signed certificate",
        ),
        ("SSL handshake aborted", "the handshake failed"),
    ],
)
def test_tls_failures_say_why(text: str, why: str) -> None:
    error = translate(client("https://node-3:9292"), "list its cache", ks.SSLError(text))
    assert type(error) is ServiceUnreachableError
    assert str(error) == (
        f"node https://node-3:9292 does not answer over TLS: {why} (a node served over plain "
        "http, or a certificate this machine does not trust?)."
    )


@pytest.mark.parametrize(
    ("exc", "why"),
    [
        (ks.ConnectTimeout("whatever"), "no answer within 7.5 s"),
        (ks.ConnectFailure("Read Timed Out"), "no answer within 7.5 s"),
        (
            ks.ConnectFailure("[Errno 111] Connection refused"),
            "connection refused (is glance-api running there?)",
        ),
        (ks.ConnectFailure("Name or service not known"), "its host name does not resolve"),
        (
            ks.ConnectFailure("Temporary failure in name resolution"),
            "its host name does not resolve",
        ),
        (ks.ConnectFailure("[Errno 113] No route to host"), "no route to host"),
        (ks.ConnectFailure("[Errno 101] Network is unreachable"), "network unreachable"),
        (ks.ConnectFailure("Connection reset by peer"), "the connection was reset"),
        (
            ks.ConnectFailure("RemoteDisconnected('Remote end closed connection')"),
            "it closed the connection without answering",
        ),
        (ks.ConnectFailure("something else"), "the connection failed"),
        (ks.DiscoveryFailure("no versions"), "it gave no usable list of API versions"),
        (
            ks.DiscoveryFailure("Connection refused"),
            "connection refused (is glance-api running there?)",
        ),
    ],
)
def test_why_a_node_does_not_answer(exc: Exception, why: str) -> None:
    error = translate(client(), "list its cache", exc)
    assert type(error) is ServiceUnreachableError
    assert str(error) == f"node http://node-3:9292 does not answer: {why}."


def test_a_prune_with_no_answer_says_why_glance_may_never_answer() -> None:
    error = translate(client(), "prune its cache", ks.ConnectTimeout("timed out"))
    assert (
        str(error)
        == f"node http://node-3:9292 does not answer: no answer within 7.5 s{PRUNE_HANG}."
    )
    assert "holds the prune lock until glance-api restarts" in str(error)
    # Another call with no answer, or a prune that was refused, has no such explanation.
    other = translate(client(), "clean its cache", ks.ConnectTimeout("timed out"))
    assert str(other) == "node http://node-3:9292 does not answer: no answer within 7.5 s."
    refused = translate(client(), "prune its cache", ks.ConnectFailure("Connection refused"))
    assert PRUNE_HANG not in str(refused)


def test_refused_credentials_and_incomplete_ones() -> None:
    error = translate(client(), "list its cache", ks.http.Unauthorized("The request you..."))
    assert type(error) is ServiceRefusedError
    assert (str(error), error.status) == (
        "the identity service refused the credentials (HTTP 401): check the cloud in "
        "clouds.yaml or the OS_* variables.",
        401,
    )
    incomplete = translate(
        client(), "list its cache", ks.auth_plugins.AuthPluginException("Missing  username")
    )
    assert type(incomplete) is CacheError
    assert str(incomplete) == "the OpenStack credentials are incomplete: Missing username"


def test_configuration_errors_name_the_cloud_or_the_configuration() -> None:
    exc = sdk.ConfigException("Cloud lab was not found.")
    assert str(translate(client(cloud="lab"), "connect", exc)) == (
        "--os-cloud lab: Cloud lab was not found."
    )
    assert str(translate(client(), "connect", exc)) == (
        "the OpenStack configuration: Cloud lab was not found."
    )


def test_other_failures_name_the_node_and_what_it_could_not_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OS_PASSWORD", SECRET)
    sdk_error = translate(client(), "clean its cache", sdk.SDKException(f"bad {SECRET}"))
    assert type(sdk_error) is ServiceRefusedError
    assert str(sdk_error) == "node http://node-3:9292 could not clean its cache: bad ***"
    other = translate(client(), "clean its cache", ValueError(f"odd\n  reply {SECRET}"))
    assert type(other) is CacheError
    assert (
        str(other)
        == "node http://node-3:9292 could not clean its cache: ValueError: odd reply ***"
    )


def test_every_secret_of_the_credentials_is_blanked_longest_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "OS_PASSWORD": "s3cret-and-more",
        "OS_APPLICATION_CREDENTIAL_SECRET": "s3cret",
        "OS_TOKEN": "tok",
        "OS_AUTH_TOKEN": "axyzb",  # holds the next one, which sorts after it
        "OS_APPLICATION_CREDENTIAL_SECRET_2": "xyz",
        "OS_PASSCODE": "42",  # too short to blank without garbling the text
        "OS_KEY": "/etc/ssl/node.key",
        "OS_APPLICATION_CREDENTIAL_ID": "app-id-7",  # names, ids and types are no secret
        "OS_SECRET_NAME": "the-name",
        "OS_AUTH_TYPE": "v3applicationcredential",
    }.items():
        monkeypatch.setenv(name, value)
    client = NodeClient("http://node-3:9292")
    text = (
        "s3cret-and-more s3cret tok axyzb 42 /etc/ssl/node.key app-id-7 the-name "
        "v3applicationcredential https://admin:pw@keystone:5000/v3"
    )
    assert client.redact(text) == (
        "*** *** *** *** 42 *** app-id-7 the-name v3applicationcredential "
        "https://admin:***@keystone:5000/v3"
    )
    error = translate(client, "list its cache", ValueError(text))
    assert (
        str(error)
        == f"node http://node-3:9292 could not list its cache: ValueError: {client.redact(text)}"
    )
