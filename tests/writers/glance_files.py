"""Writers for Glance's file-based drivers (sqlite, xattr), through Glance's own code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inspector.core import CacheSource
from tests.glance_service import GlanceService, glance_available
from tests.writers import writer


class GlanceFileWriter:
    def __init__(self, kind: str, root: Path) -> None:
        self.kind = kind
        self.root = root
        self.service = GlanceService(kind, str(root))

    def source(self) -> CacheSource:
        return CacheSource.at(self.root)

    def new_id(self, n: int) -> str:
        return f"{n:08x}-0000-4000-8000-{n:012x}"

    def add(self, entry_id: str, data: bytes) -> None:
        self.service.cache(entry_id, data)

    def use(self, entry_id: str) -> None:
        self.service.read(entry_id)

    def cached(self) -> dict[str, int]:
        return {str(r["image_id"]): int(r["size"]) for r in self.service.cached_images()}

    def close(self) -> None:
        pass


def _factory(kind: str):  # type: ignore[no-untyped-def]
    def make(tmp_path: Path, request: pytest.FixtureRequest) -> GlanceFileWriter:
        if not glance_available():
            if os.environ.get("INSPECTOR_REQUIRE_GLANCE"):
                pytest.fail("glance==33.0.0 is not installed: run ./run test")
            pytest.skip("the real Glance drivers are not installed")
        return GlanceFileWriter(kind, tmp_path / f"{kind}-cache")

    return make


writer("sqlite")(_factory("sqlite"))
writer("xattr")(_factory("xattr"))
