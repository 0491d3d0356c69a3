"""What the user is told when Glance holds one of its cache locks for longer than the wait.

Each of Glance's locks names what Glance is doing; a lock of another name says
only that Glance holds it.  The lock is held here by this process itself (the
inspector's own guard refuses a second holder as Glance's lock would).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.core.drivers.glance import locks
from inspector.core.errors import CacheBusyError


@pytest.mark.parametrize(
    ("name", "doing"),
    [
        (locks.PRUNE_LOCK, "pruning this cache"),
        (locks.CLEAN_LOCK, "cleaning this cache"),
        (locks.PREFETCH_LOCK, "prefetching into this cache"),
        (locks.MIGRATE_LOCK, "migrating this cache's sqlite rows"),
        ("glance-something-else", "holding it"),
    ],
)
def test_a_lock_held_too_long_says_what_glance_is_doing(
    tmp_path: Path, name: str, doing: str
) -> None:
    with (
        locks.glance_lock(tmp_path, name),
        pytest.raises(CacheBusyError) as caught,
        locks.glance_lock(tmp_path, name, wait=0.05),
    ):
        pytest.fail("the lock was taken twice")
    assert str(caught.value) == (
        f"Glance is {doing} (it has held {tmp_path / name} for over 0.05 s): nothing was "
        "changed; try again when it is done."
    )
