"""Sizes and durations as people type them: ``10GiB``, ``500M``, ``24h``."""

from __future__ import annotations

import re

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtpe]?)(i?)(b?)\s*$", re.IGNORECASE)
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_size(text: str) -> int:
    """Bytes from ``12345``, ``500M``, ``500MB``, ``10GiB``, ``1.5T``.

    A bare suffix (``M``) and ``MiB`` are binary (1024-based), as Glance's own
    sizes are; ``MB`` with a ``B`` and no ``i`` is decimal.
    """
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a size (try 10GiB, 500M or a number of bytes).")
    number, unit, binary, b = m.groups()
    power = _POWERS[unit.lower()]
    base = 1000 if (unit and b and not binary) else 1024
    return int(float(number) * base**power)


def parse_duration(text: str) -> float:
    """Seconds from ``86400``, ``24h``, ``1d12h``, ``90m``, ``2w``."""
    s = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return float(s)
    parts = _DURATION.findall(s)
    if not parts or _DURATION.sub("", s).strip():
        raise ValueError(f"{text!r} is not a duration (try 24h, 90m, 1d12h or seconds).")
    return sum(float(n) * _SECONDS[u.lower()] for n, u in parts)
