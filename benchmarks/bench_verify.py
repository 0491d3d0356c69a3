"""Verify's throughput against md5sum and sha512sum on the same files, in the same run.

    nice -n 10 .venv/bin/python benchmarks/bench_verify.py [--files 8] [--mib 128] [--runs 3]

Builds a Glance sqlite cache (its own schema, rows as its commit inserts them)
of --files images of --mib MiB of random bytes each, reads them once so that
every tool finds them in the page cache, then times, as the median of --runs
runs, for md5 and sha512:

- the floor: ``md5sum``/``sha512sum`` over the image files (one process);
- the core: :func:`inspector.core.verify.verify` with a checksum file;
- the CLI as a whole process: ``cache-inspector-cli verify --checksums``.

Target: the core and the CLI within 1.3x of the tool's time.  Prints a table
and writes the figures as JSON (--json).  No figure is asserted anywhere; the
test suite runs this with --quick so that it keeps working.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from inspector.core import State, open_cache
from inspector.core.verify import checksum_file_source, verify

BIN = Path(sys.executable).parent
TARGET = 1.3
TOOLS = {"md5": "md5sum", "sha512": "sha512sum"}


def build(root: Path, files: int, size: int) -> list[Path]:
    """A sqlite cache as Glance's driver leaves it, with ``files`` images of ``size`` bytes."""
    for sub in ("incomplete", "invalid", "queue"):
        (root / sub).mkdir(parents=True)
    conn = sqlite3.connect(root / "cache.db")
    conn.executescript(
        "CREATE TABLE IF NOT EXISTS cached_images (image_id TEXT PRIMARY KEY, "
        "last_accessed REAL DEFAULT 0.0, last_modified REAL DEFAULT 0.0, "
        "size INTEGER DEFAULT 0, hits INTEGER DEFAULT 0, checksum TEXT);"
    )
    paths = []
    chunk = 1 << 20
    for _ in range(files):
        image_id = str(uuid.uuid4())
        path = root / image_id
        with open(path, "wb") as f:
            for _ in range(size // chunk):
                f.write(os.urandom(chunk))
            f.write(os.urandom(size % chunk))
        now = time.time()
        conn.execute(
            "INSERT INTO cached_images (image_id, last_accessed, last_modified, hits, size) "
            "VALUES (?, ?, ?, 0, ?)",
            (image_id, now, now, size),
        )
        paths.append(path)
    conn.commit()
    conn.close()
    return paths


def timed(fn: Any) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--files", type=int, default=8)
    p.add_argument("--mib", type=int, default=128, help="size of each image in MiB")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="4 images of 1 MiB, one run (smoke)")
    p.add_argument("--json", type=Path, help="write the figures here")
    args = p.parse_args()
    if args.quick:
        args.files, args.mib, args.runs = 4, 1, 1
    size = args.mib << 20
    work = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    os.environ["XDG_STATE_HOME"] = str(work / "state")  # verify changes nothing; be sure
    rows: list[dict[str, Any]] = []
    try:
        root = work / "cache"
        paths = build(root, args.files, size)
        names = [str(x) for x in paths]
        total = args.files * size
        for algorithm, tool in TOOLS.items():
            sums = work / f"{algorithm}.sums"
            out = subprocess.run([tool, *names], capture_output=True, text=True, check=True)
            sums.write_text(out.stdout)  # also warms the page cache
            driver = open_cache(root)
            cached = driver.scan().of_state(State.CACHED)
            origins = [checksum_file_source(sums)]

            def core(driver: Any = driver, cached: Any = cached, origins: Any = origins) -> None:
                report = verify(driver, cached, origins)
                assert report.ok and len(report.results) == args.files, report

            def floor(tool: str = tool) -> None:
                subprocess.run([tool, *names], capture_output=True, check=True)

            def cli(sums: Path = sums) -> None:
                cmd = [str(BIN / "cache-inspector-cli"), "verify", str(root), "--checksums"]
                subprocess.run([*cmd, str(sums)], capture_output=True, check=True)

            figures = {}
            for name, fn in (("floor", floor), ("core", core), ("cli", cli)):
                figures[name] = statistics.median(timed(fn) for _ in range(args.runs))
            rows.append(
                {
                    "algorithm": algorithm,
                    "tool": tool,
                    "bytes": total,
                    "floor_s": figures["floor"],
                    "core_s": figures["core"],
                    "cli_s": figures["cli"],
                    "core_vs_floor": figures["core"] / figures["floor"],
                    "cli_vs_floor": figures["cli"] / figures["floor"],
                }
            )
    finally:
        shutil.rmtree(work)
    report(rows, args)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"rows": rows, "target": TARGET}, indent=2) + "\n")
    return 0


def report(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    mib = 1 << 20
    print(f"verify: {args.files} images of {args.mib} MiB, median of {args.runs} run(s)")
    print(
        f"{'algorithm':<10}{'tool':>10}{'tool MiB/s':>12}{'core MiB/s':>12}{'CLI MiB/s':>11}"
        f"{'core/tool':>11}{'CLI/tool':>10}  target <= {TARGET}x"
    )
    for r in rows:
        rate = {k: r["bytes"] / mib / r[k] for k in ("floor_s", "core_s", "cli_s")}
        ok = max(r["core_vs_floor"], r["cli_vs_floor"]) <= TARGET
        print(
            f"{r['algorithm']:<10}{r['tool']:>10}{rate['floor_s']:>12.0f}{rate['core_s']:>12.0f}"
            f"{rate['cli_s']:>11.0f}{r['core_vs_floor']:>10.2f}x{r['cli_vs_floor']:>9.2f}x  "
            f"{'met' if ok else 'MISSED'}"
        )


if __name__ == "__main__":
    sys.exit(main())
