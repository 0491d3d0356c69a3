"""Filetracker store benchmark: listing and prune planning, the floor and the real client beside.

    nice -n 10 .venv/bin/python benchmarks/bench_filetracker.py [--files 1000000]
        [--dirs 10000] [--runs 3] [--lock-files] [--quick] [--json OUT]

Builds a store in the client's layout (``tests/filetracker_service.py``'s
``build_store_fast``: sparse files, mtimes one second apart), then measures
in each run, one after the other so that all see the same machine:

- the floor: a recursive ``os.scandir`` + ``stat`` of ``files/`` in Python;
- the core's scan (``open_cache(store).scan()``: entries with versions, links,
  and the lock probe of every name that has a lock file);
- the CLI as a whole process: ``cache-inspector-cli list STORE --json``;
- the peer: the real client's ``Client.list_local_files()`` on the same store;
- a prune plan (the cleaner's rule) over the scanned entries.

Each figure is the median of ``--runs``, as wall time and as CPU time (user +
system of the process measured): on a shared machine the CPU time is the
steadier of the two.  ``--lock-files`` also gives every name a lock file, as a
store that clients have used for a long time has.  Nothing is asserted; the
test suite runs ``--quick``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from inspector.core import actions, open_cache  # noqa: E402
from tests.filetracker_service import build_store_fast  # noqa: E402

BIN = Path(sys.executable).parent

#: (figure, limit, what the limit means), checked on the CPU figures and the wall ones.
TARGETS = {
    "core_vs_floor": (1.5, "core listing within 1.5x of the floor"),
    "cli_vs_floor": (2.5, "CLI process (list --json) within 2.5x of the floor"),
    "plan_s": (2.0, "prune plan under 2 s"),
}


def floor_listing(files_dir: str) -> int:
    """The least a listing with metadata can do: a recursive scandir + stat."""
    n = 0
    stack = [files_dir]
    while stack:
        d = stack.pop()
        with os.scandir(d) as it:
            for e in it:
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
                else:
                    e.stat(follow_symlinks=False)
                    n += 1
    return n


def in_process(fn: Callable[..., Any], *args: Any) -> tuple[float, float, Any]:
    """(wall, cpu) seconds of ``fn(*args)`` in this process, and what it returned."""
    w, c = time.perf_counter(), time.process_time()
    result = fn(*args)
    return time.perf_counter() - w, time.process_time() - c, result


def child(command: list[str]) -> tuple[float, float, float]:
    """(wall, cpu, peak MB) of a whole child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    w = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - w
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024


def client_listing(store: str) -> int:
    from filetracker.client import Client

    return len(Client(cache_dir=store, remote_store=None).list_local_files())


def add_lock_files(store: str) -> int:
    """A lock file per name, made as the client's ``lock_for`` makes them (0600, dirs 0700)."""
    files = os.path.join(store, "files")
    made = 0
    for dirpath, _dirs, names in os.walk(files):
        locks = os.path.join(store, "locks", os.path.relpath(dirpath, files))
        os.makedirs(locks, 0o700, exist_ok=True)
        for name in names:
            os.close(os.open(os.path.join(locks, name), os.O_WRONLY | os.O_CREAT, 0o600))
            made += 1
    return made


def measure(store: str, runs: int, with_client: bool) -> dict[str, Any]:
    files_dir = os.path.join(store, "files")
    got: dict[str, list[float]] = {}

    def keep(key: str, value: float) -> None:
        got.setdefault(key, []).append(value)

    cli = [str(BIN / "cache-inspector-cli"), "list", store, "--json"]
    for _ in range(runs):
        wall, cpu, _ = in_process(floor_listing, files_dir)
        keep("floor_s", wall)
        keep("floor_cpu_s", cpu)
        driver = open_cache(store)
        wall, cpu, snapshot = in_process(driver.scan)
        keep("core_s", wall)
        keep("core_cpu_s", cpu)
        limit = int(actions.cached_bytes(snapshot.entries) * 0.9)
        wall, cpu, _ = in_process(actions.plan_prune, driver, snapshot.entries, limit, 50.0)
        keep("plan_s", wall)
        keep("plan_cpu_s", cpu)
        del snapshot
        wall, cpu, rss = child(cli)
        keep("cli_s", wall)
        keep("cli_cpu_s", cpu)
        keep("cli_peak_mb", rss)
        if with_client:
            wall, cpu, _ = in_process(client_listing, store)
            keep("client_s", wall)
            keep("client_cpu_s", cpu)
    row: dict[str, Any] = {k: statistics.median(v) for k, v in got.items()}
    for clock in ("", "_cpu"):
        floor = row[f"floor{clock}_s"]
        row[f"core_vs_floor{clock}"] = row[f"core{clock}_s"] / floor
        row[f"cli_vs_floor{clock}"] = row[f"cli{clock}_s"] / floor
        if with_client:
            row[f"client_vs_core{clock}"] = row[f"client{clock}_s"] / row[f"core{clock}_s"]
    return row


