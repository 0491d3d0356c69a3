"""``clean --deleted-images``: cached copies of images deleted in Glance, run in this process.

A sqlite cache written by Glance's driver, and Glance's image records in a
database made by ``glance-manage db sync`` and changed through Glance's own DB
API (an image created, one created then deleted as the v2 API deletes it).
``inspector.cli.main`` runs here so that mutation testing sees
``clean_deleted_images``; ``tests/test_cli_centralized.py`` does the same on
centralized_db nodes with the installed CLI.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from inspector.cli import main
from tests.core.cli_inprocess import PROG, CtrlCTerminal, cli
from tests.glance_service import GlanceService
from tests.services.glance_db import create_image, delete_image

pytestmark = pytest.mark.parametrize("glance_db_backend", ["sqlite"])


@pytest.fixture
def node(glance_db_url: str, tmp_path: Path) -> tuple[GlanceService, str, str]:
    """A cache holding a kept image and one deleted in Glance since; their ids."""
    kept = create_image(glance_db_url, name="cirros", data=b"k" * 3000)["id"]
    gone = create_image(glance_db_url, name="retired-image", data=b"g" * 5000)["id"]
    cache = GlanceService("sqlite", str(tmp_path / "cache"))
    cache.cache(kept, b"k" * 3000)
    cache.cache(gone, b"g" * 5000)
    delete_image(glance_db_url, gone)
    return cache, kept, gone


def cached(cache: GlanceService) -> list[str]:
    return sorted(str(r["image_id"]) for r in cache.cached_images())


def test_deleted_images_previewed_refused_then_removed(
    node: tuple[GlanceService, str, str],
    glance_db_url: str,
    capsys: pytest.CaptureFixture[str],
    journal_file: Path,
) -> None:
    cache, kept, gone = node
    args = ["clean", cache.path, "--db", glance_db_url, "--deleted-images"]
    code, out, err = cli(capsys, *args, "--dry-run", "--json")
    assert (code, err) == (0, "")
    preview = json.loads(out)
    assert [e["id"] for e in preview["entries"]] == [gone]
    assert preview["bytes_freed"] == 5000
    code, out, err = cli(capsys, *args)
    assert (code, out) == (2, "")
    assert err == (
        f"{PROG}: error: Delete 1 entry (4.9 KiB) whose image was deleted in Glance: {gone}: "
        "refused without --yes (standard input is not a terminal).\n"
    )
    assert cached(cache) == sorted([kept, gone])  # a preview and a refusal change nothing
    code, out, err = cli(capsys, *args, "--yes")
    assert (code, out, err) == (0, "Deleted 1 of 1, freed 4.9 KiB.\n", "")
    assert cached(cache) == [kept]
    assert not Path(cache.path, gone).exists() and Path(cache.path, kept).exists()
    [change] = [json.loads(line) for line in journal_file.read_text().splitlines()]
    assert (change["action"], [e["id"] for e in change["entries"]]) == ("clean", [gone])
    code, out, _ = cli(capsys, *args, "--yes")
    assert (code, out) == (0, "No cached image was deleted in Glance: nothing to clean.\n")


def test_the_largest_deleted_image_comes_first_out_of_all_that_is_cached(
    glance_db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sizes = {"kept": 3000, "small": 2000, "large": 5000}
    ids = {n: create_image(glance_db_url, name=n, data=b"x" * s)["id"] for n, s in sizes.items()}
    cache = GlanceService("sqlite", str(tmp_path / "cache"))
    for n, image_id in ids.items():
        cache.cache(image_id, b"x" * sizes[n])
    for n in ("small", "large"):
        delete_image(glance_db_url, ids[n])
    args = ["clean", cache.path, "--db", glance_db_url, "--deleted-images", "--dry-run"]
    code, out, err = cli(capsys, *args, "--json")
    assert (code, err) == (0, "")
    plan = json.loads(out)
    assert [e["id"] for e in plan["entries"]] == [ids["large"], ids["small"]]
    assert (plan["bytes_freed"], plan["total_before"]) == (7000, 10000)


def test_ctrl_c_stops_the_clean_of_deleted_images_between_entries(
    glance_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The progress shows, and Ctrl+C on it leaves the images after the first alone."""
    ids = [
        create_image(glance_db_url, name=f"retired-{n}", data=b"r" * 1000)["id"] for n in (1, 2)
    ]
    cache = GlanceService("sqlite", str(tmp_path / "cache"))
    for image_id in ids:
        cache.cache(image_id, b"r" * 1000)
        delete_image(glance_db_url, image_id)
    terminal = CtrlCTerminal(on="Cleaning")
    monkeypatch.setattr("sys.stderr", terminal)
    out = io.StringIO()
    argv = ["clean", cache.path, "--db", glance_db_url, "--deleted-images", "--yes"]
    assert main(argv, out=out) == 1
    assert out.getvalue() == (
        "Deleted 1 of 2, freed 1000 Bytes; interrupted, the rest was left alone.\n"
    )
    assert "\r\033[KCleaning… 1 of 2 (50 %)" in terminal.getvalue()
    assert len(cached(cache)) == 1
