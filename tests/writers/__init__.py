"""One writer per cache kind: caches built through the owning service's own code.

The contract suite (``tests/core/test_contract_kinds.py``) runs against every
kind in :data:`inspector.core.DRIVERS`; each kind brings a writer here, made
by a factory registered in :data:`WRITERS` under the kind's name.  A writer
drives the real service (Glance's drivers, the Filetracker client) to put
entries into a cache, and asks the service what it holds, so the inspector is
checked against the service and never against itself.

A registered kind without a writer fails the suite: a kind is not done until
the contract runs on it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import pytest

from inspector.core import CacheSource


class CacheWriter(Protocol):
    """A cache of one kind, written and read back through its service."""

    kind: str
    root: Path

    def source(self) -> CacheSource:
        """What the inspector opens (without a kind: detection decides)."""

    def new_id(self, n: int) -> str:
        """The ``n``-th id of this kind's shape (a UUID, a Filetracker name)."""

    def add(self, entry_id: str, data: bytes) -> None:
        """Cache ``data`` under ``entry_id`` the way the service does."""

    def use(self, entry_id: str) -> None:
        """Read the entry the way the service serves it (a hit, an access)."""

    def cached(self) -> dict[str, int]:
        """What the service itself says is cached: id -> size."""

    def close(self) -> None:
        """Stop whatever the writer started."""


#: kind name -> factory(tmp_path, request) -> writer; the factory may skip.
WriterFactory = Callable[[Path, pytest.FixtureRequest], CacheWriter]
WRITERS: dict[str, WriterFactory] = {}


def writer(kind: str) -> Callable[[WriterFactory], WriterFactory]:
    """Register the writer factory of ``kind``."""

    def register(factory: WriterFactory) -> WriterFactory:
        WRITERS[kind] = factory
        return factory

    return register


# Each kind's writer module registers itself on import.
from tests.writers import centralized, filetracker, glance_api, glance_files  # noqa: E402,F401
