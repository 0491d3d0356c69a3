"""The digest Glance recorded of an image, as read from its ``images`` table.

``os_hash_algo`` and ``os_hash_value`` when both are set (Glance's multihash),
else the legacy MD5 ``checksum``; nothing when neither is there.  Read from a
SQLite file holding the columns Glance's ``images`` table has for them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from inspector.core.glance_db import GlanceDatabase


def test_the_multihash_when_whole_else_the_md5_checksum_else_nothing(tmp_path: Path) -> None:
    path = tmp_path / "glance.sqlite"
    with sqlite3.connect(path) as made:
        made.execute(
            "CREATE TABLE images (id TEXT PRIMARY KEY, os_hash_algo TEXT, os_hash_value TEXT, "
            "checksum TEXT)"
        )
        made.executemany(
            "INSERT INTO images VALUES (?, ?, ?, ?)",
            [
                ("whole", "sha512", "5e12", "0d5a"),
                ("legacy", None, None, "1e9a"),
                ("algo-only", "sha512", None, "2c0f"),
                ("value-only", None, "7a11", "3b7e"),
                ("none", None, None, None),
                ("not-asked", "sha512", "ffff", "ffff"),
            ],
        )
    made.close()
    db = GlanceDatabase(f"sqlite:///{path}")
    asked = ["whole", "legacy", "algo-only", "value-only", "none", "missing"]
    with db.reading() as conn:
        assert db.image_digests(conn, asked) == {
            "whole": ("sha512", "5e12"),
            "legacy": ("md5", "1e9a"),
            "algo-only": ("md5", "2c0f"),
            "value-only": ("md5", "3b7e"),
        }
