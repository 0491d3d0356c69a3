"""The journal of changes: every change once, with its outcome, and never a secret."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from inspector.core import CacheSource, State, actions, open_source
from inspector.core.journal import journal_path, read_journal, state_home
from tests.glance_service import GlanceService
from tests.trust_caches import CACHED, IDS, age, data, run, run_json, typical


def lines(journal: Path) -> list[dict[str, Any]]:
    if not journal.exists():
        return []
    return [json.loads(line) for line in journal.read_text().splitlines()]


def test_each_cli_change_lands_in_the_journal_once(
    glance: GlanceService, tmp_path: Path, journal_file: Path
) -> None:
    typical(glance)
    path = glance.path
    record = tmp_path / "r.json"
    assert run("export", path, "-o", str(record)).returncode == 0
    steps: list[tuple[list[str], str]] = [
        (["delete", path, CACHED[5], "--yes"], "delete"),
        (["queue", path, IDS[15], CACHED[0]], "queue"),  # the second is refused: cached
        (["requeue", path, CACHED[4], "--yes"], "requeue"),
        (["prune", path, "--max-size", "5000", "--yes"], "prune"),
        (["clean", path, "--stall-time", "0", "--yes"], "clean"),
        (["import", path, str(record), "--yes"], "import"),
    ]
    for args, action in steps:
        if action == "import":
            # A hit since the export on an image the prune left: the import has work to do.
            glance.read(next(i for i in CACHED if Path(path, i).exists()))
        run(*args)
    # Nothing to do, dry runs and reading commands leave no record.
    run("delete", path, IDS[19], "--yes")
    run("prune", path, "--max-size", "1", "--dry-run")
    run("audit", path)
    run("verify", path)
    got = lines(journal_file)
    assert [g["action"] for g in got] == [action for _, action in steps]
    by_action = {g["action"]: g for g in got}
    assert by_action["delete"]["entries"] == [
        {"id": CACHED[5], "state": "cached", "outcome": "deleted", "bytes": len(data(5))}
    ]
    assert by_action["delete"]["bytes"] == len(data(5))
    queue = by_action["queue"]
    assert [(e["id"], e["outcome"]) for e in queue["entries"]] == [
        (IDS[15], "queued"),
        (CACHED[0], "failed"),
    ]
    assert "already cached" in queue["entries"][1]["reason"]
    assert (queue["done"], queue["failed"]) == (1, 1)
    assert [e["outcome"] for e in by_action["requeue"]["entries"]] == ["requeued"]
    assert {e["outcome"] for e in by_action["prune"]["entries"]} == {"deleted"}
    assert {e["state"] for e in by_action["clean"]["entries"]} == {"invalid", "incomplete"}
    assert {e["outcome"] for e in by_action["import"]["entries"]} == {"updated"}
    for g in got:
        assert g["source"] == path and g["kind"] == glance.kind
        assert g["user"] and g["host"] and g["time"].endswith("Z")
    code, doc = run_json("history")
    assert code == 0 and [c["action"] for c in doc["changes"]] == [a for _, a in steps]
    text = run("history").stdout
    assert text.splitlines()[0].split()[:3] == ["TIME", "WHO", "ACTION"]
    assert len(text.splitlines()) == 1 + len(steps)


def test_a_repair_lands_once_with_each_outcome(
    glance: GlanceService, tmp_path: Path, journal_file: Path
) -> None:
    typical(glance)
    root = Path(glance.path)
    os.truncate(root / CACHED[1], 0)
    if glance.kind == "xattr":
        os.removexattr(root / CACHED[2], "user.hits")
    else:
        (root / CACHED[3]).unlink()
        from tests.trust_caches import sql

        sql(root, "DELETE FROM cached_images WHERE image_id = ?", CACHED[2])
    age(root / CACHED[2], 3600)
    run("audit", glance.path, "--repair", "--adopt", "--yes")
    [rec] = lines(journal_file)
    outcomes = {e["id"]: e["outcome"] for e in rec["entries"]}
    want = {CACHED[1]: "deleted", CACHED[2]: "updated"}
    if glance.kind == "sqlite":
        want[CACHED[3]] = "deleted"  # the row without its file, dropped
    assert (rec["action"], outcomes) == ("repair", want)


def test_the_windows_path_through_the_core_is_journaled_too(
    glance: GlanceService, journal_file: Path
) -> None:
    for n, i in enumerate(CACHED[:3]):
        glance.cache(i, data(n))
    driver = open_source(CacheSource.at(glance.path))
    entries = driver.scan().of_state(State.CACHED)
    victim = next(e for e in entries if e.id == CACHED[0])
    result = actions.delete(driver, [victim])
    assert result.ok and result.journal_error is None
    plan = actions.plan_prune(driver, driver.scan().entries, 0)
    actions.prune(driver, plan)
    got = read_journal()
    assert [r.action for r in got.records] == ["delete", "prune"]
    assert [(e.id, e.outcome) for e in got.records[0].entries] == [(CACHED[0], "deleted")]
    assert {e.id for e in got.records[1].entries} == set(CACHED[1:3])
    assert got.path == journal_file


def test_no_password_reaches_the_journal(glance: GlanceService, journal_file: Path) -> None:
    glance.cache(CACHED[0], b"x" * 10)
    source = CacheSource(
        Path(glance.path), db_url="postgresql+psycopg://glance:s3cr3t-pw@db.example/glance"
    )
    driver = open_source(source)
    [entry] = driver.scan().of_state(State.CACHED)
    actions.delete(driver, [entry])
    text = journal_file.read_text()
    assert "s3cr3t-pw" not in text
    assert "glance:***@db.example" in text


def test_an_unwritable_journal_does_not_undo_or_hide_the_change(
    glance: GlanceService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    glance.cache(CACHED[0], b"x" * 10)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the state directory should be")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    r = run("delete", glance.path, CACHED[0], "--yes")
    assert r.returncode == 0
    assert "Deleted 1 of 1" in r.stdout
    assert "was made but not written to the journal" in r.stderr
    assert not Path(glance.path, CACHED[0]).exists()


def test_a_damaged_line_is_skipped_and_told(journal_file: Path) -> None:
    journal_file.parent.mkdir(parents=True)
    good = {
        "time": "2025-01-01T00:00:00.000Z",
        "user": "glance",
        "host": "node1",
        "source": "/var/lib/glance/image-cache",
        "kind": "sqlite",
        "action": "prune",
        "done": 1,
        "failed": 0,
        "bytes": 5,
        "cancelled": False,
        "error": None,
        "entries": [{"id": CACHED[0], "state": "cached", "outcome": "deleted", "bytes": 5}],
    }
    journal_file.write_text(json.dumps(good) + "\n" + '{"time": "2025-01-0')
    code, doc = run_json("history")
    assert code == 0
    assert [c["action"] for c in doc["changes"]] == ["prune"]
    assert doc["damaged_lines"] == [2]
    r = run("history")
    assert "line 2: damaged" in r.stderr and "glance@node1" in r.stdout


def test_the_journal_lives_under_the_xdg_state_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert journal_path() == tmp_path / "state" / "cache-inspector" / "journal.jsonl"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert state_home() == tmp_path / "home" / ".local" / "state"
    assert read_journal().records == ()  # a journal not yet written is an empty one
