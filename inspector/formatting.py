"""Human-readable sizes and times, shared by the CLI and the GUI."""

from __future__ import annotations

from datetime import UTC, datetime

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
    return str(humanize.naturaltime(now - when))


def duration(seconds: float) -> str:
    return str(humanize.naturaldelta(seconds))


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
