"""The edges of reading a cache Glance wrote: every value at its limits, every count told.

Rows are Glance's own (its driver inserts them), then changed with SQL the
way damage or an old release leaves them; what the scan shows is checked value
by value, with the warning the user reads.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inspector.core import State, open_cache
from inspector.core.drivers import base as driver_base
from inspector.core.drivers.glance.sqlite import MAX_TIMESTAMP
from inspector.core.errors import (
    CacheUnreadableError,
    CorruptDatabaseError,
    NotACacheError,
    QueueRefusedError,
    reason_of,
)
from inspector.core.model import Note, note_text
from tests.glance_service import GlanceService

IDS = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(1, 10)]
SQLITE = pytest.mark.parametrize("kind", ["sqlite"])


def set_row(glance: GlanceService, image_id: str, **values: object) -> None:
    for column, value in values.items():
        glance.sql(f"UPDATE cached_images SET {column} = ? WHERE image_id = ?", value, image_id)


def by_id(glance: GlanceService) -> dict[str, object]:
    return {e.id: e for e in open_cache(glance.path).scan().of_state(State.CACHED)}


@SQLITE
@pytest.mark.parametrize("with_file", [True, False], ids=["file", "row-only"])
def test_times_at_their_limits(glance: GlanceService, with_file: bool) -> None:
    """0 (legacy rows) and the last second before year 10000 are Glance's; past it is damage."""
    last = MAX_TIMESTAMP - 1
    cases = {
        IDS[0]: dict(last_accessed=0, last_modified=0.0),
        IDS[1]: dict(last_accessed=last, last_modified=last),
        IDS[2]: dict(last_accessed=MAX_TIMESTAMP),
        IDS[3]: dict(last_modified=MAX_TIMESTAMP),
        IDS[4]: dict(last_accessed=-1.0),
        IDS[5]: dict(last_modified="today"),
        IDS[6]: dict(hits=-1),
        IDS[7]: dict(hits=2.5),
    }
    for image_id, values in cases.items():
        glance.cache(image_id, b"x" * 10)
        set_row(glance, image_id, last_accessed=100.0, last_modified=200.0, hits=3, size=999)
        set_row(glance, image_id, **values)
        if not with_file:
            os.unlink(Path(glance.path, image_id))
    e = by_id(glance)
    got = {i: (e[i].accessed_ts, e[i].modified_ts, e[i].hits, e[i].bad_fields) for i in cases}
    assert got == {
        IDS[0]: (0.0, 0.0, 3, ()),
        IDS[1]: (last, last, 3, ()),
        IDS[2]: (None, 200.0, 3, ("last_accessed",)),
        IDS[3]: (100.0, None, 3, ("last_modified",)),
        IDS[4]: (None, 200.0, 3, ("last_accessed",)),
        IDS[5]: (100.0, None, 3, ("last_modified",)),
        IDS[6]: (100.0, 200.0, None, ("hits",)),
        IDS[7]: (100.0, 200.0, None, ("hits",)),
    }
    for i in IDS[2:8]:  # damaged; without its file, a row without a file first of all
        assert e[i].note is (Note.BAD_VALUE if with_file else Note.ROW_WITHOUT_FILE)
    if with_file:
        assert note_text(e[IDS[6]]) == "metadata value the service never writes: hits"
        assert e[i].size == (10 if with_file else 999)  # the file's size, where there is one
    for i in IDS[:2]:
        assert e[i].note is (None if with_file else Note.ROW_WITHOUT_FILE)
        assert e[i].size == (10 if with_file else 999)


@SQLITE
def test_rows_without_files_take_their_size_from_the_row(glance: GlanceService) -> None:
    for image_id in IDS[:4]:
        glance.cache(image_id, b"x" * 10)
        os.unlink(Path(glance.path, image_id))
    glance.cache(IDS[4], b"x" * 10)
    os.unlink(Path(glance.path, IDS[4]))
    set_row(glance, IDS[4], size=0)  # an empty image: no damage
    set_row(glance, IDS[0], size=1234, checksum="abc")
    set_row(glance, IDS[1], size=-5)
    set_row(glance, IDS[2], size="big")
    set_row(glance, IDS[3], size=2.5, checksum=b"\x00\x01")
    e = by_id(glance)
    assert (e[IDS[0]].size, e[IDS[0]].checksum, e[IDS[0]].note) == (
        1234,
        "abc",
        Note.ROW_WITHOUT_FILE,
    )
    assert e[IDS[0]].bad_fields == ()
    for i in IDS[1:4]:  # damaged, and frees nothing: no file
        assert (e[i].size, e[i].bad_fields, e[i].note) == (0, ("size",), Note.ROW_WITHOUT_FILE)
        # as `list` and the records say it: both
        assert note_text(e[i]) == (
            "metadata row without a file; metadata value the service never writes: size"
        )
    assert note_text(e[IDS[0]]) == "metadata row without a file"
    assert e[IDS[3]].checksum is None  # a blob is no checksum Glance writes; not shown
    assert (e[IDS[4]].size, e[IDS[4]].bad_fields, e[IDS[4]].note) == (
        0,
        (),
        Note.ROW_WITHOUT_FILE,
    )


