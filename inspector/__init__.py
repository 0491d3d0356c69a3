"""Cache Inspector: look inside Glance image caches and Filetracker stores."""

from __future__ import annotations

import functools

__all__ = ["__version__", "version"]


@functools.cache
def version() -> str:
    """The installed package's version (read from its metadata once, when asked)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("cache-inspector")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> str:
    # ``inspector.__version__`` without importing importlib.metadata at start-up
    # (40 ms of every CLI run that never prints it).
    if name == "__version__":
        return version()
    raise AttributeError(f"module 'inspector' has no attribute {name!r}")
