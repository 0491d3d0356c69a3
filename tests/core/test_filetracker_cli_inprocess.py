"""``delete`` on a Filetracker store by versioned name, run in this process.

The store is written by the real Filetracker client; a name asked for at a
version the store does not hold is kept, and the warning says which version
it holds.  ``inspector.cli.main`` runs here so that mutation testing sees
``cli/commands/change.py``'s ``find`` and ``where``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.cli_inprocess import PROG, cli
from tests.filetracker_service import FiletrackerStore
from tests.writers.filetracker import require_filetracker

pytestmark = pytest.mark.glance


@pytest.fixture
def store(tmp_path: Path) -> FiletrackerStore:
    require_filetracker()
    s = FiletrackerStore(tmp_path / "store")
    s.put("/p/a.in", b"a" * 100, version=1_000)
    s.put("/p/a.in", b"A" * 120, version=2_000)  # a new version replaces the old
    s.put("/p/b.in", b"b" * 50, version=1_500)
    return s


def test_a_version_the_store_does_not_hold_is_kept_and_named(
    store: FiletrackerStore, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(store.cache_dir)
    code, out, err = cli(capsys, "delete", root, "/p/a.in@1000", "/p/nope", "--yes")
    assert (code, out) == (0, "Nothing to delete.\n")
    assert err == (
        f"{PROG}: warning: /p/a.in@1000: not in the store (it holds /p/a.in@2000, which is "
        "kept)\n"
        f"{PROG}: warning: /p/nope: no such entry (already gone?)\n"
    )
    assert store.get("/p/a.in") == b"A" * 120


def test_the_held_version_is_asked_about_then_deleted(
    store: FiletrackerStore, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(store.cache_dir)
    code, out, err = cli(capsys, "delete", root, "/p/a.in@2000")
    assert (code, out) == (2, "")
    assert err == (
        f"{PROG}: error: Delete 1 entry (120 Bytes) from {root}: /p/a.in: refused without "
        "--yes (standard input is not a terminal).\n"
    )
    code, out, err = cli(capsys, "delete", root, "/p/a.in@2000", "/p/b.in", "--yes")
    assert (code, out, err) == (0, "Deleted 2 of 2, freed 170 Bytes.\n", "")
    assert not Path(store.path("/p/a.in")).exists() and not Path(store.path("/p/b.in")).exists()


def test_a_version_that_is_no_number_is_refused(
    store: FiletrackerStore, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(store.cache_dir)
    code, out, err = cli(capsys, "delete", root, "/p/a.in@later", "--yes")
    assert (code, out) == (1, "")
    assert err == (
        f"{PROG}: error: '/p/a.in@later' is not a Filetracker name: the version after '@' must "
        "be a whole number of seconds.\n"
    )
    assert store.get("/p/a.in") == b"A" * 120


LONG_SEGMENT = "/p/" + "s" * 256
LONG_NAME = "/p" + ("/" + "n" * 255) * 17  # 4,354 bytes, each segment within the limit


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("p/a.in", "names are absolute, like /problems/p001/test0001.in."),
        (
            "/p/../a.in",
            "it has an empty, '.' or '..' segment, so it could name a file outside "
            "the store's files/.",
        ),
        ("/p/x@y/a.in@5", "'@' may only start the version at the end."),
        (LONG_SEGMENT, "a segment is longer than 255 bytes."),
        (LONG_NAME, "it is longer than 4096 bytes."),
        ("/p/" + "s" * 255, None),  # at the limits: no such entry, nothing refused
        ("/p" + ("/" + "n" * 254) * 16, None),
    ],
)
def test_a_name_that_could_leave_the_store_is_refused(
    store: FiletrackerStore, capsys: pytest.CaptureFixture[str], name: str, why: str | None
) -> None:
    code, out, err = cli(capsys, "delete", str(store.cache_dir), name, "--yes")
    shown = repr(name if len(name) <= 80 else name[:77] + "...")
    if why is None:
        assert (code, out) == (0, "Nothing to delete.\n")
        assert err == f"{PROG}: warning: {name}: no such entry (already gone?)\n"
    else:
        assert (code, out) == (1, "")
        assert err == f"{PROG}: error: {shown} is not a Filetracker name: {why}\n"
    assert store.get("/p/a.in") == b"A" * 120
