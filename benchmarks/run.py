"""The benchmark suite: the figures the product must hold, each against its target.

    .venv/bin/python benchmarks/run.py [--sizes 10000 100000] [--runs 3] [--json OUT]

Builds caches of each size in each Glance format (sparse files), then
measures, as the median of --runs runs, with each floor measured in the same
run beside what it is compared with:

- listing every entry with its metadata: a minimal loop (scandir + stat, plus
  getxattr or one SQLite SELECT) against the core's scan and the CLI as a
  whole process (``list --json``, ``--csv``); beside them their peers, the same
  job as a plain Python program (each file joined to its metadata, the records
  written by orjson or the csv module) with no check and no entry object;
- prune planning and execution for 10 % of the cached bytes (a fresh cache per
  run);
- the window (benchmarks/bench_window.py, its own process): time to first
  rows, sorting by size, the longest event-loop stall while scanning and while
  a prune runs, and peak memory;
- a Filetracker store of 1,000,000 files (benchmarks/bench_filetracker.py, its
  own process; ``--quick``: 2,000 files), the window on it included, kept under
  ``"filetracker"`` in the JSON.
- a centralized_db node (benchmarks/bench_centralized.py, its own process) of
  the largest size in a database of 10 nodes, on SQLite and PostgreSQL: its
  listing against one SELECT of its rows + scandir/stat (needs Glance from the
  test extra; --quick: 300 rows on SQLite).
- a fleet of 50 nodes x 10,000 rows in PostgreSQL (benchmarks/bench_fleet.py):
  the per-node summary, the 1,000-image matrix and the Fleet view's stalls
  (--quick: 3 nodes x 300 rows on SQLite), kept under ``"fleet"`` in the JSON.

Prints a table and writes the figures as JSON (benchmarks/results/latest.json
unless --json says otherwise).  Listing figures come as wall time (the
targets) and as CPU time (``*_cpu``: steadier when other jobs share the
machine); the load average at the start and end of the Glance runs is printed
beside them.  No figure is asserted anywhere: the test suite
only runs this with --quick so that it keeps working.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from inspector.core import actions, open_cache
from inspector.core.demo import DemoSpec, build_demo_cache

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
KINDS = ("sqlite", "xattr")

#: (figure, limit, what the limit means): checked at the largest size only.
TARGETS = {
    "core_vs_floor": (1.3, "core listing within 1.3x of the floor"),
    "prune_total_s": (5.0, "plan + prune of 10 % under 5 s"),
    "cli_json_vs_floor": (2.0, "list --json within 2x of the floor, as whole processes"),
    "cli_csv_vs_floor": (2.0, "list --csv within 2x of the floor, as whole processes"),
    "first_rows_s": (2.0, "window shows its first rows within 2 s"),
    "sort_s": (0.5, "sorting 100,000 rows by size within 0.5 s"),
    "scan_stall_ms": (100.0, "no event-loop stall over 100 ms from start (Cached tab)"),
    "stats_scan_stall_ms": (100.0, "no stall over 100 ms from start (Statistics tab)"),
    "prune_stall_ms": (100.0, "no event-loop stall over 100 ms while pruning"),
    "stats_prune_stall_ms": (100.0, "no stall over 100 ms pruning (Statistics tab)"),
    "live_stall_ms": (100.0, "no stall over 100 ms while Glance writes (Statistics tab)"),
    "peak_rss_mb": (200.0, "window under 200 MB resident"),
}

#: The floor as a whole process: the interpreter's start, then the floor loop
#: (the same as floor_listing, standing alone: no import of ours).
FLOOR_PROCESS = """
import os, sqlite3, sys
root, kind = sys.argv[1], sys.argv[2]
if kind == "sqlite":
    conn = sqlite3.connect(f"file:{root}/cache.db?mode=ro", uri=True)
    conn.execute("SELECT * FROM cached_images").fetchall()
    conn.close()
for d in (root, root + "/queue", root + "/incomplete", root + "/invalid"):
    with os.scandir(d) as it:
        for e in it:
            e.stat(follow_symlinks=False)
            if kind == "xattr" and d == root and e.is_file():
                try:
                    os.getxattr(e.path, "user.hits")
                except OSError:
                    pass
