"""What a Filetracker store's scan shows of each folder of ``files/``, run in this process.

The store is written by the real Filetracker client, then given, by hand,
what an operator or another tool leaves in a store: names with an ``@`` (no
client writes them), links to folders, FIFOs, a lock folder gone or closed
to the user who reads.  ``inspector.cli.main`` runs here (``list --json``:
its records and its warnings) so that mutation testing sees the scan.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.core.cli_inprocess import PROG, cli
from tests.core.nobody import as_nobody
from tests.filetracker_service import FiletrackerStore, hold_lock
from tests.writers.filetracker import require_filetracker

pytestmark = pytest.mark.glance


@pytest.fixture(autouse=True)
def _client() -> None:
    require_filetracker()


def listed(capsys: pytest.CaptureFixture[str], store: FiletrackerStore) -> tuple[list[Any], str]:
    """``list --json`` of the store: (id, locked, note) of each entry, and the warnings."""
    code, out, err = cli(capsys, "list", store.cache_dir, "--json", "--sort", "id")
    assert code == 0, err
    rows = [(r["id"], r["locked"], r["note"]) for r in json.loads(out)["entries"]]
    return rows, err


def test_names_no_client_writes_links_to_folders_and_special_files_are_counted_not_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = FiletrackerStore(tmp_path / "store")
    store.put("/p/a.in", b"a" * 10, version=1_000)
    store.put("/p/b.in", b"b" * 20, version=1_000)
    p = Path(store.files_dir) / "p"
    (tmp_path / "elsewhere").mkdir()
    # Two of each kind in one folder: each is counted, and none ends the folder's listing.
    for name in ("c.in@odd", "d@e.in"):
        (p / name).write_bytes(b"x")
    (p / "x@y").mkdir()
    for name in ("1.in", "2.in", "3.in"):  # a folder with an '@': all its files
        (p / "x@y" / name).write_bytes(b"x")
    (p / "to-elsewhere").symlink_to(tmp_path / "elsewhere")
    (p / "to-x").symlink_to(p / "x@y")
    os.mkfifo(p / "pipe1")
    os.mkfifo(p / "pipe2")
    (p / "link.in").symlink_to(p / "a.in")  # a link to a file is shown, as itself

    rows, err = listed(capsys, store)

    assert rows == [
        ("/p/a.in", False, None),
        ("/p/b.in", False, None),
        ("/p/link.in", False, "symbolic link"),
    ]
    files = store.files_dir
    assert err == (
        f"{PROG}: warning: 2 symbolic links to directories in {files} are not followed and "
        "not shown (the client does not list them either).\n"
        f"{PROG}: warning: 5 files in {files} have an '@' in their path: no Filetracker client "
        "writes such names; they are not shown or changed.\n"
        f"{PROG}: warning: 2 entries in {files} are neither files, directories nor symbolic "
        "links (FIFOs, sockets, devices): not shown.\n"
    )


def test_lock_states_come_from_the_stores_locks_whatever_folder_the_inspector_runs_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FiletrackerStore(tmp_path / "store")
    store.put("/p/a.in", b"a" * 10, version=1_000)
    store.put("/p/b.in", b"b" * 20, version=1_000)
    store.put("/q/c.in", b"c" * 30, version=1_000)
    shutil.rmtree(Path(store.cache_dir) / "locks" / "q")  # no lock file: no client holds it
    # The operator works in a problem's package, which holds a c.in of its own.
    package = tmp_path / "package"
    package.mkdir()
    (package / "c.in").write_bytes(b"c")
    monkeypatch.chdir(package)
    with hold_lock(store.cache_dir, "/p/a.in", "shared"):
        rows, err = listed(capsys, store)
    assert (rows, err) == (
        [("/p/a.in", True, None), ("/p/b.in", False, None), ("/q/c.in", False, None)],
        "",
    )


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder the user nobody may enter (pytest's own temporary folders are root's alone)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to become another user")
    top = Path(tempfile.mkdtemp(prefix="ft-read-dir-"))
    try:
        top.chmod(0o755)
        yield top
    finally:
        shutil.rmtree(top)


def test_names_whose_lock_folder_the_user_may_not_read_are_in_an_unknown_lock_state(
    shared_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = FiletrackerStore(shared_dir / "store")
    store.put("/p/a.in", b"a" * 10, version=1_000)
    store.put("/q/b.in", b"b" * 20, version=1_000)
    for folder, _, _ in os.walk(store.cache_dir):  # the client makes them 0700: shared here
        os.chmod(folder, 0o755)
    locks = Path(store.cache_dir) / "locks"
    (locks / "p").chmod(0o700)  # root's alone
    (locks / "q" / "b.in").chmod(0o644)  # anyone may probe it

    def seen() -> dict[str, Any]:
        rows, err = listed(capsys, store)
        return {"rows": rows, "err": err}

    # Root reads every lock; nobody cannot tell p's from free (its result comes as JSON).
    assert seen() == {"rows": [("/p/a.in", False, None), ("/q/b.in", False, None)], "err": ""}
    assert as_nobody(seen) == {
        "rows": [["/p/a.in", None, None], ["/q/b.in", False, None]],
        "err": "",
    }
