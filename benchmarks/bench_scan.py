"""How fast a cache lists, against the floor of a bare scandir + stat loop.

    python benchmarks/bench_scan.py [--entries 100000] [--runs 5] [--json OUT]

Builds a sqlite and an xattr cache (sparse files) in a temporary directory,
then times, as the median of several runs: the floor (os.scandir + stat, plus
getxattr or one SQLite SELECT), the core's scan, and the CLI as a whole process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from inspector.core import open_cache
from inspector.core.demo import DemoSpec, build_demo_cache


def median_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def floor(root: Path, kind: str) -> None:
    if kind == "sqlite":
        conn = sqlite3.connect(f"file:{root / 'cache.db'}?mode=ro", uri=True)
        conn.execute("SELECT * FROM cached_images").fetchall()
        conn.close()
    for d in (root, root / "queue", root / "incomplete", root / "invalid"):
        with os.scandir(d) as it:
            for e in it:
                e.stat(follow_symlinks=False)
                if kind == "xattr" and d == root and e.is_file():
                    with contextlib.suppress(OSError):
                        os.getxattr(e.path, "user.hits")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--entries", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args()
    cli = str(Path(sys.executable).parent / "cache-inspector-cli")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        for n in args.entries:
            for kind in ("sqlite", "xattr"):
                root = Path(tmp) / f"{kind}-{n}"
                spec = DemoSpec(cached=n, queued=n // 100, incomplete=n // 200, invalid=n // 200)
                t = time.perf_counter()
                build_demo_cache(root, kind, spec)
                build = time.perf_counter() - t
                f = median_time(lambda r=root, k=kind: floor(r, k), args.runs)
                core = median_time(lambda r=root: open_cache(r).scan(), args.runs)
                proc = median_time(
                    lambda r=root: subprocess.run(
                        [cli, "list", str(r), "--json"], stdout=subprocess.DEVNULL, check=True
                    ),
                    max(1, args.runs // 2),
                )
                results.append(
                    {
                        "kind": kind,
                        "entries": n,
                        "build_s": build,
                        "floor_s": f,
                        "core_s": core,
                        "core_vs_floor": core / f,
                        "cli_s": proc,
                    }
                )
    print(f"{'kind':<7} {'entries':>8} {'floor':>8} {'core':>8} {'ratio':>6} {'cli':>8}")
    for r in results:
        print(
            f"{r['kind']:<7} {r['entries']:>8,} {r['floor_s']:>7.3f}s {r['core_s']:>7.3f}s "
            f"{r['core_vs_floor']:>5.2f}x {r['cli_s']:>7.3f}s"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
