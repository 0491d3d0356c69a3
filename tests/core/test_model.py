"""The entry model's fast constructor is the dataclass's constructor, faster."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from inspector.core.model import Entry, Note, State, make_entry, note_text


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("a", State.CACHED, 1), {}),
        (("a", State.CACHED, 1, 5, 1.5, 2.5, "md5"), {"note": Note.SYMLINK}),
        (("q", State.QUEUED, 0), {"modified_ts": 3.0, "position": 7}),
        (("b", State.INVALID, 9), {"error": "checksum mismatch"}),
        (("c", State.CACHED, 4), {"name": "cirros", "image_status": "deleted"}),
    ],
)
def test_make_entry_equals_entry(args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    fast, real = make_entry(*args, **kwargs), Entry(*args, **kwargs)  # type: ignore[arg-type]
    assert type(fast) is Entry
    assert fast == real
    assert pickle.loads(pickle.dumps(fast)) == real
    assert hash(fast) == hash(real)
    assert repr(fast) == repr(real)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.size = 0  # type: ignore[misc]


def test_make_entry_knows_every_field() -> None:
    names = [f.name for f in dataclasses.fields(Entry)]
    values = {n: f"v-{n}" for n in names}
    e = make_entry(**values)
    assert {n: getattr(e, n) for n in names} == values
    with pytest.raises(TypeError):
        make_entry("a", State.CACHED)  # size is required, as in Entry


def test_a_new_fast_constructor_equals_the_dataclass() -> None:
    """The generator itself, run now, builds ``Entry(...)`` for every field and default."""
    from inspector.core.model import _fast_constructor

    make = _fast_constructor(Entry)
    values = {f.name: f"v-{f.name}" for f in dataclasses.fields(Entry)}
    assert make(**values) == Entry(**values)  # type: ignore[arg-type]
    minimal = make("a", State.CACHED, 1)
    assert minimal == Entry("a", State.CACHED, 1)
    assert minimal.bad_fields == () and minimal.hits is None and minimal.note is None
    with pytest.raises(TypeError):
        make("a", State.CACHED)
    with pytest.raises(dataclasses.FrozenInstanceError):
        minimal.id = "b"  # type: ignore[misc]


def test_a_note_names_every_damaged_field_and_a_missing_file_first() -> None:
    """As ``list`` and the records say it."""
    damaged = make_entry("a", State.CACHED, 1, note=Note.BAD_VALUE, bad_fields=("hits", "size"))
    assert note_text(damaged) == "metadata value the service never writes: hits, size"
    gone = dataclasses.replace(damaged, note=Note.ROW_WITHOUT_FILE)
    assert note_text(gone) == (
        "metadata row without a file; metadata value the service never writes: hits, size"
    )
    assert note_text(make_entry("b", State.CACHED, 1, note=Note.SYMLINK)) == "symbolic link"
    assert note_text(make_entry("c", State.CACHED, 1)) is None
