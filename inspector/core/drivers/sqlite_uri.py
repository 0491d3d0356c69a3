"""SQLite URIs for a database path, whatever bytes the path holds."""

from __future__ import annotations

import os
import urllib.parse


def uri(path: str | os.PathLike[str], mode: str) -> str:
    """A ``file:`` URI opening ``path`` with ``mode`` (``ro`` or ``rw``), never creating it.

    The path is quoted from its bytes, so a directory whose name is not UTF-8
    (undecodable bytes reach Python as surrogate escapes) opens as any other.
    """
    return "file:" + urllib.parse.quote(os.fsencode(path)) + f"?mode={mode}"


def readonly_uri(path: str | os.PathLike[str]) -> str:
    return uri(path, "ro")
