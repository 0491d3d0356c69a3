"""The CLI's plan and confirm paths, run in this process (``inspector.cli.main``).

What a user sees (the question, the answer taken, the result line, the JSON)
and what lands on disk, on caches the real Glance wrote; the expected plans
come from Glance's own pruner.  ``tests/test_cli.py`` runs the installed
entry point as a process; these run ``main`` itself, so that mutation testing
(``./run mutate``) sees them and a bug in ``change.py`` or ``prompt.py`` fails
a test here.  The only stand-in is the terminal: a stdin/stderr object that
says it is a tty, types an answer, or presses Ctrl+C when progress shows.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inspector.cli import main
from inspector.core.drivers.glance import sqlite as glance_sqlite
from tests.core.test_glance_parity import (
    LRU,
    MS,
    TIED_ROWS,
    A,
    B,
    C,
    D,
    S,
    disk_snapshot,
    fill,
    glance_evicts,
)
from tests.core.test_safety import mount_read_only
from tests.glance_service import GlanceService
from tests.services.glance_db import CentralNode
from tests.test_cli_centralized import Deployment, uid

PROG = "cache-inspector-cli"
X = "e0000000-0000-4000-8000-00000000000e"  # never cached


class Terminal(io.StringIO):
    """Standard input or error of a person at a terminal.

    As stdin it holds what they type; as stderr it records what they see,
    and with ``press_ctrl_c_on`` it sends SIGINT, as Ctrl+C does, once a
    line containing that text is shown.
    """

    def __init__(self, typed: str = "", press_ctrl_c_on: str | None = None) -> None:
        super().__init__(typed)
        self.press_ctrl_c_on = press_ctrl_c_on

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        n = super().write(text)
        if self.press_ctrl_c_on is not None and self.press_ctrl_c_on in text:
            self.press_ctrl_c_on = None
            os.kill(os.getpid(), signal.SIGINT)
        return n


class Run:
    """One run of ``main``: exit code, standard output (results, prompts), stderr."""

    def __init__(self, code: int, out: str, prompt: str, err: str) -> None:
        self.code, self.out, self.prompt, self.err = code, out, prompt, err

    def json(self) -> Any:
        return json.loads(self.out)


Cli = Callable[..., Run]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    def run(*argv: str, typed: str | None = None) -> Run:
        if typed is not None:
            monkeypatch.setattr("sys.stdin", Terminal(typed))
        out = io.StringIO()
        code = main(list(argv), out=out)
        captured = capsys.readouterr()
        return Run(code, out.getvalue(), captured.out, captured.err)

    return run


@pytest.fixture
def lru(glance: GlanceService) -> GlanceService:
    """Four images, 10,000 bytes, last accessed C, A, D, B (not name order)."""
    return fill(glance, LRU)


def cached_ids(glance: GlanceService) -> list[str]:
    return sorted(str(r["image_id"]) for r in glance.cached_images())


# -- prune ----------------------------------------------------------------------


def test_prune_dry_run_shows_glances_plan_and_changes_nothing(
    lru: GlanceService, cli: Cli, tmp_path: Path
) -> None:
    before = disk_snapshot(lru.path)
    text = cli("prune", lru.path, "--max-size", "7000", "--dry-run")
    doc = cli("prune", lru.path, "--max-size", "7000", "--dry-run", "--json")
    assert disk_snapshot(lru.path) == before
    assert (text.code, doc.code) == (0, 0)
    assert glance_evicts(lru.kind, tmp_path / "copy", LRU, 7000) == [C, A]
    assert [e["id"] for e in doc.json()["entries"]] == [C, A]
    assert {k: v for k, v in doc.json().items() if k != "entries"} == {
        "dry_run": True,
        "bytes_freed": 3000,
        "total_before": 10_000,
        "total_after": 7000,
        "target": 7000,
        "bytes_removed": 3000,
        "keep_below": None,
        "locked": [],
        "estimate": False,
        "remark": None,
    }
    lines = text.out.splitlines()
    assert lines[0].split() == ["STATE", "ID", "SIZE", "LAST", "ACCESSED", "LAST", "MODIFIED"]
    assert [line.split()[:3] for line in lines[1:3]] == [
        ["cached", C, "1000"],
        ["cached", A, "2.0"],
    ]
    assert lines[3] == (
        "Would remove 2 entries (2.9 KiB): the cache goes from 9.8 KiB to 6.8 KiB "
        "(target 6.8 KiB)."
    )
    assert text.err == doc.err == text.prompt == ""


def test_prune_with_yes_removes_exactly_glances_plan(
    lru: GlanceService, cli: Cli, tmp_path: Path
) -> None:
    expected = glance_evicts(lru.kind, tmp_path / "copy", LRU, 4000)
    r = cli("prune", lru.path, "--max-size", "4000", "--yes")
    assert r.code == 0, r.err
    assert expected == [C, A, D]
    assert r.out == "Deleted 3 of 3, freed 5.9 KiB.\n"
    assert r.prompt == r.err == ""
    assert cached_ids(lru) == [B]
    assert lru.cache_size() == 4000


def test_prune_json_reports_the_job(lru: GlanceService, cli: Cli) -> None:
    r = cli("prune", lru.path, "--max-size", "9000", "-y", "--json")
    assert r.code == 0, r.err
    assert r.json() == {
        "action": "prune",
        "done": 1,
        "gone": 0,
        "bytes_freed": 1000,
        "queued": [],
        "failures": [],
        "cancelled": False,
        "error": None,
        "not_found": [],
        "by_service": False,
        "remark": None,
    }
    assert cached_ids(lru) == sorted([A, B, D])


@pytest.mark.parametrize("kind", ["sqlite"])
def test_prune_at_the_maximum_has_nothing_to_do(lru: GlanceService, cli: Cli) -> None:
    before = disk_snapshot(lru.path)
    r = cli("prune", lru.path, "--max-size", "10000")
    assert (r.code, r.err) == (0, "")
    assert r.out == "The cache holds 9.8 KiB, not over 9.8 KiB: nothing to prune.\n"
    doc = cli("prune", lru.path, "--max-size", "10000", "--json").json()
    assert (doc["action"], doc["done"], doc["not_found"]) == ("prune", 0, [])
    assert disk_snapshot(lru.path) == before


@pytest.mark.parametrize("kind", ["sqlite"])
def test_prune_without_yes_and_without_a_terminal_is_refused(lru: GlanceService, cli: Cli) -> None:
    before = disk_snapshot(lru.path)
    r = cli("prune", lru.path, "--max-size", "7000")
    assert r.code == 2
    assert r.err == (
        f"{PROG}: error: Prune 2 entries (2.9 KiB), least recently accessed first: "
        "refused without --yes (standard input is not a terminal).\n"
    )
    assert r.out == r.prompt == ""
    assert disk_snapshot(lru.path) == before


@pytest.mark.parametrize("kind", ["sqlite"])
@pytest.mark.parametrize("answer", ["\n", "n\n", "no\n", "yess\n", "ok\n", ""])
def test_anything_but_yes_at_the_prompt_changes_nothing(
    lru: GlanceService, cli: Cli, answer: str
) -> None:
    before = disk_snapshot(lru.path)
    r = cli("prune", lru.path, "--max-size", "7000", typed=answer)
    assert r.code == 1
    assert r.prompt == "Prune 2 entries (2.9 KiB), least recently accessed first? [y/N] "
    assert r.err == "Nothing was changed.\n"
    assert r.out == ""
    assert disk_snapshot(lru.path) == before


@pytest.mark.parametrize("kind", ["sqlite"])
@pytest.mark.parametrize("answer", ["y\n", "Y\n", "yes\n", " YES \n"])
def test_yes_at_the_prompt_runs_the_plan(lru: GlanceService, cli: Cli, answer: str) -> None:
    r = cli("prune", lru.path, "--max-size", "7000", typed=answer)
    assert r.code == 0, r.err
    assert r.prompt.endswith("least recently accessed first? [y/N] ")
    assert r.out == "Deleted 2 of 2, freed 2.9 KiB.\n"
    assert cached_ids(lru) == sorted([B, D])


@pytest.mark.parametrize("kind", ["sqlite"])
def test_ctrl_c_at_the_prompt_changes_nothing(
    lru: GlanceService, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    class CtrlC(Terminal):
        def readline(self, size: int | None = -1) -> str:
            raise KeyboardInterrupt

    monkeypatch.setattr("sys.stdin", CtrlC())
    before = disk_snapshot(lru.path)
    r = cli("prune", lru.path, "--max-size", "0")
    assert (r.code, r.err) == (1, "Nothing was changed.\n")
    assert disk_snapshot(lru.path) == before


@pytest.mark.parametrize("kind", ["sqlite"])
def test_the_question_reaches_stderr_when_stdout_cannot_take_it(
    lru: GlanceService, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``>/dev/full``: the question is still asked, on stderr, and the answer taken."""

    class Full(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

    err = io.StringIO()
    monkeypatch.setattr("sys.stdout", Full())
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    out = io.StringIO()
    assert main(["prune", lru.path, "--max-size", "7000"], out=out) == 0
    assert err.getvalue().startswith("Prune 2 entries (2.9 KiB), least recently accessed first?")
    assert out.getvalue() == "Deleted 2 of 2, freed 2.9 KiB.\n"
    assert cached_ids(lru) == sorted([B, D])


@pytest.mark.parametrize("kind", ["sqlite"])
def test_the_question_reaches_stderr_when_stdout_is_closed(
    lru: GlanceService, monkeypatch: pytest.MonkeyPatch
) -> None:
    err = io.StringIO()
    monkeypatch.setattr("sys.stdout", None)
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    assert main(["prune", lru.path, "--max-size", "7000"], out=io.StringIO()) == 1
    assert err.getvalue() == (
        "Prune 2 entries (2.9 KiB), least recently accessed first? [y/N] Nothing was changed.\n"
    )
    assert len(cached_ids(lru)) == 4


@pytest.mark.parametrize("kind", ["sqlite"])
def test_ctrl_c_during_a_prune_stops_between_entries(
    lru: GlanceService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl+C when the first progress line shows: that entry is done, nothing after it."""
    before_handler = signal.getsignal(signal.SIGINT)
    terminal = Terminal(press_ctrl_c_on="Pruning")
    monkeypatch.setattr("sys.stderr", terminal)
    out = io.StringIO()
    code = main(["prune", lru.path, "--max-size", "0", "--yes"], out=out)
    assert code == 1
    assert (
        out.getvalue()
        == "Deleted 1 of 4, freed 1000 Bytes; interrupted, the rest was left alone.\n"
    )
    assert "Pruning… 1 of 4 (25 %)" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r\033[K")  # the progress line is erased
    assert cached_ids(lru) == sorted([A, B, D])  # C, the least recently accessed, went
    assert lru.cache_size() == 9000
    assert signal.getsignal(signal.SIGINT) is before_handler


@pytest.mark.parametrize("kind", ["sqlite"])
def test_ctrl_c_while_reading_changes_nothing(
    lru: GlanceService, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = Terminal(press_ctrl_c_on="Reading")
    monkeypatch.setattr("sys.stderr", terminal)
    before = disk_snapshot(lru.path)
    code = main(["prune", lru.path, "--max-size", "0", "--yes"], out=io.StringIO())
    assert code == 2
    assert terminal.getvalue().endswith(
        f"{PROG}: error: interrupted while reading the cache: nothing was changed.\n"
    )
    assert "Reading… 4 entries" in terminal.getvalue()
    assert disk_snapshot(lru.path) == before


# -- delete, queue, requeue, clean ------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite"])
def test_delete_names_what_it_asks_about_and_warns_of_missing_ids(
    lru: GlanceService, cli: Cli
) -> None:
    r = cli("delete", lru.path, A, X, typed="y\n")
    assert r.code == 0, r.err
    assert r.prompt == f"Delete 1 entry (2.0 KiB) from {lru.path}: {A}? [y/N] "
    assert r.err == f"{PROG}: warning: {X}: no such entry (already gone?)\n"
    assert r.out == "Deleted 1 of 1, freed 2.0 KiB.\n"
    assert cached_ids(lru) == sorted([B, C, D])
    r = cli("delete", lru.path, A, X, "--yes", "--json")
    assert r.code == 0
    assert (r.json()["done"], r.json()["not_found"]) == (0, [A, X])
    assert r.err.count("no such entry (already gone?)") == 2


@pytest.mark.parametrize("kind", ["sqlite"])
def test_delete_many_names_the_first_five(lru: GlanceService, cli: Cli) -> None:
    extra = [f"f{n}000000-0000-4000-8000-00000000000f" for n in range(3)]
    for image_id in extra:
        lru.cache(image_id, b"x")
    ids = [C, A, D, B, *extra]
    r = cli("delete", lru.path, *ids, typed="n\n")
    assert r.prompt == (
        f"Delete 7 entries (9.8 KiB) from {lru.path}: {', '.join(ids[:5])} and 2 more? [y/N] "
    )
    assert len(cached_ids(lru)) == 7


@pytest.mark.parametrize("kind", ["sqlite"])
def test_delete_all_of_one_state(lru: GlanceService, cli: Cli) -> None:
    assert lru.queue(X)
    lru.fail("f0000000-0000-4000-8000-00000000000f", b"x" * 10, "checksum mismatch")
    r = cli("delete", lru.path, "--all", "--state", "queued", "--yes")
    assert r.code == 0, r.err
    assert r.out == "Deleted 1 of 1.\n"
    assert lru.queued() == []
    assert len(cached_ids(lru)) == 4
    assert os.listdir(Path(lru.path, "invalid")) == ["f0000000-0000-4000-8000-00000000000f"]


@pytest.mark.parametrize("kind", ["sqlite"])
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--all"], "--all needs --state (which state to empty)."),
        ([], "name the ids to delete, or --all --state STATE."),
        (["../etc"], "'../etc' is not a valid image id"),
    ],
)
def test_delete_usage_errors(lru: GlanceService, cli: Cli, argv: list[str], message: str) -> None:
    before = disk_snapshot(lru.path)
    r = cli("delete", lru.path, *argv, "--yes")
    assert r.code == (1 if "valid image id" in message else 2)
    assert r.err.startswith(f"{PROG}: error: {message}")
    assert r.out == ""
    assert disk_snapshot(lru.path) == before


@pytest.mark.parametrize("kind", ["sqlite"])
def test_nothing_to_delete(lru: GlanceService, cli: Cli) -> None:
    r = cli("delete", lru.path, X)
    assert (r.code, r.out, r.prompt) == (0, "Nothing to delete.\n", "")
    doc = cli("delete", lru.path, X, "--json").json()
    assert (doc["action"], doc["done"], doc["not_found"]) == ("delete", 0, [X])


@pytest.mark.parametrize("kind", ["sqlite"])
def test_queue_asks_nothing_and_reports_refusals(lru: GlanceService, cli: Cli) -> None:
    r = cli("queue", lru.path, X, A)
    assert r.code == 1
    assert r.prompt == ""
    assert r.out == "Queued 1 of 2.\n"
    assert r.err == f"{PROG}: error: {A}: is already cached.\n"
    assert lru.queued() == [X]
    doc = cli("queue", lru.path, X, "--json").json()
    assert doc["queued"] == [] and doc["failures"][0]["reason"] == f"{X} is already queued."


@pytest.mark.parametrize("kind", ["sqlite"])
def test_requeue_asks_then_evicts_and_queues(lru: GlanceService, cli: Cli) -> None:
    r = cli("requeue", lru.path, D, typed="y\n")
    assert r.code == 0, r.err
    assert r.prompt == f"Remove and requeue 1 entry (2.9 KiB): {D}? [y/N] "
    assert r.out == "Requeued 1 of 1, freed 2.9 KiB.\n"
    assert lru.queued() == [D]
    assert D not in cached_ids(lru)
    r = cli("requeue", lru.path, X, "--state", "cached", "--yes")
    assert (r.code, r.out) == (0, "Nothing to requeue.\n")


def _stalled_and_fresh(glance: GlanceService) -> tuple[str, str, str]:
    bad, stalled, fresh = (f"f{n}000000-0000-4000-8000-00000000000f" for n in range(3))
    glance.fail(bad, b"b" * 10, "checksum mismatch")
    glance.start(stalled, b"s" * 20)
    glance.start(fresh, b"f" * 30)
    two_days = 2 * 86400 * 10**9
    path = Path(glance.path, "incomplete", stalled)
    mtime = path.stat().st_mtime_ns - two_days
    os.utime(path, ns=(mtime, mtime))
    return bad, stalled, fresh


@pytest.mark.parametrize("kind", ["sqlite"])
def test_clean_takes_glances_stall_time_by_default(lru: GlanceService, cli: Cli) -> None:
    bad, stalled, fresh = _stalled_and_fresh(lru)
    dry = cli("clean", lru.path, "--dry-run", "--json").json()
    assert [e["id"] for e in dry["entries"]] == [bad, stalled]
    assert (dry["bytes_freed"], dry["target"]) == (30, None)
    r = cli("clean", lru.path, typed="y\n")
    assert r.code == 0, r.err
    assert r.prompt == "Clean 2 entries (30 Bytes) (invalid and stalled)? [y/N] "
    assert r.out == "Deleted 2 of 2, freed 30 Bytes.\n"
    assert os.listdir(Path(lru.path, "incomplete")) == [fresh]
    assert os.listdir(Path(lru.path, "invalid")) == []
    again = cli("clean", lru.path, "--yes")
    assert again.out == "No invalid entries and no stalled downloads: nothing to clean.\n"


@pytest.mark.parametrize("kind", ["sqlite"])
def test_clean_with_a_stall_time_of_an_hour(lru: GlanceService, cli: Cli) -> None:
    _, _, fresh = _stalled_and_fresh(lru)
    text = cli("clean", lru.path, "--stall-time", "0", "--dry-run")
    assert text.out.splitlines()[-1] == "Would remove 3 entries (60 Bytes)."
    before = disk_snapshot(lru.path)
    assert cli("clean", lru.path, "--stall-time", "0").code == 2  # no terminal, no --yes
    assert disk_snapshot(lru.path) == before
    r = cli("clean", lru.path, "--stall-time", "1h", "--yes", "--json")
    assert r.json()["done"] == 2
    assert os.listdir(Path(lru.path, "incomplete")) == [fresh]


# -- failures and errors ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite"])
def test_a_failed_entry_is_named_and_exits_1(lru: GlanceService, cli: Cli, tmp_path: Path) -> None:
    """A state directory swapped for a symlink after the scan: the entry fails, named."""
    lru.fail(X, b"x" * 10, "checksum mismatch")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / X).write_bytes(b"keep")
    invalid = Path(lru.path, "invalid")
    os.rename(invalid, tmp_path / "old-invalid")
    os.symlink(elsewhere, invalid)
    r = cli("delete", lru.path, X, A, "--yes")
    assert r.code == 0  # the symlinked directory is not listed: X is no entry
    assert r.err.startswith(f"{PROG}: warning: {invalid} is a symbolic link")
    assert (elsewhere / X).read_bytes() == b"keep"
    os.unlink(invalid)
    os.rename(tmp_path / "old-invalid", invalid)
    # Now the entry is listed, and its directory cannot be written.
    if os.geteuid() == 0:
        for _ in mount_read_only(invalid):
            r = cli("delete", lru.path, X, "--yes")
        reason = "Read-only file system"
    else:
        os.chmod(invalid, 0o555)
        try:
            r = cli("delete", lru.path, X, "--yes")
        finally:
            os.chmod(invalid, 0o755)
        reason = "Permission denied"
    assert r.code == 1
    assert r.err == f"{PROG}: error: {X} (invalid): {reason}\n"
    assert r.out == "Deleted 0 of 1.\n"
    assert Path(invalid, X).stat().st_size == 10


@pytest.mark.parametrize("kind", ["sqlite"])
def test_a_database_glance_keeps_locked_stops_the_job_with_a_message(
    lru: GlanceService, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(glance_sqlite, "BUSY_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(lru.driver.db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a writer: readers go on, other writers wait
    try:
        r = cli("prune", lru.path, "--max-size", "0", "--yes")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.code == 1
    assert r.err == (
        f"{PROG}: error: the prune stopped: {lru.driver.db_path} stayed locked by another "
        "process for 0.2 s (Glance writing?). Try again in a moment.\n"
    )
    assert r.out == "Deleted 0 of 4; then stopped, the rest was left alone.\n"
    assert len(cached_ids(lru)) == 4


# -- ties, decided by Glance ---------------------------------------------------------

#: xattr: one whole second, sizes against names; sqlite: equal times, rows out of id order.
TIES = {
    "xattr": ([(A, 3000, S + 100 * MS), (B, 2000, S + 500 * MS), (C, 1000, S + 900 * MS)], 3000),
    "sqlite": (TIED_ROWS, 13_000),
}


def test_ties_in_the_dry_run_are_glances(glance: GlanceService, cli: Cli, tmp_path: Path) -> None:
    """A second guard of the tie-breakers, through the CLI: the plan is Glance's own."""
    images, max_size = TIES[glance.kind]
    fill(glance, images)
    expected = glance_evicts(glance.kind, tmp_path / "copy", images, max_size)
    assert len(expected) == {"xattr": 2, "sqlite": 3}[glance.kind]
    doc = cli("prune", glance.path, "--max-size", str(max_size), "--dry-run", "--json").json()
    assert [e["id"] for e in doc["entries"]] == expected


@pytest.mark.parametrize("kind", ["sqlite"])
def test_prune_waits_for_glance_to_finish_writing(lru: GlanceService, cli: Cli) -> None:
    """A second guard of the busy timeout: Glance holds the write lock for half a second
    (as a burst of its own writes can); the prune waits for it, then runs in full."""
    holding, release = threading.Event(), threading.Event()

    def glance_writing() -> None:
        conn = sqlite3.connect(lru.driver.db_path, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE cached_images SET hits = hits + 1 WHERE image_id = ?", (B,))
            holding.set()
            release.wait(0.5)
            conn.execute("COMMIT")
        finally:
            conn.close()

    writer = threading.Thread(target=glance_writing)
    writer.start()
    try:
        assert holding.wait(10)
        r = cli("prune", lru.path, "--max-size", "7000", "--yes")
    finally:
        release.set()
        writer.join(10)
    assert (r.code, r.err) == (0, "")
    assert r.out == "Deleted 2 of 2, freed 2.9 KiB.\n"
    assert cached_ids(lru) == sorted([B, D])
    assert lru.hit_count(B) == 1  # Glance's write was kept


# -- what else the user sees --------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "phrases"),
    [
        (
            "delete",
            [
                "[ID ...]",
                "ID ids to delete (with --glance-config, every positional is an id) options:",
                "--state {cached,queued,incomplete,invalid}",
                "only entries in this state",
                "every entry of --state",
                "do not ask for confirmation",
                "print the result as one JSON object",
            ],
        ),
        (
            "queue",
            [
                "ID [ID ...]",
                "ID image ids to queue (with --glance-config, every positional is an id) options:",
            ],
        ),
        (
            "requeue",
            [
                "ID [ID ...]",
                "ID image ids to requeue (with --glance-config, every positional is an id) "
                "options:",
                "only entries in this state",
            ],
        ),
        (
            "prune",
            [
                "--max-size SIZE e.g. 10GiB, 500M (needed for a directory, Filetracker: the "
                "cleaner's -s limit; with --api only for the preview: the node prunes to its "
                "own image_cache_max_size, Glance's 10GiB unless set)",
                "--cleaning-level PERCENT Filetracker: the newest files kept below this share "
                "of the limit (the cleaner's -p; default 50)",
                "only show what would be evicted",
            ],
        ),
        (
            "clean",
            [
                "--stall-time DURATION",
                "incomplete downloads older than this are stalled (default: the service's, 24h)",
                "only show what would be removed",
                "instead: the cached images whose image was deleted in Glance (needs Glance's "
                "database: --db URL or",
            ],
        ),
    ],
)
def test_each_command_explains_itself(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    phrases: list[str],
) -> None:
    monkeypatch.setenv("COLUMNS", "80")  # argparse wraps the help to the terminal's width
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for phrase in phrases:
        assert phrase in text, phrase
    with pytest.raises(SystemExit):
        main(["--help"])
    overview = " ".join(capsys.readouterr().out.split())
    for line in [
        "delete delete entries (file and metadata together)",
        "queue queue image ids for the prefetcher (Glance's rules)",
        "requeue remove entries and queue their ids again",
        (
            "prune evict by the service's rule: Glance's least recently accessed first, "
            "or Filetracker's cache cleaner over one or more stores"
        ),
        "clean delete invalid entries and stalled downloads",
    ]:
        assert line in overview, line


@pytest.mark.parametrize("kind", ["sqlite"])
def test_ids_not_found_are_reported_beside_the_job(lru: GlanceService, cli: Cli) -> None:
    r = cli("delete", lru.path, B, X, "--yes", "--json")
    assert r.code == 0, r.err
    assert (r.json()["done"], r.json()["not_found"]) == (1, [X])
    r = cli("delete", lru.path, A, "--state", "queued", "--yes")
    assert r.err == f"{PROG}: warning: {A}: no such entry (already gone?)\n"
    assert r.out == "Nothing to delete.\n"
    r = cli("requeue", lru.path, A, "--state", "invalid", "--yes")
    assert (r.code, r.out) == (0, "Nothing to requeue.\n")
    assert A in cached_ids(lru) and lru.queued() == []


@pytest.mark.parametrize("kind", ["sqlite"])
def test_glance_own_names_are_refused_as_ids(lru: GlanceService, cli: Cli) -> None:
    for command in ("delete", "requeue"):
        r = cli(command, lru.path, "cache.db", "--yes")
        assert r.code == 1
        assert "is not an image id: it is the name of one of Glance's own files" in r.err
    assert Path(lru.path, "cache.db").is_file()


@pytest.mark.parametrize("kind", ["sqlite"])
def test_the_refusal_quotes_the_question_whole(lru: GlanceService, cli: Cli) -> None:
    upper = "ABCDEF00-0000-4000-8000-00000000000X"
    lru.cache(upper, b"u")
    r = cli("delete", lru.path, upper)
    assert r.err == (
        f"{PROG}: error: Delete 1 entry (1 Byte) from {lru.path}: {upper}: "
        "refused without --yes (standard input is not a terminal).\n"
    )


@pytest.mark.parametrize("kind", ["sqlite"])
def test_when_the_output_cannot_be_written_the_job_is_told(
    lru: GlanceService, capsys: pytest.CaptureFixture[str]
) -> None:
    class Full(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

    assert main(["prune", lru.path, "--max-size", "7000", "--yes"], out=Full()) == 1
    assert capsys.readouterr().err == (
        f"{PROG}: error: cannot write the output: No space left on device. "
        "The prune itself ran: Deleted 2 of 2, freed 2.9 KiB.\n"
    )
    assert cached_ids(lru) == sorted([B, D])


@pytest.mark.parametrize("kind", ["sqlite"])
@pytest.mark.parametrize(
    "argv",
    [
        ["prune", "--max-size", "0", "--dry-run"],
        ["clean", "--dry-run"],
        ["queue", X],
        ["requeue", A, "--yes"],
        ["delete", A, "--yes"],
    ],
)
def test_every_command_tells_the_scans_warnings(
    lru: GlanceService, cli: Cli, tmp_path: Path, argv: list[str]
) -> None:
    invalid = Path(lru.path, "invalid")
    invalid.rmdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", invalid)
    r = cli(argv[0], lru.path, *argv[1:])
    assert r.code == 0, r.err
    assert r.err.startswith(f"{PROG}: warning: {invalid} is a symbolic link (to ")


def _two_of_each(glance: GlanceService) -> None:
    for image_id in (X, "f0000000-0000-4000-8000-00000000000f"):
        glance.fail(image_id, b"x" * 10, "checksum mismatch")


@pytest.mark.parametrize("kind", ["sqlite"])
@pytest.mark.parametrize(
    ("argv", "verb", "left"),
    [
        (["delete", C, A, "--yes"], "Deleting", "Deleted 1 of 2"),
        (["requeue", C, A, "--yes"], "Requeueing", "Requeued 1 of 2"),
        (["queue", X, "f0000000-0000-4000-8000-00000000000f"], "Queueing", "Queued 1 of 2"),
        (["clean", "--stall-time", "0", "--yes"], "Cleaning", "Deleted 1 of 2"),
    ],
)
def test_ctrl_c_stops_every_job_between_entries(
    glance: GlanceService,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    verb: str,
    left: str,
) -> None:
    fill(glance, LRU)
    if argv[0] == "clean":
        _two_of_each(glance)
    terminal = Terminal(press_ctrl_c_on=verb)
    monkeypatch.setattr("sys.stderr", terminal)
    out = io.StringIO()
    assert main([argv[0], glance.path, *argv[1:]], out=out) == 1
    assert out.getvalue().startswith(left)
    assert "; interrupted, the rest was left alone.\n" in out.getvalue()
    assert f"\r\033[K{verb}… 1 of 2 (50 %)" in terminal.getvalue()


@pytest.mark.parametrize("kind", ["sqlite"])
def test_progress_is_drawn_on_a_terminal_and_erased(
    lru: GlanceService, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    out = io.StringIO()
    assert main(["prune", lru.path, "--max-size", "0", "--yes"], out=out) == 0
    assert out.getvalue() == "Deleted 4 of 4, freed 9.8 KiB.\n"
    shown = terminal.getvalue()
    assert shown.startswith("\r\033[KReading… 4 entries\r\033[K\r\033[KPruning… 1 of 4 (25 %)")
    assert shown.endswith("\r\033[K")
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["delete", lru.path, "--all", "--state", "cached", "--yes"], out=out) == 0
    assert "\r\033[KDeleting… 0 of 0" not in terminal.getvalue()
    assert main(["queue", lru.path, X], out=out) == 0
    assert "\r\033[KQueueing… 1 of 1 (100 %)\r\033[K" in terminal.getvalue()


@pytest.mark.parametrize("kind", ["sqlite"])
def test_verify_draws_its_progress_on_a_terminal(
    lru: GlanceService, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sums = tmp_path / "SHA256SUMS"
    sums.write_text("".join(f"{hashlib.sha256(bytes(n)).hexdigest()}  {i}\n" for i, n, _ in LRU))
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    out = io.StringIO()
    assert main(["verify", lru.path, "--checksums", str(sums)], out=out) == 0
    assert "\r\033[KVerifying… 2.0 KiB of 9.8 KiB (0/4 files), " in terminal.getvalue()
    assert terminal.getvalue().endswith("\r\033[K")


@pytest.mark.parametrize("kind", ["sqlite"])
def test_prune_without_a_size_says_what_is_missing(lru: GlanceService, cli: Cli) -> None:
    before = disk_snapshot(lru.path)
    r = cli("prune", lru.path)
    assert r.code == 2
    assert (
        r.err
        == f"{PROG}: error: --max-size SIZE is needed: the size to prune the cache down to.\n"
    )
    assert disk_snapshot(lru.path) == before


@pytest.mark.parametrize("kind", ["sqlite"])
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["delete", A, "--state", "bogus"], "argument --state: invalid choice: 'bogus'"),
        (["requeue", A, "--state", "bogus"], "argument --state: invalid choice: 'bogus'"),
        (["queue", X, "--yes"], "unrecognized arguments: --yes"),  # queueing asks nothing
    ],
)
def test_arguments_the_commands_refuse(
    lru: GlanceService, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    before = disk_snapshot(lru.path)
    with pytest.raises(SystemExit) as info:
        main([argv[0], lru.path, *argv[1:]])
    assert info.value.code == 2
    assert message in capsys.readouterr().err
    assert disk_snapshot(lru.path) == before


@pytest.fixture
def dep(
    glance_db_url: str, central_nodes: Callable[..., CentralNode], tmp_path: Path
) -> Deployment:
    """Two centralized_db nodes on one Glance database (``tests/test_cli_centralized.py``)."""
    return Deployment(glance_db_url, central_nodes, tmp_path)


def test_a_centralized_nodes_question_names_its_directory(dep: Deployment, cli: Cli) -> None:
    """Opened by --db and --node, or by its glance-api.conf: the directory, not the database."""
    question = f"Delete 1 entry (1000 Bytes) from {dep.one.path}: {uid(1)}? [y/N] "
    assert cli("delete", *dep.by_db(uid(1)), typed="n\n").prompt == question
    assert cli("delete", *dep.by_config(), uid(1), typed="n\n").prompt == question
    assert uid(1) in {r["image_id"] for r in dep.one.cached_images()}
