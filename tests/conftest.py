"""Shared fixtures.  Qt runs headless: QT_QPA_PLATFORM=offscreen unless set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from tests.glance_service import GlanceService, glance_available
from tests.mutation_scope import deselect_service_variants

pytest_plugins = ["tests.services.fixtures", "tests.mutation_order"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "/gui/" in str(item.path) or "tests/gui" in str(item.path):
            item.add_marker(pytest.mark.gui)
        # Tests that write their caches through the real Glance drivers, by the
        # fixture or by the module's own use of GlanceService.
        module = getattr(item, "module", None)
        if "glance" in getattr(item, "fixturenames", ()) or hasattr(module, "GlanceService"):
            item.add_marker(pytest.mark.glance)
    deselect_service_variants(config, items)


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


@pytest.fixture(autouse=True, scope="session")
def _private_state_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No test writes the journal of changes into the real home: XDG_STATE_HOME is private.

    Set in ``os.environ`` for the whole session (before any fixture of a wider
    scope runs a change), so the CLI run as a subprocess inherits it too.
    """
    state = tmp_path_factory.mktemp("xdg-state")
    old = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(state)
    try:
        yield state
    finally:
        if old is None:
            os.environ.pop("XDG_STATE_HOME", None)
        else:
            os.environ["XDG_STATE_HOME"] = old


@pytest.fixture
def journal_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A journal of this test's own (``XDG_STATE_HOME`` under ``tmp_path``): its path."""
    state = tmp_path / "xdg-state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state / "cache-inspector" / "journal.jsonl"
