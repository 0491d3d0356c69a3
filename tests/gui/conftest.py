"""GUI fixtures: isolated QSettings, real windows that are shut down after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, QThread

from inspector.core.demo import DemoSpec, build_demo_cache
from inspector.gui import MainWindow

SPEC = DemoSpec(cached=60, queued=6, incomplete=4, stalled=2, invalid=3)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return build_demo_cache(tmp_path / "demo-cache", "sqlite", SPEC)


@pytest.fixture
def make_window(qtbot: Any, settings: QSettings) -> Iterator[Callable[..., MainWindow]]:
    windows: list[MainWindow] = []

    def make(path: str | Path | None = None, wait: bool = True, **kwargs: Any) -> MainWindow:
        kwargs.setdefault("settings", settings)
        if path is not None and wait:
            window = MainWindow(None, **kwargs)
            qtbot.addWidget(window)
            windows.append(window)
            with qtbot.waitSignal(window.refreshed, timeout=10_000):
                window.open_cache(path)
        else:
            window = MainWindow(path, **kwargs)
            qtbot.addWidget(window)
            windows.append(window)
        return window

    yield make
    for w in windows:
        w.shutdown()
        # No worker may outlive its window.
        assert not w.runner.active()
    assert QThread.currentThread().isMainThread() if hasattr(QThread, "isMainThread") else True