def window(store: str) -> dict[str, Any]:
    """The window on the store, in its own process: first rows, stalls, peak memory."""
    done = subprocess.run(
        [sys.executable, str(HERE / "bench_window.py"), store, "--no-prune"],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    if done.returncode != 0:
        said = [line for line in done.stderr.splitlines() if "propagateSizeHints" not in line]
        raise SystemExit("bench_window.py failed:\n" + "\n".join(said[-30:]))
    got = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "window_first_rows_s": got["first_rows_s"],
        "window_whole_reading_s": got["whole_reading_s"],
        "window_peak_mb": got["peak_rss_mb"],
        "window_scan_stall_ms": got["scan_stall_ms"],
        "window_sort_s": got["sort_s"],
    }


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--files", type=int, default=1_000_000)
    p.add_argument("--dirs", type=int, default=10_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--lock-files", action="store_true", help="also measure with a lock per name")
    p.add_argument("--no-client", action="store_true", help="skip the real client's listing")
    p.add_argument("--no-window", action="store_true", help="skip the window's figures")
    p.add_argument("--quick", action="store_true", help="a tiny store, one run (smoke test)")
    p.add_argument("--json", type=Path, default=HERE / "results" / "filetracker.json")
    args = p.parse_args()
    if args.quick:
        args.files, args.dirs, args.runs = 2_000, 20, 1
    with_client = not args.no_client
    if with_client:
        try:
            import filetracker  # noqa: F401
        except ImportError:
            print("the real Filetracker client is not installed: no peer figure", file=sys.stderr)
            with_client = False
    rows = []
    tmp = tempfile.mkdtemp(prefix="cache-inspector-ft-bench-")
    try:
        store = os.path.join(tmp, "store")
        built = build_store_fast(store, args.files, args.dirs, size=4096, workers=2)
        print(
            f"built {built.files:,} files in {built.dirs:,} dirs in {built.seconds:.0f} s",
            file=sys.stderr,
        )
        rows.append(
            {
                "lock_files": 0,
                "files": args.files,
                "dirs": args.dirs,
                **measure(store, args.runs, with_client),
                **({} if args.no_window else window(store)),
            }
        )
        if args.lock_files:
            made = add_lock_files(store)
            rows.append(
                {
                    "lock_files": made,
                    "files": args.files,
                    "dirs": args.dirs,
                    **measure(store, args.runs, with_client),
                }
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(rows, args, with_client)
    return 0


def report(rows: list[dict[str, Any]], args: argparse.Namespace, with_client: bool) -> None:
    cols = ["floor", "core", "cli", "plan"] + (["client"] if with_client else [])
    print(f"{args.files:,} files in {args.dirs:,} directories, median of {args.runs} runs")
    print(
        f"{'lock files':>10}  "
        + "  ".join(f"{c + ' wall/cpu s':>18}" for c in cols)
        + f"  {'CLI peak MB':>11}"
    )
    for r in rows:
        cells = [f"{r[c + '_s']:8.2f} /{r[c + '_cpu_s']:8.2f}" for c in cols]
        print(
            f"{r['lock_files']:>10,}  "
            + "  ".join(f"{x:>18}" for x in cells)
            + f"  {r['cli_peak_mb']:>11.0f}"
        )
    verdicts = []
    for r in rows:
        print(f"\nTargets (lock files: {r['lock_files']:,}), wall / CPU:")
        for key, (limit, meaning) in TARGETS.items():
            cpu_key = key.replace("_s", "_cpu_s") if key.endswith("_s") else key + "_cpu"
            wall, cpu = r[key], r[cpu_key]
            ok = cpu <= limit
            verdicts.append(
                {
                    "lock_files": r["lock_files"],
                    "figure": key,
                    "wall": wall,
                    "cpu": cpu,
                    "limit": limit,
                    "met": ok,
                }
            )
            print(f"  {'met ' if ok else 'MISS'}  {meaning}: {wall:.2f} / {cpu:.2f}")
        if "window_first_rows_s" in r:
            first, peak = r["window_first_rows_s"], r["window_peak_mb"]
            for figure, value, limit, meaning in (
                ("window_first_rows_s", first, 3.0, "the window's first rows within 3 s"),
                ("window_peak_mb", peak, 1024.0, "the window under 1 GB resident"),
            ):
                ok = value <= limit
                verdicts.append(
                    {
                        "lock_files": r["lock_files"],
                        "figure": figure,
                        "wall": value,
                        "limit": limit,
                        "met": ok,
                    }
                )
                print(f"  {'met ' if ok else 'MISS'}  {meaning}: {value:.2f}")
            print(
                f"        (the whole reading in {r['window_whole_reading_s']:.2f} s; longest "
                f"event-loop stall while reading {r['window_scan_stall_ms']:.0f} ms; "
                f"sort by size {r['window_sort_s']:.2f} s)"
            )
        if with_client:
            print(
                f"  the real client's list_local_files takes {r['client_vs_core']:.1f}x "
                f"the core's scan ({r['client_vs_core_cpu']:.1f}x in CPU)"
            )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"rows": rows, "targets": verdicts}, indent=1))
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    sys.exit(main())
