"""One glance-api node's cache API, through openstacksdk, with every secret kept in.

Credentials come the way every OpenStack tool takes them: a clouds.yaml entry
(``--os-cloud NAME`` or ``OS_CLOUD``) or the ``OS_*`` variables, read by
``openstack.config``.  With none of those configured the requests carry no
token at all (``auth_type: none``: noauth deployments, tests).  The node's
own URL is the image endpoint whatever the catalogue says: the cache API acts
on the node that answers, so a catalogue's (load-balanced) endpoint would not do.

No password, token or secret leaves this module: every message made here is
built from what the inspector knows (the node's URL, an HTTP status, Glance's
own explanation) and passed through :meth:`NodeClient.redact`, which blanks
every secret of the credentials in use and every password inside a URL.
"""

from __future__ import annotations

import logging
import os
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from inspector.core.drivers.glance.api_errors import translate
from inspector.core.errors import CacheError, ServiceRefusedError
from inspector.core.source import redact_url

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds to wait for a node's answer unless the source says otherwise.
DEFAULT_TIMEOUT = 30.0
#: The image API version that brought ``/v2/cache``, and the one that added
#: ``/v2/cache/nodes``, ``/v2/cache/clean`` and ``/v2/cache/prune``.
CACHE_API = (2, 14)
CLEAN_PRUNE_API = (2, 18)

#: Variables that mean credentials are configured (the SDK then reads every ``OS_*``).
AUTH_ENV = (
    "OS_CLOUD",
    "OS_AUTH_URL",
    "OS_AUTH_TYPE",
    "OS_TOKEN",
    "OS_USERNAME",
    "OS_USER_ID",
    "OS_PASSWORD",
    "OS_APPLICATION_CREDENTIAL_ID",
    "OS_APPLICATION_CREDENTIAL_NAME",
    "OS_APPLICATION_CREDENTIAL_SECRET",
)
_SECRET_WORDS = ("password", "token", "secret", "passcode", "key")
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>,)]+")


class _NoMicroversionNotice(logging.Filter):
    """Drops openstacksdk's notice that it cannot find the image service's microversions.

    The SDK looks for microversions before every cache call; Glance has none
    (its v2.x are versions of the whole API, listed at ``GET /``), so with no
    token the SDK warns on every call about something that does not exist.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Cannot determine endpoint data for service")


_SDK_NOTICE_FILTER = _NoMicroversionNotice()


def credentials_configured(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the ``OS_*`` variables name a cloud or credentials."""
    return any(environ.get(name) for name in AUTH_ENV)


def node_root(url: str) -> str:
    """The node's root URL (``scheme://host:port[/prefix]``), checked; ``/v2`` is dropped.

    A URL carrying a user or password is refused: credentials belong in
    clouds.yaml or the ``OS_*`` variables, where every OpenStack tool keeps them.
    """
    text = url.strip()
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise CacheError(f"{redact_url(text)} is not a URL a node can have.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CacheError(
            f"{redact_url(text)} is not a glance-api node's URL: give http(s)://HOST:PORT, "
            "the node's own endpoint (its worker_self_reference_url)."
        )
    if parts.username is not None or parts.password is not None:
        raise CacheError(
            f"{redact_url(text)} carries credentials in the URL: put them in clouds.yaml "
            "(--os-cloud NAME) or in the OS_* variables instead."
        )
    if parts.query or parts.fragment:
        raise CacheError(f"{redact_url(text)}: a node's URL has no query or fragment.")
    path = parts.path.rstrip("/")
    if path.endswith("/v2"):
        path = path[: -len("/v2")]
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def same_node(a: str, b: str) -> bool:
    """Whether two node URLs name the same endpoint (case, default port, ``/`` aside)."""

    def key(url: str) -> tuple[str, str, int | None, str]:
        p = urllib.parse.urlsplit(url.strip())
        default = {"http": 80, "https": 443}.get(p.scheme.lower())
        try:
            port = p.port or default
        except ValueError:
            port = None
        path = p.path.rstrip("/")
        path = path[: -len("/v2")] if path.endswith("/v2") else path
        return p.scheme.lower(), (p.hostname or "").lower(), port, path

    return key(a) == key(b)


