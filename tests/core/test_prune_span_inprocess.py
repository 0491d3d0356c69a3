"""One prune over two Filetracker stores, as the cleaner prunes its globs, run in this process.

Both stores are written by the real Filetracker client; the oldest files of
both together go, each deleted through its own store, and each store's part
lands in the journal as a change of its own.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from inspector.cli import main
from tests.core.cli_inprocess import CtrlCTerminal
from tests.filetracker_service import FiletrackerStore

pytestmark = pytest.mark.glance


def test_the_oldest_of_both_stores_go_each_through_its_own(
    stores: tuple[FiletrackerStore, FiletrackerStore],
    journal_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a, b = stores
    args = ["prune", str(a.cache_dir), str(b.cache_dir), "--max-size", "400"]
    out = io.StringIO()
    assert main([*args, "--dry-run"], out=out) == 0
    rows = [line.split()[:2] for line in out.getvalue().splitlines()[1:3]]
    assert rows == [[str(a.cache_dir), "/x/old.in"], [str(b.cache_dir), "/y/mid.in"]]
    out = io.StringIO()
    assert main([*args, "--yes"], out=out) == 0
    assert out.getvalue() == "Deleted 2 of 2, freed 500 Bytes.\n"
    assert capsys.readouterr().err == ""
    assert not Path(a.path("/x/old.in")).exists() and Path(a.path("/x/new.in")).exists()
    assert not Path(b.path("/y/mid.in")).exists() and Path(b.path("/y/late.in")).exists()
    changes = [json.loads(line) for line in journal_file.read_text().splitlines()]
    assert [(c["source"], c["action"], c["done"], c["bytes"]) for c in changes] == [
        (str(a.cache_dir), "prune", 1, 300),
        (str(b.cache_dir), "prune", 1, 200),
    ]
    assert [[(e["id"], e["outcome"]) for e in c["entries"]] for c in changes] == [
        [("/x/old.in", "deleted")],
        [("/y/mid.in", "deleted")],
    ]


def test_ctrl_c_stops_a_prune_of_both_stores_between_entries(
    stores: tuple[FiletrackerStore, FiletrackerStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = stores
    monkeypatch.setattr("sys.stderr", CtrlCTerminal(on="Pruning"))
    out = io.StringIO()
    args = ["prune", str(a.cache_dir), str(b.cache_dir), "--max-size", "400", "--yes", "--json"]
    assert main(args, out=out) == 1
    doc = json.loads(out.getvalue())
    assert (doc["action"], doc["done"], doc["cancelled"]) == ("prune", 1, True)
    assert not Path(a.path("/x/old.in")).exists()  # the oldest of both went first
    assert Path(b.path("/y/mid.in")).exists()  # and the rest was left alone