"""


#: The peer of ``list --json`` and ``--csv``: a plain whole Python program that
#: writes every entry with its metadata, the same fields (the floor's loop, each file joined to
#: its row or its ``user.hits``, one record per file with its times in ISO 8601,
#: sorted by id, written by orjson or the csv module).  It checks nothing, builds
#: no entry and knows no other cache kind: what the same job costs written plainly
#: in Python, beside the floor (which writes nothing).
PEER_PROCESS = """
import csv, os, sqlite3, stat, sys
from datetime import UTC, datetime
root, kind, fmt = sys.argv[1], sys.argv[2], sys.argv[3]
rows = {}
if kind == "sqlite":
    conn = sqlite3.connect(f"file:{root}/cache.db?mode=ro", uri=True)
    sql = "SELECT image_id, last_accessed, last_modified, size, hits, checksum FROM cached_images"
    rows = {r[0]: r for r in conn.execute(sql).fetchall()}
    conn.close()
pop, isreg, ts, utc = rows.pop, stat.S_ISREG, datetime.fromtimestamp, UTC
out = []
for d, state in ((root, "cached"), (root + "/queue", "queued"),
                 (root + "/incomplete", "incomplete"), (root + "/invalid", "invalid")):
    with os.scandir(d) as it:
        for e in it:
            st = e.stat(follow_symlinks=False)
            if not isreg(st.st_mode):
                continue
            hits = acc = None
            if kind == "xattr" and state == "cached":
                try:
                    hits = int(os.getxattr(e.path, "user.hits"))
                except OSError:
                    pass
                acc = st.st_atime
            row = pop(e.name, None)
            if row is not None:
                hits, acc = row[4], row[1]
            out.append((e.name, state, st.st_size, hits,
                        None if acc is None else ts(acc, utc), ts(st.st_mtime, utc)))
out.sort()
keys = ("id", "state", "size", "hits", "last_accessed", "last_modified", "checksum", "error",
        "position", "note", "version", "locked", "links", "name", "image_status")
rest = (None,) * 9
if fmt == "--json":
    import orjson
    records = [dict(zip(keys, r + rest)) for r in out]
    sys.stdout.buffer.write(orjson.dumps({"path": root, "entries": records},
                                         option=orjson.OPT_UTC_Z) + b"\\n")
else:
    w = csv.writer(sys.stdout, lineterminator="\\n")
    w.writerow(keys)
    w.writerows((i, s, n, h, a and a.isoformat(), m.isoformat(), *rest)
                for i, s, n, h, a, m in out)
"""


def peer_listing(root: Path, kind: str) -> None:
    """The peer of the core's scan: the floor, plus joining each file to its metadata
    and keeping its values (a tuple per file), plainly in Python, with no check and no
    entry object."""
    rows: dict[str, tuple[Any, ...]] = {}
    if kind == "sqlite":
        conn = sqlite3.connect(f"file:{root / 'cache.db'}?mode=ro", uri=True)
        sql = "SELECT image_id, last_accessed, last_modified, size, hits, checksum FROM "
        rows = {r[0]: r for r in conn.execute(sql + "cached_images").fetchall()}
        conn.close()
    pop, kept = rows.pop, []
    for d in (root, root / "queue", root / "incomplete", root / "invalid"):
        with os.scandir(d) as it:
            for e in it:
                st = e.stat(follow_symlinks=False)
                hits: Any = None
                if kind == "xattr" and d == root and e.is_file():
                    with contextlib.suppress(OSError):
                        hits = int(os.getxattr(e.path, "user.hits"))
                row = pop(e.name, None)
                kept.append((e.name, st.st_size, st.st_mtime, hits, row))


def _cpu() -> float:
    """CPU seconds (user + system) of this process and of the children it waited for."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def clocked(runs: int, fn: Callable[[], object]) -> tuple[float, float]:
    """Median wall and median CPU seconds of ``runs`` calls of ``fn``.

    The CPU time is the steadier figure when other jobs share the machine:
    the wall time then includes the time spent waiting for a core.
    """
    walls, cpus = [], []
    for _ in range(runs):
        c, t = _cpu(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(_cpu() - c)
    return statistics.median(walls), statistics.median(cpus)


def floor_listing(root: Path, kind: str) -> None:
    """The least any listing with metadata can do."""
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


def fresh_copy(template: Path, work: Path) -> None:
    """A copy of the cache with its atimes, xattrs and holes (cp skips the holes)."""
    shutil.rmtree(work, ignore_errors=True)
    subprocess.run(["cp", "-a", "--sparse=always", str(template), str(work)], check=True)


def spec_for(n: int) -> DemoSpec:
    return DemoSpec(
        cached=n,
        queued=n // 100,
        incomplete=n // 200,
        stalled=n // 1000,
        invalid=n // 200,
        cached_bytes=n * 60 * 1024**2,
    )


def _process(argv: list[str]) -> Callable[[], object]:
    return lambda: subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)