def api_version(doc: Any) -> tuple[int, int] | None:
    """The highest image API v2 version in a Glance version document (``GET /``)."""
    best: tuple[int, int] | None = None
    versions = doc.get("versions") if isinstance(doc, dict) else None
    for v in versions if isinstance(versions, list) else []:
        m = re.fullmatch(r"v(\d+)\.(\d+)", str(v.get("id", "")) if isinstance(v, dict) else "")
        if m and m.group(1) == "2":
            found = (2, int(m.group(2)))
            best = found if best is None or found > best else best
    return best


def version_text(version: tuple[int, int] | None) -> str:
    return "unknown" if version is None else f"v{version[0]}.{version[1]}"


@dataclass(frozen=True, slots=True)
class CacheState:
    """``GET /v2/cache``: the node's cached images (dicts as Glance gives them) and queue."""

    cached: tuple[Mapping[str, Any], ...]
    queued: tuple[str, ...]


class NodeClient:
    """The cache API of the node at ``url``; connects on first use."""

    def __init__(self, url: str, cloud: str | None = None, timeout: float | None = None) -> None:
        self.url = node_root(url)
        self.cloud = cloud
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.version: tuple[int, int] | None = None
        self._conn: Any = None
        self.auth_url: str | None = None
        self._secrets: set[str] = {
            v for k, v in os.environ.items() if k.startswith("OS_") and _is_secret(k) and v
        }

    # -- secrets ----------------------------------------------------------------

    def redact(self, text: str) -> str:
        """``text`` with every secret of the credentials and every URL password blanked."""
        secrets = set(self._secrets)
        token = _current_token(self._conn)
        if token:
            secrets.add(token)
        for secret in sorted(secrets, key=len, reverse=True):
            if len(secret) >= 3:
                text = text.replace(secret, "***")
        return _URL.sub(lambda m: redact_url(m.group(0)), text)

    # -- connecting ---------------------------------------------------------------

    def _connection(self) -> Any:
        if self._conn is None:
            self._conn = self._guard("connect", self._connect)
        return self._conn

    def _connect(self) -> Any:
        import openstack.connection
        from openstack import config as os_config

        sdk_log = logging.getLogger("openstack")
        if _SDK_NOTICE_FILTER not in sdk_log.filters:
            sdk_log.addFilter(_SDK_NOTICE_FILTER)

        settings: dict[str, Any] = {
            "image_endpoint_override": self.url,
            "api_timeout": self.timeout,
            "connect_retries": 0,
            "status_code_retries": 0,
        }
        if self.cloud is None and not credentials_configured():
            from keystoneauth1 import session as ks_session
            from openstack.config import cloud_region

            session = ks_session.Session(auth=_no_token(self.url), timeout=self.timeout)
            region = cloud_region.from_session(session, **settings)
        else:
            region = os_config.OpenStackConfig().get_one(cloud=self.cloud, **settings)
        auth = region.config.get("auth") or {}
        self._secrets.update(str(v) for k, v in auth.items() if _is_secret(k) and v)
        self.auth_url = auth.get("auth_url")
        log.debug("connecting to %s (auth type %s)", self.url, region.config.get("auth_type"))
        return openstack.connection.Connection(config=region)

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.close()
            except Exception as exc:  # releasing sockets must never fail a job
                log.debug("closing the connection to %s: %s", self.url, self.redact(str(exc)))

    # -- calls ----------------------------------------------------------------------

    def discover(self) -> tuple[int, int]:
        """The node's image API version, from its version document (``GET /``)."""
        conn = self._connection()

        def get() -> Any:
            return conn.session.get(
                self.url + "/", authenticated=False, raise_exc=False, connect_retries=0
            )

        response = self._guard("list its API versions", get)
        try:
            doc = response.json()
        except ValueError:
            doc = None
        version = api_version(doc)
        if response.status_code not in (200, 300) or version is None:
            raise ServiceRefusedError(
                f"{self.url} does not look like a glance-api node: GET / gave HTTP "
                f"{response.status_code} without Glance's list of API versions.",
                response.status_code,
            )
        if version < CACHE_API:
            raise ServiceRefusedError(
                f"node {self.url} speaks the image API up to {version_text(version)}: its "
                f"cache API needs {version_text(CACHE_API)} or newer (a newer Glance)."
            )
        self.version = version
        return version

    def cache_state(self) -> CacheState:
        """``GET /v2/cache``."""
        conn = self._connection()
        cache = self._guard("list its cache", lambda: conn.image.get_image_cache())
        cached = tuple(_plain(c) for c in cache.cached_images or ())
        queued = tuple(str(i) for i in cache.queued_images or ())
        return CacheState(cached, queued)

    def queue(self, image_id: str) -> None:
        """``PUT /v2/cache/{id}``: the node's cache worker fetches it at once."""
        conn = self._connection()
        self._guard(f"queue {image_id}", lambda: conn.image.queue_image(image_id))

    def delete(self, image_id: str) -> None:
        """``DELETE /v2/cache/{id}``: from this node's cache and queue."""
        conn = self._connection()
        self._guard(
            f"delete {image_id}",
            lambda: conn.image.cache_delete_image(image_id, ignore_missing=False),
        )

    def clear(self, target: str) -> None:
        """``DELETE /v2/cache`` with ``x-image-cache-clear-target`` (``both``: no header)."""
        conn = self._connection()
        self._guard(f"clear its {target}", lambda: conn.image.clear_cache(target))

    def clean(self) -> None:
        """``POST /v2/cache/clean`` (2.18): Glance answers with no body."""
        conn = self._connection()
        self._guard("clean its cache", lambda: conn.image.clean_cache())

    def prune(self) -> Mapping[str, Any]:
        """``POST /v2/cache/prune`` (2.18): ``total_files_pruned``, ``total_bytes_pruned``."""
        conn = self._connection()
        result = self._guard("prune its cache", lambda: conn.image.prune_cache())
        return result if isinstance(result, dict) else {}

    def cached_nodes(self, image_id: str) -> list[str]:
        """``GET /v2/cache/nodes/{id}`` (2.18, centralized_db): nodes with a row for it."""
        conn = self._connection()
        nodes = self._guard(
            f"list the nodes caching {image_id}", lambda: conn.image.cached_image_nodes(image_id)
        )
        return [str(n) for n in nodes or ()]

    # -- errors -------------------------------------------------------------------

    def _guard(self, what: str, call: Callable[[], T]) -> T:
        """Run ``call``; anything it raises becomes a one-line, redacted :class:`CacheError`."""
        try:
            return call()
        except CacheError:
            raise
        except Exception as exc:
            error = translate(self, what, exc)
        log.debug("node %s: %s", self.url, error)
        raise error


def _no_token(endpoint: str) -> Any:
    """keystoneauth's noauth plugin, minus the ``X-Auth-Token: notused`` it sends."""
    from keystoneauth1 import noauth

    class NoToken(noauth.NoAuth):
        def get_headers(self, session: Any, **kwargs: Any) -> dict[str, str]:
            return {}

    return NoToken(endpoint=endpoint)


def _is_secret(key: str) -> bool:
    k = key.lower()
    return any(word in k for word in _SECRET_WORDS) and not k.endswith(("_id", "_name", "_type"))


def _current_token(conn: Any) -> str | None:
    """The token the connection's auth plugin holds, if it holds one."""
    auth = getattr(getattr(conn, "session", None), "auth", None)
    for holder in (getattr(auth, "auth_ref", None), auth):
        token = getattr(holder, "auth_token", None) or getattr(holder, "token", None)
        if isinstance(token, str) and token:
            return token
    return None


def _plain(cached: Any) -> Mapping[str, Any]:
    keys = ("image_id", "size", "hits", "last_accessed", "last_modified")
    return {k: getattr(cached, k, None) for k in keys}
