"""The drivers at their edges: batches, races with Glance, symlinks, ids, names of files.

Caches are Glance's own; the races (a file or a row gone between the scan and
the change, a directory where a file was) are made by hand between the two,
as a running glance-api or an operator can make them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from inspector.core import CacheOptions, State, actions, open_cache
from inspector.core.drivers import fsops
from inspector.core.drivers.base import OutcomeStatus
from inspector.core.drivers.glance import sqlite as glance_sqlite
from inspector.core.errors import InvalidImageIdError
from inspector.core.model import Note
from tests.glance_service import GlanceService

IDS = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(1, 10)]
SQLITE = pytest.mark.parametrize("kind", ["sqlite"])


def rows(glance: GlanceService) -> list[str]:
    return sorted(str(r["image_id"]) for r in glance.cached_images())


def cached_entries(glance: GlanceService) -> tuple[object, list]:  # type: ignore[type-arg]
    cache = open_cache(glance.path)
    return cache, sorted(cache.scan().of_state(State.CACHED), key=lambda e: e.id)


# -- sqlite: batches ------------------------------------------------------------------


@SQLITE
def test_rows_commit_in_batches_while_the_job_runs(
    glance: GlanceService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Glance sees each full batch gone, and may write, while the job is between entries."""
    monkeypatch.setattr(glance_sqlite, "BATCH_ENTRIES", 2)
    monkeypatch.setattr(glance_sqlite, "BATCH_SECONDS", 1000.0)  # only the count decides
    for image_id in IDS[:5]:
        glance.cache(image_id, b"x" * 10)
    cache, entries = cached_entries(glance)
    job = cache.delete_entries(entries)
    assert next(job).status is OutcomeStatus.DELETED
    assert rows(glance) == IDS[:5]  # the first row's deletion is not committed yet
    next(job)
    assert rows(glance) == IDS[2:5]  # a full batch: committed
    glance.cache(IDS[5], b"new")  # and Glance can write between entries
    next(job)
    assert rows(glance) == IDS[2:6]
    job.close()  # stopped here: what was done stays done
    assert rows(glance) == IDS[3:6]
    assert sorted(os.listdir(glance.path)) == sorted(
        [*IDS[3:6], "cache.db", "image_cache_db_init", "incomplete", "invalid", "queue"]
    )


