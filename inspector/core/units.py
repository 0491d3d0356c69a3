"""Sizes and durations as people type them: ``10GiB``, ``500M``, ``24h``."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtpe]?)(i?)(b?)\s*$", re.IGNORECASE)
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

#: The largest size taken: 8 EiB, more than any disk (and than a signed 64-bit
#: byte count, which is what databases and filesystems keep).
MAX_SIZE = 2**63 - 1
#: The longest duration taken: a hundred years.
MAX_DURATION = 100 * 365.25 * 86400


def parse_size(text: str) -> int:
    """Bytes from ``12345``, ``500M``, ``500MB``, ``10GiB``, ``1.5T``.

    A bare suffix (``M``) and ``MiB`` are binary (1024-based), as Glance's own
    sizes are; ``MB`` with a ``B`` and no ``i`` is decimal.  Computed exactly
    (no float rounding); a size beyond any disk is refused.
    """
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"{_shown(text)} is not a size (try 10GiB, 500M or a number of bytes).")
    number, unit, binary, b = m.groups()
    power = _POWERS[unit.lower()]
    base = 1000 if (unit and b and not binary) else 1024
    if len(number) > 40:  # no disk needs 40 digits; keeps Decimal's work bounded
        raise ValueError(f"{_shown(text)} is larger than any disk (sizes stop below 8 EiB).")
    value = int(Decimal(number) * base**power)
    if value > MAX_SIZE:
        raise ValueError(f"{_shown(text)} is larger than any disk (sizes stop below 8 EiB).")
    return value


def parse_duration(text: str) -> float:
    """Seconds from ``86400``, ``24h``, ``1d12h``, ``90m``, ``2w``; at most a century."""
    s = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        parts = [(s, "s")]
    else:
        parts = _DURATION.findall(s)
        if not parts or _DURATION.sub("", s).strip():
            raise ValueError(f"{_shown(text)} is not a duration (try 24h, 90m, 1d12h or seconds).")
    try:
        total = sum(Decimal(n) * _SECONDS[u.lower()] for n, u in parts)
    except InvalidOperation:  # pragma: no cover - the patterns admit only digits
        raise ValueError(f"{_shown(text)} is not a duration.") from None
    if total > Decimal(MAX_DURATION):
        raise ValueError(f"{_shown(text)} is longer than a hundred years.")
    return float(total)


def _shown(text: str) -> str:
    """The user's text, quoted and cut short when it is very long."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


def describe_duration(seconds: float) -> str:
    """``24 hours``, ``90 minutes``, ``1 day``: a whole unit when one fits, else seconds."""
    s = round(seconds)
    for size, name in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if s >= size and s % size == 0:
            n = s // size
            return f"{n} {name}{'' if n == 1 else 's'}"
    return f"{s} second{'' if s == 1 else 's'}"
