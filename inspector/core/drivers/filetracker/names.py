"""Filetracker names: absolute, slash-separated paths, optionally ``@version``.

A name becomes a path below ``files/`` and ``locks/`` of the store, so a name
that could leave them (``..``), alias another (``.``, empty segments) or be no
path at all (NUL, no leading ``/``) is refused before anything is opened.
The client's own ``check_name`` refuses ``..``, a missing leading ``/``, ``@``
in a directory and more than one ``@``; this is stricter, never looser.
"""

from __future__ import annotations

from inspector.core.errors import InvalidImageIdError

#: Longest segment (NAME_MAX) and whole name (PATH_MAX) a Linux filesystem takes.
MAX_SEGMENT_BYTES = 255
MAX_NAME_BYTES = 4096

#: The per-name lock file of the name ``/tree.lock`` would be the store's tree
#: lock itself (``locks/tree.lock``).
TREE_LOCK = "tree.lock"


def _shown(name: str) -> str:
    return repr(name if len(name) <= 80 else name[:77] + "...")


def split_name(name: str) -> tuple[str, int | None]:
    """``/a/b@12`` -> (``/a/b``, 12); ``/a/b`` -> (``/a/b``, None).  Checks nothing else."""
    head, at, tail = name.rpartition("@")
    if not at:
        return name, None
    if not tail.isascii() or not tail.isdigit():
        raise InvalidImageIdError(
            f"{_shown(name)} is not a Filetracker name: the version after '@' must be a "
            "whole number of seconds."
        )
    return head, int(tail)


def check_name(name: str) -> str:
    """``name`` if it is a Filetracker name that stays inside the store, else raise.

    Refused: not starting with ``/``; NUL; empty, ``.`` or ``..`` segments (a
    trailing ``/`` included); ``@`` anywhere but a version after the last
    segment; a segment over 255 bytes or a name over 4096.
    """
    if not isinstance(name, str) or not name:
        raise InvalidImageIdError("A Filetracker name cannot be empty.")
    if "\0" in name:
        raise InvalidImageIdError(f"{_shown(name)} is not a Filetracker name: it has a NUL byte.")
    if not name.startswith("/"):
        raise InvalidImageIdError(
            f"{_shown(name)} is not a Filetracker name: names are absolute, like "
            "/problems/p001/test0001.in."
        )
    unversioned, _version = split_name(name)
    segments = unversioned.split("/")[1:]
    for segment in segments:
        if segment in ("", ".", ".."):
            raise InvalidImageIdError(
                f"{_shown(name)} is not a Filetracker name: it has an empty, '.' or '..' "
                "segment, so it could name a file outside the store's files/."
            )
        if "@" in segment:
            raise InvalidImageIdError(
                f"{_shown(name)} is not a Filetracker name: '@' may only start the version "
                "at the end."
            )
        if len(segment.encode("utf-8", "surrogateescape")) > MAX_SEGMENT_BYTES:
            raise InvalidImageIdError(
                f"{_shown(name)} is not a Filetracker name: a segment is longer than "
                f"{MAX_SEGMENT_BYTES} bytes."
            )
    if len(unversioned.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise InvalidImageIdError(
            f"{_shown(name)} is not a Filetracker name: it is longer than {MAX_NAME_BYTES} bytes."
        )
    return name


def segments(name: str) -> list[str]:
    """The path segments of a checked, unversioned name: ``/a/b/c`` -> [a, b, c]."""
    return name.split("/")[1:]
