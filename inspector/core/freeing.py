"""The bytes a deletion really frees: each file once, a file still linked elsewhere not at all.

A Filetracker client saves with ``os.link``: a stored file is often a hard
link shared with a worker's sandbox, and deleting it from the store frees
nothing while that other link exists.  What a plan or a selection would free
is therefore not the sum of its sizes; :func:`freed_bytes` is the one answer
the CLI and the window give.
"""

from __future__ import annotations

from collections.abc import Iterable

from inspector.core.model import Entry, Note

#: (inode, size, mtime): one file, whatever name it has.  Size and mtime are
#: the same for every link of a file, and keep two stores on two devices
#: (whose inode numbers may collide) apart.
FileKey = tuple[int, int, float | None]


def file_key(e: Entry) -> FileKey | None:
    """The file behind ``e`` when it has other hard links (``None``: one link, or unknown)."""
    if e.inode is None or e.links is None or e.links <= 1:
        return None
    return (e.inode, e.size, e.modified_ts)


def freed_bytes(entries: Iterable[Entry]) -> int:
    """What deleting every one of ``entries`` would free on disk.

    An entry with no file (a metadata row alone) frees nothing.  A file with
    one link frees its size.  A file with ``n`` links frees its size once
    when all ``n`` of them are among ``entries``, else nothing (its data stay
    for the other links).  Entries of kinds that do not count links (Glance's)
    free their size.
    """
    total = 0
    shared: dict[FileKey, list[int]] = {}  # key -> [links seen, links the file has]
    for e in entries:
        if e.note is Note.ROW_WITHOUT_FILE:
            continue
        links = e.links
        if links is None or links <= 1:
            total += e.size
            continue
        key = file_key(e)
        if key is None:
            continue  # other links, and no way to know whether they are all here: nothing
        seen = shared.get(key)
        if seen is None:
            shared[key] = [1, links]
        else:
            seen[0] += 1
    total += sum(key[1] for key, (seen, links) in shared.items() if seen >= links)
    return total


def shared_elsewhere(entries: Iterable[Entry]) -> list[Entry]:
    """The entries whose deletion frees nothing because their file is linked elsewhere."""
    chosen = list(entries)
    counts: dict[FileKey, int] = {}
    for e in chosen:
        key = file_key(e)
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
    out = []
    for e in chosen:
        if e.links is None or e.links <= 1 or e.note is Note.ROW_WITHOUT_FILE:
            continue
        key = file_key(e)
        if key is None or counts[key] < e.links:
            out.append(e)
    return out
