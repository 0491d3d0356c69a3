"""The journal of changes: every change the inspector makes, one JSON line each.

``$XDG_STATE_HOME/cache-inspector/journal.jsonl`` (``~/.local/state`` when the
variable is unset or not absolute): when, who (user and host), which cache
(its display name: never a password), what (the action), and per entry its
id, state, outcome, bytes and the reason of a failure.  Jobs append to it
where their results are produced (:func:`inspector.core.actions.journaled`);
the CLI's ``history`` and the window's History view read it back with
:func:`read_journal`.

Appends take an exclusive ``flock`` and write one line, so that two
inspectors working at once never interleave their records.  A line damaged
by a crash is skipped by the reader, with its number reported.
"""

from __future__ import annotations

import fcntl
import logging
import os
import pwd
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from inspector.core.drivers.base import CacheDriver, OutcomeStatus
from inspector.core.errors import reason_of

if TYPE_CHECKING:
    from inspector.core.actions import JobResult

log = logging.getLogger(__name__)

APP_DIR = "cache-inspector"
FILE_NAME = "journal.jsonl"


def state_home() -> Path:
    """``$XDG_STATE_HOME``, else ``~/.local/state`` (a relative value is ignored, per the spec)."""
    env = os.environ.get("XDG_STATE_HOME", "")
    if env and os.path.isabs(env):
        return Path(env)
    return Path.home() / ".local" / "state"


def journal_path() -> Path:
    return state_home() / APP_DIR / FILE_NAME


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """What happened to one entry."""

    id: str
    state: str
    outcome: str  # deleted, gone, updated, queued, requeued, failed
    bytes: int = 0
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """One change: one job's result."""

    time: str  # ISO 8601 UTC, milliseconds
    user: str
    host: str
    source: str  # CacheSource.display_name(): no secret
    kind: str
    action: str
    done: int
    failed: int
    bytes: int
    cancelled: bool
    error: str | None
    entries: tuple[JournalEntry, ...]


@dataclass(frozen=True, slots=True)
class JournalReading:
    """The journal as read: its records, oldest first, and the damaged lines skipped."""

    path: Path
    records: tuple[JournalRecord, ...]
    damaged_lines: tuple[int, ...] = ()


def who() -> str:
    """The user making the change (and who ran sudo, when that is how)."""
    uid = os.geteuid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        name = str(uid)
    sudo = os.environ.get("SUDO_USER")
    return f"{name} (sudo by {sudo})" if sudo and uid == 0 and sudo != name else name


def entries_of(result: JobResult) -> list[JournalEntry]:
    """Each entry of a job with its outcome: what was done, then what failed."""
    out: list[JournalEntry] = []
    requeue = result.action == "requeue"
    for o in result.outcomes:
        if o.status is OutcomeStatus.FAILED:
            continue  # in the failures, with the reason as the job gives it
        outcome = "requeued" if requeue else str(o.status)
        out.append(JournalEntry(o.entry.id, str(o.entry.state), outcome, o.freed, o.reason))
    if result.action == "queue":
        out.extend(JournalEntry(i, "queued", "queued") for i in result.queued)
    out.extend(JournalEntry(f.id, str(f.state), "failed", 0, f.reason) for f in result.failures)
    return out


def make_record(
    driver: CacheDriver, result: JobResult, now: datetime | None = None
) -> JournalRecord:
    when = (now or datetime.now(UTC)).astimezone(UTC)
    return JournalRecord(
        time=when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        user=who(),
        host=socket.gethostname(),
        source=driver.source.display_name(),
        kind=driver.name,
        action=result.action,
        done=result.done,
        failed=len(result.failures),
        bytes=result.bytes_freed,
        cancelled=result.cancelled,
        error=result.error,
        entries=tuple(entries_of(result)),
    )


def record(driver: CacheDriver, result: JobResult) -> str | None:
    """Append ``result`` to the journal; ``None``, or why it could not be written."""
    try:
        append(make_record(driver, result))
    except OSError as exc:
        where = journal_path()
        why = f"{where}: {reason_of(exc)}"
        log.warning("The change was made but could not be journaled: %s", why)
        return why
    return None


def record_document(rec: JournalRecord) -> dict[str, Any]:
    """A record as the JSON object the journal holds (``history --json``)."""
    entries = []
    for e in rec.entries:
        item: dict[str, Any] = {"id": e.id, "state": e.state, "outcome": e.outcome}
        item["bytes"] = e.bytes
        if e.reason is not None:
            item["reason"] = e.reason
        entries.append(item)
    return {
        "time": rec.time,
        "user": rec.user,
        "host": rec.host,
        "source": rec.source,
        "kind": rec.kind,
        "action": rec.action,
        "done": rec.done,
        "failed": rec.failed,
        "bytes": rec.bytes,
        "cancelled": rec.cancelled,
        "error": rec.error,
        "entries": entries,
    }


def append(rec: JournalRecord, path: Path | None = None) -> None:
    """One line at the end of the journal, under an exclusive lock; made 0600 in a 0700 dir."""
    path = path or journal_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    line = orjson.dumps(record_document(rec)) + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        view = memoryview(line)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)  # releases the lock


def read_journal(path: Path | None = None) -> JournalReading:
    """Every record, oldest first; a missing journal is an empty one."""
    path = path or journal_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return JournalReading(path, ())
    records: list[JournalRecord] = []
    damaged: list[int] = []
    for n, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(_parse(orjson.loads(line)))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            damaged.append(n)
    return JournalReading(path, tuple(records), tuple(damaged))


def _parse(doc: Any) -> JournalRecord:
    if not isinstance(doc, dict):
        raise TypeError("not an object")
    entries = tuple(
        JournalEntry(
            str(e["id"]),
            str(e["state"]),
            str(e["outcome"]),
            int(e.get("bytes") or 0),
            None if e.get("reason") is None else str(e["reason"]),
        )
        for e in _list(doc.get("entries", []))
    )
    return JournalRecord(
        time=str(doc["time"]),
        user=str(doc["user"]),
        host=str(doc["host"]),
        source=str(doc["source"]),
        kind=str(doc.get("kind", "")),
        action=str(doc["action"]),
        done=int(doc.get("done", 0)),
        failed=int(doc.get("failed", 0)),
        bytes=int(doc.get("bytes", 0)),
        cancelled=bool(doc.get("cancelled", False)),
        error=None if doc.get("error") is None else str(doc["error"]),
        entries=entries,
    )


def _list(value: Any) -> Sequence[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise TypeError("entries is not a list of objects")
    return value
