"""A centralized_db node's rows as the listing shows them, run in this process.

The rows are Glance's own: written by its ``centralized_db`` driver (an image
cached and served) and by its DB API's ``insert_cache_details`` (a row whose file is
not there: what Glance's image-cache migration leaves when a file went missing), the
image records by its DB API (an image deleted since).  What is checked is the JSON
of ``list`` (``inspector.cli.main``, so that mutation testing sees the reading).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.core.cli_inprocess import cli
from tests.glance_service import GlanceService
from tests.services.glance_db import CentralNode, create_image, delete_image

pytestmark = [pytest.mark.glance, pytest.mark.parametrize("glance_db_backend", ["sqlite"])]

NODE = "http://glance-1:9292"
SERVED = "00000001-1111-4000-8000-000000000001"
NO_FILE = "00000002-1111-4000-8000-000000000002"


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


@pytest.fixture
def away_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's local time 5 h behind UTC (Glance's times are naive UTC, whatever it)."""
    monkeypatch.setenv("TZ", "XST+5")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_row_without_its_file_is_listed_with_the_rows_values(
    away_from_utc: None,
    glance_db_url: str,
    central_nodes: Callable[..., CentralNode],
    capsys: pytest.CaptureFixture[str],
) -> None:
    create_image(glance_db_url, SERVED, name="served", data=b"s" * 1500)
    create_image(glance_db_url, NO_FILE, name="retired", data=b"r" * 4321)
    node = central_nodes(glance_db_url, NODE)
    node.cache(SERVED, b"s" * 1500)
    node.read(SERVED, 2)
    node.insert_cache_details(
        NO_FILE,
        4321,
        checksum="0123456789abcdef0123456789abcdef",
        last_accessed="2024-05-01T12:00:00.250000",
        last_modified="2024-04-30T08:00:00.500000",
        hits=7,
        as_datetime=True,
    )
    delete_image(glance_db_url, NO_FILE)
    code, out, err = cli(
        capsys, "list", node.path, "--db", glance_db_url, "--node", NODE, "--json"
    )
    assert code == 0, err
    entries = {e["id"]: e for e in json.loads(out)["entries"]}
    assert entries.keys() == {SERVED, NO_FILE}
    assert (entries[SERVED]["hits"], entries[SERVED]["note"]) == (2, None)
    assert entries[NO_FILE] == {
        "id": NO_FILE,
        "state": "cached",
        "size": 4321,
        "hits": 7,
        "last_accessed": "2024-05-01T12:00:00.250000Z",
        "last_modified": "2024-04-30T08:00:00.500000Z",
        "checksum": "0123456789abcdef0123456789abcdef",
        "error": None,
        "position": None,
        "note": "metadata row without a file",
        "version": None,
        "locked": None,
        "links": None,
        "name": "retired",
        "image_status": "deleted",
    }


def test_an_import_onto_existing_rows_writes_both_times(
    glance_db_url: str,
    central_nodes: Callable[..., CentralNode],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """The node's rows are there (Glance cached the image again): the record's last access
    and last modification each land in their own column."""
    src = GlanceService("sqlite", str(tmp_path / "src"))
    src.cache(SERVED, b"s" * 1500)
    src.read(SERVED, 3)
    src.set_accessed(SERVED, 1_700_000_000_250_000_000)
    src.sql(
        "UPDATE cached_images SET last_modified = ? WHERE image_id = ?", 1_690_000_000.5, SERVED
    )
    record = tmp_path / "record.json"
    assert cli(capsys, "export", src.path, "-o", str(record))[0] == 0
    create_image(glance_db_url, SERVED, name="served", data=b"s" * 1500)
    node = central_nodes(glance_db_url, NODE)
    node.cache(SERVED, b"s" * 1500)
    where = ["--db", glance_db_url, "--node", NODE]
    code, out, err = cli(capsys, "import", node.path, str(record), *where, "--yes")
    assert (code, err) == (0, ""), out
    assert "Restored 1 of 1." in out
    code, out, err = cli(capsys, "list", node.path, *where, "--json")
    [entry] = json.loads(out)["entries"]
    assert entry["hits"] == 3
    assert _seconds(entry["last_accessed"]) == pytest.approx(1_700_000_000.25, abs=1e-3)
    assert _seconds(entry["last_modified"]) == pytest.approx(1_690_000_000.5, abs=1e-3)
    assert node.hit_count(SERVED) == 3  # Glance reads what was written
