"""Text for people: the tables and sentences the CLI prints without --json."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from inspector.core import Entry, IdRule, Reading, State
from inspector.core.actions import JobResult, Plan
from inspector.core.model import note_text
from inspector.core.source import redact_url
from inspector.core.stats import Bin, Statistics
from inspector.core.tree import Folder
from inspector.report import formatting


def table(rows: list[list[str]], right: frozenset[int] = frozenset()) -> str:
    """Columns padded to their widest cell; ``right`` columns aligned right."""
    if not rows:
        return ""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip() + "\n")
    return "".join(lines)


def hits_cell(e: Entry) -> str:
    if e.state is not State.CACHED:
        return ""
    return "?" if e.hits is None else str(e.hits)


#: Columns of a kind's own table (``Capabilities.columns``): header, right-aligned.
COLUMNS: dict[str, tuple[str, bool]] = {
    "state": ("STATE", False),
    "id": ("ID", False),
    "version": ("VERSION", True),
    "size": ("SIZE", True),
    "hits": ("HITS", True),
    "links": ("LINKS", True),
    "locked": ("LOCKED", False),
    "last_accessed": ("LAST ACCESSED", False),
    "last_modified": ("LAST MODIFIED", False),
    "note": ("NOTE", False),
}


def _cell(e: Entry, column: str, now: datetime) -> str:
    if column == "state":
        return str(e.state)
    if column == "id":
        return e.id
    if column == "size":
        return formatting.size(e.size)
    if column == "hits":
        return hits_cell(e)
    if column == "last_accessed":
        return formatting.ago(e.last_accessed, now)
    if column == "last_modified":
        return formatting.ago(e.last_modified, now)
    if column == "locked":
        return {True: "locked", False: "", None: "?"}[e.locked]
    if column == "note":
        return str(e.note) if e.note else ""
    value = getattr(e, column)
    return "" if value is None else str(value)


def kind_table(entries: Sequence[Entry], columns: Sequence[str]) -> str:
    """Entries with a kind's own columns (those of :data:`COLUMNS` among ``columns``)."""
    now = datetime.now(UTC)
    shown = [c for c in columns if c in COLUMNS]
    rows = [[COLUMNS[c][0] for c in shown]]
    rows.extend([_cell(e, c, now) for c in shown] for e in entries)
    text = table(rows, right=frozenset(i for i, c in enumerate(shown) if COLUMNS[c][1]))
    if len(rows) == 1:
        text += "(no entries)\n"
    return text


DELETED_NOTE = "image deleted in Glance"


def entries_table(
    entries: Sequence[Entry], columns: Sequence[str] | None = None, names: bool = False
) -> str:
    """The ``list`` table: Glance's columns, or a kind's own (:func:`kind_table`);
    ``names``: with Glance's image names (its records were read)."""
    if columns is not None:
        return kind_table(entries, columns)
    now = datetime.now(UTC)
    rows = [["STATE", "ID", "SIZE", "HITS", "LAST ACCESSED", "LAST MODIFIED", "NOTE"]]
    for e in entries:
        note = (note_text(e) if e.bad_fields else e.error or note_text(e)) or ""
        if e.position is not None:
            note = f"queue position {e.position}"
        if e.image_status == "deleted":
            note = f"{DELETED_NOTE}; {note}" if note else DELETED_NOTE
        rows.append(
            [
                str(e.state),
                e.id,
                formatting.size(e.size),
                hits_cell(e),
                "?" if "last_accessed" in e.bad_fields else formatting.ago(e.last_accessed, now),
                "?" if "last_modified" in e.bad_fields else formatting.ago(e.last_modified, now),
                note,
            ]
        )
    right = frozenset({2, 3})
    if names:
        rows[0].insert(2, "NAME")
        for row, e in zip(rows[1:], entries, strict=True):
            row.insert(2, e.name or "")
        right = frozenset({3, 4})
    text = table(rows, right=right)
    if len(rows) == 1:
        text += "(no entries)\n"
    return text