@SQLITE
def test_the_damage_warning_names_three_rows_and_counts_the_rest(glance: GlanceService) -> None:
    for n, image_id in enumerate(IDS[:5]):
        glance.cache(image_id, b"x" * 10)
        set_row(glance, image_id, hits="h" * (30 + n))
        os.unlink(Path(glance.path, image_id))  # rows alone are read in table order
    set_row(glance, IDS[0], last_modified="m", hits=1)
    [warning] = open_cache(glance.path).scan().warnings
    shown = [repr("h" * (30 + n)) for n in range(5)]
    assert shown[1] == "'" + "h" * 31 + "'"  # 33 characters: shown whole
    assert len(repr("h" * 38)) == 40
    long = repr("h" * 39)[:37] + "..."
    assert warning == (
        f"{glance.driver.db_path} holds values Glance never writes in 5 row(s): "
        f"{IDS[0]}: last_modified 'm'; {IDS[1]}: hits {shown[1]}; {IDS[2]}: hits {shown[2]}"
        " and 2 more. They are shown as unknown; the rest of the cache reads as usual."
    )
    set_row(glance, IDS[4], hits=3)
    [warning] = open_cache(glance.path).scan().warnings
    assert warning.endswith(
        f"{IDS[2]}: hits {shown[2]} and 1 more. They are shown as unknown; the rest of the "
        "cache reads as usual."
    )
    set_row(glance, IDS[3], hits=3)
    set_row(glance, IDS[4], hits="h" * 39)
    set_row(glance, IDS[1], hits="h" * 38, last_accessed="a")
    set_row(glance, IDS[2], hits=3)
    [warning] = open_cache(glance.path).scan().warnings
    assert warning == (
        f"{glance.driver.db_path} holds values Glance never writes in 3 row(s): "
        f"{IDS[0]}: last_modified 'm'; {IDS[1]}: last_accessed 'a', hits {'h' * 38!r}; "
        f"{IDS[4]}: hits {long}. They are shown as unknown; the rest of the cache reads as usual."
    )


