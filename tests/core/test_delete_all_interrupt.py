"""``delete --all --state``, entry by entry on a local cache: Ctrl+C at the progress line
stops it between entries, in process (what was deleted stays deleted)."""

from __future__ import annotations

import io
import os

import pytest

from inspector.cli import main
from tests.core.cli_inprocess import CtrlCTerminal
from tests.glance_service import GlanceService
from tests.trust_caches import CACHED, data


@pytest.mark.parametrize("kind", ["sqlite", "xattr"])
def test_ctrl_c_stops_a_delete_of_a_whole_state_between_entries(
    glance: GlanceService, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n, image_id in enumerate(CACHED[:3]):
        glance.cache(image_id, data(n))
    terminal = CtrlCTerminal(on="Deleting")
    monkeypatch.setattr("sys.stderr", terminal)
    out = io.StringIO()
    argv = ["delete", glance.path, "--all", "--state", "cached", "--yes"]
    assert main(argv, out=out) == 1
    assert out.getvalue().startswith("Deleted 1 of 3, freed ")
    assert out.getvalue().endswith("; interrupted, the rest was left alone.\n")
    assert "Deleting… 1 of 3" in terminal.getvalue()
    assert len([n for n in os.listdir(glance.path) if n in CACHED]) == 2
