from __future__ import annotations

import pytest

from inspector.core.units import parse_duration, parse_size


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12345", 12345),
        ("10GiB", 10 * 1024**3),
        ("10G", 10 * 1024**3),
        ("500M", 500 * 1024**2),
        ("500MB", 500 * 1000**2),
        ("1.5 TiB", int(1.5 * 1024**4)),
        ("2k", 2048),
    ],
)
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "ten gigs", "-5G", "5X"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="is not a size"):
        parse_size(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("86400", 86400), ("24h", 86400), ("1d12h", 129600), ("90m", 5400), ("2w", 1209600)],
)
def test_parse_duration(text: str, expected: float) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "24x", "1h and a bit"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["9" * 309, "9" * 20, "8EiB", "100000000000GiB"])
def test_sizes_beyond_any_disk_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="larger than any disk"):
        parse_size(text)


def test_the_largest_size_is_exact() -> None:
    assert parse_size(str(2**63 - 1)) == 2**63 - 1
    assert parse_size("1.1KiB") == 1126  # Decimal arithmetic, no float rounding


@pytest.mark.parametrize("text", ["9" * 400, "101y", "40000d", "9" * 30 + "w"])
def test_durations_beyond_a_century_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"longer than a hundred years|is not a duration"):
        parse_duration(text)


def test_a_century_exactly_is_taken() -> None:
    assert parse_duration("36525d") == 100 * 365.25 * 86400
    with pytest.raises(ValueError, match="longer than a hundred years"):
        parse_duration("36525d1s")


def test_mixed_units_and_cases() -> None:
    assert parse_duration("1D 12H") == 129600
    assert parse_duration("1.5h") == 5400
    assert parse_duration(" 30 ") == 30
    assert parse_size("1kB") == 1000
    assert parse_size("1KiB") == 1024
    assert parse_size(" 3 ") == 3


def test_long_input_is_quoted_short() -> None:
    text = "x" * 41
    with pytest.raises(ValueError) as info:
        parse_size(text)
    assert (
        str(info.value)
        == f"{'x' * 37 + '...'!r} is not a size (try 10GiB, 500M or a number of bytes)."
    )
    forty = "y" * 40
    with pytest.raises(ValueError) as info:
        parse_duration(forty)
    assert str(info.value) == f"{forty!r} is not a duration (try 24h, 90m, 1d12h or seconds)."
