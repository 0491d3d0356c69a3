"""Audit, verify and records keep their contract on every registered kind.

Parametrized over :data:`inspector.core.DRIVERS` with the writers of
``tests/writers/``: a new kind is checked here as soon as it is registered,
through the driver methods it implements (see ``drivers/base.py``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.core import DRIVERS, Action, State, read
from inspector.core.audit import audit
from inspector.core.metadata_records import dumps, parse_record, plan_restore, restore, save
from inspector.core.verify import Origin, Status, verify
from tests.writers import WRITERS, CacheWriter

pytestmark = pytest.mark.glance


@pytest.fixture(params=sorted(DRIVERS))
def w(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CacheWriter]:
    kind = str(request.param)
    if kind not in WRITERS:
        pytest.fail(f"cache kind {kind!r} is registered but has no writer in tests/writers/")
    made = WRITERS[kind](tmp_path, request)
    try:
        yield made
    finally:
        made.close()


def _data(n: int) -> bytes:
    return bytes([97 + n]) * (700 * (n + 1))


def _filled(w: CacheWriter, n: int = 3) -> dict[str, bytes]:
    added = {w.new_id(i + 1): _data(i) for i in range(n)}
    for entry_id, content in added.items():
        w.add(entry_id, content)
    w.use(next(iter(added)))
    return added


def test_a_cache_its_service_wrote_audits_clean(w: CacheWriter) -> None:
    _filled(w)
    report = audit(read(w.source()))
    assert report.problems == ()


def test_verify_matches_what_the_service_stored_and_moves_no_atime(w: CacheWriter) -> None:
    added = _filled(w)
    reading = read(w.source())
    if not reading.driver.capabilities.local:
        pytest.skip(f"a {w.kind} cache keeps no files here to hash")
    cached = reading.snapshot.of_state(State.CACHED)
    paths = [reading.driver.entry_path(e) for e in cached]
    for p in paths:
        st = os.stat(p)
        os.utime(p, ns=(st.st_mtime_ns - 10**12, st.st_mtime_ns))
    before = [os.stat(p).st_atime_ns for p in paths]
    digests = {i: ("sha256", hashlib.sha256(c).hexdigest()) for i, c in added.items()}
    report = verify(reading.driver, cached, [Origin("the writer", digests.get)])
    assert {r.id: r.status for r in report.results} == dict.fromkeys(added, Status.OK)
    assert [os.stat(p).st_atime_ns for p in paths] == before
    assert report.warnings == ()


def test_an_exported_record_restores_the_hits(w: CacheWriter) -> None:
    added = _filled(w)
    reading = read(w.source())
    if not reading.driver.capabilities.can(Action.IMPORT):
        pytest.skip(f"a {w.kind} cache has no import")
    record = parse_record(dumps(save(reading)))
    hits = {e.id: e.hits for e in reading.snapshot.of_state(State.CACHED)}
    for entry_id in added:
        w.use(entry_id)
    later = read(w.source())
    assert {e.id: e.hits for e in later.snapshot.of_state(State.CACHED)} != hits
    result = restore(later.driver, plan_restore(record, later))
    assert result.ok and result.done == len(added)
    again = read(w.source())
    assert {e.id: e.hits for e in again.snapshot.of_state(State.CACHED)} == hits
    assert audit(again).problems == ()
