"""The program's icons, shipped in the package as ``inspector.resources``."""

from __future__ import annotations

import functools
import logging
from importlib.resources import files
from importlib.resources.abc import Traversable

from PySide6.QtGui import QIcon

log = logging.getLogger(__name__)

APP_ID = "io.github.cache_inspector.CacheInspector"


@functools.cache
def resources() -> Traversable:
    """Where the icons are: the ``inspector.resources`` package (the top-level
    ``resources/`` of the source tree), or ``inspector/resources`` in a bundle."""
    try:
        return files("inspector.resources")
    except ModuleNotFoundError:
        return files("inspector") / "resources"


def _file(*parts: str) -> str | None:
    path = resources()
    for part in parts:  # one at a time: 3.11's MultiplexedPath.joinpath takes one
        path = path / part
    if not path.is_file():
        log.warning("missing icon file %s", "/".join(parts))
        return None
    return str(path)


@functools.cache
def icon(name: str) -> QIcon:
    """An action icon by name (``refresh``, ``delete``, ...)."""
    path = _file("icons", f"{name}.svg")
    return QIcon(path) if path else QIcon()


@functools.cache
def app_icon() -> QIcon:
    """The application icon: the SVG, plus the rendered sizes for small ones."""
    svg = _file("cache-inspector.svg")
    result = QIcon(svg) if svg else QIcon()
    for size in (16, 22, 24, 32, 48, 64, 128, 256):
        png = _file("hicolor", f"{size}x{size}", "apps", f"{APP_ID}.png")
        if png:
            result.addFile(png)
    return result
