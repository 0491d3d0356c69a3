"""What goes wrong with a node's cache API, said in one line with no secret in it.

Every exception openstacksdk or keystoneauth raises while the inspector talks
to a node becomes a :class:`CacheError` whose text names the node and says
what the user can do; any text taken from the exception passes through the
client's ``redact`` first.
"""

from __future__ import annotations

import errno
import re
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from inspector.core.errors import CacheError, ServiceRefusedError, ServiceUnreachableError
from inspector.core.source import redact_url

if TYPE_CHECKING:
    from inspector.core.drivers.glance.api_client import NodeClient

#: Why a node's prune may never answer (Glance 33, centralized_db).
PRUNE_HANG = (
    ". Glance's prune does not end when the files in the node's cache directory stay over "
    "its image_cache_max_size after every image it has a record of is evicted (files the "
    "listing does not show: a stray file, or images recorded under an earlier "
    "worker_self_reference_url); it then holds the prune lock until glance-api restarts"
)


def translate(client: NodeClient, what: str, exc: Exception) -> CacheError:
    """The one-line error for ``exc``, raised while ``client`` tried to ``what``."""
    from keystoneauth1 import exceptions as ks
    from openstack import exceptions as sdk

    node = f"node {client.url}"
    text = client.redact(_one_line(str(exc)))
    if isinstance(exc, sdk.HttpException) and exc.status_code is not None:
        return http_error(client, what, exc.status_code, client.redact(_details(exc)))
    if isinstance(exc, ks.SSLError):
        found = re.search(r"\[SSL[^\]]*\] (.+?) \(_ssl", text)
        why = found.group(1) if found else "the handshake failed"
        return ServiceUnreachableError(
            f"{node} does not answer over TLS: {why} (a node served over plain http, or a "
            "certificate this machine does not trust?)."
        )
    if isinstance(exc, ks.ConnectTimeout | ks.ConnectFailure | ks.DiscoveryFailure):
        why = _why_unreachable(exc, client.timeout)
        if client.auth_url and client.auth_url in str(exc):
            return ServiceUnreachableError(
                f"the identity service at {redact_url(client.auth_url)} does not answer: {why}."
            )
        if why.startswith("connection refused"):
            why += " (is glance-api running there?)"
        if why.startswith("no answer") and what == "prune its cache":
            why += PRUNE_HANG
        return ServiceUnreachableError(f"{node} does not answer: {why}.")
    if isinstance(exc, ks.http.Unauthorized):
        return ServiceRefusedError(
            "the identity service refused the credentials (HTTP 401): check the cloud "
            "in clouds.yaml or the OS_* variables.",
            401,
        )
    if isinstance(exc, ks.MissingRequiredOptions | ks.auth_plugins.AuthPluginException):
        return CacheError(f"the OpenStack credentials are incomplete: {text}")
    if isinstance(exc, sdk.ConfigException):
        where = f"--os-cloud {client.cloud}" if client.cloud else "the OpenStack configuration"
        return CacheError(f"{where}: {text}")
    if isinstance(exc, ks.ClientException | sdk.SDKException):
        return ServiceRefusedError(f"{node} could not {what}: {text}")
    return CacheError(f"{node} could not {what}: {type(exc).__name__}: {text}")


def http_error(client: NodeClient, what: str, status: int, details: str) -> ServiceRefusedError:
    """What an HTTP error status from the node means for its user."""
    node = f"node {client.url}"
    said = f" Glance says: {details}" if details else ""
    if status == 401:
        message = (
            f"{node} wants credentials (HTTP 401) to {what}: use --os-cloud NAME or the "
            "OS_* variables, as for any OpenStack tool."
        )
    elif status == 403:
        message = (
            f"{node} does not let these credentials {what} (HTTP 403): its policy gives the "
            "cache API (cache_list, cache_image, cache_delete, cache_clean, cache_prune, "
            "list_cached_nodes) to admins by default."
        )
    elif status == 404 and "not supported at this site" in details:
        message = f"{node} keeps no image cache (its image_cache_dir is not set).{said}"
    else:
        message = f"{node} could not {what}: HTTP {status}.{said}"
    return ServiceRefusedError(message, status)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _details(exc: Any) -> str:
    details = getattr(exc, "details", None)
    text = _one_line(str(details)) if details else ""
    return text[:300]


def _why_unreachable(exc: Exception, timeout: float) -> str:
    from keystoneauth1 import exceptions as ks

    text = str(exc)
    if isinstance(exc, ks.ConnectTimeout) or "timed out" in text.lower():
        return f"no answer within {timeout:g} s"
    for needle, why in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "its host name does not resolve"),
        ("Temporary failure in name resolution", "its host name does not resolve"),
        ("No route to host", "no route to host"),
        ("Network is unreachable", "network unreachable"),
        ("Connection reset", "the connection was reset"),
        ("RemoteDisconnected", "it closed the connection without answering"),
    ):
        if needle in text:
            return why
    if isinstance(exc, ks.DiscoveryFailure):
        return _why_no_version_document(text, timeout)
    return "the connection failed"


def _why_no_version_document(text: str, timeout: float) -> str:
    """Why keystoneauth found no version document at the URL its message names.

    Its message is the same for a node that is down and one that answered
    without a usable list of API versions: one fresh connection to that URL's
    host and port (nothing sent) tells them apart.
    """
    found = re.search(r"version discovery document at (\S+?),", text)
    if found is None:
        return _NO_VERSIONS
    parts = urlsplit(found.group(1))
    try:
        address = (parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except ValueError:  # a port that is no number: nothing to connect to
        return _NO_VERSIONS
    if not address[0]:
        return _NO_VERSIONS
    try:
        socket.create_connection(address, timeout=timeout).close()
    except ConnectionRefusedError:
        return "connection refused"
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except socket.gaierror:
        return "its host name does not resolve"
    except OSError as exc:
        return _UNREACHABLE.get(exc.errno or 0, "the connection failed")
    return _NO_VERSIONS


_NO_VERSIONS = "it gave no usable list of API versions"
_UNREACHABLE = {errno.EHOSTUNREACH: "no route to host", errno.ENETUNREACH: "network unreachable"}