@SQLITE
def test_a_batch_also_ends_after_its_time(
    glance: GlanceService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(glance_sqlite, "BATCH_ENTRIES", 1000)
    monkeypatch.setattr(glance_sqlite, "BATCH_SECONDS", 0.0)  # every entry is past its time
    for image_id in IDS[:2]:
        glance.cache(image_id, b"x")
    cache, entries = cached_entries(glance)
    job = cache.delete_entries(entries)
    next(job)
    assert rows(glance) == IDS[1:2]
    next(job)
    assert rows(glance) == []


# -- sqlite: races with Glance ----------------------------------------------------------


@SQLITE
def test_an_image_whose_file_went_first_is_deleted_by_its_row(glance: GlanceService) -> None:
    glance.cache(IDS[0], b"a" * 10)
    glance.cache(IDS[1], b"b" * 10)
    cache, entries = cached_entries(glance)
    os.unlink(Path(glance.path, IDS[0]))  # the file gone, the row still there
    glance.sql("DELETE FROM cached_images WHERE image_id = ?", IDS[1])  # both gone
    os.unlink(Path(glance.path, IDS[1]))
    result = actions.delete(cache, entries)
    assert [o.status for o in result.outcomes] == [OutcomeStatus.DELETED, OutcomeStatus.GONE]
    assert [o.entry for o in result.outcomes] == entries
    assert (result.done, result.gone, result.bytes_freed) == (2, 1, 0)
    assert rows(glance) == []


@SQLITE
def test_a_directory_where_the_file_was_keeps_its_row(glance: GlanceService) -> None:
    glance.cache(IDS[0], b"a" * 10)
    glance.cache(IDS[1], b"b" * 10)
    cache, entries = cached_entries(glance)
    os.unlink(Path(glance.path, IDS[0]))
    os.mkdir(Path(glance.path, IDS[0]))
    result = actions.delete(cache, entries)
    assert result.failures[0].id == IDS[0]
    assert result.failures[0].reason == f"{IDS[0]} is a directory, not a cache entry"
    assert result.done == 1
    assert rows(glance) == [IDS[0]]  # the row stays with what has its name
    assert Path(glance.path, IDS[0]).is_dir()


def test_two_vanished_entries_are_two_gone(glance: GlanceService) -> None:
    for image_id in IDS[:3]:
        assert glance.queue(image_id)
    cache = open_cache(glance.path)
    entries = cache.scan().entries
    for image_id in IDS[:2]:
        os.unlink(Path(glance.path, "queue", image_id))
    result = actions.delete(cache, entries)
    assert (result.action, result.done, result.gone) == ("delete", 3, 2)


# -- sqlite: what the scan shows of each row --------------------------------------------


@SQLITE
def test_a_symlinked_image_with_a_legacy_row(glance: GlanceService, tmp_path: Path) -> None:
    """A row Glance wrote before 2023 (times 0, no hits) for an image that is a link."""
    glance.cache(IDS[0], b"a" * 10)
    target = tmp_path / "target.img"
    target.write_bytes(b"t" * 30)
    os.unlink(Path(glance.path, IDS[0]))
    os.symlink(target, Path(glance.path, IDS[0]))
    glance.sql(
        "UPDATE cached_images SET last_accessed = 0, last_modified = 0, hits = 0, "
        "checksum = 'abc' WHERE image_id = ?",
        IDS[0],
    )
    [e] = open_cache(glance.path).scan().of_state(State.CACHED)
    assert (e.size, e.hits, e.accessed_ts, e.modified_ts, e.checksum, e.note) == (
        30,
        0,
        0.0,
        0.0,
        "abc",
        Note.SYMLINK,
    )
    assert e.bad_fields == ()


@SQLITE
def test_a_file_without_a_row_shows_what_the_file_has(glance: GlanceService) -> None:
    glance.cache(IDS[0], b"a")
    Path(glance.path, IDS[1]).write_bytes(b"z" * 42)
    mtime = Path(glance.path, IDS[1]).stat().st_mtime
    e = {e.id: e for e in open_cache(glance.path).scan().of_state(State.CACHED)}[IDS[1]]
    assert (e.size, e.hits, e.accessed_ts, e.modified_ts, e.note) == (
        42,
        None,
        None,
        mtime,
        Note.FILE_WITHOUT_ROW,
    )


@SQLITE
def test_a_row_with_no_last_modified_is_ordered_by_its_last_access(
    glance: GlanceService, tmp_path: Path
) -> None:
    glance.cache(IDS[0], b"a" * 10)
    glance.cache(IDS[1], b"b" * 10)
    glance.sql("UPDATE cached_images SET last_accessed = 100.0, last_modified = NULL")
    glance.sql("UPDATE cached_images SET last_accessed = 0 WHERE image_id = ?", IDS[1])
    cache = open_cache(glance.path)
    order = [e.id for e in cache.eviction_order(cache.scan().entries)]
    copy = tmp_path / "copy"
    shutil.copytree(glance.path, copy)
    assert GlanceService("sqlite", str(copy)).glance_prune(0) == order == [IDS[1], IDS[0]]


@SQLITE
def test_a_database_under_another_name(glance: GlanceService) -> None:
    """image_cache_sqlite_db need not end in .db: its files are still no images."""
    glance.cache(IDS[0], b"a")
    os.rename(Path(glance.path, "cache.db"), Path(glance.path, "imagecache"))
    Path(glance.path, "imagecache-journal").write_bytes(b"")
    cache = open_cache(glance.path, options=CacheOptions(sqlite_db="imagecache"))
    assert [e.id for e in cache.scan().entries] == [IDS[0]]
    with pytest.raises(InvalidImageIdError, match="Glance's own"):
        cache.queue_image("imagecache-journal")


# -- ids, and what the queue and the links show ------------------------------------------


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("", "An image id cannot be empty."),
        ("a/b", "'a/b' is not a valid image id: it contains '/', '..' or a NUL byte."),
        ("a..b", "'a..b' is not a valid image id: it contains '/', '..' or a NUL byte."),
        ("x\0y", "'x\\x00y' is not a valid image id: it contains '/', '..' or a NUL byte."),
        (
            "two words",
            "'two words' is not a valid image id: use letters, digits, '-', '.', '_' "
            "(Glance's ids are UUIDs).",
        ),
        (
            "a" * 256,
            f"'{'a' * 77}...' is not a valid image id: it is longer than 255 bytes.",
        ),
        (
            "b" * 80 + " ",
            f"'{'b' * 77}...' is not a valid image id: use letters, digits, '-', '.', '_' "
            "(Glance's ids are UUIDs).",
        ),
        (
            "c" * 79 + " ",
            f"'{'c' * 79} ' is not a valid image id: use letters, digits, '-', '.', '_' "
            "(Glance's ids are UUIDs).",
        ),
    ],
)
def test_ids_refused_with_their_reason(bad: str, message: str) -> None:
    with pytest.raises(InvalidImageIdError) as info:
        fsops.check_image_id(bad)
    assert str(info.value) == message


def test_the_longest_name_a_filesystem_takes_is_an_id() -> None:
    assert fsops.check_image_id("a" * 255) == "a" * 255


@SQLITE
def test_names_ending_in_db_are_glances(glance: GlanceService) -> None:
    cache = open_cache(glance.path)
    with pytest.raises(InvalidImageIdError, match="Glance's own"):
        cache.queue_image("backup.db")


def test_queue_entries_show_their_time_and_links(glance: GlanceService, tmp_path: Path) -> None:
    assert glance.queue(IDS[0])
    os.utime(Path(glance.path, "queue", IDS[0]), ns=(10**18, 1_700_000_000 * 10**9))
    os.symlink(tmp_path, Path(glance.path, "queue", IDS[1]))
    os.utime(
        Path(glance.path, "queue", IDS[1]), ns=(0, 1_800_000_000 * 10**9), follow_symlinks=False
    )
    q = {e.id: e for e in open_cache(glance.path).scan().of_state(State.QUEUED)}
    assert (q[IDS[0]].modified_ts, q[IDS[0]].note, q[IDS[0]].position) == (
        1_700_000_000.0,
        None,
        1,
    )
    assert (q[IDS[1]].modified_ts, q[IDS[1]].note, q[IDS[1]].position) == (
        1_800_000_000.0,
        Note.SYMLINK,
        2,
    )


def test_a_link_to_a_directory_is_removed_as_a_link(glance: GlanceService, tmp_path: Path) -> None:
    glance.cache(IDS[0], b"a" * 10)
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "file").write_bytes(b"k")
    os.symlink(tmp_path / "keep", Path(glance.path, IDS[1]))
    os.symlink(tmp_path / "keep" / "file", Path(glance.path, IDS[2]))
    cache = open_cache(glance.path)
    links = [e for e in cache.scan().of_state(State.CACHED) if e.id != IDS[0]]
    result = actions.delete(cache, links)
    assert (result.done, result.bytes_freed, result.failures) == (2, 0, ())
    assert not os.path.lexists(Path(glance.path, IDS[1]))
    assert not os.path.lexists(Path(glance.path, IDS[2]))
    assert (tmp_path / "keep" / "file").read_bytes() == b"k"
