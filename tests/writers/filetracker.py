"""The writer for Filetracker stores, through the real client (filetracker==2.3.3)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inspector.core import CacheSource
from tests.filetracker_service import INSTALL_HINT, FiletrackerStore, filetracker_available
from tests.writers import writer


class FiletrackerWriter:
    kind = "filetracker"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = FiletrackerStore(root)

    def source(self) -> CacheSource:
        return CacheSource.at(self.root)

    def new_id(self, n: int) -> str:
        # Nested names, some sharing a directory, as a judging system's tests do.
        return f"/problems/p{n % 3:03d}/test{n:04d}.in"

    def add(self, entry_id: str, data: bytes) -> None:
        self.store.put(entry_id, data)

    def use(self, entry_id: str) -> None:
        self.store.get(entry_id)

    def cached(self) -> dict[str, int]:
        return {str(e.name).rpartition("@")[0]: int(e.size) for e in self.store.list_local_files()}

    def close(self) -> None:
        pass


def require_filetracker() -> None:
    """Skip (or, in the full test run, fail) when the real client is not installed."""
    if not filetracker_available():
        if os.environ.get("INSPECTOR_REQUIRE_GLANCE"):
            pytest.fail(INSTALL_HINT)
        pytest.skip("the real Filetracker client is not installed")


@writer("filetracker")
def make(tmp_path: Path, request: pytest.FixtureRequest) -> FiletrackerWriter:
    require_filetracker()
    return FiletrackerWriter(tmp_path / "ft-store")
