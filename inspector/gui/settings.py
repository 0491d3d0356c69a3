"""What the window remembers, in QSettings: per cache source, and for the program.

A cache is remembered by its source's settings key (no secret is part of
it), its limits fall back to the kind's own defaults, and the recent list
keeps only what can be reopened without a secret: a directory, or the
glance-api.conf it was read from, never a database URL.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow

from inspector.core import CacheSource, Limits

if TYPE_CHECKING:
    from inspector.gui.cache.page import CachePage

MAX_RECENT = 10
#: A recent entry read from a glance-api.conf starts with this.
CONFIG_PREFIX = "config:"


def _number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def recent_text(source: CacheSource) -> str | None:
    """How ``source`` is kept in the recent list (None: it cannot be kept safely)."""
    if source.config is not None:
        return CONFIG_PREFIX + str(source.config)
    if source.path is not None and source.db_url is None and source.api is None:
        return str(source.path)
    return None


def source_of_recent(text: str) -> CacheSource:
    """The source a recent-list entry names."""
    if text.startswith(CONFIG_PREFIX):
        return CacheSource(config=Path(text[len(CONFIG_PREFIX) :]))
    return CacheSource.at(text)


class Settings:
    """The program's QSettings, with names for what it keeps."""

    def __init__(self, settings: QSettings) -> None:
        self.qs = settings

    # -- per cache -------------------------------------------------------------

    @staticmethod
    def _key(source: CacheSource, name: str) -> str:
        # The same cache whether its kind was detected or named (--driver).
        return f"caches/{replace(source, kind=None).settings_key()}/{name}"

    def limits(self, source: CacheSource, defaults: Limits) -> Limits:
        """The limits the user set for ``source``, else ``defaults`` (the service's)."""
        size = _number(self.qs.value(self._key(source, "max_size")))
        stall = _number(self.qs.value(self._key(source, "stall_time")))
        return Limits(
            int(size) if size is not None else defaults.max_size,
            stall if stall is not None else defaults.stall_time,
        )

    def set_max_size(self, source: CacheSource, value: int) -> None:
        self.qs.setValue(self._key(source, "max_size"), str(value))

    def set_stall_time(self, source: CacheSource, value: float) -> None:
        self.qs.setValue(self._key(source, "stall_time"), str(value))

    # -- the program -------------------------------------------------------------

    def recent(self) -> list[str]:
        value = self.qs.value("recent_caches", [])
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [str(v) for v in value]
        return []

    def add_recent(self, source: CacheSource) -> None:
        text = recent_text(source)
        if text is None:
            return
        items = [text] + [p for p in self.recent() if p != text]
        self.qs.setValue("recent_caches", items[:MAX_RECENT])
        self.qs.setValue("last_cache", text)

    def clear_recent(self) -> None:
        self.qs.setValue("recent_caches", [])

    def last(self) -> str | None:
        value = self.qs.value("last_cache")
        return str(value) if value else None

    def value(self, name: str) -> object:
        return self.qs.value(name)

    def set_value(self, name: str, value: object) -> None:
        self.qs.setValue(name, value)

    def sync(self) -> None:
        self.qs.sync()


def restore_window_state(settings: Settings, window: QMainWindow, page: CachePage) -> None:
    """Geometry, toolbars, each table's columns and sort, and the last tab."""
    geometry = settings.value("window/geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)  # type: ignore[arg-type]
    else:
        window.resize(1200, 760)
    state = settings.value("window/state")
    if state is not None:
        window.restoreState(state)  # type: ignore[arg-type]
    for s, view in page.views.items():
        view.restore_header(settings.value(f"tables/{s}/header"))
    with contextlib.suppress(TypeError, ValueError):
        page.tabs.setCurrentIndex(int(settings.value("window/tab") or 0))  # type: ignore[call-overload]


def save_window_state(settings: Settings, window: QMainWindow, page: CachePage) -> None:
    settings.set_value("window/geometry", window.saveGeometry())
    settings.set_value("window/state", window.saveState())
    settings.set_value("window/tab", page.tabs.currentIndex())
    for s, view in page.views.items():
        settings.set_value(f"tables/{s}/header", view.horizontalHeader().saveState())
    settings.sync()
