"""A cache of path-like names as a tree of folders, with sizes and counts summed per folder.

A Filetracker store names its files like paths (``/problems/p001/test0008.in``):
the natural view is a tree, each folder with the files below it, their bytes
(as the cleaner counts a store's size), what deleting them all would really
free (hard links counted once, files still linked elsewhere freeing nothing),
and how many a client holds locked now.  :func:`build_tree` is a pure
function of a snapshot's entries, O(n) plus the sorting of folder names; the
window and the CLI draw from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from inspector.core.freeing import FileKey, file_key
from inspector.core.model import Entry, Note


@dataclass(frozen=True, slots=True)
class Folder:
    """One folder of the tree and everything below it.

    ``path`` is ``/`` for the root, else ``/a/b`` (no trailing slash).
    ``count``, ``bytes``, ``freeable`` and ``locked`` cover the whole subtree;
    ``newest``/``oldest`` are the extreme mtimes below (``None`` when empty);
    ``own_count`` and ``own_bytes`` cover only the files directly in it.
    ``folders`` are sorted by name; ``files`` (the entries directly in it)
    keep the order they were given in.
    """

    path: str
    name: str
    count: int
    bytes: int
    freeable: int
    locked: int
    newest: float | None
    oldest: float | None
    folders: tuple[Folder, ...]
    files: tuple[Entry, ...]
    own_count: int = 0
    own_bytes: int = 0

    def walk(self) -> Iterator[Folder]:
        """This folder and every folder below it, depth first, parents first."""
        stack = [self]
        while stack:
            f = stack.pop()
            yield f
            stack.extend(reversed(f.folders))

    def entries(self) -> Iterator[Entry]:
        """Every entry in this folder and below it."""
        for f in self.walk():
            yield from f.files

    def find(self, path: str) -> Folder | None:
        """The folder at ``path`` (``/a/b``) below or at this one, or ``None``."""
        parts = [p for p in path.split("/") if p]
        here = [p for p in self.path.split("/") if p]
        if parts[: len(here)] != here:
            return None
        node: Folder | None = self
        for name in parts[len(here) :]:
            assert node is not None
            node = next((c for c in node.folders if c.name == name), None)
            if node is None:
                return None
        return node


def parent_of(entry_id: str) -> str:
    """The folder holding ``entry_id``: ``/a/b`` for ``/a/b/c``, ``/`` for ``/c``."""
    parent = entry_id.rpartition("/")[0]
    return parent or "/"


class _Acc:
    __slots__ = ("bytes", "count", "files", "freeable", "locked", "newest", "oldest", "subs")

    def __init__(self) -> None:
        self.files: list[Entry] = []
        self.subs: set[str] = set()
        self.count = self.bytes = self.freeable = self.locked = 0
        self.newest: float | None = None
        self.oldest: float | None = None


def build_tree(entries: Iterable[Entry]) -> Folder:
    """The folders of ``entries`` (ids are absolute, slash-separated names), summed.

    ``freeable`` counts a file with one link in every folder above it; a
    file with ``n`` links only in the folders holding all ``n`` of them (the
    common ancestors of its names), once; a file linked from outside the
    cache in none.  Entries whose ids do not start with ``/`` sit in the root.
    """
    accs: dict[str, _Acc] = {"/": _Acc()}
    groups: dict[FileKey, list[Entry]] = {}
    for e in entries:
        parent = parent_of(e.id)
        acc = accs.get(parent)
        if acc is None:
            acc = accs[parent] = _Acc()
        acc.files.append(e)
        key = file_key(e)
        if key is not None:
            groups.setdefault(key, []).append(e)
    # Every folder's parents exist, even those holding folders only.
    for path in list(accs):
        while path != "/":
            up = parent_of(path)
            acc = accs.get(up)
            if acc is None:
                acc = accs[up] = _Acc()
            if path in acc.subs:
                break
            acc.subs.add(path)
            path = up
    extra: dict[str, int] = {}
    for members in groups.values():
        links = members[0].links or 0
        if len(members) >= links:
            where = _common_folder([parent_of(m.id) for m in members])
            extra[where] = extra.get(where, 0) + members[0].size
    return _fold("/", accs, extra)


def _common_folder(folders: Sequence[str]) -> str:
    parts = [f.split("/") for f in folders]
    common: list[str] = []
    for level in zip(*parts, strict=False):
        if any(p != level[0] for p in level):
            break
        common.append(level[0])
    return "/".join(common) or "/"


def _fold(root: str, accs: dict[str, _Acc], extra: dict[str, int]) -> Folder:
    """Folders bottom-up (deepest first), without recursion: trees can be deep."""
    order = sorted(accs, key=lambda p: -p.count("/") if p != "/" else 0)
    built: dict[str, Folder] = {}
    for path in order:
        acc = accs[path]
        count = bytes_ = locked = 0
        freeable = extra.get(path, 0)
        newest = oldest = None
        for e in acc.files:
            if e.note is Note.ROW_WITHOUT_FILE:
                continue
            count += 1
            bytes_ += e.size
            if e.links is None or e.links <= 1:
                freeable += e.size
            if e.locked:
                locked += 1
            m = e.modified_ts
            if m is not None:
                if newest is None or m > newest:
                    newest = m
                if oldest is None or m < oldest:
                    oldest = m
        own_count, own_bytes = count, bytes_
        children = tuple(sorted((built.pop(s) for s in acc.subs), key=lambda f: f.name))
        for c in children:
            count += c.count
            bytes_ += c.bytes
            freeable += c.freeable
            locked += c.locked
            if c.newest is not None and (newest is None or c.newest > newest):
                newest = c.newest
            if c.oldest is not None and (oldest is None or c.oldest < oldest):
                oldest = c.oldest
        name = path.rpartition("/")[2] if path != "/" else "/"
        built[path] = Folder(
            path,
            name,
            count,
            bytes_,
            freeable,
            locked,
            newest,
            oldest,
            children,
            tuple(acc.files),
            own_count,
            own_bytes,
        )
    return built[root]


def largest_folders(root: Folder, n: int) -> list[Folder]:
    """The ``n`` folders whose own files (directly in them) hold the most bytes."""
    holding = [f for f in root.walk() if f.own_count]
    holding.sort(key=lambda f: (-f.own_bytes, f.path))
    return holding[:n]
