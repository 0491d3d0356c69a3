"""Prune planning and execution for 10 % of a cache, in each Glance format.

    python benchmarks/bench_prune.py [--entries 10000 100000] [--json OUT]

Each run builds a fresh cache (sparse files), plans a prune that evicts about
10 % of the cached bytes, and executes it.  The 10k to 100k ratio shows how
both scale (O(n log n) gives a little over 10x).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from inspector.core import actions, open_cache
from inspector.core.demo import DemoSpec, build_demo_cache


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--entries", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-prune-") as tmp:
        for n in args.entries:
            for kind in ("sqlite", "xattr"):
                root = build_demo_cache(
                    Path(tmp) / f"{kind}-{n}",
                    kind,
                    DemoSpec(cached=n, queued=0, incomplete=0, stalled=0, invalid=0),
                )
                cache = open_cache(root)
                t = time.perf_counter()
                snap = cache.scan()
                scan = time.perf_counter() - t
                total = actions.cached_bytes(snap.entries)
                t = time.perf_counter()
                plan = actions.plan_prune(cache, snap.entries, int(total * 0.9))
                planning = time.perf_counter() - t
                t = time.perf_counter()
                result = actions.prune(cache, plan)
                execution = time.perf_counter() - t
                assert result.ok and result.done == len(plan.entries)
                rows.append(
                    {
                        "kind": kind,
                        "entries": n,
                        "evicted": len(plan.entries),
                        "scan_s": scan,
                        "plan_s": planning,
                        "prune_s": execution,
                    }
                )
    print(f"{'kind':<7} {'entries':>8} {'evicted':>8} {'scan':>8} {'plan':>8} {'prune':>8}")
    for r in rows:
        print(
            f"{r['kind']:<7} {r['entries']:>8,} {r['evicted']:>8,} {r['scan_s']:>7.3f}s "
            f"{r['plan_s']:>7.3f}s {r['prune_s']:>7.3f}s"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
