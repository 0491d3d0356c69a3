"""Words for what a job will do and did: confirmations' counts, results' sentences."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication

from inspector.core import Entry
from inspector.core.actions import JobResult
from inspector.report import formatting


def tr(text: str) -> str:
    return QCoreApplication.translate("PlanDialog", text)


def describe(entries: Sequence[Entry]) -> str:
    """``3 entries (1.2 GiB)``: what a confirmation names."""
    n = len(entries)
    size = sum(e.size for e in entries)
    noun = tr("entry") if n == 1 else tr("entries")
    return f"{n:,} {noun} ({formatting.size(size)})"


def named(entries: Sequence[Entry], limit: int = 5) -> str:
    """The first few ids, for a confirmation that names what goes."""
    ids = [e.id for e in entries[:limit]]
    more = tr(" and %s more") % f"{len(entries) - limit:,}" if len(entries) > limit else ""
    return ", ".join(ids) + more


def summarize_result(result: JobResult) -> str:
    """One sentence: entries done, bytes freed, failures, interruption, error."""
    verb = {
        "queue": tr("Queued"),
        "requeue": tr("Requeued"),
        "prune": tr("Pruned"),
        "clean": tr("Cleaned"),
        "export": tr("Exported"),
    }.get(result.action, tr("Deleted"))
    text = tr("%s %s of %s entries") % (verb, f"{result.done:,}", f"{result.total:,}")
    if result.bytes_freed:
        text += tr(", freeing %s") % formatting.size(result.bytes_freed)
    if result.gone:
        text += tr(" (%s were already gone)") % f"{result.gone:,}"
    text += "."
    if result.failures:
        text += " " + tr("%s failed: see the details.") % f"{len(result.failures):,}"
    if result.cancelled:
        text += " " + tr("Stopped before the end: the rest was left alone.")
    if result.error:
        text += " " + tr("Then it stopped: %s") % result.error
    return text