def listing(root: Path, kind: str, runs: int) -> dict[str, float]:
    floor, floor_cpu = clocked(runs, lambda: floor_listing(root, kind))
    core, core_cpu = clocked(runs, lambda: open_cache(root).scan())
    peer, _ = clocked(runs, lambda: peer_listing(root, kind))
    floor_process, floor_process_cpu = clocked(
        runs, _process([sys.executable, "-c", FLOOR_PROCESS, str(root), kind])
    )
    peer_json, _ = clocked(
        runs, _process([sys.executable, "-c", PEER_PROCESS, str(root), kind, "--json"])
    )
    peer_csv, _ = clocked(
        runs, _process([sys.executable, "-c", PEER_PROCESS, str(root), kind, "--csv"])
    )
    cli = str(BIN / "cache-inspector-cli")
    cli_json, cli_json_cpu = clocked(runs, _process([cli, "list", str(root), "--json"]))
    cli_csv, cli_csv_cpu = clocked(runs, _process([cli, "list", str(root), "--csv"]))
    return {
        "floor_s": floor,
        "core_s": core,
        "core_vs_floor": core / floor,
        # The peers: the same job written plainly in Python, against the same floors.
        "peer_vs_floor": peer / floor,
        "core_vs_peer": core / peer,
        "peer_json_vs_floor": peer_json / floor_process,
        "cli_json_vs_peer": cli_json / peer_json,
        "peer_csv_vs_floor": peer_csv / floor_process,
        "cli_csv_vs_peer": cli_csv / peer_csv,
        "floor_process_s": floor_process,
        "cli_s": cli_json,
        "cli_json_vs_floor": cli_json / floor_process,
        "cli_csv_s": cli_csv,
        "cli_csv_vs_floor": cli_csv / floor_process,
        # The same ratios in CPU time (this process, or the process measured).
        "floor_cpu_s": floor_cpu,
        "core_cpu_s": core_cpu,
        "core_vs_floor_cpu": core_cpu / floor_cpu,
        "floor_process_cpu_s": floor_process_cpu,
        "cli_json_cpu_s": cli_json_cpu,
        "cli_json_vs_floor_cpu": cli_json_cpu / floor_process_cpu,
        "cli_csv_cpu_s": cli_csv_cpu,
        "cli_csv_vs_floor_cpu": cli_csv_cpu / floor_process_cpu,
    }


def prune(template: Path, work: Path, runs: int) -> dict[str, float]:
    plans, executions, evicted = [], [], 0
    for _ in range(runs):
        fresh_copy(template, work)
        cache = open_cache(work)
        entries = cache.scan().entries
        t = time.perf_counter()
        plan = actions.plan_prune(cache, entries, int(actions.cached_bytes(entries) * 0.9))
        plans.append(time.perf_counter() - t)
        t = time.perf_counter()
        result = actions.prune(cache, plan)
        executions.append(time.perf_counter() - t)
        assert result.ok and result.done == len(plan.entries)
        evicted = len(plan.entries)
    plan_s, prune_s = statistics.median(plans), statistics.median(executions)
    return {
        "evicted": evicted,
        "plan_s": plan_s,
        "prune_s": prune_s,
        "prune_total_s": plan_s + prune_s,
    }


