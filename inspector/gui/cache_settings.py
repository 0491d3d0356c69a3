"""Settings remembered per cache and for the program, in QSettings."""

from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QSettings

DEFAULT_MAX_SIZE = 10 * 1024**3  # Glance's image_cache_max_size
DEFAULT_STALL_TIME = 86400.0  # Glance's image_cache_stall_time
MAX_RECENT = 10


def _key(path: Path, name: str) -> str:
    digest = hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:16]
    return f"caches/{digest}/{name}"


def _number(value: object, default: float) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


class CacheSettings:
    def __init__(self, settings: QSettings) -> None:
        self.qs = settings

    def max_size(self, path: Path) -> int:
        return int(_number(self.qs.value(_key(path, "max_size")), DEFAULT_MAX_SIZE))

    def set_max_size(self, path: Path, value: int) -> None:
        self.qs.setValue(_key(path, "max_size"), str(value))

    def stall_time(self, path: Path) -> float:
        return _number(self.qs.value(_key(path, "stall_time")), DEFAULT_STALL_TIME)

    def set_stall_time(self, path: Path, value: float) -> None:
        self.qs.setValue(_key(path, "stall_time"), str(value))

    def recent(self) -> list[str]:
        value = self.qs.value("recent_caches", [])
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [str(v) for v in value]
        return []

    def add_recent(self, path: Path) -> None:
        items = [str(path)] + [p for p in self.recent() if p != str(path)]
        self.qs.setValue("recent_caches", items[:MAX_RECENT])

    def clear_recent(self) -> None:
        self.qs.setValue("recent_caches", [])
