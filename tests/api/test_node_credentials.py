"""Credentials for a node's cache API: taken as every OpenStack tool takes them, sent to
the node, and never shown: not on stdout, not on stderr, not in any log record.

The nodes run noauth (they take any token and ignore it), so credentials that the
node cannot check are still sent for real: a small load balancer in front of a node
keeps what it passed on, which proves the secret left for the node.  A keystone that
does not answer (a closed port) exercises the password path up to the identity call.
"""

from __future__ import annotations

import base64
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest

from inspector.core import CacheSource, actions, read
from inspector.core.errors import CacheError
from tests.api.helpers import clean_env, cli, images
from tests.services import free_port
from tests.services.tcp_proxy import TcpProxy

pytestmark = pytest.mark.glance


def _clouds_yaml(tmp_path: Path, password: str, other_password: str) -> Path:
    path = tmp_path / "clouds.yaml"
    path.write_text(
        "clouds:\n"
        "  lab:\n"
        "    auth_type: http_basic\n"
        "    auth:\n"
        "      username: admin\n"
        f"      password: {password}\n"
        "  keystone-down:\n"
        "    auth_type: password\n"
        "    auth:\n"
        f"      auth_url: http://127.0.0.1:{free_port()}/v3\n"
        "      username: admin\n"
        f"      password: {other_password}\n"
        "      project_name: admin\n"
        "      user_domain_name: Default\n"
        "      project_domain_name: Default\n"
    )
    path.chmod(0o600)
    return path


def test_without_credentials_requests_carry_no_token(glance_fleet: Any) -> None:
    one, _ = glance_fleet
    (image,) = images(one, [100])
    one.download(image)
    with TcpProxy([one.url]) as seen:
        r = cli("list", "--api", seen.url)
        assert r.returncode == 0 and image in r.stdout
        sent = bytes(seen.sent).lower()
    assert b"get /v2/cache " in sent
    assert b"x-auth-token" not in sent and b"authorization:" not in sent


def test_no_secret_is_ever_shown(glance_fleet: Any, tmp_path: Path) -> None:
    one, two = glance_fleet
    token, password, other = (f"{kind}-{uuid.uuid4().hex}" for kind in ("tok", "pw", "pw2"))
    basic = base64.b64encode(f"admin:{password}".encode()).decode()
    a, b, c = images(one, [1000, 2000, 3000])
    one.download(a)
    one.download(b)
    clouds = _clouds_yaml(tmp_path, password, other)
    outputs: list[str] = []

    def run(*args: str, env: dict[str, str]) -> Any:
        r = cli(*args, env=env)
        outputs.extend([r.stdout, r.stderr])
        assert "Traceback" not in r.stderr
        return r

    by_token = clean_env(OS_AUTH_TYPE="admin_token", OS_TOKEN=token, OS_ENDPOINT=one.url)
    by_cloud = clean_env(OS_CLIENT_CONFIG_FILE=str(clouds))

    # The secrets are used: the node receives them.
    with TcpProxy([one.url]) as seen:
        assert run("list", "--api", seen.url, env=by_token).returncode == 0
        assert run("list", "--api", seen.url, "--os-cloud", "lab", env=by_cloud).returncode == 0
        sent = bytes(seen.sent).decode("latin-1")
    assert f"X-Auth-Token: {token}" in sent and f"Basic {basic}" in sent

    # Every command, successes and failures alike, with each way of giving credentials.
    for env, extra in ((by_token, []), (by_cloud, ["--os-cloud", "lab"])):
        for args in (
            ["list", "--json"],
            ["stats"],
            ["queue", c],
            ["queue", str(uuid.uuid4())],  # unknown to Glance: its refusal is printed
            ["delete", a, "--yes", "--json"],
            ["prune", "--dry-run"],
            ["prune", "--yes"],
            ["clean", "--yes"],
        ):
            run(args[0], "--api", one.url, *extra, *args[1:], env=env)
    r = run("list", "--api", one.url, "--os-cloud", "keystone-down", env=by_cloud)
    assert r.returncode == 1
    assert (
        "the identity service at http://127.0.0.1:" in r.stderr and "does not answer" in r.stderr
    )
    r = run("list", "--api", one.url, "--os-cloud", "nowhere", env=by_cloud)
    assert (
        r.stderr
        == "cache-inspector-cli: error: --os-cloud nowhere: Cloud nowhere was not found.\n"
    )
    two.stop()
    r = run("list", "--api", two.url, env=by_token)
    assert r.returncode == 1 and "does not answer" in r.stderr

    shown = "\n".join(outputs)
    assert one.cached_ids() == sorted([b, c])  # the commands did run
    for secret in (token, password, other, basic):
        assert secret not in shown


def test_no_secret_reaches_the_logs(
    glance_fleet: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    """Everything logged by the inspector, openstacksdk and keystoneauth, at DEBUG."""
    one, _ = glance_fleet
    token, password, other = (f"{kind}-{uuid.uuid4().hex}" for kind in ("tok", "pw", "pw2"))
    a, b = images(one, [500, 600])
    one.download(a)
    caplog.set_level(logging.DEBUG)
    said: list[str] = []

    monkeypatch.setenv("OS_AUTH_TYPE", "admin_token")
    monkeypatch.setenv("OS_TOKEN", token)
    monkeypatch.setenv("OS_ENDPOINT", one.url)
    reading = read(CacheSource.node_api(one.url))
    try:
        queued = actions.queue(reading.driver, [b, str(uuid.uuid4())])
        said += [f.reason for f in queued.failures]
        deleted = actions.delete(reading.driver, reading.snapshot.entries)
        assert (queued.done, deleted.done) == (1, 1)
    finally:
        reading.driver.close()
    for name in ("OS_AUTH_TYPE", "OS_TOKEN", "OS_ENDPOINT"):
        monkeypatch.delenv(name)

    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(_clouds_yaml(tmp_path, password, other)))
    for cloud in ("lab", "keystone-down"):
        try:
            reading = read(CacheSource.node_api(one.url, cloud=cloud))
            reading.driver.close()
        except CacheError as exc:
            said.append(str(exc))
    assert any("identity service" in s for s in said)

    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert "X-Auth-Token" in logged  # keystoneauth did log its requests (hashed)
    for secret in (token, password, other):
        assert secret not in logged
        assert all(secret not in s for s in said)