def _bench_window(work: Path, *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(HERE / "bench_window.py"), str(work), *extra],
        capture_output=True,
        text=True,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )
    if done.returncode != 0:  # its own words, not only an exit status
        said = [line for line in done.stderr.splitlines() if "propagateSizeHints" not in line]
        raise SystemExit("bench_window.py failed:\n" + "\n".join(said[-30:]))
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def window(template: Path, work: Path, runs: int, live: float) -> dict[str, Any]:
    """The window with the Cached tab shown, then with Statistics (and a live writer)."""
    keys = (
        "first_rows_s",
        "sort_s",
        "scan_stall_ms",
        "prune_stall_ms",
        "peak_rss_mb",
        "prune_and_refresh_s",
    )
    figures: dict[str, Any] = {}
    stalls: dict[str, int] = {}
    for tab, prefix in (("cached", ""), ("statistics", "stats_")):
        results = []
        for n in range(runs):
            fresh_copy(template, work)
            extra = ["--tab", tab]
            if tab == "statistics" and live and n == 0:
                extra += ["--live", str(live)]
            results.append(_bench_window(work, *extra))
        for k in keys:
            figures[prefix + k] = statistics.median(r[k] for r in results)
        for r in results:
            for where, count in r["stalls_over_100ms"].items():
                stalls[f"{tab}: {where}"] = stalls.get(f"{tab}: {where}", 0) + count
            if r["live_s"]:
                figures.update(
                    live_stall_ms=r["live_stall_ms"],
                    live_writes=r["live_writes"],
                    live_readings=r["live_readings"],
                )
    figures["peak_rss_mb"] = max(figures["peak_rss_mb"], figures["stats_peak_rss_mb"])
    figures["stalls"] = stalls
    return figures


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="tiny caches, one run (smoke test)")
    p.add_argument("--no-window", action="store_true", help="skip the window figures")
    p.add_argument(
        "--live", type=float, default=30.0, help="seconds of Glance writing beside the window"
    )
    p.add_argument(
        "--no-filetracker", action="store_true", help="skip the Filetracker store figures"
    )
    p.add_argument("--no-centralized", action="store_true", help="skip the centralized_db figures")
    p.add_argument("--no-fleet", action="store_true", help="skip the fleet's figures")
    p.add_argument("--json", type=Path, default=HERE / "results" / "latest.json")
    args = p.parse_args()
    if args.quick:
        args.sizes, args.runs, args.live = [300], 1, 2.0
    args.load = [os.getloadavg()[0]]  # other jobs on the machine: printed beside the figures
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="cache-inspector-bench-") as tmp:
        # The prunes here are of throw-away caches: keep them out of the user's journal.
        os.environ["XDG_STATE_HOME"] = str(Path(tmp) / "state")
        for n in args.sizes:
            for kind in KINDS:
                template = build_demo_cache(Path(tmp) / f"{kind}-{n}", kind, spec_for(n))
                row: dict[str, Any] = {"kind": kind, "entries": n}
                row.update(listing(template, kind, args.runs))
                row.update(prune(template, Path(tmp) / "work", args.runs))
                if not args.no_window:
                    live = args.live if n == max(args.sizes) else 0.0
                    row.update(window(template, Path(tmp) / "work", args.runs, live))
                rows.append(row)
                print(f"measured {kind} {n:,}", file=sys.stderr)
    args.load.append(os.getloadavg()[0])
    central = None if args.no_centralized else centralized(args)
    report(rows, args, central)
    if not args.no_filetracker:
        filetracker(args)
    if not args.no_fleet:
        fleet(args)
    return 0


def fleet(args: argparse.Namespace) -> None:
    """benchmarks/bench_fleet.py (50 nodes x 10,000 rows in PostgreSQL, and the Fleet
    view), its figures added to the JSON under "fleet"."""
    import importlib.util

    if importlib.util.find_spec("glance") is None:
        print("fleet: skipped (Glance is not installed: ./run setup)", file=sys.stderr)
        return
    sub_benchmark(args, "fleet", "bench_fleet.py")


def filetracker(args: argparse.Namespace) -> None:
    """benchmarks/bench_filetracker.py, its figures added to the JSON under "filetracker"."""
    sub_benchmark(args, "filetracker", "bench_filetracker.py")


def sub_benchmark(args: argparse.Namespace, key: str, script: str) -> None:
    """Run ``script`` (--quick with the suite's), its figures added to the JSON under ``key``."""
    out = args.json.with_name(f"{args.json.stem}-{key}.json")
    command = [sys.executable, str(HERE / script), "--json", str(out)]
    if args.quick:
        command.append("--quick")
    print()
    subprocess.run(command, check=True)
    doc = json.loads(args.json.read_text())
    doc[key] = json.loads(out.read_text())
    args.json.write_text(json.dumps(doc, indent=1))
    out.unlink()


