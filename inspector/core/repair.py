"""Repairing what an audit found: a plan per problem kind, then one journaled job.

The plan is pure (a function of an :class:`AuditReport`); the job writes
through the driver the way the service writes: rows without files are
dropped and empty files removed as the service deletes an entry (file and
metadata together); files without rows are adopted (the record the service
makes when it commits a download) or deleted, as the operator chooses; sizes
are corrected in the metadata.  Names that are no image, symlinks and ids in
two states are never touched: the report says so.
"""

from __future__ import annotations

import enum
from collections.abc import Generator, Sequence
from dataclasses import dataclass

from inspector.core import actions
from inspector.core.actions import JobProgress, JobResult
from inspector.core.audit import AuditReport
from inspector.core.drivers.base import CacheDriver, MetadataUpdate, Outcome
from inspector.core.model import Entry, State
from inspector.core.problems import Problem, ProblemKind


class Fix(enum.StrEnum):
    """What a repair does to one entry."""

    REMOVE_EMPTY = "remove empty file"
    DROP_ROW = "drop row"
    ADOPT = "adopt"
    DELETE_FILE = "delete file"
    CORRECT_SIZE = "correct size"


class Untracked(enum.StrEnum):
    """The operator's choice for files without rows."""

    LEAVE = "leave"
    ADOPT = "adopt"
    DELETE = "delete"


#: Fixes that delete the entry (file and metadata together) and those that write metadata.
DELETING = frozenset({Fix.REMOVE_EMPTY, Fix.DROP_ROW, Fix.DELETE_FILE})
WRITING = frozenset({Fix.ADOPT, Fix.CORRECT_SIZE})

#: Kinds never repaired, and why.
NEVER = {
    ProblemKind.NOT_AN_IMAGE: "not an image: never touched (delete it yourself if it is junk)",
    ProblemKind.STRAY_SYMLINK: "a symbolic link: never touched (remove it with delete)",
    ProblemKind.IN_TWO_STATES: "in two states: remove the one you do not want with delete --state",
}


@dataclass(frozen=True, slots=True)
class RepairStep:
    fix: Fix
    problem: Problem

    @property
    def entry(self) -> Entry:
        assert self.problem.entry is not None
        return self.problem.entry

    def describe(self) -> str:
        p = self.problem
        if self.fix is Fix.CORRECT_SIZE:
            was = p.recorded_size
            shown = f"{was:,}" if type(was) is int else repr(was)  # a damaged row as it is
            return f"record {self.entry.size:,} bytes (the file's), not {shown}"
        if self.fix is Fix.ADOPT:
            return f"record the file's {self.entry.size:,} bytes as the service does on commit"
        if self.fix is Fix.DELETE_FILE:
            return f"delete {self.entry.size:,} bytes no metadata knows"
        if self.fix is Fix.DROP_ROW:
            return "drop the row: its file is not there"
        return "remove the empty file and its metadata"


@dataclass(frozen=True, slots=True)
class RepairPlan:
    """One step per entry to repair, and the problems left alone with the reason."""

    steps: tuple[RepairStep, ...]
    left_alone: tuple[tuple[Problem, str], ...]

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(s.entry for s in self.steps)

    def of_fix(self, fix: Fix) -> list[RepairStep]:
        return [s for s in self.steps if s.fix is fix]

    @property
    def bytes_freed(self) -> int:
        return sum(s.entry.size for s in self.steps if s.fix is Fix.DELETE_FILE)


def plan_repair(report: AuditReport, untracked: Untracked = Untracked.LEAVE) -> RepairPlan:
    """One fix per entry: an empty file is removed, a row without its file dropped, a
    file without a row adopted or deleted (``untracked``), a wrong size corrected.

    An entry that is also a symlink or not an image is left alone whatever
    else it shows.
    """
    untouchable = {
        (p.id, p.state) for p in report.problems if p.kind in NEVER and p.entry is not None
    }
    by_entry: dict[tuple[str, State | None], dict[ProblemKind, Problem]] = {}
    left: list[tuple[Problem, str]] = []
    for p in report.problems:
        if p.kind in NEVER:
            left.append((p, NEVER[p.kind]))
        elif p.entry is None:
            left.append((p, "nothing here to repair it with"))
        elif (p.id, p.state) in untouchable:
            left.append((p, "also a symlink or not an image: left alone"))
        else:
            by_entry.setdefault((p.id, p.state), {})[p.kind] = p
    steps: list[RepairStep] = []
    for kinds in by_entry.values():
        step = _choose(kinds, untracked)
        if isinstance(step, RepairStep):
            steps.append(step)
        else:
            left.extend(step)
    return RepairPlan(tuple(steps), tuple(left))


def _choose(
    kinds: dict[ProblemKind, Problem], untracked: Untracked
) -> RepairStep | list[tuple[Problem, str]]:
    if ProblemKind.EMPTY_FILE in kinds:
        return RepairStep(Fix.REMOVE_EMPTY, kinds[ProblemKind.EMPTY_FILE])
    if ProblemKind.ROW_WITHOUT_FILE in kinds:
        return RepairStep(Fix.DROP_ROW, kinds[ProblemKind.ROW_WITHOUT_FILE])
    if ProblemKind.FILE_WITHOUT_ROW in kinds:
        p = kinds[ProblemKind.FILE_WITHOUT_ROW]
        if untracked is Untracked.ADOPT:
            return RepairStep(Fix.ADOPT, p)
        if untracked is Untracked.DELETE:
            return RepairStep(Fix.DELETE_FILE, p)
        return [(p, "file without a row: choose --adopt or --delete-untracked")]
    if ProblemKind.SIZE_MISMATCH in kinds:
        return RepairStep(Fix.CORRECT_SIZE, kinds[ProblemKind.SIZE_MISMATCH])
    return [(p, "no repair for this kind") for p in kinds.values()]


def _update(step: RepairStep) -> MetadataUpdate:
    if step.fix is Fix.CORRECT_SIZE:
        return MetadataUpdate(step.entry, size=step.entry.size)
    return MetadataUpdate(step.entry, create=True)


def _outcomes(driver: CacheDriver, steps: Sequence[RepairStep]) -> Generator[Outcome, None, None]:
    # Deletions first (each as the service deletes an entry), then metadata writes.
    doomed = [s.entry for s in steps if s.fix in DELETING]
    updates = [_update(s) for s in steps if s.fix in WRITING]
    if doomed:
        yield from driver.delete_entries(doomed)
    if updates:
        yield from driver.write_metadata(updates)


@actions.journaled
def repair(
    driver: CacheDriver, plan: RepairPlan, progress: JobProgress | None = None
) -> JobResult:
    """Carry out ``plan`` entry by entry; cancel between entries keeps what was done."""
    ordered = [s for s in plan.steps if s.fix in DELETING] + [
        s for s in plan.steps if s.fix in WRITING
    ]
    return actions.collect("repair", _outcomes(driver, ordered), len(ordered), progress)