def test_progress_counts_every_entry(
    glance: GlanceService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Told every few entries and once at the end, with the count of all entries seen."""
    monkeypatch.setattr(driver_base, "PROGRESS_EVERY", 3)
    for image_id in IDS[:5]:
        glance.cache(image_id, b"x")
    glance.fail(IDS[5], b"y", "checksum mismatch")
    assert glance.queue(IDS[6])
    if glance.kind == "sqlite":  # two rows whose files are gone: entries too
        os.unlink(Path(glance.path, IDS[0]))
        os.unlink(Path(glance.path, IDS[1]))
    told: list[int] = []

    def progress(n: int) -> None:
        told.append(n)

    snap = open_cache(glance.path).scan(progress)
    count = len(snap.entries)
    assert count == 7
    # Each time the count passes a multiple of three, and at the end.
    assert told == [3, 6, count]


# -- queue --------------------------------------------------------------------------


def test_queue_refusals_say_why(glance: GlanceService) -> None:
    glance.cache(IDS[0], b"a")
    glance.start(IDS[1], b"b")
    assert glance.queue(IDS[2])
    cache = open_cache(glance.path)
    for image_id, why in [
        (IDS[0], "is already cached."),
        (IDS[1], "is already being written to the cache."),
        (IDS[2], "is already queued."),
    ]:
        with pytest.raises(QueueRefusedError) as info:
            cache.queue_image(image_id)
        assert str(info.value) == f"{image_id} {why}"
    os.symlink(Path(glance.path, "nowhere"), Path(glance.path, IDS[3]))
    with pytest.raises(QueueRefusedError, match="is already cached"):
        cache.queue_image(IDS[3])  # a dangling link there is an entry the user sees


@SQLITE
def test_queue_without_an_incomplete_directory(glance: GlanceService) -> None:
    Path(glance.path, "incomplete").rmdir()
    cache = open_cache(glance.path)
    cache.queue_image(IDS[0])  # the queue is still checked, and then written
    assert glance.queued() == [IDS[0]]
    with pytest.raises(QueueRefusedError, match="is already queued"):
        cache.queue_image(IDS[0])


@SQLITE
@pytest.mark.parametrize("sub", ["incomplete", "queue"])
def test_queue_refuses_a_symlinked_state_directory(
    glance: GlanceService, tmp_path: Path, sub: str
) -> None:
    where = Path(glance.path, sub)
    where.rmdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, where)
    cache = open_cache(glance.path)
    with pytest.raises(CacheUnreadableError) as info:
        cache.queue_image(IDS[0])
    assert str(info.value) == (
        f"{where} is a symbolic link (to {elsewhere}), not Glance's own directory: "
        "its files are not shown, and nothing in it is changed."
    )
    assert os.listdir(elsewhere) == []


@SQLITE
def test_queue_when_glance_has_no_queue_directory(glance: GlanceService) -> None:
    Path(glance.path, "queue").rmdir()
    cache = open_cache(glance.path)
    for attempt in (lambda: cache.queue_image(IDS[0]), lambda: cache.reserve_queue(IDS[0])):
        with pytest.raises(CacheUnreadableError) as info:
            attempt()
        assert str(info.value) == (
            f"{Path(glance.path, 'queue')} is missing: Glance creates it when it starts."
        )


@SQLITE
def test_queue_into_a_file_where_the_directory_should_be(glance: GlanceService) -> None:
    queue = Path(glance.path, "queue")
    queue.rmdir()
    queue.write_bytes(b"")
    cache = open_cache(glance.path)
    with pytest.raises(CacheUnreadableError) as info:
        cache.queue_image(IDS[0])
    assert str(info.value) == f"{queue} is not a directory: nothing in it is shown or changed."


@SQLITE
def test_reserve_and_release_a_queue_file(glance: GlanceService) -> None:
    glance.cache(IDS[0], b"a")
    cache = open_cache(glance.path)
    assert cache.reserve_queue(IDS[0]) is True  # cached: reserve takes it all the same
    assert glance.queued() == [IDS[0]]
    assert cache.reserve_queue(IDS[0]) is False  # queued already: nothing made
    cache.release_queue(IDS[0])
    assert glance.queued() == []
    cache.release_queue(IDS[0])  # gone already: nothing to do


@SQLITE
def test_queue_files_belong_to_the_directory_owner(glance: GlanceService) -> None:
    """Run as root, the queue file is given to Glance's user, who must be able to remove it."""
    if os.geteuid() != 0:
        pytest.skip("giving a file away needs root")
    queue = Path(glance.path, "queue")
    os.chown(queue, 4242, 4343)
    old = os.umask(0o022)
    try:
        open_cache(glance.path).queue_image(IDS[0])
    finally:
        os.umask(old)
    st = (queue / IDS[0]).stat()
    assert (st.st_uid, st.st_gid) == (4242, 4343)
    assert st.st_mode & 0o777 == 0o644  # 0o666 less the umask, as Glance's own files
    assert st.st_size == 0


def test_reason_of_an_os_error_is_its_text() -> None:
    assert reason_of(OSError(2, "No such file or directory")) == "No such file or directory"
    assert reason_of(OSError("no errno")) == "no errno"
    assert reason_of(ValueError("bad")) == "bad"


@SQLITE
def test_a_cached_images_table_of_another_shape_is_refused(glance: GlanceService) -> None:
    glance.cache(IDS[0], b"a")
    glance.sql("ALTER TABLE cached_images RENAME TO old_cached_images")
    glance.sql("CREATE TABLE cached_images (image_id TEXT PRIMARY KEY, seen REAL)")
    glance.sql("INSERT INTO cached_images VALUES (?, 1.0)", IDS[0])
    with pytest.raises(CorruptDatabaseError) as info:
        open_cache(glance.path).scan()
    assert str(info.value) == (
        f"{glance.driver.db_path} is not a usable Glance cache database: "
        "no such column: last_accessed."
    )


@pytest.mark.parametrize("kind", ["xattr"])
def test_a_renamed_database_beside_glances_directories_is_named(glance: GlanceService) -> None:
    glance.cache(IDS[0], b"a")
    Path(glance.path, "glance-cache.db").write_bytes(b"")
    with pytest.raises(NotACacheError) as info:
        open_cache(glance.path)
    assert str(info.value) == (
        f"{glance.path} has no cache.db but holds glance-cache.db: if that is Glance's "
        "sqlite database under another name (image_cache_sqlite_db), open it with "
        "--sqlite-db glance-cache.db."
    )
