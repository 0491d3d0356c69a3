"""How the CLI takes --api, --os-cloud and --timeout (no node needed to check these)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.helpers import cli


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["list"],
            2,
            "name the cache: its directory (PATH), the node's --glance-config FILE, "
            "or a node's URL with --api URL.",
        ),
        (["list", "/tmp", "--api", "http://127.0.0.1:9"], 2, "give either PATH or --api URL"),
        (["list", "/tmp", "--os-cloud", "lab"], 2, "--os-cloud goes with --api URL"),
        (["list", "/tmp", "--timeout", "5"], 2, "--timeout goes with --api URL"),
        (["list", "/tmp", "--driver", "api"], 2, "--driver api reads a node through its"),
        (["list", "--api", "http://127.0.0.1:9", "--driver", "xattr"], 2, "--api reads a node"),
        (["list", "--api", "http://u:hunter2@127.0.0.1:9"], 1, "http://u:***@127.0.0.1:9 carries"),
        (["delete", "--api", "http://127.0.0.1:9"], 2, "name the ids to delete"),
    ],
)
def test_bad_source_arguments_are_one_line(args: list[str], code: int, message: str) -> None:
    r = cli(*args)
    assert r.returncode == code
    assert message in r.stderr and r.stderr.count("\n") == 1
    assert "hunter2" not in r.stderr + r.stdout and r.stdout == ""


def test_a_timeout_must_be_a_time() -> None:
    r = cli("list", "--api", "http://127.0.0.1:9", "--timeout", "0")
    assert r.returncode == 2
    assert r.stderr.splitlines()[-1].endswith(
        "argument --timeout: '0': give a time longer than zero."
    )


def test_a_local_prune_still_needs_its_size(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / "queue").mkdir(parents=True)
    r = cli("prune", str(cache), "--dry-run")
    assert r.returncode == 2
    assert "--max-size SIZE is needed" in r.stderr


def test_ids_after_api_are_ids(tmp_path: Path) -> None:
    """Without PATH, the first ID is not taken for one (a closed port answers nothing)."""
    r = cli("queue", "--api", "http://127.0.0.1:9", "8b8d2e9c-0000-4000-8000-000000000001")
    assert r.returncode == 1
    assert r.stderr == (
        "cache-inspector-cli: error: node http://127.0.0.1:9 does not answer: connection "
        "refused (is glance-api running there?).\n"
    )


@pytest.fixture
def web_page() -> Iterator[str]:
    """A web server on 127.0.0.1 that is not Glance: it answers every GET with a page."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html>hello</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_an_endpoint_that_is_not_glance_is_named_as_such(web_page: str) -> None:
    r = cli("list", "--api", f"http://{web_page}")
    assert r.returncode == 1
    assert r.stderr == (
        f"cache-inspector-cli: error: http://{web_page} does not look like a glance-api node: "
        "GET / gave HTTP 200 without Glance's list of API versions.\n"
    )
    r = cli("list", "--api", f"https://{web_page}", "--timeout", "5")
    assert r.returncode == 1
    prefix = f"cache-inspector-cli: error: node https://{web_page} does not answer over TLS: "
    assert r.stderr.startswith(prefix) and r.stderr.count("\n") == 1  # OpenSSL's own words
    assert r.stderr.endswith(
        "(a node served over plain http, or a certificate this machine does not trust?).\n"
    )
