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
