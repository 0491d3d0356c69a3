"""``prune`` of Filetracker stores from the CLI, run in this process: what it asks and says.

One store or several: the question names what goes and what share is kept,
the answer when nothing is over the limit names the whole, ``--cleaning-level``
moves the share kept, and caches that cannot share a prune are refused with
the reason.  The stores are written by the real Filetracker client, the
Glance caches by Glance's own code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspector.core import CacheSource
from inspector.core.drivers.registry import open_source
from inspector.core.span import plan_prune_span
from tests.core.cli_inprocess import PROG, cli
from tests.filetracker_service import FiletrackerStore, hold_lock
from tests.glance_service import GlanceService
from tests.writers.glance_files import GlanceFileWriter, _factory

pytestmark = pytest.mark.glance

REFUSED = "refused without --yes (standard input is not a terminal)."


def test_the_question_names_the_one_store_and_the_share_kept(
    stores: tuple[FiletrackerStore, FiletrackerStore], capsys: pytest.CaptureFixture[str]
) -> None:
    a, _ = stores
    code, out, err = cli(capsys, "prune", str(a.cache_dir), "--max-size", "200")
    assert (code, out) == (2, "")
    assert err == (
        f"{PROG}: error: Prune 2 entries (400 Bytes) from the store, oldest first (the newest "
        f"kept below 100 Bytes): {REFUSED}\n"
    )
    assert Path(a.path("/x/old.in")).exists()
    argv = [str(a.cache_dir), "--max-size", "200", "--cleaning-level", "0"]
    code, out, err = cli(capsys, "prune", *argv)
    assert (code, out) == (2, "")
    assert err == (
        f"{PROG}: error: Prune 2 entries (400 Bytes) from the store, oldest first (the newest "
        f"kept below 0 Bytes): {REFUSED}\n"
    )


def test_the_question_counts_the_stores_of_a_shared_prune(
    stores: tuple[FiletrackerStore, FiletrackerStore], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = stores
    code, out, err = cli(capsys, "prune", str(a.cache_dir), str(b.cache_dir), "--max-size", "400")
    assert (code, out) == (2, "")
    assert err == (
        f"{PROG}: error: Prune 2 entries (500 Bytes) from 2 stores, oldest first (the newest "
        f"kept below 200 Bytes): {REFUSED}\n"
    )


def test_nothing_over_the_limit_names_the_store_or_the_stores(
    stores: tuple[FiletrackerStore, FiletrackerStore], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = stores
    code, out, err = cli(capsys, "prune", str(a.cache_dir), "--max-size", "1KiB")
    assert (code, out, err) == (
        0,
        "The store holds 400 Bytes, under the limit of 1.0 KiB: nothing to prune.\n",
        "",
    )
    code, out, err = cli(capsys, "prune", str(a.cache_dir), str(b.cache_dir), "--max-size", "1KiB")
    assert (code, out, err) == (
        0,
        "The stores hold 650 Bytes, under the limit of 1.0 KiB: nothing to prune.\n",
        "",
    )


def _dry_ids(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    code, out, err = cli(capsys, "prune", *argv, "--dry-run", "--json")
    assert (code, err) == (0, "")
    return [e["id"] for e in json.loads(out)["entries"]]


def test_the_cleaning_level_moves_the_share_kept_of_one_store_or_several(
    stores: tuple[FiletrackerStore, FiletrackerStore], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = stores
    one = [str(a.cache_dir), "--max-size", "300"]
    # the cleaner's default keeps the newest below half the limit (150 Bytes): /x/new.in
    assert _dry_ids(capsys, *one) == ["/x/old.in"]
    assert _dry_ids(capsys, *one, "--cleaning-level", "10") == ["/x/old.in", "/x/new.in"]
    both = [str(a.cache_dir), str(b.cache_dir), "--max-size", "600"]
    assert _dry_ids(capsys, *both) == ["/x/old.in", "/y/mid.in"]
    assert _dry_ids(capsys, *both, "--cleaning-level", "10") == [
        "/x/old.in",
        "/y/mid.in",
        "/y/late.in",
        "/x/new.in",
    ]


def test_a_dry_run_of_several_stores_names_each_entrys_store(
    stores: tuple[FiletrackerStore, FiletrackerStore], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = stores
    argv = [str(a.cache_dir), str(b.cache_dir), "--max-size", "400", "--dry-run"]
    code, out, err = cli(capsys, "prune", *argv, "--json")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert [(e["store"], e["id"]) for e in doc["entries"]] == [
        (str(a.cache_dir), "/x/old.in"),
        (str(b.cache_dir), "/y/mid.in"),
    ]
    code, out, err = cli(capsys, "prune", str(a.cache_dir), "--max-size", "200", "--dry-run")
    assert (code, err) == (0, "")
    assert out.startswith("ID ") and str(a.cache_dir) not in out  # one store: no column
    code, out, err = cli(
        capsys, "prune", str(a.cache_dir), "--max-size", "200", "--dry-run", "--json"
    )
    entries = json.loads(out)["entries"]
    assert [e["id"] for e in entries] == ["/x/old.in", "/x/new.in"]
    assert not any("store" in e for e in entries)


@pytest.fixture
def glance_cache(tmp_path: Path, request: pytest.FixtureRequest) -> GlanceService:
    writer: GlanceFileWriter = _factory("xattr")(tmp_path, request)
    writer.add(writer.new_id(1), b"g" * 100)
    return writer.service


def test_caches_that_cannot_share_a_prune_are_refused_with_the_reason(
    stores: tuple[FiletrackerStore, FiletrackerStore],
    glance_cache: GlanceService,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a, _ = stores
    glance = str(glance_cache.path)
    code, out, err = cli(capsys, "prune", glance, str(a.cache_dir), "--max-size", "1B")
    assert (code, out) == (2, "")
    assert err == (
        f"{PROG}: error: a prune spans caches of one kind only: name them separately.\n"
    )
    other = GlanceService("xattr", str(tmp_path / "other"))
    code, out, err = cli(capsys, "prune", glance, str(other.path), "--max-size", "1B")
    assert (code, out) == (2, "")
    assert err.startswith(f"{PROG}: error: each Glance") and err.endswith(
        " cache is pruned on its own: name one at a time.\n"
    )
    code, out, err = cli(
        capsys, "prune", glance, "--max-size", "1B", "--cleaning-level", "50", "--dry-run"
    )
    assert (code, out) == (2, "")
    assert err.startswith(f"{PROG}: error: --cleaning-level is Filetracker's; a Glance")
    assert err.endswith(" prune has none.\n")


def test_a_journal_that_cannot_be_written_is_told_once_for_a_prune_of_several_stores(
    stores: tuple[FiletrackerStore, FiletrackerStore],
    journal_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a, b = stores
    journal_file.mkdir(parents=True)  # a folder where the journal's file should be
    argv = [str(a.cache_dir), str(b.cache_dir), "--max-size", "400", "--yes"]
    code, out, err = cli(capsys, "prune", *argv)
    assert (code, out) == (0, "Deleted 2 of 2, freed 500 Bytes.\n")
    assert err == (
        f"{PROG}: warning: the prune was made but not written to the journal: "
        f"{journal_file}: Is a directory\n"
    )
    assert not Path(a.path("/x/old.in")).exists() and not Path(b.path("/y/mid.in")).exists()


def test_the_core_refuses_a_span_it_cannot_plan_with_the_reason(
    stores: tuple[FiletrackerStore, FiletrackerStore],
    glance_cache: GlanceService,
    tmp_path: Path,
) -> None:
    a, _ = stores
    store = open_source(CacheSource.at(a.cache_dir))
    glance = open_source(CacheSource.at(glance_cache.path))
    other = open_source(CacheSource.at(GlanceService("xattr", str(tmp_path / "other")).path))
    with pytest.raises(ValueError, match=r"^Name at least one cache to prune\.$"):
        plan_prune_span([], 1)
    with pytest.raises(ValueError, match=r"^One prune can span caches of one kind only\.$"):
        plan_prune_span([(glance, []), (store, [])], 1)
    with pytest.raises(ValueError) as caught:
        plan_prune_span([(glance, []), (other, [])], 1)
    assert str(caught.value) == (
        f"A {glance.title} cache is pruned on its own: its service prunes each cache "
        "separately. Prune them one at a time."
    )


def test_a_name_in_use_in_a_shared_prune_is_told_with_its_store(
    stores: tuple[FiletrackerStore, FiletrackerStore], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = stores
    with hold_lock(b.cache_dir, "/y/mid.in"):  # a client reads it meanwhile
        code, out, err = cli(
            capsys, "prune", str(a.cache_dir), str(b.cache_dir), "--max-size", "400", "--yes"
        )
    assert (code, out) == (1, "Deleted 1 of 2, freed 300 Bytes.\n")
    assert (
        err
        == f"{PROG}: error: {b.cache_dir}: /y/mid.in (cached): in use by a Filetracker client\n"
    )
    assert not Path(a.path("/x/old.in")).exists() and Path(b.path("/y/mid.in")).exists()
