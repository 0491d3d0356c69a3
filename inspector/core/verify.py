"""Verify: hash cached files and compare each with the digest it should have.

Where an expected digest comes from is pluggable: a :data:`DigestSource` is a
function ``id -> (algorithm, hex digest)`` (or ``None`` when it knows nothing
of the id).  Sources are asked in order; the first that knows an id wins:

- a checksum file in ``md5sum``/``sha256sum``/``sha512sum`` format (or their
  ``--tag`` form), the algorithm told by the digest's length
  (:func:`checksum_file_source`);
- what the cache's kind knows besides its entries (:meth:`CacheDriver.digest_source`:
  Glance's image records, ``os_hash_algo``/``os_hash_value`` else ``checksum``,
  wherever Glance's database is known: a centralized_db node, ``--db``, a
  glance-api.conf);
- the cache's own checksum column where the service filled it
  (:func:`entry_checksum_source`).

Files are read through the driver (:meth:`CacheDriver.open_entry`: inside the
cache, no symlink followed) with ``O_NOATIME`` so that an xattr cache's LRU
order does not move; where the kernel refuses it (not the files' owner) they
are read the ordinary way and the report warns.  Reads are large blocks:
hashlib releases the GIL while it digests them.
"""

from __future__ import annotations

import enum
import hashlib
import io
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from inspector.core.drivers.base import CacheDriver, DigestSource
from inspector.core.errors import CacheError, reason_of
from inspector.core.model import Entry, Note, State

#: Read size: large enough that hashing, not Python, is the cost.
BLOCK = 4 << 20
#: How often progress is told, at most.
PROGRESS_SECONDS = 0.1

#: Algorithms by the length of their hex digest (md5sum, sha1sum, sha256sum, sha512sum).
BY_LENGTH = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}

_HEX = re.compile(r"[0-9a-fA-F]+")
_GNU = re.compile(r"(?P<escaped>\\)?(?P<digest>[0-9a-fA-F]+) [ *](?P<name>.+)")
_TAG = re.compile(
    r"(?P<escaped>\\)?(?P<algo>[A-Za-z0-9-]+) \((?P<name>.+)\) = (?P<digest>[0-9a-fA-F]+)"
)


class Status(enum.StrEnum):
    OK = "ok"
    MISMATCH = "mismatch"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Origin:
    """A named source of expected digests (the name is shown with each result)."""

    name: str
    lookup: DigestSource


@dataclass(frozen=True, slots=True)
class Expected:
    algorithm: str
    digest: str
    origin: str


