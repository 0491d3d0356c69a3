"""The one-pass listings every file-based driver reads: what they report, and what they count.

``iter_files`` lists one directory (Glance's), ``walk_tree`` a tree (a
Filetracker store); both report a symlink as itself with its target's bytes
when that is a file, pass over what vanishes or cannot be read, and count the
files they list on the scan's progress (in batches of ``PROGRESS_EVERY``).
The directories here are real ones, changed between two steps of a walk the
way a service changes them while the inspector reads.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest

from inspector.core.drivers.base import PROGRESS_EVERY, ProgressTicker
from inspector.core.drivers.fsscan import FileInfo, iter_files, walk_tree
from inspector.core.errors import CacheNotFoundError


def counting() -> tuple[ProgressTicker, list[int]]:
    told: list[int] = []
    return ProgressTicker(told.append), told


def test_a_missing_directory_lists_nothing_unless_it_must_be_there(tmp_path: Path) -> None:
    assert list(iter_files(tmp_path / "queue")) == []
    with pytest.raises(CacheNotFoundError) as caught:
        list(iter_files(tmp_path / "queue", missing_ok=False))
    assert str(caught.value) == f"{tmp_path / 'queue'} does not exist."


def test_a_symlinked_directory_is_listed_through_unless_links_are_refused(
    tmp_path: Path,
) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "image").write_bytes(b"12345")
    (tmp_path / "queue").symlink_to("real")
    assert [f.path for f in iter_files(tmp_path / "queue")] == [str(tmp_path / "queue/image")]
    with pytest.raises(NotADirectoryError):
        list(iter_files(tmp_path / "queue", nofollow=True))


def test_a_looping_link_on_the_way_is_an_error_of_its_own(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to("loop")
    with pytest.raises(OSError) as caught:
        list(iter_files(tmp_path / "loop"))
    assert caught.value.errno == errno.ELOOP
    with pytest.raises(OSError) as caught:
        list(iter_files(tmp_path / ("n" * 300), nofollow=True))
    assert caught.value.errno == errno.ENAMETOOLONG
    assert not isinstance(caught.value, NotADirectoryError)


def test_symlinks_are_reported_as_themselves_with_their_targets_bytes(tmp_path: Path) -> None:
    (tmp_path / "image").write_bytes(b"x" * 1234)
    (tmp_path / "folder").mkdir()
    (tmp_path / "to-image").symlink_to("image")
    (tmp_path / "to-folder").symlink_to("folder")
    (tmp_path / "to-nothing").symlink_to("nowhere")
    # taken before the listing: following a link may move the link's own atime
    before = {name: os.lstat(tmp_path / name) for name in os.listdir(tmp_path)}
    got = {f.name: f for f in iter_files(tmp_path)}
    assert set(got) == {"image", "to-image", "to-folder", "to-nothing"}
    for name, size in [("to-image", 1234), ("to-folder", 0), ("to-nothing", 0)]:
        st = before[name]
        assert got[name] == FileInfo(
            name, str(tmp_path / name), size, st.st_atime, st.st_mtime, True, st.st_atime_ns
        )
        assert type(got[name].size) is int
    st = before["image"]
    assert got["image"] == FileInfo(
        "image", str(tmp_path / "image"), 1234, st.st_atime, st.st_mtime, False, st.st_atime_ns
    )


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A batch of files and one more, and two folders of one file each (made once)."""
    root = tmp_path_factory.mktemp("big")
    for i in range(PROGRESS_EVERY + 1):
        os.close(os.open(root / f"f{i}", os.O_CREAT | os.O_WRONLY, 0o644))
    for sub in ("a", "b"):
        (root / sub).mkdir()
        (root / sub / "x").touch()
    return root


def test_the_listing_counts_every_file_it_lists_on_the_progress(big: Path) -> None:
    ticker, told = counting()
    listed = list(iter_files(big, frozenset({"a", "b"}), ticker=ticker))
    assert len(listed) == PROGRESS_EVERY + 1
    assert (ticker.count, told) == (PROGRESS_EVERY + 1, [PROGRESS_EVERY])


