"""``diff`` of two metadata records, exported from a cache before and after Glance used it.

Both records are written by ``export`` from a cache the real Glance driver wrote
and then changed the way a node changes it (serving images counts hits, a
queued image gets cached, an image is evicted, new downloads queue or fail);
``diff`` runs in this process (``inspector.cli.main``) so that mutation testing
sees ``inspector.core.metadata_diff``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from inspector.cli import main
from tests.glance_service import GlanceService
from tests.trust_caches import IDS, data

A, B, C, D, E, G = IDS[0], IDS[1], IDS[2], IDS[3], IDS[4], IDS[5]
Q1, Q2, F = IDS[10], IDS[11], IDS[12]


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def export(glance: GlanceService, record: Path) -> None:
    code, _ = cli("export", glance.path, "-o", str(record))
    assert code == 0 and record.is_file()


@pytest.fixture
def records(glance: GlanceService, tmp_path: Path) -> tuple[Path, Path]:
    """The records of one cache before and after a node's day (``A`` and ``C`` grew
    alike, ``C`` from fewer hits; ``B`` served nothing more)."""
    for n, image_id in enumerate([A, B, C, D, E]):
        glance.cache(image_id, data(n))
    for image_id, hits in ((A, 3), (B, 5), (C, 1), (E, 2)):
        glance.read(image_id, hits)
    glance.queue(Q1)
    before = tmp_path / "before.json"
    export(glance, before)

    glance.read(A, 4)  # 3 -> 7
    glance.read(C, 4)  # 1 -> 5: grew as much as A, from fewer hits
    glance.read(E, 1)  # 2 -> 3
    glance.driver.delete_cached_image(D)
    glance.cache(Q1, data(6))  # the queued image downloaded
    glance.cache(G, data(7))
    glance.queue(Q2)
    glance.fail(F, b"partial", "checksum mismatch")
    after = tmp_path / "after.json"
    export(glance, after)
    return before, after


def brief(image_id: str, state: str, size: int, hits: int | None) -> dict[str, Any]:
    return {"id": image_id, "state": state, "size": size, "hits": hits}


def test_diff_names_what_appeared_vanished_and_grew(records: tuple[Path, Path]) -> None:
    before, after = records
    code, out = cli("diff", str(before), str(after), "--json")
    assert code == 0
    doc = json.loads(out)
    # By state, then id: a queued image that got cached left the queue and appeared cached.
    assert [(e["state"], e["id"]) for e in doc["appeared"]] == [
        ("cached", G),
        ("cached", Q1),
        ("invalid", F),
        ("queued", Q2),
    ]
    assert doc["appeared"][:2] == [
        brief(G, "cached", len(data(7)), 0),
        brief(Q1, "cached", len(data(6)), 0),
    ]
    assert doc["vanished"] == [brief(D, "cached", len(data(3)), 0), brief(Q1, "queued", 0, None)]
    # The most grown first; equal growth by id.  B (no new hit) and D (gone) are not here.
    assert doc["hits_grew"] == [
        {"id": A, "before": 3, "after": 7, "grew": 4},
        {"id": C, "before": 1, "after": 5, "grew": 4},
        {"id": E, "before": 2, "after": 3, "grew": 1},
    ]


def test_diff_of_a_record_with_itself_is_empty(records: tuple[Path, Path]) -> None:
    _, after = records
    code, out = cli("diff", str(after), str(after))
    assert (code, out) == (0, "Appeared: none\nVanished: none\nGrew in hits: none\n")


def test_diff_backwards_shows_the_same_changes_reversed(records: tuple[Path, Path]) -> None:
    before, after = records
    doc = json.loads(cli("diff", str(after), str(before), "--json")[1])
    assert [(e["state"], e["id"]) for e in doc["vanished"]] == [
        ("cached", G),
        ("cached", Q1),
        ("invalid", F),
        ("queued", Q2),
    ]
    assert [(e["state"], e["id"]) for e in doc["appeared"]] == [("cached", D), ("queued", Q1)]
    assert doc["hits_grew"] == []  # hits only fell: nothing grew


@pytest.mark.parametrize("kind", ["sqlite"])
def test_diff_text_lists_the_growth_table(records: tuple[Path, Path]) -> None:
    before, after = records
    code, out = cli("diff", str(before), str(after))
    assert code == 0
    grew = out[out.index("Grew in hits") :].splitlines()
    assert grew[0] == "Grew in hits (3):"
    assert [line.split() for line in grew[1:]] == [
        ["ID", "HITS", "BEFORE", "AFTER", "GREW"],
        [A, "3", "7", "+4"],
        [C, "1", "5", "+4"],
        [E, "2", "3", "+1"],
    ]
    assert out.startswith("Appeared (4):\n")
    assert "Vanished (2):\n" in out
