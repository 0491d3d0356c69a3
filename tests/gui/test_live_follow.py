"""A cache its service keeps changing is still shown: a change seen while a reading runs
waits for that reading to end, then the cache is read again (never cancelled for it)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import inspector.gui.cache.controller as controller_mod
from inspector.core import State
from inspector.gui import MainWindow

NEW_ID = "0f0f0f0f-1111-4222-8333-444444444444"


def test_a_change_during_a_reading_is_read_after_it_not_instead(
    make_window: Callable[..., MainWindow], demo: Path, qtbot: Any, monkeypatch: Any
) -> None:
    window = make_window(demo)
    real = controller_mod.prepare

    def slow(*args: Any) -> Any:
        time.sleep(1.5)  # a big cache: the reading outlasts the watcher's debounce
        return real(*args)

    monkeypatch.setattr(controller_mod, "prepare", slow)
    c = window.controller
    done: list[object] = []
    cancelled: list[bool] = []
    c.read_done.connect(done.append)
    c.read_cancelled.connect(lambda: cancelled.append(True))
    c.refresh()
    (demo / "queue" / NEW_ID).touch()  # Glance queues an image meanwhile
    qtbot.waitUntil(lambda: len(done) >= 2, timeout=20_000)
    assert cancelled == []  # the reading in flight was not thrown away
    queued = window.page.models[State.QUEUED]
    assert any(queued.entry(r).id == NEW_ID for r in range(queued.rowCount()))
