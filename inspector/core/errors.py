"""Errors the core raises, each with a message a person can act on."""

from __future__ import annotations


def reason_of(exc: BaseException) -> str:
    """What went wrong, for a person: an OSError's text without its errno noise."""
    if isinstance(exc, OSError) and exc.strerror:
        return str(exc.strerror)
    return str(exc)


class CacheError(Exception):
    """Base class: something about a cache that the user should be told."""


class CacheNotFoundError(CacheError):
    """The path does not exist."""


class NotACacheError(CacheError):
    """The path exists but holds no cache this program knows."""


class CacheUnreadableError(CacheError):
    """The cache exists but cannot be read (permissions, I/O)."""


class CacheReadOnlyError(CacheError):
    """Part of the cache that a change needs cannot be written (a read-only database)."""


class CorruptDatabaseError(CacheError):
    """The metadata database is damaged or is not the expected database."""


class CacheBusyError(CacheError):
    """The metadata database stayed locked by another process."""


class InvalidImageIdError(CacheError, ValueError):
    """An id that can never name an image file (``/``, ``..``, NUL, too long)."""


class QueueRefusedError(CacheError):
    """Glance's rules refuse to queue this id (already cached, being cached or queued)."""


class ActionNotSupportedError(CacheError):
    """This kind of cache has no such action (a Filetracker store has no queue)."""


class ScanCancelled(CacheError):
    """A scan was cancelled by its caller."""


class ServiceUnreachableError(CacheError):
    """A remote cache's service does not answer (refused, unknown host, timed out)."""


class ServiceRefusedError(CacheError):
    """A remote cache's service answered with a refusal or an error.

    ``status`` is the HTTP status it gave, when there was one.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
