"""Which mount holds a path, and with which options: ``/proc/self/mountinfo``.

The xattr driver's LRU clock is the files' atime: on a ``noatime`` mount it
never moves.  Read-only; nothing here changes a mount.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

MOUNTINFO = "/proc/self/mountinfo"

_ESCAPE = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True, slots=True)
class Mount:
    """One line of mountinfo: where, what, and the per-mount and filesystem options."""

    mount_point: str
    fstype: str
    source: str
    options: frozenset[str]
    super_options: frozenset[str]

    @property
    def noatime(self) -> bool:
        return "noatime" in self.options


def _unescape(text: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes (``\\040``)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), text)


def parse_mountinfo(text: str) -> list[Mount]:
    """Every mount in ``text`` (the format of proc(5)), in the order listed.

    Lines that do not have the format are skipped.
    """
    mounts = []
    for line in text.splitlines():
        fields = line.split(" ")
        try:
            sep = fields.index("-", 6)
        except ValueError:
            continue
        if len(fields) < sep + 3:
            continue
        mounts.append(
            Mount(
                mount_point=_unescape(fields[4]),
                fstype=fields[sep + 1],
                source=_unescape(fields[sep + 2]),
                options=frozenset(fields[5].split(",")),
                super_options=frozenset(fields[sep + 3].split(","))
                if len(fields) > sep + 3
                else frozenset(),
            )
        )
    return mounts


def mount_of(path: str | os.PathLike[str], mounts: list[Mount] | None = None) -> Mount | None:
    """The mount that holds ``path`` (symlinks resolved): the longest mount point over it.

    Of several mounts on the same point the last listed is the one in use.
    ``None`` when mountinfo cannot be read (not Linux).
    """
    if mounts is None:
        try:
            with open(MOUNTINFO, encoding="utf-8", errors="surrogateescape") as f:
                mounts = parse_mountinfo(f.read())
        except OSError:
            return None
    real = os.path.realpath(path)
    best: Mount | None = None
    for m in mounts:
        point = m.mount_point
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best.mount_point)):
            best = m
    return best
