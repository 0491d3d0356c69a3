"""The writer of Glance's centralized_db kind: a node written by Glance 33's own driver.

The node shares its database (a fresh SQLite copy of Glance's schema, made by
``glance-manage db sync``) with a second node that caches the same images: the
contract then also holds with another node's rows beside this node's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.core import CacheSource
from tests.services.glance_db import CentralNode
from tests.writers import writer

NODE_URL = "http://contract-node:9292"
OTHER_URL = "http://contract-other:9292"


class CentralizedWriter:
    kind = "centralized_db"

    def __init__(self, root: Path, db_url: str, other_root: Path) -> None:
        self.root = root
        self.db_url = db_url
        self.node = CentralNode(db_url, NODE_URL, root)
        self.other = CentralNode(db_url, OTHER_URL, other_root)

    def source(self) -> CacheSource:
        return CacheSource(path=self.root, db_url=self.db_url, node=NODE_URL)

    def new_id(self, n: int) -> str:
        return f"{n:08x}-0000-4000-8000-{n:012x}"

    def add(self, entry_id: str, data: bytes) -> None:
        self.node.cache(entry_id, data)
        self.other.cache(entry_id, data)  # the same image cached on another node too

    def use(self, entry_id: str) -> None:
        self.node.read(entry_id)

    def cached(self) -> dict[str, int]:
        return {str(r["image_id"]): int(r["size"]) for r in self.node.cached_images()}

    def close(self) -> None:
        self.node.close()
        self.other.close()


@writer("centralized_db")
def make(tmp_path: Path, request: pytest.FixtureRequest) -> CentralizedWriter:
    from tests.services import ServiceUnavailable
    from tests.services.fixtures import unavailable

    databases = request.getfixturevalue("glance_databases")
    try:
        url = databases.new("sqlite")
        return CentralizedWriter(tmp_path / "centralized-cache", url, tmp_path / "other-node")
    except ServiceUnavailable as exc:
        unavailable(exc)
