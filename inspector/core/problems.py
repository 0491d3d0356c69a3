"""What an audit finds: each disagreement between a cache's metadata and its disk.

Frozen values shared by the drivers (which find what only their kind can
see) and :mod:`inspector.core.audit` (which finds the rest and plans repairs).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from inspector.core.model import Entry, State


class ProblemKind(enum.StrEnum):
    """One kind of disagreement, by the name scripts see (``audit --json``)."""

    ROW_WITHOUT_FILE = "row-without-file"
    FILE_WITHOUT_ROW = "file-without-row"
    SIZE_MISMATCH = "size-mismatch"
    EMPTY_FILE = "empty-file"
    NOT_AN_IMAGE = "not-an-image"
    IN_TWO_STATES = "in-two-states"
    STRAY_SYMLINK = "stray-symlink"


#: Report order of the kinds.
PROBLEM_KINDS: tuple[ProblemKind, ...] = tuple(ProblemKind)


@dataclass(frozen=True, slots=True)
class Problem:
    """One disagreement.

    ``id`` names the entry (or, for a name that is no entry, the name as it
    is in the cache, with its state directory: ``queue/notes.txt``).
    ``entry`` is the scanned entry concerned, when there is one (repairs act
    on it); ``recorded_size`` is what the metadata says for a size mismatch, as
    it is recorded (a damaged row's text or fraction too).
    """

    kind: ProblemKind
    id: str
    detail: str
    state: State | None = None
    entry: Entry | None = None
    recorded_size: object = None
