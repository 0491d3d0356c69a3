"""Shared fixtures.  Qt runs headless: QT_QPA_PLATFORM=offscreen unless set."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from tests.glance_service import GlanceService, glance_available

pytest_plugins = ["tests.services.fixtures"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "/gui/" in str(item.path) or "tests/gui" in str(item.path):
            item.add_marker(pytest.mark.gui)
        # Tests that write their caches through the real Glance drivers, by the
        # fixture or by the module's own use of GlanceService.
        module = getattr(item, "module", None)
        if "glance" in getattr(item, "fixturenames", ()) or hasattr(module, "GlanceService"):
            item.add_marker(pytest.mark.glance)


@pytest.fixture(params=["sqlite", "xattr"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def glance(tmp_path: os.PathLike[str], kind: str) -> GlanceService:
    """A cache written by the real Glance driver of ``kind``."""
    if not glance_available():
        if os.environ.get("INSPECTOR_REQUIRE_GLANCE"):
            pytest.fail("glance==33.0.0 is not installed: run ./run test")
        pytest.skip("the real Glance drivers are not installed")
    return GlanceService(kind, os.path.join(tmp_path, "image-cache"))
