"""Glance's ``centralized_db`` cache driver: files on the node, rows in Glance's database.

A node's files are in its ``image_cache_dir`` as with every Glance driver;
its metadata rows are in the ``cached_images`` table of Glance's central
database, shared by every glance-api node and told apart by
``node_reference_id`` (the node's ``worker_self_reference_url`` in
``node_reference``).  Datetimes there are naive UTC.

Reading is one SELECT of this node's rows (with Glance's image records,
joined) in a read-only transaction, and one pass over the files.  Changing
follows Glance 33 (``glance/image_cache/drivers/centralized_db.py``): a
cached image's file is unlinked and this node's row deleted, others seeing
the file go first and the row at the commit; no statement ever names
another node's rows.  Deletions hold the lock Glance's own pruner (cached
images) or cleaner (invalid and stalled files) holds, so a running
glance-api and the inspector never interleave.  Rows are written (repair's
adoption and size correction, a record's import) as Glance's commit of a
download and its sqlite migration write them (:mod:`.central_writes`).
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from inspector.core.drivers.base import (
    MetadataUpdate,
    Outcome,
    OutcomeStatus,
    Progress,
    ProgressTicker,
)
from inspector.core.drivers.fsscan import FileInfo, gc_paused
from inspector.core.drivers.glance import locks
from inspector.core.drivers.glance.layout import GlanceDriver
from inspector.core.drivers.glance.probe import probe_centralized
from inspector.core.errors import CacheError, InvalidImageIdError
from inspector.core.model import Entry, Note, Snapshot, State, make_entry
from inspector.core.problems import Problem
from inspector.core.source import CacheSource

if TYPE_CHECKING:  # SQLAlchemy is imported when a node is opened, not with the program
    from sqlalchemy.engine import Connection

    from inspector.core.glance_db import ImageRecord, Node

log = logging.getLogger(__name__)


class CentralizedDbDriver(GlanceDriver):
    name = "centralized_db"
    title = "Glance (centralized_db)"
    looks_for = "Glance's directories with its database (--db URL or --glance-config FILE)"

    def __init__(self, source: CacheSource) -> None:
        if source.db_url is None:
            raise CacheError(
                f"{source.display_name()}: a centralized_db node is opened with its database "
                "(--db URL or --glance-config FILE)."
            )
        super().__init__(source)
        from inspector.core.glance_db import GlanceDatabase

        self.db = GlanceDatabase(source.db_url)
        self.node: Node | None = None

    @classmethod
    def probe(cls, source: CacheSource) -> bool:
        return probe_centralized(source)

    # -- the node -------------------------------------------------------------

    def _resolve(self, conn: Connection) -> Node:
        if self.node is None:
            self.node = self.db.resolve_node(conn, self.source.node)
        return self.node

    def node_for_writing(self) -> Node:
        """This cache's node (read from the database if no scan has yet)."""
        if self.node is None:
            with self.db.reading() as conn:
                self._resolve(conn)
        assert self.node is not None
        return self.node

    # -- reading --------------------------------------------------------------

    def scan(self, progress: Progress | None = None) -> Snapshot:
        """Every file of the node, then one read-only transaction for the database.

        The transaction reads this node's rows with Glance's records of their
        images joined, and the records of the queued, incomplete and invalid
        ids: one connection, one snapshot of the database per scan.
        """
        from inspector.core.drivers.glance.records import with_record

        self.warnings = []
        ticker = ProgressTicker(progress)
        with gc_paused():
            files = list(self._files(State.CACHED, ticker))  # all files, then the rows
            others = [
                *self._scan_queue(ticker),
                *self._scan_incomplete(ticker),
                *self._scan_invalid(ticker),
            ]
            entries, records = self._read(files, {e.id for e in others}, ticker)
            entries.extend(with_record(e, records.get(e.id)) for e in others)
        ticker.report()
        return Snapshot(
            path=self.path,
            driver=self.name,
            entries=entries,
            warnings=tuple(self.warnings),
            image_records=True,
            node=self.node.url if self.node else None,
        )

    def _scan_cached(self, ticker: ProgressTicker) -> list[Entry]:
        return self._read(list(self._files(State.CACHED, ticker)), set(), ticker)[0]

    def _read(
        self, files: list[FileInfo], other_ids: set[str], ticker: ProgressTicker
    ) -> tuple[list[Entry], dict[str, ImageRecord]]:
        """The cached entries (files matched with rows), and the records of ``other_ids``."""
        from inspector.core.drivers.glance.central_rows import EPOCH, ROWS, row_entry
        from inspector.core.drivers.glance.records import with_record

        with self.db.reading() as conn:
            node = self._resolve(conn)
            # The driver's own tuples: the columns need no conversion by SQLAlchemy.
            rows = conn.execute(ROWS, {"node": node.id}).cursor.fetchall()
            records = self.db.image_records(conn, other_ids)
        by_id = {r[0]: r for r in rows}
        #: Rows whose recorded size is not their file's (the audit's size-mismatch).
        self._recorded_sizes: dict[str, Any] = {}
        entries: list[Entry] = []
        append = entries.append
        stray: list[int] = []
        cached, no_row, link = State.CACHED, Note.FILE_WITHOUT_ROW, Note.SYMLINK
        pop, make, fromiso, epoch = by_id.pop, make_entry, datetime.fromisoformat, EPOCH
        for f in files:
            row = pop(f.name, None)
            if row is None:
                stray.append(len(entries))
                append(make(f.name, cached, f.size, None, None, f.mtime, note=no_row))
                continue
            # The common case inline (this loop runs once per cached image); anything
            # unusual (an aware or unreadable time) goes through row_entry.
            image_id, acc, mod, size, hits, checksum, name, status, deleted = row
            if size != f.size:
                self._recorded_sizes[image_id] = size
            try:
                if type(acc) is str:
                    acc = fromiso(acc)
                if type(mod) is str:
                    mod = fromiso(mod)
                accessed = (acc - epoch).total_seconds()
                modified = (mod - epoch).total_seconds()
            except (TypeError, ValueError):
                append(row_entry(row, f.size, link if f.is_link else None))
                continue
            if deleted and status is not None:
                status = "deleted"
            append(
                make(
                    image_id,
                    cached,
                    f.size,
                    hits,
                    accessed,
                    modified,
                    checksum,
                    None,
                    None,
                    link if f.is_link else None,
                    (),
                    name=name,
                    image_status=status,
                )
            )
        for row in by_id.values():
            ticker.tick()
            append(row_entry(row, None, Note.ROW_WITHOUT_FILE))
        if stray:  # files without a row (an image being committed, or debris): rare
            with self.db.reading() as conn:
                found = self.db.image_records(conn, {entries[i].id for i in stray})
            for i in stray:
                entries[i] = with_record(entries[i], found.get(entries[i].id))
        if files and rows and len(by_id) == len(rows):
            self.warnings.append(
                f"None of the {len(files):,} cached files in {self.path} has a row of node "
                f"{node.url} in {self.db.display}, and none of its {len(rows):,} rows has a "
                "file here: is that this directory's node?"
            )
        return entries, records

    # -- changing the cache ---------------------------------------------------

    def eviction_order(self, entries: Sequence[Entry]) -> list[Entry]:
        """This node's rows as the database orders them by ``last_accessed``.

        Only entries with a row are candidates (a row whose file is gone frees
        0 bytes, as in Glance); a file without a row is never pruned by Glance.
        """
        candidates = {
            e.id: e
            for e in entries
            if e.state is State.CACHED and e.note is not Note.FILE_WITHOUT_ROW
        }
        return [candidates[r[0]] for r in self._order_rows() if r[0] in candidates]

    def prune_order(self, entries: Sequence[Entry], max_size: int) -> list[Entry]:
        """Exactly the order Glance's pruner takes, up to where a prune to ``max_size`` stops.

        Glance asks ``ORDER BY last_accessed LIMIT 1`` after every eviction.
        Where several rows share the ``last_accessed`` at the cut (common with
        MariaDB's whole-second DATETIME, and for rows migrated from sqlite),
        which of them it takes is up to the database's plan for that query,
        not the order of one sorted SELECT.  So the tie at the cut is settled
        by asking the database Glance's own question, deleting each answer, in
        a transaction that is always rolled back: nothing is changed, and the
        answers are the database's own.
        """
        candidates = {e.id: e for e in self.eviction_order(entries)}
        rows = [r for r in self._order_rows() if r[0] in candidates]
        total = sum(
            e.size
            for e in entries
            if e.state is State.CACHED and e.note is not Note.ROW_WITHOUT_FILE
        )
        try:
            from inspector.core.drivers.glance.central_rows import settle_tie_at_cut

            rows = settle_tie_at_cut(
                self.db, self.node_for_writing(), rows, candidates, total, max_size
            )
        except CacheError as exc:
            log.warning(
                "Entries last accessed at the same time are taken in the order of one query "
                "of %s, not settled as Glance's pruner settles them: %s",
                self.db.display,
                exc,
            )
        return [candidates[r[0]] for r in rows]

    def _order_rows(self) -> list[tuple[str, Any]]:
        from inspector.core.drivers.glance.central_rows import LRU_ORDER

        with self.db.reading() as conn:
            node = self._resolve(conn)
            return [(r[0], r[1]) for r in conn.execute(LRU_ORDER, {"node": node.id})]

    def delete_entries(self, entries: Iterable[Entry]) -> Generator[Outcome, None, None]:
        """Each entry's file unlinked and, for a cached one, this node's row deleted.

        Holds Glance's pruner lock while cached images go, its cleaner lock
        while invalid or incomplete files go.  A row is deleted in a
        transaction not yet committed when the file is unlinked: if the file
        cannot go, the row stays with it; if the row cannot go (the database
        locked, read-only, unreachable), the file is never touched.  Rows
        commit in small batches, also when the caller stops early.
        """
        pending = list(entries)
        names = []
        if any(e.state is State.CACHED for e in pending):
            names.append(locks.PRUNE_LOCK)
        if any(e.state in (State.INVALID, State.INCOMPLETE) for e in pending):
            names.append(locks.CLEAN_LOCK)
        lock_dir = self.options.lock_path or self.path
        with locks.glance_locks(lock_dir, names):
            if locks.PRUNE_LOCK not in names:
                yield from super().delete_entries(pending)
                return
            from inspector.core.drivers.glance.central_writes import in_batches

            node = self.node_for_writing()
            with self.db.writing() as conn:

                def one(entry: Entry) -> Outcome:
                    if entry.state is State.CACHED:
                        return self._delete_cached(conn, node, entry)
                    return self._unlink_entry(entry)

                yield from in_batches(self.db, conn, pending, one)

    def _delete_cached(self, conn: Connection, node: Node, entry: Entry) -> Outcome:
        from inspector.core.drivers.glance.central_rows import delete_row

        try:
            self.check_id(entry.id)
        except InvalidImageIdError as exc:
            return Outcome(entry, OutcomeStatus.FAILED, reason=str(exc))
        savepoint = conn.begin_nested()
        try:
            deleted = conn.execute(delete_row(node, entry.id)).rowcount
        except BaseException:
            savepoint.rollback()
            raise
        outcome = self._unlink_entry(entry)
        if outcome.status is OutcomeStatus.FAILED:
            savepoint.rollback()  # the row stays with its file
            return outcome
        savepoint.commit()
        if outcome.status is OutcomeStatus.GONE and deleted:
            outcome = outcome._replace(status=OutcomeStatus.DELETED)  # the row was the entry
        return outcome

    # -- trusting the cache ---------------------------------------------------

    def metadata_problems(self, snapshot: Snapshot) -> list[Problem]:
        """Besides the layout's: this node's rows whose recorded size is not the file's."""
        return super().metadata_problems(snapshot) + self.size_mismatches(
            snapshot,
            getattr(self, "_recorded_sizes", {}),
            lambda size, e: (
                f"this node's row records {size!r} bytes, the file holds {e.size:,}: "
                "Glance's pruner counts the file, its cache listing the row"
            ),
        )

    def write_metadata(self, updates: Sequence[MetadataUpdate]) -> Generator[Outcome, None, None]:
        """This node's rows written as Glance writes them, in short write transactions.

        See :mod:`~inspector.core.drivers.glance.central_writes`.  With
        ``create``, a node named by its url that Glance's database does not
        record yet is recorded first, as glance-api does when it starts.
        Glance takes no lock to write a row (a commit, a hit), so none is
        taken here.
        """
        from inspector.core.drivers.glance.central_writes import (
            ensure_node,
            in_batches,
            write_entry,
        )

        pending = list(updates)
        if not pending:
            return
        with self.db.writing() as conn:
            if (
                self.node is None
                and self.source.node is not None
                and any(u.create for u in pending)
            ):
                self.node = ensure_node(self.db, conn, self.source.node)
            node = self.node_for_writing()

            def one(u: MetadataUpdate) -> Outcome:
                try:
                    self.check_id(u.entry.id)
                except InvalidImageIdError as exc:
                    return Outcome(u.entry, OutcomeStatus.FAILED, reason=str(exc))
                return write_entry(conn, node, self.path, u)

            yield from in_batches(self.db, conn, pending, one)
