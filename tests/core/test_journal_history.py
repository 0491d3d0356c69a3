"""``history`` reads back what the changes wrote to the journal, run in this process.

``tests/core/test_journal.py`` runs the installed CLI as a process: these run
``inspector.cli.main`` so that mutation testing sees the journal being read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.core.cli_inprocess import cli
from tests.glance_service import GlanceService
from tests.trust_caches import CACHED, IDS, data


def lines(journal_file: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in journal_file.read_text().splitlines()]


@pytest.mark.parametrize("kind", ["sqlite"])
def test_history_gives_back_each_change_as_the_journal_holds_it(
    glance: GlanceService, journal_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for n, image_id in enumerate(CACHED[:3]):
        glance.cache(image_id, data(n))
    assert cli(capsys, "delete", glance.path, CACHED[0], CACHED[1], "--yes")[0] == 0
    # A queue of three: one queued, one refused (already cached), one queued.
    code, _, err = cli(capsys, "queue", glance.path, IDS[15], CACHED[2], IDS[16])
    assert code == 1, err
    written = lines(journal_file)
    assert [(r["action"], r["done"], r["failed"]) for r in written] == [
        ("delete", 2, 0),
        ("queue", 2, 1),
    ]
    assert written[0]["bytes"] == len(data(0)) + len(data(1))
    [refused] = [e for e in written[1]["entries"] if e["outcome"] == "failed"]
    assert refused["id"] == CACHED[2] and refused["reason"]
    assert {e["bytes"] for e in written[1]["entries"]} == {0}

    code, stdout, err = cli(capsys, "history", "--json")
    assert (code, err) == (0, "")
    doc = json.loads(stdout)
    assert doc["changes"] == written  # every field of every record and entry, read back
    assert doc["damaged_lines"] == []
    assert doc["journal"] == str(journal_file)
    code, stdout, _ = cli(capsys, "history", "--json", "--limit", "1")
    assert json.loads(stdout)["changes"] == written[1:]


def test_damaged_lines_are_skipped_and_numbered(
    journal_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good: dict[str, Any] = {
        "time": "2025-01-01T00:00:00.000Z",
        "user": "glance",
        "host": "node1",
        "source": "/var/lib/glance/image-cache",
        "kind": "sqlite",
        "action": "delete",
        "done": 1,
        "failed": 1,
        "bytes": 5,
        "cancelled": True,
        "error": "the database stayed locked",
        "entries": [
            {"id": CACHED[0], "state": "cached", "outcome": "deleted", "bytes": 5},
            {"id": CACHED[1], "state": "queued", "outcome": "failed", "bytes": 0, "reason": "x"},
        ],
    }
    damaged = [
        [good],  # not an object
        {**good, "entries": {"id": CACHED[0]}},  # entries not a list
        {**good, "entries": [good["entries"][0], "deleted"]},  # an entry not an object
        {k: v for k, v in good.items() if k != "time"},
        {**good, "done": "many"},
    ]
    journal_file.parent.mkdir(parents=True)
    journal_file.write_text(
        "\n".join([json.dumps(good), "", *(json.dumps(d) for d in damaged), json.dumps(good)])
        + "\n"
    )
    code, stdout, _ = cli(capsys, "history", "--json")
    assert code == 0
    doc = json.loads(stdout)
    assert doc["changes"] == [good, good]
    assert doc["damaged_lines"] == [3, 4, 5, 6, 7]


def test_an_older_record_without_kind_or_counts_reads_as_none_done(
    journal_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal_file.parent.mkdir(parents=True)
    journal_file.write_text(
        json.dumps(
            {
                "time": "2024-06-01T00:00:00.000Z",
                "user": "glance",
                "host": "node1",
                "source": "/var/lib/glance/image-cache",
                "action": "clean",
                "entries": [{"id": CACHED[0], "state": "invalid", "outcome": "deleted"}],
            }
        )
        + "\n"
    )
    doc = json.loads(cli(capsys, "history", "--json")[1])
    assert doc["changes"] == [
        {
            "time": "2024-06-01T00:00:00.000Z",
            "user": "glance",
            "host": "node1",
            "source": "/var/lib/glance/image-cache",
            "kind": "",
            "action": "clean",
            "done": 0,
            "failed": 0,
            "bytes": 0,
            "cancelled": False,
            "error": None,
            "entries": [{"id": CACHED[0], "state": "invalid", "outcome": "deleted", "bytes": 0}],
        }
    ]


def test_no_journal_yet(journal_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "history")
    assert (code, out, err) == (0, f"No changes recorded in {journal_file}.\n", "")
    doc = json.loads(cli(capsys, "history", "--json")[1])
    assert doc == {"journal": str(journal_file), "changes": [], "damaged_lines": []}


def test_a_record_without_entries_has_none(
    journal_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal_file.parent.mkdir(parents=True)
    record = {
        "time": "2024-06-01T00:00:00.000Z",
        "user": "glance",
        "host": "node1",
        "source": "http://glance-1:9292",
        "action": "clean",
        "done": 0,
    }
    journal_file.write_text(json.dumps(record) + "\n")
    doc = json.loads(cli(capsys, "history", "--json")[1])
    assert doc["damaged_lines"] == []
    assert [(c["action"], c["entries"]) for c in doc["changes"]] == [("clean", [])]
