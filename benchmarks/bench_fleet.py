"""A fleet in Glance's database: the per-node summary and the image x node matrix, timed.

    .venv/bin/python benchmarks/bench_fleet.py [--nodes 50] [--rows 10000]
        [--images 1000] [--backend postgresql] [--runs 5] [--quick] [--json OUT]

Glance's schema is made by ``glance-manage db sync`` (a throwaway PostgreSQL server
on a unix socket for ``postgresql``).  ``--nodes`` nodes with ``--rows`` rows each
are bulk-loaded (COPY on PostgreSQL, executemany on SQLite): a quarter of every
node's rows are images cached on every node, the rest spread over a pool three
times as large (each such image on a third of the nodes); Glance has a
record for nine images in ten, a tenth of them deleted.  The first images by id
are those on every node: the matrix of ``--images`` images holds the most
(image, node) pairs it can (50,000 by default).  Then ANALYZE, and as
the median of ``--runs`` runs, each timed figure beside its floor, run in turn:

- ``summary``: ``read_fleet_summary`` (one GROUP BY per node, connecting
  included) against the floor: the same GROUP BY written by hand, sent through
  the database's driver directly (connect, execute, fetch all);
- ``matrix``: ``read_fleet(image_limit=--images)`` (the summary, the fleet's
  image counts and the matrix of the first ``--images`` images) against the
  floor: the same three statements by hand through the driver;
- the CLI as a whole process: ``fleet --db URL --json --limit N``.

Targets (issue 13): the summary in under 1 s and the matrix in under 2 s for
50 nodes x 10,000 rows in PostgreSQL.  Prints a table and the verdicts; writes
the figures as JSON.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inspector.core.fleet import read_fleet, read_fleet_summary  # noqa: E402
from inspector.core.glance_db import GlanceDatabase  # noqa: E402

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
TARGETS = {"summary_s": 1.0, "matrix_s": 2.0}
#: The Fleet view's longest event-loop stall (issue 13: responsive throughout).
WINDOW_STALL_MS = 100

SUMMARY_SQL = (
    "SELECT n.node_reference_url, COALESCE(a.c, 0), COALESCE(a.s, 0), COALESCE(a.h, 0), a.m "
    "FROM node_reference n LEFT OUTER JOIN (SELECT node_reference_id, COUNT(*) AS c, "
    "SUM(size) AS s, SUM(hits) AS h, MAX(last_accessed) AS m FROM cached_images "
    "GROUP BY node_reference_id) a ON a.node_reference_id = n.node_reference_id "
    "ORDER BY n.node_reference_url"
)
COUNTS_SQL = (
    "SELECT COUNT(*), SUM(CASE WHEN p.nodes = {nodes} THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN p.nodes = 1 THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN i.deleted = {true} OR i.status = 'deleted' THEN 1 ELSE 0 END) "
    "FROM (SELECT image_id, COUNT(*) AS nodes FROM cached_images GROUP BY image_id) p "
    "LEFT OUTER JOIN images i ON i.id = p.image_id"
)
MATRIX_SQL = (
    "SELECT c.image_id, n.node_reference_url, c.size, i.name, i.status, i.deleted "
    "FROM cached_images c JOIN node_reference n ON n.node_reference_id = c.node_reference_id "
    "JOIN (SELECT image_id FROM cached_images GROUP BY image_id ORDER BY image_id LIMIT {limit})"
    " s ON s.image_id = c.image_id LEFT OUTER JOIN images i ON i.id = c.image_id "
    "ORDER BY c.image_id"
)


def uid(n: int) -> str:
    return f"{n:08x}-f1ee-4000-8000-{n:012x}"


def cache_rows(nodes: int, rows: int) -> Iterator[tuple[Any, ...]]:
    """Every node's rows: (image_id, last_accessed, last_modified, size, hits, checksum, node)."""
    rng = random.Random(13)
    common = rows // 4
    pool = 3 * (rows - common)
    start = datetime(2025, 1, 1)
    for node in range(1, nodes + 1):
        for n in range(rows):
            # the pool's images of one residue modulo 3 are on the nodes of that residue
            image = n if n < common else common + (3 * (n - common) + node) % pool
            when = start + timedelta(seconds=rng.randrange(30_000_000))
            size = 1024 * (1 + image % 4096)
            yield (uid(image), when, when, size, rng.randrange(50), None, node)