def describe(entries: Sequence[Entry]) -> str:
    """``3 entries (1.2 GiB)``: what a question or a summary names."""
    size = sum(e.size for e in entries)
    noun = "entry" if len(entries) == 1 else "entries"
    return f"{len(entries):,} {noun} ({formatting.size(size)})"


def named(entries: Sequence[Entry], limit: int = 5) -> str:
    """The ids, the first few of them, for a confirmation."""
    ids = [e.id for e in entries[:limit]]
    more = f" and {len(entries) - limit:,} more" if len(entries) > limit else ""
    return ", ".join(ids) + more


def stats_text(
    reading: Reading,
    st: Statistics,
    max_size: int | None,
    folders: Sequence[Folder] = (),
) -> str:
    """``stats``: totals, the prune to ``max_size`` (``None``: no limit known), top lists."""
    s = st.summary
    size = formatting.size
    snap = reading.snapshot
    caps = reading.driver.capabilities
    noun = "images" if caps.id_rule is IdRule.NAME else "files"
    where = reading.source.display_name() if snap.path is None else str(snap.path)
    out = [f"Cache:      {where}\n", f"Kind:       {reading.driver.title}\n"]
    if snap.node is not None:
        out.append(f"Node:       {snap.node}\n")
    if reading.source.db_url is not None:
        out.append(f"Database:   {redact_url(reading.source.db_url)}\n")
    line = (
        f"Cached:     {size(s.total_size)} ({s.total_size:,} bytes) "
        f"in {s.totals(State.CACHED).count:,} {noun}"
    )
    if max_size is not None:
        pct = 100 * s.total_size / max_size if max_size else 0
        line += f", {pct:.0f} % of {size(max_size)}"
    out.append(line + "\n")
    if caps.has_hits:
        hits = f"{s.hits:,}"
        if s.unknown_hits:
            hits += f" (+ unknown for {s.unknown_hits:,} images)"
        out.append(f"Hits:       {hits}\n")
    for state in reading.driver.states[1:]:
        t = s.totals(state)
        out.append(f"{state.capitalize() + ':':<11} {t.count:,} ({size(t.bytes)})\n")
    if s.inconsistent:
        out.append(f"Inconsistent entries: {s.inconsistent:,} (see `list`, NOTE column)\n")
    if snap.image_records:
        gone = [e for e in snap.of_state(State.CACHED) if e.image_status == "deleted"]
        if gone:
            out.append(
                f"Deleted in Glance: {describe(gone)} still cached "
                "(`clean --deleted-images` removes them)\n"
            )
    if max_size is None:
        out.append("No size limit known: give --max-size to see what a prune would evict.\n")
    elif st.lru.evicted_ids:
        out.append(
            f"A prune to {size(max_size)} would evict {len(st.lru.evicted_ids):,} {noun} "
            f"({size(st.lru.evicted_bytes)}).\n"
        )
    else:
        out.append(f"A prune to {size(max_size)} would evict nothing: the cache is not over it.\n")
    if st.largest:
        out.append(f"\nLargest {len(st.largest)}:\n")
        out.extend(f"  {size(e.size):>10}  {e.id}\n" for e in st.largest)
    if folders:
        out.append(f"\nLargest {len(folders)} folders (their own files):\n")
        out.extend(
            f"  {size(f.own_bytes):>10}  {f.own_count:>9,} files  {f.path}\n" for f in folders
        )
    if st.hottest:
        out.append(f"\nMost hits ({st.top_decile_hit_share:.0%} of hits in the top 10 %):\n")
        out.extend(f"  {e.hits or 0:>10,}  {e.id}\n" for e in st.hottest)
    if s.totals(State.CACHED).count:
        if caps.has_hits:
            out.append(histogram("Hits per image", st.hits))
        if caps.has_hits or any(b.count for b in st.ages):
            out.append(histogram("Since last access", st.ages))
        if st.never_accessed and caps.has_hits:
            out.append(f"  never accessed since cached: {st.never_accessed:,}\n")
    return "".join(out)


