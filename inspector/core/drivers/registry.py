"""Every cache kind the program knows, and opening a source with the right one.

Adding a kind means importing its driver here and listing it in ``KINDS``:
the CLI's choices, the window's tabs and actions, the contract tests and
detection all follow from the registered drivers and their capabilities.
"""

from __future__ import annotations

from inspector.core.drivers.base import CacheDriver
from inspector.core.drivers.filetracker.store import FiletrackerDriver
from inspector.core.drivers.fsscan import check_directory
from inspector.core.drivers.glance.api import ApiDriver
from inspector.core.drivers.glance.centralized_db import CentralizedDbDriver
from inspector.core.drivers.glance.sqlite import SqliteDriver
from inspector.core.drivers.glance.xattr import XattrDriver
from inspector.core.errors import NotACacheError
from inspector.core.source import CacheSource

#: Every kind, in detection order (centralized_db only with a database URL, and
#: before xattr: on disk a centralized_db node is an xattr cache without hits).
KINDS: tuple[type[CacheDriver], ...] = (
    SqliteDriver,
    CentralizedDbDriver,
    XattrDriver,
    FiletrackerDriver,
    ApiDriver,
)

#: Every driver by name, in the order the kinds were added.
DRIVERS: dict[str, type[CacheDriver]] = {
    cls.name: cls
    for cls in (SqliteDriver, XattrDriver, FiletrackerDriver, ApiDriver, CentralizedDbDriver)
}


def detect(source: CacheSource) -> type[CacheDriver]:
    """The driver whose cache is at ``source`` (or a clear refusal).

    Each driver looks at what is there; exactly one must recognise it: a
    directory that looks like two kinds at once is refused, never opened on
    a guess.  A driver may refuse a source that is plainly of its family but
    must not be opened (its message says why).  Nothing is written.
    """
    if source.path is not None:
        check_directory(source.path)
    found = [cls for cls in KINDS if cls.probe(source)]
    if len(found) > 1:
        kinds = " and ".join(f"a {cls.title} cache ({cls.looks_for})" for cls in found)
        raise NotACacheError(
            f"{source.display_name()} looks like {kinds} at once: it is not opened."
        )
    if found:
        return found[0]
    wanted = ", ".join(cls.looks_for for cls in KINDS if cls.looks_for)
    raise NotACacheError(
        f"{source.display_name()} does not look like a cache: none of these is there: {wanted}."
    )


def driver_class(kind: str) -> type[CacheDriver]:
    try:
        return DRIVERS[kind]
    except KeyError:
        known = ", ".join(DRIVERS)
        raise ValueError(f"Unknown cache kind {kind!r}; known kinds: {known}.") from None


def open_source(source: CacheSource) -> CacheDriver:
    """A driver for ``source``, read-only until asked to change something.

    A kind named by the source is checked against what is there: a source
    that is plainly another kind is refused, never opened with the wrong driver.
    """
    wanted = driver_class(source.kind) if source.kind is not None else None
    cls = detect(source)
    if wanted is not None and cls is not wanted:
        raise NotACacheError(
            f"{source.display_name()} is a {cls.title} cache, not {wanted.title}: "
            f"--driver {wanted.name} does not match what is there, so it is not opened."
        )
    return cls(source)
