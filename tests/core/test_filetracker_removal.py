"""Deleting from a Filetracker store whose files changed since they were listed, in process.

The store is written by the real Filetracker client.  Between the listing and the
delete: a file is removed, a directory on a file's path becomes a symbolic link, a
file becomes a directory, a file is written again at a newer version.  Each is left
as it is, and the result and the journal of changes say why; the one file unchanged
is deleted with its emptied directories, as Filetracker's own ``rmdirs`` does.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from inspector.core import CacheSource, actions
from inspector.core.journal import read_journal
from inspector.core.session import read
from tests.filetracker_service import FiletrackerStore, store_layout
from tests.writers.filetracker import require_filetracker

pytestmark = pytest.mark.glance


def test_a_name_whose_lock_cannot_be_made_is_left_alone(
    tmp_path: Path, journal_file: Path
) -> None:
    """The client takes ``locks/<name>`` before it deletes ``files/<name>``: where that
    lock cannot be made (a file where a folder of it should be, at any depth; the lock
    file itself a symbolic link, never followed), or would be the store's own
    ``locks/tree.lock``, nothing is deleted."""
    require_filetracker()
    store = FiletrackerStore(tmp_path / "store")
    store.put("/x/y.in", b"y" * 10, version=1_000)
    store.put("/a/b/c.in", b"c" * 15, version=1_000)
    store.put("/l.in", b"l" * 5, version=1_000)
    store.put("/tree.lock", b"t" * 20, version=1_000)
    store.put("/z.in", b"z" * 30, version=1_000)
    reading = read(CacheSource.at(store.cache_dir))
    for name in ("/x/y.in", "/a/b/c.in"):  # locks/x, locks/a/b: files, not folders
        locks = Path(store.lock_path(name)).parent
        shutil.rmtree(locks)
        locks.write_text("not a directory")
    outside = tmp_path / "outside"
    outside.write_bytes(b"o" * 7)
    os.unlink(store.lock_path("/l.in"))
    os.symlink(outside, store.lock_path("/l.in"))
    result = actions.delete(reading.driver, reading.snapshot.entries)
    assert (result.done, result.bytes_freed) == (1, 30)
    assert sorted((f.id, f.reason) for f in result.failures) == [
        ("/a/b/c.in", "its lock file cannot be made: Not a directory"),
        ("/l.in", "its lock file cannot be made: Too many levels of symbolic links"),
        (
            "/tree.lock",
            "its lock file would be the store's locks/tree.lock: the client cannot delete "
            "it safely either",
        ),
        ("/x/y.in", "its lock file cannot be made: Not a directory"),
    ]
    assert Path(store.path("/x/y.in")).read_bytes() == b"y" * 10
    assert Path(store.path("/a/b/c.in")).read_bytes() == b"c" * 15
    assert Path(store.path("/l.in")).read_bytes() == b"l" * 5
    assert outside.read_bytes() == b"o" * 7 and os.path.islink(store.lock_path("/l.in"))
    assert store.get("/tree.lock") == b"t" * 20
    [change] = read_journal(journal_file).records
    assert sorted((e.id, e.outcome) for e in change.entries) == [
        ("/a/b/c.in", "failed"),
        ("/l.in", "failed"),
        ("/tree.lock", "failed"),
        ("/x/y.in", "failed"),
        ("/z.in", "deleted"),
    ]


def test_a_store_whose_tree_lock_is_no_file_is_not_changed(tmp_path: Path) -> None:
    """Every client takes ``locks/tree.lock`` before it makes or removes a lock file: where
    it is a directory, the job ends at once, saying why, and deletes nothing."""
    require_filetracker()
    store = FiletrackerStore(tmp_path / "store")
    store.put("/x.in", b"x" * 10, version=1_000)
    reading = read(CacheSource.at(store.cache_dir))
    tree_lock = Path(store.cache_dir) / "locks" / "tree.lock"
    tree_lock.unlink()
    tree_lock.mkdir()
    result = actions.delete(reading.driver, reading.snapshot.entries)
    assert (result.done, result.failures) == (0, ())
    assert result.error == (
        f"{store.cache_dir}/locks cannot be used for the client's locks: Is a directory."
    )
    assert store.names() == {"/x.in@1000"}


def test_what_changed_since_the_listing_is_left_alone_and_said(
    tmp_path: Path, journal_file: Path
) -> None:
    require_filetracker()
    store = FiletrackerStore(tmp_path / "store")
    for n, name in enumerate(
        ["/p/a.in", "/q/r/b.in", "/s/c.in", "/t/d.in", "/u/v/e.in", "/w/f.in", "/g/h/i.in"]
    ):
        store.put(name, bytes([65 + n]) * (100 + n), version=1_000 + n)
    reading = read(CacheSource.at(store.cache_dir))
    entries = sorted(reading.snapshot.entries, key=lambda e: e.id)
    assert [e.id for e in entries] == [
        "/g/h/i.in",
        "/p/a.in",
        "/q/r/b.in",
        "/s/c.in",
        "/t/d.in",
        "/u/v/e.in",
        "/w/f.in",
    ]

    files = Path(store.files_dir)
    os.unlink(store.path("/p/a.in"))  # gone
    shutil.rmtree(files / "g")  # gone with its directory
    elsewhere = tmp_path / "elsewhere"
    shutil.move(files / "q", elsewhere)  # q is a link to where the file now is
    os.symlink(elsewhere, files / "q")
    os.unlink(store.path("/s/c.in"))
    os.mkdir(store.path("/s/c.in"))  # a directory where the file was
    store.put("/t/d.in", b"D" * 500, version=2_000)  # written again, newer
    target = tmp_path / "target"
    target.write_bytes(b"T" * 999)
    f_in = store.path("/w/f.in")
    mtime = os.stat(f_in).st_mtime
    os.unlink(f_in)
    os.symlink(target, f_in)  # the file is a link now: the link goes, not what it names
    os.utime(f_in, (mtime, mtime), follow_symlinks=False)

    result = actions.delete(reading.driver, entries)
    assert (result.done, result.gone, result.bytes_freed) == (5, 3, 104)
    assert sorted((f.id, f.reason) for f in result.failures) == [
        ("/q/r/b.in", "q on its path is not a directory (a symbolic link?): not followed"),
        ("/s/c.in", "it is a directory now"),
    ]
    assert (elsewhere / "r" / "b.in").read_bytes() == b"B" * 101  # nothing followed the link
    assert os.path.isdir(store.path("/s/c.in"))
    assert store.get("/t/d.in") == b"D" * 500
    assert not (files / "u").exists()  # e.in and its emptied directories
    assert not (files / "w").exists() and target.read_bytes() == b"T" * 999
    assert sorted(p.name for p in files.iterdir()) == ["p", "q", "s", "t"]  # p: emptied by another
    # The lock files of the names gone or deleted went with their emptied directories, as
    # the client's delete_file leaves them; those of the names left alone stay.
    assert {p for p in store_layout(store.cache_dir) if p.startswith("locks/")} == {
        "locks/",
        "locks/tree.lock",
        "locks/q/",
        "locks/q/r/",
        "locks/q/r/b.in",
        "locks/s/",
        "locks/s/c.in",
        "locks/t/",
        "locks/t/d.in",
    }
    [change] = read_journal(journal_file).records
    assert sorted((e.id, e.outcome, e.reason) for e in change.entries) == [
        ("/g/h/i.in", "gone", None),
        ("/p/a.in", "gone", None),
        (
            "/q/r/b.in",
            "failed",
            "q on its path is not a directory (a symbolic link?): not followed",
        ),
        ("/s/c.in", "failed", "it is a directory now"),
        ("/t/d.in", "gone", "replaced by version 2000, which is kept"),
        ("/u/v/e.in", "deleted", None),
        ("/w/f.in", "deleted", None),
    ]


def _locks_of_nobody(store: FiletrackerStore) -> Path:
    """The store's ``locks/`` made anew, owned by nobody (a service account), empty."""
    locks = Path(store.cache_dir) / "locks"
    shutil.rmtree(locks)
    locks.mkdir()
    os.chown(locks, 65534, 65534)
    return locks