def image_rows(distinct: int) -> Iterator[tuple[Any, ...]]:
    """Glance's records: (id, name, status, deleted) for nine images in ten of the first
    ``distinct`` ids."""
    for n in range(distinct):
        if n % 10 == 9:
            continue  # cached, but Glance has no record (purged)
        deleted = n % 10 == 0
        yield (uid(n), f"image-{n}", "deleted" if deleted else "active", deleted)


def connect(url: str) -> Any:
    """A DBAPI connection to ``url`` without SQLAlchemy (the floor's)."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return sqlite3.connect(parts.path[1:])
    import psycopg

    host = parse_qs(parts.query).get("host", [parts.hostname or ""])[0]
    return psycopg.connect(
        host=host,
        dbname=parts.path.lstrip("/"),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


def build(url: str, nodes: int, rows: int) -> int:
    """Glance's tables filled in bulk; returns the number of distinct cached images."""
    conn = connect(url)
    common = rows // 4
    pool = 3 * (rows - common)
    refs = [(i, f"http://glance-node-{i}:9292") for i in range(1, nodes + 1)]
    cached_cols = "image_id, last_accessed, last_modified, size, hits, checksum, node_reference_id"
    image_cols = (
        "id, name, status, deleted, visibility, min_disk, min_ram, protected, os_hidden, "
        "created_at"
    )
    extra = ("shared", 0, 0, False, False, datetime(2024, 6, 1))
    if isinstance(conn, sqlite3.Connection):
        with conn:
            conn.executemany("INSERT INTO node_reference VALUES (?, ?)", refs)
            conn.executemany(
                f"INSERT INTO cached_images ({cached_cols}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                ((*r[:1], str(r[1]), str(r[2]), *r[3:]) for r in cache_rows(nodes, rows)),
            )
            conn.executemany(
                f"INSERT INTO images ({image_cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((*r, *extra[:-1], str(extra[-1])) for r in image_rows(common + pool)),
            )
            conn.execute("ANALYZE")
    else:
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO node_reference VALUES (%s, %s)", refs)
            with cur.copy(f"COPY cached_images ({cached_cols}) FROM STDIN") as copy:
                for row in cache_rows(nodes, rows):
                    copy.write_row(row)
            with cur.copy(f"COPY images ({image_cols}) FROM STDIN") as copy:
                for image in image_rows(common + pool):
                    copy.write_row((*image, *extra))
        conn.commit()
        conn.autocommit = True
        conn.execute("ANALYZE")
    conn.close()
    return common + (rows - common) * min(nodes, 3)


