"""The writer of a glance-api node reached through its cache API, through Glance itself.

Images are created and uploaded through the node's image API and cached the way
a node caches them: by serving their downloads.  What the node holds is asked of
its own ``GET /v2/cache``.  One live node serves the whole session: each writer
empties its cache first and makes ids of its own (Glance never takes an image id
again, even once the image is deleted).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from inspector.core import CacheSource
from tests.writers import writer


class GlanceApiWriter:
    kind = "api"

    def __init__(self, node: Any) -> None:
        self.node = node
        self.root: Path = node.cache_dir
        self._salt = uuid.uuid4().hex[:8]
        self._clear()

    def _clear(self) -> None:
        response = self.node.cache_clear()
        assert response.status_code == 204, response.text

    def source(self) -> CacheSource:
        return CacheSource.node_api(self.node.url)

    def new_id(self, n: int) -> str:
        return f"{self._salt}-0000-4000-8000-{n:012x}"

    def add(self, entry_id: str, data: bytes) -> None:
        self.node.create_image(f"contract-{entry_id}", id=entry_id)
        self.node.upload_data(entry_id, data)
        assert self.node.download(entry_id) == data  # the node caches what it serves

    def use(self, entry_id: str) -> None:
        self.node.download(entry_id)

    def cached(self) -> dict[str, int]:
        return {
            str(row["image_id"]): int(row["size"])
            for row in self.node.cache_state()["cached_images"]
        }

    def close(self) -> None:
        if self.node.running:
            self._clear()


@writer("api")
def _make(tmp_path: Path, request: pytest.FixtureRequest) -> GlanceApiWriter:
    return GlanceApiWriter(request.getfixturevalue("shared_glance_node"))