@dataclass(frozen=True, slots=True)
class VerifyResult:
    id: str
    status: Status
    algorithm: str | None = None
    expected: str | None = None
    actual: str | None = None
    #: Where the expected digest came from, or why the status is unknown.
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class HashProgress:
    """How far a verification is: bytes and files, and the speed so far."""

    bytes_done: int
    bytes_total: int
    files_done: int
    files_total: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Bytes per second so far."""
        return self.bytes_done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def time_left(self) -> float | None:
        """Seconds left at the rate so far (``None`` before there is a rate)."""
        rate = self.rate
        return (self.bytes_total - self.bytes_done) / rate if rate > 0 else None


#: Called now and then with the progress; returning ``False`` cancels between blocks.
VerifyProgress = Callable[[HashProgress], bool | None]


@dataclass(frozen=True, slots=True)
class VerifyReport:
    results: tuple[VerifyResult, ...]
    warnings: tuple[str, ...] = ()
    cancelled: bool = False
    bytes_read: int = 0
    seconds: float = 0.0

    def of_status(self, status: Status) -> list[VerifyResult]:
        return [r for r in self.results if r.status is status]

    @property
    def ok(self) -> bool:
        return not self.of_status(Status.MISMATCH) and not self.cancelled


class ChecksumFileError(CacheError):
    """A checksum file that cannot be read as md5sum/sha*sum output."""


def parse_checksums(text: str, name: str = "the checksum file") -> dict[str, tuple[str, str]]:
    """``{id: (algorithm, digest)}`` from md5sum/sha256sum/sha512sum output, each
    file named by its last path component (a Glance image id).

    A line names a file in the GNU form (``digest  name``, ``digest *name``) or
    the ``--tag`` form (``SHA256 (name) = digest``).  Blank lines and ``#``
    comments are skipped; any other line that is not one of these refuses the
    whole file, naming it.
    """
    return _by_last(checksum_lines(text, name))


def _by_last(lines: Iterable[tuple[str, str, str]]) -> dict[str, tuple[str, str]]:
    return {file.rstrip("/").rsplit("/", 1)[-1]: (alg, digest) for file, alg, digest in lines}


def by_path(lines: Iterable[tuple[str, str, str]]) -> dict[str, tuple[str, str]]:
    """``{"/dir/file": (algorithm, digest)}`` for ids that are paths (Filetracker's).

    A name is taken as it is (``sha256sum`` run in the store's ``files/``:
    ``p/a.in``, ``./p/a.in``) and from below any ``files`` folder in it (run
    above it, or with absolute paths: ``files/p/a.in``,
    ``/srv/store/files/p/a.in``): each names ``/p/a.in``.  Nothing else of a
    name is cut off, so a file is never given the digest of another with the
    same last part.  Where two names give one path, the one with fewer folders
    before it wins.
    """
    best: dict[str, tuple[int, tuple[str, str]]] = {}
    for file, algorithm, digest in lines:
        parts = [p for p in file.split("/") if p not in ("", ".")]
        for extra in range(len(parts)):
            if extra and parts[extra - 1] != "files":
                continue
            key = "/" + "/".join(parts[extra:])
            if key not in best or extra < best[key][0]:
                best[key] = (extra, (algorithm, digest))
    return {key: found for key, (_extra, found) in best.items()}


def checksum_lines(text: str, name: str) -> list[tuple[str, str, str]]:
    """``(file, algorithm, digest)`` of each line of a checksum file, the file's name as
    the line gives it; see :func:`parse_checksums`."""
    found: list[tuple[str, str, str]] = []
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _TAG.fullmatch(stripped) or _GNU.fullmatch(line.rstrip("\r"))
        if m is None:
            raise ChecksumFileError(
                f"{name}, line {n}: not a checksum line (expected 'DIGEST  NAME' as md5sum, "
                "sha256sum or sha512sum print it)."
            )
        digest = m.group("digest").lower()
        algorithm = BY_LENGTH.get(len(digest))
        if algorithm is None:
            raise ChecksumFileError(
                f"{name}, line {n}: a digest of {len(digest)} hex digits is none of md5, "
                "sha1, sha256 or sha512."
            )
        if "algo" in m.groupdict() and m.group("algo").lower().replace("-", "") != algorithm:
            raise ChecksumFileError(
                f"{name}, line {n}: {m.group('algo')} does not make a {len(digest)}-digit digest."
            )
        entry_name = m.group("name")
        if m.group("escaped"):
            entry_name = entry_name.replace("\\n", "\n").replace("\\\\", "\\")
        found.append((entry_name, algorithm, digest))
    return found


def checksum_file_source(path: str | os.PathLike[str]) -> Origin:
    """The digests of a checksum file, read once (refused with a clear message if malformed)."""
    shown = os.fspath(path)
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "surrogateescape")
    except OSError as exc:
        raise ChecksumFileError(f"{shown} cannot be read: {reason_of(exc)}.") from None
    lines = checksum_lines(text, shown)
    by_last = _by_last(lines)
    paths: dict[str, tuple[str, str]] | None = None  # made at the first id that is a path

    def lookup(entry_id: str) -> tuple[str, str] | None:
        nonlocal paths
        if not entry_id.startswith("/"):
            return by_last.get(entry_id)
        # A Filetracker name is a path: found by its whole path, never by its last part.
        if paths is None:
            paths = by_path(lines)
        return paths.get(entry_id)

    return Origin(f"checksum file {Path(shown).name}", lookup)


def entry_checksum_source(entries: Iterable[Entry]) -> Origin:
    """The cache's own checksum column (Glance's sqlite driver never fills it, older ones did)."""
    table = {}
    for e in entries:
        if e.checksum and _HEX.fullmatch(e.checksum) and len(e.checksum) in BY_LENGTH:
            table[e.id] = (BY_LENGTH[len(e.checksum)], e.checksum.lower())
    return Origin("the cache's checksum", table.get)


def sources_for(
    driver: CacheDriver, entries: Sequence[Entry], checksum_file: str | None = None
) -> list[Origin]:
    """The usual sources, in order: a checksum file, the kind's own, the cache's column."""
    origins = []
    if checksum_file is not None:
        origins.append(checksum_file_source(checksum_file))
    extra = driver.digest_source()
    if extra is not None:
        origins.append(Origin("the image record", extra))
    origins.append(entry_checksum_source(entries))
    return origins


def expected_for(entry_id: str, origins: Sequence[Origin]) -> Expected | str:
    """The expected digest of ``entry_id``, or why there is none."""
    for origin in origins:
        found = origin.lookup(entry_id)
        if found is None:
            continue
        algorithm, digest = found
        algorithm = algorithm.lower().replace("-", "")
        if algorithm not in hashlib.algorithms_available:
            return f"{origin.name} names {algorithm!r}, which this Python cannot compute"
        return Expected(algorithm, digest.lower(), origin.name)
    return "no expected digest for it"


class _Cancelled(Exception):
    pass


def verify(
    driver: CacheDriver,
    entries: Sequence[Entry],
    origins: Sequence[Origin],
    progress: VerifyProgress | None = None,
    block: int = BLOCK,
) -> VerifyReport:
    """Hash the cached ``entries`` that have an expected digest; compare; report each.

    Entries with no expected digest are not read (``unknown``); neither are
    symlinks, nor rows without files.  Cancel (``progress`` returning
    ``False``) stops between blocks: the results so far are returned.
    """
    started = time.monotonic()
    plan: list[tuple[Entry, Expected]] = []
    results: list[VerifyResult] = []
    for e in entries:
        if e.state is not State.CACHED:
            continue
        if e.note is Note.ROW_WITHOUT_FILE:
            results.append(VerifyResult(e.id, Status.UNKNOWN, detail="its file is not there"))
            continue
        if e.note is Note.SYMLINK:
            results.append(
                VerifyResult(e.id, Status.UNKNOWN, detail="a symbolic link: not followed")
            )
            continue
        expected = expected_for(e.id, origins)
        if isinstance(expected, str):
            results.append(VerifyResult(e.id, Status.UNKNOWN, detail=expected))
        else:
            plan.append((e, expected))
    total = sum(e.size for e, _ in plan)
    buf = bytearray(block)
    state = _Tally(progress, total, len(plan), started)
    not_noatime = 0
    cancelled = False
    for e, exp in plan:
        try:
            try:
                actual, noatime = _hash_entry(driver, e, exp.algorithm, buf, state)
            except (OSError, CacheError, ValueError) as exc:
                why = f"cannot be read: {reason_of(exc)}"
                results.append(
                    VerifyResult(e.id, Status.UNKNOWN, exp.algorithm, exp.digest, detail=why)
                )
            else:
                not_noatime += not noatime
                status = Status.OK if actual == exp.digest else Status.MISMATCH
                results.append(
                    VerifyResult(e.id, status, exp.algorithm, exp.digest, actual, exp.origin)
                )
            state.file_done()
        except _Cancelled:
            cancelled = True
            break
    warnings = []
    if not_noatime:
        warnings.append(
            f"{not_noatime:,} file(s) could not be read with O_NOATIME (only their owner or "
            "root may): their access times may have moved, and with them an xattr cache's "
            "LRU order."
        )
    return VerifyReport(
        tuple(results), tuple(warnings), cancelled, state.done, time.monotonic() - started
    )


class _Tally:
    """Bytes and files done, told to the progress callback at most every 0.1 s."""

    def __init__(
        self, progress: VerifyProgress | None, total: int, files: int, started: float
    ) -> None:
        self.progress = progress
        self.total = total
        self.files = files
        self.started = started
        self.done = 0
        self.files_done = 0
        self.last = 0.0

    def add(self, n: int) -> None:
        self.done += n
        if self.progress is not None:
            now = time.monotonic()
            if now - self.last >= PROGRESS_SECONDS:
                self.last = now
                self.tell(now)

    def file_done(self) -> None:
        self.files_done += 1
        if self.progress is not None:
            self.tell(time.monotonic())

    def tell(self, now: float) -> None:
        assert self.progress is not None
        elapsed = now - self.started
        report = HashProgress(self.done, self.total, self.files_done, self.files, elapsed)
        if self.progress(report) is False:
            raise _Cancelled


def _hash_entry(
    driver: CacheDriver, entry: Entry, algorithm: str, buf: bytearray, tally: _Tally
) -> tuple[str, bool]:
    h = hashlib.new(algorithm)
    view = memoryview(buf)
    with driver.open_entry(entry) as (fd, noatime):
        advise = getattr(os, "posix_fadvise", None)
        if advise is not None:
            advise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        with io.FileIO(fd, "rb", closefd=False) as f:
            while n := f.readinto(buf):
                h.update(view[:n])
                tally.add(n)
    return h.hexdigest(), noatime
