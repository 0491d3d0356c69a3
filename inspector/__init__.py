"""Cache Inspector: look inside Glance image caches and Filetracker stores."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cache-inspector")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
