"""Audit: every disagreement between a cache's metadata and its disk, by kind.

:func:`audit` reads nothing the scan has not read (besides an ``lstat`` or a
``getxattr`` here and there) and changes nothing.  The kinds every cache can
have are found here from the snapshot's entries; what only a kind can see (a
recorded size, a missing attribute, a mount without atimes) its driver
supplies (:meth:`CacheDriver.metadata_problems`,
:meth:`CacheDriver.health_warnings`).  Repairs are planned and carried out by
:mod:`inspector.core.repair`.
"""

from __future__ import annotations

import os
import stat
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from inspector.core.drivers.base import CacheDriver
from inspector.core.errors import CacheError
from inspector.core.model import Entry, Note, Snapshot, State
from inspector.core.problems import PROBLEM_KINDS, Problem, ProblemKind
from inspector.core.session import Reading
from inspector.core.sorting import is_stalled
from inspector.core.units import describe_duration

#: A file younger than this without a row is not reported: Glance's sqlite and
#: centralized_db drivers move a download into place first and record its row
#: a moment later.
SETTLE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class AuditReport:
    """What an audit found: problems (each a disagreement) and warnings (the whole cache)."""

    source: str
    kind: str
    problems: tuple[Problem, ...]
    warnings: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not self.problems

    def of_kind(self, kind: ProblemKind) -> list[Problem]:
        return [p for p in self.problems if p.kind is kind]

    def counts(self) -> dict[ProblemKind, int]:
        found: dict[ProblemKind, int] = defaultdict(int)
        for p in self.problems:
            found[p.kind] += 1
        return {k: found[k] for k in PROBLEM_KINDS if found[k]}


def audit(
    reading: Reading, now: float | None = None, settle: float = SETTLE_SECONDS
) -> AuditReport:
    """Audit what ``reading`` read (the window's Problems view and ``audit`` call this)."""
    return audit_snapshot(
        reading.driver, reading.snapshot, reading.limits.stall_time, now=now, settle=settle
    )


def audit_snapshot(
    driver: CacheDriver,
    snapshot: Snapshot,
    stall_time: float | None,
    now: float | None = None,
    settle: float = SETTLE_SECONDS,
) -> AuditReport:
    now = time.time() if now is None else now
    problems: list[Problem] = []
    recent = 0
    for e in snapshot.entries:
        problems.extend(_entry_problems(driver, e))
    problems.extend(_in_two_states(snapshot.entries))
    problems.extend(driver.metadata_problems(snapshot))
    kept: list[Problem] = []
    seen: set[tuple[ProblemKind, str, State | None]] = set()
    for p in problems:
        key = (p.kind, p.id, p.state)
        if key in seen:
            continue
        seen.add(key)
        if p.kind is ProblemKind.FILE_WITHOUT_ROW and _is_recent(p.entry, now, settle):
            recent += 1
            continue
        kept.append(p)
    kept.sort(key=lambda p: (PROBLEM_KINDS.index(p.kind), p.id, str(p.state or "")))
    warnings = list(driver.health_warnings())
    warnings.extend(_stall_warning(snapshot.entries, stall_time, now))
    if recent:
        warnings.append(
            f"{recent:,} file(s) written in the last {describe_duration(settle)} have no "
            "metadata yet: the service moves a download into place and records it a moment "
            "later. They are not counted as problems; audit again in a minute."
        )
    return AuditReport(driver.source.display_name(), driver.name, tuple(kept), tuple(warnings))


def _is_recent(entry: Entry | None, now: float, settle: float) -> bool:
    return entry is not None and entry.modified_ts is not None and entry.modified_ts > now - settle


def _where(e: Entry) -> str:
    return "cached file" if e.state is State.CACHED else f"{e.state} file"


def _entry_problems(driver: CacheDriver, e: Entry) -> list[Problem]:
    """The problems one entry shows by itself: at most one of naming, linking, tracking."""
    if not driver.is_entry_id(e.id):
        what = "row" if e.note is Note.ROW_WITHOUT_FILE else _where(e)
        article = "an" if what[0] in "aeiou" else "a"
        return [
            Problem(
                ProblemKind.NOT_AN_IMAGE,
                e.id,
                f"{article} {what} named {e.id!r}: not an image id, nor one of the service's own "
                "files. Left alone: the service never asked for it.",
                e.state,
                e,
            )
        ]
    link = e.note is Note.SYMLINK or (e.note is Note.FILE_WITHOUT_ROW and _is_link(driver, e))
    if link:
        return [
            Problem(
                ProblemKind.STRAY_SYMLINK,
                e.id,
                f"the {_where(e)} is a symbolic link: the service reads through it, whatever "
                "it points to. Left alone.",
                e.state,
                e,
            )
        ]
    found: list[Problem] = []
    if e.note is Note.ROW_WITHOUT_FILE:
        found.append(
            Problem(
                ProblemKind.ROW_WITHOUT_FILE,
                e.id,
                f"the metadata records {e.size:,} bytes for a file that is not there",
                e.state,
                e,
            )
        )
        return found
    if e.note is Note.FILE_WITHOUT_ROW:
        found.append(
            Problem(
                ProblemKind.FILE_WITHOUT_ROW,
                e.id,
                f"{e.size:,} bytes on disk that the metadata does not know: the service never "
                "prunes them",
                e.state,
                e,
            )
        )
    if e.state is State.CACHED and e.size == 0:
        found.append(
            Problem(
                ProblemKind.EMPTY_FILE,
                e.id,
                "a cached file of 0 bytes: the service would serve it as the whole image",
                e.state,
                e,
            )
        )
    return found


def _in_two_states(entries: Sequence[Entry]) -> list[Problem]:
    """Ids cached (with a file) and also queued or being written."""
    cached = {
        e.id: e for e in entries if e.state is State.CACHED and e.note is not Note.ROW_WITHOUT_FILE
    }
    found = []
    for e in entries:
        if e.state in (State.QUEUED, State.INCOMPLETE) and e.id in cached:
            also = "queued" if e.state is State.QUEUED else "being written (incomplete)"
            found.append(
                Problem(
                    ProblemKind.IN_TWO_STATES,
                    e.id,
                    f"cached and also {also}: the service makes one only when the other is "
                    f"not there. Left alone (remove one with delete --state {e.state}).",
                    e.state,
                    e,
                )
            )
    return found


def _is_link(driver: CacheDriver, e: Entry) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(driver.entry_path(e)).st_mode)
    except (OSError, CacheError, ValueError):
        return False


def _stall_warning(entries: Sequence[Entry], stall_time: float | None, now: float) -> list[str]:
    if stall_time is None:
        return []
    stalled = [e for e in entries if is_stalled(e, now, stall_time)]
    if not stalled:
        return []
    size = sum(e.size for e in stalled)
    return [
        f"{len(stalled):,} incomplete download(s) ({size:,} bytes) stalled: not written for "
        f"longer than the stall time ({describe_duration(stall_time)}). The service's clean "
        "(or `clean`) removes them."
    ]