@pytest.mark.skipif(os.geteuid() != 0, reason="only root makes lock files for another user")
def test_lock_files_made_as_root_go_to_the_owner_of_locks(tmp_path: Path) -> None:
    """The client, run by the store's owner, must be able to take them afterwards."""
    require_filetracker()
    store = FiletrackerStore(tmp_path / "store")
    store.put("/deep/er/x.in", b"x" * 10, version=1_000)
    store.put("/deep/er/y.in", b"y" * 10, version=1_000)
    locks = _locks_of_nobody(store)
    reading = read(CacheSource.at(store.cache_dir))
    seen: set[tuple[str, int, int]] = set()
    modes: dict[str, int] = {}

    def look(done: int, total: int) -> bool:
        for p in locks.rglob("*"):
            st = p.lstat()
            seen.add((str(p.relative_to(locks)), st.st_uid, st.st_gid))
            modes[str(p.relative_to(locks))] = stat.S_IMODE(st.st_mode)
        return True

    result = actions.delete(reading.driver, reading.snapshot.entries, look)
    assert result.done == 2 and not Path(store.path("/deep/er/x.in")).exists()
    assert "tree.lock" in {name for name, _, _ in seen}  # held while the job runs
    assert {(uid, gid) for _, uid, gid in seen} == {(65534, 65534)}
    assert modes["tree.lock"] == 0o600  # the client's own lock files are its user's alone


@pytest.mark.skipif(os.geteuid() != 0, reason="only root makes lock files for another user")
def test_a_lock_file_left_after_the_job_is_the_owners_with_the_clients_modes(
    tmp_path: Path,
) -> None:
    """A name left alone keeps the lock file made for it, and the folders made on its way:
    the client's own (``mkdir`` 0700, lock files 0600), owned as ``locks/`` is."""
    require_filetracker()
    store = FiletrackerStore(tmp_path / "store")
    store.put("/deep/er/x.in", b"x" * 10, version=1_000)
    locks = _locks_of_nobody(store)
    reading = read(CacheSource.at(store.cache_dir))
    os.utime(store.path("/deep/er/x.in"), (2_000, 2_000))  # another version since the listing
    result = actions.delete(reading.driver, reading.snapshot.entries)
    assert (result.done, result.gone) == (1, 1)
    found = {}
    for p in sorted(locks.rglob("*")):
        st = p.lstat()
        found[str(p.relative_to(locks))] = (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
    assert found == {
        "deep": (0o700, 65534, 65534),
        "deep/er": (0o700, 65534, 65534),
        "deep/er/x.in": (0o600, 65534, 65534),
        "tree.lock": (0o600, 65534, 65534),
    }