def centralized(args: argparse.Namespace) -> dict[str, Any] | None:
    """bench_centralized.py's figures (its own process: it starts database servers)."""
    import importlib.util

    if importlib.util.find_spec("glance") is None:
        print("centralized_db: skipped (Glance is not installed: ./run setup)", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory(prefix="cache-inspector-bench-") as tmp:
        out = Path(tmp) / "centralized.json"
        argv = [sys.executable, str(HERE / "bench_centralized.py"), "--json", str(out)]
        if args.quick:
            argv.append("--quick")
        else:
            argv += ["--rows", str(max(args.sizes)), "--runs", str(args.runs)]
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        doc: dict[str, Any] = json.loads(out.read_text())
        return doc


def report(
    rows: list[dict[str, Any]], args: argparse.Namespace, central: dict[str, Any] | None = None
) -> None:
    cols = [
        ("kind", "{}"),
        ("entries", "{:,}"),
        ("floor_s", "{:.3f}"),
        ("core_s", "{:.3f}"),
        ("core_vs_floor", "{:.2f}x"),
        ("cli_s", "{:.3f}"),
        ("cli_json_vs_floor", "{:.2f}x"),
        ("cli_csv_vs_floor", "{:.2f}x"),
        ("core_vs_floor_cpu", "{:.2f}x"),
        ("cli_json_vs_floor_cpu", "{:.2f}x"),
        ("cli_csv_vs_floor_cpu", "{:.2f}x"),
        ("plan_s", "{:.3f}"),
        ("prune_s", "{:.3f}"),
    ]
    if not args.no_window:
        cols += [
            ("first_rows_s", "{:.2f}"),
            ("sort_s", "{:.3f}"),
            ("scan_stall_ms", "{:.0f}"),
            ("stats_scan_stall_ms", "{:.0f}"),
            ("prune_stall_ms", "{:.0f}"),
            ("stats_prune_stall_ms", "{:.0f}"),
            ("peak_rss_mb", "{:.0f}"),
        ]
    cells = [[c for c, _ in cols]] + [[f.format(r[c]) for c, f in cols] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cols))]
    for row in cells:
        print("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))

    largest = max(args.sizes)
    verdicts = []
    print(f"\nTargets at {largest:,} entries (median of {args.runs} runs):")
    for key, (limit, meaning) in TARGETS.items():
        for r in rows:
            if r["entries"] != largest or key not in r:
                continue
            ok = r[key] <= limit
            verdicts.append(
                {"kind": r["kind"], "figure": key, "value": r[key], "limit": limit, "met": ok}
            )
            print(f"  {'met ' if ok else 'MISS'}  {r['kind']:<6}  {meaning}: {r[key]:.3g}")
    peers = [r for r in rows if r["entries"] == largest and "peer_vs_floor" in r]
    if peers:
        print(
            "\nPeers: the same job as a plain Python program (no check, no entry object),"
            " against the same floor:"
        )
        for r in peers:
            for what, peer, ours in (
                ("listing", "peer_vs_floor", "core_vs_peer"),
                ("list --json", "peer_json_vs_floor", "cli_json_vs_peer"),
                ("list --csv", "peer_csv_vs_floor", "cli_csv_vs_peer"),
            ):
                print(
                    f"  {r['kind']:<6}  {what:<11}  the peer is {r[peer]:.2f}x the floor; "
                    f"ours is {r[ours]:.2f}x the peer"
                )
    small = [r for r in rows if r["entries"] == min(args.sizes)]
    if len(args.sizes) > 1:
        print(
            "\nScaling from the smallest to the largest size (O(n log n) is a little over "
            f"{largest // min(args.sizes)}x):"
        )
        for r in (r for r in rows if r["entries"] == largest):
            s = next(x for x in small if x["kind"] == r["kind"])
            for key in ("plan_s", "prune_s", "core_s"):
                print(f"  {r['kind']:<6}  {key:<8} {r[key] / s[key]:.1f}x")
    stalls = [(r["kind"], w, c) for r in rows for w, c in r.get("stalls", {}).items()]
    if stalls:
        print("\nWhere the GUI thread was during stalls over 100 ms (watchdog samples):")
        for kind, where, count in sorted(stalls, key=lambda x: -x[2])[:15]:
            print(f"  {kind:<6} {count:>3}x  {where}")
    live = [r for r in rows if "live_stall_ms" in r]
    for r in live:
        print(
            f"\nLive ({r['kind']}): Glance wrote {r['live_writes']} times, the window read "
            f"{r['live_readings']} times, longest stall {r['live_stall_ms']:.0f} ms"
        )
    if central is not None:
        print("\ncentralized_db node (bench_centralized.py):")
        for r in central["rows"]:
            print(
                f"  {r['backend']:<10} {r['rows']:>9,} rows of {r['nodes']} nodes  "
                f"floor {r['floor_s']:.3f} s  "
                f"core {r['core_s']:.3f} s  ({r['core_vs_floor']:.2f}x)  cli {r['cli_s']:.3f} s"
            )
        for t in central["targets"]:
            verdicts.append(t)
            print(
                f"  {'met ' if t['met'] else 'MISS'}  {t['kind']:<21}  listing within "
                f"{t['limit']}x of the floor: {t['value']:.3g}"
            )
    load = getattr(args, "load", [])
    if load:
        print(
            "\nLoad average (1 min) when the Glance caches' runs began and ended: "
            + " / ".join(f"{x:.2f}" for x in load)
            + f" ({os.cpu_count()} cores); the *_cpu ratios are the steadier under load."
        )
    doc = {"rows": rows, "targets": verdicts, "load": load}
    if central is not None:
        doc["centralized"] = central["rows"]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(doc, indent=1))
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    sys.exit(main())
