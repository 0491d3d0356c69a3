"""What an audit of any Glance cache looks at beyond the entries: ids and the directory.

Kept apart from :mod:`layout` (which reads and changes the directory) so that
the checks of every Glance kind, present and future, live in one place.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Collection
from pathlib import Path

from inspector.core.drivers.fsscan import open_dir_noatime
from inspector.core.problems import Problem, ProblemKind

#: Glance's image ids, as its image schema requires them (glance/api/v2/images.py).
IMAGE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def is_image_id(name: str) -> bool:
    """Whether ``name`` is an image id Glance can have made (a UUID, dashed)."""
    return IMAGE_ID.fullmatch(name) is not None


def layout_problems(
    path: Path, state_dirs: Collection[str], is_own: Callable[[str], bool]
) -> list[Problem]:
    """What the scan cannot show as entries: directories Glance does not use or that
    stand where Glance makes a file of its own (a lock), and state directories that are
    symlinks or not directories (nothing in them is read)."""
    found: list[Problem] = []
    try:
        fd = open_dir_noatime(path)
    except OSError:
        return found
    try:
        names = sorted(os.listdir(fd))
    finally:
        os.close(fd)
    for name in names:
        full = path / name
        try:
            st = full.lstat()
        except OSError:
            continue
        if name in state_dirs:
            if stat.S_ISLNK(st.st_mode):
                # (readlink would move the link's atime: the audit changes nothing.)
                found.append(
                    Problem(
                        ProblemKind.STRAY_SYMLINK,
                        f"{name}/",
                        f"Glance's {name}/ is a symbolic link: nothing in it is read or changed",
                    )
                )
            elif not stat.S_ISDIR(st.st_mode):
                found.append(
                    Problem(
                        ProblemKind.NOT_AN_IMAGE,
                        name,
                        f"where Glance keeps its {name}/ directory there is a file",
                    )
                )
        elif stat.S_ISDIR(st.st_mode):
            found.append(
                Problem(
                    ProblemKind.NOT_AN_IMAGE,
                    f"{name}/",
                    # A lock file's name (glance-cache-prune, tasks, ...), the xattr
                    # probe's, the database's: Glance cannot make that file here.
                    f"a directory in place of Glance's own file {name} (a lock, the xattr "
                    "probe or the database), so Glance fails to use it: left alone"
                    if is_own(name)
                    else "a directory Glance does not use (it keeps only incomplete/, "
                    "invalid/ and queue/ here): left alone",
                )
            )
    return found
