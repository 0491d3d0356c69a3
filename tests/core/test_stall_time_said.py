"""The stall time a node's glance-api.conf sets, as ``audit`` tells it: one unit."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from inspector.cli import main
from tests.glance_service import GlanceService
from tests.trust_caches import IN_FLIGHT, age, typical


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (1, "1 second"),
        (90, "90 seconds"),
        (120, "2 minutes"),
        (3600, "1 hour"),
        (172800, "2 days"),
    ],
)
def test_a_stalled_download_is_told_with_the_nodes_stall_time(
    tmp_path: Path, seconds: int, said: str
) -> None:
    glance = GlanceService("sqlite", str(tmp_path / "cache"))
    typical(glance)
    age(Path(glance.path, "incomplete", IN_FLIGHT), seconds + 3600 * 24 * 3)
    conf = tmp_path / "glance-api.conf"
    conf.write_text(
        f"[DEFAULT]\nimage_cache_driver = sqlite\nimage_cache_dir = {glance.path}\n"
        f"image_cache_stall_time = {seconds}\n"
    )
    out = io.StringIO()
    code = main(["audit", "--glance-config", str(conf), "--json"], out=out)
    assert code == 0
    assert json.loads(out.getvalue())["warnings"] == [
        "1 incomplete download(s) (9 bytes) stalled: not written for longer than the stall "
        f"time ({said}). The service's clean (or `clean`) removes them."
    ]
