"""The contract every registered cache kind keeps, on caches its own service wrote.

Parametrized over :data:`inspector.core.DRIVERS`: a new kind is run here as
soon as it is registered, with the writer it brings in ``tests/writers/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.core import DRIVERS, CacheSource, State, actions, open_source
from inspector.core.errors import CacheError
from tests.writers import WRITERS, CacheWriter

# The writers drive the real services' code (Glance, the Filetracker client),
# which only the full test environment has.
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


def _filled(w: CacheWriter, n: int = 3) -> list[str]:
    ids = [w.new_id(i + 1) for i in range(n)]
    for i, entry_id in enumerate(ids):
        w.add(entry_id, bytes([65 + i]) * (1000 * (i + 1)))
    w.use(ids[0])
    return ids


def _paths(root: Path) -> list[str]:
    """Every path under ``root`` (listing a directory moves its atime: list first)."""
    return [
        os.path.join(dirpath, name)
        for dirpath, dirnames, filenames in os.walk(root)
        for name in [".", *dirnames, *filenames]
    ]


def _state(paths: list[str]) -> dict[str, tuple[int, int, int | None]]:
    """Each path's size, mtime and (not for databases) atime, in ns, by lstat only."""
    found = {}
    for p in paths:
        st = os.lstat(p)
        is_db = ".db" in os.path.basename(p)  # SQLite opens its database itself
        found[p] = (st.st_size, st.st_mtime_ns, None if is_db else st.st_atime_ns)
    return found


def test_every_registered_kind_has_a_writer() -> None:
    assert sorted(DRIVERS) == sorted(set(DRIVERS) & set(WRITERS))


def test_the_kind_is_detected_from_what_is_there(w: CacheWriter) -> None:
    _filled(w)
    assert open_source(w.source()).name == w.kind


def test_cached_entries_are_what_the_service_says(w: CacheWriter) -> None:
    _filled(w)
    snap = open_source(w.source()).scan()
    cached = {e.id: e.size for e in snap.of_state(State.CACHED)}
    assert cached == w.cached()
    assert len(cached) == 3


def _needs_local(w: CacheWriter) -> None:
    """Skip a check of the cache directory for a kind that has none here."""
    cls = DRIVERS[w.kind]
    if not cls.capabilities.local:
        pytest.skip(
            f"{w.kind} has no cache directory on this machine (capabilities: local=False): "
            "its service alone touches its files, when it answers a request"
        )


def test_opening_and_scanning_change_nothing(w: CacheWriter) -> None:
    _needs_local(w)
    _filled(w)
    listed = w.cached()  # the service's own reading may move atimes: before aging them
    paths = _paths(w.root)
    for p in paths:
        st = os.lstat(p)  # age every atime so that any read would move it
        os.utime(p, ns=(st.st_mtime_ns - 10**12, st.st_mtime_ns), follow_symlinks=False)
    before = _state(paths)
    open_source(w.source()).scan()
    assert _state(paths) == before
    assert sorted(_paths(w.root)) == sorted(paths)
    assert w.cached() == listed


def test_a_deleted_entry_is_gone_for_the_service_too(w: CacheWriter) -> None:
    ids = _filled(w)
    driver = open_source(w.source())
    victim = next(e for e in driver.scan().of_state(State.CACHED) if e.id == ids[1])
    result = actions.delete(driver, [victim])
    assert result.ok and result.done == 1
    assert ids[1] not in w.cached()
    assert set(w.cached()) == {ids[0], ids[2]}


def test_a_new_entry_shows_on_the_next_scan(w: CacheWriter) -> None:
    _filled(w)
    driver = open_source(w.source())
    first = {e.id for e in driver.scan().entries}
    w.add(w.new_id(99), b"n" * 10)
    assert {e.id for e in driver.scan().entries} - first == {w.new_id(99)}


@pytest.mark.parametrize("bad", ["..", "../x", "a/../../b", "x\0y", ""])
def test_ids_that_could_leave_the_cache_are_refused(w: CacheWriter, bad: str) -> None:
    _filled(w)
    driver = open_source(w.source())
    with pytest.raises(CacheError):
        driver.check_id(bad)


def test_capabilities_describe_what_the_scan_shows(w: CacheWriter) -> None:
    _filled(w)
    driver = open_source(w.source())
    caps = driver.capabilities
    assert caps.states[0] is State.CACHED
    assert {e.state for e in driver.scan().entries} <= set(caps.states)
    watched = driver.watch_paths()
    for p in watched:
        assert Path(p).resolve().is_relative_to(Path(w.root).resolve()) or not Path(p).exists()
    # a local cache's own directory is followed: the window sees the service change it
    assert watched[:1] == ([driver.path] if caps.local else [])


def test_a_kind_forced_onto_another_kinds_cache_is_refused(w: CacheWriter) -> None:
    _filled(w)
    for other in sorted(set(DRIVERS) - {w.kind}):
        source = w.source()
        forced = CacheSource(
            source.path, other, source.db_url, source.node, source.api, options=source.options
        )
        with pytest.raises(CacheError):
            open_source(forced)