def histogram(title: str, bins: Sequence[Bin]) -> str:
    peak = max((b.count for b in bins), default=0) or 1
    lines = [f"\n{title}:\n"]
    for b in bins:
        bar = "#" * round(30 * b.count / peak)
        lines.append(f"  {b.label:>8}  {b.count:>7,}  {formatting.size(b.bytes):>10}  {bar}\n")
    return "".join(lines)


def plan_text(
    plan: Plan, columns: Sequence[str] | None = None, stores: Sequence[str] | None = None
) -> str:
    """Each entry a plan removes, with its size and last access, then the totals.

    ``columns``: a kind's own (its capabilities'), else Glance's.  ``stores``
    (one per entry) adds a STORE column: a prune over several stores.
    """
    if columns is None:
        text = _glance_plan_rows(plan)
    else:
        shown = [c for c in columns if c not in ("note", "state")]
        text = kind_table(plan.entries, shown) if plan.entries else ""
        if stores is not None and plan.entries:
            lines = text.splitlines(keepends=True)
            width = max(len("STORE"), *(len(s) for s in stores))
            text = "".join(
                f"{label:<{width}}  {line}"
                for label, line in zip(["STORE", *stores], lines, strict=True)
            )
    line = f"Would remove {describe(plan.entries)}"
    if plan.estimate:
        line = f"By its listing, the service would remove about {describe(plan.entries)}"
    freed = plan.bytes_freed
    if freed != plan.bytes_removed:
        line += f", freeing {formatting.size(freed)} on disk (hard links counted once)"
    whole = "the stores go" if stores is not None else "the cache goes"
    if plan.target is not None and plan.keep_below is not None:
        line += (
            f": {whole} from {formatting.size(plan.total_before)} to "
            f"{formatting.size(plan.total_after)} (limit {formatting.size(plan.target)}; "
            f"the newest files are kept below {formatting.size(int(plan.keep_below))})"
        )
    elif plan.target is not None:
        line += (
            f": the cache goes from {formatting.size(plan.total_before)} to "
            f"{formatting.size(plan.total_after)} (target {formatting.size(plan.target)})"
        )
    text += line + ".\n"
    if plan.remark:
        text += f"{plan.remark}\n"
    if plan.locked:
        text += (
            f"{len(plan.locked):,} of them in use by a client now (locked) would be skipped "
            f"unless released first: {named(plan.locked)}.\n"
        )
    return text


def _glance_plan_rows(plan: Plan) -> str:
    now = datetime.now(UTC)
    rows = [["STATE", "ID", "SIZE", "LAST ACCESSED", "LAST MODIFIED"]]
    for e in plan.entries:
        rows.append(
            [
                str(e.state),
                e.id,
                formatting.size(e.size),
                formatting.ago(e.last_accessed, now) or "-",
                formatting.ago(e.last_modified, now),
            ]
        )
    return table(rows, right=frozenset({2})) if plan.entries else ""


VERBS = {"queue": "Queued", "requeue": "Requeued", "repair": "Repaired", "import": "Restored"}


#: What the service did, when it carried the action out by itself.
SERVICE_VERBS = {"delete": "Cleared", "prune": "Pruned"}


def job_text(result: JobResult) -> str:
    """One sentence: entries done, bytes freed, interruption or error."""
    if result.by_service:
        verb = SERVICE_VERBS.get(result.action)
        line = ""
        if result.error:
            line = f"The {result.action} gave no result: {result.error}\n"
        elif verb is not None:
            line = f"{verb} {result.done:,} entries ({formatting.size(result.bytes_freed)}).\n"
        return line + (f"{result.remark}\n" if result.remark else "")
    verb = VERBS.get(result.action, "Deleted")
    line = f"{verb} {result.done:,} of {result.total:,}"
    if result.bytes_freed:
        line += f", freed {formatting.size(result.bytes_freed)}"
    if result.gone:
        line += f" ({result.gone:,} already gone)"
    if result.cancelled:
        line += "; interrupted, the rest was left alone"
    if result.error:
        line += "; then stopped, the rest was left alone"
    remark = f"{result.remark}\n" if result.remark else ""
    return line + ".\n" + remark
