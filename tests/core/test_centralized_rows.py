"""A centralized_db node's rows as the listing shows them, run in this process.

The rows are Glance's own: written by its ``centralized_db`` driver (an image
cached and served) and by its DB API's ``insert_cache_details`` (a row whose file is
not there: what Glance's image-cache migration leaves when a file went missing), the
image records by its DB API (an image deleted since).  What is checked is the JSON
of ``list`` (``inspector.cli.main``, so that mutation testing sees the reading).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inspector.core.journal import read_journal
from tests.core.cli_inprocess import PROG, cli
from tests.glance_service import GlanceService
from tests.services.glance_db import CentralNode, create_image, delete_image

pytestmark = [pytest.mark.glance, pytest.mark.parametrize("glance_db_backend", ["sqlite"])]

NODE = "http://glance-1:9292"
SERVED = "00000001-1111-4000-8000-000000000001"
NO_FILE = "00000002-1111-4000-8000-000000000002"


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
    code, out, err = cli(capsys, "list", node.path, "--db", glance_db_url, "--node", NODE)
    assert code == 0, err
    [served] = [line for line in out.splitlines() if SERVED in line]
    assert served.split()[:6] == ["cached", SERVED, "served", "1.5", "KiB", "2"]
    [no_file] = [line for line in out.splitlines() if NO_FILE in line]
    assert no_file.split()[:6] == ["cached", NO_FILE, "retired", "4.2", "KiB", "7"]
    assert no_file.endswith("image deleted in Glance; metadata row without a file")


def _micro_floor(ns: int) -> str:
    """How Glance keeps a time: naive UTC, to the microsecond (the rest dropped)."""
    whole = datetime.fromtimestamp(ns // 10**9, UTC).replace(tzinfo=None)
    return f"{whole.isoformat()}.{ns % 10**9 // 1000:06d}Z"


def test_an_import_writes_both_times_into_existing_rows_and_new_ones(
    glance_db_url: str,
    central_nodes: Callable[..., CentralNode],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    journal_file: Path,
) -> None:
    """SERVED has its row (Glance cached it again), NO_FILE's file was copied in without
    one: the record's last access and last modification each land in their own column,
    to the microsecond as Glance keeps them."""
    data = {SERVED: b"s" * 1500, NO_FILE: b"n" * 2500}
    src = GlanceService("xattr", str(tmp_path / "src"))
    times = {
        SERVED: (1_700_000_000_123_456_750, 1_690_000_000_987_654_750),
        NO_FILE: (1_700_000_100_000_001_750, 1_690_000_100_500_000_750),
    }
    for image_id, blob in data.items():
        src.cache(image_id, blob)
        src.read(image_id, 3)
        os.utime(Path(src.path, image_id), ns=times[image_id])
    record = tmp_path / "record.json"
    assert cli(capsys, "export", src.path, "-o", str(record))[0] == 0
    recorded = {
        e["id"]: (e["last_accessed_ns"], e["last_modified_ns"])
        for e in json.loads(record.read_text())["cache-entries"]
    }
    assert all(ns % 1000 >= 500 for pair in recorded.values() for ns in pair)  # floor != round
    for image_id, blob in data.items():
        create_image(glance_db_url, image_id, name="img", data=blob)
    node = central_nodes(glance_db_url, NODE)
    node.cache(SERVED, data[SERVED])
    Path(node.path, NO_FILE).write_bytes(data[NO_FILE])
    where = ["--db", glance_db_url, "--node", NODE]
    code, out, err = cli(capsys, "import", node.path, str(record), *where, "--yes")
    assert (code, err) == (0, ""), out
    assert "Restored 2 of 2." in out
    code, out, err = cli(capsys, "list", node.path, *where, "--json")
    got = {
        e["id"]: (e["hits"], e["last_accessed"], e["last_modified"])
        for e in json.loads(out)["entries"]
    }
    assert got == {
        i: (3, _micro_floor(recorded[i][0]), _micro_floor(recorded[i][1])) for i in data
    }
    assert node.hit_count(SERVED) == 3 and node.hit_count(NO_FILE) == 3  # Glance reads them
    [change] = read_journal(journal_file).records
    assert sorted((e.id, e.outcome) for e in change.entries) == [
        (SERVED, "updated"),
        (NO_FILE, "updated"),
    ]


def test_a_node_the_database_does_not_record_is_refused_naming_those_it_does(
    glance_db_url: str,
    central_nodes: Callable[..., CentralNode],
    capsys: pytest.CaptureFixture[str],
) -> None:
    one = central_nodes(glance_db_url, NODE)
    central_nodes(glance_db_url, "http://glance-2:9292")
    one.cache(SERVED, b"s" * 100)
    elsewhere = "http://glance-9:9292"
    code, out, err = cli(
        capsys, "list", one.path, "--db", glance_db_url, "--node", elsewhere, "--json"
    )
    assert (code, out) == (1, "")
    assert err == (
        f"{PROG}: error: Node {elsewhere} is not in Glance's database {glance_db_url}: its "
        f"nodes are: {NODE}, http://glance-2:9292.\n"
    )