def test_a_full_batch_is_told_once_and_counted_once(tmp_path: Path) -> None:
    for i in range(PROGRESS_EVERY):
        os.close(os.open(tmp_path / f"f{i}", os.O_CREAT | os.O_WRONLY, 0o644))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x").touch()
    ticker, told = counting()
    listed = list(iter_files(tmp_path, frozenset({"sub"}), ticker=ticker))
    assert len(listed) == PROGRESS_EVERY
    assert (ticker.count, told) == (PROGRESS_EVERY, [PROGRESS_EVERY])
    ticker, told = counting()
    assert sum(len(d.files) for d in walk_tree(tmp_path, ticker=ticker)) == PROGRESS_EVERY + 1
    # told when the root's batch is full, not when the next folder's file tips it over
    assert (ticker.count, told) == (PROGRESS_EVERY + 1, [PROGRESS_EVERY])


def test_a_small_listing_is_counted_whole(tmp_path: Path) -> None:
    for name in "abc":
        (tmp_path / name).touch()
    ticker, told = counting()
    assert len(list(iter_files(tmp_path, ticker=ticker))) == 3
    assert (ticker.count, told) == (3, [])


def tree(root: Path) -> dict[str, list[str]]:
    return {d.rel: sorted(name for name, _ in d.files) for d in walk_tree(root)}


def test_a_tree_whose_root_is_a_symlink_is_refused(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a").touch()
    (tmp_path / "link").symlink_to("files")
    assert tree(tmp_path / "files") == {"": ["a"]}
    with pytest.raises(OSError):
        tree(tmp_path / "link")


def _two_subdirs(tmp_path: Path) -> tuple[Path, list[str]]:
    root = tmp_path / "files"
    for sub in ("one", "two"):
        (root / sub).mkdir(parents=True)
        (root / sub / f"{sub}-file").write_bytes(b"data")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "stranger").write_bytes(b"not in the store")
    return root, [e.name for e in os.scandir(root)]  # the walk's listing order


def test_a_directory_removed_during_the_walk_is_skipped_and_the_walk_goes_on(
    tmp_path: Path,
) -> None:
    root, order = _two_subdirs(tmp_path)
    walk = walk_tree(root)
    assert next(walk).rel == ""
    shutil.rmtree(root / order[0])
    assert {d.rel: [n for n, _ in d.files] for d in walk} == {order[1]: [f"{order[1]}-file"]}


@pytest.mark.parametrize("replacement", ["file", "symlink"])
def test_a_directory_replaced_during_the_walk_is_told_and_not_followed(
    tmp_path: Path, replacement: str
) -> None:
    root, order = _two_subdirs(tmp_path)
    warned: list[str] = []
    walk = walk_tree(root, warn=warned.append)
    assert next(walk).rel == ""
    shutil.rmtree(root / order[0])
    if replacement == "file":
        (root / order[0]).write_bytes(b"now a file")
    else:
        (root / order[0]).symlink_to(tmp_path / "elsewhere")
    assert {d.rel: [n for n, _ in d.files] for d in walk} == {order[1]: [f"{order[1]}-file"]}
    assert warned == [
        f"{root / order[0]} cannot be read (Not a directory): its files are not shown."
    ]


def test_without_a_warning_callback_an_unreadable_directory_is_skipped_quietly(
    tmp_path: Path,
) -> None:
    root, order = _two_subdirs(tmp_path)
    walk = walk_tree(root)
    assert next(walk).rel == ""
    shutil.rmtree(root / order[0])
    (root / order[0]).write_bytes(b"now a file")
    assert [d.rel for d in walk] == [order[1]]


def test_the_walk_counts_every_file_and_tells_each_full_batch_as_it_ends(big: Path) -> None:
    ticker, told = counting()
    assert sum(len(d.files) for d in walk_tree(big, ticker=ticker)) == PROGRESS_EVERY + 3
    # the root's batch is told before the folders are read, not with their files
    assert (ticker.count, told) == (PROGRESS_EVERY + 3, [PROGRESS_EVERY + 1])


def test_a_small_walk_is_counted_whole_across_its_directories(tmp_path: Path) -> None:
    for sub in ("a", "b", "a/c"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "x").touch()
        (tmp_path / sub / "y").touch()
    ticker, told = counting()
    assert sum(len(d.files) for d in walk_tree(tmp_path, ticker=ticker)) == 6
    assert (ticker.count, told) == (6, [])
