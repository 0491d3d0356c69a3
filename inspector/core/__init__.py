"""The Qt-free core: caches, their entries, and what can be done to them."""

from inspector.core.driver import CacheDriver, CacheOptions
from inspector.core.errors import (
    CacheBusyError,
    CacheError,
    CacheNotFoundError,
    CacheUnreadableError,
    CorruptDatabaseError,
    NotACacheError,
    ScanCancelled,
)
from inspector.core.model import STATES, Entry, Note, Snapshot, State
from inspector.core.registry import DRIVERS, detect_driver, open_cache
from inspector.core.summary import StateTotals, Summary, summarize

__all__ = [
    "DRIVERS",
    "STATES",
    "CacheBusyError",
    "CacheDriver",
    "CacheError",
    "CacheNotFoundError",
    "CacheOptions",
    "CacheUnreadableError",
    "CorruptDatabaseError",
    "Entry",
    "NotACacheError",
    "Note",
    "ScanCancelled",
    "Snapshot",
    "State",
    "StateTotals",
    "Summary",
    "detect_driver",
    "open_cache",
    "summarize",
]
