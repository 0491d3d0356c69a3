"""The entry model's fast constructor is the dataclass's constructor, faster."""

from __future__ import annotations

import dataclasses

import pytest

from inspector.core.model import Entry, Note, State, make_entry


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
    assert fast == real
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
