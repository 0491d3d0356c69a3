"""Fixtures shared by the core's tests.

``stores``: two Filetracker stores written by the real client, for the tests of
one prune over both (from the CLI and in the core). Store ``a`` holds
``/x/old.in`` (300 bytes, version 1,000) and ``/x/new.in`` (100, 4,000); store
``b`` holds ``/y/mid.in`` (200, 2,000) and ``/y/late.in`` (50, 3,000).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.filetracker_service import FiletrackerStore
from tests.writers.filetracker import require_filetracker


@pytest.fixture
def stores(tmp_path: Path) -> tuple[FiletrackerStore, FiletrackerStore]:
    require_filetracker()
    a, b = FiletrackerStore(tmp_path / "a"), FiletrackerStore(tmp_path / "b")
    a.put("/x/old.in", b"o" * 300, version=1_000)
    a.put("/x/new.in", b"n" * 100, version=4_000)
    b.put("/y/mid.in", b"m" * 200, version=2_000)
    b.put("/y/late.in", b"l" * 50, version=3_000)
    return a, b
