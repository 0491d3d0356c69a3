"""Filetracker's pure rules: names, the tree of folders, bytes really freed.

These need no store: they run in the Qt-free core run too.  The cleaner's rule
is checked against the real ``CacheCleaner`` in ``test_filetracker.py``.
"""

from __future__ import annotations

import pytest

from inspector.core.drivers.filetracker.names import check_name, split_name
from inspector.core.errors import InvalidImageIdError
from inspector.core.freeing import freed_bytes, shared_elsewhere
from inspector.core.model import Entry, State
from inspector.core.tree import build_tree, largest_folders


def entry(
    name: str,
    size: int,
    mtime: float = 1000.0,
    links: int = 1,
    inode: int | None = None,
    locked: bool = False,
) -> Entry:
    return Entry(
        name,
        State.CACHED,
        size,
        modified_ts=mtime,
        version=int(mtime),
        locked=locked,
        links=links,
        inode=inode if links > 1 else None,
    )


@pytest.mark.parametrize(
    "good", ["/a", "/problems/p001/test0008.in", "/a/b@12", "/a b/ü.in", "/.hidden", "/a/..b"]
)
def test_filetracker_names_that_stay_in_the_store(good: str) -> None:
    assert check_name(good) == good


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "a/b",
        "relative",
        "/../x",
        "/a/../../b",
        "/a/..",
        "/a/./b",
        "/a//b",
        "/a/",
        "/",
        "//a",
        "/a\0b",
        "/a@1/b",
        "/a@x",
        "/a@1@2",
        "/a@-1",
        "/a@١",  # a digit, but not an ASCII one
        "/" + "x" * 256,
    ],
)
def test_names_that_could_leave_or_alias_are_refused(bad: str) -> None:
    with pytest.raises(InvalidImageIdError):
        check_name(bad)


def test_versions_split_off_the_last_segment() -> None:
    assert split_name("/a/b@12") == ("/a/b", 12)
    assert split_name("/a/b") == ("/a/b", None)


def test_a_file_linked_elsewhere_frees_nothing() -> None:
    alone = entry("/a/one", 100)
    linked_out = entry("/a/shared", 50, links=2, inode=7)  # its other link is a sandbox
    assert freed_bytes([alone, linked_out]) == 100
    assert shared_elsewhere([alone, linked_out]) == [linked_out]


def test_links_inside_the_selection_count_once() -> None:
    x = entry("/a/x", 70, links=2, inode=9)
    y = entry("/b/y", 70, links=2, inode=9)
    assert freed_bytes([x]) == 0
    assert freed_bytes([x, y]) == 70
    assert shared_elsewhere([x, y]) == []
    # Same inode number, other size and mtime: another file (another device).
    other = entry("/c/z", 70, mtime=5.0, links=2, inode=9)
    assert freed_bytes([x, other]) == 0


def test_links_without_an_inode_are_never_counted_as_freed() -> None:
    unknown = Entry("/a", State.CACHED, 10, links=3)
    assert freed_bytes([unknown]) == 0


def test_tree_sums_per_folder() -> None:
    entries = [
        entry("/problems/p1/a.in", 10, mtime=5.0),
        entry("/problems/p1/b.in", 20, mtime=7.0, locked=True),
        entry("/problems/p2/deep/c.in", 30, mtime=3.0),
        entry("/top.in", 1, mtime=9.0),
    ]
    root = build_tree(entries)
    assert (root.path, root.count, root.bytes, root.freeable, root.locked) == ("/", 4, 61, 61, 1)
    assert (root.newest, root.oldest) == (9.0, 3.0)
    assert [f.name for f in root.folders] == ["problems"]
    assert [e.id for e in root.files] == ["/top.in"]
    problems = root.find("/problems")
    assert problems is not None and (problems.count, problems.bytes) == (3, 60)
    assert [f.path for f in problems.folders] == ["/problems/p1", "/problems/p2"]
    p2 = root.find("/problems/p2")
    assert p2 is not None and p2.files == () and p2.bytes == 30
    deep = root.find("/problems/p2/deep")
    assert deep is not None and [e.id for e in deep.entries()] == ["/problems/p2/deep/c.in"]
    assert root.find("/nope") is None
    assert sorted(e.id for e in root.entries()) == sorted(e.id for e in entries)
    assert [f.path for f in largest_folders(root, 2)] == ["/problems/p1", "/problems/p2/deep"]
    assert [f.path for f in largest_folders(root, 1)] == ["/problems/p1"]  # 30 B each: by path
    assert (root.own_count, root.own_bytes) == (1, 1)


def test_tree_frees_a_linked_file_only_where_all_its_links_are() -> None:
    entries = [
        entry("/p/a/x", 100, links=2, inode=5),
        entry("/p/b/y", 100, links=2, inode=5),
        entry("/p/b/out", 40, links=2, inode=6),  # linked from a sandbox
        entry("/p/b/one", 1),
    ]
    root = build_tree(entries)
    a, b, p = root.find("/p/a"), root.find("/p/b"), root.find("/p")
    assert a is not None and b is not None and p is not None
    assert (a.bytes, a.freeable) == (100, 0)
    assert (b.bytes, b.freeable) == (141, 1)
    assert (p.bytes, p.freeable) == (241, 101)
    assert root.freeable == freed_bytes(entries) == 101


def test_tree_of_nothing() -> None:
    root = build_tree([])
    assert (root.count, root.bytes, root.folders, root.files) == (0, 0, (), ())


def test_what_a_refusal_says_names_the_name_whole_up_to_80_characters() -> None:
    with pytest.raises(InvalidImageIdError, match=r"^A Filetracker name cannot be empty\.$"):
        check_name("")
    with pytest.raises(InvalidImageIdError, match=r"^A Filetracker name cannot be empty\.$"):
        check_name(None)  # type: ignore[arg-type]
    for length, shown in [(80, "r" * 80), (81, "r" * 77 + "...")]:
        with pytest.raises(InvalidImageIdError) as caught:
            check_name("r" * length)
        assert str(caught.value).startswith(f"'{shown}' is not a Filetracker name: names are")


def test_a_name_of_exactly_4096_bytes_is_a_filetracker_name() -> None:
    """Linux's PATH_MAX of the name under files/: 4,096 bytes pass, one more does not."""
    name = ("/" + "s" * 255) * 16  # 4,096 bytes in segments of 255
    assert check_name(name) == name
    with pytest.raises(InvalidImageIdError, match="longer than 4096 bytes"):
        check_name(name + "/s")
