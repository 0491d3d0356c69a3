"""A centralized_db node at scale: listing it against the floor, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/bench_centralized.py [--rows 100000] [--nodes 10]
        [--backends sqlite postgresql] [--runs 3] [--quick] [--json OUT]

Glance's schema is made by ``glance-manage db sync`` (a throwaway PostgreSQL server
on a unix socket for ``postgresql``); ``--nodes`` nodes with ``--rows`` rows each are
inserted through Glance's own table definitions (``glance.db.sqlalchemy.models``),
with an image record for every cached image of the node measured (a tenth of them
deleted), and that node's directory holds a sparse file per row plus a few queued,
incomplete and invalid files.  Then, as the median of ``--runs`` runs:

- the floor: one SELECT of the node's rows (connecting included) + scandir/stat of
  the node's directories;
- the core: ``open_source(...).scan()`` (the node's rows with Glance's image
  records joined, every file, every entry built);
- the CLI as a whole process (``list --json``).

Prints a table and the verdict against the target (the core within 1.5x of the floor
at the largest size); writes the figures as JSON.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from inspector.core import CacheSource, open_source  # noqa: E402

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
TARGET = 1.5
MEASURED = "http://glance-node-1:9292"


def uid(node: int, n: int) -> str:
    return f"{n:08x}-{node:04x}-4000-8000-{n:012x}"


def build(url: str, root: Path, nodes: int, rows: int) -> None:
    """Glance's tables filled through its own models, and the measured node's files."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Glance imports eventlet, which warns on import
        from glance.db.sqlalchemy import models

    cached = models.CachedImages.__table__
    refs = models.NodeReference.__table__
    images = models.Image.__table__
    rng = random.Random(7)
    start = datetime(2025, 1, 1)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(refs),
            [
                {
                    "node_reference_id": i + 1,
                    "node_reference_url": f"http://glance-node-{i + 1}:9292",
                }
                for i in range(nodes)
            ],
        )
        for node in range(1, nodes + 1):
            batch = []
            for n in range(rows):
                when = start + timedelta(seconds=rng.randrange(30_000_000))
                batch.append(
                    {
                        # half the images are cached on every node, half on this one only
                        "image_id": uid(1 if n % 2 == 0 else node, n),
                        "last_accessed": when,
                        "last_modified": when - timedelta(hours=1),
                        "size": 1024 * (1 + n % 4096),
                        "hits": rng.randrange(50),
                        "checksum": None,
                        "node_reference_id": node,
                    }
                )
                if len(batch) == 20_000:
                    conn.execute(sa.insert(cached), batch)
                    batch = []
            if batch:
                conn.execute(sa.insert(cached), batch)
        batch = []
        for n in range(rows):
            deleted = n % 10 == 0
            batch.append(
                {
                    "id": uid(1, n),
                    "name": f"image-{n}",
                    "status": "deleted" if deleted else "active",
                    "deleted": deleted,
                    "visibility": "shared",
                    "min_disk": 0,
                    "min_ram": 0,
                    "protected": False,
                    "os_hidden": False,
                }
            )
            if len(batch) == 20_000:
                conn.execute(sa.insert(images), batch)
                batch = []
        if batch:
            conn.execute(sa.insert(images), batch)
    engine.dispose()
    for sub in ("incomplete", "invalid", "queue"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for n in range(rows):
        fd = os.open(root / uid(1, n), os.O_WRONLY | os.O_CREAT, 0o644)
        os.ftruncate(fd, 1024 * (1 + n % 4096))
        os.close(fd)
    for n in range(max(rows // 100, 1)):
        for sub in ("incomplete", "invalid", "queue"):
            (root / sub / uid(99, n)).touch()


def floor_listing(url: str, root: Path) -> None:
    """The least a listing with metadata can do: one SELECT of the rows, one stat per file."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.exec_driver_sql(
            "SELECT image_id, last_accessed, last_modified, size, hits, checksum "
            "FROM cached_images WHERE node_reference_id = 1"
        ).fetchall()
    engine.dispose()
    for d in (root, root / "queue", root / "incomplete", root / "invalid"):
        with os.scandir(d) as it:
            for e in it:
                e.stat(follow_symlinks=False)


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def interleaved(runs: int, *fns: Callable[[], object]) -> list[float]:
    """The median time of each of ``fns``, run in turn ``runs`` times (so that a
    burst of load elsewhere on the machine falls on all of them alike)."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for i, fn in enumerate(fns):
            times[i].append(timed(fn))
    return [statistics.median(t) for t in times]


def measure(backend: str, url: str, root: Path, rows: int, runs: int) -> dict[str, Any]:
    source = CacheSource(path=root, db_url=url, node=MEASURED)
    snap = open_source(source).scan()  # warm the page cache and check what is there
    assert sum(e.state.value == "cached" for e in snap.entries) == rows
    assert sum(e.image_status == "deleted" for e in snap.entries) == (rows + 9) // 10
    argv = [str(BIN / "cache-inspector-cli"), "list", str(root), "--db", url]
    argv += ["--node", MEASURED, "--json"]
    floor, core = interleaved(
        runs, lambda: floor_listing(url, root), lambda: open_source(source).scan()
    )
    (cli,) = interleaved(runs, lambda: subprocess.run(argv, stdout=subprocess.DEVNULL, check=True))
    return {
        "backend": backend,
        "rows": rows,
        "floor_s": floor,
        "core_s": core,
        "core_vs_floor": core / floor,
        "cli_s": cli,
    }


def run_backend(backend: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    from tests.services.glance_db import FreshDatabases, close_db_workers, stop_fork_server

    server = None
    if backend == "postgresql":
        from tests.services.postgres import PostgresServer

        server = PostgresServer().start()
    try:
        (tmp / f"db-{backend}").mkdir()
        databases = FreshDatabases(backend, server, base_dir=str(tmp / f"db-{backend}"))
        try:
            url = databases.new()
            root = tmp / f"node-{backend}"
            t = time.perf_counter()
            build(url, root, args.nodes, args.rows)
            print(
                f"built {backend}: {args.nodes} nodes x {args.rows:,} rows "
                f"in {time.perf_counter() - t:.1f} s",
                file=sys.stderr,
            )
            return {**measure(backend, url, root, args.rows, args.runs), "nodes": args.nodes}
        finally:
            databases.close()
            close_db_workers()
            stop_fork_server()
    finally:
        if server is not None:
            server.stop()


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--rows", type=int, default=100_000, help="rows of every node")
    p.add_argument("--nodes", type=int, default=10)
    p.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="300 rows, 2 nodes, SQLite, one run")
    p.add_argument("--json", type=Path, default=HERE / "results" / "centralized.json")
    args = p.parse_args()
    if args.quick:
        args.rows, args.nodes, args.backends, args.runs = 300, 2, ["sqlite"], 1
    results = []
    os.makedirs(tempfile.gettempdir(), exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cache-inspector-bench-central-") as tmp:
        for backend in args.backends:
            results.append(run_backend(backend, args, Path(tmp)))
    report(results, args)
    return 0


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    cols = ("backend", "rows", "floor_s", "core_s", "core_vs_floor", "cli_s")
    fmt = {"rows": "{:,}", "core_vs_floor": "{:.2f}x"}
    cells = [list(cols)] + [
        [fmt.get(c, "{:.3f}" if isinstance(r[c], float) else "{}").format(r[c]) for c in cols]
        for r in results
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cols))]
    print(f"centralized_db node of {args.rows:,} rows in a database of {args.nodes} nodes")
    for row in cells:
        print("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))
    verdicts = []
    for r in results:
        met = r["core_vs_floor"] <= TARGET
        verdicts.append(
            {
                "kind": f"centralized_db/{r['backend']}",
                "figure": "core_vs_floor",
                "value": r["core_vs_floor"],
                "limit": TARGET,
                "met": met,
            }
        )
        print(
            f"  {'met ' if met else 'MISS'}  {r['backend']:<10}  listing within {TARGET}x of "
            f"the floor (one SELECT + scandir/stat): {r['core_vs_floor']:.2f}x"
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"rows": results, "targets": verdicts}, indent=1))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    sys.exit(main())
