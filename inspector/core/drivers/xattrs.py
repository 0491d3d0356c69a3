"""Extended attributes as Glance's xattr driver uses them (``user.<key>``).

One place that knows how a missing attribute differs from a filesystem that
has no extended attributes at all: the first is an unknown value on one file,
the second makes the value unknown for the whole cache.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable

import xattr as _xattr

_UNSUPPORTED = {errno.ENOTSUP, errno.EOPNOTSUPP}
_MISSING = {errno.ENODATA, getattr(errno, "ENOATTR", errno.ENODATA)}


class XattrUnsupportedError(OSError):
    """The filesystem holding the path does not support user xattrs."""


def _getxattr(path: str, key: str) -> bytes:
    """Read one attribute without following symlinks.

    Linux's ``os.getxattr`` is a single C call, several times cheaper than the
    ``xattr`` package's object per call: it matters at 100,000 files.  Other
    systems use the ``xattr`` package.
    """
    if _OS_GETXATTR is not None:
        raw: bytes = _OS_GETXATTR(path, key, follow_symlinks=False)
        return raw
    value: bytes = _xattr.getxattr(path, key, symlink=True)
    return value


_OS_GETXATTR = getattr(os, "getxattr", None)


def _unsupported(exc: OSError) -> XattrUnsupportedError:
    return XattrUnsupportedError(exc.errno, "extended attributes not supported")


def _key(name: str) -> str:
    return f"user.{name}"


def get(path: str | os.PathLike[str], name: str) -> bytes | None:
    """The attribute's raw value, or ``None`` when the file has none.

    Raises :class:`XattrUnsupportedError` when the filesystem has no user
    xattrs, ``FileNotFoundError`` when the file vanished.  Never follows a
    symlink: a link's target may lie outside the cache.
    """
    try:
        value: bytes = _getxattr(os.fspath(path), _key(name))
    except OSError as exc:
        if exc.errno in _MISSING:
            return None
        if exc.errno in _UNSUPPORTED:
            raise _unsupported(exc) from exc
        raise
    return value


def get_int(path: str | os.PathLike[str], name: str) -> int | None:
    """The attribute read as Glance writes integers (ASCII digits), or None."""
    return int_reader(name)(os.fspath(path))


def int_reader(name: str) -> Callable[[str], int | None]:
    """A fast reader of ``user.<name>`` as an integer, for one path after another.

    :func:`get_int` for one path; the scan loops keep the reader.
    """
    key = _key(name)
    getx = _getxattr

    def read(path: str) -> int | None:
        try:
            raw = getx(path, key)
        except OSError as exc:
            if exc.errno in _MISSING:
                return None
            if exc.errno in _UNSUPPORTED:
                raise XattrUnsupportedError(
                    exc.errno, "extended attributes not supported"
                ) from exc
            raise
        try:
            return int(raw)  # int() takes ASCII digits as bytes, spaces around them too
        except ValueError:
            return None

    return read


def get_text(path: str | os.PathLike[str], name: str) -> str | None:
    raw = get(path, name)
    return None if raw is None else raw.decode("utf-8", errors="replace")


def put(path: str | os.PathLike[str], name: str, value: str | int) -> None:
    """Set ``user.<name>`` the way Glance does: ``str(value)`` as UTF-8."""
    try:
        _xattr.setxattr(os.fspath(path), _key(name), str(value).encode("utf-8"), symlink=True)
    except OSError as exc:
        if exc.errno in _UNSUPPORTED:
            raise _unsupported(exc) from exc
        raise


def supported(directory: str | os.PathLike[str]) -> bool:
    """Whether the filesystem of ``directory`` supports user xattrs (read-only probe)."""
    try:
        get(directory, "hits")
    except XattrUnsupportedError:
        return False
    except OSError:
        return True
    return True
