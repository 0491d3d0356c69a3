"""The cache API client's own rules, without a node: URLs, versions, credentials, secrets."""

from __future__ import annotations

import pytest

from inspector.core import CacheSource, open_source
from inspector.core.drivers.glance.api import ApiDriver
from inspector.core.drivers.glance.api_client import (
    NodeClient,
    api_version,
    credentials_configured,
    node_root,
    same_node,
    version_text,
)
from inspector.core.errors import ActionNotSupportedError, CacheError


def _versions(*ids: str) -> dict[str, object]:
    """A version document shaped as Glance's ``GET /`` gives it."""
    return {
        "versions": [
            {"id": i, "status": "SUPPORTED", "links": [{"rel": "self", "href": "http://n/v2/"}]}
            for i in ids
        ]
    }


@pytest.mark.parametrize(
    ("given", "root"),
    [
        ("http://10.0.0.5:9292", "http://10.0.0.5:9292"),
        ("http://10.0.0.5:9292/", "http://10.0.0.5:9292"),
        ("  https://glance-1.example:9292/v2/ ", "https://glance-1.example:9292"),
        ("http://node/image/v2", "http://node/image"),
    ],
)
def test_a_nodes_url_is_its_root(given: str, root: str) -> None:
    assert node_root(given) == root


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("http://admin:s3cret@node:9292", "carries credentials in the URL"),
        ("ftp://node", "is not a glance-api node's URL"),
        ("node:9292", "is not a glance-api node's URL"),
        ("http://node:99999", "is not a URL a node can have"),
        ("http://node:9292/?token=abc", "has no query or fragment"),
    ],
)
def test_urls_a_node_cannot_have_are_refused(given: str, says: str) -> None:
    with pytest.raises(CacheError, match=says) as caught:
        node_root(given)
    assert "s3cret" not in str(caught.value) and "abc" not in str(caught.value)


def test_the_same_node_under_equivalent_urls() -> None:
    assert same_node("http://Node-1:80/", "http://node-1")
    assert same_node("https://node:443/v2", "https://node")
    assert not same_node("http://node:9292", "http://node:9293")
    assert not same_node("http://node-1:9292", "http://lb:9292")
    # behind a proxy, the path names the node: only a trailing / or /v2 is dropped
    assert same_node("http://proxy/glance-1/", "http://proxy/glance-1/v2")
    assert not same_node("http://proxy/glance-1", "http://proxy/glance-2")
    assert not same_node("http://proxy/a/b", "http://proxy/a/c")
    assert not same_node("http://proxy/X", "http://proxy/")
    assert not same_node("http:///v2", "http://xxxx/v2")  # a URL without a host names none


def test_the_api_version_is_the_highest_v2() -> None:
    glance_33 = _versions("v2.18", "v2.17", "v2.16", "v2.15", "v2.14", "v2.9", "v2.0")
    assert api_version(glance_33) == (2, 18)
    no_cache = _versions("v2.15", "v2.9", "v2.17", "v2.7", "v2.0")  # image_cache_dir unset
    assert api_version(no_cache) == (2, 17)
    assert api_version(_versions("v2.9", "v2.13", "v1.1")) == (2, 13)
    assert api_version(_versions("v2.3", "v3.0")) == (2, 3)  # image API v2 only
    # a document that is not Glance's: entries that are no objects, or have no id
    assert api_version({"versions": ["v2.5", {"status": "CURRENT"}, {"id": "v2.1"}]}) == (2, 1)
    assert api_version({"versions": "nonsense"}) is None
    assert api_version("<html>") is None


def test_credentials_are_configured_by_a_cloud_or_os_variables() -> None:
    assert not credentials_configured({})
    assert not credentials_configured({"OS_GLANCE_CONFIG_DIR": "/etc/x", "OS_REGION_NAME": "r"})
    assert credentials_configured({"OS_CLOUD": "lab"})
    assert credentials_configured({"OS_AUTH_URL": "http://k/v3"})
    assert credentials_configured({"OS_TOKEN": "t"})


def test_messages_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OS_PASSWORD", "hunter2-pw")
    monkeypatch.setenv("OS_APPLICATION_CREDENTIAL_SECRET", "app-secret-9")
    monkeypatch.setenv("OS_USERNAME", "admin")
    client = NodeClient("http://node:9292")
    text = client.redact(
        "failed with hunter2-pw for admin (app-secret-9) at http://u:pw@keystone:5000/v3"
    )
    assert text == "failed with *** for admin (***) at http://u:***@keystone:5000/v3"


def test_opening_a_node_does_not_touch_the_network() -> None:
    # A port nothing listens on: opening only checks the URL; reading is what connects.
    driver = open_source(CacheSource.node_api("http://127.0.0.1:9/v2/"))
    assert isinstance(driver, ApiDriver)
    assert driver.url == "http://127.0.0.1:9"
    assert driver.source.display_name() == "http://127.0.0.1:9"
    assert driver.watch_paths() == [] and driver.writable() == (True, "")
    with pytest.raises(ActionNotSupportedError, match="no cache directory on this machine"):
        driver.path  # noqa: B018
    driver.close()
    with pytest.raises(CacheError, match="carries credentials"):
        open_source(CacheSource.node_api("http://a:b@127.0.0.1:9"))


def test_the_cloud_is_part_of_the_settings_key_never_a_secret() -> None:
    lab = CacheSource.node_api("http://node:9292", cloud="lab")
    prod = CacheSource.node_api("http://node:9292", cloud="prod")
    assert lab.settings_key() != prod.settings_key()
    assert lab.display_name() == "http://node:9292"


def test_an_api_version_is_said_as_glance_numbers_it() -> None:
    """What a refusal for an old node says: ``v2.16``, or ``unknown`` before discovery."""
    assert version_text((2, 16)) == "v2.16"
    assert version_text((3, 0)) == "v3.0"
    assert version_text(None) == "unknown"
