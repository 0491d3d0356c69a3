"""``clean``: invalid entries and stalled downloads, previewed, confirmed, run in this process.

On caches the real Glance wrote, with downloads left incomplete for two hours
and for two days: the node's stall time (Glance's default, a day) or the one
given decides which are stalled.  ``inspector.cli.main`` runs here so that
mutation testing sees ``cli/commands/cleaning.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.core.cli_inprocess import PROG, cli
from tests.glance_service import GlanceService
from tests.trust_caches import FAILED, IDS, IN_FLIGHT, age, typical

OLD = IDS[14]  # incomplete for two days
HEADER = ["STATE", "ID", "SIZE", "LAST", "ACCESSED", "LAST", "MODIFIED"]


@pytest.fixture
def cache(glance: GlanceService) -> GlanceService:
    typical(glance)
    age(Path(glance.path, "incomplete", IN_FLIGHT), 2 * 3600)
    glance.start(OLD, b"old download")
    age(Path(glance.path, "incomplete", OLD), 2 * 86400)
    return glance


def left(glance: GlanceService) -> dict[str, list[str]]:
    return {
        sub: sorted(p.name for p in Path(glance.path, sub).iterdir())
        for sub in ("invalid", "incomplete")
    }


def test_dry_run_lists_what_the_stall_time_makes_stalled(
    cache: GlanceService, capsys: pytest.CaptureFixture[str]
) -> None:
    before = left(cache)
    code, out, err = cli(capsys, "clean", cache.path, "--dry-run")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == HEADER
    assert [line.split()[:2] for line in lines[1:-1]] == [["invalid", FAILED], ["incomplete", OLD]]
    assert lines[-1] == "Would remove 2 entries (19 Bytes)."
    code, out, _ = cli(capsys, "clean", cache.path, "--dry-run", "--stall-time", "1h")
    assert [line.split()[1] for line in out.splitlines()[1:-1]] == [FAILED, OLD, IN_FLIGHT]
    doc = json.loads(cli(capsys, "clean", cache.path, "--dry-run", "--json")[1])
    assert [e["id"] for e in doc["entries"]] == [FAILED, OLD]
    assert left(cache) == before


def test_clean_removes_exactly_the_plan_then_has_nothing_to_do(
    cache: GlanceService, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "clean", cache.path, "--yes")
    assert (code, out, err) == (0, "Deleted 2 of 2, freed 19 Bytes.\n", "")
    assert left(cache) == {"invalid": [], "incomplete": [IN_FLIGHT]}
    code, out, _ = cli(capsys, "clean", cache.path, "--yes")
    assert (code, out) == (0, "No invalid entries and no stalled downloads: nothing to clean.\n")
    code, out, _ = cli(capsys, "clean", cache.path, "--yes", "--stall-time", "1h")
    assert (code, out) == (0, "Deleted 1 of 1, freed 9 Bytes.\n")
    assert left(cache) == {"invalid": [], "incomplete": []}


@pytest.mark.parametrize("kind", ["sqlite"])
def test_clean_without_yes_and_without_a_terminal_is_refused(
    cache: GlanceService, capsys: pytest.CaptureFixture[str]
) -> None:
    before = left(cache)
    code, out, err = cli(capsys, "clean", cache.path)
    assert (code, out) == (2, "")
    assert err == (
        f"{PROG}: error: Clean 2 entries (19 Bytes) (invalid and stalled): refused without "
        "--yes (standard input is not a terminal).\n"
    )
    assert left(cache) == before


@pytest.mark.parametrize("kind", ["sqlite"])
def test_deleted_images_refusals(cache: GlanceService, capsys: pytest.CaptureFixture[str]) -> None:
    before = left(cache)
    code, _, err = cli(capsys, "clean", cache.path, "--deleted-images", "--stall-time", "1h")
    assert code == 2
    assert err == (
        f"{PROG}: error: --stall-time is for invalid and stalled entries, not --deleted-images.\n"
    )
    code, _, err = cli(capsys, "clean", cache.path, "--deleted-images", "--yes")
    assert code == 2
    assert err == (
        f"{PROG}: error: --deleted-images needs Glance's image records: give --db URL (its "
        "[database] connection) or --glance-config FILE, and a database that can be read.\n"
    )
    assert left(cache) == before
