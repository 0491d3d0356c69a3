"""Desktop integration: the launcher, the metainfo, the icons, the install step."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "io.github.cache_inspector.CacheInspector"
DESKTOP = ROOT / "packaging" / f"{APP_ID}.desktop"
METAINFO = ROOT / "packaging" / f"{APP_ID}.metainfo.xml"


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("INSPECTOR_REQUIRE_GLANCE"):  # ./run test installs the validators
            pytest.fail(f"{tool} is missing: ./run test installs it")
        pytest.skip(f"{tool} is not installed")
    return path


def test_desktop_file_validates() -> None:
    r = subprocess.run(
        [need("desktop-file-validate"), str(DESKTOP)], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == ""  # not even a hint


def test_metainfo_validates() -> None:
    r = subprocess.run(
        [need("appstreamcli"), "validate", "--no-net", str(METAINFO)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert f'<launchable type="desktop-id">{DESKTOP.name}</launchable>' in METAINFO.read_text()


def test_icons_at_every_hicolor_size() -> None:
    for size in (16, 22, 24, 32, 48, 64, 128, 256, 512):
        png = ROOT / "resources" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        image = QImage(str(png))
        assert (image.width(), image.height()) == (size, size), png


def test_action_icons_load(qapp: object) -> None:
    from inspector.gui.icons import app_icon, icon

    for name in (
        "open",
        "refresh",
        "delete",
        "requeue",
        "queue",
        "prune",
        "clean",
        "export",
        "statistics",
    ):
        assert not icon(name).pixmap(24).isNull(), name
    assert not app_icon().pixmap(64).isNull()


def test_install_step_puts_everything_in_place(tmp_path: Path) -> None:
    prefix = tmp_path / "prefix"
    r = subprocess.run(
        [str(ROOT / "packaging" / "install-desktop.sh"), str(prefix)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    share = prefix / "share"
    assert (share / "applications" / DESKTOP.name).read_text() == DESKTOP.read_text()
    assert (share / "metainfo" / METAINFO.name).exists()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").exists()
    assert (share / "icons" / "hicolor" / "48x48" / "apps" / f"{APP_ID}.png").exists()


@pytest.mark.parametrize("program", ["cache-inspector", "cache-inspector-cli"])
def test_version_comes_from_the_package_metadata(program: str) -> None:
    from importlib.metadata import version

    exe = Path(sys.executable).parent / program
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"{program} {version('cache-inspector')}"
