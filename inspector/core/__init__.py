"""The Qt-free core: caches, their entries, and what can be done to them."""

from inspector.core.drivers.base import Action, CacheDriver, Capabilities, IdRule
from inspector.core.drivers.registry import DRIVERS, KINDS, detect, open_source
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
from inspector.core.session import Limits, Reading, limits_for, open_cache, read
from inspector.core.source import CacheOptions, CacheSource
from inspector.core.summary import StateTotals, Summary, summarize

__all__ = [
    "DRIVERS",
    "KINDS",
    "STATES",
    "Action",
    "CacheBusyError",
    "CacheDriver",
    "CacheError",
    "CacheNotFoundError",
    "CacheOptions",
    "CacheSource",
    "CacheUnreadableError",
    "Capabilities",
    "CorruptDatabaseError",
    "Entry",
    "IdRule",
    "Limits",
    "NotACacheError",
    "Note",
    "Reading",
    "ScanCancelled",
    "Snapshot",
    "State",
    "StateTotals",
    "Summary",
    "detect",
    "limits_for",
    "open_cache",
    "open_source",
    "read",
    "summarize",
]
