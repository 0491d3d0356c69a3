"""Human-readable sizes and times, shared by the CLI and the GUI."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

import humanize

EPOCH = datetime.fromtimestamp(0, UTC)


def size(n: int | None) -> str:
    """``1.5 GiB``-style binary sizes, as Glance's own docs speak of them."""
    if n is None:
        return ""
    return str(humanize.naturalsize(n, binary=True, format="%.1f"))


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """``3 hours ago``; ``never`` for the epoch (Glance's "not accessed yet")."""
    if when is None:
        return ""
    if when == EPOCH:
        return "never"
    now = now or datetime.now(UTC)
    delta = now - when
    if delta.days >= 1:
        # Past a day humanize speaks in days, months and years only: one text
        # per day count, worth remembering when a table has 100,000 rows.
        return _days_ago(delta.days)
    return str(humanize.naturaltime(delta))


@functools.lru_cache(maxsize=4096)
def _days_ago(days: int) -> str:
    return str(humanize.naturaltime(timedelta(days=days)))


def duration(seconds: float) -> str:
    return str(humanize.naturaldelta(seconds))


def duration_spec(seconds: float) -> str:
    """The shortest ``24h``/``90m``/``2w`` text that parses back to ``seconds``."""
    s = int(seconds)
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if s and s % size == 0:
            return f"{s // size}{unit}"
    return f"{s}s"


def iso(when: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, or None."""
    if when is None:
        return None
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def exact_time(when: datetime | None) -> str:
    """A full local-independent timestamp for tooltips and tables."""
    if when is None:
        return ""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
