"""Verify at its edges, in process: entries it does not read, files gone since the
listing, how often it reports, and the times it reports."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from inspector.core import open_cache
from inspector.core.drivers.base import CacheDriver
from inspector.core.model import Snapshot, State
from inspector.core.verify import (
    ChecksumFileError,
    HashProgress,
    Origin,
    Status,
    VerifyResult,
    parse_checksums,
    verify,
)
from tests.glance_service import GlanceService
from tests.trust_caches import CACHED, QUEUED, read_noatime, typical


def _md5s(root: Path) -> dict[str, tuple[str, str]]:
    return {i: ("md5", hashlib.md5(read_noatime(str(root / i))).hexdigest()) for i in CACHED}


Listed = tuple[Path, dict[str, tuple[str, str]], CacheDriver, Snapshot]


def _listed(glance: GlanceService) -> Listed:
    """Glance's typical cache: its directory, each cached image's md5, its driver, a listing."""
    typical(glance)
    root = Path(glance.path)
    driver = open_cache(root)
    return root, _md5s(root), driver, driver.scan()


def test_entries_not_cached_are_passed_over_and_those_after_them_verified(
    glance: GlanceService,
) -> None:
    _, table, driver, snap = _listed(glance)
    queued = [e for e in snap.entries if e.id == QUEUED]
    assert [e.state for e in queued] == [State.QUEUED]
    report = verify(driver, [*queued, *snap.of_state(State.CACHED)], [Origin("t", table.get)])
    assert sorted(r.id for r in report.results) == sorted(CACHED)
    assert {r.status for r in report.results} == {Status.OK}


def test_a_file_gone_since_the_listing_is_unknown_with_why_and_the_digest_expected(
    glance: GlanceService,
) -> None:
    root, table, driver, snap = _listed(glance)
    cached = snap.of_state(State.CACHED)
    gone = CACHED[1]
    os.unlink(root / gone)  # Glance pruned it after the listing
    report = verify(driver, cached, [Origin("t", table.get)])
    [result] = [r for r in report.results if r.id == gone]
    assert result.status is Status.UNKNOWN and result.actual is None
    assert (result.algorithm, result.expected) == table[gone]
    assert result.detail is not None and result.detail.startswith("cannot be read: ")
    assert "No such file" in result.detail, result.detail
    assert {r.status for r in report.results if r.id != gone} == {Status.OK}
    assert isinstance(result, VerifyResult) and not report.cancelled


def test_progress_comes_at_most_every_tenth_of_a_second_with_the_time_since_the_start(
    glance: GlanceService,
) -> None:
    """Blocks of 64 bytes: hundreds of blocks, a handful of reports (one per file and
    one per 0.1 s), each with the seconds since the start; the report's own seconds too."""
    typical(glance)
    root = Path(glance.path)
    driver = open_cache(root)
    cached = driver.scan().of_state(State.CACHED)
    seen: list[HashProgress] = []
    report = verify(driver, cached, [Origin("t", _md5s(root).get)], seen.append, 64)
    assert {r.status for r in report.results} == {Status.OK}
    assert report.bytes_read > 300 * 64
    assert len(CACHED) <= len(seen) <= 2 * len(CACHED) + 20
    assert all(0 <= p.elapsed < 60 for p in seen)
    assert 0 < report.seconds < 60
    assert seen[-1].elapsed <= report.seconds


def test_a_checksum_files_errors_name_it_the_checksum_file_unless_named() -> None:
    with pytest.raises(ChecksumFileError) as caught:
        parse_checksums("abcdef1  x\n")
    assert str(caught.value).startswith("the checksum file, line 1: a digest of 7 hex digits")


def test_a_gnu_line_keeps_what_its_name_ends_with() -> None:
    """As ``sha256sum -c`` reads it: the name runs to the end of the line (blanks
    and all, a CR of a DOS line excepted), and only slashes are taken off its end."""
    digest = "a" * 64
    text = f"{digest}  dir/imageX\n{digest}  trailing \r\n{digest}  folder/\n"
    assert parse_checksums(text) == {
        "imageX": ("sha256", digest),
        "trailing ": ("sha256", digest),
        "folder": ("sha256", digest),
    }