def floor(url: str, statements: list[str]) -> Callable[[], None]:
    def run() -> None:
        conn = connect(url)
        try:
            cur = conn.cursor()
            for sql in statements:
                cur.execute(sql)
                cur.fetchall()
        finally:
            conn.close()

    return run


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def interleaved(runs: int, *fns: Callable[[], object]) -> list[float]:
    """The median time of each of ``fns``, run in turn ``runs`` times."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for i, fn in enumerate(fns):
            times[i].append(timed(fn))
    return [statistics.median(t) for t in times]


def measure(url: str, args: argparse.Namespace, distinct: int) -> dict[str, Any]:
    db = GlanceDatabase(url)
    fleet = read_fleet(db, image_limit=args.images)  # warm the caches, check what is there
    assert len(fleet.nodes) == args.nodes and fleet.count == args.nodes * args.rows
    assert fleet.images_total == distinct and len(fleet.images) == min(args.images, distinct)
    true = "1" if url.startswith("sqlite") else "true"
    counts = COUNTS_SQL.format(nodes=args.nodes, true=true)
    matrix = MATRIX_SQL.format(limit=args.images)
    floor_summary, summary, floor_matrix, matrix_s = interleaved(
        args.runs,
        floor(url, [SUMMARY_SQL]),
        lambda: read_fleet_summary(db),
        floor(url, [SUMMARY_SQL, counts, matrix]),
        lambda: read_fleet(db, image_limit=args.images),
    )
    argv = [str(BIN / "cache-inspector-cli"), "fleet", "--db", url, "--json"]
    argv += ["--limit", str(args.images)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    (cli,) = interleaved(
        args.runs, lambda: subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, env=env)
    )
    return {
        "backend": args.backend,
        "nodes": args.nodes,
        "rows": args.nodes * args.rows,
        "images": args.images,
        "floor_summary_s": floor_summary,
        "summary_s": summary,
        "floor_matrix_s": floor_matrix,
        "matrix_s": matrix_s,
        "cli_s": cli,
        "pairs": sum(len(i.nodes) for i in fleet.images),
    }


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    from tests.services.glance_db import FreshDatabases, close_db_workers, stop_fork_server

    server = None
    if args.backend == "postgresql":
        from tests.services.postgres import PostgresServer

        server = PostgresServer().start()
    try:
        databases = FreshDatabases(args.backend, server, base_dir=str(tmp))
        try:
            url = databases.new()
            t = time.perf_counter()
            distinct = build(url, args.nodes, args.rows)
            print(
                f"built {args.backend}: {args.nodes} nodes x {args.rows:,} rows "
                f"({distinct:,} images) in {time.perf_counter() - t:.1f} s",
                file=sys.stderr,
            )
            result = measure(url, args, distinct)
            if not args.no_window:
                result["window"] = window(url)
            return result
        finally:
            databases.close()
            close_db_workers()
            stop_fork_server()
    finally:
        if server is not None:
            server.stop()


def window(url: str) -> dict[str, Any]:
    """The Fleet view on this database, in its own process (bench_fleet_window.py)."""
    done = subprocess.run(
        [sys.executable, str(HERE / "bench_fleet_window.py"), url],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)},
        timeout=900,
    )
    if done.returncode != 0:
        said = [line for line in done.stderr.splitlines() if "propagateSizeHints" not in line]
        raise SystemExit("bench_fleet_window.py failed:\n" + "\n".join(said[-30:]))
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def report(result: dict[str, Any], args: argparse.Namespace) -> None:
    print(
        f"fleet of {result['nodes']} nodes x {args.rows:,} rows ({result['rows']:,}) "
        f"in {result['backend']}; matrix of {result['images']:,} images "
        f"({result['pairs']:,} image-node pairs); median of {args.runs}"
    )
    print(f"  {'':<8}{'floor_s':>9}{'core_s':>9}{'vs floor':>10}{'target':>9}")
    verdicts = []
    for name, key, floor_key in (
        ("summary", "summary_s", "floor_summary_s"),
        ("matrix", "matrix_s", "floor_matrix_s"),
    ):
        value, low, limit = result[key], result[floor_key], TARGETS[key]
        met = value < limit
        verdicts.append({"figure": key, "value": value, "limit": limit, "met": met})
        print(
            f"  {name:<8}{low:>9.3f}{value:>9.3f}{value / low:>9.2f}x{'< ' + str(limit):>9}"
            f"  {'met' if met else 'MISS'}"
        )
    cli = f"fleet --json --limit {result['images']}"
    print(f"  the CLI ({cli}) as a process: {result['cli_s']:.3f} s")
    w = result.get("window")
    if w is not None:
        met = w["worst_stall_ms"] < WINDOW_STALL_MS
        verdicts.append(
            {
                "figure": "window_worst_stall_ms",
                "value": w["worst_stall_ms"],
                "limit": WINDOW_STALL_MS,
                "met": met,
            }
        )
        print(
            f"  the Fleet view: shown in {w['shown_s']:.2f} s, every node asked in "
            f"{w['nodes_asked_s']:.2f} s; longest event-loop stall {w['worst_stall_ms']:.0f} ms "
            f"(reading {w['read_stall_ms']:.0f}, filtering {w['filter_stall_ms']:.0f}, sorting "
            f"{w['sort_stall_ms']:.0f}, selecting all {w['select_all_stall_ms']:.0f}) "
            f"< {WINDOW_STALL_MS} ms  {'met' if met else 'MISS'}; "
            f"peak RSS {w['peak_rss_mb']:.0f} MB"
        )
        for where, count in w["stalls_over_100ms"].items():
            print(f"    stall x{count}: {where}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"rows": [result], "targets": verdicts}, indent=1))
    print(f"wrote {args.json}")


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--nodes", type=int, default=50)
    p.add_argument("--rows", type=int, default=10_000, help="rows of every node")
    p.add_argument("--images", type=int, default=1_000, help="images in the matrix")
    p.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="3 nodes x 300 rows, SQLite, one run")
    p.add_argument("--no-window", action="store_true", help="skip the Fleet view's figures")
    p.add_argument("--json", type=Path, default=HERE / "results" / "fleet.json")
    args = p.parse_args()
    if args.quick:
        args.nodes, args.rows, args.images, args.backend, args.runs = 3, 300, 100, "sqlite", 1
    os.makedirs(tempfile.gettempdir(), exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cache-inspector-bench-fleet-") as tmp:
        result = run(args, Path(tmp))
    report(result, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
